"""The delivery and evaluation pages: what each user sees and what a form does (the services' rules are tested in
test_delivery_services / test_feedback_services; the outsiders in tests/test_scope_coverage.py)."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jinguo.hours.models import ServiceRecord

from .. import services_delivery as delivery
from ..choices import ComplaintStatus, EvaluationReview, NeedStatus
from ..models import CloseOut, CloseOutPhoto, Complaint, Delivery, Evaluation
from .test_delivery_services import _visit, accept, at, make_need
from .test_delivery_uploads import image_bytes, upload


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def served(world, member):
    need = make_need(world)
    accept(need, team=world.team.node)
    return need, member


@pytest.fixture
def delivered(served, world):
    need, member = served
    _visit(need, member)
    delivery.closeout_submit(actor=world.leader, need=need, summary="服务完成", photos=[upload("1.jpg", image_bytes())])
    need.refresh_from_db()
    return need


def test_her_phone_page_shows_where_to_go_and_checks_her_in_and_out(served):
    need, member = served
    client = client_for(member.user)
    page = client.get(reverse("demands:delivery_need", args=[need.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "湖滨南路 88 号 3 单元 502 室" in body
    assert 'href="tel:13812345678"' in body
    assert "到达服务地址后请签到" in body

    url = reverse("demands:delivery_check", args=[need.pk])
    start = timezone.now() - datetime.timedelta(hours=2)
    with at(start):
        response = client.post(url, {"action": "in", "latitude": "", "longitude": ""}, follow=True)
    assert "签到成功" in response.content.decode()
    with at(start + datetime.timedelta(minutes=5)):
        response = client.post(url, {"action": "in"}, follow=True)
    assert "无需重复签到" in response.content.decode()
    assert Delivery.objects.count() == 1
    response = client.post(url, {"action": "out", "latitude": "24.470000", "longitude": "118.100000"}, follow=True)
    assert "签退成功，本次服务 2.00 小时" in response.content.decode()
    assert ServiceRecord.objects.get().volunteer == member
    assert "服务结束后请签退" not in response.content.decode()


def test_check_out_first_is_refused_with_a_message(served):
    need, member = served
    response = client_for(member.user).post(
        reverse("demands:delivery_check", args=[need.pk]), {"action": "out"}, follow=True
    )
    assert "还没有签到，不能签退。请先签到。" in response.content.decode()
    assert not Delivery.objects.exists()


def test_a_volunteer_who_does_not_serve_the_need_gets_404(served, world, make_volunteer):
    need, _member = served
    other = make_volunteer(team=world.team_b.node, home=world.other_community)
    client = client_for(other.user)
    assert client.get(reverse("demands:delivery_need", args=[need.pk])).status_code == 404
    assert client.post(reverse("demands:delivery_check", args=[need.pk]), {"action": "in"}).status_code == 404
    assert not Delivery.objects.exists()


def test_the_leader_checks_members_in_and_out_from_the_list(served, world):
    need, member = served
    client = client_for(world.leader)
    page = client.get(reverse("demands:delivery_leader", args=[need.pk]))
    assert page.status_code == 200
    assert member.name in page.content.decode()
    assert "已完成" in page.content.decode()  # the team's figures block
    url = reverse("demands:delivery_roster", args=[need.pk])
    start = (timezone.now() - datetime.timedelta(hours=3)).replace(second=0, microsecond=0)
    client.post(url, {"action": "in", "volunteer": [member.pk], "at": f"{timezone.localtime(start):%Y-%m-%dT%H:%M}"})
    response = client.post(url, {"action": "out", "volunteer": [member.pk]}, follow=True)
    assert f"{member.name}签退成功" in response.content.decode()
    record = ServiceRecord.objects.get()
    assert (record.method, record.entered_by_other) == ("roster", True)


def test_the_close_out_form_takes_photos_and_refuses_a_disguised_file(served, world):
    need, member = served
    _visit(need, member)
    client = client_for(world.leader)
    url = reverse("demands:closeout_form", args=[need.pk])
    response = client.post(url, {"summary": "服务完成", "photos": [upload("a.jpg", image_bytes()),
                                                                 upload("b.jpg", b"MZ\x90\x00 not a picture")]})
    assert response.status_code == 400
    assert "第 2 张照片不是有效的图片" in response.content.decode()
    assert not CloseOut.objects.exists()
    assert not CloseOutPhoto.objects.exists()

    response = client.post(url, {"summary": "服务完成", "photos": [upload("a.jpg", image_bytes())]}, follow=True)
    assert "结案报告已提交" in response.content.decode()
    need.refresh_from_db()
    assert need.status == NeedStatus.DELIVERED
    photo = CloseOutPhoto.objects.get()
    assert reverse("demands:closeout_photo", args=[photo.pk]) in response.content.decode()


def test_a_photo_is_served_only_to_those_who_may_see_the_need(delivered, world, member):
    photo = CloseOutPhoto.objects.get()
    url = reverse("demands:closeout_photo", args=[photo.pk])
    response = client_for(member.user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == image_bytes()
    assert client_for(world.outsider_admin).get(url).status_code == 404
    assert client_for(world.outsider_leader).get(url).status_code == 404


def test_the_resident_rates_with_her_code_and_phone(delivered):
    client = Client()
    url = reverse("demands:rate")
    page = client.get(url, {"code": delivered.tracking_code})
    assert page.status_code == 200
    assert "第 1 步" in page.content.decode()

    wrong = client.post(url, {"tracking_code": delivered.tracking_code, "phone": "13900000000"})
    assert wrong.status_code == 400
    assert "查询码或手机号不对" in wrong.content.decode()

    stars = client.post(url, {"tracking_code": delivered.tracking_code, "phone": "13812345678"})
    body = stars.content.decode()
    assert stars.status_code == 200
    assert "第 2 步" in body
    assert body.count('name="rating"') == 5
    assert "jg-elder" in body  # the large-type resident layout

    done = client.post(url, {"tracking_code": delivered.tracking_code, "phone": "13812345678", "rating": "5",
                             "comment": "很满意"})
    assert "谢谢您的评价" in done.content.decode()
    evaluation = Evaluation.objects.get()
    assert (evaluation.rating, evaluation.comment, evaluation.by_requester) == (5, "很满意", True)

    again = client.post(url, {"tracking_code": delivered.tracking_code, "phone": "13812345678", "rating": "1"})
    assert "已经评价过了" in again.content.decode()
    assert Evaluation.objects.get().rating == 5


def test_her_status_page_leads_her_to_the_stars(delivered):
    """From 查看我的需求 (code + phone) one tap reaches the rating page with her code and phone carried along."""
    client = Client()
    status = client.post(reverse("demands:help_status"), {"tracking_code": delivered.tracking_code,
                                                           "phone": "13812345678"})
    body = status.content.decode()
    assert "服务已完成，请您说说满意不满意" in body
    assert f'action="{reverse("demands:rate")}"' in body
    assert f'name="tracking_code" value="{delivered.tracking_code}"' in body
    stars = client.post(reverse("demands:rate"), {"tracking_code": delivered.tracking_code, "phone": "13812345678"})
    assert stars.content.decode().count('name="rating"') == 5


def test_too_many_wrong_pairs_lock_the_lookup(delivered):
    client = Client()
    url = reverse("demands:rate")
    for _ in range(10):
        client.post(url, {"tracking_code": delivered.tracking_code, "phone": "13900000000"})
    locked = client.post(url, {"tracking_code": delivered.tracking_code, "phone": "13812345678"})
    assert "输错次数过多" in locked.content.decode()
    assert "第 2 步" not in locked.content.decode()


def test_staff_enter_her_rating_and_review_it(delivered, world):
    client = client_for(world.district_admin)
    response = client.post(reverse("demands:evaluation_form", args=[delivered.pk]), {"rating": "3"}, follow=True)
    assert "评价已保存" in response.content.decode()
    evaluation = Evaluation.objects.get()
    assert (evaluation.by_requester, evaluation.entered_by) == (False, world.district_admin)

    listing = client.get(reverse("demands:evaluation_list"), {"review": "pending"})
    assert delivered.number in listing.content.decode()
    client.post(reverse("demands:evaluation_review", args=[evaluation.pk]), {"review": "confirmed"})
    evaluation.refresh_from_db()
    assert evaluation.review == EvaluationReview.CONFIRMED
    # The team's leader sees the rating of his team's service but cannot review it.
    assert client_for(world.leader).get(reverse("demands:evaluation_list")).status_code == 200


def test_a_complaint_is_recorded_handled_and_concluded_through_the_pages(delivered, world):
    client = client_for(world.district_admin)
    response = client.post(
        reverse("demands:complaint_create", args=[delivered.pk]),
        {"complainant": "庞阿婆的女儿", "text": "志愿者没有按约定时间到"}, follow=True,
    )
    assert "投诉已登记" in response.content.decode()
    complaint = Complaint.objects.get()
    assert delivered.number in client.get(reverse("demands:complaint_list")).content.decode()
    client.post(reverse("demands:complaint_handle", args=[complaint.pk]), {"note": "已联系队长"})
    response = client.post(reverse("demands:complaint_conclude", args=[complaint.pk]), {"conclusion": "已道歉并改进"},
                           follow=True)
    assert "投诉已办结" in response.content.decode()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.conclusion) == (ComplaintStatus.CONCLUDED, "已道歉并改进")
    # Another district's admin cannot open it.
    assert client_for(world.outsider_admin).get(reverse("demands:complaint_detail", args=[complaint.pk])).status_code == 404


def test_her_list_of_needs_to_serve_and_her_figures(served, world, member):
    need, _member = served
    page = client_for(member.user).get(reverse("demands:delivery_mine"))
    body = page.content.decode()
    assert page.status_code == 200
    assert reverse("demands:delivery_need", args=[need.pk]) in body
    assert "平均评分" in body


def test_the_leader_finds_his_team_s_needs_on_the_list_page(served, world):
    need, _member = served
    body = client_for(world.leader).get(reverse("demands:delivery_mine")).content.decode()
    assert reverse("demands:delivery_leader", args=[need.pk]) in body
    other = client_for(world.outsider_leader).get(reverse("demands:delivery_mine")).content.decode()
    assert need.number not in other
