"""Turns a user's role assignments into the paths of her data scope."""

from jinguo.core.scope import UserScope, minimal_paths

from .choices import NodeStatus, Role
from .models import RoleAssignment


def resolve_scope(user) -> UserScope:
    if user.is_superuser:
        return UserScope(user_id=user.pk, platform=True)
    rows = list(
        RoleAssignment.objects.current()
        .filter(user=user, node__status=NodeStatus.ACTIVE)
        .values_list("role", "node_id", "node__path", "personal_data")
    )
    view, change, personal = [], [], []
    for role, _node_id, path, personal_data in rows:
        if role == Role.PLATFORM_ADMIN:
            return UserScope(user_id=user.pk, platform=True, roles=tuple((r, n) for r, n, _, _ in rows))
        view.append(path)
        if role in (Role.FEDERATION_ADMIN, Role.TEAM_LEADER):
            change.append(path)
        if personal_data:
            personal.append(path)
    return UserScope(
        user_id=user.pk,
        view_paths=minimal_paths(view),
        change_paths=minimal_paths(change),
        personal_paths=minimal_paths(personal),
        roles=tuple((r, n) for r, n, _, _ in rows),
    )
