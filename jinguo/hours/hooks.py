"""Extension points for apps below `hours`: `certificates` registers what happens when a counted record changes
(a correction, a rejection after review), so that certificates issued from it are revoked (R18: a certificate is
a snapshot; a later correction revokes it and a new one is issued, never changes it)."""

from collections.abc import Callable

_record_changed: list[Callable] = []


def register_record_changed(func: Callable) -> Callable:
    """func(old_record, new_record_or_None, *, actor, reason) -> None"""
    _record_changed.append(func)
    return func


def record_changed(old, new, *, actor, reason: str) -> None:
    for handler in _record_changed:
        handler(old, new, actor=actor, reason=reason)
