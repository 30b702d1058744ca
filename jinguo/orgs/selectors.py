"""Reads about the org tree. Everything that serves a user is restricted by her scope."""

from django.conf import settings
from django.db.models import Q, Sum

from .choices import NodeKind, NodeStatus
from .models import Node, NodeCounter, Team


def tier_names_for(node: Node) -> list[str]:
    """The team tier names that apply at `node`: the nearest ancestor's setting, else the deployment's."""
    cached = getattr(node, "_tier_names", None)
    if cached is not None:
        return cached
    paths = [*node.ancestor_paths(), node.path]
    setting = (
        Node.objects.filter(path__in=paths)
        .exclude(team_tier_names="")
        .order_by("-depth")
        .values_list("team_tier_names", flat=True)
        .first()
    )
    names = [n.strip() for n in setting.split(",") if n.strip()] if setting else list(settings.TEAM_TIER_NAMES)
    node._tier_names = names
    return names


def tier_choices(parent: Node) -> tuple[list[int], int]:
    """The tiers a new team under `parent` may take, and the default one.

    Under a team: a lower tier than the parent's. Under a federation node: any tier, defaulting by how far the
    node lies below the node whose tier names apply (or the city): Pingdingshan's 总队 hangs from the city, its
    分队 from the counties, its 小队 from the streets, so a team registered at a county is a 分队 by default.
    """
    names = tier_names_for(parent)
    if parent.is_team:
        first = parent.team.tier + 1
        return list(range(first, len(names) + 1)), first
    paths = [*parent.ancestor_paths(), parent.path]
    reference = (
        Node.objects.filter(path__in=paths)
        .filter(Q(team_tier_names__gt="") | Q(kind=NodeKind.CITY))
        .order_by("-depth")
        .values_list("depth", flat=True)
        .first()
    )
    default = 1 + parent.depth - reference if reference is not None else 1
    return list(range(1, len(names) + 1)), max(1, min(default, len(names)))


def federation_ancestor(node: Node) -> Node:
    """The nearest federation node at or above `node` (a team's home federation)."""
    if not node.is_team:
        return node
    return Node.objects.filter(path__in=node.ancestor_paths()).exclude(kind=NodeKind.TEAM).order_by("-depth").first()


def subtree_counts(node: Node) -> dict:
    """Teams, registered volunteers and memberships in the subtree: a SUM over pre-aggregated rows."""
    counters = NodeCounter.objects.all()
    if node.depth > 1 or Node.objects.filter(depth=1).count() > 1:
        counters = counters.filter(node__path__startswith=node.path)
    # else: the only root's subtree is every row, and the sum needs neither the join nor the filter.
    figures = counters.aggregate(volunteers=Sum("volunteers"), members=Sum("members"), teams=Sum("teams"))
    return {key: value or 0 for key, value in figures.items()}


def teams_in(user, node: Node | None = None, action: str = "view"):
    qs = Team.objects.restrict(user, action).select_related("node")
    if node is not None:
        qs = qs.filter(node__path__startswith=node.path)
    return qs


def nodes_for_user(user, action: str = "view"):
    return Node.objects.restrict(user, action).filter(status=NodeStatus.ACTIVE)


def top_nodes(user):
    """The highest nodes the user can see: her entry points into the tree."""
    from jinguo.core.scope import get_scope

    scope = get_scope(user)
    if scope.platform:
        return list(Node.objects.get_root_nodes())
    return list(Node.objects.filter(path__in=scope.view_paths).order_by("path"))


def scope_summary(user) -> dict:
    """What the scope bar shows: each role with its node, linked."""
    from django.urls import reverse

    from jinguo.core.scope import get_scope

    from .choices import Role
    from .models import RoleAssignment

    scope = get_scope(user)
    if scope.platform:
        return {"platform": True}
    items = []
    for assignment in RoleAssignment.objects.current().filter(user=user).select_related("node").order_by("node__path"):
        node = assignment.node
        url = reverse("orgs:team_detail" if node.is_team else "orgs:node_detail", args=[node.pk])
        items.append(
            {
                "role": assignment.get_role_display() if assignment.role != Role.TEAM_LEADER else "队长",
                "node": node.name,
                "url": url,
                "subtree": True,
                "path_label": node.name,
            }
        )
    return {"platform": False, "items": items, "volunteer": hasattr(user, "volunteer")}


# ---- helpers for pages that show many nodes at once (added with the orgs UI) ----------------------------------


def _parse_tier_names(value: str) -> list[str]:
    return [n.strip() for n in value.replace("，", ",").split(",") if n.strip()]


