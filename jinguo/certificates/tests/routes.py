"""Scope-coverage registry of the certificate pages (tests/routes.py has the Route fields, tests/test_scope_coverage.py
the `extra` keys). The target is t.certificate: 甄秘密's certificate issued by world.team (思明区), short code TESTCODE.
"""

from tests.routes import Route

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的证明和单位"
OWN_RECORD = "本人的页面：每个登录用户只看到并只能申请自己的证明（没有志愿者档案的看到提示）"


def district_names(t) -> list[str]:
    return [t.district.name, t.street.name, t.community.name, t.team.name, t.subteam.name]


def her_user(t):
    return t.volunteer.user


def issue_data(t) -> dict:
    # The outsider volunteer's number, so that the form echoing the typed number is not mistaken for a leak; the
    # issuer is our team, which no outsider may issue for.
    return {"volunteer": t.outsider_volunteer.number, "issuer": t.team.pk, "period_start": "", "period_end": ""}


ROUTES = [
    Route("certificates:list", extra={"outsider_ok": OWN_SCOPE}),
    Route(
        "certificates:issue",
        methods=("GET", "POST"),
        data=issue_data,
        secrets=lambda t: [t.team.name, t.subteam.name],
        extra={"outsider_ok": "出具表单：只能以本人管辖的单位出具，只能查到管辖范围内的志愿者"},
    ),
    Route(
        "certificates:batch",
        methods=("GET", "POST"),
        data=lambda t: {"node": t.team.pk, "period_end": "", "who": "all"},
        secrets=lambda t: [t.team.name, t.subteam.name],
        extra={"outsider_ok": "批量出具表单：只能选本人管辖的单位"},
    ),
    Route("certificates:detail", kwargs=lambda t: {"pk": t.certificate.pk}),
    Route("certificates:download", kwargs=lambda t: {"pk": t.certificate.pk}),
    Route(
        "certificates:revoke",
        kwargs=lambda t: {"pk": t.certificate.pk},
        methods=("POST",),
        data=lambda t: {"reason": "越权作废"},
    ),
    Route("certificates:reissue", kwargs=lambda t: {"pk": t.certificate.pk}, methods=("POST",)),
    Route("certificates:settings", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route(
        "certificates:issuer_pick",
        secrets=district_names,
        extra={"outsider_ok": "没有选择单位时转回设置页；选择的单位须在本人管辖范围内", "owner_status": 302},
    ),
    Route(
        "certificates:issuer_profile",
        kwargs=lambda t: {"pk": t.team.pk},
        methods=("GET", "POST"),
        data=lambda t: {"person_in_charge": "越权者", "contact_phone": "13900000000"},
    ),
    Route(
        "certificates:mine",
        methods=("GET", "POST"),
        data=lambda t: {"issuer": t.team.pk, "year": ""},
        extra={"outsider_ok": OWN_RECORD, "owner": her_user},
    ),
    Route("certificate_verify_start", public="证明核验入口：输入查验码，不含任何个人信息"),
    Route(
        "certificate_verify",
        kwargs=lambda t: {"code": t.certificate.short_code},
        public="证明核验页：只显示隐去部分的姓名和编号、出具单位、期间、时长和是否有效；查验码随机，无法遍历",
    ),
]
