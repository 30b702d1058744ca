"""Staff: the records in scope (filters, totals from the caches), one record with its chain of corrections, a
correction (R14: the organiser's people), and the review queue of held records (the level above)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope

from .. import ledger, selectors
from ..forms import CorrectForm, ReasonForm, RecordFilterForm
from ..models import RecordStatus
from .common import form_error, require_staff, run, subnav_counts, visible_record


@login_required
def record_list(request):
    require_staff(request)
    form = RecordFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    activity = request.GET.get("activity", "")
    if activity.isdigit():  # from the review page's list of activities without evidence (R28)
        filters["activity"] = int(activity)
    qs = selectors.records(request.user, **filters)
    page = paginate(request, qs)
    page.object_list = selectors.label_flags(list(page.object_list))
    narrowed = any(value for key, value in filters.items() if key != "node")
    context = {
        "form": form,
        "page_obj": page,
        "totals": selectors.scope_totals(request.user, node=filters.get("node")),
        "filtered": selectors.filtered_sum(qs) if narrowed else None,
        "node": filters.get("node"),
        **subnav_counts(request),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "hours/_record_table.html", context)
    return render(request, "hours/record_list.html", context)


@login_required
def record_detail(request, pk):
    """One record and its chain: the first entry and every correction of it (who, when, why). She sees her own."""
    record = visible_record(request, pk)
    scope = get_scope(request.user)
    current = record.superseded_by_id is None
    is_hers = record.volunteer.user_id == request.user.pk
    context = {
        "record": record,
        "chain": selectors.label_flags(selectors.chain(record)),
        "can_correct": current and record.status != RecordStatus.REJECTED and scope.covers(record.organiser.path, "change"),
        "can_review": current and record.status == RecordStatus.HELD
        and record.hold_reason != ledger.HELD_PENDING
        and scope.covers_strictly_below(record.organiser.path, "change"),
        "is_hers": is_hers,
        "is_staff_view": scope.covers(record.organiser.path, "view"),
        "breadcrumb_node": record.organiser if scope.covers(record.organiser.path, "view") else None,
    }
    return render(request, "hours/record_detail.html", context)


@login_required
def record_correct(request, pk):
    """Append a correction (never an edit): R14, only the organiser's people (or the levels above acting for it)."""
    record = visible_record(request, pk, "change")
    if record.superseded_by_id:
        messages.info(request, "该记录已被更正，请更正最新的一条。")
        return redirect("hours:record_detail", pk=record.superseded_by_id)
    initial = {
        "start_at": timezone.localtime(record.start_at),
        "end_at": timezone.localtime(record.end_at),
        "evaluation": record.evaluation,
    }
    form = CorrectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = ledger.record_correct(
                actor=request.user, record=record, start_at=data["start_at"], end_at=data["end_at"],
                reason=data["reason"], evaluation=data["evaluation"],
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"已更正：{record.hours} → {new.hours} 小时。原记录保留在更正历史中。")
            return redirect("hours:record_detail", pk=new.pk)
    return render(request, "hours/record_correct.html", {"record": record, "form": form,
                                                         "breadcrumb_node": record.organiser})


@login_required
def review(request):
    """Held records waiting for the level above (daily cap, R28 patterns): release or reject with a reason."""
    require_staff(request)
    page = paginate(request, selectors.review_queue(request.user))
    page.object_list = selectors.label_flags(list(page.object_list))
    unproven = selectors.activities_without_evidence(request.user)
    return render(request, "hours/review.html", {"page_obj": page, "unproven": unproven, **subnav_counts(request)})


@login_required
@require_POST
def record_release(request, pk):
    record = visible_record(request, pk, "change")
    if run(request, ledger.record_release, record=record) is not None:
        messages.success(request, f"已审核通过，{record.volunteer.name} 的 {record.hours} 小时计入服务时长。")
    if request.POST.get("next") == "detail":
        return redirect("hours:record_detail", pk=record.pk)
    return redirect("hours:review")


@login_required
@require_POST
def record_reject(request, pk):
    record = visible_record(request, pk, "change")
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if run(request, ledger.record_reject, record=record, reason=reason) is not None:
        messages.success(request, f"已不予计入 {record.volunteer.name} 的这条记录。")
    if request.POST.get("next") == "detail":
        return redirect("hours:record_detail", pk=record.pk)
    return redirect("hours:review")
