"""Reads of care pairings (结对): who sees a recipient's details (R23), next visit due, the overdue list, her own
pairings."""

import datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from jinguo.core import audit
from jinguo.orgs.choices import Role
from jinguo.orgs.models import Node, RoleAssignment

from .care_models import CarePairing, CareRecipient, PairingMember, PairingStatus

STAFF_ROLES = (Role.FEDERATION_ADMIN, Role.FEDERATION_STAFF)


def _parent_path(node: Node) -> str:
    return node.path[: -node.steplen] if node.depth > 1 else ""


def can_see_details(user, recipient: CareRecipient) -> bool:
    """R23: her full phone, address, guardian and notes only for staff holding a role at her community or the
    level just above it, the leader of a team responsible for one of her active pairings, and the volunteers
    paired with her now. Everyone else in scope sees a masked name and phone and her community only."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cache = getattr(user, "_care_details", None)
    if cache is None:
        cache = user._care_details = {}
    if recipient.pk in cache:
        return cache[recipient.pk]
    node = recipient.node
    paths = [node.path]
    parent = _parent_path(node)
    if parent:
        paths.append(parent)
    roles = RoleAssignment.objects.current().filter(user=user)
    allowed = (
        roles.filter(role__in=STAFF_ROLES, node__path__in=paths).exists()
        or roles.filter(
            role=Role.TEAM_LEADER,
            node__in=CarePairing.objects.filter(recipient=recipient, status=PairingStatus.ACTIVE).values("organiser_id"),
        ).exists()
        or PairingMember.objects.filter(recipient=recipient, volunteer__user=user, left_at__isnull=True).exists()
    )
    cache[recipient.pk] = allowed
    return allowed


def details_q(user, prefix: str = "") -> Q:
    """`can_see_details` as a filter on recipients (or on rows reaching one through `prefix`, e.g. "recipient__"):
    a search by name matches only those whose names she may see, so that a search cannot confirm who is cared
    for (R23)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    q = Q(**{f"{prefix}pk__in": PairingMember.objects.filter(volunteer__user=user, left_at__isnull=True).values(
        "recipient_id")})
    roles = RoleAssignment.objects.current().filter(user=user).select_related("node")
    led = [r.node_id for r in roles if r.role == Role.TEAM_LEADER]
    if led:
        active = CarePairing.objects.filter(organiser_id__in=led, status=PairingStatus.ACTIVE).values("recipient_id")
        q |= Q(**{f"{prefix}pk__in": active})
    for role in roles:
        if role.role in STAFF_ROLES:
            node = role.node
            q |= Q(**{f"{prefix}node_id": node.pk})
            q |= Q(**{f"{prefix}node__path__startswith": node.path, f"{prefix}node__depth": node.depth + 1})
    return q


def record_full_view(user, recipient: CareRecipient, where: str) -> None:
    """DESIGN principle 4: every full view of personal data is audited."""
    audit.record(
        user, "care.recipient.viewed", target=recipient, node_path=recipient.node.path,
        summary=f"查看结对对象完整信息（{where}）",
    )


def recipients_for(user, action: str = "view") -> QuerySet:
    return CareRecipient.objects.restrict(user, action).select_related("node")


def pairings_for(user, action: str = "view") -> QuerySet:
    current = PairingMember.objects.filter(left_at__isnull=True).select_related("volunteer")
    return (
        CarePairing.objects.restrict(user, action)
        .select_related("recipient__node", "organiser")
        .prefetch_related(Prefetch("members", queryset=current, to_attr="current_members"))
    )


def period_days(frequency: str, interval_days: int | None) -> int:
    return CarePairing(frequency=frequency, interval_days=interval_days).period_days


def next_visit_due(pairing: CarePairing) -> datetime.date | None:
    """The day the next visit is due: one period after the last visit, or after the start when there was none."""
    if pairing.status != PairingStatus.ACTIVE:
        return None
    base = timezone.localdate(pairing.last_visit_at) if pairing.last_visit_at else pairing.start_date
    return base + datetime.timedelta(days=pairing.period_days)


def overdue_since(today: datetime.date) -> datetime.date:
    """A pairing is overdue when its due date is earlier than this (CARE_VISIT_GRACE_DAYS of grace)."""
    return today - datetime.timedelta(days=settings.CARE_VISIT_GRACE_DAYS)


def is_overdue(pairing: CarePairing, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return pairing.status == PairingStatus.ACTIVE and pairing.next_due is not None and (
        pairing.next_due < overdue_since(today)
    )


def overdue_pairings(user, today: datetime.date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return pairings_for(user).filter(status=PairingStatus.ACTIVE, next_due__lt=overdue_since(today)).order_by(
        "next_due", "id"
    )


def my_pairings(user) -> QuerySet:
    """The pairings she is in now (a volunteer's phone page), soonest visit first."""
    if not getattr(user, "is_authenticated", False):
        return CarePairing.objects.none()
    mine = PairingMember.objects.filter(volunteer__user=user, left_at__isnull=True).values("pairing_id")
    return pairings_for(user).filter(Q(pk__in=mine), status=PairingStatus.ACTIVE).order_by("next_due", "id")
