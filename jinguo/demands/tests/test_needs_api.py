"""The needs and menu-items API: scoped lists and details with R23 masking, proxy entry, review, cancel, menus."""

import pytest
from rest_framework.test import APIClient

from jinguo.demands import services_needs as svc
from jinguo.demands.models import MenuItem, Need

from .targets_needs import need_data


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def needs(world):
    flagged = svc.need_create(actor=world.district_admin, node=world.community, proxy=True,
                              data=need_data("闵接口", "13912347001", "湖滨南路接口巷1号", vulnerable_flags=["violence"]))
    plain = svc.need_create(actor=world.district_admin, node=world.community, proxy=True,
                            data=need_data("闵普通", "13912347002", "湖滨南路普通巷2号"))
    theirs = svc.need_create(actor=world.outsider_admin, node=world.other_community, proxy=True,
                             data=need_data("闵外区", "13912347003", "高殿路3号"))
    return flagged, plain, theirs


def test_list_is_scoped_and_masks_flagged_needs(world, needs):
    flagged, plain, theirs = needs
    body = api(world.district_admin).get("/api/v1/needs/").json()
    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {flagged.pk, plain.pk}
    assert (rows[flagged.pk]["details_visible"], rows[flagged.pk]["requester_phone"],
            rows[flagged.pk]["requester_name"], rows[flagged.pk]["address"]) == (
        False, "139****7001", "闵*口", "筼筜街道 湖滨社区"
    )
    assert rows[flagged.pk]["vulnerable_flags"] == ["家暴"]
    assert (rows[plain.pk]["details_visible"], rows[plain.pk]["requester_phone"]) == (True, "13912347002")
    assert not any("price" in key or "fee" in key for key in rows[plain.pk])
    assert [r["id"] for r in api(world.outsider_admin).get("/api/v1/needs/").json()["results"]] == [theirs.pk]
    assert api(world.nobody).get("/api/v1/needs/").json()["results"] == []
    assert api(world.outsider_admin).get(f"/api/v1/needs/{flagged.pk}/").status_code == 404
    detail = api(world.root_user).get(f"/api/v1/needs/{flagged.pk}/").json()
    assert (detail["details_visible"], detail["requester_phone"]) == (True, "13912347001")
    filtered = api(world.district_admin).get("/api/v1/needs/", {"number": plain.number}).json()
    assert [r["id"] for r in filtered["results"]] == [plain.pk]


def test_create_review_and_cancel(world):
    body = {"node": world.community.pk, "category": "legal", "description": "咨询赡养问题", "address": "湖滨南路3号",
            "requester_name": "郝大姐", "requester_phone": "13912347009", "vulnerable_flags": ["hardship"]}
    response = api(world.district_admin).post("/api/v1/needs/", {**body, "requester_phone": "12"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "bad_phone", "detail": "请填写正确的 11 位手机号码。", "field": "requester_phone"}
    assert api(world.outsider_admin).post("/api/v1/needs/", body, format="json").status_code == 400
    assert Need.objects.count() == 0
    response = api(world.district_admin).post("/api/v1/needs/", body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert (created["source"], created["status"], created["vulnerable_flags"]) == ("proxy", "submitted", ["困难妇女"])
    pk = created["id"]
    assert api(world.outsider_admin).post(f"/api/v1/needs/{pk}/review/", {"accept": True}, format="json"
                                          ).status_code == 404
    assert api(world.district_staff).post(f"/api/v1/needs/{pk}/review/", {"accept": True}, format="json"
                                          ).status_code == 403
    response = api(world.district_admin).post(f"/api/v1/needs/{pk}/review/", {"accept": False}, format="json")
    assert response.json()["code"] == "reason_missing"
    response = api(world.district_admin).post(f"/api/v1/needs/{pk}/review/", {"accept": True, "claimable": True},
                                              format="json")
    assert (response.json()["status"], response.json()["claimable"]) == ("open", True)
    response = api(world.district_admin).post(f"/api/v1/needs/{pk}/cancel/", {"reason": "已由家属解决"}, format="json")
    assert response.json()["status"] == "cancelled"


def test_menu_items(world):
    body = {"team": world.team.node.pk, "category": "health", "title": "上门量血压", "content": "每周六",
            "area": world.district.pk, "service_times": ["weekend"], "monthly_capacity": 6}
    assert api(world.outsider_leader).post("/api/v1/menu-items/", body, format="json").status_code == 400
    response = api(world.leader).post("/api/v1/menu-items/", body, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    assert [r["id"] for r in api(world.district_admin).get("/api/v1/menu-items/").json()["results"]] == [pk]
    assert api(world.outsider_leader).get("/api/v1/menu-items/").json()["results"] == []
    assert api(world.outsider_leader).post(f"/api/v1/menu-items/{pk}/deactivate/").status_code == 404
    assert api(world.leader).post(f"/api/v1/menu-items/{pk}/deactivate/").json()["is_active"] is False
    assert MenuItem.objects.get().is_active is False


def test_open_needs_are_anonymised_and_menu_items_can_be_changed(world, needs, make_volunteer):
    flagged, _plain, theirs = needs
    svc.need_review(actor=world.district_admin, need=flagged, accept=True, public_summary="需要法律咨询")
    svc.need_review(actor=world.outsider_admin, need=theirs, accept=True)
    member = make_volunteer(team=world.team.node, name="滕接口", phone="13912347010")
    body = api(member.user).get("/api/v1/needs/open/").json()
    assert [(r["id"], r["summary"]) for r in body["results"]] == [(flagged.pk, "需要法律咨询")]
    text = str(body)
    for secret in ("闵接口", "13912347001", "湖滨南路接口巷1号", "家暴"):
        assert secret not in text
    assert api(world.nobody).get("/api/v1/needs/open/").json()["results"] == []

    item = svc.menu_item_create(actor=world.leader, team=world.team.node, data={
        "category": "health", "title": "上门量血压", "content": "每周六", "area": world.district,
        "monthly_capacity": 5,
    })  # fmt: skip
    url = f"/api/v1/menu-items/{item.pk}/"
    assert api(world.outsider_leader).patch(url, {"title": "越权"}, format="json").status_code == 404
    response = api(world.leader).patch(url, {"monthly_capacity": 9, "area": world.street.pk}, format="json")
    assert (response.json()["monthly_capacity"], response.json()["area"]["id"]) == (9, world.street.pk)
    item.refresh_from_db()
    assert (item.title, item.monthly_capacity) == ("上门量血压", 9)
