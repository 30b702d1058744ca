"""Scope-coverage registry of the core routes (accounts, audit log, API tokens, jobs, API schema and docs).

See tests/routes.py for the Route fields and tests/test_scope_coverage.py for the `extra` keys.
"""

from tests.routes import Route

SAME_FOR_EVERYONE = "本人的页面：每个登录用户看到的都是自己的内容"

ROUTES = [
    Route("login", public="登录页：任何人都可以打开"),
    Route("logout", methods=("POST",), public="退出登录：只结束发出请求者自己的会话"),
    Route("password_change", extra={"outsider_ok": "修改本人密码的表单，人人相同"}),
    Route("password_change_done", extra={"outsider_ok": "修改密码成功的提示页，人人相同"}),
    Route(
        "audit_log",
        # Every administrator has an audit log: an outsider's shows her own subtree's entries, none of ours.
        secrets=lambda t: [t.team.name, t.subteam.name, t.street.name, t.community.name],
        extra={"outsider_ok": "每个管理员只看到本人管辖范围内的日志"},
    ),
    Route(
        "api_tokens",
        secrets=lambda t: [t.api_token.name, t.api_token.prefix],
        extra={"outsider_ok": SAME_FOR_EVERYONE},
    ),
    Route(
        "api_token_revoke",
        kwargs=lambda t: {"pk": t.api_token.pk},
        methods=("POST",),
        secrets=lambda t: [t.api_token.name, t.api_token.prefix],
    ),
    Route("job_detail", kwargs=lambda t: {"pk": t.job.pk}, secrets=lambda t: [t.job.title, t.job.result_name]),
    Route("job_progress", kwargs=lambda t: {"pk": t.job.pk}, secrets=lambda t: [t.job.title]),
    Route("job_download", kwargs=lambda t: {"pk": t.job.pk}, secrets=lambda t: [t.job.result_name]),
    Route("api-schema", extra={"outsider_ok": "接口说明：对所有登录用户相同，不含业务数据"}),
    Route("api-docs", extra={"outsider_ok": "接口文档页面：对所有登录用户相同，不含业务数据"}),
]
