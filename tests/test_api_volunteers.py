"""/api/v1/volunteers/: the roster search, masked details, staff entry (R25) and the audited full ID (R3)."""

import datetime
import json

from django.test import Client

from conftest import volunteer_raw
from jinguo.core.models import AuditLog
from jinguo.core.sms import MemorySmsBackend
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role
from jinguo.volunteers.choices import Source, VolunteerStatus
from jinguo.volunteers.models import Membership, Volunteer


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, payload=None):
    return client.post(url, json.dumps(payload or {}), content_type="application/json")


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


# ---- list and search ------------------------------------------------------------------------------------------


def test_list_is_the_callers_scope(targets):
    t = targets
    district = numbers(client_for(t.district_admin).get("/api/v1/volunteers/", {"sort": "number"}))
    assert district == [v.number for v in (t.volunteer, t.pending_volunteer, t.applicant, t.denied_volunteer, t.server)]
    assert numbers(client_for(t.outsider_admin).get("/api/v1/volunteers/")) == [t.outsider_volunteer.number]
    assert numbers(client_for(t.outsider_leader).get("/api/v1/volunteers/")) == [t.outsider_volunteer.number]
    # A volunteer sees herself, nobody sees nobody.
    assert numbers(client_for(t.volunteer.user).get("/api/v1/volunteers/")) == [t.volunteer.number]
    assert numbers(client_for(t.nobody).get("/api/v1/volunteers/")) == []


def test_leader_sees_his_members_and_applicants_not_the_rest_of_the_district(targets, make_volunteer):
    t = targets
    elsewhere = make_volunteer()  # registered in 湖滨社区, in no team
    seen = numbers(client_for(t.leader).get("/api/v1/volunteers/", {"sort": "number"}))
    assert seen == [t.volunteer.number, t.pending_volunteer.number, t.applicant.number, t.denied_volunteer.number,
                    t.server.number]
    assert elsewhere.number not in seen


def test_search_filters(targets, make_volunteer):
    t = targets
    client = client_for(t.district_admin)
    url = "/api/v1/volunteers/"
    assert numbers(client.get(url, {"q": "甄秘密"})) == [t.volunteer.number]
    assert numbers(client.get(url, {"q": "zmm"})) == [t.volunteer.number]
    assert numbers(client.get(url, {"q": "0002"})) == [t.pending_volunteer.number]
    assert numbers(client.get(url, {"q": t.applicant.number})) == [t.applicant.number]
    assert numbers(client.get(url, {"status": "pending"})) == [t.pending_volunteer.number]
    assert numbers(client.get(url, {"status": "frozen"})) == [t.denied_volunteer.number]
    in_team = numbers(client.get(url, {"team": t.team.pk, "sort": "number"}))
    # The applicant's application is open, so she is found under the team too.
    assert in_team == [t.volunteer.number, t.pending_volunteer.number, t.applicant.number, t.denied_volunteer.number,
                       t.server.number]
    skilled = make_volunteer(skills="心理咨询", categories=["health"], force_type="professional", honours=["sanba"])
    assert numbers(client.get(url, {"skill": "心理"})) == [skilled.number]
    assert numbers(client.get(url, {"categories": ["health", "tech"]})) == [skilled.number]
    assert numbers(client.get(url, {"force_type": "professional"})) == [skilled.number]
    assert numbers(client.get(url, {"honours": "sanba"})) == [skilled.number]
    assert numbers(client.get(url, {"region": t.street.pk, "q": "甄秘密"})) == [t.volunteer.number]
    assert numbers(client.get(url, {"sex": "M"})) == []


def test_age_band_filter(targets, make_volunteer):
    today = datetime.date.today()
    young = make_volunteer(born=today.replace(year=today.year - 25, day=1) - datetime.timedelta(days=3))
    client = client_for(targets.district_admin)
    assert young.number in numbers(client.get("/api/v1/volunteers/", {"age_band": "18-35"}))
    assert young.number not in numbers(client.get("/api/v1/volunteers/", {"age_band": "46-60"}))


