"""Reads of supply and demand shared by every part: who may see a need's details (R23), what a viewer is shown,
the menus a community can order from, the open needs a volunteer or team may offer to take.

R23, as the platform applies it:
- a need's full details (the requester's name, phone and address) are seen by the staff holding a role at the
  need's community or at its street (the node above), by platform administrators (each such view of a flagged need
  is audited by the page), by the requester herself, and by the provider of a live or completed assignment (the
  volunteer, or the team's leader and members);
- a need without vulnerable-person flags is also seen in full by staff whose scope covers it (the levels above);
- everyone else the row scope lets in sees a masked name and phone, the street and community instead of the
  address, and the flags as labels.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from jinguo.core.masking import mask_name, mask_phone
from jinguo.core.scope import get_scope, path_q
from jinguo.orgs.choices import NodeKind, NodeStatus, Role
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.volunteers.bitmask import labels_of
from jinguo.volunteers.choices import MembershipStatus
from jinguo.volunteers.models import Membership, Volunteer

from .choices import SERVED_OR_LIVE, VULNERABLE_FLAGS, AssignmentStatus, NeedStatus
from .models import Assignment, MenuItem, Need

FEDERATION_ROLES = (Role.FEDERATION_ADMIN, Role.FEDERATION_STAFF)


SERVED = (AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED)


def _parent_path(node: Node) -> str:
    return node.path[: -Node.steplen] if node.depth > 1 else node.path


class Viewer:
    """One user's R23 rights, read once (roles, teams) and applied to many needs without a query per need when
    the needs come with their assignments prefetched (`prefetch_related("assignments")`)."""

    def __init__(self, user):
        self.user = user
        self.user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
        self.active = bool(self.user_id) and user.is_active
        self.scope = get_scope(user)
        self._parents: dict[str, str] = {}
        if not self.active:
            self.role_paths, self.led_teams, self.member_teams = set(), set(), set()
            self.led_paths = ()
            return
        roles = RoleAssignment.objects.current().filter(user_id=self.user_id, node__status=NodeStatus.ACTIVE)
        self.role_paths = set(roles.filter(role__in=FEDERATION_ROLES).values_list("node__path", flat=True))
        led = list(roles.filter(role=Role.TEAM_LEADER).values_list("node_id", "node__path"))
        self.led_teams = {pk for pk, _path in led}
        self.led_paths = tuple(path for _pk, path in led)  # a leader answers for the teams under hers too
        self.member_teams = set(
            Membership.objects.filter(volunteer__user_id=self.user_id, status=MembershipStatus.ACTIVE)
            .values_list("team_id", flat=True)
        )

    def holds_role_at_node(self, need: Need) -> bool:
        """A federation role at the need's community or at the node just above it."""
        return need.node.path in self.role_paths or _parent_path(need.node) in self.role_paths

    def is_provider(self, need: Need) -> bool:
        """She serves the need: a live or completed assignment names her, or a team she leads or belongs to.

        For a need flagged under R23 an offer is not enough: the details reach a provider only once she has
        accepted it (she decides from the public summary), so that dispatching to the wrong team leaks nothing."""
        statuses = SERVED if need.is_sensitive else SERVED_OR_LIVE
        for assignment in need.assignments.all():
            if assignment.status not in statuses:
                continue
            if assignment.team_id and (assignment.team_id in self.led_teams or assignment.team_id in self.member_teams):
                return True
            if assignment.team_id and self.led_paths and assignment.team.path.startswith(self.led_paths):
                return True
            if assignment.volunteer_id and assignment.volunteer.user_id == self.user_id:
                return True
        return False

    def can_see_details(self, need: Need) -> bool:
        if not self.active:
            return False
        if self.scope.platform:
            return True
        if need.requester_user_id and need.requester_user_id == self.user_id:
            return True
        if self.holds_role_at_node(need) or self.is_provider(need):
            return True
        return bool(not need.is_sensitive and self.scope.view_paths and self.scope.covers(need.node.path, "view"))

    def street_level(self, need: Need) -> str:
        """Where, without the address: 筼筜街道 湖滨社区."""
        path = _parent_path(need.node)
        if path not in self._parents:
            self._parents[path] = Node.objects.filter(path=path).values_list("name", flat=True).first() or ""
        parent = self._parents[path]
        return f"{parent} {need.node.name}" if parent and path != need.node.path else need.node.name

    def view(self, need: Need) -> "NeedView":
        flags = labels_of(need.vulnerable_mask, VULNERABLE_FLAGS)
        if self.can_see_details(need):
            return NeedView(True, need.requester_name, need.requester_phone, need.address, need.description, flags)
        return NeedView(
            False, mask_name(need.requester_name), mask_phone(need.requester_phone), self.street_level(need),
            need.public_summary, flags,
        )


def can_see_details(user, need: Need) -> bool:
    """R23: may this user see the requester's name, phone, address and own words? (See the module docstring.)"""
    return Viewer(user).can_see_details(need)


