"""Check-in and check-out (F6): by her own scan of the rotating QR code, by the numeric code she types, by the
leader ticking the roster; self-declared hours the leader approves; the leader's confirmation of a check-in
without a position.

Each write is one transaction (pretix's perform_checkin is the model): lock her sign-up (or attendance) row, check,
write, audit. Attendance is unique per volunteer and shift, so a repeated scan finds the row it made the first
time and writes nothing. Closing an attendance calls hooks.attendance_closed, which writes the service record
through the ledger in the same transaction: a refusal there (overlap, too short) undoes the check-out.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.orgs.choices import Role
from jinguo.orgs.models import RoleAssignment
from jinguo.orgs.services import require_scope
from jinguo.volunteers.choices import VolunteerStatus

from . import hooks, qr, selectors
from .choices import SELF_METHODS, ActivityStatus, AttendanceStatus, CheckMethod, DeclarationStatus, SignUpStatus
from .models import Activity, Attendance, HoursDeclaration, Shift, SignUp

NO_POSITION_IN = "未获取位置，请队长确认"
NO_POSITION_OUT = "签退时未获取位置，请队长确认"
OPEN_ATTENDANCE = (AttendanceStatus.CHECKED_IN, AttendanceStatus.REVIEW)
ROSTER_METHODS = (CheckMethod.ROSTER,)


@dataclass
class CheckResult:
    """What a check-in or check-out did, and what to tell her (or the leader)."""

    attendance: Attendance
    created: bool  # False: a repeated scan, nothing was written
    message: str
    level: str = "success"  # success | info | warning: the colour of the message
    record: object | None = None  # the service record written at check-out (hours app), if any


# ---- small helpers ------------------------------------------------------------------------------------------------


def haversine_m(lat1, lng1, lat2, lng2) -> int:
    """Great-circle distance in whole metres (the activities app's formula)."""
    return round(selectors.haversine_m(lat1, lng1, lat2, lng2))


def _position(latitude, longitude) -> tuple[Decimal, Decimal] | None:
    """Her position as sent by the browser, or None when it sent none (permission denied, no GPS)."""
    if latitude in (None, "") or longitude in (None, ""):
        return None
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lng = Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise DomainError("bad_position", "位置信息无效，请重新获取位置。") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("bad_position", "位置信息无效，请重新获取位置。")
    return lat, lng


def has_geofence(activity: Activity) -> bool:
    return activity.latitude is not None and activity.longitude is not None and bool(activity.geofence_m)


def _distance(activity: Activity, position) -> int | None:
    if position is None or activity.latitude is None or activity.longitude is None:
        return None
    return haversine_m(activity.latitude, activity.longitude, position[0], position[1])


def _local(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%m月%d日 %H:%M}"


def checkin_opens(shift: Shift) -> datetime.datetime:
    return shift.start_at - datetime.timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)


def checkout_closes(shift: Shift) -> datetime.datetime:
    return shift.end_at + datetime.timedelta(minutes=settings.CHECKOUT_GRACE_MINUTES)


def _authorise(actor, activity: Activity, volunteer, method: str) -> None:
    if method in SELF_METHODS:
        if not getattr(actor, "pk", None) or volunteer.user_id != actor.pk:
            raise PermissionDeniedError("只能由志愿者本人扫码或输入签到码。")
    elif method in ROSTER_METHODS:
        require_scope(actor, activity.organiser)
    else:
        raise DomainError("bad_method", "签到方式无效。")


def _check_proof(actor, activity: Activity, method: str, purpose: str, token) -> None:
    """Her own scan must prove it saw the leader's screen a moment ago: the QR token (or scan pass) or the code."""
    label = qr.PURPOSE_LABELS[purpose]
    if method == CheckMethod.QR:
        scan = qr.read_proof(token, user_id=actor.pk)
        if scan.activity_id != activity.pk:
            raise DomainError("wrong_activity", "这不是本活动的二维码，请扫描本活动现场的二维码。", field="token")
        if scan.purpose != purpose:
            other = qr.PURPOSE_LABELS[scan.purpose]
            raise DomainError("wrong_purpose", f"这是「{other}」二维码，现在不能用它{label}。", field="token")
    elif method == CheckMethod.CODE:
        if not qr.code_matches(activity.pk, purpose, str(token or "")):
            raise DomainError("bad_code", f"{label}码不正确或已过期，请核对队长屏幕上最新的 6 位数字。", field="code")


