"""Pages of dispatch: a need's dispatch page with ranked candidates and their reasons (staff), the provider's inbox
with accept / decline on a phone (team leaders and volunteers), each node's overview of waiting, overdue and
escalated needs in its subtree, and the dispatch rules. Views stay thin: services decide, scope narrows every query.
"""

import logging
import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.masking import mask_name
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.core.shortcuts import require_staff, run_service
from jinguo.orgs.choices import NodeKind, Role
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.volunteers.choices import VolunteerStatus
from jinguo.volunteers.models import Volunteer

from . import services_dispatch as services
from .choices import VULNERABLE_FLAG_LABELS, AssignmentMode, AssignmentStatus, NeedStatus
from .forms_dispatch import DispatchRuleForm, OverviewFilterForm, ReasonForm
from .models import Assignment, DispatchRule, Need, ProviderStats

logger = logging.getLogger("jinguo.demands")
CANDIDATE_LIMIT = 20


# ---- shared ---------------------------------------------------------------------------------------------------------


def _staff_need(request, pk) -> Need:
    """A need of her staff scope: its node lies in her subtree (serving it as a provider is not enough here)."""
    need = get_object_or_404(Need.objects.restrict(request.user, "view").select_related("node"), pk=pk)
    if not get_scope(request.user).covers(need.node.path, "view"):
        raise Http404
    return need


def _staff_assignment(request, pk) -> Assignment:
    assignment = get_object_or_404(
        Assignment.objects.restrict(request.user, "view").select_related("need__node", "team", "volunteer"), pk=pk
    )
    if not get_scope(request.user).covers(assignment.need.node.path, "view"):
        raise Http404
    return assignment


def _can_see_details(user, need: Need) -> bool:
    """Part A's R23 rule when it is there; until then only the need's own staff see the requester."""
    try:
        from .selectors import can_see_details
    except ImportError:
        return get_scope(user).covers(need.node.path, "personal")
    return can_see_details(user, need)


def _need_view(user, need: Need) -> dict:
    """What a page may show of a need: full requester details only to those R23 allows."""
    full = _can_see_details(user, need)
    return {
        "need": need,
        "full": full,
        "requester": need.requester_name if full else mask_name(need.requester_name),
        "phone": need.requester_phone if full else need.requester_phone_masked,
        "address": need.address if full else "",
        "flags": [VULNERABLE_FLAG_LABELS.get(code, code) for code in need.vulnerable_flags],
    }


# ---- the dispatch page ----------------------------------------------------------------------------------------------


def _fallback_teams(request, need: Need) -> list[dict]:
    """Without the recommender: the active teams of her scope, those offering the need's category first."""
    teams = (
        Node.objects.restrict(request.user, "view").active().filter(kind=NodeKind.TEAM)
        .select_related("team", "provider_stats").order_by("path")[:200]
    )  # fmt: skip
    rows = []
    for node in teams:
        team = getattr(node, "team", None)
        match = bool(team and need.category in (team.service_categories or []))
        stats = getattr(node, "provider_stats", None)
        reasons = ["服务类别匹配：" + need.get_category_display()] if match else []
        if stats is not None:
            reasons.append(f"在办 {stats.open_count} 单")
        rows.append({"team": node, "volunteer": None, "score": None, "reasons": reasons, "match": match})
    rows.sort(key=lambda r: (not r["match"], r["team"].path))
    return rows[:CANDIDATE_LIMIT]


def _fallback_volunteers(request, need: Need) -> list[dict]:
    volunteers = (
        Volunteer.objects.restrict(request.user, "view")
        .filter(status=VolunteerStatus.ACTIVE, user__isnull=False)
        .select_related("home_node").order_by("home_node__path", "id")[:200]
    )  # fmt: skip
    rows = []
    for volunteer in volunteers:
        match = need.category in (volunteer.categories or [])
        reasons = ["服务类别匹配：" + need.get_category_display()] if match else []
        if volunteer.home_node_id == need.node_id:
            reasons.append("同一社区")
        rows.append({"team": None, "volunteer": volunteer, "score": None, "reasons": reasons,
                     "match": match or volunteer.home_node_id == need.node_id})  # fmt: skip
    rows.sort(key=lambda r: not r["match"])
    return rows[:CANDIDATE_LIMIT]


