"""Scope-coverage registry of the check-in pages (activities:checkin_*). See tests/routes.py for the Route fields
and tests/test_scope_coverage.py for the `extra` keys.

The target activity (t.activity) is recruited for world.team's members only; t.volunteer holds its confirmed sign-up
and a closed attendance. A pending self-declaration of hers is made here on first use (the shared targets fixture
has none).
"""

import datetime

from tests.routes import Route

OWN_FORM = "本人的签到码页面：每个登录用户只能为自己签到，不是志愿者的看到提示"


def her_user(t):
    return t.volunteer.user


def activity_secrets(t) -> list[str]:
    return [t.activity.title, t.team.name]


def token(t) -> dict:
    from jinguo.activities import qr

    return {"token": qr.make_token(t.activity.pk, qr.IN)}


def declaration(t):
    """A pending declaration of t.volunteer for t.shift."""
    if not hasattr(t, "declaration"):
        from jinguo.activities.models import HoursDeclaration

        t.declaration = HoursDeclaration.objects.create(
            activity=t.activity, shift=t.shift, volunteer=t.volunteer, start_at=t.shift.start_at,
            end_at=t.shift.end_at, note="甄秘密忘记扫码",
        )
    return t.declaration


def roster_post(t) -> dict:
    return {"shift": t.shift.pk, "volunteer": t.volunteer.pk, "action": "in_shift"}


def declare_post(t) -> dict:
    start = t.shift.start_at + datetime.timedelta(minutes=10)
    return {"start_at": f"{start:%Y-%m-%dT%H:%M}", "end_at": f"{t.shift.end_at:%Y-%m-%dT%H:%M}", "note": "越权申报"}


ROUTES = [
    Route(
        "activities:checkin_scan", token, methods=("GET", "POST"),
        data=lambda t: {"proof": token(t)["token"], "latitude": "", "longitude": ""},
        secrets=activity_secrets, extra={"owner": her_user},
    ),
    Route(
        "activities:checkin_code", methods=("GET", "POST"), data=lambda t: {"code": "123456"},
        extra={"outsider_ok": OWN_FORM, "owner": her_user},
    ),
    Route("activities:checkin_mine", lambda t: {"pk": t.activity.pk}, secrets=activity_secrets,
          extra={"owner": her_user}),
    Route(
        "activities:checkin_declare", lambda t: {"pk": t.signup.pk}, methods=("GET", "POST"), data=declare_post,
        secrets=activity_secrets, extra={"owner": her_user},
    ),
    Route("activities:checkin_screen", lambda t: {"pk": t.activity.pk}, secrets=activity_secrets),
    Route("activities:checkin_screen_qr", lambda t: {"pk": t.activity.pk}, secrets=activity_secrets),
    Route("activities:checkin_roster", lambda t: {"pk": t.activity.pk}, secrets=activity_secrets),
    Route(
        "activities:checkin_roster_action", lambda t: {"pk": t.activity.pk}, methods=("POST",), data=roster_post,
        secrets=activity_secrets,
    ),
    Route("activities:checkin_attendance_confirm", lambda t: {"pk": t.attendance.pk}, methods=("POST",)),
    Route(
        "activities:checkin_attendance_reject", lambda t: {"pk": t.attendance.pk}, methods=("POST",),
        data=lambda t: {"reason": "越权"},
    ),
    Route("activities:checkin_declaration_approve", lambda t: {"pk": declaration(t).pk}, methods=("POST",)),
    Route(
        "activities:checkin_declaration_reject", lambda t: {"pk": declaration(t).pk}, methods=("POST",),
        data=lambda t: {"reason": "越权"},
    ),
]
