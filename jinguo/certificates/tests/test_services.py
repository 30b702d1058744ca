"""Issuing, revoking and reissuing certificates: what a certificate contains (R18, R27, masked ID), whose records
(R14), for whom (R25), by whom (scope), and that it is a snapshot that a correction revokes, never changes."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from jinguo.certificates import services
from jinguo.certificates.models import Certificate, CertificateStatus, IssuerProfile
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Notification
from jinguo.hours import ledger


def issue(actor, volunteer, issuer, **kwargs):
    return services.certificate_issue(actor=actor, volunteer=volunteer, issuer=issuer, **kwargs)


def test_a_certificate_is_a_snapshot_of_her_counted_records_with_masked_id(world, served):
    volunteer, records = served
    certificate = issue(world.leader, volunteer, world.team.node)
    snap = certificate.snapshot
    today = timezone.localdate()

    assert re.fullmatch(rf"JGZM{today.year}\d{{6}}", certificate.number)
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", certificate.short_code)
    assert certificate.issuer == world.team.node
    assert certificate.issued_by == world.leader
    assert certificate.status == CertificateStatus.VALID
    # R14: the team's own records and its sub-team's, not 湖里区's
    included = [records["qr"], records["sub"], records["activity"], records["roster"]]
    assert certificate.record_ids == [r.pk for r in included]
    assert certificate.total_hours == Decimal("8.00")
    assert certificate.period_start == records["qr"].service_date
    assert certificate.period_end == today

    assert snap["name"] == "甄证明"
    assert snap["volunteer_number"] == volunteer.number
    assert snap["id_type"] == "居民身份证"
    full_id = volunteer.decrypt_id_number()
    assert snap["id_number_masked"] == full_id[:6] + "********" + full_id[-4:]
    assert full_id not in json.dumps(snap, ensure_ascii=False)  # never the full number (R3)
    assert volunteer.phone not in json.dumps(snap, ensure_ascii=False)
    assert snap["total_hours"] == "8.00"
    assert snap["record_count"] == 4
    assert snap["includes_subtree"] is True
    assert snap["issuer"] == {
        "name": "思明区巾帼服务队",
        "person_in_charge": "林秀英",  # the team's registration (no profile of its own)
        "handler": "leader",  # the issuing user's display name
        "contact": "13905920001",
        "seal_text": "",
    }
    assert snap["issued_on"] == today.isoformat()
    assert snap["verify_url"] == f"http://127.0.0.1:8000/v/{certificate.short_code}/"
    assert snap["self_service"] is False
    assert "fee" not in json.dumps(snap)  # R18: free, no fee anywhere
    rows = snap["records"]
    assert [(r["organiser"], r["hours"], r["mark"]) for r in rows] == [
        ("思明区巾帼服务队", "2.00", ""),
        ("湖滨小队", "2.00", ""),
        ("思明区巾帼服务队", "3.00", ""),
        ("思明区巾帼服务队", "1.00", "代录"),  # R27: entered from the roster, not her own scan
    ]
    assert rows[2]["activity"] == "关爱空巢老人入户走访"
    assert rows[3]["method"] == "队长名单签到"
    assert rows[0]["start"] == "09:00"
    assert rows[0]["end"] == "11:00"

    entry = AuditLog.objects.get(action="certificate.issued")
    assert entry.node_path == world.team.node.path
    assert entry.target_id == str(certificate.pk)
    assert entry.actor == world.leader


def test_records_of_other_organisers_are_never_included(world, served):
    """R14 谁记录谁证明: the sub-team certifies only its own; 湖里区's team only its own."""
    volunteer, records = served
    sub = issue(world.leader, volunteer, world.subteam.node)
    assert sub.record_ids == [records["sub"].pk]
    assert sub.snapshot["includes_subtree"] is False
    other = issue(world.outsider_leader, volunteer, world.team_b.node)
    assert other.record_ids == [records["other"].pk]
    assert other.total_hours == Decimal("4.00")


def test_the_period_limits_the_records(world, served):
    volunteer, records = served
    day = records["activity"].service_date
    certificate = issue(world.leader, volunteer, world.team.node, period_start=day, period_end=day)
    assert certificate.record_ids == [records["activity"].pk]
    assert (certificate.period_start, certificate.period_end) == (day, day)


def test_held_and_superseded_records_are_not_counted(world, served, add_record):
    volunteer, records = served
    held = add_record(volunteer, world.team.node, 40, method="roster", actor=world.leader)  # late entry: held (R28)
    assert held.status == "held"
    correction = ledger.record_correct(
        actor=world.leader,
        record=records["qr"],
        start_at=records["qr"].start_at,
        end_at=records["qr"].start_at + datetime.timedelta(hours=1),
        reason="提前离开",
    )
    certificate = issue(world.leader, volunteer, world.team.node)
    assert held.pk not in certificate.record_ids
    assert records["qr"].pk not in certificate.record_ids
    assert correction.pk in certificate.record_ids
    assert certificate.total_hours == Decimal("7.00")
    entry = next(
        r
        for r in certificate.snapshot["records"]
        if r["hours"] == "1.00" and r["organiser"] == "思明区巾帼服务队" and r["method"] == "更正"
    )
    assert entry["mark"] == "代录"  # a correction is entered by someone else (R27)


