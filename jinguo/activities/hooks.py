"""Extension points for apps below `activities` (which may not be imported from here).

`hours` registers what happens when an attendance is closed (checked out, or confirmed by the leader): it writes
the service record. Handlers run inside the closing transaction; a DomainError they raise undoes the check-out.
"""

from collections.abc import Callable

_attendance_closed: list[Callable] = []


def register_attendance_closed(func: Callable) -> Callable:
    """func(attendance, *, actor, method) -> None"""
    _attendance_closed.append(func)
    return func


def attendance_closed(attendance, *, actor, method: str) -> None:
    for handler in _attendance_closed:
        handler(attendance, actor=actor, method=method)
