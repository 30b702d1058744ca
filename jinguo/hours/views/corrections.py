"""Correction requests (R16): the organiser's people see those about their records, accept (a correction entry is
appended, or the missing record entered) or reject with a reason that she reads on her archive."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope

from .. import selectors, services
from ..forms import CorrectionFilterForm, DecisionForm
from ..models import CorrectionStatus
from .common import managed_request, require_staff, run, subnav_counts


@login_required
def correction_list(request):
    require_staff(request)
    form = CorrectionFilterForm(request.GET or {"status": CorrectionStatus.OPEN})
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = paginate(request, selectors.correction_requests(request.user, status=status))
    return render(request, "hours/correction_list.html", {"form": form, "page_obj": page, **subnav_counts(request)})


@login_required
def correction_detail(request, pk):
    item = managed_request(request, pk)
    context = {
        "item": item,
        "chain": selectors.chain(item.record) if item.record_id else [],
        "can_decide": item.status == CorrectionStatus.OPEN
        and get_scope(request.user).covers(item.organiser.path, "change"),
        "breadcrumb_node": item.organiser,
    }
    return render(request, "hours/correction_detail.html", context)


@login_required
@require_POST
def correction_accept(request, pk):
    item = managed_request(request, pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    result = run(request, services.correction_request_accept, request=item, note=note)
    if result is not None:
        messages.success(request, f"已按申请处理：{item.volunteer.name} 的记录现为 {result.hours} 小时，并已通知本人。")
    return redirect("hours:correction_detail", pk=item.pk)


@login_required
@require_POST
def correction_reject(request, pk):
    item = managed_request(request, pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if run(request, services.correction_request_reject, request=item, note=note) is not None:
        messages.success(request, "已答复不予采纳，并通知本人。")
    return redirect("hours:correction_detail", pk=item.pk)
