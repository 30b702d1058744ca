"""/api/v1/records/, correction-requests/, star-distribution/: the ledger through the API. Corrections append, held
records are released from above, her requests are decided by the organiser; every refusal changes nothing."""

import datetime
import json
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from jinguo.certificates.models import Certificate
from jinguo.core.models import Notification
from jinguo.hours import ledger
from jinguo.hours.models import CorrectionRequest, ServiceRecord, VolunteerHours
from jinguo.volunteers.models import Volunteer


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(user, url, payload=None):
    return client_for(user).post(url, json.dumps(payload or {}), content_type="application/json")


def hours_of(volunteer) -> Decimal:
    return sum((row.hours for row in VolunteerHours.objects.filter(volunteer=volunteer)), Decimal("0"))


def test_records_by_role_say_who_recorded_and_how(targets):
    t = targets
    rows = client_for(t.leader).get("/api/v1/records/", {"volunteer": t.volunteer.pk}).json()["results"]
    assert [(r["id"], r["hours"], r["method"], r["method_display"], r["entered_by_other"], r["recorded_by"]) for r in rows] == [
        (t.record.pk, "3.00", "qr", "扫码签到", False, "甄秘密")
    ]  # fmt: skip
    assert rows[0]["organiser"] == {"id": t.team.pk, "name": "思明区巾帼服务队"}
    own = client_for(t.volunteer.user).get("/api/v1/records/").json()["results"]
    assert [r["id"] for r in own] == [t.record.pk]
    assert client_for(t.outsider_leader).get("/api/v1/records/").json()["results"] == []
    assert client_for(t.outsider_volunteer.user).get(f"/api/v1/records/{t.record.pk}/").status_code == 404


def test_a_correction_is_a_new_entry_and_revokes_the_certificate(targets):
    t = targets
    start = t.record.start_at
    body = {"start_at": start.isoformat(), "end_at": (start + datetime.timedelta(hours=2)).isoformat(),
            "reason": "实际服务两小时"}  # fmt: skip
    # Refused: outside the district (404), read-only staff (403), the volunteer herself (403), no reason (400).
    assert post(t.outsider_admin, f"/api/v1/records/{t.record.pk}/correct/", body).status_code == 404
    assert post(t.district_staff, f"/api/v1/records/{t.record.pk}/correct/", body).status_code == 403
    assert post(t.volunteer.user, f"/api/v1/records/{t.record.pk}/correct/", body).status_code == 403
    assert post(t.leader, f"/api/v1/records/{t.record.pk}/correct/", {**body, "reason": ""}).status_code == 400
    assert ServiceRecord.objects.filter(volunteer=t.volunteer).count() == 1  # no new entry for her
    assert hours_of(t.volunteer) == Decimal("3.00")
    response = post(t.leader, f"/api/v1/records/{t.record.pk}/correct/", body)
    assert response.status_code == 201, response.content
    new = response.json()
    assert (new["kind"], new["corrects"], new["hours"], new["hours_delta"], new["reason"], new["recorded_by"]) == (
        "correction", t.record.pk, "2.00", "-1.00", "实际服务两小时", "leader"
    )  # fmt: skip
    old = client_for(t.leader).get(f"/api/v1/records/{t.record.pk}/").json()
    assert (old["superseded_by"], old["hours"]) == (new["id"], "3.00")
    assert hours_of(t.volunteer) == Decimal("2.00")
    certificate = Certificate.objects.get(pk=t.certificate.pk)
    assert (certificate.status, certificate.revoke_reason) == ("revoked", "服务记录已更正")
    current = client_for(t.leader).get("/api/v1/records/", {"current": "true", "volunteer": t.volunteer.pk}).json()
    assert [r["id"] for r in current["results"]] == [new["id"]]
    again = post(t.leader, f"/api/v1/records/{t.record.pk}/correct/", body)
    assert (again.status_code, again.json()["code"]) == (400, "superseded")


def test_held_records_are_released_or_rejected_from_above(targets, make_volunteer):
    t = targets
    person = make_volunteer(team=t.team.node)
    day = timezone.localtime(timezone.now() - datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0)
    ledger.record_create(volunteer=person, organiser=t.team.node, start_at=day.replace(hour=6),
                         end_at=day.replace(hour=16), method="roster", actor=t.leader)  # fmt: skip
    held = ledger.record_create(volunteer=person, organiser=t.team.node, start_at=day.replace(hour=17),
                                end_at=day.replace(hour=21), method="roster", actor=t.leader)  # fmt: skip
    assert (held.status, held.flags) == ("held", ["daily_cap"])
    assert hours_of(person) == Decimal("10.00")
    # The team's own leader entered it and acts at the team, not above it.
    assert post(t.leader, f"/api/v1/records/{held.pk}/release/").status_code == 403
    assert post(t.outsider_admin, f"/api/v1/records/{held.pk}/release/").status_code == 404
    assert ServiceRecord.objects.get(pk=held.pk).status == "held"
    response = post(t.district_admin, f"/api/v1/records/{held.pk}/release/")
    assert (response.status_code, response.json()["status"]) == (200, "verified")
    assert hours_of(person) == Decimal("14.00")
    response = post(t.district_admin, f"/api/v1/records/{held.pk}/reject/", {"reason": "重复"})
    assert (response.status_code, response.json()["code"]) == (400, "not_held")


