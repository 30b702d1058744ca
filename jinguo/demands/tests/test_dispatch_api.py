"""The dispatch API as its owners use it: staff dispatch and see ranked candidates, the provider accepts or declines,
volunteers claim (one winner), staff keep rules. Refusals are 400 with the Chinese message, or 403/404."""

import json

import pytest
from django.test import Client

from jinguo.demands import services_dispatch as dispatch
from jinguo.demands.models import Assignment, DispatchRule
from jinguo.demands.tests.test_dispatch_helpers import open_need

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_staff_dispatch_and_the_leader_accepts(world):
    need = open_need(world)
    ranked = api(world.district_admin).get(f"/api/v1/dispatch/{need.pk}/candidates/", {"kind": "team"})
    assert ranked.status_code == 200
    assert isinstance(ranked.json(), list)
    response = post(api(world.district_admin), f"/api/v1/dispatch/{need.pk}/dispatch/",
                    {"team": world.team.node.pk, "score": 0.5, "reasons": ["同一街道"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["team"]["id"], body["rank_reasons"]) == ("offered", world.team.node.pk, ["同一街道"])
    mine = api(world.leader).get("/api/v1/assignments/", {"status": "offered"}).json()["results"]
    assert [row["id"] for row in mine] == [body["id"]]
    assert post(api(world.outsider_leader), f"/api/v1/assignments/{body['id']}/accept/").status_code == 404
    accepted = post(api(world.leader), f"/api/v1/assignments/{body['id']}/accept/")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"


def test_a_team_outside_scope_is_invalid_not_forbidden(world):
    need = open_need(world)
    response = post(api(world.district_admin), f"/api/v1/dispatch/{need.pk}/dispatch/", {"team": world.team_b.pk})
    assert response.status_code == 400
    assert "不在您的管理范围内" in response.content.decode()
    assert not Assignment.objects.exists()


def test_declining_without_a_reason_is_400_and_changes_nothing(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    assert post(api(world.leader), f"/api/v1/assignments/{a.pk}/decline/", {"reason": ""}).status_code == 400
    a.refresh_from_db()
    assert a.status == "offered"
    response = post(api(world.leader), f"/api/v1/assignments/{a.pk}/decline/", {"reason": "人手不足"})
    assert response.json()["status"] == "declined"


def test_the_second_claim_gets_the_taken_message(world, make_volunteer):
    need = open_need(world, claimable=True)
    first, second = make_volunteer(), make_volunteer()
    assert post(api(first.user), f"/api/v1/dispatch/{need.pk}/take/").status_code == 201
    response = post(api(second.user), f"/api/v1/dispatch/{need.pk}/take/")
    assert response.status_code == 400
    assert "已被其他志愿者/队伍接单" in response.content.decode()
    assert Assignment.objects.filter(need=need).count() == 1


def test_an_offer_through_the_api_waits_for_staff(world, make_volunteer):
    need = open_need(world)
    her = make_volunteer()
    response = post(api(her.user), f"/api/v1/dispatch/{need.pk}/take/")
    assert response.status_code == 201
    assert (response.json()["mode"], response.json()["status"]) == ("offer", "offered")
    pk = response.json()["id"]
    assert post(api(her.user), f"/api/v1/assignments/{pk}/confirm-offer/").status_code == 403
    assert post(api(world.district_admin), f"/api/v1/assignments/{pk}/confirm-offer/").json()["status"] == "accepted"


def test_rules_through_the_api(world):
    c = api(world.district_admin)
    response = post(c, "/api/v1/dispatch-rules/", {"node": world.district.pk, "category": "care",
                                                   "team": world.team.node.pk})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    patched = c.patch(f"/api/v1/dispatch-rules/{pk}/", json.dumps({"is_active": False}),
                      content_type="application/json")
    assert patched.json()["is_active"] is False
    assert DispatchRule.objects.get().is_active is False
    assert [r["id"] for r in c.get("/api/v1/dispatch-rules/").json()["results"]] == [pk]
    assert api(world.outsider_admin).get(f"/api/v1/dispatch-rules/{pk}/").status_code == 404
