"""Progress of long work, readable by the web process while a worker does the work.

Kept in the cache, not the database: an import holds its rows in one transaction until the end, and progress
written inside that transaction would be invisible until it is no longer needed.
"""

from django.core.cache import cache

TTL = 24 * 3600


def _key(kind: str, pk) -> str:
    return f"progress:{kind}:{pk}"


def set_progress(kind: str, pk, *, done: int, total: int, stage: str = "") -> None:
    cache.set(_key(kind, pk), {"done": done, "total": total, "stage": stage}, TTL)


def get_progress(kind: str, pk) -> dict:
    return cache.get(_key(kind, pk)) or {"done": 0, "total": 0, "stage": ""}


def percent(progress: dict) -> int:
    total = progress.get("total") or 0
    if not total:
        return 0
    return min(100, int(progress.get("done", 0) * 100 / total))