def _check_volunteer(volunteer) -> None:
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise DomainError(
            "inactive_volunteer", f"{volunteer.name}的登记{volunteer.get_status_display()}，不能签到。"
        )


def _check_insurance(activity: Activity, volunteer, shift: Shift) -> None:
    if not activity.is_risky:
        return
    missing = selectors.uncovered_days(volunteer, *selectors.shift_days(shift))
    if missing:
        raise DomainError(
            "no_insurance",
            f"本活动有一定危险性，参加者须有覆盖活动日期的意外保险（{missing[0]:%Y年%m月%d日}无有效保单）。"
            "请联系队长办理保险后再签到。",
        )


def _geofence(activity: Activity, method: str, position, purpose: str) -> tuple[int | None, str]:
    """(distance, review reason). Her own scan outside the radius is refused; without a position it goes to the
    leader for confirmation. The leader's roster is his own word and needs no position."""
    distance = _distance(activity, position)
    if method not in SELF_METHODS or not has_geofence(activity):
        return distance, ""
    if position is None:
        return None, NO_POSITION_IN if purpose == qr.IN else NO_POSITION_OUT
    if distance > activity.geofence_m:
        label = qr.PURPOSE_LABELS[purpose]
        raise DomainError(
            "out_of_range",
            f"您距活动地点约 {distance} 米，超出{label}范围（{activity.geofence_m} 米）。请到达活动地点后再{label}。",
        )
    return distance, ""


def _when(method: str, at) -> datetime.datetime:
    """Her own scan happens now; the leader may tick the roster at the shift's times, after the fact."""
    now = timezone.now()
    if at is None or method in SELF_METHODS:
        return now
    if at > now + datetime.timedelta(minutes=1):
        raise DomainError("future", "不能记录尚未到来的签到、签退时间。")
    return at


def _not_open_message(rows, at, purpose: str) -> str:
    """Why now is not the time, for sign-ups (check-in) or attendances (check-out): both have `.shift`."""
    shifts = sorted((row.shift for row in rows), key=lambda s: s.start_at)
    upcoming = [s for s in shifts if at < checkin_opens(s)]
    if upcoming:
        s = upcoming[0]
        return (
            f"还没到签到时间：班次 {_local(s.start_at)} 开始，开始前 {settings.CHECKIN_OPENS_MINUTES} 分钟起可以签到"
            f"（{_local(checkin_opens(s))}）。"
        )
    if purpose == qr.IN:
        return "本活动的班次已结束，不能再签到。如确实参加了服务，请在“我的报名”中申报服务时长。"
    return (
        f"签退时间已过（班次结束后 {settings.CHECKOUT_GRACE_MINUTES} 分钟内可以签退）。"
        "请在“我的报名”中申报服务时长，或联系队长补录。"
    )


def _leaders(node) -> list:
    return list(
        RoleAssignment.objects.current()
        .filter(node=node, role__in=(Role.TEAM_LEADER, Role.FEDERATION_ADMIN))
        .values_list("user_id", flat=True)
    )


# ---- check-in ---------------------------------------------------------------------------------------------------


