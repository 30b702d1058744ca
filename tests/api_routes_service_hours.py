"""Scope-coverage entries for the API of the service-hour loop (issue 3): activities, shifts, sign-ups, attendance,
records, correction requests, certificates, insurance policies.

tests/test_scope_coverage.py merges every `tests/api_routes*.py` module's dicts into its own (same meaning as there):
    API_TARGETS       basename or (basename, action) -> the id a detail route is called with
    API_TARGET_IDS    basename -> ids no outsider's list may contain
    API_LIST_QUERIES  basename -> list queries an outsider tries
    API_WRITE_DATA    (basename, action) -> request bodies an outsider sends; each must be refused, change nothing
    API_OWNER_SEES    basename or (basename, action) -> the id the owner (district_admin) must find in the list;
                      a (basename, action) entry returning None says the route answers with figures, not a list
    DETAILED          model label -> fields left out of the row-by-row comparison (these tables are compared field
                      by field, so that a refused approval that flips a status is caught, not only added rows)
"""

import datetime

from django.utils import timezone

from jinguo.activities import qr


def _iso(days: float) -> str:
    return (timezone.now() + datetime.timedelta(days=days)).isoformat()


def _activity_body(t) -> dict:
    return {
        "organiser": t.team.pk,
        "title": "越权发布的活动",
        "category": "legal",
        "content": "越权",
        "address": "越权地点",
        "start_at": _iso(10),
        "end_at": _iso(10.1),
        "capacity": 5,
        "signup_deadline": _iso(9),
        "risk_statement": "无",
        "protection": "无",
        "audience": "subtree",
        "approval_mode": "auto",
    }


API_TARGETS = {
    "activity": lambda t: t.activity.pk,
    "shift": lambda t: t.shift.pk,
    "signup": lambda t: t.signup.pk,
    "attendance": lambda t: t.attendance.pk,
    "record": lambda t: t.record.pk,
    "correction-request": lambda t: t.correction_request.pk,
    "certificate": lambda t: t.certificate.pk,
    "insurance-policy": lambda t: t.policy.pk,
    "declaration": lambda t: t.declaration.pk,
}

API_TARGET_IDS = {
    "activity": lambda t: {t.activity.pk},
    "shift": lambda t: {t.shift.pk},
    "signup": lambda t: {t.signup.pk},
    "attendance": lambda t: {t.attendance.pk},
    "record": lambda t: {t.record.pk},
    "correction-request": lambda t: {t.correction_request.pk},
    "certificate": lambda t: {t.certificate.pk},
    "insurance-policy": lambda t: {t.policy.pk},
    "declaration": lambda t: {t.declaration.pk},
    "star-distribution": lambda t: set(),
}

API_LIST_QUERIES = {
    "activity": lambda t: [
        {},
        {"organiser": t.team.pk},
        {"status": "published"},
        {"q": t.activity.title},
        {"category": "legal"},
    ],
    "shift": lambda t: [{}, {"activity": t.activity.pk}],
    "signup": lambda t: [{}, {"activity": t.activity.pk}, {"volunteer": t.volunteer.pk}, {"status": "confirmed"}],
    "attendance": lambda t: [{}, {"activity": t.activity.pk}, {"volunteer": t.volunteer.pk}],
    "record": lambda t: [{}, {"volunteer": t.volunteer.pk}, {"activity": t.activity.pk}, {"organiser": t.team.pk}],
    "correction-request": lambda t: [{}, {"volunteer": t.volunteer.pk}, {"status": "open"}],
    "certificate": lambda t: [{}, {"volunteer": t.volunteer.pk}, {"number": t.certificate.number}],
    "insurance-policy": lambda t: [{}, {"holder": t.team.pk}, {"volunteer": t.volunteer.pk}],
    "declaration": lambda t: [{}, {"activity": t.activity.pk}, {"status": "pending"}],
    # Figures only; a node outside the caller's scope is "invalid" (400), never counted.
    "star-distribution": lambda t: [{}, {"node": t.team.pk}, {"node": t.district.pk}],
}

