"""Reads of the ledger for pages: records in the user's scope with filters, their totals from the caches, the review
queue of held records (for the level above), correction requests, the star distribution, and her own archive."""

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jinguo.activities.models import Attendance, HoursDeclaration, SignUp
from jinguo.core.scope import get_scope
from jinguo.orgs.selectors import top_nodes
from jinguo.volunteers.models import Volunteer

from . import ledger
from .models import CorrectionRequest, RecordStatus, ServiceRecord, StarChange, VolunteerHours

ZERO = Decimal("0")


def records(
    user, *, node=None, q="", date_from=None, date_to=None, method="", status="", flag="", volunteer=None, activity=None
):
    """Current entries (a corrected entry shows as its correction) that the user may see, filtered."""
    qs = ServiceRecord.objects.restrict(user, "view").current()
    if activity is not None:
        qs = qs.filter(activity_id=activity)
    if node is not None:
        qs = qs.filter(organiser__path__startswith=node.path)
    if volunteer is not None:
        qs = qs.filter(volunteer=volunteer)
    q = (q or "").strip()
    if q:
        if q.upper().startswith("JG"):
            qs = qs.filter(volunteer__number=q.upper())
        else:
            qs = qs.filter(volunteer__name__startswith=q)
    if date_from:
        qs = qs.filter(service_date__gte=date_from)
    if date_to:
        qs = qs.filter(service_date__lte=date_to)
    if method:
        qs = qs.filter(method=method)
    if status:
        qs = qs.filter(status=status)
    if flag == "any":
        qs = qs.exclude(flags=[])
    elif flag == "other":
        qs = qs.filter(entered_by_other=True)
    elif flag:
        qs = qs.filter(flags__contains=flag) if _json_contains() else qs.filter(flags__icontains=f'"{flag}"')
    return qs.select_related("volunteer", "organiser", "activity", "recorded_by").order_by("-start_at", "-id")


def _json_contains() -> bool:
    """JSON containment (`flags @> '["burst"]'`) is PostgreSQL's; SQLite matches the quoted code in the text."""
    from django.db import connection

    return connection.vendor == "postgresql"


def scope_totals(user, *, node=None) -> dict:
    """Counted hours from the per-node cache: for the chosen node, else for each of the user's top nodes."""
    year = timezone.localdate().year
    nodes = [node] if node is not None else top_nodes(user)
    total = {"hours": ZERO, "records": 0, "year_hours": ZERO, "year_records": 0, "year": year}
    for each in nodes:
        figures = ledger.subtree_hours(each)
        this_year = ledger.subtree_hours(each, year)
        total["hours"] += figures["hours"]
        total["records"] += figures["records"]
        total["year_hours"] += this_year["hours"]
        total["year_records"] += this_year["records"]
    return total


def volunteer_totals(volunteer) -> dict:
    rows = list(VolunteerHours.objects.filter(volunteer=volunteer).order_by("-year"))
    return {
        "hours": sum((r.hours for r in rows), ZERO),
        "records": sum(r.records for r in rows),
        "by_year": rows,
    }


def filtered_sum(qs) -> dict:
    """The counted hours among the filtered records (a SUM over the filtered ledger, shown when filters narrow it)."""
    figures = qs.filter(status=RecordStatus.VERIFIED).aggregate(hours=Sum("hours"), n=Count("pk"))
    return {"hours": figures["hours"] or ZERO, "records": figures["n"]}


def chain(record: ServiceRecord) -> list[ServiceRecord]:
    """The record's whole history, oldest first: the first entry and each correction of it."""
    first = record
    while first.corrects_id:
        first = ServiceRecord.objects.select_related("recorded_by").get(pk=first.corrects_id)
    entries = [first]
    while entries[-1].superseded_by_id:
        entries.append(
            ServiceRecord.objects.select_related("recorded_by").get(pk=entries[-1].superseded_by_id)
        )
    return entries


def review_queue(user):
    """Held records the user releases or rejects: from above the organiser (R15/R28); those waiting only for her own
    confirmation (R25) release themselves and are left out."""
    scope = get_scope(user)
    qs = (
        ServiceRecord.objects.restrict(user, "change")
        .current()
        .filter(status=RecordStatus.HELD)
        .exclude(hold_reason=ledger.HELD_PENDING)
    )
    if not scope.platform:
        qs = qs.exclude(organiser__path__in=scope.change_paths)
    return qs.select_related("volunteer", "organiser", "activity", "recorded_by").order_by("recorded_at", "id")


def correction_requests(user, *, status: str = ""):
    qs = CorrectionRequest.objects.restrict(user, "change")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("volunteer", "organiser", "record", "activity", "decided_by").order_by("-created_at", "-id")


