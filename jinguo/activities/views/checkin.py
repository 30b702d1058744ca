"""Her check-in pages, on a phone: the page a QR scan opens, the numeric code, her status on the activity page,
and self-declared hours. Who she is comes from her login (a scan while logged out goes to the login page and back).
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from jinguo.core.errors import DomainError, PermissionDeniedError

from .. import checkin, qr
from ..choices import AttendanceStatus, SignUpStatus
from ..models import Activity, Attendance, HoursDeclaration, SignUp
from .checkin_forms import CodeForm, DeclarationForm, ScanForm
from .common import own_volunteer

CODE_ATTEMPTS = 10  # wrong codes per user within CODE_LOCK_SECONDS
CODE_LOCK_SECONDS = 10 * 60


def _service(purpose: str):
    return checkin.check_in if purpose == qr.IN else checkin.check_out


def _her_shifts(activity: Activity, volunteer) -> list[dict]:
    """Her confirmed shifts of the activity with their attendance: what the scan and status pages show."""
    if volunteer is None:
        return []
    signups = list(
        SignUp.objects.filter(activity=activity, volunteer=volunteer, status=SignUpStatus.CONFIRMED)
        .select_related("shift")
        .order_by("shift__start_at")
    )
    attendances = {a.shift_id: a for a in Attendance.objects.filter(activity=activity, volunteer=volunteer)}
    pending = set(
        HoursDeclaration.objects.filter(activity=activity, volunteer=volunteer, status="pending").values_list(
            "shift_id", flat=True
        )
    )
    now = timezone.now()
    rows = []
    for signup in signups:
        attendance = attendances.get(signup.shift_id)
        closed = attendance is not None and attendance.status in (AttendanceStatus.CHECKED_OUT, AttendanceStatus.REJECTED)
        rows.append(
            {
                "signup": signup,
                "shift": signup.shift,
                "attendance": attendance,
                "declared": signup.shift_id in pending,
                "can_declare": signup.shift.end_at <= now and not closed and signup.shift_id not in pending,
            }
        )
    return rows


def _result(request, activity, result, purpose):
    return render(
        request,
        "activities/checkin/result.html",
        {"activity": activity, "result": result, "purpose_label": qr.PURPOSE_LABELS[purpose]},
    )


@login_required
def scan(request, token):
    """What the QR code on the leader's screen opens. GET shows the activity and hands her a scan pass (the token
    lives a minute; the pass five, bound to her); POST (with her position, when the activity has a geofence) checks
    her in or out."""
    proof = request.POST.get("proof", "") if request.method == "POST" else token
    try:
        scanned = qr.read_proof(proof, user_id=request.user.pk)
    except DomainError as exc:
        return render(request, "activities/checkin/scan_error.html", {"message": exc.message}, status=400)
    activity = get_object_or_404(Activity.objects.restrict(request.user, "view").select_related("organiser"),
                                 pk=scanned.activity_id)
    volunteer = own_volunteer(request)
    purpose = scanned.purpose
    error = ""
    if request.method == "POST" and volunteer is not None:
        form = ScanForm(request.POST)
        if form.is_valid():
            try:
                result = _service(purpose)(
                    actor=request.user, activity=activity, volunteer=volunteer, method="qr",
                    token=form.cleaned_data["proof"], **form.position(),
                )
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None
            except DomainError as exc:
                error = exc.message
            else:
                return _result(request, activity, result, purpose)
        else:
            error = "提交的内容不完整，请重新扫描二维码。"
    if proof == token:
        proof = qr.make_scan_pass(scanned, request.user.pk)
    context = {
        "activity": activity,
        "volunteer": volunteer,
        "purpose": purpose,
        "purpose_label": qr.PURPOSE_LABELS[purpose],
        "form": ScanForm(initial={"proof": proof}),
        "error": error,
        "shifts": _her_shifts(activity, volunteer),
        "needs_position": checkin.has_geofence(activity),
    }
    return render(request, "activities/checkin/scan.html", context, status=400 if error else 200)


def _open_activities(volunteer):
    """Activities where she holds a confirmed place on a shift open for check-in or check-out now."""
    now = timezone.now()
    opens = datetime.timedelta(minutes=settings.CHECKIN_OPENS_MINUTES)
    grace = datetime.timedelta(minutes=settings.CHECKOUT_GRACE_MINUTES)
    shift_ids = SignUp.objects.filter(
        volunteer=volunteer, status=SignUpStatus.CONFIRMED, shift__start_at__lte=now + opens,
        shift__end_at__gte=now - grace,
    ).values("shift_id")
    return list(
        Activity.objects.filter(Q(shifts__in=shift_ids), status__in=("published", "archived"))
        .distinct()
        .order_by("start_at")
    )


def _code_key(user) -> str:
    return f"jinguo:checkin-code-failures:{user.pk}"


@login_required
def code(request):
    """She types the 6-digit code shown on the leader's screen; the code itself says which activity and whether it
    is the check-in or the check-out code."""
    volunteer = own_volunteer(request)
    if volunteer is None:
        return render(request, "activities/checkin/code.html", {"volunteer": None})
    activities = _open_activities(volunteer)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        failures = cache.get(_code_key(request.user), 0)
        typed = form.cleaned_data["code"]
        match = None
        if failures >= CODE_ATTEMPTS:
            form.add_error("code", f"输错次数过多，请 {CODE_LOCK_SECONDS // 60} 分钟后再试，或扫描二维码签到。")
        else:
            match = next(
                ((a, p) for a in activities for p in qr.PURPOSES if qr.code_matches(a.pk, p, typed)), None
            )
            if match is None:
                cache.set(_code_key(request.user), failures + 1, CODE_LOCK_SECONDS)
                form.add_error("code", "签到码不正确或已过期，请核对队长屏幕上最新的 6 位数字。")
        if match is not None:
            activity, purpose = match
            try:
                result = _service(purpose)(
                    actor=request.user, activity=activity, volunteer=volunteer, method="code", token=typed,
                    **form.position(),
                )
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None
            except DomainError as exc:
                form.add_error("code", exc.message)
            else:
                cache.delete(_code_key(request.user))
                return _result(request, activity, result, purpose)
    context = {
        "volunteer": volunteer,
        "form": form,
        "activities": activities,
        "needs_position": any(checkin.has_geofence(a) for a in activities),
        "opens_minutes": settings.CHECKIN_OPENS_MINUTES,
    }
    return render(request, "activities/checkin/code.html", context)


@login_required
def mine(request, pk):
    """Her check-in status on the activity page (loaded into the panel with HTMX)."""
    activity = get_object_or_404(Activity.objects.restrict(request.user, "view"), pk=pk)
    volunteer = own_volunteer(request)
    return render(
        request, "activities/checkin/_mine.html", {"activity": activity, "shifts": _her_shifts(activity, volunteer)}
    )


@login_required
def declare(request, pk):
    """She declares the hours of a shift she served without checking in or out; the leader approves."""
    signup = get_object_or_404(
        SignUp.objects.filter(volunteer__user=request.user).select_related("activity", "shift", "volunteer"), pk=pk
    )
    if signup.status != SignUpStatus.CONFIRMED:
        raise Http404
    shift = signup.shift
    initial = {"start_at": timezone.localtime(shift.start_at), "end_at": timezone.localtime(shift.end_at)}
    form = DeclarationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            checkin.declaration_create(
                actor=request.user, signup=signup, start_at=data["start_at"], end_at=data["end_at"], note=data["note"]
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已提交申报，队长审核通过后计入服务时长。")
            return redirect("activities:detail", pk=signup.activity_id)
    declarations = HoursDeclaration.objects.filter(volunteer=signup.volunteer, shift=shift).order_by("-created_at")
    return render(
        request,
        "activities/checkin/declare.html",
        {"signup": signup, "activity": signup.activity, "shift": shift, "form": form, "declarations": declarations},
    )
