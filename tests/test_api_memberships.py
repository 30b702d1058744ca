"""/api/v1/memberships/: she applies, the leader decides, adds and removes; history is kept."""

import json

from django.test import Client

from jinguo.core.models import AuditLog, User
from jinguo.orgs.models import NodeCounter
from jinguo.volunteers.choices import MembershipStatus
from jinguo.volunteers.models import Membership


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, payload=None):
    return client.post(url, json.dumps(payload or {}), content_type="application/json")


def members(team_node) -> int:
    return NodeCounter.objects.get(node=team_node).members


def test_list_for_the_leader_and_for_herself(targets):
    t = targets
    response = client_for(t.leader).get("/api/v1/memberships/", {"team": t.team.pk, "status": "applied"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["id"], r["volunteer"]["name"], r["team"]["name"], r["status"]) for r in rows] == [
        (t.application.pk, "籍申请", "思明区巾帼服务队", "applied")
    ]
    own = client_for(t.applicant.user).get("/api/v1/memberships/").json()["results"]
    assert [(r["id"], r["status_display"]) for r in own] == [(t.application.pk, "申请中")]
    assert (
        client_for(t.outsider_leader).get("/api/v1/memberships/", {"volunteer": t.volunteer.pk}).json()["results"] == []
    )


def test_she_applies_and_the_leader_approves(targets):
    t = targets
    response = post(
        client_for(t.volunteer.user), "/api/v1/memberships/apply/", {"team": t.team_b.pk, "note": "想去湖里"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["note"], body["volunteer"]["number"]) == ("applied", "想去湖里", t.volunteer.number)
    before = members(t.team_b.node)
    response = post(client_for(t.outsider_leader), f"/api/v1/memberships/{body['id']}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert members(t.team_b.node) == before + 1
    membership = Membership.objects.get(pk=body["id"])
    assert membership.decided_by == t.outsider_leader
    assert AuditLog.objects.filter(action="membership.approved", actor=t.outsider_leader).count() == 1


def test_apply_refused_for_non_volunteers_and_twice(targets):
    t = targets
    response = post(client_for(t.district_admin), "/api/v1/memberships/apply/", {"team": t.team.pk})
    assert response.status_code == 400
    assert response.json() == {"code": "not_volunteer", "detail": "请先注册为志愿者。"}
    response = post(client_for(t.applicant.user), "/api/v1/memberships/apply/", {"team": t.team.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "already_member"
    assert Membership.objects.filter(volunteer=t.applicant).count() == 1


def test_a_pending_volunteer_cannot_apply_until_she_confirms(targets):
    t = targets
    # A pending volunteer has no login of her own yet; give her one to make the point about her status.
    user = User.objects.create_user(username="pending_login", password="Passw0rd!2026")
    t.pending_volunteer.user = user
    t.pending_volunteer.save(update_fields=["user"])
    response = post(client_for(user), "/api/v1/memberships/apply/", {"team": t.team_b.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "not_confirmed"


def test_reject_needs_a_reason(targets):
    t = targets
    url = f"/api/v1/memberships/{t.application.pk}/reject/"
    response = post(client_for(t.leader), url, {})
    assert response.status_code == 400
    assert Membership.objects.get(pk=t.application.pk).status == MembershipStatus.APPLIED
    response = post(client_for(t.leader), url, {"reason": "本队名额已满"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["note"]) == ("rejected", "本队名额已满")


def test_approve_twice_is_a_domain_error(targets):
    t = targets
    url = f"/api/v1/memberships/{t.application.pk}/approve/"
    assert post(client_for(t.leader), url).status_code == 200
    response = post(client_for(t.leader), url)
    assert response.status_code == 400
    assert response.json() == {"code": "bad_state", "detail": "该申请已处理。"}


def test_read_only_staff_see_but_cannot_decide(targets):
    t = targets
    response = post(client_for(t.district_staff), f"/api/v1/memberships/{t.application.pk}/approve/")
    assert response.status_code == 403
    assert Membership.objects.get(pk=t.application.pk).status == MembershipStatus.APPLIED


def test_outsiders_cannot_decide_remove_or_add(targets):
    t = targets
    before = list(Membership.objects.order_by("pk").values_list("pk", "status"))
    for user in (t.outsider_admin, t.outsider_leader, t.outsider_volunteer.user, t.nobody):
        client = client_for(user)
        assert post(client, f"/api/v1/memberships/{t.application.pk}/approve/").status_code == 404
        assert post(client, f"/api/v1/memberships/{t.membership.pk}/remove/", {"reason": "x"}).status_code == 404
        assert post(client, f"/api/v1/memberships/{t.membership.pk}/leave/").status_code == 404
        response = post(
            client,
            "/api/v1/memberships/add/",
            {"team": t.team.pk, "volunteer_number": t.applicant.number, "phone": t.applicant.phone},
        )
        assert response.status_code == 400
        assert "team" in response.json()["errors"]
    assert list(Membership.objects.order_by("pk").values_list("pk", "status")) == before


def test_leader_adds_by_number_and_phone(targets):
    t = targets
    client = client_for(t.leader)
    wrong = {"team": t.subteam.pk, "volunteer_number": t.applicant.number, "phone": "13900000000"}
    response = post(client, "/api/v1/memberships/add/", wrong)
    assert response.status_code == 400
    assert response.json()["code"] == "not_found"
    assert response.json()["field"] == "volunteer_number"
    response = post(client, "/api/v1/memberships/add/", {**wrong, "phone": t.applicant.phone})
    assert response.status_code == 201
    assert (response.json()["team"]["id"], response.json()["status"]) == (t.subteam.pk, "active")
    assert members(t.subteam.node) == 1


def test_remove_keeps_history_and_she_may_leave(targets):
    t = targets
    before = members(t.team.node)
    response = post(
        client_for(t.leader), f"/api/v1/memberships/{t.membership.pk}/remove/", {"reason": "长期未参加活动"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "removed"
    assert response.json()["ended_at"] is not None
    assert members(t.team.node) == before - 1
    assert Membership.objects.filter(pk=t.membership.pk).exists()
    # She withdraws her own application.
    response = post(client_for(t.applicant.user), f"/api/v1/memberships/{t.application.pk}/leave/")
    assert response.status_code == 200
    assert response.json()["status"] == "left"
    # The leader cannot "leave" on her behalf.
    response = post(client_for(t.leader), f"/api/v1/memberships/{t.membership.pk}/leave/")
    assert response.status_code == 403
