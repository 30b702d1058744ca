"""Volunteer import, services level: the preview finds every bad row; the commit writes all valid rows or nothing."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook
from stdnum.cn import ric

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.ids import make_resident_id
from jinguo.core.models import AuditLog, Sequence
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import NodeCounter
from jinguo.volunteers.choices import MembershipStatus, Source, VolunteerStatus
from jinguo.volunteers.imports import bulk, services
from jinguo.volunteers.imports.columns import COLUMNS, SHEET_TITLE
from jinguo.volunteers.models import Membership, Volunteer
from jinguo.volunteers.services import name_initials

HEADERS = [("*" if c.required else "") + c.header for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]


def write_xlsx(path: Path, rows: list[dict], *, headers: list[str] | None = None, sheet: str = SHEET_TITLE) -> Path:
    """A file as a person would fill in the template: one dict per row, keyed by column key."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers or HEADERS)
    for row in rows:
        ws.append([row.get(key) for key in KEYS])
    wb.save(path)
    return path


def person(n: int, **overrides) -> dict:
    born = datetime.date(1986, 1, 1) + datetime.timedelta(days=97 * n % (14 * 365))
    row = {
        "name": "林" + "秀英丽敏静艳娟霞芳燕"[n % 10] + "玲婷雪慧红梅琳颖洁晶"[n // 10 % 10],
        "id_type": "居民身份证",
        "id_number": make_resident_id("350203", born, 100 + 2 * n),
        "phone": f"1390592{n:04d}",
        "ethnicity": "汉族",
        "political_status": "群众",
        "education": "本科",
        "categories": "法律维权、巾帼爱心帮扶",
        "availability": "双休日、节假日",
        "force_type": "主体力量",
        "residence": "湖滨社区",
    }
    row.update(overrides)
    return row


def bad_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def impossible_birth_date() -> str:
    body = "35020319900230123"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def mixed(world, make_volunteer, tmp_path):
    """One row of every kind of problem, and rows that are fine."""
    make_volunteer(team=world.team.node, name="林已登", id_number=person(5)["id_number"], phone="13700000005")
    under14 = timezone.localdate().replace(year=timezone.localdate().year - 10)
    rows = [
        person(1),  # 2: fine
        person(2, id_number=bad_checksum(person(2)["id_number"])),  # 3
        person(3, id_number=impossible_birth_date()),  # 4
        person(4, id_number=person(1)["id_number"]),  # 5: same person as row 2
        person(5),  # 6: registered already
        person(6, residence="不存在社区"),  # 7
        person(7, phone="1380013800"),  # 8
        person(8, name=""),  # 9
        person(9, categories="跳广场舞"),  # 10
        person(  # 11: full-width digits and stray spaces are normalised, not rejected
            10,
            name=" 林 秀英 ",
            id_number=" " + person(10)["id_number"].translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            phone="１３９ ０５９２ ００１０",
        ),
        person(11, id_number=make_resident_id("350203", under14, 222)),  # 12
        person(12, team_number="350203-999"),  # 13
        person(13, id_number=make_resident_id("999999", datetime.date(1990, 1, 1), 120)),  # 14: warning only
        person(14, team_number="350203-001-01"),  # 15: straight into the sub-team
        person(15, residence=""),  # 16: blank = the team's federation node
    ]
    return write_xlsx(tmp_path / "名单.xlsx", rows)


def test_preview_reports_every_bad_row_with_column_and_reason(world, mixed):
    report = services.validate_file(mixed, actor=world.district_admin, team=world.team.node)
    assert report.rows == 15
    assert report.valid_rows == [2, 11, 14, 15, 16]
    assert report.bad_rows == [3, 4, 5, 6, 7, 8, 9, 10, 12, 13]
    assert report.errors == [
        (3, "证件号码", "身份证号码校验位错误，请核对是否输错"),
        (4, "证件号码", "身份证号码中的出生日期不存在"),
        (5, "证件号码", "证件号码与第 2 行重复"),
        (
            6,
            "证件号码",
            "该证件号码已在「厦门市妇联·思明区妇联·筼筜街道·湖滨社区」，登记单位「思明区巾帼服务队」登记为志愿者，"
            "不能重复登记；如需加入本队伍，请由本人申请或由队长按志愿者编号添加",
        ),
        (
            7,
            "所属社区（村）",
            "「不存在社区」不在「思明区妇联」辖区内，或名称有误（应为社区（村）或街道（乡镇）的名称）",
        ),
        (8, "手机号", "手机号「1380013800」格式不正确，应为 11 位手机号"),
        (9, "姓名", "姓名不能为空"),
        (
            10,
            "服务类别",
            "服务类别「跳广场舞」无法识别，可选：巾帼科技培训、巾帼法律维权、巾帼卫生保健、巾帼文化宣传、巾帼爱心帮扶、"
            "巾帼护绿环保、巾帼家庭教育、巾帼禁毒防艾、巾帼创业指导、巾帼文明礼仪、其他",
        ),
        (12, "证件号码", "未满 14 周岁，须经监护人同意后由工作人员单独登记，不能批量导入"),
        (13, "加入队伍编号", "队伍编号「350203-999」不存在，或不是「思明区巾帼服务队」及其下级的在册队伍"),
    ]
    assert report.warnings == [(14, "证件号码", "行政区划代码999999未能识别，请核对（不影响登记）")]
    assert report.created == 0
    assert Volunteer.objects.count() == 1  # the member only: a preview writes nothing


def test_commit_only_valid_imports_pending_volunteers_with_memberships_and_counters(world, mixed):
    before = Sequence.objects.filter(name="volunteer-number").values_list("value", flat=True).first() or 0
    team_members = NodeCounter.objects.get(node=world.team.node).members
    report = services.commit_file(
        mixed,
        actor=world.district_admin,
        team=world.team.node,
        only_valid=True,
        expected_valid_rows=[2, 11, 14, 15, 16],
    )
    assert report.created == 5
    imported = list(Volunteer.objects.filter(source=Source.IMPORT).order_by("number"))
    assert [v.name for v in imported] == [
        person(1)["name"],
        "林秀英",
        person(13)["name"],
        person(14)["name"],
        person(15)["name"],
    ]
    assert report.created_ids == [v.pk for v in imported]
    assert {v.status for v in imported} == {VolunteerStatus.PENDING}
    assert {v.registered_via_id for v in imported} == {world.team.node.pk}
    assert {v.created_by_id for v in imported} == {world.district_admin.pk}
    numbers = [v.number for v in imported]
    year = timezone.localdate().year % 100
    assert numbers == [f"JG{year:02d}{n:08d}" for n in range(before + 1, before + 6)]
    first = imported[0]
    assert first.decrypt_id_number() == person(1)["id_number"]
    assert first.id_number_masked == person(1)["id_number"][:6] + "********" + person(1)["id_number"][-4:]
    assert first.name_initials == name_initials(first.name)
    assert first.home_node_id == world.community.pk
    assert first.sex == "F"
    assert first.birth_date is not None
    assert first.categories == ["legal", "care"]
    assert first.availability == ["weekend", "holiday"]
    assert first.force_type == "main"
    assert first.ethnicity == "汉族"
    normalised = imported[1]
    assert normalised.decrypt_id_number() == person(10)["id_number"]
    assert normalised.phone == "13905920010"
    assert imported[4].home_node_id == world.district.pk  # blank residence
    memberships = {m.volunteer_id: m for m in Membership.objects.filter(volunteer__in=imported)}
    assert {m.status for m in memberships.values()} == {MembershipStatus.ACTIVE}
    assert memberships[imported[3].pk].team_id == world.subteam.node.pk
    assert {memberships[v.pk].team_id for v in imported if v.pk != imported[3].pk} == {world.team.node.pk}
    counters = {c.node_id: c for c in NodeCounter.objects.all()}
    assert counters[world.community.pk].volunteers == 1 + 4  # the registered one, then rows 2, 11, 14, 15
    assert counters[world.district.pk].volunteers == 1
    assert counters[world.team.node.pk].members == team_members + 4
    assert counters[world.subteam.node.pk].members == 1
    entries = AuditLog.objects.filter(action="volunteer.imported")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.summary == "批量导入志愿者 5 名（待本人确认），文件「名单.xlsx」，跳过有问题的 10 行"
    assert entry.detail["created"] == 5
    assert entry.detail["rows"] == 15
    assert entry.node_path == world.team.node.path
    assert not org_services.rebuild_counters(fix=False)  # the counters agree with the tables


def test_commit_refuses_bad_rows_unless_only_valid(world, mixed):
    with pytest.raises(DomainError) as excinfo:
        services.commit_file(mixed, actor=world.district_admin, team=world.team.node, only_valid=False)
    assert excinfo.value.code == "has_errors"
    assert excinfo.value.message == "文件中有 10 行存在问题，未导入任何数据。请修改后重新导入，或选择仅导入有效行。"
    assert not Volunteer.objects.filter(source=Source.IMPORT).exists()
    assert not AuditLog.objects.filter(action="volunteer.imported").exists()


def test_commit_refuses_when_valid_rows_changed_since_preview(world, make_volunteer, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [person(1), person(2), person(3)])
    preview = services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert preview.valid_rows == [2, 3, 4]
    # Meanwhile somebody registers the person of row 3.
    raw = person(2)
    make_volunteer(name=raw["name"], id_number=raw["id_number"], phone="13700000001")
    counters_before = list(NodeCounter.objects.order_by("node_id").values_list("volunteers", "members"))
    with pytest.raises(DomainError) as excinfo:
        services.commit_file(
            path,
            actor=world.district_admin,
            team=world.team.node,
            only_valid=True,
            expected_valid_rows=preview.valid_rows,
        )
    assert excinfo.value.code == "changed"
    assert "本次未导入任何数据" in excinfo.value.message
    assert not Volunteer.objects.filter(source=Source.IMPORT).exists()
    assert list(NodeCounter.objects.order_by("node_id").values_list("volunteers", "members")) == counters_before


def test_failure_in_the_middle_of_the_insert_leaves_nothing_behind(world, tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "a.xlsx", [person(n) for n in range(1, 8)])
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    calls = []
    real = services._insert_batch

    def failing(volunteers, memberships):
        calls.append(len(volunteers))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(volunteers, memberships)

    monkeypatch.setattr(services, "_insert_batch", failing)
    sequence_before = Sequence.objects.filter(name="volunteer-number").values_list("value", flat=True).first()
    counters_before = list(NodeCounter.objects.order_by("node_id").values_list("volunteers", "members"))
    with pytest.raises(RuntimeError):
        services.commit_file(path, actor=world.district_admin, team=world.team.node, only_valid=False)
    assert calls == [2, 2, 2]  # two batches were written before the failure
    assert not Volunteer.objects.exists()
    assert not Membership.objects.exists()
    assert not AuditLog.objects.filter(action="volunteer.imported").exists()
    assert Sequence.objects.filter(name="volunteer-number").values_list("value", flat=True).first() == sequence_before
    assert list(NodeCounter.objects.order_by("node_id").values_list("volunteers", "members")) == counters_before


def test_batches_are_numbered_consecutively_and_progress_is_reported(world, tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "a.xlsx", [person(n) for n in range(1, 8)])
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    seen = []
    report = services.commit_file(
        path,
        actor=world.leader,
        team=world.team.node,
        only_valid=False,
        progress=lambda done, total, stage="": seen.append((done, total, stage)),
    )
    assert report.created == 7
    numbers = sorted(Volunteer.objects.values_list("number", flat=True))
    serials = [int(n[4:]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 7))
    assert seen == [(3, 7, "导入数据"), (6, 7, "导入数据"), (7, 7, "导入数据"), (7, 7, "导入数据")]


def test_ambiguous_residence_asks_for_the_street(world, tmp_path):
    street = org_services.node_create(
        actor=world.root_user, parent=world.district, name="嘉莲街道", kind=NodeKind.STREET
    )
    org_services.node_create(actor=world.root_user, parent=street, name="湖滨社区", kind=NodeKind.COMMUNITY)
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            person(1),
            person(2, residence="筼筜街道/湖滨社区"),
            person(3, residence="筼筜街道"),
            person(4, residence="高殿社区"),
        ],
    )
    report = services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert report.errors == [
        (2, "所属社区（村）", "「湖滨社区」有 2 个同名组织（上级分别为：筼筜街道、嘉莲街道），请写成“街道名/社区名”"),
        (5, "所属社区（村）", "「高殿社区」不在「思明区妇联」辖区内，或名称有误（应为社区（村）或街道（乡镇）的名称）"),
    ]
    assert report.valid_rows == [3, 4]


