"""Helpers shared by the orgs pages: access checks through the data scope, and rows of the tree."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from jinguo.core.models import AuditLog
from jinguo.core.scope import get_scope

from ..choices import (
    FEDERATION_ORDER,
    NodeKind,
    NodeStatus,
)
from ..models import Node, Team
from ..selectors import (
    prime_tier_names,
    subtree_counts_many,
)

CHILDREN_LIMIT = 200


def staff_required(view):
    """Logged in and holding a staff or leader role somewhere; a volunteer or a role-less account gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not get_scope(request.user).is_staff_anywhere:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """Staff who can change something (federation admins, leaders, platform admins)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = get_scope(request.user)
        if not (scope.platform or scope.change_paths):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _node(request, pk) -> Node:
    """A node the user may see, or 404."""
    return get_object_or_404(Node.objects.restrict(request.user, "view"), pk=pk)


def _team(request, pk) -> Team:
    return get_object_or_404(
        Team.objects.restrict(request.user, "view").select_related("node", "node__counter", "filed_by_node"), pk=pk
    )


def _can_change(request, node: Node) -> bool:
    return get_scope(request.user).covers(node.path, "change")


def _can_act_from_above(request, node: Node) -> bool:
    """Moving, dissolving, deleting, filing and confirming are done by the level above."""
    return get_scope(request.user).covers_strictly_below(node.path, "change")


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _node_url(node: Node) -> str:
    return reverse("orgs:team_detail" if node.is_team else "orgs:node_detail", args=[node.pk])


def _history(request, node: Node):
    """The node's own audit entries, through the audit log's scope (administrators of the subtree)."""
    return (
        AuditLog.objects.restrict(request.user, "change")
        .filter(target_type=Node._meta.label_lower, target_id=str(node.pk))
        .order_by("-created_at", "-id")[:100]
    )


class Row:
    """One node as the tree and the children tables show it."""

    def __init__(self, node: Node, counts: dict, scope):
        self.node = node
        self.counts = counts
        self.team = getattr(node, "team", None) if node.is_team else None
        self.can_change = scope.covers(node.path, "change")
        self.can_manage = scope.covers_strictly_below(node.path, "change")
        self.below_standard = bool(self.team and node.is_active and self.team.below_standard())
        self.tier_name = self.team.tier_name() if self.team else ""
        self.children = None  # rows of the children when rendered expanded; None loads them on demand
        self.more = False
        self.can_add_federation = (
            not node.is_team and node.is_active and self.can_change and node.kind != FEDERATION_ORDER[-1]
        )


def _rows(request, nodes) -> list[Row]:
    nodes = list(nodes)
    prime_tier_names(nodes)
    counts = subtree_counts_many(nodes)
    scope = get_scope(request.user)
    return [Row(node, counts[node.pk], scope) for node in nodes]


def _children(request, node: Node, show_inactive: bool):
    qs = (
        Node.objects.restrict(request.user, "view")
        .filter(path__startswith=node.path, depth=node.depth + 1)
        .select_related("team", "counter")
    )
    if not show_inactive:
        qs = qs.filter(status=NodeStatus.ACTIVE)
    teams_last = Case(When(kind=NodeKind.TEAM, then=Value(1)), default=Value(0), output_field=IntegerField())
    return qs.order_by(teams_last, "path")


def _back(request, default: str) -> str:
    """Return to the page the action was sent from (same site only), else `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _no_store(response):
    # A page that shows a temporary password must not be kept by the browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response
