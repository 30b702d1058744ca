"""Scope-coverage entries for part C's API (issue 4): deliveries, close-outs, evaluations, complaints. Same dicts as
tests/api_routes_service_hours.py (merged by tests/test_scope_coverage.py); the targets are built in
jinguo/demands/tests/targets_delivery.py."""

API_TARGETS = {
    "delivery": lambda t: t.delivery.pk,
    "closeout": lambda t: t.closeout_photo.closeout_id,
    "evaluation": lambda t: t.evaluation.pk,
    "complaint": lambda t: t.complaint.pk,
}

API_TARGET_IDS = {
    "delivery": lambda t: {t.delivery.pk, t.open_delivery.pk},
    "closeout": lambda t: {t.closeout_photo.closeout_id},
    "evaluation": lambda t: {t.evaluation.pk},
    "complaint": lambda t: {t.complaint.pk},
}

API_LIST_QUERIES = {
    "delivery": lambda t: [{}, {"need": t.delivered_need.pk}, {"volunteer": t.server.pk}, {"open": "true"}],
    "closeout": lambda t: [{}],
    "evaluation": lambda t: [{}, {"need": t.delivered_need.pk}, {"review": "pending"}, {"rating": 2}],
    "complaint": lambda t: [{}, {"need": t.delivered_need.pk}, {"status": "open"}],
}

API_WRITE_DATA = {
    ("delivery", "check_in"): lambda t: [{"need": t.serving_need.pk}],
    ("delivery", "check_out"): lambda t: [{"need": t.serving_need.pk}],
    ("delivery", "roster"): lambda t: [
        {"need": t.serving_need.pk, "action": "out", "volunteers": [t.server.pk]},
        {"need": t.serving_need.pk, "action": "in", "volunteers": [t.outsider_volunteer.pk]},
    ],
    ("closeout", "create"): lambda t: [{"need": t.serving_need.pk, "summary": "越权结案"}],
    ("evaluation", "create"): lambda t: [
        {"need": t.delivered_need.pk, "rating": 1},
        {"need": t.serving_need.pk, "rating": 1},
    ],
    ("evaluation", "review"): lambda t: [{"review": "queried", "note": "越权复核"}, {"review": "confirmed"}],
    ("complaint", "create"): lambda t: [{"need": t.delivered_need.pk, "text": "越权投诉", "complainant": "越权"}],
    ("complaint", "handle"): lambda t: [{"note": "越权受理"}],
    ("complaint", "conclude"): lambda t: [{"conclusion": "越权办结"}],
}

API_OWNER_SEES = {
    "delivery": lambda t: t.delivery.pk,
    "closeout": lambda t: t.closeout_photo.closeout_id,
    "evaluation": lambda t: t.evaluation.pk,
    "complaint": lambda t: t.complaint.pk,
}

DETAILED = {
    "demands.delivery": set(),
    "demands.closeout": set(),
    "demands.evaluation": set(),
    "demands.complaint": set(),
}
