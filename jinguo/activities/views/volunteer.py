"""Her pages, on a phone: find activities open to her, see one, sign up or cancel, and her sign-ups. The activity
page is shared with staff (they see the figures and the management buttons)."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import Node

from .. import selectors, services
from ..choices import OPEN_SIGNUP, ActivityStatus, SignUpStatus
from ..forms import BrowseForm
from ..models import Activity, Shift, SignUp
from .common import can_change, own_volunteer, visible_activity


class ListPaginator(Paginator):
    """Paging a list already in memory (the distance-sorted browse list), with the labels the paging include shows."""

    @property
    def count_display(self) -> str:
        return str(self.count)

    @property
    def num_pages_display(self) -> str:
        return str(self.num_pages)


def _browse_teams(volunteer):
    """Teams that organise activities open to her (for the team filter)."""
    organisers = selectors.activities_open_to(volunteer).filter(organiser__kind=NodeKind.TEAM).values("organiser_id")
    return Node.objects.filter(pk__in=organisers).order_by("path")


@login_required
def browse(request):
    volunteer = own_volunteer(request)
    if volunteer is None:
        return render(request, "activities/not_volunteer.html")
    form = BrowseForm(request.GET or None, teams=_browse_teams(volunteer))
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        near = (data["lat"], data["lng"]) if data.get("lat") is not None else None
        filters = {
            "category": data["category"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "team": data["team"],
            "near": near,
            "within_km": data["within_km"] or None,
        }
    rows = selectors.browse(volunteer, **filters)
    page = ListPaginator(rows, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/browse.html",
        {"form": form, "page_obj": page, "near": filters.get("near"), "volunteer": volunteer,
         "limited": len(rows) >= selectors.BROWSE_LIMIT},
    )


def _shift_rows(activity: Activity, volunteer, mine: dict) -> list[dict]:
    rows = []
    for figure in selectors.shift_figures(activity):
        shift = figure["shift"]
        figure["mine"] = mine.get(shift.pk)
        figure["key"] = uuid.uuid4().hex
        figure["over"] = shift.end_at <= timezone.now()
        rows.append(figure)
    return rows


@login_required
def detail(request, pk):
    activity = visible_activity(request, pk)
    volunteer = own_volunteer(request)
    scope = get_scope(request.user)
    is_staff_view = scope.covers(activity.organiser.path, "view")
    managing = can_change(request, activity)
    my_signups = []
    if volunteer is not None:
        my_signups = list(
            SignUp.objects.filter(volunteer=volunteer, activity=activity).select_related("shift").order_by("-created_at")
        )
    mine = {s.shift_id: s for s in my_signups if s.status in OPEN_SIGNUP}
    for signup in mine.values():
        signup.position = selectors.waitlist_position(signup)
        signup.cancel_by = services.cancel_deadline(signup)
    now = timezone.now()
    signup_open = (
        volunteer is not None
        and activity.status == ActivityStatus.PUBLISHED
        and activity.signup_deadline >= now
        and activity.end_at > now
        and selectors.audience_includes(volunteer, activity)
    )
    approval_node = activity.approval_node
    context = {
        "activity": activity,
        "shifts": _shift_rows(activity, volunteer, mine),
        "volunteer": volunteer,
        "my_signups": my_signups,
        "mine": mine,
        "signup_open": signup_open,
        "is_staff_view": is_staff_view,
        "can_manage": managing,
        "can_approve": activity.status == ActivityStatus.PENDING and approval_node is not None
        and scope.covers(approval_node.path, "change"),
        "problems": services.publish_problems(activity) if managing and activity.status == ActivityStatus.DRAFT else [],
        "breadcrumb_node": activity.organiser if is_staff_view else None,
        # The check-in engineer's panel (QR, check-in buttons): for the organiser's staff and her confirmed places.
        "checkin_panel": activity.status == ActivityStatus.PUBLISHED
        and (managing or any(s.status == SignUpStatus.CONFIRMED for s in mine.values())),
        "now": now,
    }
    return render(request, "activities/detail.html", context)


@login_required
@require_POST
def signup(request, pk):
    activity = visible_activity(request, pk)
    shift = get_object_or_404(Shift.objects.filter(activity=activity), pk=request.POST.get("shift") or 0)
    try:
        result = services.signup_create(actor=request.user, shift=shift,
                                        idempotency_key=request.POST.get("idempotency_key", ""))
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        text = {
            SignUpStatus.CONFIRMED: "报名成功！请准时参加。",
            SignUpStatus.PENDING: "报名已提交，等待队长审核。",
            SignUpStatus.WAITLISTED: "名额已满，您已进入候补，有人取消时会自动递补并通知您。",
        }.get(result.status, f"报名{result.get_status_display()}。")
        messages.success(request, text)
    return redirect("activities:detail", pk=activity.pk)


@login_required
@require_POST
def my_cancel(request, pk):
    """She cancels her own sign-up."""
    volunteer = own_volunteer(request)
    if volunteer is None:
        raise Http404
    signup = get_object_or_404(SignUp.objects.filter(volunteer=volunteer).select_related("activity"), pk=pk)
    try:
        services.signup_cancel(actor=request.user, signup=signup)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已取消「{signup.activity.title}」的报名。")
    target = request.POST.get("next")
    if target == "mine":
        return redirect("activities:my_signups")
    return redirect("activities:detail", pk=signup.activity_id)


MY_TABS = {
    "open": ("当前报名", Q(status__in=OPEN_SIGNUP)),
    "past": ("历史", ~Q(status__in=OPEN_SIGNUP)),
}


@login_required
def my_signups(request):
    volunteer = own_volunteer(request)
    if volunteer is None:
        return render(request, "activities/not_volunteer.html")
    tab = request.GET.get("tab") if request.GET.get("tab") in MY_TABS else "open"
    now = timezone.now()
    rows = selectors.signups_of(volunteer).filter(MY_TABS[tab][1])
    if tab == "open":
        rows = rows.filter(shift__end_at__gt=now).order_by("shift__start_at", "id")
    else:
        rows = SignUp.objects.filter(volunteer=volunteer).filter(
            ~Q(status__in=OPEN_SIGNUP) | Q(shift__end_at__lte=now)
        ).select_related("activity__organiser", "shift").order_by("-shift__start_at", "-id")
    page = paginate(request, rows, per_page=20)
    for signup in page:
        signup.position = selectors.waitlist_position(signup)
        signup.cancel_by = services.cancel_deadline(signup)
    counts = {"open": selectors.signups_of(volunteer).filter(status__in=OPEN_SIGNUP, shift__end_at__gt=now).count()}
    return render(request, "activities/my_signups.html",
                  {"page_obj": page, "tab": tab, "counts": counts, "now": now, "volunteer": volunteer})
