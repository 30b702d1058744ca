"""Check-in and check-out services (F6): QR, code, roster, geofence, insurance, repeated scans, the ledger's refusals
and holds, the leader's confirmation, self-declared hours.

The helpers at the top build activities from the models directly (as tests/conftest.py does), so that these tests
do not depend on the publishing services; the other check-in test modules import them."""

import contextlib
import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from jinguo.activities import checkin, qr
from jinguo.activities.models import Activity, Attendance, HoursDeclaration, InsurancePolicy, Shift, SignUp
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Notification
from jinguo.hours import ledger
from jinguo.hours.models import RecordStatus, ServiceRecord, VolunteerHours

# 湖滨社区活动室 (a point in Xiamen) and points about 100 m and 2 km from it.
HERE = (Decimal("24.480000"), Decimal("118.090000"))
NEAR = (Decimal("24.480900"), Decimal("118.090000"))
FAR = (Decimal("24.498000"), Decimal("118.090000"))


def make_activity(world, *, start=None, end=None, organiser=None, geofence=None, risky=False, title="湖滨社区普法宣传"):
    """A published activity of world.team with one shift; by default it started 2 hours ago and ends in 1 hour."""
    now = timezone.now()
    start = start or now - datetime.timedelta(hours=2)
    end = end or now + datetime.timedelta(hours=1)
    activity = Activity.objects.create(
        organiser=organiser or world.team.node, title=title, category="legal", content="社区普法宣传",
        address="湖滨社区活动室", start_at=start, end_at=end, capacity=10, signup_deadline=start,
        risk_statement="天气炎热，注意防暑", protection="配备饮用水和急救包", status="published",
        published_at=start - datetime.timedelta(days=3), created_by=world.leader, is_risky=risky,
        latitude=HERE[0] if geofence else None, longitude=HERE[1] if geofence else None, geofence_m=geofence,
    )
    Shift.objects.create(activity=activity, start_at=start, end_at=end, capacity=10)
    return activity


def sign_up(activity, volunteer, status="confirmed") -> SignUp:
    return SignUp.objects.create(activity=activity, shift=activity.shifts.get(), volunteer=volunteer, status=status)