def prime_tier_names(nodes) -> None:
    """Resolve the tier names of many nodes with one query, so lists do not query once per row."""
    nodes = [n for n in nodes if getattr(n, "_tier_names", None) is None]
    if not nodes:
        return
    paths: set[str] = set()
    for node in nodes:
        paths.update(node.ancestor_paths())
        paths.add(node.path)
    setters = dict(
        Node.objects.filter(path__in=paths).exclude(team_tier_names="").values_list("path", "team_tier_names")
    )
    default = list(settings.TEAM_TIER_NAMES)
    for node in nodes:
        names = default
        for path in [node.path, *reversed(node.ancestor_paths())]:
            if path in setters:
                names = _parse_tier_names(setters[path]) or default
                break
        node._tier_names = names


def subtree_counts_many(nodes) -> dict[int, dict]:
    """subtree_counts for several nodes (siblings, top nodes) in one query per path length."""
    from django.db.models.functions import Substr

    result: dict[int, dict] = {n.pk: {"volunteers": 0, "members": 0, "teams": 0} for n in nodes}
    by_length: dict[int, dict[str, int]] = {}
    for node in nodes:
        by_length.setdefault(len(node.path), {})[node.path] = node.pk
    for length, pk_by_path in by_length.items():
        paths = list(pk_by_path)
        common = paths[0]
        for path in paths[1:]:
            while not path.startswith(common):
                common = common[: -Node.steplen]
        rows = (
            NodeCounter.objects.filter(node__path__startswith=common)
            .annotate(prefix=Substr("node__path", 1, length))
            .filter(prefix__in=paths)
            .values("prefix")
            .annotate(volunteers=Sum("volunteers"), members=Sum("members"), teams=Sum("teams"))
        )
        for row in rows:
            result[pk_by_path[row["prefix"]]] = {
                "volunteers": row["volunteers"] or 0,
                "members": row["members"] or 0,
                "teams": row["teams"] or 0,
            }
    return result


def below_standard_q():
    """Teams that are basic units (小队) with fewer than SQUAD_MIN_MEMBERS members, as a filter on Team.

    The basic tier depends on the tier names in force above each team, so each node that sets its own names
    contributes one term (deepest first, each excluding the deeper ones).
    """
    from django.db.models import Q

    setters = sorted(
        Node.objects.exclude(team_tier_names="").values_list("path", "team_tier_names"),
        key=lambda row: len(row[0]),
        reverse=True,
    )
    squad = None
    handled: list[str] = []

    def term(prefix: str, tiers: int) -> Q:
        condition = Q(tier__gte=tiers)
        if prefix:
            condition &= Q(node__path__startswith=prefix)
        for deeper in handled:
            if deeper.startswith(prefix):
                condition &= ~Q(node__path__startswith=deeper)
        return condition

    for path, value in setters:
        names = _parse_tier_names(value) or list(settings.TEAM_TIER_NAMES)
        part = term(path, len(names))
        squad = part if squad is None else squad | part
        handled.append(path)
    part = term("", len(settings.TEAM_TIER_NAMES))
    squad = part if squad is None else squad | part
    few = Q(node__counter__members__lt=settings.SQUAD_MIN_MEMBERS) | Q(node__counter__isnull=True)
    return squad & few & Q(node__status=NodeStatus.ACTIVE)


def filter_teams(user, data: dict):
    """The team list's filters (also the statistics export's): q, tier, filing_status, category, region,
    below_standard, status ("" = active only, "all", or a NodeStatus), on top of the user's scope."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    teams = Team.objects.restrict(user, "view").select_related("node", "node__counter")
    status = data.get("status") or ""
    if status == "":
        teams = teams.filter(node__status=NodeStatus.ACTIVE)
    elif status != "all":
        teams = teams.filter(node__status=status)
    if data.get("q"):
        q = data["q"].strip()
        teams = teams.filter(Q(node__name__contains=q) | Q(team_number__icontains=q) | Q(archive_number__icontains=q))
    if data.get("tier"):
        teams = teams.filter(tier=data["tier"])
    if data.get("filing_status"):
        teams = teams.filter(filing_status=data["filing_status"])
    if data.get("category"):
        # The categories are a JSON list; its text holds each code in quotes on SQLite and PostgreSQL alike.
        teams = teams.annotate(categories_text=Cast("service_categories", TextField())).filter(
            categories_text__contains=f'"{data["category"]}"'
        )
    if data.get("region"):
        teams = teams.filter(node__path__startswith=data["region"].path)
    if data.get("below_standard"):
        teams = teams.filter(below_standard_q())
    return teams