API_WRITE_DATA = {
    ("activity", "create"): lambda t: [_activity_body(t), {**_activity_body(t), "organiser": t.district.pk}],
    ("activity", "partial_update"): lambda t: [{"title": "被越权改名", "capacity": 1}],
    ("activity", "publish"): lambda t: [{}],
    ("activity", "approve"): lambda t: [{"note": "越权通过"}],
    ("activity", "reject"): lambda t: [{"reason": "越权退回"}],
    ("activity", "withdraw"): lambda t: [{}],
    ("activity", "cancel"): lambda t: [{"reason": "越权取消"}],
    ("activity", "archive"): lambda t: [{}],
    ("signup", "create"): lambda t: [{"shift": t.shift.pk}],
    ("signup", "cancel"): lambda t: [{"reason": "越权取消"}, {}],
    ("signup", "approve"): lambda t: [{}],
    ("signup", "reject"): lambda t: [{"reason": "越权"}],
    ("signup", "no_show"): lambda t: [{"no_show": True}],
    # A valid QR token and code of our activity: an outsider holding them still has no sign-up to check in with.
    ("attendance", "check_in"): lambda t: [
        {"token": qr.make_token(t.activity.pk, qr.IN)},
        {"code": qr.numeric_code(t.activity.pk, qr.IN), "activity": t.activity.pk},
    ],
    ("attendance", "check_out"): lambda t: [
        {"token": qr.make_token(t.activity.pk, qr.OUT)},
        {"code": qr.numeric_code(t.activity.pk, qr.OUT), "activity": t.activity.pk},
    ],
    ("attendance", "roster"): lambda t: [
        {"shift": t.shift.pk, "volunteers": [t.volunteer.pk], "purpose": "in", "at_shift_time": True},
        {"shift": t.shift.pk, "volunteers": [t.volunteer.pk], "purpose": "out"},
    ],
    ("attendance", "confirm"): lambda t: [{}],
    ("attendance", "reject"): lambda t: [{"reason": "越权"}],
    ("declaration", "create"): lambda t: [
        {"signup": t.signup.pk, "start_at": _iso(-2), "end_at": _iso(-1.9), "note": "越权申报"}
    ],
    ("declaration", "approve"): lambda t: [{}],
    ("declaration", "reject"): lambda t: [{"reason": "越权"}],
    ("record", "correct"): lambda t: [
        {"start_at": t.record.start_at.isoformat(), "end_at": t.record.start_at.isoformat(), "reason": "越权清零"}
    ],
    ("record", "release"): lambda t: [{}],
    ("record", "reject"): lambda t: [{"reason": "越权"}],
    ("correction-request", "create"): lambda t: [
        {
            "kind": "error",
            "record": t.record.pk,
            "proposed_start": _iso(-2),
            "proposed_end": _iso(-1.5),
            "reason": "越权",
        },
        {
            "kind": "omission",
            "activity": t.activity.pk,
            "proposed_start": _iso(-2),
            "proposed_end": _iso(-1.5),
            "reason": "越权补记",
        },
    ],
    ("correction-request", "accept"): lambda t: [{"note": "越权采纳"}],
    ("correction-request", "reject"): lambda t: [{"note": "越权不采纳"}],
    ("certificate", "create"): lambda t: [
        {"volunteer": t.volunteer.pk, "issuer": t.team.pk},
        {"issuer": t.team.pk},
    ],
    ("certificate", "batch"): lambda t: [{"node": t.team.pk}, {"node": t.district.pk, "who": "members"}],
    ("certificate", "revoke"): lambda t: [{"reason": "越权作废"}],
    ("certificate", "reissue"): lambda t: [{}],
    ("insurance-policy", "create"): lambda t: [
        {
            "holder": t.team.pk,
            "insurer": "越权保险",
            "policy_number": "YQ-1",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "volunteers": [t.volunteer.pk],
        },
    ],
    ("insurance-policy", "partial_update"): lambda t: [{"insurer": "被越权修改", "add": [t.applicant.pk]}],
}

API_OWNER_SEES = {
    "activity": lambda t: t.activity.pk,
    "shift": lambda t: t.shift.pk,
    "signup": lambda t: t.signup.pk,
    "attendance": lambda t: t.attendance.pk,
    "record": lambda t: t.record.pk,
    "correction-request": lambda t: t.correction_request.pk,
    "certificate": lambda t: t.certificate.pk,
    "insurance-policy": lambda t: t.policy.pk,
    "declaration": lambda t: t.declaration.pk,
    "star-distribution": lambda t: None,
    # Her own lists: the district's admin has none (routes checked for status and leaks only).
    ("signup", "mine"): lambda t: None,
    ("activity", "open"): lambda t: None,
}

DETAILED = {
    "activities.activity": set(),
    "activities.shift": set(),
    "activities.signup": set(),
    "activities.attendance": set(),
    "activities.insurancepolicy": set(),
    "activities.hoursdeclaration": set(),
    "hours.servicerecord": set(),
    "hours.correctionrequest": set(),
    "hours.volunteerhours": set(),
    "hours.nodehours": set(),
    "certificates.certificate": set(),
}
