"""Scope-coverage registry of part A's pages (needs, review, menus, open needs, the resident's public pages).
See tests/routes.py for the Route fields and tests/test_scope_coverage.py for the `extra` keys."""

from tests.routes import Route

from .targets_needs import need_and_code_secrets, need_secrets

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的需求"
OWN_FORM = "表单只能选择本人管辖范围内的社区或队伍"
OPEN_AREA = "待接需求只列出本人所在区县的需求，且已匿名"
PUBLIC = "居民求助页面（适老化）：无需登录，不显示任何他人信息"


def menu_secrets(t) -> list[str]:
    return [t.menu_item.title, t.team.name]


def wrong_phone(t) -> dict:
    return {"tracking_code": t.need.tracking_code, "phone": "13800000000", "reason": "越权撤销"}


def proxy_data(t) -> dict:
    return {
        "node": t.community.pk, "category": "care", "description": "越权代录", "address": "越权地址", "urgency": "normal",
        "requester_name": "越权", "requester_phone": "13800000001",
    }


def menu_data(t) -> dict:
    return {"team": t.team.node.pk, "category": "care", "title": "越权项目", "content": "越权", "area": t.district.pk,
            "monthly_capacity": "3"}


def resident_data(t) -> dict:
    return {"action": "send", "requester_phone": "13800000002", "community_name": t.community.name}


ROUTES = [
    # ---- the resident (public)
    Route("demands:help", public=PUBLIC, secrets=need_and_code_secrets),
    Route("demands:help_form", kwargs=lambda t: {"category": "care"}, methods=("GET", "POST"), data=resident_data,
          public=PUBLIC, secrets=need_and_code_secrets),
    Route("demands:help_done", public=PUBLIC + "；只显示本会话刚提交的需求", secrets=need_and_code_secrets),
    Route("demands:help_status", methods=("GET", "POST"), data=wrong_phone,
          public=PUBLIC + "；须同时提供查询码和手机号", secrets=need_secrets),
    Route("demands:help_cancel", methods=("POST",), data=wrong_phone, public=PUBLIC + "；须同时提供查询码和手机号",
          secrets=need_secrets),
    Route("demands:help_menu", public=PUBLIC + "；服务菜单本就面向居民公开", secrets=need_and_code_secrets),
    Route("demands:help_order", kwargs=lambda t: {"pk": t.menu_item.pk}, methods=("GET", "POST"),
          data=resident_data, public=PUBLIC + "；服务菜单本就面向居民公开", secrets=need_and_code_secrets),
    # ---- staff
    Route("demands:need_list", secrets=need_and_code_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("demands:need_create", methods=("GET", "POST"), data=proxy_data, secrets=need_and_code_secrets,
          extra={"outsider_ok": OWN_FORM}),
    Route("demands:review_queue", secrets=need_and_code_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("demands:need_detail", kwargs=lambda t: {"pk": t.submitted_need.pk}, secrets=need_and_code_secrets),
    Route("demands:need_review", kwargs=lambda t: {"pk": t.submitted_need.pk}, methods=("POST",),
          data=lambda t: {"decision": "reject", "reason": "越权退回"}),
    Route("demands:help_poster", kwargs=lambda t: {"pk": t.community.pk}, secrets=lambda t: [t.community.name]),
    Route("demands:need_cancel", kwargs=lambda t: {"pk": t.need.pk}, methods=("POST",),
          data=lambda t: {"reason": "越权撤销"}),
    Route("demands:menu_list", secrets=menu_secrets, extra={"outsider_ok": OWN_SCOPE, "owner": "leader"}),
    Route("demands:menu_create", methods=("GET", "POST"), data=menu_data, secrets=menu_secrets,
          extra={"outsider_ok": OWN_FORM, "owner": "leader"}),
    Route("demands:menu_edit", kwargs=lambda t: {"pk": t.menu_item.pk}, methods=("GET", "POST"), data=menu_data,
          secrets=menu_secrets, extra={"owner": "leader"}),
    Route("demands:menu_set_active", kwargs=lambda t: {"pk": t.menu_item.pk}, methods=("POST",),
          data=lambda t: {"active": "0"}),
    # ---- volunteers and teams
    Route("demands:open_needs", secrets=need_and_code_secrets, extra={"outsider_ok": OPEN_AREA, "owner": "leader"}),
    Route("demands:open_need_take", kwargs=lambda t: {"pk": t.need.pk}, methods=("POST",)),
]
