"""Scope-coverage targets: care (issue 4)."""


def build(t) -> None:
    """Add this part's objects inside 思明区 to `t`."""