@contextlib.contextmanager
def travel(when: datetime.datetime):
    """Run as if the clock showed `when` (the ledger and the services read django.utils.timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def scan_in(activity, volunteer, **extra):
    return checkin.check_in(
        actor=volunteer.user, activity=activity, volunteer=volunteer, method="qr",
        token=qr.make_token(activity.pk, qr.IN), **extra,
    )


def scan_out(activity, volunteer, **extra):
    return checkin.check_out(
        actor=volunteer.user, activity=activity, volunteer=volunteer, method="qr",
        token=qr.make_token(activity.pk, qr.OUT), **extra,
    )


def scan_in_earlier(activity, volunteer, minutes_ago=90, **extra):
    """She scanned in `minutes_ago` minutes ago (the token is today's; only the clock of the service moves)."""
    with travel(timezone.now() - datetime.timedelta(minutes=minutes_ago)):
        return scan_in(activity, volunteer, **extra)


# ---- QR: the normal day, repeated scans, bad tokens -------------------------------------------------------------


def test_qr_check_in_and_out_writes_one_record_of_her_own(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    result = scan_in_earlier(activity, member, minutes_ago=90)
    assert (result.created, result.attendance.status, result.attendance.in_method) == (True, "in", "qr")
    assert result.attendance.recorded_by is None

    out = scan_out(activity, member)
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.out_method) == ("out", "qr")
    record = ServiceRecord.objects.get()
    assert out.record == record
    assert record.hours == Decimal("1.50")  # 90 minutes, rounded down to half hours
    assert (record.method, record.entered_by_other, record.status) == ("qr", False, RecordStatus.VERIFIED)
    assert record.attendance_id == attendance.pk
    assert out.message == f"{member.name}签退成功，本次服务 1.50 小时。"
    assert VolunteerHours.objects.get(volunteer=member).hours == Decimal("1.50")
    actions = list(AuditLog.objects.filter(action__startswith="attendance.").values_list("action", flat=True))
    assert sorted(actions) == ["attendance.checked_in", "attendance.checked_out"]


def test_a_repeated_scan_creates_nothing(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    first = scan_in(activity, member)
    audits = AuditLog.objects.count()
    again = scan_in(activity, member)
    assert again.created is False
    assert again.attendance.pk == first.attendance.pk
    assert "已签到" in again.message
    assert Attendance.objects.count() == 1
    assert AuditLog.objects.count() == audits


def test_a_repeated_check_out_creates_nothing(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    scan_in_earlier(activity, member)
    scan_out(activity, member)
    again = scan_out(activity, member)
    assert again.created is False
    assert "已签退" in again.message
    assert ServiceRecord.objects.count() == 1
    # and scanning the check-in code after checking out does not open a new attendance
    after = scan_in(activity, member)
    assert after.created is False
    assert "已签退" in after.message
    assert Attendance.objects.count() == 1


def test_forged_and_expired_tokens_are_refused(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    token = qr.make_token(activity.pk, qr.IN)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_activity = f"{activity.pk + 1}" + token[len(str(activity.pk)):]
    expired = qr.make_token(activity.pk, qr.IN, window=qr.window_now() - 2)
    cases = [(forged, "bad_token"), (other_activity, "bad_token"), (expired, "expired_token"), ("", "bad_token"),
             ("1.x.2.3", "bad_token")]
    for bad, code in cases:
        with pytest.raises(DomainError) as excinfo:
            checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="qr", token=bad)
        assert excinfo.value.code == code, bad
    assert not Attendance.objects.exists()


def test_the_previous_window_is_still_accepted(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    token = qr.make_token(activity.pk, qr.IN, window=qr.window_now() - 1)
    result = checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="qr", token=token)
    assert result.created is True


def test_the_check_out_code_does_not_check_in_and_another_activity_s_code_does_not_either(world, member):
    activity = make_activity(world)
    other = make_activity(world, title="另一场活动")
    sign_up(activity, member)
    with pytest.raises(DomainError) as excinfo:
        checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="qr",
                         token=qr.make_token(activity.pk, qr.OUT))
    assert excinfo.value.code == "wrong_purpose"
    with pytest.raises(DomainError) as excinfo:
        checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="qr",
                         token=qr.make_token(other.pk, qr.IN))
    assert excinfo.value.code == "wrong_activity"
    assert not Attendance.objects.exists()


def test_a_scan_pass_is_bound_to_her_and_expires(world, member, make_volunteer):
    activity = make_activity(world)
    sign_up(activity, member)
    scan = qr.read_token(qr.make_token(activity.pk, qr.IN))
    her_pass = qr.make_scan_pass(scan, member.user.pk)
    friend = make_volunteer(team=world.team.node)
    sign_up(activity, friend)
    with pytest.raises(DomainError) as excinfo:
        checkin.check_in(actor=friend.user, activity=activity, volunteer=friend, method="qr", token=her_pass)
    assert excinfo.value.code == "bad_token"
    later = timezone.now().timestamp() + qr.SCAN_PASS_SECONDS + 5
    with mock.patch("time.time", return_value=later), pytest.raises(DomainError) as excinfo:
        checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="qr", token=her_pass)
    assert excinfo.value.code == "expired_token"
    assert not Attendance.objects.exists()
    assert checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="qr", token=her_pass).created


# ---- refusals ----------------------------------------------------------------------------------------------------


