"""Care pages and API: what staff and the paired volunteer see (R23 masking, audited full views), the forms that
create recipients, pairings and visit logs, and the overdue list."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jinguo.core.models import AuditLog
from jinguo.demands.care_models import CarePairing, CareRecipient, VisitLog
from jinguo.hours.models import ServiceRecord
from jinguo.orgs.choices import Role

from .test_care_services import RECIPIENT, at_hour, grant, make_pairing, make_recipient


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setup(world, make_volunteer):
    staff = grant(world, "hubin_admin", Role.FEDERATION_ADMIN, world.community)
    recipient = make_recipient(world, actor=staff)
    volunteer = make_volunteer(team=world.team.node, name="晏走访", phone="13900004441")
    pairing = make_pairing(world, recipient, [volunteer], days_ago=20)
    return staff, recipient, volunteer, pairing


def test_recipient_list_masks_for_staff_without_detail_rights(world, setup):
    staff, _recipient, _volunteer, _pairing = setup
    url = reverse("demands:care_recipient_list")
    page = client_for(world.district_admin).get(url).content.decode()
    assert "钟**" in page
    assert "钟念慈" not in page
    assert "13900001111" not in page
    assert "139****1111" in page
    page = client_for(staff).get(url, {"q": "钟念慈", "category": "alone", "paired": "yes"}).content.decode()
    assert "钟念慈" in page
    # Without the right to her details, a search by her name does not confirm that she is cared for (R23).
    search = client_for(world.district_admin).get(url, {"q": "钟念慈"}).content.decode()
    assert "钟**" not in search
    assert "没有符合条件的结对对象" in search
    page = client_for(staff).get(url, {"paired": "no"}).content.decode()
    assert "钟念慈" not in page
    assert client_for(world.outsider_admin).get(url).content.decode().count("钟") == 0


def test_recipient_detail_full_view_is_audited(world, setup):
    staff, recipient, _volunteer, _pairing = setup
    url = reverse("demands:care_recipient_detail", args=[recipient.pk])
    page = client_for(world.district_admin).get(url).content.decode()
    assert "湖滨一里" not in page
    assert "糖尿病" not in page
    assert not AuditLog.objects.filter(action="care.recipient.viewed").exists()
    page = client_for(staff).get(url).content.decode()
    assert "湖滨一里 12 号 302" in page
    assert "糖尿病" in page
    assert AuditLog.objects.filter(action="care.recipient.viewed", actor=staff).count() == 1
    assert client_for(world.outsider_admin).get(url).status_code == 404


def test_recipient_create_and_edit_pages(world, setup):
    staff, _recipient, _volunteer, _pairing = setup
    data = {**RECIPIENT, "node": world.community.pk, "name": "钟新", "birth_year": "1950", "consent_at": ""}
    response = client_for(staff).post(reverse("demands:care_recipient_create"), data)
    created = CareRecipient.objects.get(name="钟新")
    assert response.status_code == 302
    assert response["Location"] == reverse("demands:care_recipient_detail", args=[created.pk])
    assert created.consent_recorded_by == staff
    bad = client_for(staff).post(reverse("demands:care_recipient_create"), {**data, "consent_by": ""})
    assert bad.status_code == 200
    assert "该字段是必填项" in bad.content.decode()
    assert CareRecipient.objects.filter(name="钟新").count() == 1
    edit = reverse("demands:care_recipient_edit", args=[created.pk])
    assert client_for(world.district_admin).get(edit).status_code == 403  # in scope, but not her details (R23)
    response = client_for(staff).post(edit, {**data, "notes": "已改", "is_active": "on"})
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.notes == "已改"
    assert created.is_active


def test_pairing_create_page(world, setup, make_volunteer):
    _staff, _recipient, _volunteer, _pairing = setup
    other = make_recipient(world, name="钟对")
    a = make_volunteer(team=world.team.node)
    b = make_volunteer(team=world.team.node)
    url = reverse("demands:care_pairing_create", args=[other.pk])
    assert client_for(world.district_admin).get(url).status_code == 200
    data = {"organiser": world.team.node.pk, "kind": "many", "volunteer_numbers": f"{a.number}，{b.number}",
            "lead_number": b.number, "start_date": timezone.localdate().isoformat(), "frequency": "days",
            "interval_days": "10"}  # fmt: skip
    response = client_for(world.district_admin).post(url, data)
    pairing = CarePairing.objects.get(recipient=other)
    assert response["Location"] == reverse("demands:care_pairing_detail", args=[pairing.pk])
    assert pairing.members.get(is_lead=True).volunteer == b
    assert pairing.interval_days == 10
    again = client_for(world.district_admin).post(url, {**data, "volunteer_numbers": a.number, "lead_number": ""})
    assert "已与该对象结对，不能重复结对" in again.content.decode()
    assert CarePairing.objects.filter(recipient=other).count() == 1
    assert client_for(world.leader).get(url).status_code == 404  # the team leader does not enter pairings


def test_volunteer_phone_pages_and_visit_form(world, setup):
    _staff, _recipient, volunteer, pairing = setup
    me = client_for(volunteer.user)
    page = me.get(reverse("demands:care_mine")).content.decode()
    assert "钟念慈" in page  # paired: she sees who and where
    assert "湖滨一里 12 号 302" in page
    assert "走访逾期" in page  # started 20 days ago, weekly, never visited
    form_url = reverse("demands:care_visit_create", args=[pairing.pk])
    form = me.get(form_url)
    key = form.context["form"]["idempotency_key"].value()
    day = timezone.localdate() - datetime.timedelta(days=1)
    data = {"volunteers": [str(volunteer.pk)], "day": day.isoformat(), "start": "09:00", "end": "10:30",
            "content": "陪伴聊天", "situation": "腿脚不便", "idempotency_key": key}  # fmt: skip
    response = me.post(form_url, data)
    assert response["Location"] == reverse("demands:care_mine")
    again = me.post(form_url, data)  # the phone resends the form
    assert again.status_code == 302
    visit = VisitLog.objects.get()
    assert visit.attendances.get().record.hours == 1.5
    assert ServiceRecord.objects.filter(volunteer=volunteer).count() == 1
    overlap = me.post(form_url, {**data, "start": "10:00", "end": "11:00", "idempotency_key": "another"})
    assert overlap.status_code == 200
    assert "同一时间不能有两条记录" in overlap.content.decode()
    assert VisitLog.objects.count() == 1
    assert "走访逾期" not in me.get(reverse("demands:care_mine")).content.decode()


def test_someone_else_cannot_use_the_visit_form(world, setup, make_volunteer):
    _staff, _recipient, _volunteer, pairing = setup
    teammate = make_volunteer(team=world.team.node)
    url = reverse("demands:care_visit_create", args=[pairing.pk])
    assert client_for(teammate.user).get(url).status_code == 404
    assert client_for(world.district_staff).get(url).status_code == 403  # sees the pairing, may not record


def test_pairing_detail_end_and_overdue_list(world, setup):
    _staff, _recipient, volunteer, pairing = setup
    overdue = client_for(world.district_admin).get(reverse("demands:care_overdue")).content.decode()
    assert reverse("demands:care_pairing_detail", args=[pairing.pk]) in overdue
    listing = client_for(world.district_admin).get(reverse("demands:care_pairing_list"), {"overdue": "on"})
    assert reverse("demands:care_pairing_detail", args=[pairing.pk]) in listing.content.decode()
    detail = client_for(world.leader).get(reverse("demands:care_pairing_detail", args=[pairing.pk])).content.decode()
    assert "湖滨一里 12 号 302" in detail  # the responsible team's leader sees her details
    assert "结束结对" in detail
    assert "结束结对" not in client_for(volunteer.user).get(
        reverse("demands:care_pairing_detail", args=[pairing.pk])
    ).content.decode()
    end = reverse("demands:care_pairing_end", args=[pairing.pk])
    assert client_for(volunteer.user).post(end, {"reason": "不想去了"}).status_code == 404
    client_for(world.leader).post(end, {"reason": ""})
    pairing.refresh_from_db()
    assert pairing.status == "active"
    client_for(world.leader).post(end, {"reason": "对象搬去女儿家"})
    pairing.refresh_from_db()
    assert (pairing.status, pairing.end_reason) == ("ended", "对象搬去女儿家")
    overdue = client_for(world.district_admin).get(reverse("demands:care_overdue")).content.decode()
    assert reverse("demands:care_pairing_detail", args=[pairing.pk]) not in overdue


# ---- API ----------------------------------------------------------------------------------------------------------


def test_api_recipient_masking(world, setup):
    staff, recipient, _volunteer, _pairing = setup
    url = f"/api/v1/care-recipients/{recipient.pk}/"
    masked = client_for(world.district_admin).get(url).json()
    assert (masked["details"], masked["name"], masked["phone"], masked["address"], masked["notes"]) == (
        False, "钟**", "139****1111", None, None,
    )
    full = client_for(staff).get(url).json()
    assert (full["details"], full["name"], full["address"]) == (True, "钟念慈", "湖滨一里 12 号 302")
    assert AuditLog.objects.filter(action="care.recipient.viewed", actor=staff).count() == 1


def test_api_visit_with_idempotency_key(world, setup):
    _staff, _recipient, volunteer, pairing = setup
    start = at_hour(1, 8)
    body = {"pairing": pairing.pk, "volunteers": [volunteer.pk], "start_at": start.isoformat(),
            "end_at": (start + datetime.timedelta(hours=2)).isoformat(), "content": "送餐并测血压"}  # fmt: skip
    me = client_for(volunteer.user)
    first = me.post("/api/v1/care-visits/", json.dumps(body), content_type="application/json",
                    headers={"Idempotency-Key": "k-1"})
    second = me.post("/api/v1/care-visits/", json.dumps(body), content_type="application/json",
                     headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["attendances"][0]["hours"] == "2.00"
    clash = me.post("/api/v1/care-visits/", json.dumps({**body, "content": "重复"}), content_type="application/json")
    assert clash.status_code == 400
    assert clash.json()["code"] == "overlap"
    assert VisitLog.objects.count() == 1
    mine = me.get("/api/v1/care-pairings/mine/").json()
    assert [row["id"] for row in mine["results"]] == [pairing.pk]
    assert mine["results"][0]["overdue"] is False


def test_api_pairing_commands(world, setup, make_volunteer):
    _staff, _recipient, volunteer, _pairing = setup
    other = make_recipient(world, name="钟多")
    a = make_volunteer(team=world.team.node)
    admin = client_for(world.district_admin)
    created = admin.post("/api/v1/care-pairings/", json.dumps({
        "recipient": other.pk, "organiser": world.team.node.pk, "kind": "many", "volunteers": [a.pk, volunteer.pk],
        "lead": a.pk, "start_date": timezone.localdate().isoformat(), "frequency": "monthly",
    }), content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    leader = client_for(world.leader)
    lead = leader.post(f"/api/v1/care-pairings/{pk}/set-lead/", {"volunteer": volunteer.pk},
                       content_type="application/json")
    assert [m["volunteer"]["id"] for m in lead.json()["members"] if m["is_lead"]] == [volunteer.pk]
    removed = leader.post(f"/api/v1/care-pairings/{pk}/remove-volunteer/", {"volunteer": a.pk},
                          content_type="application/json")
    assert [m["volunteer"]["id"] for m in removed.json()["members"]] == [volunteer.pk]
    refused = client_for(volunteer.user).post(f"/api/v1/care-pairings/{pk}/end/", {"reason": "x"},
                                              content_type="application/json")
    assert refused.status_code == 403  # she sees the pairing she is in, but only staff end it
    ended = leader.post(f"/api/v1/care-pairings/{pk}/end/", {"reason": "对象去世"}, content_type="application/json")
    assert ended.json()["status"] == "ended"
    assert ended.json()["end_reason"] == "对象去世"