def test_scope_owner_member_and_outsiders(world, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [person(1)])
    for outsider in (world.outsider_admin, world.outsider_leader, world.district_staff, world.nobody):
        with pytest.raises(PermissionDeniedError):
            services.validate_file(path, actor=outsider, team=world.team.node)
        with pytest.raises(PermissionDeniedError):
            services.commit_file(path, actor=outsider, team=world.team.node, only_valid=True)
    assert not Volunteer.objects.exists()
    # The team's leader and the district's admin may import into it; the leader not into a sibling's team.
    assert services.validate_file(path, actor=world.leader, team=world.team.node).valid_rows == [2]
    with pytest.raises(PermissionDeniedError):
        services.validate_file(path, actor=world.leader, team=world.team_b.node)
    report = services.commit_file(path, actor=world.leader, team=world.subteam.node, only_valid=False)
    assert report.created == 1


def test_dissolved_team_refused(world, tmp_path):
    org_services.node_dissolve(actor=world.district_admin, node=world.subteam.node, reason="合并")
    path = write_xlsx(tmp_path / "a.xlsx", [person(1)])
    with pytest.raises(DomainError) as excinfo:
        services.validate_file(path, actor=world.district_admin, team=world.subteam.node)
    assert excinfo.value.message == "「湖滨小队」已撤销或合并，不能导入志愿者。"


