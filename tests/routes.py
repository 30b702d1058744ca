"""The scope-coverage registry: every URL of the project is listed here, with how to build its arguments for an
object that lies inside 思明区 (the `world` fixture's district), so that outsiders can be sent at it.

Each app lists its routes in `jinguo/<app>/tests/routes*.py` as `ROUTES = [Route(...), ...]`; this module gathers
them. `tests/test_scope_coverage.py` fails when a URL exists without an entry.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Route:
    name: str  # URL name, with namespace: "orgs:team_detail"
    # kwargs for reverse(), from the `targets` namespace (world + objects inside the district); None = no kwargs
    kwargs: Callable | None = None
    methods: tuple[str, ...] = ("GET",)
    # POST body builder (targets -> dict); outsiders must change nothing whatever they send
    data: Callable | None = None
    # Why anyone (even anonymous) may open it; public routes are checked for not leaking personal data only
    public: str = ""
    # Text that must never appear in an outsider's response (targets -> list[str]); default: the target's names
    secrets: Callable | None = None
    extra: dict = field(default_factory=dict)


def _registry_modules():
    """Every `jinguo/<app>/tests/routes*.py` module (one app may have several, one per sub-area)."""
    root = Path(__file__).resolve().parent.parent / "jinguo"
    for path in sorted(root.glob("*/tests/routes*.py")):
        yield importlib.import_module(f"jinguo.{path.parent.parent.name}.tests.{path.stem}")


def all_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for module in _registry_modules():
        for route in module.ROUTES:
            assert route.name not in routes, f"{route.name} listed twice"
            routes[route.name] = route
    return routes
