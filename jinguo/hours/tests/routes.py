"""Scope-coverage registry of the ledger pages (hours:*). See tests/routes.py for the Route fields and
tests/test_scope_coverage.py for the `extra` keys.

t.record is t.volunteer's counted record of t.activity (organised by world.team); t.correction_request is her open
request about it. Lists are each user's own scope; "mine" pages show whoever is logged in her own archive.
"""

from tests.routes import Route

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的服务记录"
OWN_RECORD = "本人的页面：每个登录用户看到的都是自己的服务时长（不是志愿者的看到提示）"


def her_user(t):
    return t.volunteer.user


def record_secrets(t) -> list[str]:
    return [t.activity.title, t.team.name, t.correction_request.reason]


def correct_post(t) -> dict:
    return {"start_at": f"{t.record.start_at:%Y-%m-%dT%H:%M}", "end_at": f"{t.record.start_at:%Y-%m-%dT%H:%M}",
            "reason": "越权更正"}


ROUTES = [
    Route("hours:records", extra={"outsider_ok": OWN_SCOPE}, secrets=record_secrets),
    Route("hours:record_detail", lambda t: {"pk": t.record.pk}, secrets=record_secrets),
    Route(
        "hours:record_correct", lambda t: {"pk": t.record.pk}, methods=("GET", "POST"), data=correct_post,
        secrets=record_secrets,
    ),
    Route("hours:record_release", lambda t: {"pk": t.record.pk}, methods=("POST",)),
    Route("hours:record_reject", lambda t: {"pk": t.record.pk}, methods=("POST",), data=lambda t: {"reason": "越权"}),
    Route("hours:review", extra={"outsider_ok": OWN_SCOPE}, secrets=record_secrets),
    Route("hours:corrections", extra={"outsider_ok": OWN_SCOPE}, secrets=record_secrets),
    Route("hours:correction_detail", lambda t: {"pk": t.correction_request.pk}, secrets=record_secrets),
    Route(
        "hours:correction_accept", lambda t: {"pk": t.correction_request.pk}, methods=("POST",),
        data=lambda t: {"note": "越权"},
    ),
    Route(
        "hours:correction_reject", lambda t: {"pk": t.correction_request.pk}, methods=("POST",),
        data=lambda t: {"note": "越权"},
    ),
    Route("hours:stars", extra={"outsider_ok": OWN_SCOPE}, secrets=lambda t: [t.team.name]),
    Route("hours:mine", extra={"outsider_ok": OWN_RECORD, "owner": her_user}, secrets=record_secrets),
    Route(
        "hours:correction_new", methods=("GET", "POST"),
        data=lambda t: {"record": t.record.pk, "proposed_start": "2026-01-01T09:00", "proposed_end": "2026-01-01T10:00",
                        "reason": "越权申请"},
        extra={"outsider_ok": OWN_RECORD, "owner": her_user}, secrets=record_secrets,
    ),
]
