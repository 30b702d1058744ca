"""Scope-coverage registry of part B's pages (dispatch, the provider's inbox, the node overview, dispatch rules).
See tests/routes.py for the Route fields and tests/test_scope_coverage.py for the `extra` keys."""

from tests.routes import Route

from .targets_dispatch import dispatch_secrets

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的需求和规则"
OWN_FORM = "表单只能选择本人管辖范围内的组织和队伍"
OWN_INBOX = "本人的派单：每个登录用户只看到派给自己或自己担任队长的队伍的派单"


def rule_data(t) -> dict:
    return {"node": t.district.pk, "category": "care", "urgency": "", "team": t.team.node.pk, "is_active": "on"}


def rule_secrets(t) -> list[str]:
    return [*dispatch_secrets(t), t.team.name, t.district.name]


ROUTES = [
    # ---- staff
    Route("demands:dispatch", kwargs=lambda t: {"pk": t.need.pk}, secrets=dispatch_secrets),
    Route("demands:dispatch_assign", kwargs=lambda t: {"pk": t.need.pk}, methods=("POST",),
          data=lambda t: {"team": t.team.node.pk}, secrets=dispatch_secrets),
    Route("demands:dispatch_withdraw", kwargs=lambda t: {"pk": t.offered_assignment.pk}, methods=("POST",),
          data=lambda t: {"reason": "越权撤回"}, secrets=dispatch_secrets),
    Route("demands:dispatch_confirm_offer", kwargs=lambda t: {"pk": t.offer_assignment.pk}, methods=("POST",),
          secrets=dispatch_secrets),
    Route("demands:dispatch_reject_offer", kwargs=lambda t: {"pk": t.offer_assignment.pk}, methods=("POST",),
          data=lambda t: {"reason": "越权婉拒"}, secrets=dispatch_secrets),
    Route("demands:dispatch_overview", secrets=dispatch_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("demands:dispatch_rules", secrets=rule_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("demands:dispatch_rule_create", methods=("GET", "POST"), data=rule_data, secrets=rule_secrets,
          extra={"outsider_ok": OWN_FORM}),
    Route("demands:dispatch_rule_edit", kwargs=lambda t: {"pk": t.dispatch_rule.pk}, methods=("GET", "POST"),
          data=rule_data, secrets=rule_secrets),
    Route("demands:dispatch_rule_toggle", kwargs=lambda t: {"pk": t.dispatch_rule.pk}, methods=("POST",)),
    # ---- providers (phone)
    Route("demands:inbox", secrets=dispatch_secrets, extra={"outsider_ok": OWN_INBOX, "owner": "leader"}),
    Route("demands:inbox_accept", kwargs=lambda t: {"pk": t.offered_assignment.pk}, methods=("POST",),
          secrets=dispatch_secrets),
    Route("demands:inbox_decline", kwargs=lambda t: {"pk": t.offered_assignment.pk}, methods=("GET", "POST"),
          data=lambda t: {"reason": "越权拒单"}, secrets=dispatch_secrets, extra={"owner": "leader"}),
]
