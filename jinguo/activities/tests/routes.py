"""Scope-coverage registry of the activity pages (every activities:* URL except the check-in ones, which their own
registry lists). See tests/routes.py for the Route fields and tests/test_scope_coverage.py for the `extra` keys.

The target activity (t.activity) is recruited for world.team's members only (audience "team"), so no outsider,
not even a volunteer of another district, may see it. A policy and a qualification inside 思明区 are made here on
first use (the shared targets fixture has none).
"""

import datetime

from tests.routes import Route

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的内容"
OWN_FORM = "表单只能选择本人管辖范围内的组织"
OWN_RECORD = "本人的页面：每个登录用户看到的都是自己的报名（不是志愿者的看到提示）"


def activity_secrets(t) -> list[str]:
    return [t.activity.title, t.team.name, t.subteam.name]


def district_names(t) -> list[str]:
    return [t.district.name, t.street.name, t.community.name, t.team.name, t.subteam.name, t.activity.title]


def policy(t):
    """An accident-insurance policy held by world.team, covering t.volunteer."""
    if not hasattr(t, "policy"):
        from jinguo.activities.models import InsurancePolicy

        t.policy = InsurancePolicy.objects.create(
            holder=t.team.node, insurer="秘密保险公司", policy_number="MIMI-2026-001",
            starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31), created_by=t.leader,
        )
        t.policy.volunteers.add(t.volunteer)
    return t.policy


def qualification(t):
    if not hasattr(t, "qualification"):
        from jinguo.activities.models import Qualification

        t.qualification = Qualification.objects.create(
            volunteer=t.volunteer, name="秘密急救员证", certificate_number="JJY-0001", verified_by=t.leader
        )
    return t.qualification


def policy_secrets(t) -> list[str]:
    return [policy(t).insurer, policy(t).policy_number, t.team.name]


def activity_data(t) -> dict:
    start = datetime.datetime(2030, 3, 5, 9, 0)
    return {
        "organiser": t.team.pk, "title": "越权发布的活动", "category": "care", "content": "越权", "address": "越权",
        "start_at": start.strftime("%Y-%m-%dT%H:%M"), "end_at": (start.replace(hour=11)).strftime("%Y-%m-%dT%H:%M"),
        "signup_deadline": start.replace(hour=8).strftime("%Y-%m-%dT%H:%M"), "capacity": "5",
        "cancel_cutoff_hours": "24", "approval_mode": "auto", "audience": "subtree", "risk_statement": "无",
        "protection": "无", "shifts-TOTAL_FORMS": "0", "shifts-INITIAL_FORMS": "0",
    }


ROUTES = [
    # ---- staff
    Route("activities:list", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route("activities:create", methods=("GET", "POST"), data=activity_data, secrets=activity_secrets,
          extra={"outsider_ok": OWN_FORM}),
    Route("activities:approvals", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route("activities:site_load", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route("activities:edit", kwargs=lambda t: {"pk": t.activity.pk}, methods=("GET", "POST"), data=activity_data,
          secrets=activity_secrets),
    Route("activities:publish", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",)),
    Route("activities:approve", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",)),
    Route("activities:reject", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",),
          data=lambda t: {"reason": "越权退回"}),
    Route("activities:withdraw", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",)),
    Route("activities:cancel", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",),
          data=lambda t: {"reason": "越权取消"}),
    Route("activities:archive", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",)),
    # ---- the roster
    Route("activities:roster", kwargs=lambda t: {"pk": t.activity.pk}, secrets=activity_secrets),
    Route("activities:roster_export", kwargs=lambda t: {"pk": t.activity.pk}, secrets=activity_secrets),
    Route("activities:message", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",),
          data=lambda t: {"statuses": ["confirmed"], "title": "越权通知", "body": "越权", "sms": "on"}),
    Route("activities:cover", kwargs=lambda t: {"pk": t.activity.pk}, methods=("GET", "POST"),
          data=lambda t: {"policy": policy(t).pk, "volunteer": [t.volunteer.pk]}, secrets=activity_secrets),
    Route("activities:signup_approve", kwargs=lambda t: {"pk": t.signup.pk}, methods=("POST",)),
    Route("activities:signup_reject", kwargs=lambda t: {"pk": t.signup.pk}, methods=("POST",),
          data=lambda t: {"reason": "越权"}),
    Route("activities:signup_remove", kwargs=lambda t: {"pk": t.signup.pk}, methods=("POST",),
          data=lambda t: {"reason": "越权"}),
    Route("activities:signup_no_show", kwargs=lambda t: {"pk": t.signup.pk}, methods=("POST",),
          data=lambda t: {"no_show": "1"}),
    # ---- insurance (R10) and qualifications (R9)
    Route("activities:policy_list", secrets=policy_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("activities:policy_create", methods=("GET", "POST"), secrets=activity_secrets, extra={"outsider_ok": OWN_FORM},
          data=lambda t: {"holder": t.team.pk, "insurer": "越权保险", "policy_number": "YQ-1",
                          "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
    Route("activities:policy_detail", kwargs=lambda t: {"pk": policy(t).pk}, methods=("GET", "POST"),
          data=lambda t: {"action": "remove", "volunteer": [t.volunteer.pk]}, secrets=policy_secrets,
          extra={"owner": "leader"}),
    Route("activities:qualifications", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route("activities:volunteer_qualifications", kwargs=lambda t: {"pk": t.volunteer.pk}, methods=("GET", "POST"),
          data=lambda t: {"name": "越权资质"}, secrets=lambda t: [qualification(t).name]),
    Route("activities:qualification_delete", kwargs=lambda t: {"pk": qualification(t).pk}, methods=("POST",)),
    # ---- her pages
    Route("activities:browse", secrets=activity_secrets, extra={"outsider_ok": OWN_RECORD}),
    Route("activities:detail", kwargs=lambda t: {"pk": t.activity.pk}, secrets=activity_secrets),
    Route("activities:signup", kwargs=lambda t: {"pk": t.activity.pk}, methods=("POST",),
          data=lambda t: {"shift": t.shift.pk, "idempotency_key": "outsider"}),
    Route("activities:my_signups", secrets=activity_secrets, extra={"outsider_ok": OWN_RECORD}),
    Route("activities:my_cancel", kwargs=lambda t: {"pk": t.signup.pk}, methods=("POST",)),
]
