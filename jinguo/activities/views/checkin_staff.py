"""The leader's check-in pages: the rotating QR code on a screen (with the 6-digit code and live counts), the
roster for ticking people in and out, confirming check-ins without a position, approving declared hours."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError
from jinguo.core.scope import get_scope
from jinguo.core.shortcuts import run_service

from .. import checkin, qr
from ..choices import ActivityStatus, AttendanceStatus, DeclarationStatus, SignUpStatus
from ..models import Attendance, HoursDeclaration, SignUp
from .checkin_forms import ROSTER_ACTIONS, ReasonForm
from .common import staff_activity

SCREEN_REFRESH_SECONDS = 20


def _counts(activity) -> dict:
    figures = Attendance.objects.filter(activity=activity).aggregate(
        checked_in=Count("pk", filter=Q(status__in=(AttendanceStatus.CHECKED_IN, AttendanceStatus.REVIEW),
                                          check_out_at__isnull=True)),
        checked_out=Count("pk", filter=Q(status=AttendanceStatus.CHECKED_OUT)),
        review=Count("pk", filter=Q(status=AttendanceStatus.REVIEW)),
    )
    figures["confirmed"] = SignUp.objects.filter(activity=activity, status=SignUpStatus.CONFIRMED).count()
    return figures


def _purpose(request) -> str:
    return qr.OUT if request.GET.get("purpose") == qr.OUT else qr.IN


def _screen_context(request, activity, purpose: str) -> dict:
    open_for_checkin = activity.status == ActivityStatus.PUBLISHED or (
        purpose == qr.OUT and activity.status == ActivityStatus.ARCHIVED
    )
    context = {
        "activity": activity,
        "purpose": purpose,
        "purpose_label": qr.PURPOSE_LABELS[purpose],
        "counts": _counts(activity),
        "open_for_checkin": open_for_checkin,
        "refresh_seconds": SCREEN_REFRESH_SECONDS,
        "now": timezone.localtime(),
    }
    if open_for_checkin:
        token = qr.make_token(activity.pk, purpose)
        scan_url = request.build_absolute_uri(reverse("activities:checkin_scan", args=[token]))
        context.update(
            scan_url=scan_url,
            qr_svg=segno.make(scan_url, error="m").svg_inline(scale=8, omitsize=True, border=2),
            code=qr.numeric_code(activity.pk, purpose),
            seconds_left=qr.seconds_left(),
        )
    return context


@login_required
def screen(request, pk):
    """The big screen (or the leader's phone) at the activity: scan me to check in / out."""
    activity = staff_activity(request, pk, "change")
    purpose = _purpose(request)
    return render(request, "activities/checkin/screen.html", _screen_context(request, activity, purpose))


@login_required
def screen_qr(request, pk):
    """The part of the screen that changes: refreshed by HTMX every SCREEN_REFRESH_SECONDS."""
    activity = staff_activity(request, pk, "change")
    response = render(request, "activities/checkin/_screen_qr.html", _screen_context(request, activity, _purpose(request)))
    response["Cache-Control"] = "no-store"
    return response


def _rows(activity, shift) -> list[dict]:
    """Everyone confirmed for the shift, and anyone with an attendance on it, with their attendance."""
    signups = list(
        SignUp.objects.filter(shift=shift, status=SignUpStatus.CONFIRMED).select_related("volunteer").order_by("created_at")
    )
    attendances = {
        a.volunteer_id: a
        for a in Attendance.objects.filter(shift=shift).select_related("volunteer", "recorded_by")
    }
    rows, seen = [], set()
    for signup in signups:
        seen.add(signup.volunteer_id)
        rows.append({"volunteer": signup.volunteer, "signup": signup, "attendance": attendances.get(signup.volunteer_id)})
    for volunteer_id, attendance in attendances.items():
        if volunteer_id not in seen:
            rows.append({"volunteer": attendance.volunteer, "signup": None, "attendance": attendance})
    return rows


@login_required
def roster(request, pk):
    """Tick people in and out (now, or at the shift's times after the fact); confirm check-ins without a position;
    approve declared hours."""
    activity = staff_activity(request, pk, "view")
    shifts = list(activity.shifts.all())
    shift = next((s for s in shifts if str(s.pk) == request.GET.get("shift")), None)
    if shift is None and shifts:
        now = timezone.now()
        shift = next((s for s in shifts if s.end_at >= now), shifts[-1])
    rows = _rows(activity, shift) if shift else []
    declarations = (
        HoursDeclaration.objects.filter(activity=activity, status=DeclarationStatus.PENDING)
        .select_related("volunteer", "shift")
        .order_by("created_at")
    )
    states = [row["attendance"].status if row["attendance"] else "" for row in rows]
    context = {
        "activity": activity,
        "shifts": shifts,
        "shift": shift,
        "rows": rows,
        "summary": {
            "total": len(rows),
            "waiting": states.count(""),
            "in": states.count(AttendanceStatus.CHECKED_IN),
            "out": states.count(AttendanceStatus.CHECKED_OUT),
            "review": states.count(AttendanceStatus.REVIEW),
        },
        "declarations": declarations,
        "can_change": get_scope(request.user).covers(activity.organiser.path, "change"),
        "actions": ROSTER_ACTIONS,
        "breadcrumb_node": activity.organiser,
        "now": timezone.now(),
    }
    return render(request, "activities/checkin/roster.html", context)


@login_required
@require_POST
def roster_action(request, pk):
    activity = staff_activity(request, pk, "change")
    shift = get_object_or_404(activity.shifts.all(), pk=request.POST.get("shift") or 0)
    back = f"{reverse('activities:checkin_roster', args=[activity.pk])}?shift={shift.pk}"
    action = ROSTER_ACTIONS.get(request.POST.get("action", ""))
    ids = [int(v) for v in request.POST.getlist("volunteer") if v.isdigit()]
    if action is None or not ids:
        messages.error(request, "请先勾选志愿者，再选择签到或签退。")
        return redirect(back)
    purpose, at_shift_time, label = action
    volunteers = [
        s.volunteer
        for s in SignUp.objects.restrict(request.user, "change")
        .filter(shift=shift, volunteer_id__in=ids, status=SignUpStatus.CONFIRMED)
        .select_related("volunteer")
    ]
    if not volunteers:
        messages.error(request, "勾选的志愿者不在本班次的录用名单中。")
        return redirect(back)
    try:
        outcomes = checkin.roster_check(
            actor=request.user, shift=shift, volunteers=volunteers, purpose=purpose, at_shift_time=at_shift_time
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    done = [o for o in outcomes if o.ok]
    if done:
        messages.success(request, f"{label}：已为 {len(done)} 人办理。")
    for outcome in outcomes:
        if not outcome.ok:
            level = messages.info if "已签" in outcome.message else messages.error
            level(request, f"{outcome.volunteer.name}：{outcome.message}")
    return redirect(back)


def _attendance(request, pk) -> Attendance:
    return get_object_or_404(Attendance.objects.restrict(request.user, "change").select_related("volunteer"), pk=pk)


def _back_to_roster(attendance_or_declaration):
    return redirect(
        f"{reverse('activities:checkin_roster', args=[attendance_or_declaration.activity_id])}"
        f"?shift={attendance_or_declaration.shift_id}"
    )


@login_required
@require_POST
def attendance_confirm(request, pk):
    attendance = _attendance(request, pk)
    result = run_service(request, checkin.attendance_confirm, attendance=attendance)
    if result is not None:
        (messages.warning if result.level == "warning" else messages.success)(request, result.message)
    return _back_to_roster(attendance)


@login_required
@require_POST
def attendance_reject(request, pk):
    attendance = _attendance(request, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if run_service(request, checkin.attendance_reject, attendance=attendance, reason=reason) is not None:
        messages.success(request, f"已不予确认{attendance.volunteer.name}的签到，并通知本人。")
    return _back_to_roster(attendance)


def _declaration(request, pk) -> HoursDeclaration:
    return get_object_or_404(
        HoursDeclaration.objects.restrict(request.user, "change").select_related("volunteer"), pk=pk
    )


@login_required
@require_POST
def declaration_approve(request, pk):
    declaration = _declaration(request, pk)
    result = run_service(request, checkin.declaration_approve, declaration=declaration)
    if result is not None:
        (messages.warning if result.level == "warning" else messages.success)(request, result.message)
    return _back_to_roster(declaration)


@login_required
@require_POST
def declaration_reject(request, pk):
    declaration = _declaration(request, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if run_service(request, checkin.declaration_reject, declaration=declaration, reason=reason) is not None:
        messages.success(request, f"已退回{declaration.volunteer.name}的申报，并通知本人。")
    return _back_to_roster(declaration)