def test_check_out_before_check_in_is_refused(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    with pytest.raises(DomainError) as excinfo:
        scan_out(activity, member)
    assert excinfo.value.code == "not_checked_in"
    assert excinfo.value.message == f"{member.name}还没有签到，不能签退。请先签到。"
    assert not Attendance.objects.exists()
    assert not ServiceRecord.objects.exists()


def test_overlap_refuses_the_check_out_with_the_reason_and_undoes_it(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    scan_in_earlier(activity, member, minutes_ago=90)
    # Another organiser already recorded her for the same hour (the district's own event).
    start = timezone.now() - datetime.timedelta(minutes=60)
    ledger.record_create(volunteer=member, organiser=world.district, start_at=start, end_at=start + datetime.timedelta(hours=1),
                         method="roster", actor=world.district_admin)
    with pytest.raises(DomainError) as excinfo:
        scan_out(activity, member)
    assert excinfo.value.code == "overlap"
    assert "已有服务记录（思明区妇联）" in excinfo.value.message
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.check_out_at, attendance.out_method) == ("in", None, "")
    assert ServiceRecord.objects.count() == 1
    assert not AuditLog.objects.filter(action="attendance.checked_out").exists()


def test_too_short_is_refused_and_she_stays_checked_in(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    scan_in(activity, member)
    with pytest.raises(DomainError) as excinfo:
        scan_out(activity, member)
    assert excinfo.value.code == "too_short"
    assert excinfo.value.message == "服务时长不足 30 分钟，不计时长。您仍为已签到状态，服务结束后再签退即可。"
    assert Attendance.objects.get().status == "in"
    assert not ServiceRecord.objects.exists()


def test_no_confirmed_sign_up_no_check_in(world, member, make_volunteer):
    activity = make_activity(world)
    sign_up(activity, member, status="waitlisted")
    with pytest.raises(DomainError) as excinfo:
        scan_in(activity, member)
    assert excinfo.value.code == "no_signup"
    stranger = make_volunteer(team=world.team_b.node, home=world.other_community)
    with pytest.raises(DomainError):
        scan_in(activity, stranger)
    assert not Attendance.objects.exists()


def test_check_in_opens_before_the_shift_and_closes_at_its_end(world, member):
    now = timezone.now()
    later = make_activity(world, start=now + datetime.timedelta(hours=3), end=now + datetime.timedelta(hours=5))
    sign_up(later, member)
    with pytest.raises(DomainError) as excinfo:
        scan_in(later, member)
    assert excinfo.value.code == "not_open"
    assert "还没到签到时间" in excinfo.value.message
    soon = make_activity(world, start=now + datetime.timedelta(minutes=30), end=now + datetime.timedelta(hours=2),
                         title="半小时后开始")
    sign_up(soon, member)
    assert scan_in(soon, member).created  # within CHECKIN_OPENS_MINUTES (60) before the start
    past = make_activity(world, start=now - datetime.timedelta(hours=5), end=now - datetime.timedelta(hours=4),
                         title="已结束的活动")
    sign_up(past, member)
    with pytest.raises(DomainError) as excinfo:
        scan_in(past, member)
    assert "申报服务时长" in excinfo.value.message
    assert Attendance.objects.count() == 1


@override_settings(CHECKOUT_GRACE_MINUTES=30)
def test_check_out_after_the_grace_period_is_refused(world, member):
    now = timezone.now()
    activity = make_activity(world, start=now - datetime.timedelta(hours=4), end=now - datetime.timedelta(hours=1))
    sign_up(activity, member)
    with travel(now - datetime.timedelta(hours=3)):
        scan_in(activity, member)
    with pytest.raises(DomainError) as excinfo:
        scan_out(activity, member)
    assert excinfo.value.code == "not_open"
    assert "签退时间已过" in excinfo.value.message
    assert Attendance.objects.get().status == "in"


def test_someone_else_cannot_scan_for_her(world, member, make_volunteer):
    activity = make_activity(world)
    sign_up(activity, member)
    friend = make_volunteer(team=world.team.node)
    for actor in (friend.user, world.leader, world.outsider_admin):
        with pytest.raises(PermissionDeniedError):
            checkin.check_in(actor=actor, activity=activity, volunteer=member, method="qr",
                             token=qr.make_token(activity.pk, qr.IN))
    assert not Attendance.objects.exists()


def test_a_frozen_volunteer_cannot_check_in(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    type(member).objects.filter(pk=member.pk).update(status="frozen")
    member.refresh_from_db()
    with pytest.raises(DomainError) as excinfo:
        scan_in(activity, member)
    assert excinfo.value.code == "inactive_volunteer"
    assert not Attendance.objects.exists()


def test_a_cancelled_activity_takes_no_check_in(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    Activity.objects.filter(pk=activity.pk).update(status="cancelled")
    with pytest.raises(DomainError) as excinfo:
        scan_in(activity, member)
    assert excinfo.value.code == "not_published"
    assert not Attendance.objects.exists()


def test_risky_activity_needs_insurance_on_the_day(world, member):
    activity = make_activity(world, risky=True)
    sign_up(activity, member)
    with pytest.raises(DomainError) as excinfo:
        scan_in(activity, member)
    assert excinfo.value.code == "no_insurance"
    assert not Attendance.objects.exists()
    today = timezone.localdate()
    policy = InsurancePolicy.objects.create(
        holder=world.district, insurer="中国人寿", policy_number="P2026001", starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=30),
    )
    policy.volunteers.add(member)
    assert scan_in(activity, member).created


# ---- geofence -------------------------------------------------------------------------------------------------


def test_geofence_inside_outside_and_without_a_position(world, member, make_volunteer):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    with pytest.raises(DomainError) as excinfo:
        scan_in(activity, member, latitude=FAR[0], longitude=FAR[1])
    assert excinfo.value.code == "out_of_range"
    assert "超出签到范围（300 米）" in excinfo.value.message
    assert not Attendance.objects.exists()

    inside = scan_in(activity, member, latitude=NEAR[0], longitude=NEAR[1])
    assert (inside.attendance.status, inside.attendance.in_distance_m) == ("in", 100)

    other = make_volunteer(team=world.team.node)
    sign_up(activity, other)
    blind = scan_in(activity, other)  # permission denied in her browser: no position sent
    assert blind.attendance.status == "review"
    assert blind.attendance.review_reason == "未获取位置，请队长确认"
    assert blind.level == "warning"
    assert "未获取位置，请队长确认" in blind.message


def test_the_leader_confirms_a_check_in_without_position_and_the_record_follows(world, member):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    blind = scan_in_earlier(activity, member, minutes_ago=120)
    out = scan_out(activity, member)  # still no position: recorded, waiting for the leader
    assert out.level == "warning"
    assert not ServiceRecord.objects.exists()
    with pytest.raises(PermissionDeniedError):
        checkin.attendance_confirm(actor=world.outsider_leader, attendance=blind.attendance)
    assert Attendance.objects.get().status == "review"
    result = checkin.attendance_confirm(actor=world.leader, attendance=blind.attendance)
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.review_reason) == ("out", "")
    record = ServiceRecord.objects.get()
    assert result.record == record
    assert (record.hours, record.method, record.entered_by_other) == (Decimal("2.00"), "qr", False)


def test_the_leader_rejects_a_check_in_without_position(world, member):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    blind = scan_in(activity, member)
    with pytest.raises(DomainError):
        checkin.attendance_reject(actor=world.leader, attendance=blind.attendance, reason="  ")
    checkin.attendance_reject(actor=world.leader, attendance=blind.attendance, reason="现场未见本人")
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.review_reason) == ("rejected", "未予确认：现场未见本人")
    assert Notification.objects.filter(user=member.user, title="签到未予确认").count() == 1
    with pytest.raises(DomainError) as excinfo:
        scan_in(activity, member)
    assert excinfo.value.code == "rejected"


def test_check_out_outside_the_fence_is_refused(world, member):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    scan_in_earlier(activity, member, latitude=HERE[0], longitude=HERE[1])
    with pytest.raises(DomainError) as excinfo:
        scan_out(activity, member, latitude=FAR[0], longitude=FAR[1])
    assert excinfo.value.code == "out_of_range"
    assert Attendance.objects.get().check_out_at is None
    scan_out(activity, member, latitude=HERE[0], longitude=HERE[1])
    assert ServiceRecord.objects.count() == 1


def test_a_bad_position_is_refused(world, member):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    for lat, lng in (("abc", "118"), ("91", "118"), ("24", "181")):
        with pytest.raises(DomainError) as excinfo:
            scan_in(activity, member, latitude=lat, longitude=lng)
        assert excinfo.value.code == "bad_position"
    assert not Attendance.objects.exists()


def test_haversine():
    assert checkin.haversine_m(*HERE, *NEAR) == 100
    assert checkin.haversine_m(*HERE, *HERE) == 0
    assert 1990 <= checkin.haversine_m(*HERE, *FAR) <= 2010


# ---- the numeric code and the roster (R27) -------------------------------------------------------------------


def test_the_numeric_code_is_her_own_check_in(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    with pytest.raises(DomainError) as excinfo:
        checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="code", token="000000"
                         if qr.numeric_code(activity.pk, qr.IN) != "000000" else "111111")
    assert excinfo.value.code == "bad_code"
    with travel(timezone.now() - datetime.timedelta(minutes=60)):
        checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="code",
                         token=qr.numeric_code(activity.pk, qr.IN))
    checkin.check_out(actor=member.user, activity=activity, volunteer=member, method="code",
                      token=qr.numeric_code(activity.pk, qr.OUT))
    record = ServiceRecord.objects.get()
    assert (record.method, record.entered_by_other, record.hours) == ("code", False, Decimal("1.00"))