def candidates_for(request, need: Need, kind: str) -> tuple[list[dict], bool]:
    """(rows, ranked): the recommender's candidates with its reasons, or the fallback list when it is absent."""
    try:
        from .recommend import rank_candidates
    except ImportError:
        rows = _fallback_teams(request, need) if kind == "team" else _fallback_volunteers(request, need)
        return rows, False
    ranked = rank_candidates(need, kind=kind, user=request.user, limit=CANDIDATE_LIMIT)
    rows = [{"team": c.team, "volunteer": c.volunteer, "score": c.score, "reasons": list(c.reasons)} for c in ranked]
    return rows, True


@login_required
def dispatch_page(request, pk):
    need = _staff_need(request, pk)
    can_dispatch = services.can_dispatch(request.user, need)
    kind = request.GET.get("kind") if request.GET.get("kind") in ("team", "volunteer") else "team"
    rows, ranked = [], False
    if can_dispatch and need.status == NeedStatus.OPEN:
        rows, ranked = candidates_for(request, need, kind)
    assignments = need.assignments.select_related("team", "volunteer", "offered_by", "responded_by")
    live = next((a for a in assignments if a.status in (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)), None)
    context = {
        **_need_view(request.user, need),
        "can_dispatch": can_dispatch,
        "kind": kind,
        "rows": rows,
        "ranked": ranked,
        "assignments": assignments,
        "live": live,
        "limit_hours": services.accept_hours(need),
        "overdue": need.status in services.WAITING and need.accept_deadline and need.accept_deadline < timezone.now(),
        "reason_form": ReasonForm(),
        "breadcrumb_node": need.node,
    }
    return render(request, "demands/dispatch/dispatch.html", context)


