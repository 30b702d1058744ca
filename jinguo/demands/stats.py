"""The recommender's cached figures per provider (`ProviderStats`): load, services done, ratings.

Every function here runs inside the service's transaction that changes the assignment or the evaluation, so the
figures move with the facts; `rebuild_provider_stats` recomputes all of them from the assignments and evaluations
and reports the rows it had to fix (a test compares it with the cached figures after real flows)."""

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from .choices import AssignmentStatus
from .models import Assignment, Evaluation, ProviderStats


def _row(assignment: Assignment) -> ProviderStats:
    if assignment.team_id:
        stats, _ = ProviderStats.objects.get_or_create(team_id=assignment.team_id)
    else:
        stats, _ = ProviderStats.objects.get_or_create(volunteer_id=assignment.volunteer_id)
    return stats


def _bump(assignment: Assignment, **deltas) -> None:
    stats = _row(assignment)
    updates = {name: F(name) + delta for name, delta in deltas.items()}
    ProviderStats.objects.filter(pk=stats.pk).update(**updates)


def accepted(assignment: Assignment) -> None:
    """The provider took the need: one more in hand."""
    stats = _row(assignment)
    ProviderStats.objects.filter(pk=stats.pk).update(open_count=F("open_count") + 1, last_assigned_at=timezone.now())


def released(assignment: Assignment) -> None:
    """An accepted need left the provider's hands without being served (withdrawn by staff)."""
    _bump(assignment, open_count=-1)


def completed(assignment: Assignment) -> None:
    _bump(assignment, open_count=-1, done_count=1)


def rated(assignment: Assignment, rating: int) -> None:
    _bump(assignment, rating_sum=rating, rating_count=1)


def _expected() -> dict[tuple[str, int], dict]:
    figures: dict[tuple[str, int], dict] = {}

    def slot(team_id, volunteer_id):
        key = ("team", team_id) if team_id else ("volunteer", volunteer_id)
        return figures.setdefault(key, {"open_count": 0, "done_count": 0, "rating_sum": 0, "rating_count": 0})

    counts = Assignment.objects.values("team_id", "volunteer_id").annotate(
        open=Count("id", filter=Q(status=AssignmentStatus.ACCEPTED)),
        done=Count("id", filter=Q(status=AssignmentStatus.COMPLETED)),
    )
    for row in counts:
        if row["open"] or row["done"]:
            entry = slot(row["team_id"], row["volunteer_id"])
            entry["open_count"] += row["open"]
            entry["done_count"] += row["done"]
    # A rating belongs to the provider that completed the need.
    ratings = (
        Evaluation.objects.filter(need__assignments__status=AssignmentStatus.COMPLETED)
        .values("need__assignments__team_id", "need__assignments__volunteer_id")
        .annotate(total=Sum("rating"), n=Count("id"))
    )
    for row in ratings:
        entry = slot(row["need__assignments__team_id"], row["need__assignments__volunteer_id"])
        entry["rating_sum"] += row["total"]
        entry["rating_count"] += row["n"]
    return figures


@transaction.atomic
def rebuild_provider_stats(*, fix: bool = True) -> list[dict]:
    """Recompute every provider's figures; return the differences found (and fixed when `fix`)."""
    expected = _expected()
    differences = []
    seen = set()
    for stats in ProviderStats.objects.select_for_update():
        key = ("team", stats.team_id) if stats.team_id else ("volunteer", stats.volunteer_id)
        seen.add(key)
        want = expected.get(key, {"open_count": 0, "done_count": 0, "rating_sum": 0, "rating_count": 0})
        have = {name: getattr(stats, name) for name in want}
        if have != want:
            differences.append({"provider": key, "cached": have, "ledger": want})
            if fix:
                ProviderStats.objects.filter(pk=stats.pk).update(**want)
    for key, want in expected.items():
        if key in seen:
            continue
        differences.append({"provider": key, "cached": None, "ledger": want})
        if fix:
            field = "team_id" if key[0] == "team" else "volunteer_id"
            ProviderStats.objects.create(**{field: key[1]}, **want)
    return differences
