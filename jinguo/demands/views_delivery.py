"""Pages of delivery (上门服务) and evaluation (评估).

- The volunteer's phone pages: the needs she serves, and one need with its address and contact (as far as R23 lets
  her see them) and big check-in / check-out buttons that send her position when the browser gives it.
- The leader's delivery page: the team's members with their visits, checked in or out from the list; the figures
  of the team; the close-out report with photos (served back only through `closeout_photo`, which checks scope).
- The resident's evaluation page (public, 适老化): her tracking code and phone, then five big star tiles.
- Staff: evaluation review list, evaluation entered for her, complaints list and detail with handling.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.core.shortcuts import run_service
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import Node
from jinguo.volunteers.choices import MembershipStatus
from jinguo.volunteers.models import Volunteer

from . import selectors
from . import services_delivery as delivery
from . import services_feedback as feedback
from .choices import AssignmentStatus, ComplaintStatus, EvaluationReview, NeedStatus
from .forms_delivery import (
    CheckForm,
    CloseOutForm,
    ComplaintFilterForm,
    ComplaintForm,
    ComplaintHandleForm,
    ConcludeForm,
    EvaluationFilterForm,
    LookupForm,
    RatingForm,
    ReviewForm,
    RosterForm,
)
from .models import Assignment, CloseOutPhoto, Complaint, Delivery, Evaluation, Need

LOOKUP_ATTEMPTS = 10  # wrong code/phone pairs per client address within LOOKUP_LOCK_SECONDS
LOOKUP_LOCK_SECONDS = 15 * 60


def _own_volunteer(request) -> Volunteer | None:
    return Volunteer.objects.filter(user_id=request.user.pk).first() if request.user.is_authenticated else None


def _visible_need(request, pk) -> Need:
    return get_object_or_404(Need.objects.restrict(request.user, "view").select_related("node"), pk=pk)


def _figures_for(assignment: Assignment) -> dict:
    if assignment.team_id:
        return feedback.provider_figures(team=assignment.team)
    return feedback.provider_figures(volunteer=assignment.volunteer)


# ---- the volunteer's phone pages ----------------------------------------------------------------------------------


@login_required
def delivery_mine(request):
    """The needs she serves (given to her, or to a team she is an active member of), newest first; and for a team's
    leader, the needs his team accepted, each linking to the list he checks members in and out from."""
    volunteer = _own_volunteer(request)
    assignments = []
    if volunteer is not None:
        teams = volunteer.memberships.filter(status=MembershipStatus.ACTIVE).values("team_id")
        assignments = list(
            Assignment.objects.filter(
                Q(volunteer=volunteer) | Q(team_id__in=teams),
                status__in=(AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED),
            )
            .select_related("need__node", "team")
            .order_by("-status", "-responded_at", "-id")[:50]
        )
    open_visits = set()
    if volunteer is not None:
        open_visits = set(
            Delivery.objects.filter(volunteer=volunteer, checked_out_at__isnull=True).values_list("need_id", flat=True)
        )
    # Needs accepted by the teams she leads (or that lie in the subtree she manages): the leader's list pages.
    teams = Node.objects.restrict(request.user, "change").filter(kind=NodeKind.TEAM).values("pk")
    led = list(
        Assignment.objects.filter(team_id__in=teams, status__in=(AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED))
        .select_related("need__node", "team")
        .order_by("status", "-responded_at", "-id")[:50]
    )
    context = {
        "volunteer": volunteer,
        "assignments": assignments,
        "led": led,
        "open_visits": open_visits,
        "figures": feedback.provider_figures(volunteer=volunteer) if volunteer is not None else None,
    }
    return render(request, "demands/delivery/mine.html", context)


def _serving_context(request, pk):
    """The need, its accepted (or completed) assignment, and her volunteer record, when she serves it; else 404.

    Not through `Need.objects.restrict`: its row scope lets in the volunteer a need was given to, but not the
    members of the team it was given to; serving it (checked below) is what entitles her."""
    need = get_object_or_404(Need.objects.select_related("node"), pk=pk)
    assignment = delivery.accepted_assignment(need)
    volunteer = _own_volunteer(request)
    if assignment is None or volunteer is None:
        raise Http404
    if not delivery.serving_volunteers(assignment).filter(pk=volunteer.pk).exists():
        raise Http404
    return need, assignment, volunteer


@login_required
def delivery_need(request, pk):
    """Her page for one need she serves, on her phone: where, whom to call, and the check-in / check-out button."""
    need, assignment, volunteer = _serving_context(request, pk)
    visits = list(Delivery.objects.filter(assignment=assignment, volunteer=volunteer).select_related("record"))
    open_visit = next((v for v in visits if v.checked_out_at is None), None)
    in_service = assignment.status == AssignmentStatus.ACCEPTED and need.status in (
        NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE
    )
    context = {
        "need": need,
        "view": selectors.need_view(request.user, need),
        "assignment": assignment,
        "volunteer": volunteer,
        "visits": visits,
        "open_visit": open_visit,
        "in_service": in_service,
        "form": CheckForm(initial={"action": "out" if open_visit else "in"}),
        "can_close": in_service and delivery.can_close(request.user, assignment),
        "can_lead": delivery.can_lead(request.user, assignment),
        "max_distance": delivery.MAX_DISTANCE_M,
    }
    return render(request, "demands/delivery/need.html", context)


@login_required
@require_POST
def delivery_check(request, pk):
    """Her check-in or check-out (with her position when the browser gave it)."""
    need, _assignment, volunteer = _serving_context(request, pk)
    form = CheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, "提交的内容不完整，请重试。")
        return redirect("demands:delivery_need", pk=need.pk)
    service = delivery.delivery_check_in if form.cleaned_data["action"] == "in" else delivery.delivery_check_out
    result = run_service(request, service, need=need, volunteer=volunteer, **form.position())
    if result is not None:
        getattr(messages, result.level)(request, result.message)
    return redirect("demands:delivery_need", pk=need.pk)


# ---- the leader's delivery page ---------------------------------------------------------------------------------------


def _led_context(request, pk):
    need = _visible_need(request, pk)
    assignment = delivery.accepted_assignment(need)
    if assignment is None or not delivery.can_lead(request.user, assignment):
        raise Http404
    return need, assignment


@login_required
def delivery_leader(request, pk):
    """The team's members with their visits to this need; the leader checks them in or out from the list."""
    need, assignment = _led_context(request, pk)
    members = list(delivery.serving_volunteers(assignment))
    visits = {}
    for visit in Delivery.objects.filter(assignment=assignment).select_related("record", "recorded_by").order_by("id"):
        visits.setdefault(visit.volunteer_id, []).append(visit)
    rows = []
    for member in members:
        mine = visits.get(member.pk, [])
        rows.append({"volunteer": member, "visits": mine, "open": any(v.checked_out_at is None for v in mine)})
    in_service = assignment.status == AssignmentStatus.ACCEPTED
    context = {
        "need": need,
        "view": selectors.need_view(request.user, need),
        "assignment": assignment,
        "rows": rows,
        "summary": {
            "members": len(rows),
            "in": sum(1 for r in rows if r["open"]),
            "done": sum(1 for r in rows if r["visits"] and not r["open"]),
        },
        "form": RosterForm(volunteers=members),
        "in_service": in_service,
        "can_close": in_service and delivery.can_close(request.user, assignment),
        "figures": _figures_for(assignment),
        "closeout": getattr(need, "closeout", None),
    }
    return render(request, "demands/delivery/leader.html", context)


