"""The ledger: append-only entries, corrections as new entries, counted totals and star levels, R15/R25/R28."""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.hours import ledger
from jinguo.hours.models import NodeHours, RecordStatus, ServiceRecord, StarChange, VolunteerHours
from jinguo.volunteers import services as volunteer_services

TZ = timezone.get_current_timezone()


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A time `10 - day` days ago (recent: entries long after the service are flagged, R28)."""
    date = timezone.localdate() - datetime.timedelta(days=10 - day)
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=TZ)


def record(world, volunteer, start, end, **extra):
    options = {"volunteer": volunteer, "organiser": world.team.node, "start_at": start, "end_at": end,
               "method": "roster", "actor": world.leader}
    options.update(extra)
    return ledger.record_create(**options)


def test_hours_are_rounded_down_and_counted(world, member):
    entry = record(world, member, at(5, 9), at(5, 11, 50))
    assert entry.hours == Decimal("2.50")
    assert entry.entered_by_other is True  # the leader entered it, not her own scan (R27)
    assert entry.status == RecordStatus.VERIFIED
    assert VolunteerHours.objects.get(volunteer=member, year=at(5, 9).year).hours == Decimal("2.50")
    assert ledger.subtree_hours(world.district)["hours"] == Decimal("2.50")
    assert ledger.subtree_hours(world.other_district)["hours"] == Decimal("0")


def test_overlapping_records_are_refused(world, member):
    record(world, member, at(5, 9), at(5, 11))
    with pytest.raises(DomainError) as excinfo:
        record(world, member, at(5, 10), at(5, 12), organiser=world.team.node)
    assert excinfo.value.code == "overlap"
    assert ServiceRecord.objects.count() == 1


def test_only_the_organiser_records(world, member):
    with pytest.raises(PermissionDeniedError):
        record(world, member, at(5, 9), at(5, 11), actor=world.outsider_leader)
    assert not ServiceRecord.objects.exists()


def test_a_correction_is_a_new_entry_and_totals_follow(world, member):
    entry = record(world, member, at(5, 9), at(5, 12))
    fixed = ledger.record_correct(actor=world.leader, record=entry, start_at=at(5, 9), end_at=at(5, 10), reason="签退时间记错")
    entry.refresh_from_db()
    assert entry.hours == Decimal("3.00")  # the original is unchanged
    assert entry.superseded_by_id == fixed.pk
    assert (fixed.hours, fixed.hours_delta, fixed.corrects_id) == (Decimal("1.00"), Decimal("-2.00"), entry.pk)
    assert VolunteerHours.objects.get(volunteer=member).hours == Decimal("1.00")
    assert VolunteerHours.objects.get(volunteer=member).records == 1
    assert ledger.rebuild_hours(fix=False) == []


@override_settings(STAR_THRESHOLDS=[2, 4, 6, 8, 10])
def test_star_level_goes_up_and_down_with_corrections(world, member):
    first = record(world, member, at(5, 8), at(5, 11))
    record(world, member, at(6, 8), at(6, 10))
    member.refresh_from_db()
    assert member.star_level == 2  # 5 hours
    ledger.record_correct(actor=world.leader, record=first, start_at=at(5, 8), end_at=at(5, 9), reason="多记了")
    member.refresh_from_db()
    assert member.star_level == 1  # 3 hours: a deduction lowers the level (R19)
    assert list(StarChange.objects.order_by("id").values_list("from_level", "to_level")) == [(0, 1), (1, 2), (2, 1)]


@override_settings(HOURS_DAILY_CAP=4)
def test_past_the_daily_cap_is_held_not_counted(world, member):
    record(world, member, at(5, 8), at(5, 11))
    late = record(world, member, at(5, 13), at(5, 15))
    assert late.status == RecordStatus.HELD
    assert "当日累计服务时长超过上限" in late.hold_reason
    assert VolunteerHours.objects.get(volunteer=member).hours == Decimal("3.00")
    with pytest.raises(DomainError):
        ledger.record_release(actor=world.leader, record=late)  # not by the team itself: from above
    ledger.record_release(actor=world.district_admin, record=late)
    assert VolunteerHours.objects.get(volunteer=member).hours == Decimal("5.00")


def test_hours_of_an_unconfirmed_volunteer_wait_for_her(world, make_volunteer):
    pending = make_volunteer(team=world.team.node, confirm=False)
    entry = record(world, pending, at(5, 9), at(5, 11))
    assert entry.status == RecordStatus.HELD
    assert not VolunteerHours.objects.filter(volunteer=pending).exists()
    volunteer_services.volunteer_confirm(volunteer=pending, phone=pending.phone, password="Passw0rd!2026",
                                         consents=["personal", "sensitive"])
    entry.refresh_from_db()
    assert entry.status == RecordStatus.VERIFIED
    assert VolunteerHours.objects.get(volunteer=pending).hours == Decimal("2.00")


def test_rebuild_finds_and_fixes_a_tampered_cache(world, member):
    record(world, member, at(5, 9), at(5, 11))
    NodeHours.objects.update(hours=Decimal("99"))
    diffs = ledger.rebuild_hours(fix=True)
    assert [d["table"] for d in diffs] == ["node"]
    assert ledger.rebuild_hours(fix=False) == []


def test_an_entry_long_after_the_service_is_held_for_review(world, member):
    long_ago = timezone.localdate() - datetime.timedelta(days=60)
    start = datetime.datetime.combine(long_ago, datetime.time(9), tzinfo=TZ)
    entry = record(world, member, start, start + datetime.timedelta(hours=2))
    assert entry.status == RecordStatus.HELD
    assert entry.flags == ["late_entry"]


def test_activities_whose_check_ins_have_no_evidence_are_listed_for_the_level_above(world, member):
    from jinguo.activities.models import Activity, Attendance, Shift
    from jinguo.hours import selectors

    start, end = at(5, 9), at(5, 11)
    activity = Activity.objects.create(
        organiser=world.team.node, title="只有扫码的活动", category="legal", content="-", address="-", start_at=start,
        end_at=end, capacity=5, signup_deadline=start, risk_statement="-", protection="-", status="published",
    )
    shift = Shift.objects.create(activity=activity, start_at=start, end_at=end, capacity=5)
    attendance = Attendance.objects.create(activity=activity, shift=shift, volunteer=member, status="out",
                                           check_in_at=start, check_out_at=end, in_method="qr", out_method="qr")
    assert [a.title for a in selectors.activities_without_evidence(world.district_admin)] == ["只有扫码的活动"]
    assert list(selectors.activities_without_evidence(world.leader)) == []  # not for the team itself: from above
    assert list(selectors.activities_without_evidence(world.outsider_admin)) == []
    Attendance.objects.filter(pk=attendance.pk).update(in_latitude=24.48, in_longitude=118.09)
    assert list(selectors.activities_without_evidence(world.district_admin)) == []
