"""manage.py import_volunteers: the same report as the web import, non-zero exit when it refuses."""

import io

import pytest
from django.core.management import CommandError, call_command

from jinguo.core.models import AuditLog
from jinguo.core.sms import MemorySmsBackend
from jinguo.volunteers.choices import Source, VolunteerStatus
from jinguo.volunteers.models import Volunteer

from .test_import_volunteers import person, write_xlsx


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_volunteers", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def mixed_file(tmp_path):
    return write_xlsx(tmp_path / "名单.xlsx", [person(1), person(2, phone="123"), person(3)])


def test_refuses_bad_rows_without_only_valid_and_prints_them(world, mixed_file):
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_volunteers", str(mixed_file), "--team", "350203-001", stdout=out)
    assert str(excinfo.value) == ("有 1 行存在问题，未导入任何数据。请修改后重新导入，或加 --only-valid 只导入有效行。")
    assert out.getvalue().splitlines() == [
        "第 3 行\t手机号\t手机号「123」格式不正确，应为 11 位手机号",
        "共 3 行：有效 2 行，有问题 1 行（1 处问题），提示 0 处。",
    ]
    assert not Volunteer.objects.exists()


def test_dry_run_writes_nothing(world, mixed_file):
    out = run(str(mixed_file), "--team", "350203-001", "--dry-run", "--only-valid")
    assert out.splitlines()[-1] == "试运行：可导入 2 行，未写入任何数据。"
    assert not Volunteer.objects.exists()
    assert not MemorySmsBackend.outbox


def test_only_valid_imports_and_invites(world, mixed_file):
    out = run(str(mixed_file), "--team", "350203-001", "--only-valid", "--as", "leader")
    assert out.splitlines()[-1] == "已导入 2 名志愿者（待本人确认）。已向 2 人发送确认短信。"
    imported = Volunteer.objects.all()
    assert imported.count() == 2
    assert {v.status for v in imported} == {VolunteerStatus.PENDING}
    assert {v.source for v in imported} == {Source.IMPORT}
    assert {v.created_by_id for v in imported} == {world.leader.pk}
    assert len(MemorySmsBackend.outbox) == 2
    assert AuditLog.objects.get(action="volunteer.imported").actor_id == world.leader.pk


def test_defaults_to_the_platform_superuser(world, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [person(1)])
    out = run(str(path), "--team", " 350203-001-01 ")
    assert "已导入 1 名志愿者" in out
    assert Volunteer.objects.get().created_by_id == world.root_user.pk


def test_unknown_team_and_unknown_account(world, mixed_file):
    with pytest.raises(CommandError) as excinfo:
        run(str(mixed_file), "--team", "999999-001")
    assert str(excinfo.value) == "队伍编号「999999-001」不存在。"
    with pytest.raises(CommandError) as excinfo:
        run(str(mixed_file), "--team", "350203-001", "--as", "nosuchuser")
    assert str(excinfo.value) == "账号「nosuchuser」不存在或已停用。"
    assert not Volunteer.objects.exists()


def test_an_account_outside_the_team_is_refused(world, mixed_file):
    with pytest.raises(CommandError) as excinfo:
        run(str(mixed_file), "--team", "350203-001", "--only-valid", "--as", "outsider_admin")
    assert str(excinfo.value) == "「思明区巾帼服务队」不在您的管理范围内。未导入任何数据。"
    assert not Volunteer.objects.exists()


def test_a_hostile_file_is_refused(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(CommandError) as excinfo:
        run(str(path), "--team", "350203-001")
    assert str(excinfo.value) == "文件已加密，或是旧版 .xls 格式。请去掉密码并另存为 .xlsx 后再上传。未导入任何数据。"
    assert not Volunteer.objects.exists()


def test_missing_file(world, tmp_path):
    with pytest.raises(CommandError) as excinfo:
        run(str(tmp_path / "没有.xlsx"), "--team", "350203-001")
    assert str(excinfo.value) == "找不到该文件（可能已被删除），请重新上传。未导入任何数据。"