@transaction.atomic
def check_in(
    *, actor, activity: Activity, volunteer, method: str, latitude=None, longitude=None, token=None,
    shift: Shift | None = None, at: datetime.datetime | None = None,
) -> CheckResult:
    """She checks in (QR, CODE) or the leader checks her in (ROSTER; `at` may be the shift's start, after the fact).

    Without `shift`, the shift is the one of her confirmed sign-ups that is open for check-in now."""
    activity = Activity.objects.select_related("organiser").get(pk=activity.pk)
    _authorise(actor, activity, volunteer, method)
    _check_proof(actor, activity, method, qr.IN, token)
    if activity.status != ActivityStatus.PUBLISHED:
        raise DomainError("not_published", f"活动「{activity.title}」{activity.get_status_display()}，不能签到。")
    at = _when(method, at)
    position = _position(latitude, longitude)

    # The lock serialises her own scans: twenty taps at once find one sign-up row and make one attendance.
    signups = list(
        SignUp.objects.select_for_update(of=("self",))
        .filter(activity=activity, volunteer=volunteer, status=SignUpStatus.CONFIRMED)
        .select_related("shift")
        .order_by("shift__start_at", "pk")
    )
    if shift is not None:
        signups = [s for s in signups if s.shift_id == shift.pk]
    if not signups:
        raise DomainError("no_signup", f"{volunteer.name}没有本活动（班次）已录用的报名，不能签到。")
    existing = {
        a.shift_id: a for a in Attendance.objects.filter(volunteer=volunteer, shift_id__in=[s.shift_id for s in signups])
    }
    open_now = [s for s in signups if checkin_opens(s.shift) <= at <= s.shift.end_at]
    if not open_now:
        # Already checked in to a shift that is closing: the repeated scan says so instead of refusing.
        for signup in signups:
            attendance = existing.get(signup.shift_id)
            if attendance is not None and attendance.status in OPEN_ATTENDANCE:
                return CheckResult(attendance, False, f"{volunteer.name}已签到（{_local(attendance.check_in_at)}）。", "info")
        raise DomainError("not_open", _not_open_message(signups, at, qr.IN))

    for signup in open_now:
        attendance = existing.get(signup.shift_id)
        if attendance is not None and attendance.status in OPEN_ATTENDANCE:
            return CheckResult(attendance, False, f"{volunteer.name}已签到（{_local(attendance.check_in_at)}），无需重复签到。", "info")
    signup = next((s for s in open_now if s.shift_id not in existing), None)
    if signup is None:
        attendance = existing[open_now[-1].shift_id]
        if attendance.status == AttendanceStatus.REJECTED:
            raise DomainError("rejected", "本班次的签到未通过队长确认，如有疑问请联系队长。")
        return CheckResult(attendance, False, f"{volunteer.name}已签退（{_local(attendance.check_out_at)}），本班次不能再次签到。", "info")

    _check_volunteer(volunteer)
    _check_insurance(activity, volunteer, signup.shift)
    distance, review = _geofence(activity, method, position, qr.IN)
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                activity=activity,
                shift=signup.shift,
                volunteer=volunteer,
                signup=signup,
                status=AttendanceStatus.REVIEW if review else AttendanceStatus.CHECKED_IN,
                check_in_at=at,
                in_method=method,
                in_latitude=position[0] if position else None,
                in_longitude=position[1] if position else None,
                in_distance_m=distance,
                recorded_by=actor if method not in SELF_METHODS else None,
                review_reason=review,
            )
    except IntegrityError:
        # A declaration approved at this very moment (it locks the same sign-up, so only on a database without
        # row locks): report what is there.
        attendance = Attendance.objects.get(volunteer=volunteer, shift=signup.shift)
        return CheckResult(attendance, False, f"{volunteer.name}已签到，无需重复签到。", "info")
    audit.record(
        actor, "attendance.checked_in", target=attendance, node_path=activity.organiser.path,
        summary=f"{volunteer.name}签到（{CheckMethod(method).label}）{_local(at)}"
        + (f"，距活动地点 {distance} 米" if distance is not None else "")
        + (f"；{review}" if review else ""),
    )
    if review:
        return CheckResult(attendance, True, f"已签到（{_local(at)}），但{review}；确认前不计入服务时长。", "warning")
    who = "签到成功" if method in SELF_METHODS else f"{volunteer.name}签到成功"
    return CheckResult(attendance, True, f"{who}（{_local(at)}）。")


# ---- check-out --------------------------------------------------------------------------------------------------


def _record_method(attendance: Attendance, out_method: str) -> str:
    """R27: the record counts as her own only when both ends were her own scans."""
    if attendance.in_method and attendance.in_method not in SELF_METHODS:
        return attendance.in_method
    return out_method


def _close(attendance: Attendance, *, actor, method: str) -> CheckResult:
    """The attendance is complete: write the service record (the ledger may refuse: the caller's transaction
    then undoes everything) and say what became of it."""
    attendance.status = AttendanceStatus.CHECKED_OUT
    attendance.save()
    hooks.attendance_closed(attendance, actor=actor, method=_record_method(attendance, attendance.out_method))
    record = attendance.records.order_by("-id").first()
    name = attendance.volunteer.name
    if record is not None and record.hold_reason and record.status != "verified":
        return CheckResult(
            attendance, True, f"{name}已签退，服务时长 {record.hours} 小时已记录，待审核：{record.hold_reason}", "warning", record
        )
    hours = f"，本次服务 {record.hours} 小时" if record is not None else ""
    return CheckResult(attendance, True, f"{name}签退成功{hours}。", "success", record)


