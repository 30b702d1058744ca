"""The home dashboard (工作台): figures of the user's scope, her to-do list and quick links."""

import json

from django.db.models import Count, Q
from django.shortcuts import redirect, render

from jinguo.core.scope import get_scope
from jinguo.orgs.choices import FilingStatus, NodeStatus, ReportStatus, Role
from jinguo.orgs.models import AnnualReport, Node, ReportingYear, RoleAssignment, Team
from jinguo.orgs.selectors import below_standard_q, subtree_counts_many, top_nodes
from jinguo.volunteers.choices import DisputeStatus, MembershipStatus
from jinguo.volunteers.models import IdentityDispute, Membership

TOP_CARDS = 6
CHART_BARS = 30
OPEN_YEARS = 5


def home(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    scope = get_scope(user)
    if not scope.is_staff_anywhere:
        if hasattr(user, "volunteer"):
            return redirect("volunteers:me")
        return render(request, "reports/no_role.html")
    tops = top_nodes(user)[:TOP_CARDS]
    counts = subtree_counts_many(tops)
    cards = [{"node": node, "counts": counts[node.pk]} for node in tops]
    context = {
        "cards": cards,
        "todo": _todo(user, scope),
        "chart": _chart(user, tops[0]) if tops else None,
        "can_change": scope.platform or bool(scope.change_paths),
    }
    return render(request, "reports/home.html", context)


def _from_above(qs, scope, lookup: str):
    """Drop rows at her own top nodes: those are decided by the level above her."""
    if scope.platform:
        return qs
    return qs.exclude(**{f"{lookup}__in": scope.change_paths})


def _todo(user, scope) -> dict:
    filing = _from_above(
        Team.objects.restrict(user, "change").filter(
            filing_status=FilingStatus.SUBMITTED, node__status=NodeStatus.ACTIVE
        ),
        scope,
        "node__path",
    ).count()
    waiting = _from_above(
        AnnualReport.objects.restrict(user, "change").filter(status=ReportStatus.SUBMITTED),
        scope,
        "team__node__path",
    )
    # Per reporting year, so that each to-do links to the table of that year's reports waiting for her.
    reports = list(
        waiting.values("reporting_year_id", "reporting_year__year", "reporting_year__node__name")
        .annotate(n=Count("pk"))
        .order_by("-reporting_year__year", "reporting_year__node__name")
    )
    years = []
    for year in ReportingYear.objects.restrict(user).filter(closed_at__isnull=True).select_related("node")[:OPEN_YEARS]:
        teams = Team.objects.restrict(user, "view").filter(
            node__path__startswith=year.node.path, node__status=NodeStatus.ACTIVE
        )
        done = AnnualReport.objects.filter(
            reporting_year=year, team__in=teams, status__in=[ReportStatus.SUBMITTED, ReportStatus.CONFIRMED]
        ).count()
        missing = teams.count() - done
        if missing > 0:
            years.append({"year": year, "missing": missing})
    disputes = 0
    if scope.platform or scope.change_paths:
        disputes = IdentityDispute.objects.restrict(user, "change").filter(status=DisputeStatus.OPEN).count()
    led = list(
        RoleAssignment.objects.current()
        .filter(user=user, role=Role.TEAM_LEADER, node__status=NodeStatus.ACTIVE)
        .values_list("node__path", flat=True)
    )
    applications = []
    if led:
        waiting = Membership.objects.restrict(user, "change").filter(status=MembershipStatus.APPLIED)
        team_filter = None
        for path in led:
            term = Q(team__path__startswith=path)
            team_filter = term if team_filter is None else team_filter | term
        applications = list(
            waiting.filter(team_filter).values("team_id", "team__name").annotate(n=Count("pk")).order_by("team__name")
        )
    below = Team.objects.restrict(user, "view").filter(below_standard_q()).count()
    return {
        "filing": filing,
        "reports": reports,
        "years": years,
        "disputes": disputes,
        "applications": applications,
        "below_standard": below,
        "empty": not (filing or reports or years or disputes or applications or below),
    }


def _chart(user, top: Node) -> str | None:
    """Bar chart of the figures of the first top node's children (ECharts option, JSON for data-echarts)."""
    children = list(
        Node.objects.restrict(user, "view")
        .filter(path__startswith=top.path, depth=top.depth + 1, status=NodeStatus.ACTIVE)
        .order_by("path")[:CHART_BARS]
    )
    if len(children) < 2:
        return None
    counts = subtree_counts_many(children)
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 36, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": [n.name for n in children],
            "axisLabel": {"interval": 0, "rotate": 30 if len(children) > 5 else 0},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "color": ["#b0245a", "#6b2c91", "#d4a017"],
        "series": [
            {"name": "登记志愿者", "type": "bar", "data": [counts[n.pk]["volunteers"] for n in children]},
            {"name": "在队成员", "type": "bar", "data": [counts[n.pk]["members"] for n in children]},
            {"name": "队伍", "type": "bar", "data": [counts[n.pk]["teams"] for n in children]},
        ],
    }
    return json.dumps(option, ensure_ascii=False)