def test_her_correction_request_is_accepted_by_the_organiser(targets):
    t = targets
    # She has one open for this record already (the fixture's): a second is a clear refusal.
    body = {"kind": "error", "record": t.record.pk, "proposed_start": t.record.start_at.isoformat(),
            "proposed_end": t.record.end_at.isoformat(), "reason": "再次申请"}  # fmt: skip
    response = post(t.volunteer.user, "/api/v1/correction-requests/", body)
    assert (response.status_code, response.json()["code"]) == (400, "duplicate")
    assert post(t.outsider_volunteer.user, "/api/v1/correction-requests/", body).json()["code"] == "invalid"
    assert CorrectionRequest.objects.count() == 1
    url = f"/api/v1/correction-requests/{t.correction_request.pk}/"
    assert post(t.outsider_leader, url + "accept/").status_code == 404
    assert post(t.volunteer.user, url + "accept/").status_code == 403
    response = post(t.leader, url + "accept/", {"note": "核实无误"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["decision_note"]) == ("accepted", "核实无误")
    result = ServiceRecord.objects.get(pk=data["result"])
    assert (result.hours, result.corrects_id, result.kind) == (Decimal("4.00"), t.record.pk, "correction")
    assert Notification.objects.filter(user=t.volunteer.user, title="服务记录已更正").count() == 1
    assert post(t.leader, url + "reject/", {"note": "晚了"}).json()["code"] == "closed"


def test_a_rejection_needs_a_reason_she_is_told(targets):
    t = targets
    url = f"/api/v1/correction-requests/{t.correction_request.pk}/reject/"
    response = post(t.leader, url, {})
    assert response.json()["errors"] == {"note": ["该字段是必填项。"]}
    response = post(t.leader, url, {"note": "签退时间以签到系统为准"})
    assert response.json()["status"] == "rejected"
    assert Notification.objects.get(user=t.volunteer.user, title="更正申请未采纳").body == "签退时间以签到系统为准"
    assert ServiceRecord.objects.filter(volunteer=t.volunteer).count() == 1  # no new entry for her


def test_she_asks_for_an_omission_to_be_recorded(targets, make_volunteer):
    t = targets
    person = make_volunteer(team=t.team.node)
    t.activity.signups.create(shift=t.shift, volunteer=person, status="confirmed")
    body = {"kind": "omission", "activity": t.activity.pk, "proposed_start": t.shift.start_at.isoformat(),
            "proposed_end": t.shift.end_at.isoformat(), "reason": "当天忘记扫码"}  # fmt: skip
    response = post(person.user, "/api/v1/correction-requests/", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind_display"], data["organiser"]["id"], data["status"]) == ("漏记", t.team.pk, "open")
    response = post(t.leader, f"/api/v1/correction-requests/{data['id']}/accept/")
    record = ServiceRecord.objects.get(pk=response.json()["result"])
    assert (record.volunteer, record.hours, record.method, record.entered_by_other) == (
        person, Decimal("3.00"), "import", True
    )  # fmt: skip


def test_star_distribution_in_scope(targets, make_volunteer):
    t = targets
    Volunteer.objects.filter(pk=t.volunteer.pk).update(star_level=2)
    body = client_for(t.district_admin).get("/api/v1/star-distribution/").json()
    counts = {row["level"]: row["count"] for row in body["levels"]}
    assert [row["threshold"] for row in body["levels"]] == [0, 100, 300, 600, 1000, 1500]
    assert counts[2] == 1
    assert body["total"] == sum(counts.values())
    team = client_for(t.leader).get("/api/v1/star-distribution/", {"node": t.team.pk}).json()
    assert team["node"] == {"id": t.team.pk, "name": "思明区巾帼服务队"}
    assert {row["level"]: row["count"] for row in team["levels"]}[2] == 1
    outsider = client_for(t.outsider_admin).get("/api/v1/star-distribution/").json()
    assert {row["level"]: row["count"] for row in outsider["levels"]}[2] == 0
    response = client_for(t.outsider_admin).get("/api/v1/star-distribution/", {"node": t.team.pk})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
