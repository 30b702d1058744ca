"""Team import: the registration form's fields from xlsx, through team_create, all rows or none."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Job, Sequence
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import FilingStatus
from jinguo.orgs.imports import services
from jinguo.orgs.imports.columns import COLUMNS, SHEET_TITLE
from jinguo.orgs.models import Node, NodeCounter, Team

HEADERS = [("*" if c.required else "") + c.header for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CREDIT_CODE = "91350203MA31ABCD0Q"


def write_teams(path: Path, rows: list[dict]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append(HEADERS)
    for row in rows:
        ws.append([row.get(key) for key in KEYS])
    wb.save(path)
    return path


def team_row(name: str, **overrides) -> dict:
    row = {
        "name": name,
        "unit_name": "思明区妇联",
        "level": "区（县）级",
        "founded_on": "2016-11-25",
        "leader_name": "林秀英",
        "leader_position": "主席",
        "leader_phone": "13905920001",
        "phone": "0592-2345678",
        "service_categories": "法律维权、巾帼爱心帮扶",
        "service_times": "双休日、节假日",
        "is_registered": "否",
    }
    row.update(overrides)
    return row


@pytest.fixture
def mixed(world, tmp_path):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    rows = [
        team_row("思明区巾帼志愿服务总队"),  # 2
        team_row("思明区巾帼法律服务队", parent="思明区巾帼志愿服务总队"),  # 3: under row 2
        team_row("湖滨巾帼关爱分队", parent="350203-001"),  # 4: under an existing team
        team_row("思明区巾帼服务队"),  # 5: a sibling has this name already
        team_row("无主分队", parent="350203-999"),  # 6
        team_row("电话错误队", phone="12345"),  # 7
        team_row("登记社会组织队", is_registered="是", credit_code="91350203MA31ABCD0X"),  # 8
        team_row("未来队", founded_on=tomorrow.isoformat()),  # 9
        team_row("广场舞队", service_categories="跳广场舞"),  # 10
        team_row(""),  # 11
        team_row("思明区巾帼志愿服务总队"),  # 12: same name as row 2, same parent
        team_row("下级队", parent="电话错误队"),  # 13: its parent row failed
        team_row("邮箱错误队", email="not-an-email"),  # 14
        team_row(
            "社会组织服务队",
            tier="总队",
            is_registered="是",
            credit_code=CREDIT_CODE,
            founded_on=datetime.date(2018, 3, 8),
        ),
        team_row("越级总队", parent="350203-001", tier="总队"),  # 16: not above its parent team
        team_row("大队", tier="大队"),  # 17
    ]
    return write_teams(tmp_path / "队伍.xlsx", rows)


EXPECTED_ERRORS = [
    (5, "队伍名称", "同一上级下已有名为「思明区巾帼服务队」的组织或队伍"),
    (6, "上级队伍", "上级队伍「350203-999」不存在：应填写「思明区妇联」之下已有队伍的编号，或本表中排在前面的队伍名称"),
    (7, "队伍联系电话", "「12345」不是有效的电话号码（手机 11 位，或带区号的固定电话）"),
    (8, "统一社会信用代码", "统一社会信用代码校验不通过，请核对"),
    (9, "成立时间", "成立时间不能晚于今天"),
    (
        10,
        "志愿服务类别",
        "服务类别「跳广场舞」无法识别，可选：巾帼科技培训、巾帼法律维权、巾帼卫生保健、巾帼文化宣传、巾帼爱心帮扶、"
        "巾帼护绿环保、巾帼家庭教育、巾帼禁毒防艾、巾帼创业指导、巾帼文明礼仪、其他",
    ),
    (11, "队伍名称", "队伍名称不能为空"),
    (12, "队伍名称", "同一上级下已有名为「思明区巾帼志愿服务总队」的组织或队伍"),
    (13, "上级队伍", "上级队伍「电话错误队」（第 7 行）有问题，未能导入"),
    (14, "邮箱", "邮箱「not-an-email」格式不正确"),
    (16, "层级", "TIERS BELOW THE TEAM"),
    (17, "层级", "层级「大队」无法识别，可选：总队、服务队、分队、小队"),
]


def expected_errors(world) -> list:
    """The list above, with the tiers a team under world.team may take (it depends on world.team's own tier)."""
    below = "、".join(["总队", "服务队", "分队", "小队"][Team.objects.get(pk=world.team.pk).tier :])
    message = f"在「思明区巾帼服务队」下只能登记为：{below}"
    return [(row, column, message if text == "TIERS BELOW THE TEAM" else text) for row, column, text in EXPECTED_ERRORS]


def test_preview_finds_what_the_commit_would_and_writes_nothing(world, mixed):
    sequences = list(Sequence.objects.order_by("name").values_list("name", "value"))
    report = services.validate_file(mixed, actor=world.district_admin, parent=world.district)
    assert report.rows == 16
    assert report.valid_rows == [2, 3, 4, 15]
    assert report.errors == expected_errors(world)
    assert Team.objects.count() == 3
    assert list(Sequence.objects.order_by("name").values_list("name", "value")) == sequences
    assert not AuditLog.objects.filter(
        action__in=["team.created", "team.imported"], actor=world.district_admin
    ).exists()


def test_commit_only_valid_creates_draft_teams_with_numbers_and_tiers(world, mixed):
    report = services.commit_file(
        mixed, actor=world.district_admin, parent=world.district, only_valid=True, expected_valid_rows=[2, 3, 4, 15]
    )
    assert report.created == 4
    assert report.errors == expected_errors(world)
    created = {t.node.name: t for t in Team.objects.select_related("node").filter(pk__in=report.created_ids)}
    top_tier = org_services.tier_choices(world.district)[1]  # the default tier of a team registered at a district
    existing_tier = Team.objects.get(pk=world.team.pk).tier
    assert {name: (t.team_number, t.tier) for name, t in created.items()} == {
        "思明区巾帼志愿服务总队": ("350203-002", top_tier),
        "思明区巾帼法律服务队": ("350203-002-01", top_tier + 1),
        "湖滨巾帼关爱分队": ("350203-001-02", existing_tier + 1),
        "社会组织服务队": ("350203-003", 1),  # its row says 总队
    }
    top = created["思明区巾帼志愿服务总队"]
    assert Node.objects.get_parent(top.node) == world.district
    assert Node.objects.get_parent(created["思明区巾帼法律服务队"].node) == top.node
    assert top.level == "district"
    assert top.founded_on == datetime.date(2016, 11, 25)
    assert top.service_categories == ["legal", "care"]
    assert top.service_times == ["weekend", "holiday"]
    assert top.phone == "0592-2345678"
    assert top.leader_phone == "13905920001"
    assert top.filing_status == FilingStatus.DRAFT
    assert top.is_registered is False
    registered = created["社会组织服务队"]
    assert registered.is_registered
    assert registered.credit_code == CREDIT_CODE
    assert registered.founded_on == datetime.date(2018, 3, 8)
    assert {NodeCounter.objects.get(node_id=pk).teams for pk in report.created_ids} == {1}
    entry = AuditLog.objects.get(action="team.imported")
    assert entry.summary == "批量导入队伍 4 支，文件「队伍.xlsx」，跳过有问题的 12 行"
    assert entry.node_path == world.district.path
    assert AuditLog.objects.filter(action="team.created", actor=world.district_admin).count() == 4


def test_commit_refuses_bad_rows_unless_only_valid(world, mixed):
    with pytest.raises(DomainError) as excinfo:
        services.commit_file(mixed, actor=world.district_admin, parent=world.district, only_valid=False)
    assert excinfo.value.message == "文件中有 12 行存在问题，未导入任何队伍。请修改后重新导入，或选择仅导入有效行。"
    assert Team.objects.count() == 3
    assert not AuditLog.objects.filter(action="team.imported").exists()


def test_commit_refuses_when_rows_changed_since_preview(world, tmp_path):
    path = write_teams(tmp_path / "a.xlsx", [team_row("甲队"), team_row("乙队")])
    preview = services.validate_file(path, actor=world.district_admin, parent=world.district)
    org_services.team_create(actor=world.district_admin, parent=world.district, name="乙队", data={})
    with pytest.raises(DomainError) as excinfo:
        services.commit_file(
            path,
            actor=world.district_admin,
            parent=world.district,
            only_valid=True,
            expected_valid_rows=preview.valid_rows,
        )
    assert excinfo.value.code == "changed"
    assert not Node.objects.filter(name="甲队").exists()


def test_scope(world, tmp_path):
    path = write_teams(tmp_path / "a.xlsx", [team_row("甲队")])
    for outsider in (world.outsider_admin, world.outsider_leader, world.district_staff, world.nobody):
        with pytest.raises(PermissionDeniedError):
            services.validate_file(path, actor=outsider, parent=world.district)
        with pytest.raises(PermissionDeniedError):
            services.commit_file(path, actor=outsider, parent=world.district, only_valid=True)
    with pytest.raises(PermissionDeniedError):
        services.validate_file(path, actor=world.leader, parent=world.district)
    # A leader registers teams under his own team; a parent team number outside it is unknown to him.
    other = write_teams(tmp_path / "b.xlsx", [team_row("乙队", parent="350206-001")])
    report = services.validate_file(other, actor=world.leader, parent=world.team.node)
    assert report.errors[0][1] == "上级队伍"
    report = services.commit_file(path, actor=world.leader, parent=world.team.node, only_valid=False)
    assert Team.objects.get(pk=report.created_ids[0]).team_number == "350203-001-02"
    assert not Node.objects.filter(name="乙队").exists()


def test_template(client, world):
    client.force_login(world.district_admin)
    response = client.get(reverse("orgs:team_import_template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["队伍信息", "选项", "填写说明"]
    ws = wb["队伍信息"]
    headers = [c.value for c in ws[1]]
    assert headers[:6] == ["*队伍名称", "上级队伍", "层级", "所属单位", "队伍级别", "成立时间"]
    assert "队伍编号" not in headers  # generated
    assert all(cell.value is None for cell in ws[2])
    assert ws["I2"].number_format == "@"
    assert ws["T2"].number_format == "@"
    validations = {str(v.sqref).split(":")[0] for v in ws.data_validations.dataValidation}
    assert {"E2", "P2", "S2"} <= validations  # level, service times, registered
    guide = [c.value for c in wb["填写说明"]["A"] if c.value]
    assert "队伍名称：湖滨社区巾帼法律服务队" in guide


def test_pages_upload_preview_commit(client, world, tmp_path, django_capture_on_commit_callbacks):
    client.force_login(world.district_admin)
    page = client.get(reverse("orgs:team_import_start"), {"parent": world.district.pk}).content.decode()
    assert "思明区妇联" in page
    assert "湖里区妇联" not in page
    path = write_teams(tmp_path / "a.xlsx", [team_row("甲队"), team_row("乙队", phone="1")])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orgs:team_import_start"),
            {
                "parent": world.district.pk,
                "file": SimpleUploadedFile("队伍.xlsx", path.read_bytes(), content_type=XLSX),
            },
        )
    job = Job.objects.get(kind="team_import")
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.READY
    page = client.get(job.get_absolute_url()).content.decode()
    assert "第 3 行" in page
    assert "仅导入有效行（1）" in page
    assert not Node.objects.filter(name="甲队").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:team_import_commit", args=[job.pk]), {"only_valid": "1"})
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Node.objects.filter(name="甲队").count() == 1
    page = client.get(job.get_absolute_url()).content.decode()
    assert "已导入 <strong>1</strong> 支队伍" in page
    # Outsiders cannot see or act on the job.
    client.force_login(world.outsider_admin)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.post(reverse("orgs:team_import_cancel", args=[job.pk])).status_code == 404
    assert client.get(reverse("orgs:team_import_problems", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("who", ["district_staff", "nobody"])
def test_read_only_users_cannot_import(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("orgs:team_import_start")).status_code == 403
    assert client.get(reverse("orgs:team_import_template")).status_code == 403


def test_command(world, tmp_path):
    path = write_teams(tmp_path / "a.xlsx", [team_row("甲队"), team_row("乙队", phone="1")])
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_teams", str(path), "--parent", "350203", stdout=out)
    assert "有 1 行存在问题，未导入任何数据" in str(excinfo.value)
    assert (
        out.getvalue().splitlines()[0]
        == "第 3 行\t队伍联系电话\t「1」不是有效的电话号码（手机 11 位，或带区号的固定电话）"
    )
    out = io.StringIO()
    call_command("import_teams", str(path), "--parent", "350203", "--only-valid", "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[-1] == "试运行：可导入 1 行，未写入任何数据。"
    assert not Node.objects.filter(name="甲队").exists()
    out = io.StringIO()
    call_command("import_teams", str(path), "--parent", "350203-001", "--only-valid", "--as", "leader", stdout=out)
    assert out.getvalue().splitlines()[-1] == "已导入 1 支队伍（草稿，待提交备案）。"
    assert Node.objects.get_parent(Node.objects.get(name="甲队")) == world.team.node
    with pytest.raises(CommandError) as excinfo:
        call_command("import_teams", str(path), "--parent", "999999", stdout=io.StringIO())
    assert str(excinfo.value) == "上级组织「999999」不存在（可填写行政区划代码、队伍编号或组织编号）。"
