"""Extension points for apps below `orgs` (which may not be imported from here).

`volunteers` registers what it keeps under a node, and what must happen to memberships when a team is merged
or dissolved; later apps (activities, hours …) register their own.
"""

from collections.abc import Callable

# node -> descriptions of data held directly at that node, e.g. ["12 名志愿者"]; empty when it holds none.
_holders: list[Callable] = []
# (source_team_node, target_team_node, actor) -> None, inside the merge transaction
_merge_handlers: list[Callable] = []
# (team_node, actor) -> None, inside the dissolve transaction
_dissolve_handlers: list[Callable] = []


def register_holder(func: Callable) -> Callable:
    _holders.append(func)
    return func


def register_merge_handler(func: Callable) -> Callable:
    _merge_handlers.append(func)
    return func


def register_dissolve_handler(func: Callable) -> Callable:
    _dissolve_handlers.append(func)
    return func


def data_held(node) -> list[str]:
    found: list[str] = []
    for holder in _holders:
        found.extend(holder(node))
    return found


def run_merge(source, target, actor) -> None:
    for handler in _merge_handlers:
        handler(source, target, actor)


def run_dissolve(node, actor) -> None:
    for handler in _dissolve_handlers:
        handler(node, actor)
