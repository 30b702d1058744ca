"""Scope-coverage entries for the API of care pairings (issue 4, part E): recipients, pairings, visit logs.
Same dicts as tests/api_routes_service_hours.py; the targets are built in jinguo/demands/tests/targets_care.py."""

import datetime

from django.utils import timezone


def _iso(days: float) -> str:
    return (timezone.now() + datetime.timedelta(days=days)).isoformat()


API_TARGETS = {
    "care-recipient": lambda t: t.care_recipient.pk,
    "care-pairing": lambda t: t.care_pairing.pk,
    "care-visit": lambda t: t.care_visit.pk,
}

API_TARGET_IDS = {
    "care-recipient": lambda t: {t.care_recipient.pk},
    "care-pairing": lambda t: {t.care_pairing.pk},
    "care-visit": lambda t: {t.care_visit.pk},
}

API_LIST_QUERIES = {
    "care-recipient": lambda t: [{}, {"node": t.community.pk}, {"category": "empty_nest"}],
    "care-pairing": lambda t: [{}, {"recipient": t.care_recipient.pk}, {"organiser": t.team.pk}, {"overdue": "true"}],
    "care-visit": lambda t: [{}, {"pairing": t.care_pairing.pk}],
}

API_WRITE_DATA = {
    ("care-recipient", "create"): lambda t: [
        {"node": t.community.pk, "name": "越权登记", "category": "other", "other_category": "越权", "phone": "13912349999",
         "address": "越权地址", "consent_by": "越权"},
    ],
    ("care-recipient", "partial_update"): lambda t: [{"name": "被越权改名", "notes": "越权"}],
    ("care-pairing", "create"): lambda t: [
        {"recipient": t.care_recipient.pk, "organiser": t.team.pk, "kind": "one", "volunteers": [t.applicant.pk],
         "start_date": timezone.localdate().isoformat(), "frequency": "weekly"},
    ],
    ("care-pairing", "end"): lambda t: [{"reason": "越权结束"}],
    ("care-pairing", "add_volunteer"): lambda t: [{"volunteer": t.applicant.pk, "make_lead": True}],
    ("care-pairing", "remove_volunteer"): lambda t: [{"volunteer": t.server.pk}],
    ("care-pairing", "set_lead"): lambda t: [{"volunteer": t.server.pk}],
    ("care-visit", "create"): lambda t: [
        {"pairing": t.care_pairing.pk, "volunteers": [t.server.pk], "start_at": _iso(-3), "end_at": _iso(-2.95),
         "content": "越权走访"},
    ],
}

API_OWNER_SEES = {
    "care-recipient": lambda t: t.care_recipient.pk,
    "care-pairing": lambda t: t.care_pairing.pk,
    "care-visit": lambda t: t.care_visit.pk,
    # Her own list: the district's admin has none (checked for status and leaks only).
    ("care-pairing", "mine"): lambda t: None,
}

DETAILED = {
    "demands.carerecipient": set(),
    "demands.carepairing": set(),
    "demands.pairingmember": set(),
    "demands.visitlog": set(),
    "demands.visitattendance": set(),
}