def _float(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@login_required
@require_POST
def dispatch_assign(request, pk):
    need = _staff_need(request, pk)
    team = volunteer = None
    if request.POST.get("team", "").isdigit():
        team = Node.objects.restrict(request.user, "view").filter(pk=request.POST["team"], kind=NodeKind.TEAM).first()
        if team is None:
            raise Http404
    elif request.POST.get("volunteer", "").isdigit():
        volunteer = Volunteer.objects.restrict(request.user, "view").filter(pk=request.POST["volunteer"]).first()
        if volunteer is None:
            raise Http404
    reasons = [r[:100] for r in request.POST.getlist("reasons")[:12]]
    result = run_service(request, services.need_dispatch, need=need, team=team, volunteer=volunteer,
                         score=_float(request.POST.get("score")), reasons=reasons)  # fmt: skip
    if result:
        messages.success(request, f"已派单给{result.assignee_name}，等待对方接单。")
    return redirect("demands:dispatch", pk=need.pk)


@login_required
@require_POST
def assignment_withdraw(request, pk):
    assignment = _staff_assignment(request, pk)
    run_service(request, services.assignment_withdraw, "已撤回派单，需求回到待派单。", assignment=assignment,
                reason=request.POST.get("reason", ""))  # fmt: skip
    return redirect("demands:dispatch", pk=assignment.need_id)


@login_required
@require_POST
def offer_confirm(request, pk):
    assignment = _staff_assignment(request, pk)
    run_service(request, services.assignment_confirm_offer, "已确认，由申请人承接该需求。", assignment=assignment)
    return redirect("demands:dispatch", pk=assignment.need_id)


@login_required
@require_POST
def offer_reject(request, pk):
    assignment = _staff_assignment(request, pk)
    run_service(request, services.assignment_reject_offer, "已婉拒该接单申请，需求回到待派单。", assignment=assignment,
                reason=request.POST.get("reason", ""))  # fmt: skip
    return redirect("demands:dispatch", pk=assignment.need_id)


# ---- the node overview ----------------------------------------------------------------------------------------------


def _waiting_q():
    return Q(status__in=services.WAITING)


@login_required
def overview(request):
    """Each node's waiting needs in its subtree: counts, then a filtered, paged table."""
    scope = require_staff(request)
    node = None
    if request.GET.get("node", "").isdigit():
        node = Node.objects.restrict(request.user, "view").filter(pk=request.GET["node"]).first()
    if node is None and not scope.platform:
        # Her highest federation node; a team leader alone has none and sees the needs her team serves.
        node = Node.objects.filter(path__in=scope.view_paths).exclude(kind=NodeKind.TEAM).order_by("path").first()
    qs = Need.objects.restrict(request.user, "view").select_related("node", "escalated_to")
    if node is not None:
        qs = qs.filter(node__path__startswith=node.path)
    now = timezone.now()
    waiting = qs.filter(_waiting_q())
    counts = {
        "open": waiting.filter(status=NeedStatus.OPEN).count(),
        "dispatched": waiting.filter(status=NeedStatus.DISPATCHED).count(),
        "overdue": waiting.filter(accept_deadline__lt=now).count(),
        "escalated": waiting.filter(escalation_level__gt=0).count(),
        "escalated_here": waiting.filter(escalated_to=node).count() if node is not None else 0,
        "accepted": qs.filter(status__in=(NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE)).count(),
    }
    form = OverviewFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    show = data.get("show") or "waiting"
    rows = {
        "waiting": waiting,
        "open": waiting.filter(status=NeedStatus.OPEN),
        "dispatched": waiting.filter(status=NeedStatus.DISPATCHED),
        "overdue": waiting.filter(accept_deadline__lt=now),
        "escalated": waiting.filter(escalation_level__gt=0),
        "accepted": qs.filter(status__in=(NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE)),
    }[show]
    if data.get("category"):
        rows = rows.filter(category=data["category"])
    if data.get("urgency"):
        rows = rows.filter(urgency=data["urgency"])
    if data.get("q"):
        rows = rows.filter(number__icontains=data["q"].strip())
    page = paginate(request, rows.order_by("accept_deadline", "pk"), per_page=20)
    live = {
        a.need_id: a
        for a in Assignment.objects.live().filter(need__in=[n.pk for n in page]).select_related("team", "volunteer")
    }
    for need in page:
        need.live_assignment = live.get(need.pk)
        need.is_overdue = need.status in services.WAITING and need.accept_deadline and need.accept_deadline < now
    context = {"node": node, "counts": counts, "form": form, "show": show, "page_obj": page,
               "breadcrumb_node": node, "now": now}  # fmt: skip
    return render(request, "demands/dispatch/overview.html", context)


# ---- dispatch rules -------------------------------------------------------------------------------------------------


@login_required
def rule_list(request):
    scope = require_staff(request)
    rules = DispatchRule.objects.restrict(request.user, "view").select_related("node", "team").order_by("node__path", "pk")
    page = paginate(request, rules, per_page=30)
    can_create = scope.platform or bool(scope.change_paths)
    return render(request, "demands/dispatch/rules.html", {"page_obj": page, "can_create": can_create})


def _rule_form(request, rule=None):
    form = DispatchRuleForm(request.POST or None, instance=rule, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                services.rule_create(actor=request.user, data=form.rule_data())
            else:
                services.rule_update(actor=request.user, rule=rule, data=form.rule_data())
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "自动派单规则已保存。")
            return redirect("demands:dispatch_rules")
    return render(request, "demands/dispatch/rule_form.html", {"form": form, "rule": rule})


@login_required
def rule_create(request):
    scope = require_staff(request)
    if not (scope.platform or scope.change_paths):
        raise PermissionDenied("您的账号为只读权限，不能设置派单规则。")
    return _rule_form(request)


@login_required
def rule_edit(request, pk):
    require_staff(request)
    rule = get_object_or_404(DispatchRule.objects.restrict(request.user, "change").select_related("node"), pk=pk)
    return _rule_form(request, rule)


@login_required
@require_POST
def rule_toggle(request, pk):
    require_staff(request)
    rule = get_object_or_404(DispatchRule.objects.restrict(request.user, "change"), pk=pk)
    result = run_service(request, services.rule_update, rule=rule, data={"is_active": not rule.is_active})
    if result:
        messages.success(request, "规则已启用。" if result.is_active else "规则已停用。")
    return redirect("demands:dispatch_rules")


# ---- the provider's inbox -------------------------------------------------------------------------------------------

INBOX_TABS = [
    ("offered", "待接单"),
    ("applied", "我的申请"),
    ("accepted", "进行中"),
    ("done", "已结束"),
]


def led_teams(user) -> list[Node]:
    if not user.is_authenticated:
        return []
    return list(
        Node.objects.filter(
            kind=NodeKind.TEAM, status="active",
            pk__in=RoleAssignment.objects.current().filter(user=user, role=Role.TEAM_LEADER).values("node_id"),
        ).order_by("path")
    )  # fmt: skip


def _inbox_q(user, teams: list[Node]) -> Q | None:
    q = None
    volunteer = Volunteer.objects.filter(user=user).only("pk").first()
    if volunteer is not None:
        q = Q(volunteer=volunteer)
    for team in teams:
        term = Q(team__path__startswith=team.path)
        q = term if q is None else q | term
    return q


@login_required
def inbox(request):
    """我的派单 / 队伍派单: what was offered to her or to the teams she leads; accept or decline with a reason."""
    teams = led_teams(request.user)
    q = _inbox_q(request.user, teams)
    tab = request.GET.get("tab") if request.GET.get("tab") in dict(INBOX_TABS) else "offered"
    counts, page = {}, None
    if q is not None:
        qs = Assignment.objects.filter(q).select_related("need__node", "team", "volunteer")
        by_tab = {
            "offered": qs.filter(status=AssignmentStatus.OFFERED).exclude(mode=AssignmentMode.OFFER),
            "applied": qs.filter(status=AssignmentStatus.OFFERED, mode=AssignmentMode.OFFER),
            "accepted": qs.filter(status=AssignmentStatus.ACCEPTED),
            "done": qs.exclude(status__in=(AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)),
        }
        counts = {key: by_tab[key].count() for key in ("offered", "applied", "accepted")}
        order = ("respond_by", "pk") if tab == "offered" else ("-offered_at", "-pk")
        page = paginate(request, by_tab[tab].order_by(*order), per_page=10)
        for assignment in page:
            assignment.view = _need_view(request.user, assignment.need)
    figures = None
    volunteer = Volunteer.objects.filter(user=request.user).first() if request.user.is_authenticated else None
    if volunteer is not None:
        figures = ProviderStats.objects.filter(volunteer=volunteer).first()
    context = {"teams": teams, "tab": tab, "tabs": INBOX_TABS, "counts": counts, "page_obj": page,
               "is_provider": q is not None, "figures": figures, "now": timezone.now()}  # fmt: skip
    return render(request, "demands/dispatch/inbox.html", context)


def _provider_assignment(request, pk) -> Assignment:
    """One of her assignments (or her team's); anything else is not found."""
    q = _inbox_q(request.user, led_teams(request.user))
    if q is None:
        raise Http404
    return get_object_or_404(Assignment.objects.filter(q).select_related("need__node", "team", "volunteer"), pk=pk)


@login_required
@require_POST
def inbox_accept(request, pk):
    assignment = _provider_assignment(request, pk)
    result = run_service(request, services.assignment_accept, assignment=assignment)
    if result:
        messages.success(request, f"已接单：{assignment.need.number}。请按约定时间上门服务。")
    return redirect(f"{reverse('demands:inbox')}?tab=accepted" if result else reverse("demands:inbox"))


@login_required
def inbox_decline(request, pk):
    assignment = _provider_assignment(request, pk)
    form = ReasonForm(request.POST or None)
    form.fields["reason"].label = "拒单原因"
    if request.method == "POST" and form.is_valid():
        result = run_service(request, services.assignment_decline, "已拒单，工作人员会重新派单。", assignment=assignment,
                             reason=form.cleaned_data["reason"])  # fmt: skip
        if result:
            return redirect("demands:inbox")
    context = {"assignment": assignment, "form": form, **_need_view(request.user, assignment.need)}
    return render(request, "demands/dispatch/decline.html", context)