def test_no_certificate_before_she_confirms(world, make_volunteer, add_record):
    """R25: a registration entered by staff and not confirmed by her gets no certificate."""
    pending = make_volunteer(team=world.team.node, confirm=False, name="蔺未确认")
    add_record(pending, world.team.node, 2, method="roster", actor=world.leader)
    with pytest.raises(DomainError) as exc:
        issue(world.leader, pending, world.team.node)
    assert exc.value.code == "not_confirmed"
    assert exc.value.message.startswith("蔺未确认尚未本人确认登记信息，不能出具志愿服务记录证明。")
    assert Certificate.objects.count() == 0
    assert not AuditLog.objects.filter(action="certificate.issued").exists()


def test_no_certificate_without_counted_records(world, make_volunteer):
    volunteer = make_volunteer(team=world.team.node, name="甄无记录")
    with pytest.raises(DomainError) as exc:
        issue(world.leader, volunteer, world.team.node)
    assert exc.value.code == "no_records"
    assert "甄无记录" in exc.value.message
    assert "思明区巾帼服务队" in exc.value.message
    assert Certificate.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider_admin", "outsider_leader", "district_staff", "nobody"])
def test_staff_without_change_scope_over_the_issuer_are_refused(world, served, who):
    volunteer, _records = served
    with pytest.raises(PermissionDeniedError):
        issue(getattr(world, who), volunteer, world.team.node)
    assert Certificate.objects.count() == 0


def test_a_volunteer_issues_her_own_from_a_team_she_served_with(world, served):
    volunteer, _records = served
    certificate = issue(volunteer.user, volunteer, world.team.node)
    assert certificate.snapshot["self_service"] is True
    assert certificate.snapshot["issuer"]["handler"] == "林秀英"  # no handler configured: the person in charge
    assert certificate.issued_by == volunteer.user
    # not from a federation node above that organised nothing of hers, nor for someone else
    with pytest.raises(PermissionDeniedError):
        issue(volunteer.user, volunteer, world.district)
    assert Certificate.objects.count() == 1


def test_a_volunteer_cannot_issue_for_someone_else(world, served, make_volunteer, add_record):
    volunteer, _records = served
    her_friend = make_volunteer(team=world.team.node, name="甄朋友")
    add_record(her_friend, world.team.node, 2)
    with pytest.raises(PermissionDeniedError):
        issue(volunteer.user, her_friend, world.team.node)
    assert Certificate.objects.count() == 0


def test_a_federation_node_issues_for_its_subtree_once_its_signature_is_set(world, served):
    volunteer, records = served
    with pytest.raises(DomainError) as exc:
        issue(world.district_admin, volunteer, world.district)
    assert exc.value.code == "issuer_incomplete"
    assert exc.value.field == "issuer"
    services.issuer_profile_save(
        actor=world.district_admin,
        node=world.district,
        person_in_charge="陈主席",
        handler="",
        contact_phone="0592 2345678",
        seal_text="思明区妇女联合会",
    )
    certificate = issue(world.district_admin, volunteer, world.district)
    assert certificate.record_ids == [records["qr"].pk, records["sub"].pk, records["activity"].pk, records["roster"].pk]
    assert certificate.snapshot["issuer"] == {
        "name": "思明区妇联",
        "person_in_charge": "陈主席",
        "handler": "district_admin",
        "contact": "05922345678",
        "seal_text": "思明区妇女联合会",
    }


def test_issuing_the_same_facts_twice_gives_the_same_certificate(world, served):
    volunteer, _records = served
    first = issue(world.leader, volunteer, world.team.node)
    again, created = services.certificate_issue_or_reuse(
        actor=world.leader, volunteer=volunteer, issuer=world.team.node
    )
    assert (again.pk, created) == (first.pk, False)
    assert Certificate.objects.count() == 1
    assert AuditLog.objects.filter(action="certificate.issued").count() == 1


