"""Team pages: registration with every field of both seed forms, the list's filters, detail, edit, merge, print."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jinguo.core.models import AuditLog
from jinguo.orgs import services
from jinguo.orgs.choices import FilingStatus, NodeStatus
from jinguo.orgs.models import Node, Team


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def backbone(rows: list[dict], total: int | None = None) -> dict:
    data = {"backbone-TOTAL_FORMS": str(total or len(rows)), "backbone-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"backbone-{index}-{key}"] = value
    return data


FULL_FORM = {
    "name": "筼筜巾帼法律维权小队",
    "unit_name": "筼筜街道妇联",
    "level": "street",
    "founded_on": "2017-07-06",
    "leader_name": "王丽华",
    "leader_position": "妇联主席",
    "leader_phone": "１３９０５９２０００８",  # full-width digits are normalised
    "leader_wechat": "wlh_2017",
    "phone": "0592-5551234",
    "email": "yundang@example.com",
    "address": "厦门市思明区筼筜街道湖滨南路 1 号",
    "service_categories": ["legal", "family", "other"],
    "other_category": "反家暴宣传",
    "service_times": ["weekday", "holiday"],
    "service_features": "每周三法律咨询进社区",
    "awards": "2019 年厦门市巾帼文明岗",
    "is_registered": "on",
    "credit_code": "91350200MA2Y8B2Q4H",
    "rules": "一、队员自愿加入……",
}
BACKBONE = [
    {
        "name": "陈晓燕",
        "position": "副队长",
        "phone": "13905920009",
        "work_unit": "思明区司法局",
        "email": "cxy@example.com",
    },
    {"name": "", "position": "", "phone": "", "work_unit": "", "email": ""},
]


def test_register_team_with_every_field_of_the_seed_forms(world):
    admin = client_for(world.district_admin)
    url = reverse("orgs:team_create", args=[world.street.pk])
    form = admin.get(url)
    assert form.status_code == 200
    assert len(form.context["formset"].forms) == 5  # five backbone rows, as on the paper form
    assert "成员人数：按队伍名册自动统计" in html(form)
    response = admin.post(url, {**FULL_FORM, **backbone(BACKBONE)})
    team = Team.objects.get(node__name="筼筜巾帼法律维权小队")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:team_detail", args=[team.pk])
    assert team.node.path.startswith(world.street.path)
    assert team.team_number == "350203-002"  # the district's code; 001 is the world's team
    assert team.tier == 3  # at a street, Xiamen's tier names (总队,服务队,分队,小队) make it a 分队 by default
    assert team.archive_number is None
    assert team.filing_status == FilingStatus.DRAFT
    assert (team.unit_name, team.level, team.founded_on) == ("筼筜街道妇联", "street", datetime.date(2017, 7, 6))
    assert (team.leader_name, team.leader_position, team.leader_phone, team.leader_wechat) == (
        "王丽华",
        "妇联主席",
        "13905920008",
        "wlh_2017",
    )
    assert (team.phone, team.email, team.address) == ("0592-5551234", "yundang@example.com", FULL_FORM["address"])
    assert team.service_categories == ["legal", "family", "other"]
    assert team.other_category == "反家暴宣传"
    assert team.service_times == ["weekday", "holiday"]
    assert (team.service_features, team.awards, team.rules) == (
        "每周三法律咨询进社区",
        "2019 年厦门市巾帼文明岗",
        "一、队员自愿加入……",
    )
    assert team.is_registered
    assert team.credit_code == "91350200MA2Y8B2Q4H"
    assert list(team.backbone.values_list("name", "position", "phone", "work_unit", "email")) == [
        ("陈晓燕", "副队长", "13905920009", "思明区司法局", "cxy@example.com")
    ]
    detail = html(admin.get(response["Location"]))
    for text in (
        "王丽华",
        "妇联主席",
        "wlh_2017",
        "巾帼法律维权、巾帼家庭教育、其他",
        "反家暴宣传",
        "工作日、节假日",
        "陈晓燕",
    ):
        assert text in detail


def test_bad_credit_code_stays_on_its_field_and_keeps_the_input(world):
    admin = client_for(world.district_admin)
    data = {**FULL_FORM, "credit_code": "91350200MA2Y8B2Q4X", **backbone(BACKBONE)}
    response = admin.post(reverse("orgs:team_create", args=[world.street.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["credit_code"]
    assert "统一社会信用代码" in errors["credit_code"][0]
    page = html(response)
    assert 'value="王丽华"' in page
    assert 'value="陈晓燕"' in page
    assert 'value="91350200MA2Y8B2Q4X"' in page
    assert not Team.objects.filter(node__name="筼筜巾帼法律维权小队").exists()
    assert not Node.objects.filter(name="筼筜巾帼法律维权小队").exists()


def test_other_category_needs_its_text(world):
    data = {"name": "新队", "service_categories": ["other"], **backbone([])}
    response = client_for(world.district_admin).post(reverse("orgs:team_create", args=[world.street.pk]), data)
    assert response.context["form"].errors == {"other_category": ["选择「其他」类别时请填写具体内容。"]}


def test_add_row_keeps_what_was_typed_and_saves_nothing(world):
    admin = client_for(world.district_admin)
    rows = [{"name": f"骨干{i}", "position": "", "phone": "", "work_unit": "", "email": ""} for i in range(5)]
    response = admin.post(
        reverse("orgs:team_create", args=[world.street.pk]),
        {**FULL_FORM, **backbone(rows), "add_row": "1"},
    )
    assert response.status_code == 200
    formset = response.context["formset"]
    assert len(formset.forms) == 6
    assert 'value="骨干4"' in html(response)
    assert 'value="王丽华"' in html(response)
    assert not Node.objects.filter(name=FULL_FORM["name"]).exists()


def test_backbone_row_without_a_name_is_an_error(world):
    rows = [{"name": "", "position": "", "phone": "13905920009", "work_unit": "", "email": ""}]
    response = client_for(world.district_admin).post(
        reverse("orgs:team_create", args=[world.street.pk]), {**FULL_FORM, **backbone(rows)}
    )
    assert response.context["formset"].errors == [{"name": ["请填写姓名。"]}]
    assert not Node.objects.filter(name=FULL_FORM["name"]).exists()


def test_sub_team_registration_under_a_team(world):
    leader = client_for(world.leader)
    response = leader.post(reverse("orgs:team_create", args=[world.team.pk]), {"name": "金榜小队", **backbone([])})
    team = Team.objects.get(node__name="金榜小队")
    assert response.status_code == 302
    assert team.team_number == "350203-001-02"
    assert team.tier == 2
    assert leader.get(reverse("orgs:team_create", args=[world.district.pk])).status_code == 404


def test_edit_team_updates_fields_and_backbone_and_records_history(world):
    admin = client_for(world.district_admin)
    url = reverse("orgs:team_edit", args=[world.team.pk])
    form = admin.get(url)
    assert form.context["form"].initial["leader_name"] == "林秀英"
    data = {**FULL_FORM, "name": "思明区巾帼志愿服务队", "is_registered": "", "credit_code": "", **backbone(BACKBONE)}
    response = admin.post(url, data)
    assert response.status_code == 302
    team = Team.objects.select_related("node").get(pk=world.team.pk)
    assert team.node.name == "思明区巾帼志愿服务队"
    assert team.leader_name == "王丽华"
    assert not team.is_registered
    assert list(team.backbone.values_list("name", flat=True)) == ["陈晓燕"]
    entry = AuditLog.objects.filter(action="team.updated", target_id=str(team.pk)).get()
    assert entry.summary.startswith("修改登记信息：名称：思明区巾帼服务队 → 思明区巾帼志愿服务队")
    detail = admin.get(reverse("orgs:team_detail", args=[team.pk]))
    assert entry in list(detail.context["history"])


def test_staff_cannot_edit(world):
    staff = client_for(world.district_staff)
    assert staff.get(reverse("orgs:team_detail", args=[world.team.pk])).status_code == 200
    assert staff.get(reverse("orgs:team_edit", args=[world.team.pk])).status_code == 403
    response = staff.post(reverse("orgs:team_edit", args=[world.team.pk]), {"name": "改名", **backbone([])})
    assert response.status_code == 403
    assert Team.objects.get(pk=world.team.pk).node.name == "思明区巾帼服务队"


def test_detail_shows_tier_name_member_count_and_below_standard_warning(world, make_volunteer):
    services.node_update(actor=world.root_user, node=world.district, name="思明区妇联", team_tier_names="分队,小队")
    for _ in range(3):
        make_volunteer(team=world.subteam.node)
    response = client_for(world.district_admin).get(reverse("orgs:team_detail", args=[world.subteam.pk]))
    page = html(response)
    assert response.context["team"].tier_name() == "小队"
    assert "3 人（按名册统计）" in page
    assert "小队须有 5 名以上成员，目前未达到组建标准，暂不能备案。" in page
    assert reverse("volunteers:team_roster", args=[world.subteam.pk]) in page
    assert "小队成员不足 5 人（当前 3 人），未达到组建标准" in response.context["problems"]


def test_actions_shown_by_right(world):
    leader = html(client_for(world.leader).get(reverse("orgs:team_detail", args=[world.team.pk])))
    assert "修改登记信息" in leader
    assert "提交备案" in leader
    assert "撤销队伍" not in leader
    assert "准予备案" not in leader
    admin = html(client_for(world.district_admin).get(reverse("orgs:team_detail", args=[world.team.pk])))
    assert "撤销队伍" in admin
    assert "移动到其他上级" in admin


def test_team_detail_of_a_federation_node_redirects_and_outsiders_get_404(world):
    admin = client_for(world.district_admin)
    response = admin.get(reverse("orgs:team_detail", args=[world.street.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:node_detail", args=[world.street.pk])
    for user in (world.outsider_admin, world.outsider_leader):
        assert client_for(user).get(reverse("orgs:team_detail", args=[world.team.pk])).status_code == 404
        assert client_for(user).get(reverse("orgs:team_print", args=[world.team.pk])).status_code == 404


def test_print_view_shows_the_registration_form(world):
    response = client_for(world.leader).get(reverse("orgs:team_print", args=[world.team.pk]))
    page = html(response)
    assert response.status_code == 200
    assert "巾帼志愿服务队伍登记表" in page
    assert "志愿服务队伍编号：350203-001" in page
    assert "☑ 巾帼法律维权志愿者" in page
    assert "□ 巾帼科技培训志愿者" in page
    assert "☑ 双休日" in page
    assert page.count('class="jg-print-row"') == 5  # five backbone rows, empty ones to fill by hand


def test_merge_moves_members_and_keeps_the_source_as_history(world, make_volunteer):
    other = services.team_create(actor=world.district_admin, parent=world.district, name="思明区第二服务队", data={})
    volunteer = make_volunteer(team=other.node)
    admin = client_for(world.district_admin)
    url = reverse("orgs:team_merge", args=[other.pk])
    form = admin.get(url)
    labels = [label for _, label in form.context["form"].fields["target"].widget.choices]
    assert "思明区巾帼服务队 · 思明区妇联" in labels
    assert not any("第二服务队" in label for label in labels)
    empty = admin.post(url, {"target": world.team.pk, "reason": ""})
    assert empty.status_code == 200
    assert "reason" in empty.context["form"].errors
    response = admin.post(url, {"target": world.team.pk, "reason": "两队服务范围重叠"})
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:team_detail", args=[world.team.pk])
    other.node.refresh_from_db()
    assert other.node.status == NodeStatus.MERGED
    assert other.node.merged_into_id == world.team.pk
    assert volunteer.memberships.get(status="active").team_id == world.team.pk
    page = html(admin.get(reverse("orgs:team_detail", args=[other.pk])))
    assert "已并入" in page
    assert "并入「思明区巾帼服务队」：两队服务范围重叠" in page


def test_outsider_cannot_merge_into_our_team(world):
    response = client_for(world.outsider_admin).post(
        reverse("orgs:team_merge", args=[world.team_b.pk]), {"target": world.team.pk, "reason": "越权"}
    )
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    assert Node.objects.get(pk=world.team_b.pk).status == NodeStatus.ACTIVE


# ---- the list -------------------------------------------------------------------------------------------------


@pytest.fixture
def listed(world, make_volunteer):
    """Three more teams in 思明区 with different tiers, categories and filing states."""
    services.node_update(actor=world.root_user, node=world.district, name="思明区妇联", team_tier_names="总队,小队")
    care = services.team_create(
        actor=world.district_admin,
        parent=world.street,
        name="筼筜爱心帮扶队",
        tier=1,
        data={
            "unit_name": "筼筜街道妇联",
            "founded_on": datetime.date(2017, 7, 6),
            "leader_name": "王丽华",
            "leader_phone": "13905920008",
            "service_categories": ["care"],
            "service_times": ["weekend"],
        },
    )
    squad = services.team_create(
        actor=world.district_admin, parent=care.node, name="湖滨护绿小队", data={"service_categories": ["green"]}
    )
    for _ in range(5):
        make_volunteer(team=squad.node)
    for _ in range(6):
        make_volunteer(team=world.subteam.node)
    services.team_submit(actor=world.district_admin, team=care)
    services.team_file(actor=world.city_admin, team=care)
    return {"care": care, "squad": squad}


def names(response) -> list[str]:
    return [team.name for team in response.context["page_obj"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["思明区巾帼服务队", "湖滨小队", "筼筜爱心帮扶队", "湖滨护绿小队"]),
        ({"q": "湖滨"}, ["湖滨小队", "湖滨护绿小队"]),
        ({"q": "350203-001-01"}, ["湖滨小队"]),
        ({"tier": "2"}, ["湖滨小队", "湖滨护绿小队"]),
        ({"filing_status": "filed"}, ["筼筜爱心帮扶队"]),
        ({"category": "legal"}, ["思明区巾帼服务队", "湖滨小队"]),
        ({"category": "green"}, ["湖滨护绿小队"]),
        ({"sort": "name"}, ["思明区巾帼服务队", "湖滨小队", "湖滨护绿小队", "筼筜爱心帮扶队"]),
        ({"sort": "-members"}, ["湖滨小队", "湖滨护绿小队", "思明区巾帼服务队", "筼筜爱心帮扶队"]),
    ],
)
def test_team_list_filters(world, listed, query, expected):
    response = client_for(world.district_admin).get(reverse("orgs:team_list"), query)
    assert response.status_code == 200
    if "sort" in query:
        assert names(response) == expected
    else:
        assert sorted(names(response)) == sorted(expected)


def test_team_list_region_and_below_standard(world, listed, make_volunteer):
    admin = client_for(world.district_admin)
    assert names(admin.get(reverse("orgs:team_list"), {"region": world.street.pk})) == [
        "筼筜爱心帮扶队",
        "湖滨护绿小队",
    ]
    assert names(admin.get(reverse("orgs:team_list"), {"below_standard": "on"})) == []
    from jinguo.volunteers import services as volunteer_services

    membership = listed["squad"].node.memberships.filter(status="active").first()
    volunteer_services.membership_remove(actor=world.district_admin, membership=membership, reason="调离")
    assert names(admin.get(reverse("orgs:team_list"), {"below_standard": "on"})) == ["湖滨护绿小队"]


def test_team_list_status_filter_and_scope(world, listed):
    services.node_dissolve(actor=world.district_admin, node=listed["squad"].node, reason="撤并")
    admin = client_for(world.district_admin)
    assert "湖滨护绿小队" not in names(admin.get(reverse("orgs:team_list")))
    assert names(admin.get(reverse("orgs:team_list"), {"status": "dissolved"})) == ["湖滨护绿小队"]
    outsider = client_for(world.outsider_admin).get(reverse("orgs:team_list"), {"status": "all"})
    assert names(outsider) == ["湖里区巾帼服务队"]
    foreign_region = client_for(world.outsider_admin).get(reverse("orgs:team_list"), {"region": world.district.pk})
    assert "region" in foreign_region.context["form"].errors


def test_team_list_links_export_with_the_same_filters_and_import(world):
    page = html(client_for(world.district_admin).get(reverse("orgs:team_list"), {"q": "湖滨", "tier": "2"}))
    assert reverse("orgs:team_export") + "?q=%E6%B9%96%E6%BB%A8&amp;tier=2" in page
    assert reverse("orgs:team_import_start") in page
    assert reverse("orgs:team_create", args=[world.district.pk]) in page  # her one node: a direct link


def test_team_list_pages(world):
    for index in range(25):
        services.team_create(actor=world.district_admin, parent=world.street, name=f"队伍{index:02d}", data={})
    admin = client_for(world.district_admin)
    first = admin.get(reverse("orgs:team_list"))
    assert len(first.context["page_obj"]) == 20
    assert first.context["page_obj"].paginator.count == 27
    assert len(admin.get(reverse("orgs:team_list"), {"page": 2}).context["page_obj"]) == 7


def test_list_tree_and_node_pages_do_not_query_per_row(world):
    """Tier names, member counts and figures are fetched for the whole page at once, not once per row."""
    admin = client_for(world.district_admin)
    pages = [
        reverse("orgs:team_list"),
        reverse("orgs:tree_children", args=[world.street.pk]),
        reverse("orgs:node_detail", args=[world.street.pk]),
        reverse("orgs:filing_queue") + "?status=all",
    ]

    def counts():
        result = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert admin.get(url).status_code == 200
            result.append(len(queries))
        return result

    for index in range(3):
        services.team_create(actor=world.district_admin, parent=world.street, name=f"基线{index}", data={})
    counts()  # the first request after login refreshes the session (core.middleware.SlidingSessionMiddleware)
    few = counts()
    for index in range(12):
        services.team_create(actor=world.district_admin, parent=world.street, name=f"更多{index}", data={})
    assert counts() == few
