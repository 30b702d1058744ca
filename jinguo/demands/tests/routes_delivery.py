"""Scope-coverage registry of the delivery and evaluation pages (part C of issue 4). See tests/routes.py for the
Route fields and tests/test_scope_coverage.py for the `extra` keys; the targets are built in targets_delivery.py."""

from tests.routes import Route

from .targets_delivery import delivery_secrets, rate_secrets

OWN_LIST = "她自己的列表：外人看到的是自己范围内的（空）列表，不含我们的任何数据"


def her_user(t):
    return t.server.user


def served(t) -> dict:
    return {"pk": t.serving_need.pk}


def delivered(t) -> dict:
    return {"pk": t.delivered_need.pk}


ROUTES = [
    Route("demands:delivery_mine", secrets=delivery_secrets, extra={"outsider_ok": OWN_LIST, "owner": her_user}),
    Route("demands:delivery_need", served, secrets=delivery_secrets, extra={"owner": her_user}),
    Route("demands:delivery_check", served, methods=("POST",), data=lambda t: {"action": "out"},
          secrets=delivery_secrets),
    Route("demands:delivery_leader", served, secrets=delivery_secrets, extra={"owner": "leader"}),
    Route(
        "demands:delivery_roster", served, methods=("POST",), secrets=delivery_secrets,
        data=lambda t: {"action": "out", "volunteer": t.server.pk},
    ),
    Route(
        "demands:closeout_form", delivered, methods=("GET", "POST"), secrets=delivery_secrets,
        data=lambda t: {"summary": "越权结案"},
    ),
    Route("demands:closeout_photo", lambda t: {"pk": t.closeout_photo.pk}, secrets=delivery_secrets),
    Route(
        "demands:rate", methods=("GET", "POST"), secrets=rate_secrets,
        data=lambda t: {"tracking_code": t.delivered_need.tracking_code, "phone": "13900000000", "rating": "1"},
        public="居民凭查询码和手机号评价服务（适老化页面）；错误的组合什么也看不到",
    ),
    Route("demands:evaluation_form", delivered, methods=("GET", "POST"), secrets=delivery_secrets,
          data=lambda t: {"rating": "1", "comment": "越权评价"}),
    Route("demands:complaint_create", delivered, methods=("GET", "POST"), secrets=delivery_secrets,
          data=lambda t: {"complainant": "越权", "text": "越权投诉"}),
    Route("demands:evaluation_list", secrets=delivery_secrets, extra={"outsider_ok": OWN_LIST}),
    Route("demands:evaluation_review", lambda t: {"pk": t.evaluation.pk}, methods=("POST",), secrets=delivery_secrets,
          data=lambda t: {"review": "queried", "note": "越权复核"}),
    Route("demands:complaint_list", secrets=delivery_secrets, extra={"outsider_ok": OWN_LIST}),
    Route("demands:complaint_detail", lambda t: {"pk": t.complaint.pk}, secrets=delivery_secrets),
    Route("demands:complaint_handle", lambda t: {"pk": t.complaint.pk}, methods=("POST",), secrets=delivery_secrets,
          data=lambda t: {"note": "越权受理"}),
    Route("demands:complaint_conclude", lambda t: {"pk": t.complaint.pk}, methods=("POST",), secrets=delivery_secrets,
          data=lambda t: {"conclusion": "越权办结"}),
]