def test_reimporting_the_same_file_finds_every_row_registered(world, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [person(1), person(2)])
    services.commit_file(path, actor=world.district_admin, team=world.team.node, only_valid=False)
    report = services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert report.valid_rows == []
    assert [(row, column) for row, column, _ in report.errors] == [(2, "证件号码"), (3, "证件号码")]
    assert report.errors[0][2].startswith(
        "该证件号码已在「厦门市妇联·思明区妇联·筼筜街道·湖滨社区」，登记单位「思明区巾帼服务队」"
    )


def test_unknown_columns_are_reported_and_ignored(world, tmp_path):
    headers = [*HEADERS[:4], "备注"]
    path = tmp_path / "a.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append(headers)
    row = person(1)
    ws.append([row["name"], row["id_type"], row["id_number"], row["phone"], "老会员"])
    wb.save(path)
    report = services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert report.valid_rows == [2]
    assert report.notices == ["以下列无法识别，已忽略：备注"]


def test_fast_initials_match_the_service_for_tricky_names():
    initials = bulk.Initials()
    for name in [
        "张晓丽",
        "曾长乐",
        "单于丽",
        "欧阳娜娜",
        "乐乐",
        "覃红",
        "阿依古丽·买买提",
        "Anna",
        "行长",
        "长孙无忌",
    ]:
        assert initials(name) == name_initials(name), name


