"""Reads of the activities app: what a volunteer may join, her sign-ups, insurance cover, rosters, site load (R29).

Staff lists go through `Activity.objects.restrict(user, action)`; what a volunteer may browse is a different
question (audience rules, not the org subtree), answered by `activities_open_to(volunteer)`."""

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from jinguo.core.scope import get_scope
from jinguo.core.text import clean_compact
from jinguo.orgs.models import Node
from jinguo.volunteers.choices import ConsentKind, MembershipStatus
from jinguo.volunteers.models import Consent, Volunteer

from .choices import HOLDING_SIGNUP, OPEN_SIGNUP, ActivityStatus, Audience, SignUpStatus
from .models import Activity, InsurancePolicy, Qualification, Shift, SignUp

EARTH_RADIUS_M = 6_371_000


# ---- who may join what --------------------------------------------------------------------------------------


def _prefixes(path: str) -> list[str]:
    """A path and every ancestor path: 0001, 00010002, 000100020003."""
    return [path[:i] for i in range(Node.steplen, len(path) + 1, Node.steplen)]


def volunteer_places(volunteer: Volunteer) -> tuple[list[str], list[str]]:
    """(paths of her home node and active teams, paths of her active teams): where she belongs."""
    team_paths = list(
        volunteer.memberships.filter(status=MembershipStatus.ACTIVE).values_list("team__path", flat=True)
    )
    home_path = Node.objects.filter(pk=volunteer.home_node_id).values_list("path", flat=True).first()
    return ([home_path] if home_path else []) + team_paths, team_paths


def audience_q(volunteer: Volunteer) -> Q:
    """Activities whose audience includes her: public ones; subtree ones organised at or above her community or one
    of her teams; team ones organised by one of her teams or a team above it (members of sub-teams are members)."""
    places, teams = volunteer_places(volunteer)
    subtree_paths = sorted({p for path in places for p in _prefixes(path)})
    team_paths = sorted({p for path in teams for p in _prefixes(path)})
    q = Q(audience=Audience.PUBLIC)
    if subtree_paths:
        q |= Q(audience=Audience.SUBTREE, organiser__path__in=subtree_paths)
    if team_paths:
        q |= Q(audience=Audience.TEAM, organiser__path__in=team_paths)
    return q


def activities_open_to(volunteer: Volunteer, *, now: datetime.datetime | None = None):
    """Published activities she may sign up for now: audience includes her and the sign-up deadline has not passed."""
    now = now or timezone.now()
    return (
        Activity.objects.filter(status=ActivityStatus.PUBLISHED, signup_deadline__gte=now, end_at__gt=now)
        .filter(audience_q(volunteer))
        .select_related("organiser")
    )


def audience_includes(volunteer: Volunteer, activity: Activity) -> bool:
    return Activity.objects.filter(pk=activity.pk).filter(audience_q(volunteer)).exists()


def visible_activities(user):
    """Activities a user may open: staff in their subtree, a volunteer those she signed up for or may join."""
    q = Q(pk__in=Activity.objects.restrict(user, "view").values("pk"))
    volunteer = Volunteer.objects.filter(user_id=getattr(user, "pk", None)).first() if user.is_authenticated else None
    if volunteer is not None:
        q |= Q(status=ActivityStatus.PUBLISHED) & audience_q(volunteer)
    return Activity.objects.filter(q).select_related("organiser")


# ---- her checks ----------------------------------------------------------------------------------------------


def insurance_covers(volunteer: Volunteer, day: datetime.date) -> bool:
    """R10: an accident-insurance policy names her and its period includes the day."""
    return InsurancePolicy.objects.filter(volunteers=volunteer, starts_on__lte=day, ends_on__gte=day).exists()


