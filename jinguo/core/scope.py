"""The one data-scope mechanism (DESIGN principle 1).

A user's scope is a set of org-tree paths per action. Every queryset that serves a user is narrowed with
`.restrict(user, action)`; each model says, in `scope_q`, how its rows relate to tree paths. The tree itself
lives in `orgs`, which registers the resolver that turns role assignments into a `UserScope` (core imports no
app, so the dependency points the other way).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

ACTIONS = ("view", "change", "personal")


@dataclass(frozen=True)
class UserScope:
    user_id: int | None = None
    platform: bool = False
    view_paths: tuple[str, ...] = ()
    change_paths: tuple[str, ...] = ()
    personal_paths: tuple[str, ...] = ()
    # Her own volunteer record, for the volunteer role (she sees herself, nothing else).
    volunteer_id: int | None = None
    roles: tuple[tuple[str, int], ...] = field(default=())  # (role, node_id) pairs, for display

    def paths(self, action: str) -> tuple[str, ...]:
        if action == "view":
            return self.view_paths
        if action == "change":
            return self.change_paths
        if action == "personal":
            return self.personal_paths
        raise ValueError(f"unknown action {action!r}")

    def covers(self, path: str, action: str = "view") -> bool:
        if self.platform:
            return True
        return any(path.startswith(p) for p in self.paths(action))

    def covers_strictly_below(self, path: str, action: str = "change") -> bool:
        """True when the user acts from above `path`: filing is done by the level above, not by the team."""
        if self.platform:
            return True
        return any(path.startswith(p) and path != p for p in self.paths(action))

    @property
    def is_staff_anywhere(self) -> bool:
        return self.platform or bool(self.view_paths)


EMPTY_SCOPE = UserScope()
_resolver: Callable[[object], UserScope] | None = None


def register_resolver(func: Callable[[object], UserScope]) -> None:
    global _resolver
    _resolver = func


def get_scope(user) -> UserScope:
    """The user's scope, computed once per request (cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_jinguo_scope", None)
    if cached is not None:
        return cached
    if _resolver is None:
        raise RuntimeError("no scope resolver registered")
    scope = _resolver(user)
    user._jinguo_scope = scope
    return scope


def reset_scope(user) -> None:
    if hasattr(user, "_jinguo_scope"):
        del user._jinguo_scope


def minimal_paths(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths that lie inside another path of the set: 0001 covers 00010002."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return tuple(result)


def path_q(lookup: str, paths: Iterable[str]) -> Q | None:
    """OR of prefix matches on a path column; None when there is nothing to match (the caller returns none())."""
    q = None
    for path in minimal_paths(paths):
        term = Q(**{f"{lookup}__startswith": path})
        q = term if q is None else q | term
    return q


class ScopedQuerySet(models.QuerySet):
    """Base for every queryset that serves a user."""

    def restrict(self, user, action: str = "view"):
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        scope = get_scope(user)
        if scope.platform:
            return self
        q = self.scope_q(scope, action)
        if q is None:
            return self.none()
        return self.filter(q)

    def scope_q(self, scope: UserScope, action: str) -> Q | None:
        raise NotImplementedError(f"{self.model.__name__} must say how it is scoped")