@transaction.atomic
def check_out(
    *, actor, activity: Activity, volunteer, method: str, latitude=None, longitude=None, token=None,
    shift: Shift | None = None, at: datetime.datetime | None = None,
) -> CheckResult:
    """She checks out (QR, CODE) or the leader checks her out (ROSTER; `at` may be the shift's end)."""
    activity = Activity.objects.select_related("organiser").get(pk=activity.pk)
    _authorise(actor, activity, volunteer, method)
    _check_proof(actor, activity, method, qr.OUT, token)
    if activity.status not in (ActivityStatus.PUBLISHED, ActivityStatus.ARCHIVED):
        raise DomainError("not_published", f"活动「{activity.title}」{activity.get_status_display()}，不能签退。")
    at = _when(method, at)
    position = _position(latitude, longitude)

    attendances = list(
        Attendance.objects.select_for_update(of=("self",))
        .filter(activity=activity, volunteer=volunteer)
        .select_related("shift", "volunteer")
        .order_by("shift__start_at", "pk")
    )
    if shift is not None:
        attendances = [a for a in attendances if a.shift_id == shift.pk]
    waiting = [a for a in attendances if a.status in OPEN_ATTENDANCE and a.check_out_at is None]
    if not waiting:
        done = [a for a in attendances if a.check_out_at is not None]
        if done:
            last = done[-1]
            if last.status == AttendanceStatus.REVIEW:
                return CheckResult(last, False, f"{volunteer.name}已签退（{_local(last.check_out_at)}），待队长确认。", "info")
            return CheckResult(last, False, f"{volunteer.name}已签退（{_local(last.check_out_at)}），无需重复签退。", "info")
        raise DomainError("not_checked_in", f"{volunteer.name}还没有签到，不能签退。请先签到。")
    attendance = next((a for a in waiting if at <= checkout_closes(a.shift)), None)
    if attendance is None:
        raise DomainError("not_open", _not_open_message(waiting, at, qr.OUT))
    if at < attendance.check_in_at:
        raise DomainError("before_check_in", "签退时间不能早于签到时间。")

    distance, review = _geofence(activity, method, position, qr.OUT)
    attendance.check_out_at = at
    attendance.out_method = method
    attendance.out_latitude = position[0] if position else None
    attendance.out_longitude = position[1] if position else None
    attendance.out_distance_m = distance
    if method not in SELF_METHODS:
        attendance.recorded_by = actor
    audit.record(
        actor, "attendance.checked_out", target=attendance, node_path=activity.organiser.path,
        summary=f"{volunteer.name}签退（{CheckMethod(method).label}）{_local(at)}"
        + (f"，距活动地点 {distance} 米" if distance is not None else "")
        + (f"；{review}" if review else ""),
    )
    if attendance.status == AttendanceStatus.REVIEW or review:
        attendance.status = AttendanceStatus.REVIEW
        if review and not attendance.review_reason:
            attendance.review_reason = review
        attendance.save()
        return CheckResult(
            attendance, True, f"已记录签退时间（{_local(at)}）。{attendance.review_reason}，确认后计入服务时长。", "warning"
        )
    try:
        return _close(attendance, actor=actor, method=method)
    except DomainError as exc:
        # The ledger refused the record: the whole check-out is undone, and she should know where she stands.
        still = "您仍为已签到状态，服务结束后再签退即可。" if exc.code == "too_short" else "本次签退未记录，仍为已签到状态。"
        raise DomainError(exc.code, f"{exc.message}{still}", field=exc.field, detail=exc.detail) from exc


# ---- the leader's confirmation of a check-in without a position ------------------------------------------------


def _locked_attendance(attendance: Attendance) -> Attendance:
    return (
        Attendance.objects.select_for_update(of=("self",))
        .select_related("activity__organiser", "volunteer__user", "shift")
        .get(pk=attendance.pk)
    )


@transaction.atomic
def attendance_confirm(*, actor, attendance: Attendance) -> CheckResult:
    """The leader saw her there: a REVIEW attendance becomes a normal one (closed, with its record, if she has
    already checked out)."""
    attendance = _locked_attendance(attendance)
    require_scope(actor, attendance.activity.organiser)
    if attendance.status != AttendanceStatus.REVIEW:
        raise DomainError("not_review", "该签到不在待确认状态。")
    reason = attendance.review_reason
    attendance.review_reason = ""
    audit.record(
        actor, "attendance.confirmed", target=attendance, node_path=attendance.activity.organiser.path,
        summary=f"队长确认{attendance.volunteer.name}在场（原因：{reason}）",
    )
    if attendance.check_out_at is not None:
        return _close(attendance, actor=actor, method=attendance.out_method)
    attendance.status = AttendanceStatus.CHECKED_IN
    attendance.save()
    return CheckResult(attendance, True, f"已确认{attendance.volunteer.name}签到。")


