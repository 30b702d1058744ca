"""Team rosters and memberships: members with backbone flag, applications, add by number and phone, remove
with a reason, history of ended memberships."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import Node, Team

from .. import services
from ..choices import MembershipStatus
from ..forms import (
    AddMemberForm,
    ReasonForm,
)
from ..models import Membership

ROSTER_TABS = {
    "members": (MembershipStatus.ACTIVE,),
    "applications": (MembershipStatus.APPLIED,),
    "history": (MembershipStatus.LEFT, MembershipStatus.REMOVED, MembershipStatus.REJECTED),
}


def _visible_team(request, pk) -> Node:
    return get_object_or_404(Node.objects.restrict(request.user, "view").filter(kind=NodeKind.TEAM), pk=pk)


@login_required
def team_roster(request, pk):
    team = _visible_team(request, pk)
    tab = request.GET.get("tab") if request.GET.get("tab") in ROSTER_TABS else "members"
    memberships = (
        Membership.objects.restrict(request.user, "view")
        .filter(team=team, status__in=ROSTER_TABS[tab])
        .select_related("volunteer", "decided_by")
    )
    if tab == "members":
        memberships = memberships.order_by("-is_backbone", "volunteer__name_initials", "id")
    elif tab == "applications":
        memberships = memberships.order_by("applied_at", "id")
    else:
        memberships = memberships.order_by("-ended_at", "-id")
    base = Membership.objects.filter(team=team)
    counts = {
        "members": base.filter(status=MembershipStatus.ACTIVE).count(),
        "applications": base.filter(status=MembershipStatus.APPLIED).count(),
    }
    context = {
        "team": team,
        "team_info": Team.objects.filter(node=team).first(),
        "tab": tab,
        "page_obj": paginate(request, memberships, per_page=30),
        "counts": counts,
        "can_change": get_scope(request.user).covers(team.path, "change") and team.is_active,
        "add_form": AddMemberForm(),
        "subteams": Node.objects.restrict(request.user, "view")
        .filter(kind=NodeKind.TEAM, path__startswith=team.path, depth=team.depth + 1)
        .order_by("path"),
        "breadcrumb_node": team,
    }
    return render(request, "volunteers/team_roster.html", context)


def _roster_url(team_id: int, tab: str = "members") -> str:
    return f"{reverse('volunteers:team_roster', args=[team_id])}?tab={tab}"


@login_required
@require_POST
def roster_add(request, pk):
    team = _visible_team(request, pk)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写志愿者编号和手机号。")
        return redirect(_roster_url(team.pk))
    try:
        membership = services.membership_add(
            actor=request.user,
            team=team,
            volunteer_number=form.cleaned_data["volunteer_number"],
            phone=form.cleaned_data["phone"],
        )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已将「{membership.volunteer.name}」加入本队。")
    return redirect(_roster_url(team.pk))


def _membership_action(request, pk, action, *, tab: str, done: str, needs_reason: bool = False):
    membership = get_object_or_404(
        Membership.objects.restrict(request.user, "view").select_related("volunteer", "team"), pk=pk
    )
    kwargs = {}
    if needs_reason:
        form = ReasonForm(request.POST)
        kwargs["reason"] = request.POST.get("reason", "") if not form.is_valid() else form.cleaned_data["reason"]
    try:
        action(actor=request.user, membership=membership, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(name=membership.volunteer.name))
    return redirect(_roster_url(membership.team_id, tab))


@login_required
@require_POST
def membership_approve(request, pk):
    return _membership_action(
        request, pk, services.membership_approve, tab="applications", done="已同意「{name}」加入本队。"
    )


@login_required
@require_POST
def membership_reject(request, pk):
    return _membership_action(
        request,
        pk,
        services.membership_reject,
        tab="applications",
        done="已拒绝「{name}」的入队申请。",
        needs_reason=True,
    )


@login_required
@require_POST
def membership_remove(request, pk):
    return _membership_action(
        request, pk, services.membership_remove, tab="members", done="已将「{name}」移出本队。", needs_reason=True
    )


@login_required
@require_POST
def membership_backbone(request, pk):
    backbone = request.POST.get("backbone") == "1"

    def action(*, actor, membership):
        return services.membership_set_backbone(actor=actor, membership=membership, backbone=backbone)

    done = "已将「{name}」设为骨干。" if backbone else "已取消「{name}」的骨干标记。"
    return _membership_action(request, pk, action, tab="members", done=done)
