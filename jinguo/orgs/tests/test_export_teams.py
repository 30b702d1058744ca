"""Team statistics export: seed 003's table (各县（市、区）、市直机关巾帼志愿服务组织情况统计表), scoped, audited."""

import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jinguo.core.models import AuditLog, Job
from jinguo.orgs import exports
from jinguo.orgs import services as org_services
from jinguo.orgs.models import Team

HEADER_TOP = [
    "序号",
    "单位",
    "队伍编号",
    "档案编号",
    "队伍名称",
    "层级",
    "领队姓名",
    "职务",
    "联系电话",
    "领队微信号",
    "人数",
    "组建时间",
    "志愿服务类别（打√）",
]
CATEGORY_HEADERS = [
    "巾帼科技培训",
    "巾帼法律维权",
    "巾帼卫生保健",
    "巾帼文化宣传",
    "巾帼爱心帮扶",
    "巾帼护绿环保",
    "巾帼家庭教育",
    "巾帼禁毒防艾",
    "巾帼创业指导",
    "巾帼文明礼仪",
    "其他",
]


def run_export(client, data, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orgs:team_export"), data)
    assert response.status_code == 302, response.content.decode()[:1000]
    job = Job.objects.filter(kind="team_export").latest("created_at")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job


def sheet_rows(job: Job):
    ws = load_workbook(job.result_path)["组织情况统计表"]
    return ws, [[c.value for c in row] for row in ws.iter_rows()]


@pytest.fixture
def filled(world, make_volunteer):
    """The team has two members, one wechat id and an 'other' category; the sub-team has one member."""
    org_services.team_update(
        actor=world.root_user,
        team=world.team,
        data={
            "leader_wechat": "=HYPERLINK(1)",
            "service_categories": ["legal", "care", "other"],
            "other_category": "心理疏导",
            "service_times": ["weekend", "holiday"],
        },
    )
    make_volunteer(team=world.team.node)
    make_volunteer(team=world.team.node)
    make_volunteer(team=world.subteam.node)
    return world


def test_statistics_table_layout_values_and_totals(client, filled, django_capture_on_commit_callbacks):
    world = filled
    client.force_login(world.district_admin)
    job = run_export(client, {}, django_capture_on_commit_callbacks)
    ws, rows = sheet_rows(job)
    assert rows[0][0] == "各县（市、区）、市直机关巾帼志愿服务组织情况统计表"
    assert rows[1][0].startswith("填报单位：思明区妇联    导出时间：")
    assert rows[2][: len(HEADER_TOP)] == HEADER_TOP
    assert rows[2][12 + 11] == "志愿服务时间（打√）"
    assert rows[2][-1] == "备案状态"
    assert rows[3][12:26] == [*CATEGORY_HEADERS, "工作日", "双休日", "节假日"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:AA1", "A2:AA2", "A3:A4", "M3:W3", "X3:Z3", "AA3:AA4"} <= merged
    team, subteam = rows[4], rows[5]
    team_tier = Team.objects.get(pk=world.team.pk).tier_name()
    subteam_tier = Team.objects.get(pk=world.subteam.pk).tier_name()
    assert team[:12] == [
        1,
        "思明区妇联",
        "350203-001",
        None,
        "思明区巾帼服务队",
        team_tier,
        "林秀英",
        "主席",
        "13905920001",
        "'=HYPERLINK(1)",  # formula-safe
        2,
        datetime.datetime(2016, 11, 25),
    ]
    assert team[12:23] == [None, "√", None, None, "√", None, None, None, None, None, "√ 心理疏导"]
    assert team[23:] == [None, "√", "√", "草稿"]
    assert subteam[4:6] == ["湖滨小队", subteam_tier]
    assert subteam[10] == 1
    assert subteam[12:26] == [None, "√", None, None, "√", None, None, None, None, None, None, None, "√", None]
    total = rows[-1]
    assert total[0] == "合计"
    assert total[4] == "共 2 支队伍"
    assert total[10] == 3
    assert total[12:26] == [None, 2, None, None, 2, None, None, None, None, None, 1, None, 2, 1]
    assert len(rows) == 7  # title, filters, two header rows, two teams, totals: 湖里区's team is not ours
    assert job.report == {"count": 2, "members": 3}
    entry = AuditLog.objects.get(action="team.statistics_exported")
    assert entry.summary == "导出巾帼志愿服务组织情况统计表：2 支队伍，3 人次"
    assert entry.node_path == world.district.path


def test_filters_like_the_team_list(client, filled, django_capture_on_commit_callbacks):
    world = filled
    client.force_login(world.city_admin)
    job = run_export(
        client, {"tier": str(Team.objects.get(pk=world.subteam.pk).tier)}, django_capture_on_commit_callbacks
    )
    _ws, rows = sheet_rows(job)
    assert [r[4] for r in rows[4:-1]] == ["湖滨小队"]
    job = run_export(client, {"region": world.other_district.pk}, django_capture_on_commit_callbacks)
    _ws, rows = sheet_rows(job)
    assert [r[4] for r in rows[4:-1]] == ["湖里区巾帼服务队"]
    assert rows[4][1] == "湖里区妇联"
    job = run_export(client, {"q": "思明"}, django_capture_on_commit_callbacks)
    _ws, rows = sheet_rows(job)
    assert [r[4] for r in rows[4:-1]] == ["思明区巾帼服务队"]
    assert "关键词：思明" in rows[1][0]


def test_confirmation_page(client, filled):
    world = filled
    client.force_login(world.district_admin)
    page = client.get(reverse("orgs:team_export"), {"filing_status": "draft"}).content.decode()
    assert "共 <strong>2</strong> 支队伍" in page
    assert "草稿" in page
    assert not Job.objects.filter(kind="team_export").exists()


def test_outsiders_export_only_their_own(client, filled, django_capture_on_commit_callbacks):
    world = filled
    client.force_login(world.outsider_leader)
    job = run_export(client, {}, django_capture_on_commit_callbacks)
    _ws, rows = sheet_rows(job)
    assert [r[4] for r in rows[4:-1]] == ["湖里区巾帼服务队"]
    response = client.post(reverse("orgs:team_export"), {"region": world.district.pk})
    assert response.status_code == 200
    assert "筛选条件无效" in response.content.decode()
    client.force_login(world.nobody)
    assert client.get(reverse("orgs:team_export")).status_code == 403
    assert client.post(reverse("orgs:team_export"), {}).status_code == 403
    client.force_login(world.district_admin)
    assert client.get(job.get_absolute_url()).status_code == 404


def test_service_refuses_bad_filters(world):
    from jinguo.core.errors import DomainError

    with pytest.raises(DomainError) as excinfo:
        exports.team_export_start(actor=world.district_admin, filters={"tier": "x"})
    assert excinfo.value.message.startswith("筛选条件无效（层级：")
