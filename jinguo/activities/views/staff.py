"""Staff pages: the activity list of her scope, the form (with shifts), publishing and its approval (R7, R30),
cancelling, archiving, the approval queue and the campaign site load (R29)."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.orgs.models import Node

from .. import selectors, services
from ..choices import ActivityStatus, SignUpStatus
from ..forms import (
    ActivityFilterForm,
    ActivityForm,
    ShiftFormSet,
    SiteLoadForm,
    apply_domain_error,
    shift_initial,
    shift_rows,
)
from ..models import Activity
from .common import require_staff, run, staff_activity


@login_required
def activity_list(request):
    scope = require_staff(request)
    form = ActivityFilterForm(request.GET or None)
    qs = Activity.objects.restrict(request.user, "view").select_related("organiser")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(title__contains=data["q"]) | Q(address__contains=data["q"]))
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["category"]:
            qs = qs.filter(category=data["category"])
        if data["campaign"]:
            qs = qs.filter(campaign=data["campaign"])
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            qs = qs.filter(start_at__gte=datetime.datetime.combine(data["date_from"], datetime.time.min, tz))
        if data["date_to"]:
            end = datetime.datetime.combine(data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tz)
            qs = qs.filter(start_at__lt=end)
    node_pk = request.GET.get("node")
    node = None
    if node_pk and node_pk.isdigit():
        node = Node.objects.restrict(request.user, "view").filter(pk=node_pk).first()
        if node is not None:
            qs = qs.filter(organiser__path__startswith=node.path)
    qs = qs.annotate(
        n_taken=Count("signups", filter=Q(signups__status__in=(SignUpStatus.CONFIRMED, SignUpStatus.PENDING))),
        n_waitlisted=Count("signups", filter=Q(signups__status=SignUpStatus.WAITLISTED)),
    ).order_by("-start_at", "-id")
    page = paginate(request, qs, per_page=20)
    context = {
        "form": form,
        "page_obj": page,
        "node": node,
        "can_create": scope.platform or bool(scope.change_paths),
        "approvals": selectors.approval_queue(request.user).count(),
        "breadcrumb_node": node,
    }
    return render(request, "activities/list.html", context)


def _save(request, activity=None):
    """The create and edit form: the activity's fields, then its shifts (a formset; blank rows are ignored)."""
    require_staff(request)
    if activity is None and not get_scope(request.user).change_paths and not get_scope(request.user).platform:
        raise PermissionDenied("您的账号为只读权限，不能发布活动。")
    initial = {}
    if activity is None and request.GET.get("organiser", "").isdigit():
        initial["organiser"] = request.GET["organiser"]
    elif activity is None:
        top = Node.objects.restrict(request.user, "change").active().order_by("path").first()
        initial["organiser"] = top.pk if top else None
    form = ActivityForm(request.POST or None, instance=activity, user=request.user, initial=initial)
    formset = ShiftFormSet(request.POST or None, prefix="shifts",
                           initial=shift_initial(activity) if activity is not None else None)
    shift_error = ""
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            if activity is None:
                activity = services.activity_create(
                    actor=request.user, organiser=form.cleaned_data["organiser"], data=form.activity_data(),
                    shifts=shift_rows(formset),
                )
                messages.success(request, "活动已保存为草稿。检查无误后请点击“发布”。")
            else:
                services.activity_update(actor=request.user, activity=activity, data=form.activity_data(),
                                         shifts=shift_rows(formset))
                messages.success(request, "活动已保存。")
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            if exc.field == "shifts":
                shift_error = exc.message
            else:
                apply_domain_error(form, exc)
        else:
            return redirect("activities:detail", pk=activity.pk)
    context = {"form": form, "formset": formset, "activity": activity, "shift_error": shift_error,
               "breadcrumb_node": activity.organiser if activity else None}
    return render(request, "activities/form.html", context)


@login_required
def activity_create(request):
    return _save(request)


@login_required
def activity_edit(request, pk):
    activity = staff_activity(request, pk, "view")
    if not get_scope(request.user).covers(activity.organiser.path, "change"):
        raise PermissionDenied("您只能查看该活动，不能修改。")
    return _save(request, activity)


def _action(request, pk, func, done: str, **kwargs):
    activity = staff_activity(request, pk, "view")
    run(request, func, done, activity=activity, **kwargs)
    return redirect("activities:detail", pk=activity.pk)


@login_required
@require_POST
def activity_publish(request, pk):
    activity = staff_activity(request, pk, "view")
    result = run(request, services.activity_publish, activity=activity)
    if result:
        if result.status == ActivityStatus.PENDING:
            messages.success(request, f"已提交「{result.approval_node.name}」审核，审核通过后自动发布。")
        else:
            messages.success(request, "活动已发布，志愿者现在可以报名了。")
    return redirect("activities:detail", pk=activity.pk)


@login_required
@require_POST
def activity_approve(request, pk):
    activity = staff_activity(request, pk)  # the approving node lies above the organiser: it sees it
    run(request, services.activity_approve, "审核通过，活动已发布。", activity=activity)
    return redirect("activities:detail", pk=activity.pk)


@login_required
@require_POST
def activity_reject(request, pk):
    activity = staff_activity(request, pk)  # the approving node lies above the organiser: it sees it
    run(request, services.activity_reject, "已退回组织单位修改。", activity=activity,
        reason=request.POST.get("reason", ""))
    return redirect("activities:approvals")


@login_required
@require_POST
def activity_withdraw(request, pk):
    return _action(request, pk, services.activity_withdraw, "已撤回审核，活动回到草稿。")


@login_required
@require_POST
def activity_cancel(request, pk):
    return _action(request, pk, services.activity_cancel, "活动已取消，已通知报名的志愿者。",
                   reason=request.POST.get("reason", ""))


@login_required
@require_POST
def activity_archive(request, pk):
    return _action(request, pk, services.activity_archive, "活动已归档。")


@login_required
def approvals(request):
    """R30: activities waiting for the approval of a node she administers."""
    require_staff(request)
    page = paginate(request, selectors.approval_queue(request.user).order_by("start_at", "id"), per_page=20)
    return render(request, "activities/approvals.html", {"page_obj": page})


@login_required
def site_load(request):
    """R29: campaign activities by service site and day; groups at the daily cap are highlighted."""
    require_staff(request)
    form = SiteLoadForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    date_from = data.get("date_from") or today
    date_to = data.get("date_to") or (date_from + datetime.timedelta(days=60))
    groups = selectors.site_load(request.user, campaign=data.get("campaign", ""), date_from=date_from,
                                 date_to=date_to)
    return render(
        request,
        "activities/site_load.html",
        {"form": form, "groups": groups, "cap": settings.SITE_DAILY_CAP, "date_from": date_from, "date_to": date_to,
         "at_cap": sum(1 for g in groups if g.at_cap)},
    )
