"""The delivery and evaluation API: the same services behind JSON (outsiders: tests/test_scope_coverage.py)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from ..choices import ComplaintStatus, NeedStatus
from ..models import CloseOut, Delivery, Evaluation
from .test_delivery_services import _visit, accept, at, make_need
from .test_delivery_uploads import image_bytes


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def served(world, member):
    need = make_need(world)
    accept(need, team=world.team.node)
    return need, member


def test_she_checks_in_and_out_through_the_api(served):
    need, member = served
    client = api(member.user)
    start = timezone.now() - datetime.timedelta(hours=2)
    with at(start):
        first = client.post("/api/v1/deliveries/check-in/", {"need": need.pk}, format="json")
        again = client.post("/api/v1/deliveries/check-in/", {"need": need.pk}, format="json")
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    out = client.post("/api/v1/deliveries/check-out/", {"need": need.pk}, format="json")
    assert out.status_code == 201
    assert out.json()["delivery"]["hours"] == "2.00"
    listed = client.get("/api/v1/deliveries/").json()["results"]
    assert [row["id"] for row in listed] == [Delivery.objects.get().pk]


def test_check_out_without_check_in_is_a_400_with_a_chinese_detail(served):
    need, member = served
    response = api(member.user).post("/api/v1/deliveries/check-out/", {"need": need.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "not_checked_in", "detail": f"{member.name}还没有签到，不能签退。请先签到。"}


def test_close_out_with_a_photo_then_staff_rate_and_a_complaint_is_concluded(served, world):
    need, member = served
    _visit(need, member)
    photo = SimpleUploadedFile("a.png", image_bytes("PNG"), content_type="image/png")
    response = api(world.leader).post(
        "/api/v1/closeouts/", {"need": need.pk, "summary": "服务完成", "photos": [photo]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["photos"]) == 1
    need.refresh_from_db()
    assert need.status == NeedStatus.DELIVERED
    assert CloseOut.objects.count() == 1

    admin = api(world.district_admin)
    rated = admin.post("/api/v1/evaluations/", {"need": need.pk, "rating": 4, "comment": "电话回访"}, format="json")
    assert rated.status_code == 201
    assert Evaluation.objects.get().by_requester is False
    twice = admin.post("/api/v1/evaluations/", {"need": need.pk, "rating": 1}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (400, "already_evaluated")
    reviewed = admin.post(f"/api/v1/evaluations/{rated.json()['id']}/review/", {"review": "confirmed"}, format="json")
    assert reviewed.json()["review"] == "confirmed"

    made = admin.post("/api/v1/complaints/", {"need": need.pk, "text": "迟到", "complainant": "家属"}, format="json")
    assert made.status_code == 201
    pk = made.json()["id"]
    admin.post(f"/api/v1/complaints/{pk}/handle/", {}, format="json")
    done = admin.post(f"/api/v1/complaints/{pk}/conclude/", {"conclusion": "已整改"}, format="json")
    assert (done.json()["status"], done.json()["conclusion"]) == (ComplaintStatus.CONCLUDED, "已整改")


def test_a_disguised_photo_is_refused_through_the_api(served, world):
    need, member = served
    _visit(need, member)
    fake = SimpleUploadedFile("a.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg")
    response = api(world.leader).post(
        "/api/v1/closeouts/", {"need": need.pk, "summary": "服务完成", "photos": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "photo_type"
    assert not CloseOut.objects.exists()
