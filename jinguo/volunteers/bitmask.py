"""Multi-choice fields stored as bit masks: filterable on SQLite and PostgreSQL alike, one integer per row.

Bit i belongs to the i-th code of the choice table, so tables may only ever be appended to.
"""

from django.db.models import F, QuerySet


def to_mask(codes, table) -> int:
    index = {code: i for i, (code, _label) in enumerate(table)}
    mask = 0
    for code in codes or []:
        if code in index:
            mask |= 1 << index[code]
    return mask


def from_mask(mask: int, table) -> list[str]:
    return [code for i, (code, _label) in enumerate(table) if mask & (1 << i)]


def labels_of(mask: int, table) -> list[str]:
    return [label for i, (_code, label) in enumerate(table) if mask & (1 << i)]


def filter_any(qs: QuerySet, field: str, codes, table) -> QuerySet:
    """Rows whose mask has any of the given codes."""
    bits = to_mask(codes, table)
    if not bits:
        return qs
    alias = f"_{field}_hit"
    return qs.alias(**{alias: F(field).bitand(bits)}).filter(**{f"{alias}__gt": 0})