def test_the_numeric_code_is_six_digits_and_changes_with_the_window():
    codes = {qr.numeric_code(7, qr.IN, w) for w in range(100, 120)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) >= 19
    assert qr.numeric_code(7, qr.IN, 100) != qr.numeric_code(7, qr.OUT, 100)
    assert qr.code_matches(7, qr.IN, qr.numeric_code(7, qr.IN))
    assert qr.code_matches(7, qr.IN, qr.numeric_code(7, qr.IN, qr.window_now() - 1))
    assert not qr.code_matches(7, qr.IN, qr.numeric_code(7, qr.IN, qr.window_now() - 2))


def test_roster_check_in_and_out_marks_the_record_as_entered_by_the_leader(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    shift = activity.shifts.get()
    outcomes = checkin.roster_check(actor=world.leader, shift=shift, volunteers=[member], purpose="in", at_shift_time=True)
    assert [(o.ok, o.message) for o in outcomes] == [(True, f"{member.name}签到成功（{checkin._local(shift.start_at)}）。")]
    attendance = Attendance.objects.get()
    assert (attendance.in_method, attendance.recorded_by, attendance.check_in_at) == ("roster", world.leader, shift.start_at)
    checkin.roster_check(actor=world.leader, shift=shift, volunteers=[member], purpose="out", at_shift_time=False)
    record = ServiceRecord.objects.get()
    assert (record.method, record.entered_by_other, record.recorded_by) == ("roster", True, world.leader)
    assert record.hours == Decimal("2.00")


def test_her_scan_in_and_the_leader_s_check_out_is_marked_too(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    scan_in_earlier(activity, member)
    checkin.check_out(actor=world.leader, activity=activity, volunteer=member, method="roster")
    record = ServiceRecord.objects.get()
    assert (record.method, record.entered_by_other) == ("roster", True)


def test_outsiders_cannot_use_the_roster(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    shift = activity.shifts.get()
    for outsider in (world.outsider_leader, world.outsider_admin, world.district_staff):
        outcomes = checkin.roster_check(actor=outsider, shift=shift, volunteers=[member], purpose="in", at_shift_time=True)
        assert [o.ok for o in outcomes] == [False]
    assert not Attendance.objects.exists()


def test_one_refusal_in_a_roster_does_not_undo_the_others(world, member, make_volunteer):
    activity = make_activity(world)
    shift = activity.shifts.get()
    sign_up(activity, member)
    second = make_volunteer(team=world.team.node)
    sign_up(activity, second)
    checkin.roster_check(actor=world.leader, shift=shift, volunteers=[member, second], purpose="in", at_shift_time=True)
    start = shift.start_at
    ledger.record_create(volunteer=second, organiser=world.district, start_at=start, end_at=start + datetime.timedelta(hours=1),
                         method="roster", actor=world.district_admin)
    outcomes = checkin.roster_check(actor=world.leader, shift=shift, volunteers=[member, second], purpose="out",
                                    at_shift_time=False)
    assert [o.ok for o in outcomes] == [True, False]
    assert "同一时间不能有两条记录" in outcomes[1].message
    assert Attendance.objects.get(volunteer=member).status == "out"
    assert Attendance.objects.get(volunteer=second).status == "in"


# ---- holds --------------------------------------------------------------------------------------------------------


@override_settings(HOURS_DAILY_CAP=1)
def test_a_record_past_the_daily_cap_is_held_and_she_is_told(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    scan_in_earlier(activity, member, minutes_ago=120)
    out = scan_out(activity, member)
    assert out.level == "warning"
    assert out.message.endswith("待审核：当日累计服务时长超过上限")
    record = ServiceRecord.objects.get()
    assert record.status == RecordStatus.HELD
    assert not VolunteerHours.objects.filter(volunteer=member).exists()


# ---- self-declared hours --------------------------------------------------------------------------------------


def _declare(activity, member, *, after_start=1, length=2, note="忘记扫码签到"):
    """She declares `length` hours from `after_start` hours after her shift began."""
    signup = SignUp.objects.get(activity=activity, volunteer=member)
    start = signup.shift.start_at + datetime.timedelta(hours=after_start)
    return checkin.declaration_create(
        actor=member.user, signup=signup, start_at=start, end_at=start + datetime.timedelta(hours=length), note=note
    )


def test_declared_hours_approved_write_one_record_marked_as_entered_by_the_leader(world, member):
    now = timezone.now()
    activity = make_activity(world, start=now - datetime.timedelta(hours=4), end=now - datetime.timedelta(hours=1))
    sign_up(activity, member)
    declaration = _declare(activity, member)
    assert Notification.objects.filter(user=world.leader, title="新的服务时长申报").count() == 1
    with pytest.raises(DomainError) as excinfo:
        _declare(activity, member)
    assert excinfo.value.code == "duplicate"
    with pytest.raises(PermissionDeniedError):
        checkin.declaration_approve(actor=world.outsider_leader, declaration=declaration)
    assert not ServiceRecord.objects.exists()

    result = checkin.declaration_approve(actor=world.leader, declaration=declaration)
    declaration.refresh_from_db()
    assert (declaration.status, declaration.decided_by) == ("approved", world.leader)
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.in_method, attendance.out_method) == ("out", "declared", "declared")
    record = ServiceRecord.objects.get()
    assert result.record == record
    assert (record.method, record.entered_by_other, record.hours) == ("declared", True, Decimal("2.00"))
    assert Notification.objects.filter(user=member.user, title="时长申报已通过").count() == 1
    with pytest.raises(DomainError):
        checkin.declaration_approve(actor=world.leader, declaration=declaration)
    assert ServiceRecord.objects.count() == 1


def test_a_declaration_closes_an_attendance_she_forgot_to_check_out(world, member):
    now = timezone.now()
    activity = make_activity(world, start=now - datetime.timedelta(hours=5), end=now - datetime.timedelta(hours=3))
    sign_up(activity, member)
    with travel(now - datetime.timedelta(hours=5)):
        scan_in(activity, member)
    declaration = _declare(activity, member, after_start=0, length=2, note="忘记签退")
    checkin.declaration_approve(actor=world.leader, declaration=declaration)
    attendance = Attendance.objects.get()
    assert (attendance.in_method, attendance.out_method, attendance.status) == ("qr", "declared", "out")
    assert ServiceRecord.objects.get().method == "declared"


def test_declarations_are_checked_and_can_be_rejected(world, member, make_volunteer):
    now = timezone.now()
    activity = make_activity(world, start=now - datetime.timedelta(hours=4), end=now - datetime.timedelta(hours=1))
    sign_up(activity, member)
    signup = SignUp.objects.get()
    start = now - datetime.timedelta(hours=3)
    bad = [
        ({"start_at": start, "end_at": start, "note": "x"}, "bad_times"),
        ({"start_at": start, "end_at": now + datetime.timedelta(hours=1), "note": "x"}, "future"),
        ({"start_at": now - datetime.timedelta(hours=9), "end_at": now - datetime.timedelta(hours=8), "note": "x"},
         "outside_shift"),
        ({"start_at": start, "end_at": start + datetime.timedelta(hours=1), "note": " "}, "required"),
    ]
    for data, code in bad:
        with pytest.raises(DomainError) as excinfo:
            checkin.declaration_create(actor=member.user, signup=signup, **data)
        assert excinfo.value.code == code
    friend = make_volunteer(team=world.team.node)
    with pytest.raises(PermissionDeniedError):
        checkin.declaration_create(actor=friend.user, signup=signup, start_at=start, end_at=start + datetime.timedelta(hours=1),
                                   note="替她申报")
    assert not HoursDeclaration.objects.exists()

    declaration = _declare(activity, member)
    with pytest.raises(DomainError) as excinfo:
        checkin.declaration_reject(actor=world.leader, declaration=declaration, reason="")
    assert excinfo.value.field == "reason"
    checkin.declaration_reject(actor=world.leader, declaration=declaration, reason="当天未见本人")
    declaration.refresh_from_db()
    assert (declaration.status, declaration.decision_note) == ("rejected", "当天未见本人")
    assert not Attendance.objects.exists()
    assert Notification.objects.filter(user=member.user, title="时长申报未通过", body__contains="当天未见本人").exists()


def test_no_declaration_once_the_shift_is_closed(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    scan_in_earlier(activity, member)
    scan_out(activity, member)
    with pytest.raises(DomainError) as excinfo:
        _declare(activity, member, after_start=0, length=1)
    assert excinfo.value.code == "already_closed"
