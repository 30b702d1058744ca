"""Issue 4's objects inside 思明区 for the scope-coverage suite, built by each part in turn (tests/conftest.py calls
`demand_targets(t)` after the service-hour targets)."""

from . import targets_care, targets_delivery, targets_dispatch, targets_needs


def demand_targets(t) -> None:
    targets_needs.build(t)
    targets_dispatch.build(t)
    targets_delivery.build(t)
    targets_care.build(t)
