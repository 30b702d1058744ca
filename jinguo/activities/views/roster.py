"""The roster of an activity for its organiser and the levels above: sign-ups by shift and state, decisions
(manual approval), removing someone, no-shows, messages to the roster, the xlsx export, insurance gaps (R10)."""

import io
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core import audit
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.core.spreadsheets import XlsxWriter

from .. import selectors, services
from ..choices import SignUpStatus
from ..forms import MessageForm, apply_domain_error
from ..models import Attendance, InsurancePolicy, SignUp
from .common import can_change, run, staff_activity, staff_signup

ROSTER_TABS = {
    "confirmed": ("已录用", (SignUpStatus.CONFIRMED,)),
    "pending": ("待审核", (SignUpStatus.PENDING,)),
    "waitlisted": ("候补", (SignUpStatus.WAITLISTED,)),
    "closed": ("已取消/未录用", (SignUpStatus.CANCELLED, SignUpStatus.REJECTED)),
}


def _roster_url(activity_pk: int, tab: str = "", shift: str = "") -> str:
    url = reverse("activities:roster", args=[activity_pk])
    query = "&".join(f"{k}={v}" for k, v in (("tab", tab), ("shift", shift)) if v)
    return f"{url}?{query}" if query else url


@login_required
def roster(request, pk):
    activity = staff_activity(request, pk)
    tab = request.GET.get("tab") if request.GET.get("tab") in ROSTER_TABS else "confirmed"
    figures = selectors.shift_figures(activity)
    shift_pk = request.GET.get("shift", "")
    shift = next((f["shift"] for f in figures if str(f["shift"].pk) == shift_pk), None)
    rows = (
        SignUp.objects.restrict(request.user, "view")
        .filter(activity=activity, status__in=ROSTER_TABS[tab][1])
        .select_related("volunteer", "shift", "decided_by")
    )
    if shift is not None:
        rows = rows.filter(shift=shift)
    rows = rows.order_by("shift__start_at", "created_at", "id")
    page = paginate(request, rows, per_page=50)
    attended = set(
        Attendance.objects.filter(activity=activity, volunteer_id__in=[s.volunteer_id for s in page])
        .values_list("volunteer_id", "shift_id")
    )
    now = timezone.now()
    for signup in page:
        signup.attended = (signup.volunteer_id, signup.shift_id) in attended
        signup.shift_over = signup.shift.end_at <= now
    base = SignUp.objects.filter(activity=activity)
    if shift is not None:
        base = base.filter(shift=shift)
    counts = {key: base.filter(status__in=statuses).count() for key, (_label, statuses) in ROSTER_TABS.items()}
    context = {
        "activity": activity,
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, (label, _s) in ROSTER_TABS.items()],
        "figures": figures,
        "shift": shift,
        "page_obj": page,
        "can_manage": can_change(request, activity),
        "message_form": MessageForm(shifts=[f["shift"] for f in figures]),
        "message_log": AuditLog.objects.filter(
            target_type=activity._meta.label_lower, target_id=str(activity.pk), action="activity.message_sent"
        ).order_by("-created_at")[:20],
        "breadcrumb_node": activity.organiser,
    }
    return render(request, "activities/roster.html", context)


def _signup_action(request, pk, func, done: str, **kwargs):
    signup = staff_signup(request, pk)
    run(request, func, done.format(name=signup.volunteer.name), signup=signup, **kwargs)
    tab = request.POST.get("tab", "")
    return redirect(_roster_url(signup.activity_id, tab if tab in ROSTER_TABS else ""))


@login_required
@require_POST
def signup_approve(request, pk):
    return _signup_action(request, pk, services.signup_approve, "已录用{name}。")


@login_required
@require_POST
def signup_reject(request, pk):
    return _signup_action(request, pk, services.signup_reject, "已告知{name}未录用。",
                          reason=request.POST.get("reason", ""))


@login_required
@require_POST
def signup_remove(request, pk):
    return _signup_action(request, pk, services.signup_cancel, "已取消{name}的报名，并通知本人。",
                          reason=request.POST.get("reason", ""))


