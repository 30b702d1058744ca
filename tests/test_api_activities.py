"""/api/v1/activities/, shifts/, signups/, attendance/, declarations/, insurance-policies/: the service-hour loop's
first half through the API, each write by its owner, and refused (with nothing changed) for everyone else."""

import contextlib
import datetime
import json
import uuid
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from jinguo.activities import qr
from jinguo.activities.models import Activity, Attendance, HoursDeclaration, InsurancePolicy, Shift, SignUp
from jinguo.core.models import ApiToken, AuditLog, Notification
from jinguo.hours.models import ServiceRecord
from jinguo.orgs import services as org_services

HERE = (Decimal("24.480000"), Decimal("118.090000"))
NEAR = ("24.480900", "118.090000")  # about 100 m away
FAR = ("24.498000", "118.090000")  # about 2 km away


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(user, url, payload=None, **headers):
    return client_for(user).post(url, json.dumps(payload or {}), content_type="application/json", headers=headers)


def patch(user, url, payload):
    return client_for(user).patch(url, json.dumps(payload), content_type="application/json")


def iso(value: datetime.datetime) -> str:
    return value.isoformat()


@contextlib.contextmanager
def travel(when: datetime.datetime):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def draft_body(world, **overrides) -> dict:
    start = timezone.now() + datetime.timedelta(days=7)
    body = {
        "organiser": world.team.pk,
        "title": "湖滨社区防诈骗宣传",
        "category": "legal",
        "content": "向社区老人讲解常见诈骗手法",
        "address": "湖滨社区活动室",
        "start_at": iso(start),
        "end_at": iso(start + datetime.timedelta(hours=3)),
        "capacity": 2,
        "signup_deadline": iso(start - datetime.timedelta(days=1)),
        "risk_statement": "活动在室内进行，风险较低",
        "protection": "现场配备急救包",
        "audience": "subtree",
        "approval_mode": "auto",
    }
    body.update(overrides)
    return body


def create_published(world, **overrides) -> dict:
    response = post(world.leader, "/api/v1/activities/", draft_body(world, **overrides))
    assert response.status_code == 201, response.content
    response = post(world.leader, f"/api/v1/activities/{response.json()['id']}/publish/")
    assert response.status_code == 200, response.content
    return response.json()


def running_activity(world, *, geofence=None, capacity=10) -> Activity:
    """Published, started an hour ago, ends in two: open for check-in now (built from the models, like the
    scope-coverage targets, so that check-in is tested apart from publishing)."""
    now = timezone.now()
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=2)
    activity = Activity.objects.create(
        organiser=world.team.node, title="湖滨社区义诊", category="care", content="义诊", address="湖滨社区卫生站",
        start_at=start, end_at=end, capacity=capacity, signup_deadline=start, risk_statement="无",
        protection="无", status="published", published_at=start, created_by=world.leader,
        latitude=HERE[0] if geofence else None, longitude=HERE[1] if geofence else None, geofence_m=geofence,
    )  # fmt: skip
    Shift.objects.create(activity=activity, start_at=start, end_at=end, capacity=capacity)
    return activity


def confirmed(activity, volunteer) -> SignUp:
    return SignUp.objects.create(
        activity=activity, shift=activity.shifts.get(), volunteer=volunteer, status="confirmed"
    )


# ---- activities ------------------------------------------------------------------------------------------------