def star_distribution(user, *, node=None) -> list[dict]:
    """Volunteers in scope per star level (0 = not yet starred), every level listed."""
    qs = Volunteer.objects.restrict(user, "view").in_rosters()
    if node is not None:
        qs = qs.filter(
            Q(home_node__path__startswith=node.path)
            | Q(memberships__team__path__startswith=node.path, memberships__status="active")
        ).distinct()
    counts = {row["star_level"]: row["n"] for row in qs.values("star_level").annotate(n=Count("pk", distinct=True))}
    thresholds = [0, *settings.STAR_THRESHOLDS]
    return [
        {"level": level, "threshold": thresholds[level], "count": counts.get(level, 0)}
        for level in range(len(thresholds))
    ]


def star_levels() -> list[dict]:
    return [{"level": i + 1, "threshold": h} for i, h in enumerate(settings.STAR_THRESHOLDS)]


def next_star(volunteer) -> dict | None:
    """The next level and the hours still missing, for her archive."""
    total = ledger.counted_total(volunteer)
    for level, threshold in enumerate(settings.STAR_THRESHOLDS, start=1):
        if total < threshold:
            return {"level": level, "threshold": threshold, "missing": Decimal(threshold) - total}
    return None


# ---- her own archive (section 6) --------------------------------------------------------------------------------


def archive(volunteer) -> dict:
    """Everything about her service: sign-ups, check-ins, hours by year, every record under her name (R27), her
    correction requests, her star level and its history."""
    signups = list(
        SignUp.objects.filter(volunteer=volunteer)
        .select_related("activity", "shift", "activity__organiser")
        .order_by("-shift__start_at", "-id")[:50]
    )
    attendances = {
        a.shift_id: a for a in Attendance.objects.filter(volunteer=volunteer, shift_id__in=[s.shift_id for s in signups])
    }
    entries = list(
        ServiceRecord.objects.filter(volunteer=volunteer)
        .select_related("organiser", "activity", "recorded_by")
        .order_by("-start_at", "-id")
    )
    recorded: dict[int, Decimal] = {}
    for entry in entries:
        if entry.superseded_by_id is None and entry.activity_id and entry.status != RecordStatus.REJECTED:
            recorded[entry.activity_id] = recorded.get(entry.activity_id, ZERO) + entry.hours
    now = timezone.now()
    for signup in signups:
        signup.attendance = attendances.get(signup.shift_id)
        signup.recorded_hours = recorded.get(signup.activity_id)
        signup.ended = signup.shift.end_at <= now
    declarations = list(
        HoursDeclaration.objects.filter(volunteer=volunteer).select_related("activity").order_by("-created_at")[:20]
    )
    return {
        "signups": signups,
        "declarations": declarations,
        "totals": volunteer_totals(volunteer),
        "records": [r for r in entries if r.superseded_by_id is None],
        "superseded": {r.pk: r for r in entries if r.superseded_by_id is not None},
        "corrections": list(
            CorrectionRequest.objects.filter(volunteer=volunteer)
            .select_related("record", "activity", "organiser", "decided_by")
            .order_by("-created_at")
        ),
        "stars": list(StarChange.objects.filter(volunteer=volunteer).order_by("-changed_at", "-id")),
        "next_star": next_star(volunteer),
        "held_hours": sum(
            (r.hours for r in entries if r.superseded_by_id is None and r.status == RecordStatus.HELD), ZERO
        ),
    }


def omission_choices(volunteer):
    """Activities she signed up for, that have ended, with no current record of hers: what she may say was missed."""
    now = timezone.now()
    recorded = ServiceRecord.objects.current().filter(volunteer=volunteer, activity__isnull=False).values("activity_id")
    return (
        SignUp.objects.filter(volunteer=volunteer, shift__start_at__lt=now)
        .exclude(activity_id__in=recorded)
        .select_related("activity", "shift")
        .order_by("-shift__start_at")
    )


def label_flags(rows):
    """Each record gets `flag_labels`: the Chinese text of its R15/R28 flags (for the templates)."""
    for row in rows:
        row.flag_labels = [ledger.FLAG_TEXT.get(flag, flag) for flag in row.flags or []]
    return rows


def activities_without_evidence(user, *, limit: int = 50):
    """R28: finished activities in scope whose hours rest on check-ins with no evidence of service: no check-in
    position, no leader's roster confirmation, no declaration approved by a leader. Flagged for the level above
    to look at (the records themselves stay as they are: a flag, not a verdict)."""
    from django.db.models import Count, Exists, OuterRef, Q

    from jinguo.activities.models import Activity, Attendance

    scope = get_scope(user)
    evidenced = Attendance.objects.filter(activity=OuterRef("pk")).filter(
        Q(in_latitude__isnull=False) | Q(out_latitude__isnull=False) | Q(recorded_by__isnull=False)
    )
    qs = (
        Activity.objects.restrict(user, "change")
        .filter(end_at__lt=timezone.now())
        .annotate(checkins=Count("attendances", filter=Q(attendances__check_in_at__isnull=False)))
        .filter(checkins__gt=0)
        .exclude(Exists(evidenced))
    )
    if not scope.platform:
        qs = qs.exclude(organiser__path__in=scope.change_paths)
    return qs.select_related("organiser").order_by("-end_at")[:limit]