@transaction.atomic
def attendance_reject(*, actor, attendance: Attendance, reason: str) -> Attendance:
    """The leader did not see her there: the attendance is not counted; she is told why."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请填写不予确认的原因。", field="reason")
    attendance = _locked_attendance(attendance)
    require_scope(actor, attendance.activity.organiser)
    if attendance.status != AttendanceStatus.REVIEW:
        raise DomainError("not_review", "该签到不在待确认状态。")
    attendance.status = AttendanceStatus.REJECTED
    attendance.review_reason = f"未予确认：{reason}"[:300]
    attendance.save()
    audit.record(
        actor, "attendance.rejected", target=attendance, node_path=attendance.activity.organiser.path,
        summary=f"不予确认{attendance.volunteer.name}的签到：{reason}",
    )
    notify.notify([attendance.volunteer.user], "签到未予确认", f"「{attendance.activity.title}」：{reason}")
    return attendance


# ---- the roster, in bulk ----------------------------------------------------------------------------------------


@dataclass
class RosterOutcome:
    volunteer: object
    ok: bool
    message: str


def roster_check(*, actor, shift: Shift, volunteers, purpose: str, at_shift_time: bool) -> list[RosterOutcome]:
    """The leader ticks people on the roster: each one is checked in or out in her own transaction, so that one
    refusal (an overlap, say) does not undo the others. `at_shift_time`: at the shift's start (in) or end (out),
    for a roster taken after the fact; otherwise now."""
    if purpose not in qr.PURPOSES:
        raise DomainError("bad_purpose", "操作无效。")
    at = None
    if at_shift_time:
        at = shift.start_at if purpose == qr.IN else shift.end_at
    service = check_in if purpose == qr.IN else check_out
    outcomes = []
    for volunteer in volunteers:
        try:
            result = service(
                actor=actor, activity=shift.activity, volunteer=volunteer, method=CheckMethod.ROSTER, shift=shift, at=at
            )
        except DomainError as exc:
            outcomes.append(RosterOutcome(volunteer, False, exc.message))
        else:
            outcomes.append(RosterOutcome(volunteer, result.created, result.message))
    return outcomes


# ---- self-declared hours --------------------------------------------------------------------------------------


@transaction.atomic
def declaration_create(*, actor, signup: SignUp, start_at, end_at, note: str) -> HoursDeclaration:
    """She declares the time she served on a shift she was confirmed for (she forgot to scan, had no phone…)."""
    signup = SignUp.objects.select_for_update(of=("self",)).select_related("shift", "activity__organiser", "volunteer").get(
        pk=signup.pk
    )
    volunteer = signup.volunteer
    if not getattr(actor, "pk", None) or volunteer.user_id != actor.pk:
        raise PermissionDeniedError("只能由志愿者本人申报服务时长。")
    if signup.status != SignUpStatus.CONFIRMED:
        raise DomainError("not_confirmed", "只有已录用的报名可以申报服务时长。")
    note = (note or "").strip()
    if not note:
        raise DomainError("required", "请说明服务情况（如：忘记扫码签退）。", field="note")
    if start_at is None or end_at is None:
        raise DomainError("required", "请填写开始和结束时间。", field="start_at")
    if end_at <= start_at:
        raise DomainError("bad_times", "结束时间应晚于开始时间。", field="end_at")
    if end_at > timezone.now():
        raise DomainError("future", "只能申报已经完成的服务时长。", field="end_at")
    shift = signup.shift
    if start_at >= shift.end_at or end_at <= shift.start_at:
        raise DomainError(
            "outside_shift", f"申报的时间应在班次时间内（{_local(shift.start_at)}—{_local(shift.end_at)}）。", field="start_at"
        )
    attendance = Attendance.objects.filter(volunteer=volunteer, shift=shift).first()
    if attendance is not None and attendance.status == AttendanceStatus.CHECKED_OUT:
        raise DomainError("already_closed", "本班次已有签到签退记录。如时长有误，请在“我的服务记录”中申请更正。")
    if attendance is not None and attendance.status == AttendanceStatus.REJECTED:
        raise DomainError("rejected", "本班次的签到未通过队长确认，如有疑问请联系队长。")
    if HoursDeclaration.objects.filter(volunteer=volunteer, shift=shift, status=DeclarationStatus.PENDING).exists():
        raise DomainError("duplicate", "您已申报过本班次的服务时长，请等待队长审核。")
    declaration = HoursDeclaration.objects.create(
        activity=signup.activity, shift=shift, volunteer=volunteer, start_at=start_at, end_at=end_at, note=note[:300]
    )
    audit.record(
        actor, "declaration.created", target=declaration, node_path=signup.activity.organiser.path,
        summary=f"申报服务时长 {_local(start_at)}—{_local(end_at)}：{note}",
    )
    notify.notify(
        _leaders(signup.activity.organiser), "新的服务时长申报",
        f"{volunteer.name}申报了「{signup.activity.title}」的服务时长，请审核。",
    )
    return declaration


def _locked_declaration(declaration: HoursDeclaration) -> HoursDeclaration:
    declaration = (
        HoursDeclaration.objects.select_for_update(of=("self",))
        .select_related("activity__organiser", "volunteer__user", "shift")
        .get(pk=declaration.pk)
    )
    return declaration


@transaction.atomic
def declaration_approve(*, actor, declaration: HoursDeclaration) -> CheckResult:
    """The leader approves: her attendance is closed with method DECLARED and the ledger writes the record
    (marked as entered by someone else, R27). A refusal by the ledger undoes the approval."""
    declaration = _locked_declaration(declaration)
    activity = declaration.activity
    require_scope(actor, activity.organiser)
    if declaration.status != DeclarationStatus.PENDING:
        raise DomainError("closed", "该申报已处理。")
    signup = (
        SignUp.objects.select_for_update(of=("self",))
        .filter(shift=declaration.shift, volunteer=declaration.volunteer, status=SignUpStatus.CONFIRMED)
        .first()
    )
    attendance = (
        Attendance.objects.select_for_update(of=("self",))
        .filter(volunteer=declaration.volunteer, shift=declaration.shift)
        .first()
    )
    if attendance is not None and attendance.status in (AttendanceStatus.CHECKED_OUT, AttendanceStatus.REJECTED):
        raise DomainError("already_closed", "本班次已有签到签退记录，不能再按申报记录。")
    if attendance is None:
        attendance = Attendance(
            activity=activity, shift=declaration.shift, volunteer=declaration.volunteer, signup=signup,
            check_in_at=declaration.start_at, in_method=CheckMethod.DECLARED,
        )
    # Checked in but never out (she forgot): her check-in stands, the declared end closes it.
    attendance.check_out_at = declaration.end_at
    attendance.out_method = CheckMethod.DECLARED
    attendance.recorded_by = actor
    attendance.review_reason = ""
    declaration.status = DeclarationStatus.APPROVED
    declaration.decided_by = actor
    declaration.decided_at = timezone.now()
    declaration.save()
    result = _close(attendance, actor=actor, method=CheckMethod.DECLARED)
    audit.record(
        actor, "declaration.approved", target=declaration, node_path=activity.organiser.path,
        summary=f"通过{declaration.volunteer.name}的时长申报",
    )
    notify.notify([declaration.volunteer.user], "时长申报已通过", f"「{activity.title}」：{result.message}")
    return result


@transaction.atomic
def declaration_reject(*, actor, declaration: HoursDeclaration, reason: str) -> HoursDeclaration:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请写明不通过的原因，便于本人了解。", field="reason")
    declaration = _locked_declaration(declaration)
    require_scope(actor, declaration.activity.organiser)
    if declaration.status != DeclarationStatus.PENDING:
        raise DomainError("closed", "该申报已处理。")
    declaration.status = DeclarationStatus.REJECTED
    declaration.decided_by = actor
    declaration.decided_at = timezone.now()
    declaration.decision_note = reason[:300]
    declaration.save()
    audit.record(
        actor, "declaration.rejected", target=declaration, node_path=declaration.activity.organiser.path,
        summary=f"未通过{declaration.volunteer.name}的时长申报：{reason}",
    )
    notify.notify([declaration.volunteer.user], "时长申报未通过", f"「{declaration.activity.title}」：{reason}")
    return declaration