def test_the_leader_creates_a_draft_and_publishes_it(world):
    response = post(world.leader, "/api/v1/activities/", draft_body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["status_display"], body["organiser"]) == (
        "draft", "草稿", {"id": world.team.pk, "name": "思明区巾帼服务队"}
    )  # fmt: skip
    assert [(s["capacity"], s["start_at"] == body["start_at"]) for s in body["shifts"]] == [(2, True)]
    response = post(world.leader, f"/api/v1/activities/{body['id']}/publish/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["phase"]) == ("published", "upcoming")
    assert AuditLog.objects.filter(action="activity.published", actor=world.leader).count() == 1


def test_publishing_without_a_risk_statement_is_refused_and_changes_nothing(world):
    body = post(world.leader, "/api/v1/activities/", draft_body(world, risk_statement="")).json()
    response = post(world.leader, f"/api/v1/activities/{body['id']}/publish/")
    assert response.status_code == 400
    data = response.json()
    assert (data["code"], data["field"]) == ("not_ready", "risk_statement")
    assert data["detail"] == "请说明活动可能存在的风险（R7：未写明风险的招募信息不能发布）。"
    assert Activity.objects.get(pk=body["id"]).status == "draft"


def test_outsiders_cannot_create_for_our_team_nor_publish_ours(world, member):
    response = post(world.outsider_leader, "/api/v1/activities/", draft_body(world))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "organiser" in response.json()["errors"]
    assert post(member.user, "/api/v1/activities/", draft_body(world)).status_code == 400
    draft = post(world.leader, "/api/v1/activities/", draft_body(world)).json()
    assert post(world.outsider_admin, f"/api/v1/activities/{draft['id']}/publish/").status_code == 404
    # Read-only staff of the district see it but may not publish it.
    response = post(world.district_staff, f"/api/v1/activities/{draft['id']}/publish/")
    assert response.status_code == 403
    assert Activity.objects.count() == 1
    assert Activity.objects.get().status == "draft"


def test_a_partial_update_keeps_what_was_not_sent_and_the_shifts(world):
    start = timezone.now() + datetime.timedelta(days=7)
    shifts = [
        {"name": "上午", "start_at": iso(start), "end_at": iso(start + datetime.timedelta(hours=1)), "capacity": 3},
        {"name": "下午", "start_at": iso(start + datetime.timedelta(hours=2)),
         "end_at": iso(start + datetime.timedelta(hours=3)), "capacity": 4},
    ]  # fmt: skip
    times = {"start_at": iso(start), "end_at": iso(start + datetime.timedelta(hours=3))}
    body = post(world.leader, "/api/v1/activities/", draft_body(world, shifts=shifts, **times)).json()
    assert body["capacity"] == 7
    response = patch(world.leader, f"/api/v1/activities/{body['id']}/", {"title": "湖滨社区反诈宣传"})
    assert response.status_code == 200, response.content
    after = response.json()
    assert after["title"] == "湖滨社区反诈宣传"
    assert after["content"] == "向社区老人讲解常见诈骗手法"
    assert [(s["name"], s["capacity"]) for s in after["shifts"]] == [("上午", 3), ("下午", 4)]
    assert [s["id"] for s in after["shifts"]] == [s["id"] for s in body["shifts"]]


def test_approval_by_the_level_above_r30(world):
    org_services.node_update(
        actor=world.root_user, node=world.district, name=world.district.name, requires_publish_approval=True
    )
    draft = post(world.leader, "/api/v1/activities/", draft_body(world)).json()
    response = post(world.leader, f"/api/v1/activities/{draft['id']}/publish/")
    assert response.json()["status"] == "pending"
    assert post(world.leader, f"/api/v1/activities/{draft['id']}/approve/").status_code == 403
    assert post(world.outsider_admin, f"/api/v1/activities/{draft['id']}/approve/").status_code == 404
    assert Activity.objects.get(pk=draft["id"]).status == "pending"
    response = post(world.district_admin, f"/api/v1/activities/{draft['id']}/reject/", {})
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["该字段是必填项。"]}
    response = post(world.district_admin, f"/api/v1/activities/{draft['id']}/approve/", {"note": "同意"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["approval_note"]) == ("published", "同意")


def test_cancel_closes_the_sign_ups_and_tells_everyone(world, make_volunteer):
    activity = create_published(world)
    people = [make_volunteer(team=world.team.node) for _ in range(2)]
    for person in people:
        assert post(person.user, "/api/v1/signups/", {"shift": activity["shifts"][0]["id"]}).status_code == 201
    response = post(world.leader, f"/api/v1/activities/{activity['id']}/cancel/", {"reason": "台风预警"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "台风预警")
    assert set(SignUp.objects.values_list("status", flat=True)) == {"cancelled"}
    for person in people:
        assert Notification.objects.filter(user=person.user, title="活动已取消", body__contains="台风预警").count() == 1


def test_lists_by_role_and_the_activities_open_to_her(world, member, make_volunteer):
    ours = create_published(world, title="思明普法", category="legal")
    create_published(world, title="思明敬老", category="care")
    team_only = create_published(world, title="队内培训", audience="team", category="care")
    staff = client_for(world.district_admin).get("/api/v1/activities/", {"category": "legal"}).json()
    assert [a["title"] for a in staff["results"]] == ["思明普法"]
    assert client_for(world.outsider_admin).get("/api/v1/activities/").json()["results"] == []
    # She may join all three (she is in world.team); the district's resident without a team only the subtree ones.
    mine = client_for(member.user).get("/api/v1/activities/open/", {"category": "legal"}).json()
    assert [a["id"] for a in mine] == [ours["id"]]
    # A resident of the district outside the team: the team's activities are for its own subtree; the district's
    # own activity is for everyone registered below the district.
    resident = make_volunteer()
    assert client_for(resident.user).get("/api/v1/activities/open/").json() == []
    body = post(world.district_admin, "/api/v1/activities/", draft_body(world, organiser=world.district.pk,
                                                                          title="思明区志愿者培训")).json()  # fmt: skip
    assert post(world.district_admin, f"/api/v1/activities/{body['id']}/publish/").status_code == 200
    titles = {a["title"] for a in client_for(resident.user).get("/api/v1/activities/open/").json()}
    assert titles == {"思明区志愿者培训"}
    assert {a["title"] for a in client_for(member.user).get("/api/v1/activities/open/").json()} == {
        "思明普法", "思明敬老", "队内培训", "思明区志愿者培训"
    }  # fmt: skip
    outsider = make_volunteer(home=world.other_community)
    assert client_for(outsider.user).get("/api/v1/activities/open/").json() == []
    assert client_for(outsider.user).get(f"/api/v1/activities/{team_only['id']}/").status_code == 404
    assert client_for(world.district_admin).get("/api/v1/activities/open/").json() == []


# ---- sign-ups ----------------------------------------------------------------------------------------------------


def test_sign_up_with_an_idempotency_key_is_made_once(world, member):
    activity = create_published(world)
    shift = activity["shifts"][0]["id"]
    key = str(uuid.uuid4())
    first = post(member.user, "/api/v1/signups/", {"shift": shift}, **{"Idempotency-Key": key})
    assert first.status_code == 201
    assert (first.json()["status"], first.json()["volunteer"]["number"]) == ("confirmed", member.number)
    again = post(member.user, "/api/v1/signups/", {"shift": shift}, **{"Idempotency-Key": key})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert SignUp.objects.filter(volunteer=member).count() == 1
    # Without the key a second tap is a clear refusal, not a second sign-up.
    third = post(member.user, "/api/v1/signups/", {"shift": shift})
    assert (third.status_code, third.json()["code"]) == (400, "already_signed_up")
    mine = client_for(member.user).get("/api/v1/signups/mine/").json()
    assert [(s["id"], s["status_display"]) for s in mine["results"]] == [(first.json()["id"], "已录用")]


def test_a_full_shift_waitlists_and_a_cancellation_moves_the_waitlist_up(world, make_volunteer):
    activity = create_published(world, capacity=1)
    shift = activity["shifts"][0]["id"]
    first, second = make_volunteer(team=world.team.node), make_volunteer(team=world.team.node)
    taken = post(first.user, "/api/v1/signups/", {"shift": shift}).json()
    waiting = post(second.user, "/api/v1/signups/", {"shift": shift}).json()
    assert (taken["status"], waiting["status"]) == ("confirmed", "waitlisted")
    response = post(first.user, f"/api/v1/signups/{taken['id']}/cancel/")
    assert response.json()["status"] == "cancelled"
    assert SignUp.objects.get(pk=waiting["id"]).status == "confirmed"
    assert Notification.objects.filter(user=second.user, title="候补成功").count() == 1


def test_manual_approval_and_who_may_decide(world, make_volunteer):
    activity = create_published(world, approval_mode="manual")
    person = make_volunteer(team=world.team.node)
    signup = post(person.user, "/api/v1/signups/", {"shift": activity["shifts"][0]["id"]}).json()
    assert signup["status"] == "pending"
    assert post(world.outsider_leader, f"/api/v1/signups/{signup['id']}/approve/").status_code == 404
    assert post(person.user, f"/api/v1/signups/{signup['id']}/approve/").status_code == 403
    assert post(world.district_staff, f"/api/v1/signups/{signup['id']}/approve/").status_code == 403
    assert SignUp.objects.get(pk=signup["id"]).status == "pending"
    response = post(world.leader, f"/api/v1/signups/{signup['id']}/approve/")
    assert (response.status_code, response.json()["status"]) == (200, "confirmed")


def test_outsiders_cannot_sign_up_for_a_team_only_activity(world, make_volunteer):
    activity = create_published(world, audience="team")
    outsider = make_volunteer(team=world.team_b.node, home=world.other_community)
    response = post(outsider.user, "/api/v1/signups/", {"shift": activity["shifts"][0]["id"]})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert post(world.district_admin, "/api/v1/signups/", {"shift": activity["shifts"][0]["id"]}).json()["code"] == (
        "not_volunteer"
    )
    assert SignUp.objects.count() == 0


# ---- check-in and check-out ---------------------------------------------------------------------------------------


def test_she_checks_in_by_qr_once_however_often_she_scans(world, member):
    activity = running_activity(world, geofence=300)
    confirmed(activity, member)
    token = qr.make_token(activity.pk, qr.IN)
    body = {"token": token, "latitude": NEAR[0], "longitude": NEAR[1]}
    first = post(member.user, "/api/v1/attendance/check-in/", body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["created"], data["level"], data["attendance"]["status"], data["attendance"]["in_method"]) == (
        True, "success", "in", "qr"
    )  # fmt: skip
    assert data["attendance"]["in_distance_m"] == 100
    again = post(member.user, "/api/v1/attendance/check-in/", body)
    assert (again.status_code, again.json()["created"], again.json()["level"]) == (200, False, "info")
    assert Attendance.objects.filter(volunteer=member).count() == 1


def test_her_phone_app_checks_in_with_an_api_token_and_the_session_needs_csrf(world, member):
    activity = running_activity(world)
    confirmed(activity, member)
    _token, key = ApiToken.issue(member.user, "手机")
    body = json.dumps({"token": qr.make_token(activity.pk, qr.IN)})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member.user)
    response = browser.post("/api/v1/attendance/check-in/", body, content_type="application/json")
    assert response.status_code == 403  # a session without the CSRF header: refused, nothing written
    assert Attendance.objects.count() == 0
    app = Client(enforce_csrf_checks=True)
    response = app.post(
        "/api/v1/attendance/check-in/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["attendance"]["volunteer"]["id"] == member.pk


def test_outside_the_fence_she_is_refused_and_without_a_position_the_leader_confirms(world, member, make_volunteer):
    activity = running_activity(world, geofence=300)
    confirmed(activity, member)
    far = {"token": qr.make_token(activity.pk, qr.IN), "latitude": FAR[0], "longitude": FAR[1]}
    response = post(member.user, "/api/v1/attendance/check-in/", far)
    assert (response.status_code, response.json()["code"]) == (400, "out_of_range")
    assert response.json()["detail"].startswith("您距活动地点约 ")
    assert Attendance.objects.count() == 0
    response = post(member.user, "/api/v1/attendance/check-in/", {"token": qr.make_token(activity.pk, qr.IN)})
    assert response.status_code == 201
    held = response.json()["attendance"]
    assert (held["status"], held["review_reason"]) == ("review", "未获取位置，请队长确认")
    assert post(world.outsider_leader, f"/api/v1/attendance/{held['id']}/confirm/").status_code == 404
    assert post(member.user, f"/api/v1/attendance/{held['id']}/confirm/").status_code == 403
    response = post(world.leader, f"/api/v1/attendance/{held['id']}/confirm/")
    assert (response.status_code, response.json()["attendance"]["status"]) == (200, "in")


def test_the_code_works_like_the_qr_and_a_wrong_one_is_refused(world, member):
    activity = running_activity(world)
    confirmed(activity, member)
    wrong = post(member.user, "/api/v1/attendance/check-in/", {"code": "000000", "activity": activity.pk})
    if qr.numeric_code(activity.pk, qr.IN) != "000000":
        assert (wrong.status_code, wrong.json()["code"], wrong.json()["field"]) == (400, "bad_code", "code")
    missing = post(member.user, "/api/v1/attendance/check-in/", {"code": "123456"})
    assert missing.json()["errors"] == {"activity": ["使用数字签到码时请指明活动。"]}
    code = qr.numeric_code(activity.pk, qr.IN)
    response = post(member.user, "/api/v1/attendance/check-in/", {"code": code, "activity": activity.pk})
    assert response.status_code == 201
    assert response.json()["attendance"]["in_method"] == "code"


def test_a_token_of_someone_elses_activity_finds_nothing(world, member, make_volunteer):
    activity = running_activity(world)
    confirmed(activity, member)
    stranger = make_volunteer(team=world.team.node)
    response = post(stranger.user, "/api/v1/attendance/check-in/", {"token": qr.make_token(activity.pk, qr.IN)})
    assert response.status_code == 404
    genuine = qr.make_token(activity.pk, qr.IN)
    forged = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")  # one character of the signature changed
    response = post(member.user, "/api/v1/attendance/check-in/", {"token": forged})
    assert (response.status_code, response.json()["code"]) == (400, "bad_token")
    assert Attendance.objects.count() == 0


def test_check_out_by_qr_writes_her_record(world, member):
    activity = running_activity(world)
    confirmed(activity, member)
    with travel(timezone.now() - datetime.timedelta(minutes=50)):
        post(member.user, "/api/v1/attendance/check-in/", {"token": qr.make_token(activity.pk, qr.IN)})
    response = post(member.user, "/api/v1/attendance/check-out/", {"token": qr.make_token(activity.pk, qr.OUT)})
    assert response.status_code == 201, response.content
    data = response.json()
    record = ServiceRecord.objects.get(pk=data["record"])
    assert (record.hours, record.method, record.entered_by_other, record.status) == (
        Decimal("0.50"), "qr", False, "verified"
    )  # fmt: skip
    assert data["attendance"]["status"] == "out"
    assert data["message"] == f"{member.name}签退成功，本次服务 0.50 小时。"


def test_the_roster_checks_people_in_and_out_at_the_shift_times(world, make_volunteer):
    activity = running_activity(world)
    shift = activity.shifts.get()
    people = [make_volunteer(team=world.team.node) for _ in range(2)]
    for person in people:
        confirmed(activity, person)
    stranger = make_volunteer(team=world.team.node)
    payload = {"shift": shift.pk, "volunteers": [p.pk for p in people], "purpose": "in", "at_shift_time": True}
    refused = post(world.leader, "/api/v1/attendance/roster/", {**payload, "volunteers": [stranger.pk]})
    assert refused.json()["errors"] == {"volunteers": ["有志愿者没有报名该班次。"]}
    assert post(world.outsider_leader, "/api/v1/attendance/roster/", payload).json()["code"] == "invalid"
    response = post(world.leader, "/api/v1/attendance/roster/", payload)
    assert [row["ok"] for row in response.json()] == [True, True]
    with travel(shift.end_at + datetime.timedelta(minutes=1)):
        response = post(world.leader, "/api/v1/attendance/roster/", {**payload, "purpose": "out"})
    assert [row["ok"] for row in response.json()] == [True, True], response.content
    records = ServiceRecord.objects.filter(activity=activity).order_by("volunteer_id")
    assert [(r.hours, r.method, r.entered_by_other, r.recorded_by) for r in records] == [
        (Decimal("3.00"), "roster", True, world.leader)
    ] * 2


def test_declared_hours_wait_for_the_leader(world, member):
    activity = running_activity(world)
    signup = confirmed(activity, member)
    start = activity.start_at
    body = {"signup": signup.pk, "start_at": iso(start), "end_at": iso(start + datetime.timedelta(minutes=40)),
            "note": "忘记扫码"}  # fmt: skip
    response = post(member.user, "/api/v1/declarations/", body)
    assert response.status_code == 201, response.content
    declaration = response.json()
    assert declaration["status"] == "pending"
    assert post(world.leader, "/api/v1/declarations/", body).json()["code"] == "invalid"
    assert post(world.outsider_leader, f"/api/v1/declarations/{declaration['id']}/approve/").status_code == 404
    response = post(world.leader, f"/api/v1/declarations/{declaration['id']}/approve/")
    assert response.status_code == 200
    record = ServiceRecord.objects.get(pk=response.json()["record"])
    assert (record.hours, record.method, record.entered_by_other) == (Decimal("0.50"), "declared", True)
    assert HoursDeclaration.objects.get().status == "approved"


# ---- insurance -------------------------------------------------------------------------------------------------


def test_insurance_policies_in_scope(world, member):
    body = {"holder": world.team.pk, "insurer": "中国人寿", "policy_number": "PX-2026-8", "starts_on": "2026-01-01",
            "ends_on": "2026-12-31", "volunteers": [member.pk]}  # fmt: skip
    assert post(world.outsider_admin, "/api/v1/insurance-policies/", body).json()["code"] == "invalid"
    response = post(world.leader, "/api/v1/insurance-policies/", body)
    assert response.status_code == 201, response.content
    policy = response.json()
    assert (policy["insurer"], policy["insured_count"], policy["holder"]["id"]) == ("中国人寿", 1, world.team.pk)
    response = patch(world.leader, f"/api/v1/insurance-policies/{policy['id']}/", {"ends_on": "2026-06-30"})
    assert response.json()["ends_on"] == "2026-06-30"
    assert patch(world.outsider_admin, f"/api/v1/insurance-policies/{policy['id']}/", {"note": "x"}).status_code == 404
    listed = client_for(world.district_admin).get("/api/v1/insurance-policies/", {"covers_on": "2026-03-01"})
    assert [p["policy_number"] for p in listed.json()["results"]] == ["PX-2026-8"]
    assert client_for(world.outsider_admin).get("/api/v1/insurance-policies/").json()["results"] == []
    assert InsurancePolicy.objects.get().volunteers.count() == 1


@pytest.mark.parametrize(
    ("url", "limit"), [("/api/v1/activities/", 10), ("/api/v1/signups/", 8), ("/api/v1/attendance/", 8)]
)
def test_lists_cost_a_fixed_number_of_queries(world, make_volunteer, django_assert_max_num_queries, url, limit):
    for _ in range(6):
        activity = running_activity(world, capacity=20)
        person = make_volunteer(team=world.team.node)
        confirmed(activity, person)
        Attendance.objects.create(
            activity=activity, shift=activity.shifts.get(), volunteer=person, status="in",
            check_in_at=timezone.now(), in_method="qr",
        )  # fmt: skip
    client = client_for(world.district_admin)
    # The limit counts the session, the user, her roles and the page count too.
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] == 6