def test_validation_shortcuts_give_the_same_answers_as_before():
    """The import made two hot spots cheaper (a cached region lookup, choice tables built once): same results."""
    from jinguo.core.ids import parse_resident_id
    from jinguo.volunteers.validation import validate_volunteer

    for _ in range(2):  # the second round is answered from the caches
        assert parse_resident_id(make_resident_id("350203", datetime.date(1990, 1, 1), 12)).region_warning is None
        # 思明区 got its code in 1985 (stdnum's table): someone born earlier cannot carry it.
        assert (
            parse_resident_id(make_resident_id("350203", datetime.date(1980, 1, 1), 12)).region_warning
            == "行政区划代码350203未能识别，请核对（不影响登记）"
        )
        assert (
            parse_resident_id(make_resident_id("999999", datetime.date(1990, 1, 1), 12)).region_warning
            == "行政区划代码999999未能识别，请核对（不影响登记）"
        )
        base = person(1)
        for text, code in (("主体力量", "main"), ("主体", "main"), ("professional", "professional"), ("", "")):
            assert validate_volunteer({**base, "force_type": text}).data["force_type"] == code
        assert validate_volunteer({**base, "force_type": "主力"}).errors == [
            ("force_type", "力量类型「主力」无法识别，可选：主体力量、主导力量、专业力量、骨干力量、社会力量")
        ]
        for text, code in (("居民身份证", "resident"), ("passport", "passport"), ("", "resident")):
            assert validate_volunteer({**base, "id_type": text}).data["id_type"] == code
        result = validate_volunteer({**base, "categories": "法律维权志愿者、巾帼爱心帮扶、tech", "honours": "最美家庭"})
        assert result.data["categories_mask"] == 0b10011  # tech, legal, care
        assert result.data["honours_mask"] == 1 << 5