def uncovered_days(volunteer: Volunteer, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Days of [first, last] that no policy of hers covers (one query, however many days)."""
    periods = list(
        InsurancePolicy.objects.filter(volunteers=volunteer, starts_on__lte=last, ends_on__gte=first).values_list(
            "starts_on", "ends_on"
        )
    )
    days, day = [], first
    while day <= last:
        if not any(start <= day <= end for start, end in periods):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def shift_days(shift: Shift) -> tuple[datetime.date, datetime.date]:
    """The first and last local day a shift touches (a shift ending at midnight does not touch the next day)."""
    first = timezone.localtime(shift.start_at).date()
    last = timezone.localtime(shift.end_at - datetime.timedelta(microseconds=1)).date()
    return first, max(first, last)


def normalise_qualification(name: str) -> str:
    return clean_compact(name).lower()


def holds_qualification(volunteer: Volunteer, name: str, day: datetime.date) -> bool:
    """R9: a qualification of hers with that name (spaces and full-width letters ignored), valid on the day."""
    wanted = normalise_qualification(name)
    for qualification_name, valid_until in Qualification.objects.filter(volunteer=volunteer).values_list(
        "name", "valid_until"
    ):
        if normalise_qualification(qualification_name) == wanted and (valid_until is None or valid_until >= day):
            return True
    return False


def has_guardian_consent(volunteer: Volunteer) -> bool:
    return Consent.objects.filter(volunteer=volunteer, kind=ConsentKind.GUARDIAN, withdrawn_at__isnull=True).exists()


# ---- sign-ups ------------------------------------------------------------------------------------------------


def holding_count(shift: Shift) -> int:
    return shift.signups.filter(status__in=HOLDING_SIGNUP).count()


def shift_figures(activity: Activity) -> list[dict]:
    """Per shift: capacity, places taken (confirmed + pending), confirmed, pending, waitlisted."""
    rows = (
        activity.shifts.annotate(
            n_confirmed=Count("signups", filter=Q(signups__status=SignUpStatus.CONFIRMED)),
            n_pending=Count("signups", filter=Q(signups__status=SignUpStatus.PENDING)),
            n_waitlisted=Count("signups", filter=Q(signups__status=SignUpStatus.WAITLISTED)),
        )
        .order_by("start_at", "id")
    )
    figures = []
    for shift in rows:
        taken = shift.n_confirmed + shift.n_pending
        figures.append(
            {
                "shift": shift,
                "capacity": shift.capacity,
                "taken": taken,
                "free": max(0, shift.capacity - taken),
                "confirmed": shift.n_confirmed,
                "pending": shift.n_pending,
                "waitlisted": shift.n_waitlisted,
            }
        )
    return figures


def signups_of(volunteer: Volunteer):
    return SignUp.objects.filter(volunteer=volunteer).select_related("activity__organiser", "shift")


def open_signups_of(volunteer: Volunteer, activity: Activity) -> list[SignUp]:
    return list(
        SignUp.objects.filter(volunteer=volunteer, activity=activity, status__in=OPEN_SIGNUP).select_related("shift")
    )


def waitlist_position(signup: SignUp) -> int | None:
    if signup.status != SignUpStatus.WAITLISTED:
        return None
    ahead = SignUp.objects.filter(shift_id=signup.shift_id, status=SignUpStatus.WAITLISTED).filter(
        Q(created_at__lt=signup.created_at) | Q(created_at=signup.created_at, pk__lt=signup.pk)
    )
    return ahead.count() + 1


# ---- distance ------------------------------------------------------------------------------------------------


def haversine_m(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: Decimal, lng: Decimal, radius_m: float) -> tuple[float, float, float, float]:
    """A lat/lng box that contains the circle (a cheap index-friendly prefilter before the exact distance)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(0.01, math.cos(math.radians(float(lat))))
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat))
    return float(lat) - dlat, float(lat) + dlat, float(lng) - dlng, float(lng) + dlng


def distance_text(metres: int) -> str:
    return f"{metres} 米" if metres < 1000 else f"{metres / 1000:.1f} 公里"


BROWSE_LIMIT = 500


def browse(volunteer: Volunteer, *, category: str = "", date_from=None, date_to=None, team: Node | None = None,
           near: tuple[Decimal, Decimal] | None = None, within_km: Decimal | None = None) -> list[Activity]:
    """What she may join, filtered; with a point, nearest first (each gets `.distance_m`), those without a map point
    after them. At most BROWSE_LIMIT rows (the soonest): a phone list, not a report."""
    qs = activities_open_to(volunteer)
    if category:
        qs = qs.filter(category=category)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(end_at__gte=datetime.datetime.combine(date_from, datetime.time.min, tz))
    if date_to:
        qs = qs.filter(start_at__lt=datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tz))
    if team is not None:
        qs = qs.filter(organiser__path__startswith=team.path)
    if near is not None and within_km:
        south, north, west, east = bounding_box(near[0], near[1], float(within_km) * 1000)
        qs = qs.filter(
            Q(latitude__isnull=True)
            | Q(latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east)
        )
    rows = list(qs.order_by("start_at", "id")[:BROWSE_LIMIT])
    if near is None:
        for activity in rows:
            activity.distance_m = activity.distance_text = None
        return rows
    located, unlocated = [], []
    for activity in rows:
        if activity.latitude is None or activity.longitude is None:
            activity.distance_m = activity.distance_text = None
            unlocated.append(activity)
            continue
        activity.distance_m = round(haversine_m(near[0], near[1], activity.latitude, activity.longitude))
        activity.distance_text = distance_text(activity.distance_m)
        if within_km and activity.distance_m > float(within_km) * 1000:
            continue
        located.append(activity)
    located.sort(key=lambda a: (a.distance_m, a.start_at))
    return located + unlocated