@login_required
@require_POST
def signup_no_show(request, pk):
    no_show = request.POST.get("no_show", "1") == "1"
    done = "已将{name}标记为缺席。" if no_show else "已撤销{name}的缺席标记。"
    return _signup_action(request, pk, services.signup_mark_no_show, done, no_show=no_show)


@login_required
@require_POST
def roster_message(request, pk):
    activity = staff_activity(request, pk)
    if not can_change(request, activity):
        raise PermissionDenied("您只能查看该活动，不能发送通知。")
    figures = selectors.shift_figures(activity)
    form = MessageForm(request.POST, shifts=[f["shift"] for f in figures])
    if form.is_valid():
        data = form.cleaned_data
        shift = next((f["shift"] for f in figures if f["shift"].pk == data["shift"]), None)
        try:
            sent = services.roster_message(
                actor=request.user, activity=activity, title=data["title"], body=data["body"],
                statuses=data["statuses"], shift=shift, sms=data["sms"],
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"通知已发送给 {sent} 位志愿者。")
            return redirect(_roster_url(activity.pk))
    return render(request, "activities/message.html", {"activity": activity, "form": form,
                                                        "breadcrumb_node": activity.organiser})


EXPORT_HEADERS = ["班次", "班次时间", "姓名", "志愿者编号", "手机号", "报名状态", "报名时间", "缺席", "说明"]


@login_required
def roster_export(request, pk):
    """The roster as xlsx (formula-safe). Phones are masked unless she holds the personal-data right over the
    organiser; every export is audited."""
    activity = staff_activity(request, pk)
    full_phone = get_scope(request.user).covers(activity.organiser.path, "personal")
    signups = (
        SignUp.objects.restrict(request.user, "view")
        .filter(activity=activity)
        .select_related("volunteer", "shift")
        .order_by("shift__start_at", "status", "created_at", "id")
    )
    buffer = io.BytesIO()
    writer = XlsxWriter(buffer, sheet_title="报名名单", headers=EXPORT_HEADERS, widths=[12, 24, 10, 16, 14, 10, 18, 6, 30])
    count = 0
    for s in signups.iterator(chunk_size=500):
        start = timezone.localtime(s.shift.start_at)
        end = timezone.localtime(s.shift.end_at)
        writer.append([
            s.shift.name or "全程", f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}", s.volunteer.name, s.volunteer.number,
            s.volunteer.phone if full_phone else s.volunteer.phone_masked, s.get_status_display(),
            f"{timezone.localtime(s.created_at):%Y-%m-%d %H:%M}", "是" if s.no_show else "", s.note,
        ])
        count += 1
    writer.close()
    audit.record(request.user, "activity.roster_exported", target=activity, node_path=activity.organiser.path,
                 summary=f"导出报名名单 {count} 人" + ("（含完整手机号）" if full_phone else "（手机号已脱敏）"))
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"报名名单-{activity.pk}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def cover(request, pk):
    """R10: who signed up for a risky activity without a policy covering every day of her shift; staff can add
    them to a policy of their scope in one step."""
    activity = staff_activity(request, pk)
    gaps = selectors.signups_without_cover(activity)
    policies = InsurancePolicy.objects.restrict(request.user, "change").order_by("-ends_on", "-id")[:50]
    if request.method == "POST":
        policy = InsurancePolicy.objects.restrict(request.user, "change").filter(
            pk=request.POST.get("policy") or 0
        ).first()
        if policy is None:
            messages.error(request, "请选择一份保单。")
        else:
            chosen = {int(v) for v in request.POST.getlist("volunteer") if v.isdigit()}
            people = [s.volunteer for s, _days in gaps if s.volunteer_id in chosen]
            if not people:
                messages.error(request, "请勾选要加入保单的志愿者。")
            elif run(request, services.policy_update, f"已将 {len(people)} 人加入保单 {policy}。", policy=policy,
                     data={}, add=people):
                return redirect("activities:cover", pk=activity.pk)
    return render(request, "activities/cover.html", {
        "activity": activity, "gaps": gaps, "policies": policies, "can_manage": can_change(request, activity),
        "breadcrumb_node": activity.organiser,
    })