@login_required
@require_POST
def delivery_roster(request, pk):
    need, assignment = _led_context(request, pk)
    members = list(delivery.serving_volunteers(assignment))
    form = RosterForm(request.POST, volunteers=members)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("demands:delivery_leader", pk=need.pk)
    chosen = [m for m in members if m.pk in set(form.cleaned_data["volunteer"])]
    outcomes = run_service(
        request, delivery.delivery_roster, need=need, volunteers=chosen, purpose=form.cleaned_data["action"],
        at=form.cleaned_data["at"],
    )
    for outcome in outcomes or []:
        (messages.success if outcome.ok else messages.warning)(request, outcome.message)
    return redirect("demands:delivery_leader", pk=need.pk)


# ---- close-out ----------------------------------------------------------------------------------------------------


@login_required
def closeout_form(request, pk):
    """The close-out report with photos; once submitted, the report itself (for whoever may see the need)."""
    need = _visible_need(request, pk)
    assignment = delivery.accepted_assignment(need)
    if assignment is None:
        raise Http404
    closeout = getattr(need, "closeout", None)
    may_close = delivery.can_close(request.user, assignment)
    if closeout is None and not may_close:
        raise Http404
    form = CloseOutForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and closeout is None and form.is_valid():
        try:
            delivery.closeout_submit(
                actor=request.user, need=need, summary=form.cleaned_data["summary"], photos=form.cleaned_data["photos"]
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            form.add_error("photos" if exc.field == "photos" else ("summary" if exc.field == "summary" else None),
                           exc.message)
        else:
            messages.success(request, "结案报告已提交，等待服务对象评价。")
            return redirect("demands:closeout_form", pk=need.pk)
    elif request.method == "POST" and closeout is not None:
        messages.info(request, "该需求已提交结案报告。")
        return redirect("demands:closeout_form", pk=need.pk)
    context = {
        "need": need,
        "assignment": assignment,
        "closeout": closeout,
        "photos": list(closeout.photos.all()) if closeout else [],
        "show_photos": selectors.can_see_details(request.user, need),
        "form": form,
        "figures": _figures_for(assignment),
        "visits": Delivery.objects.filter(assignment=assignment).select_related("volunteer", "record"),
    }
    return render(request, "demands/delivery/closeout.html", context, status=400 if form.errors else 200)


@login_required
def closeout_photo(request, pk):
    """A close-out photo, to whoever may see the need's details (R23): never from MEDIA_URL."""
    photo = get_object_or_404(CloseOutPhoto.objects.select_related("closeout__need__node"), pk=pk)
    need = photo.closeout.need
    in_scope = Need.objects.restrict(request.user, "view").filter(pk=need.pk).exists()
    if not (in_scope or selectors.Viewer(request.user).is_provider(need)):
        raise Http404
    if not selectors.can_see_details(request.user, need):
        raise Http404
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=delivery.photo_content_type(photo.image.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=600"
    response["Content-Disposition"] = "inline"
    return response


# ---- the resident's evaluation (public, 适老化) ---------------------------------------------------------------------


def _client_key(request) -> str:
    return f"jinguo:rate-lookup-failures:{request.META.get('REMOTE_ADDR', '')}"


def _lookup(request, form) -> Need | None:
    """Her need from the code and phone; wrong pairs are counted per client address and locked out after a few."""
    failures = cache.get(_client_key(request), 0)
    if failures >= LOOKUP_ATTEMPTS:
        form.add_error(None, f"输错次数过多，请 {LOOKUP_LOCK_SECONDS // 60} 分钟后再试，或请社区工作人员帮忙。")
        return None
    need = feedback.find_by_tracking(form.cleaned_data["tracking_code"], form.cleaned_data["phone"])
    if need is None:
        cache.set(_client_key(request), failures + 1, LOOKUP_LOCK_SECONDS)
        form.add_error(None, "查询码或手机号不对，请再核对一下。")
    return need


def rate(request):
    """Public: she types her tracking code and phone (or comes from her status page with them), sees her need and
    taps the stars. Everything is a plain form: it works without JavaScript on an old phone."""
    if request.method != "POST":
        initial = {"tracking_code": request.GET.get("code", "")[:12]}
        return render(request, "demands/delivery/rate_lookup.html", {"form": LookupForm(initial=initial)})
    lookup = LookupForm(request.POST)
    if not lookup.is_valid():
        return render(request, "demands/delivery/rate_lookup.html", {"form": lookup}, status=400)
    need = _lookup(request, lookup)
    if need is None:
        return render(request, "demands/delivery/rate_lookup.html", {"form": lookup}, status=400)
    cache.delete(_client_key(request))
    assignment = delivery.accepted_assignment(need)
    context = {"need": need, "provider": assignment.assignee_name if assignment and assignment.team_id else ""}
    if hasattr(need, "evaluation"):
        return render(request, "demands/delivery/rate_done.html", {**context, "evaluation": need.evaluation})
    if need.status != NeedStatus.DELIVERED:
        return render(request, "demands/delivery/rate_done.html", {**context, "not_yet": True})
    form = RatingForm(request.POST if "rating" in request.POST else None, initial=lookup.cleaned_data)
    if "rating" in request.POST and form.is_valid():
        try:
            evaluation = feedback.evaluation_submit(
                actor=request.user, need=need, rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"], phone=lookup.cleaned_data["phone"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "demands/delivery/rate_done.html", {**context, "evaluation": evaluation,
                                                                       "thanks": True})
    return render(request, "demands/delivery/rate.html", {**context, "form": form, "stars": range(5, 0, -1)},
                  status=400 if form.errors else 200)


# ---- evaluation by account, or by staff for her -------------------------------------------------------------------


@login_required
def evaluation_form(request, pk):
    """She rates from her account; staff of the need's community (or above) enter her rating for her."""
    need = _visible_need(request, pk)
    by_requester = need.requester_user_id == request.user.pk
    if not by_requester and not get_scope(request.user).covers(need.node.path, "change"):
        raise Http404
    evaluation = getattr(need, "evaluation", None)
    form = RatingForm(request.POST or None)
    for name in ("tracking_code", "phone"):
        form.fields[name].required = False
    if request.method == "POST" and evaluation is None and form.is_valid():
        evaluation = run_service(
            request, feedback.evaluation_submit, need=need, rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"], by_requester=by_requester,
        )
        if evaluation is not None:
            messages.success(request, "评价已保存。")
            return redirect("demands:evaluation_form", pk=need.pk)
    context = {"need": need, "form": form, "evaluation": evaluation, "by_requester": by_requester,
               "stars": range(5, 0, -1)}
    return render(request, "demands/delivery/evaluation_form.html", context)


def _visible_evaluations(user):
    return Evaluation.objects.filter(need__in=Need.objects.restrict(user, "view").values("pk"))


@login_required
def evaluation_list(request):
    """Evaluations of the needs in her scope, for the federation's review."""
    if not get_scope(request.user).is_staff_anywhere:
        raise Http404
    form = EvaluationFilterForm(request.GET or None)
    qs = _visible_evaluations(request.user).select_related("need__node", "entered_by").order_by("-created_at", "-id")
    if form.is_valid():
        if form.cleaned_data["review"]:
            qs = qs.filter(review=form.cleaned_data["review"])
        if form.cleaned_data["rating"]:
            qs = qs.filter(rating=form.cleaned_data["rating"])
    page = paginate(request, qs)
    scope = get_scope(request.user)
    for evaluation in page:
        evaluation.can_review = evaluation.review == EvaluationReview.PENDING and scope.covers(
            evaluation.need.node.path, "change"
        )
    return render(request, "demands/delivery/evaluation_list.html",
                  {"form": form, "page_obj": page, "review_form": ReviewForm()})


@login_required
@require_POST
def evaluation_review(request, pk):
    evaluation = get_object_or_404(_visible_evaluations(request.user), pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        done = run_service(request, feedback.evaluation_review, evaluation=evaluation, review=form.cleaned_data["review"],
                           note=form.cleaned_data["note"])
        if done is not None:
            messages.success(request, f"已复核需求 {evaluation.need.number} 的评价。")
    else:
        messages.error(request, "请选择复核结果。")
    return redirect(request.POST.get("next") if _safe_next(request) else reverse("demands:evaluation_list"))


def _safe_next(request) -> bool:
    target = request.POST.get("next", "")
    return target.startswith("/demands/") and "//" not in target


# ---- complaints -------------------------------------------------------------------------------------------------


@login_required
def complaint_list(request):
    form = ComplaintFilterForm(request.GET or None)
    qs = Complaint.objects.restrict(request.user, "view").select_related("need__node").order_by("-created_at", "-id")
    if form.is_valid() and form.cleaned_data["status"]:
        qs = qs.filter(status=form.cleaned_data["status"])
    return render(request, "demands/delivery/complaint_list.html", {"form": form, "page_obj": paginate(request, qs)})


def _visible_complaint(request, pk) -> Complaint:
    return get_object_or_404(
        Complaint.objects.restrict(request.user, "view").select_related("need__node", "handled_by", "entered_by"),
        pk=pk,
    )


@login_required
def complaint_detail(request, pk):
    complaint = _visible_complaint(request, pk)
    need = complaint.need
    assignment = delivery.accepted_assignment(need)
    context = {
        "complaint": complaint,
        "need": need,
        "assignment": assignment,
        "figures": _figures_for(assignment) if assignment else None,
        "can_handle": get_scope(request.user).covers(need.node.path, "change"),
        "handle_form": ComplaintHandleForm(),
        "conclude_form": ConcludeForm(),
    }
    return render(request, "demands/delivery/complaint_detail.html", context)


@login_required
@require_POST
def complaint_handle(request, pk):
    complaint = _visible_complaint(request, pk)
    form = ComplaintHandleForm(request.POST)
    if form.is_valid() and run_service(request, feedback.complaint_handle, complaint=complaint, note=form.cleaned_data["note"]):
        messages.success(request, "已受理该投诉。")
    return redirect("demands:complaint_detail", pk=complaint.pk)


@login_required
@require_POST
def complaint_conclude(request, pk):
    complaint = _visible_complaint(request, pk)
    form = ConcludeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写处理结果。")
    elif run_service(request, feedback.complaint_conclude, complaint=complaint, conclusion=form.cleaned_data["conclusion"]):
        messages.success(request, "投诉已办结。")
    return redirect("demands:complaint_detail", pk=complaint.pk)


@login_required
def complaint_create(request, pk):
    """Staff record a complaint for the requester; she may also file one from her own account."""
    need = _visible_need(request, pk)
    by_requester = need.requester_user_id == request.user.pk
    if not by_requester and not get_scope(request.user).covers(need.node.path, "change"):
        raise Http404
    form = ComplaintForm(request.POST or None)
    if by_requester:
        form.fields["complainant"].required = False
    if request.method == "POST" and form.is_valid():
        complaint = run_service(
            request, feedback.complaint_create, need=need, text=form.cleaned_data["text"],
            complainant=form.cleaned_data["complainant"], by_requester=by_requester,
        )
        if complaint is not None:
            messages.success(request, "投诉已登记，将由社区妇联处理。")
            if Complaint.objects.restrict(request.user, "view").filter(pk=complaint.pk).exists():
                return redirect("demands:complaint_detail", pk=complaint.pk)
            return redirect("demands:delivery_mine")
    return render(request, "demands/delivery/complaint_form.html", {"need": need, "form": form,
                                                                     "statuses": ComplaintStatus})
