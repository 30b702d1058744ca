"""Extension points for apps below `volunteers`: `hours` releases the hours held for her (R25) once she has
confirmed her registration herself."""

from collections.abc import Callable

_confirmed: list[Callable] = []


def register_confirmed(func: Callable) -> Callable:
    """func(volunteer, *, actor) -> None, inside the confirming transaction."""
    _confirmed.append(func)
    return func


def volunteer_confirmed(volunteer, *, actor) -> None:
    for handler in _confirmed:
        handler(volunteer, actor=actor)