def test_bad_filter_values_are_400(targets):
    client = client_for(targets.district_admin)
    response = client.get("/api/v1/volunteers/", {"force_type": "strong"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "force_type" in response.json()["errors"]
    # A team outside the caller's scope is not a valid choice: nothing about it is revealed.
    response = client.get("/api/v1/volunteers/", {"team": targets.team_b.pk})
    assert response.status_code == 400
    assert "湖里" not in response.content.decode()


def test_paging_reports_a_capped_count(targets):
    response = client_for(targets.district_admin).get("/api/v1/volunteers/", {"page_size": 2})
    body = response.json()
    assert body["count"] == 5  # the five of world.team's roster (tests/conftest.py targets)
    assert body["count_capped"] is False
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")


# ---- detail ---------------------------------------------------------------------------------------------------


def test_detail_is_masked(targets):
    t = targets
    response = client_for(t.district_admin).get(f"/api/v1/volunteers/{t.volunteer.pk}/")
    assert response.status_code == 200
    body = response.json()
    full_id = t.volunteer.decrypt_id_number()
    assert body["name"] == "甄秘密"
    assert body["id_number"] == full_id[:6] + "********" + full_id[-4:]
    assert body["phone"] == "139****0001"
    assert body["status"] == "active"
    assert body["is_confirmed"] is True
    assert body["home_node"] == {"id": t.community.pk, "name": "湖滨社区"}
    assert body["teams"] == [
        {
            "membership": t.membership.pk,
            "team": t.team.pk,
            "team_name": "思明区巾帼服务队",
            "status": "active",
            "joined_at": body["teams"][0]["joined_at"],
        }
    ]
    text = response.content.decode()
    assert full_id not in text
    assert t.volunteer.phone not in text
    assert t.volunteer.birth_date.strftime("%Y%m%d") not in text
    assert "birth_date" not in body


def test_detail_shows_only_the_teams_the_caller_may_see(targets):
    t = targets
    # She also joins 湖里区's team: 思明区's admin sees her, but not that team.
    other_team = Membership.objects.create(
        volunteer=t.volunteer, team=t.team_b.node, status="active", joined_at=t.membership.joined_at
    )
    own = client_for(t.district_admin).get(f"/api/v1/volunteers/{t.volunteer.pk}/").json()
    assert [row["team_name"] for row in own["teams"]] == ["思明区巾帼服务队"]
    other = client_for(t.outsider_admin).get(f"/api/v1/volunteers/{t.volunteer.pk}/").json()
    assert [row["team_name"] for row in other["teams"]] == ["湖里区巾帼服务队"]
    assert other_team.pk in [row["membership"] for row in other["teams"]]


def test_detail_of_a_withdrawn_volunteer_is_still_found_by_its_url(targets):
    t = targets
    Volunteer.objects.filter(pk=t.applicant.pk).update(status=VolunteerStatus.WITHDRAWN)
    client = client_for(t.district_admin)
    assert t.applicant.number not in numbers(client.get("/api/v1/volunteers/"))
    assert client.get(f"/api/v1/volunteers/{t.applicant.pk}/").json()["status"] == "withdrawn"


def test_detail_outside_scope_is_404(targets):
    t = targets
    for user in (t.outsider_admin, t.outsider_leader, t.outsider_volunteer.user, t.nobody):
        response = client_for(user).get(f"/api/v1/volunteers/{t.volunteer.pk}/")
        assert response.status_code == 404
        assert "甄秘密" not in response.content.decode()


# ---- staff entry (R25) ----------------------------------------------------------------------------------------


def test_staff_entry_is_pending_until_she_confirms(world, django_capture_on_commit_callbacks):
    raw = volunteer_raw(name="莫新录", phone="13912348888")
    payload = {**raw, "home_node": world.community.pk, "team": world.team.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(world.leader), "/api/v1/volunteers/", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "莫新录"
    assert body["status"] == "pending"
    assert body["status_display"] == "待本人确认"
    assert body["is_confirmed"] is False
    assert body["source"] == "staff"
    assert body["phone"] == "139****8888"
    assert body["categories"] == ["legal"]
    volunteer = Volunteer.objects.get(pk=body["id"])
    assert volunteer.status == VolunteerStatus.PENDING
    assert volunteer.source == Source.STAFF
    assert volunteer.user_id is None
    assert volunteer.created_by == world.leader
    assert volunteer.decrypt_id_number() == raw["id_number"]
    assert Membership.objects.get(volunteer=volunteer).team_id == world.team.pk
    # She is told, on her own phone, and can confirm or deny.
    assert [phone for phone, _text in MemorySmsBackend.outbox] == ["13912348888"]
    assert AuditLog.objects.filter(action="volunteer.created", target_id=str(volunteer.pk)).count() == 1


def test_staff_entry_duplicate_id_names_where_she_is_registered(targets):
    t = targets
    raw = volunteer_raw(id_number=t.volunteer.decrypt_id_number())
    before = Volunteer.objects.count()
    response = post(client_for(t.district_admin), "/api/v1/volunteers/", {**raw, "home_node": t.community.pk})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "duplicate_id"
    assert body["field"] == "id_number"
    assert t.volunteer.number in body["detail"]
    assert Volunteer.objects.count() == before


def test_staff_entry_reports_every_invalid_field(world):
    raw = volunteer_raw(id_number="350203199001010021", phone="12345")  # wrong check character, bad phone
    response = post(client_for(world.district_admin), "/api/v1/volunteers/", {**raw, "home_node": world.community.pk})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "id_number"
    assert [field for field, _message in body["extra"]["errors"]] == ["id_number", "phone"]
    assert "校验位错误" in body["detail"]
    assert not Volunteer.objects.exists()


def test_staff_entry_refused_outside_scope(world):
    raw = volunteer_raw()
    client = client_for(world.outsider_admin)
    # Without a team, the home must be in the caller's scope; the message does not name the node.
    response = post(client, "/api/v1/volunteers/", {**raw, "home_node": world.community.pk})
    assert response.status_code == 400
    assert response.json()["errors"] == {"home_node": ["所选居住地不在您的管理范围内；请同时选择登记队伍。"]}
    response = post(
        client_for(world.outsider_leader),
        "/api/v1/volunteers/",
        {**raw, "home_node": world.community.pk, "team": world.team.pk},
    )
    assert response.status_code == 400
    assert "team" in response.json()["errors"]
    response = post(client_for(world.district_staff), "/api/v1/volunteers/", {**raw, "home_node": world.community.pk})
    assert response.status_code == 403
    assert not Volunteer.objects.exists()
    assert MemorySmsBackend.outbox == []


def test_leader_registers_someone_living_outside_his_scope(world):
    raw = volunteer_raw()
    response = post(
        client_for(world.leader),
        "/api/v1/volunteers/",
        {**raw, "home_node": world.other_community.pk, "team": world.team.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["home_node"] == {"id": world.other_community.pk, "name": "高殿社区"}


# ---- the full ID number (R3) ----------------------------------------------------------------------------------


def test_reveal_id_needs_the_personal_data_right_and_is_audited(targets):
    t = targets
    url = f"/api/v1/volunteers/{t.volunteer.pk}/reveal_id/"
    response = post(client_for(t.district_admin), url)
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "您没有查看完整证件号码的权限。"}
    assert not AuditLog.objects.filter(action="volunteer.id_viewed").exists()

    response = post(client_for(t.city_admin), url)
    assert response.status_code == 200
    assert response.json() == {"id_type": "resident", "id_number": t.volunteer.decrypt_id_number()}
    assert response["Cache-Control"] == "no-store"
    entry = AuditLog.objects.get(action="volunteer.id_viewed")
    assert (entry.actor, entry.target_id) == (t.city_admin, str(t.volunteer.pk))


def test_reveal_id_granted_with_the_right_at_district_level(targets):
    t = targets
    holder = org_services.account_create(
        actor=t.city_admin,
        username="district_personal",
        display_name="区妇联信息员",
        phone="",
        role=Role.FEDERATION_STAFF,
        node=t.district,
        personal_data=True,
    )[0]
    response = post(client_for(holder), f"/api/v1/volunteers/{t.pending_volunteer.pk}/reveal_id/")
    assert response.status_code == 200
    assert response.json()["id_number"] == t.pending_volunteer.decrypt_id_number()


def test_reveal_id_for_herself(targets):
    t = targets
    response = post(client_for(t.volunteer.user), f"/api/v1/volunteers/{t.volunteer.pk}/reveal_id/")
    assert response.status_code == 200
    assert response.json()["id_number"] == t.volunteer.decrypt_id_number()


def test_reveal_id_outside_scope_is_404_and_not_audited(targets):
    t = targets
    for user in (t.outsider_admin, t.outsider_volunteer.user, t.nobody):
        response = post(client_for(user), f"/api/v1/volunteers/{t.volunteer.pk}/reveal_id/")
        assert response.status_code == 404
    assert not AuditLog.objects.filter(action="volunteer.id_viewed").exists()


def test_reveal_id_is_post_only(targets):
    response = client_for(targets.city_admin).get(f"/api/v1/volunteers/{targets.volunteer.pk}/reveal_id/")
    assert response.status_code == 405
    assert not AuditLog.objects.filter(action="volunteer.id_viewed").exists()