def test_a_correction_revokes_the_certificate_and_never_changes_it(world, served):
    volunteer, records = served
    certificate = issue(world.leader, volunteer, world.team.node)
    before = Certificate.objects.values().get(pk=certificate.pk)
    Notification.objects.all().delete()

    new = ledger.record_correct(
        actor=world.leader,
        record=records["roster"],
        start_at=records["roster"].start_at,
        end_at=records["roster"].start_at + datetime.timedelta(hours=2),
        reason="漏记一小时",
    )

    certificate.refresh_from_db()
    after = Certificate.objects.values().get(pk=certificate.pk)
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revoke_reason == "服务记录已更正"
    assert certificate.revoked_at is not None
    # the snapshot and every fact stay as issued
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"status", "revoked_at", "revoke_reason"}
    assert after["snapshot"] == before["snapshot"]
    assert after["total_hours"] == Decimal("8.00")

    entry = AuditLog.objects.get(action="certificate.revoked")
    assert entry.node_path == world.team.node.path
    assert entry.actor == world.leader
    assert entry.detail["automatic"] is True
    assert entry.detail["record_id"] == records["roster"].pk
    # she and the issuer are told (the leader made the correction, so the issuer's other people: none here)
    assert list(Notification.objects.values_list("user_id", "title")) == [(volunteer.user_id, "志愿服务记录证明已作废")]

    replacement = services.certificate_reissue(actor=world.leader, certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.replaced_by == replacement
    assert replacement.total_hours == Decimal("9.00")
    assert new.pk in replacement.record_ids
    assert records["roster"].pk not in replacement.record_ids
    assert (replacement.period_start, replacement.period_end) == (certificate.period_start, certificate.period_end)
    with pytest.raises(DomainError) as exc:
        services.certificate_reissue(actor=world.leader, certificate=certificate)
    assert exc.value.code == "already_replaced"


def test_a_correction_by_someone_else_notifies_the_issuer(world, served):
    volunteer, records = served
    services.issuer_profile_save(
        actor=world.district_admin, node=world.district, person_in_charge="陈主席", contact_phone="05922345678"
    )
    certificate = issue(world.district_admin, volunteer, world.district)
    Notification.objects.all().delete()
    ledger.record_correct(
        actor=world.leader,
        record=records["qr"],
        start_at=records["qr"].start_at,
        end_at=records["qr"].start_at + datetime.timedelta(hours=1),
        reason="提前离开",
    )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(
        [volunteer.user_id, world.district_admin.pk]
    )


def test_a_correction_of_a_record_not_in_the_certificate_changes_nothing(world, served):
    volunteer, records = served
    certificate = issue(world.leader, volunteer, world.subteam.node)
    ledger.record_correct(
        actor=world.leader,
        record=records["qr"],
        start_at=records["qr"].start_at,
        end_at=records["qr"].start_at + datetime.timedelta(hours=1),
        reason="提前离开",
    )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    assert not AuditLog.objects.filter(action="certificate.revoked").exists()


def test_staff_revoke_by_hand_with_a_reason(world, served):
    volunteer, _records = served
    certificate = issue(world.leader, volunteer, world.team.node)
    with pytest.raises(DomainError) as exc:
        services.certificate_revoke(actor=world.district_admin, certificate=certificate, reason="  ")
    assert exc.value.field == "reason"
    for outsider in (world.outsider_admin, world.outsider_leader, world.district_staff, volunteer.user):
        with pytest.raises(PermissionDeniedError):
            services.certificate_revoke(actor=outsider, certificate=certificate, reason="越权")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    services.certificate_revoke(actor=world.district_admin, certificate=certificate, reason="出具单位有误")
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revoke_reason) == (CertificateStatus.REVOKED, "出具单位有误")
    with pytest.raises(DomainError) as exc:
        services.certificate_revoke(actor=world.district_admin, certificate=certificate, reason="再次")
    assert exc.value.code == "already_revoked"
    # she may have her revoked certificate reissued herself
    replacement = services.certificate_reissue(actor=volunteer.user, certificate=certificate)
    assert replacement.snapshot["self_service"] is True
    certificate.refresh_from_db()
    assert certificate.replaced_by == replacement


def test_a_new_issue_for_the_same_facts_replaces_a_revoked_one(world, served):
    volunteer, _records = served
    first = issue(world.leader, volunteer, world.team.node)
    services.certificate_revoke(actor=world.leader, certificate=first, reason="打印有误")
    second = issue(
        world.leader, volunteer, world.team.node, period_start=first.period_start, period_end=first.period_end
    )
    first.refresh_from_db()
    assert second.pk != first.pk
    assert second.number != first.number
    assert first.replaced_by == second


def test_issuer_profile_is_set_by_the_nodes_own_admins(world):
    for outsider in (world.outsider_admin, world.leader, world.district_staff):
        with pytest.raises(PermissionDeniedError):
            services.issuer_profile_save(
                actor=outsider, node=world.district, person_in_charge="越权", contact_phone="13900000000"
            )
    assert not IssuerProfile.objects.exists()
    with pytest.raises(DomainError) as exc:
        services.issuer_profile_save(
            actor=world.district_admin, node=world.district, person_in_charge="陈主席", contact_phone="12345"
        )
    assert exc.value.field == "contact_phone"
    with pytest.raises(DomainError) as exc:
        services.issuer_profile_save(actor=world.district_admin, node=world.district, person_in_charge="陈主席")
    assert exc.value.field == "contact_phone"  # a federation node has no registration to fall back on
    # a team may leave the phone blank: its registration has one
    profile = services.issuer_profile_save(actor=world.leader, node=world.team.node, person_in_charge="林队长")
    assert (profile.person_in_charge, profile.contact_phone) == ("林队长", "")
    assert (
        AuditLog.objects.filter(action="certificate.issuer_profile_saved", node_path=world.team.node.path).count() == 1
    )


def test_short_codes_are_unique_and_unambiguous(db):
    codes = {services._new_short_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(not set(code) & set("01OIL") for code in codes)
    assert services.normalise_code(" abcd-2345 ") == "ABCD2345"