# ---- R29: one site, one day -------------------------------------------------------------------------------------


def normalise_site(text: str) -> str:
    """How sites are stored and compared: full-width forms folded, every space removed."""
    return clean_compact(text)


def local_days(start_at: datetime.datetime, end_at: datetime.datetime) -> list[datetime.date]:
    first = timezone.localtime(start_at).date()
    last = timezone.localtime(end_at - datetime.timedelta(microseconds=1)).date()
    days, day = [], first
    while day <= max(first, last):
        days.append(day)
        day += datetime.timedelta(days=1)
    return days


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tz)
    return start, start + datetime.timedelta(days=1)


def site_activities_on(site: str, day: datetime.date, *, exclude_pk: int | None = None):
    """Published activities serving a site (normalised, case-insensitive) on a local day."""
    start, end = day_bounds(day)
    qs = Activity.objects.filter(
        status=ActivityStatus.PUBLISHED, service_site__iexact=normalise_site(site), start_at__lt=end, end_at__gt=start
    ).select_related("organiser")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("start_at", "id")


@dataclass
class SiteDay:
    day: datetime.date
    site: str
    activities: list = field(default_factory=list)  # in her scope
    total: int = 0  # published ones serving the site that day, anywhere on the platform

    @property
    def at_cap(self) -> bool:
        return self.total >= settings.SITE_DAILY_CAP

    @property
    def over_cap(self) -> bool:
        return self.total > settings.SITE_DAILY_CAP


def site_load(user, *, campaign: str = "", date_from=None, date_to=None) -> list[SiteDay]:
    """R29 for staff: campaign activities in her scope (published or awaiting approval) grouped by site and day, each
    group with how many published activities serve that site that day across the platform."""
    qs = Activity.objects.restrict(user, "view").filter(
        status__in=(ActivityStatus.PUBLISHED, ActivityStatus.PENDING)
    ).exclude(campaign="")
    if campaign:
        qs = qs.filter(campaign=campaign)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(end_at__gte=datetime.datetime.combine(date_from, datetime.time.min, tz))
    if date_to:
        qs = qs.filter(start_at__lt=datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tz))
    groups: dict[tuple, SiteDay] = {}
    for activity in qs.select_related("organiser").order_by("start_at", "id")[:2000]:
        site = normalise_site(activity.service_site)
        for day in local_days(activity.start_at, activity.end_at):
            if (date_from and day < date_from) or (date_to and day > date_to):
                continue
            key = (day, site.lower())
            group = groups.setdefault(key, SiteDay(day=day, site=site))
            group.activities.append(activity)
    for group in groups.values():
        group.total = site_activities_on(group.site, group.day).count() if group.site else 0
    return sorted(groups.values(), key=lambda g: (g.day, -g.total, g.site))


# ---- staff lists ---------------------------------------------------------------------------------------------


def approval_queue(user):
    """Activities waiting for the approval of a node in her change scope (R30)."""
    scope = get_scope(user)
    qs = Activity.objects.filter(status=ActivityStatus.PENDING).select_related("organiser", "approval_node")
    if scope.platform:
        return qs
    paths = scope.change_paths
    if not paths:
        return qs.none()
    q = Q()
    for path in paths:
        q |= Q(approval_node__path__startswith=path)
    return qs.filter(q)


def signups_without_cover(activity: Activity):
    """Her sign-ups for a risky activity that no policy covers on some day of the shift (R10)."""
    rows = []
    signups = (
        SignUp.objects.filter(activity=activity, status__in=OPEN_SIGNUP)
        .select_related("volunteer", "shift")
        .order_by("shift__start_at", "volunteer__name_initials", "id")
    )
    for signup in signups:
        first, last = shift_days(signup.shift)
        days = uncovered_days(signup.volunteer, first, last)
        if days:
            rows.append((signup, days))
    return rows
