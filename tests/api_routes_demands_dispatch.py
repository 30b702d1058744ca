"""Scope-coverage entries for the dispatch API of issue 4 (part B): assignments, dispatching a need (candidates,
dispatch, take), dispatch rules. Same dicts as tests/api_routes_service_hours.py (see its docstring); the targets
are built in jinguo/demands/tests/targets_dispatch.py (t.need is part A's open need)."""

from jinguo.demands.models import Assignment, DispatchRule

API_TARGETS = {
    "assignment": lambda t: t.offered_assignment.pk,
    ("assignment", "confirm_offer"): lambda t: t.offer_assignment.pk,
    ("assignment", "reject_offer"): lambda t: t.offer_assignment.pk,
    "need-dispatch": lambda t: t.need.pk,
    "dispatch-rule": lambda t: t.dispatch_rule.pk,
}

API_TARGET_IDS = {
    "assignment": lambda t: set(
        Assignment.objects.filter(need__node__path__startswith=t.district.path).values_list("pk", flat=True)
    ),
    "need-dispatch": lambda t: set(),
    "dispatch-rule": lambda t: set(
        DispatchRule.objects.filter(node__path__startswith=t.district.path).values_list("pk", flat=True)
    ),
}

API_LIST_QUERIES = {
    "assignment": lambda t: [{}, {"status": "offered"}, {"mode": "offer"}, {"assignee_kind": "team"}],
    "need-dispatch": lambda t: [{}],
    "dispatch-rule": lambda t: [{}, {"is_active": "true"}, {"category": "legal"}],
}

API_WRITE_DATA = {
    ("assignment", "accept"): lambda t: [{}],
    ("assignment", "decline"): lambda t: [{"reason": "越权拒单"}],
    ("assignment", "withdraw"): lambda t: [{"reason": "越权撤回"}],
    ("assignment", "confirm_offer"): lambda t: [{}],
    ("assignment", "reject_offer"): lambda t: [{"reason": "越权婉拒"}],
    ("need-dispatch", "assign"): lambda t: [{"team": t.team.node.pk}, {"team": t.team_b.pk}],
    # Her own area's open needs only: ours is not among them, whoever she is and for whichever team.
    ("need-dispatch", "take"): lambda t: [{}, {"team": t.team.node.pk}, {"team": t.team_b.pk}],
    ("dispatch-rule", "create"): lambda t: [
        {"node": t.district.pk, "category": "care", "team": t.team.node.pk},
        {"node": t.other_district.pk, "category": "care", "team": t.team.node.pk},
    ],
    ("dispatch-rule", "partial_update"): lambda t: [{"is_active": False}, {"team": t.team_b.pk}],
}

API_OWNER_SEES = {
    "assignment": lambda t: t.offered_assignment.pk,
    "need-dispatch": lambda t: None,  # no list: only a need's own routes
    "dispatch-rule": lambda t: t.dispatch_rule.pk,
}

DETAILED = {
    "demands.assignment": set(),
    "demands.dispatchrule": set(),
    "demands.need": set(),
}