def audited_full_view(user, need: Need) -> bool:
    """A platform administrator opening a flagged need that she sees only as administrator: the view is audited."""
    viewer = Viewer(user)
    return bool(
        viewer.scope.platform and need.is_sensitive and not viewer.holds_role_at_node(need)
        and not viewer.is_provider(need) and need.requester_user_id != viewer.user_id
    )


@dataclass
class NeedView:
    """What one viewer is shown of a need's requester (full, or masked) and of her own words."""

    full: bool
    name: str
    phone: str
    address: str
    description: str
    flags: list[str] = field(default_factory=list)


def need_view(user, need: Need) -> NeedView:
    return Viewer(user).view(need)


def anonymised(need: Need) -> dict:
    """The open-needs list's row: no name, no phone, no address (public summary, category, community, date)."""
    return {
        "id": need.pk,
        "number": need.number,
        "summary": need.public_summary,
        "category": need.get_category_display(),
        "community": need.node.name,
        "date": need.preferred_date,
        "preferred_time": need.preferred_time,
        "urgency": need.urgency,
        "urgency_display": need.get_urgency_display(),
        "claimable": need.claimable,
        "created_at": need.created_at,
    }


# ---- menus ------------------------------------------------------------------------------------------------------


def menu_for(node: Node):
    """The active menu items a resident of `node` can order: their area is the node or a node above it."""
    paths = [*node.ancestor_paths(), node.path]
    return (
        MenuItem.objects.active()
        .filter(area__path__in=paths, team__status=NodeStatus.ACTIVE)
        .select_related("team", "area")
        .order_by("category", "title", "id")
    )


def managed_menu_items(user):
    return MenuItem.objects.restrict(user, "view").select_related("team", "area")


def menu_teams(user):
    """Teams whose menu she may manage."""
    return Node.objects.restrict(user, "change").teams().active()


def menu_area_choices(user):
    """The areas her menus may serve: the federation node each of her teams belongs to, and everything below it."""
    team_paths = list(menu_teams(user).values_list("path", flat=True)[:500])
    ancestors = {p[:i] for p in team_paths for i in range(Node.steplen, len(p), Node.steplen)}
    federation = set(
        Node.objects.filter(path__in=ancestors).exclude(kind=NodeKind.TEAM).values_list("path", flat=True)
    )
    roots = set()
    for path in team_paths:
        owners = [a for a in federation if path.startswith(a)]
        if owners:
            roots.add(max(owners, key=len))
    q = path_q("path", roots)
    nodes = Node.objects.federations().active()
    return nodes.filter(q) if q is not None else nodes.none()


# ---- open needs -------------------------------------------------------------------------------------------------


def area_path(node: Node) -> str:
    """A provider's area for open needs: the district (区县) her community or team lies in; above district level,
    the nearest federation node (the same reach as `services_dispatch.in_reach`)."""
    chain = [*node.ancestors_list(), node]
    districts = [n for n in chain if n.kind == NodeKind.DISTRICT]
    if districts:
        return districts[-1].path
    federations = [n for n in chain if n.kind != NodeKind.TEAM]
    return federations[-1].path if federations else node.path


def service_area_paths(user) -> list[str] | None:
    """Where her open needs come from; None = everywhere (platform). Staff: their scope. A team leader or member:
    the district of the team. A volunteer: the district of her home community."""
    scope = get_scope(user)
    if scope.platform:
        return None
    paths = [p for p in scope.view_paths if not Node.objects.filter(path=p, kind=NodeKind.TEAM).exists()]
    teams = Node.objects.filter(
        Q(role_assignments__user_id=user.pk, role_assignments__role=Role.TEAM_LEADER,
          role_assignments__revoked_at__isnull=True)
        | Q(memberships__volunteer__user_id=user.pk, memberships__status=MembershipStatus.ACTIVE),
        kind=NodeKind.TEAM,
    ).distinct()
    paths += [area_path(team) for team in teams]
    volunteer = Volunteer.objects.select_related("home_node").filter(user_id=user.pk).first()
    if volunteer is not None and volunteer.home_node_id:
        paths.append(area_path(volunteer.home_node))
    return paths


def open_needs_for(user):
    """Open needs (accepted by the community, not yet taken) in her service area, newest first. Shown anonymised."""
    return needs_in_service_area(user).filter(status=NeedStatus.OPEN)


def needs_in_service_area(user):
    """Every need in her service area, whatever its state (to tell her a need she tried to take is gone)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Need.objects.none()
    qs = Need.objects.select_related("node")
    paths = service_area_paths(user)
    if paths is None:
        return qs
    q = path_q("node__path", paths)
    return qs.filter(q) if q is not None else qs.none()


def review_queue(user):
    return Need.objects.restrict(user, "change").filter(status=NeedStatus.SUBMITTED).select_related("node")


def staff_needs(user):
    return Need.objects.restrict(user, "view").select_related("node", "menu_item")


def live_assignment(need: Need) -> Assignment | None:
    return need.assignments.filter(
        status__in=(AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)
    ).select_related("team", "volunteer").first()
