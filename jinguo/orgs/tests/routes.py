"""Scope-coverage registry of the orgs pages (tree, nodes, teams, filing, yearly reports, accounts) and the home
dashboard. See tests/routes.py for the Route fields and tests/test_scope_coverage.py for the `extra` keys.

Every target lies inside 思明区 (world.district); outsiders must get 404/403 and change nothing. The lists and
forms without an object in the URL are every staff member's own (her scope only): outsiders get their own page,
which must not mention ours.
"""

from tests.routes import Route

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的内容"


def district_names(t) -> list[str]:
    return [t.district.name, t.street.name, t.community.name, t.team.name, t.subteam.name]


def team_names(t) -> list[str]:
    return [t.team.name, t.subteam.name, t.team.team_number]


def leader_role(t):
    return t.leader.role_assignments.get(node=t.team.node)


ROUTES = [
    Route(
        "home",
        secrets=district_names,
        extra={"outsider_ok": "工作台：志愿者转到本人档案，其他人只见本人范围的汇总"},
    ),
    # ---- tree and federation nodes
    Route("orgs:tree", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route("orgs:tree_children", kwargs=lambda t: {"pk": t.district.pk}, secrets=district_names),
    Route("orgs:node_options", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route("orgs:node_detail", kwargs=lambda t: {"pk": t.district.pk}, secrets=district_names),
    Route(
        "orgs:node_create",
        kwargs=lambda t: {"pk": t.district.pk},
        methods=("GET", "POST"),
        data=lambda t: {"name": "越权新建的街道", "kind": "street"},
        secrets=district_names,
    ),
    Route(
        "orgs:node_edit",
        kwargs=lambda t: {"pk": t.district.pk},
        methods=("GET", "POST"),
        data=lambda t: {"name": "被越权改名", "code": "350203"},
        secrets=district_names,
    ),
    Route(
        "orgs:node_move",
        kwargs=lambda t: {"pk": t.street.pk},
        methods=("GET", "POST"),
        data=lambda t: {"new_parent": t.other_district.pk},
        secrets=district_names,
    ),
    Route(
        "orgs:node_dissolve",
        kwargs=lambda t: {"pk": t.street.pk},
        methods=("GET", "POST"),
        data=lambda t: {"reason": "越权撤销"},
        secrets=district_names,
    ),
    Route(
        "orgs:node_delete",
        kwargs=lambda t: {"pk": t.community.pk},
        methods=("POST",),
        secrets=district_names,
    ),
    # ---- teams and filing
    Route(
        "orgs:team_create",
        kwargs=lambda t: {"pk": t.district.pk},
        methods=("GET", "POST"),
        data=lambda t: {
            "name": "越权登记的队伍",
            "unit_name": "越权",
            "backbone-TOTAL_FORMS": "0",
            "backbone-INITIAL_FORMS": "0",
        },
        secrets=district_names,
    ),
    Route("orgs:team_list", secrets=team_names, extra={"outsider_ok": OWN_SCOPE}),
    Route("orgs:team_detail", kwargs=lambda t: {"pk": t.team.pk}, secrets=team_names),
    Route(
        "orgs:team_edit",
        kwargs=lambda t: {"pk": t.team.pk},
        methods=("GET", "POST"),
        data=lambda t: {
            "name": "被越权改名",
            "leader_name": "越权者",
            "backbone-TOTAL_FORMS": "0",
            "backbone-INITIAL_FORMS": "0",
        },
        secrets=team_names,
    ),
    Route("orgs:team_print", kwargs=lambda t: {"pk": t.team.pk}, secrets=team_names),
    Route("orgs:team_submit", kwargs=lambda t: {"pk": t.team.pk}, methods=("POST",), secrets=team_names),
    Route("orgs:team_file", kwargs=lambda t: {"pk": t.team.pk}, methods=("POST",), secrets=team_names),
    Route(
        "orgs:team_return",
        kwargs=lambda t: {"pk": t.team.pk},
        methods=("POST",),
        data=lambda t: {"reason": "越权退回"},
        secrets=team_names,
    ),
    Route(
        "orgs:team_merge",
        kwargs=lambda t: {"pk": t.subteam.pk},
        methods=("GET", "POST"),
        data=lambda t: {"target": t.team_b.pk, "reason": "越权合并"},
        secrets=team_names,
    ),
    Route("orgs:filing_queue", secrets=team_names, extra={"outsider_ok": OWN_SCOPE}),
    # ---- yearly reports
    Route(
        "orgs:reporting_list",
        methods=("GET", "POST"),
        data=lambda t: {"node": t.district.pk, "year": t.reporting_year.year - 1, "deadline": "2099-12-31"},
        secrets=district_names,
        extra={"outsider_ok": OWN_SCOPE + "；发起年报只能选本人范围内的组织"},
    ),
    Route(
        "orgs:reporting_year_detail",
        kwargs=lambda t: {"pk": t.reporting_year.pk},
        secrets=district_names,
    ),
    Route(
        "orgs:annual_report",
        kwargs=lambda t: {"pk": t.reporting_year.pk, "team": t.team.pk},
        methods=("GET", "POST"),
        data=lambda t: {
            "new_members": "9",
            "activity_count": "9",
            "service_hours": "9",
            "people_served": "9",
            "highlights": "越权填写",
            "submit": "1",
        },
        secrets=team_names,
    ),
    Route(
        "orgs:annual_report_confirm",
        kwargs=lambda t: {"pk": t.annual_report.pk},
        methods=("POST",),
        secrets=team_names,
    ),
    Route(
        "orgs:annual_report_return",
        kwargs=lambda t: {"pk": t.annual_report.pk},
        methods=("POST",),
        data=lambda t: {"reason": "越权退回"},
        secrets=team_names,
    ),
    # ---- accounts and roles
    Route(
        "orgs:account_list",
        secrets=lambda t: ["district_admin", "district_staff", t.district.name],
        extra={"outsider_ok": OWN_SCOPE},
    ),
    Route(
        "orgs:account_create",
        methods=("GET", "POST"),
        data=lambda t: {
            "username": "yuequan",
            "display_name": "越权账号",
            "role": "federation_admin",
            "node": t.district.pk,
        },
        secrets=district_names,
        extra={"outsider_ok": "创建账号的表单：只能选择本人管辖范围内的组织"},
    ),
    Route(
        "orgs:account_detail",
        kwargs=lambda t: {"pk": t.leader.pk},
        methods=("GET", "POST"),
        data=lambda t: {"role": "team_leader", "node": t.subteam.pk},
        secrets=lambda t: [t.team.name, t.leader.username + "</"],
    ),
    Route(
        "orgs:account_password_reset",
        kwargs=lambda t: {"pk": t.leader.pk},
        methods=("POST",),
        secrets=lambda t: [t.team.name],
    ),
    Route(
        "orgs:account_set_active",
        kwargs=lambda t: {"pk": t.leader.pk},
        methods=("POST",),
        data=lambda t: {"active": "0"},
        secrets=lambda t: [t.team.name],
    ),
    Route(
        "orgs:role_revoke",
        kwargs=lambda t: {"pk": leader_role(t).pk},
        methods=("POST",),
        secrets=lambda t: [t.team.name],
    ),
]
