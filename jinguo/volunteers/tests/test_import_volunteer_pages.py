"""Volunteer import through the pages: template, upload, preview, the user's choice, and who may do what."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from jinguo.core.models import AuditLog, Job
from jinguo.core.sms import MemorySmsBackend
from jinguo.volunteers.choices import VolunteerStatus
from jinguo.volunteers.imports import services
from jinguo.volunteers.models import Volunteer

from .test_import_volunteers import person, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, team, path: Path, name: str = "思明区名单.xlsx"):
    return client.post(
        reverse("volunteers:import_start"),
        {"team": team.pk, "file": SimpleUploadedFile(name, path.read_bytes(), content_type=XLSX)},
    )


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.district_admin)
    return client


@pytest.fixture
def two_good_one_bad(tmp_path):
    return write_xlsx(tmp_path / "a.xlsx", [person(1), person(2, phone="12345"), person(3)])


def ready_job(admin_client, world, path, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, world.team.node, path)
    job = Job.objects.get(kind="volunteer_import")
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    return job


def test_template_has_headers_dropdowns_text_columns_and_instructions(admin_client, world, tmp_path):
    response = admin_client.get(reverse("volunteers:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["志愿者信息", "选项", "填写说明"]
    assert wb["选项"].sheet_state == "hidden"
    ws = wb["志愿者信息"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["*姓名", "证件类型", "*证件号码", "*手机号"]
    assert headers[-6:] == ["所属社区（村）", "居住地址", "紧急联系人", "紧急联系人电话", "微信号", "加入队伍编号"]
    assert "性别" not in headers
    assert "出生日期" not in headers
    assert all(cell.value is None for cell in ws[2])  # no example row where it could be imported
    assert ws["C2"].number_format == "@"
    assert ws["D2"].number_format == "@"
    validations = {str(v.sqref).split(":")[0]: v for v in ws.data_validations.dataValidation}
    for letter in ("B", "E", "F", "G", "M", "N", "O"):  # ID type, ethnicity, politics, education, time, force, honours
        assert letter + "2" in validations
    assert validations["O2"].errorStyle == "warning"  # honours: several may be typed
    assert validations["B2"].showErrorMessage is True
    assert wb["选项"]["M5"].value == "工作日、双休日"
    guide = [c.value for c in wb["填写说明"]["A"] if c.value]
    assert guide[0] == "巾帼志愿者批量导入模板 · 填写说明"
    assert "填写示例（仅供参考，本页内容不会被导入；请在第一个工作表中填写）" in guide
    assert "姓名：张晓丽" in guide
    # The untouched template, uploaded as it is, imports nothing.
    path = tmp_path / "t.xlsx"
    path.write_bytes(content)
    report = services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert (report.rows, report.valid_rows, report.errors) == (0, [], [])


def test_upload_preview_and_import_only_valid_rows(
    admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks
):
    job = ready_job(admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.READY
    assert job.input_name == "思明区名单.xlsx"
    assert job.report["rows"] == 3
    assert job.report["valid"] == 2
    assert job.report["invalid"] == 1
    assert job.report["errors"] == [[3, "手机号", "手机号「12345」格式不正确，应为 11 位手机号"]]
    assert not Volunteer.objects.exists()
    page = admin_client.get(job.get_absolute_url()).content.decode()
    assert "第 3 行" in page
    assert "手机号「12345」格式不正确，应为 11 位手机号" in page
    assert "仅导入有效行（2）" in page
    assert "全部不导入" in page
    upload_path = Path(job.input_path)
    assert upload_path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("volunteers:import_commit", args=[job.pk]), {"only_valid": "1"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.report["created"] == 2
    assert job.report["sms_sent"] == 2
    imported = Volunteer.objects.order_by("number")
    assert [v.phone for v in imported] == [person(1)["phone"], person(3)["phone"]]
    assert {v.status for v in imported} == {VolunteerStatus.PENDING}
    assert [phone for phone, _ in MemorySmsBackend.outbox] == [person(1)["phone"], person(3)["phone"]]
    assert "「思明区巾帼服务队」为您登记了巾帼志愿者信息" in MemorySmsBackend.outbox[0][1]
    assert not upload_path.exists()  # the upload holds ID numbers: gone once imported
    assert AuditLog.objects.filter(action="volunteer.imported").count() == 1
    page = admin_client.get(job.get_absolute_url()).content.decode()
    assert "已导入 <strong>2</strong> 名志愿者" in page
    assert "已向 2 人发送确认短信" in page

    # A second click (or a replayed POST) imports nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("volunteers:import_commit", args=[job.pk]), {"only_valid": "1"}, follow=True
        )
    assert "不能再次提交" in response.content.decode()
    assert Volunteer.objects.count() == 2
    assert len(MemorySmsBackend.outbox) == 2


def test_all_good_file_offers_import_all(admin_client, world, tmp_path, django_capture_on_commit_callbacks):
    path = write_xlsx(tmp_path / "a.xlsx", [person(1), person(2)])
    job = ready_job(admin_client, world, path, django_capture_on_commit_callbacks)
    page = admin_client.get(job.get_absolute_url()).content.decode()
    assert "全部导入（2）" in page
    assert "仅导入有效行" not in page
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("volunteers:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert Volunteer.objects.count() == 2


def test_import_all_refused_when_the_file_has_bad_rows(
    admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks
):
    job = ready_job(admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks)
    response = admin_client.post(reverse("volunteers:import_commit", args=[job.pk]), follow=True)
    assert "文件中有问题行：请选择「仅导入有效行」，或修改后重新上传。" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.READY
    assert not Volunteer.objects.exists()


def test_cancel_writes_nothing_and_deletes_the_upload(
    admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks
):
    job = ready_job(admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks)
    upload_path = Path(job.input_path)
    response = admin_client.post(reverse("volunteers:import_cancel", args=[job.pk]), follow=True)
    assert "已取消本次导入，未写入任何数据" in response.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert not upload_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("volunteers:import_commit", args=[job.pk]), {"only_valid": "1"})
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert not Volunteer.objects.exists()
    assert not MemorySmsBackend.outbox


def test_commit_fails_cleanly_when_someone_registered_a_row_meanwhile(
    admin_client, world, make_volunteer, two_good_one_bad, django_capture_on_commit_callbacks
):
    job = ready_job(admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks)
    raw = person(3)
    make_volunteer(name=raw["name"], id_number=raw["id_number"], phone="13700000003")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("volunteers:import_commit", args=[job.pk]), {"only_valid": "1"})
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("自预览以来数据发生了变化")
    assert Volunteer.objects.count() == 1  # only the one registered meanwhile
    assert not MemorySmsBackend.outbox
    page = admin_client.get(job.get_absolute_url()).content.decode()
    assert "自预览以来数据发生了变化" in page


def test_problem_list_pages_and_downloads(admin_client, world, tmp_path, django_capture_on_commit_callbacks):
    rows = [person(n, phone="1") for n in range(1, 131)] + [person(200)]
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    job = ready_job(admin_client, world, path, django_capture_on_commit_callbacks)
    assert job.report["errors_total"] == 130
    assert len(job.report["errors"]) == 100
    page = admin_client.get(job.get_absolute_url()).content.decode()
    assert "下面显示前 100 处" in page
    second = admin_client.get(reverse("volunteers:import_problems", args=[job.pk]), {"page": 2}).content.decode()
    assert "第 102 行" in second
    assert "第 131 行" in second
    assert "第 101 行" not in second
    response = admin_client.get(reverse("volunteers:import_problems_xlsx", args=[job.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws.max_row == 131
    assert [c.value for c in ws[2]] == [2, "手机号", "手机号「1」格式不正确，应为 11 位手机号", "错误"]


def test_form_refuses_files_that_are_not_xlsx(admin_client, world):
    png = SimpleUploadedFile("名单.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type=XLSX)
    response = admin_client.post(reverse("volunteers:import_start"), {"team": world.team.node.pk, "file": png})
    assert response.status_code == 200
    assert "文件不是 Excel（.xlsx）格式，请使用下载的模板填写。" in response.content.decode()
    csv = SimpleUploadedFile("名单.csv", "姓名,证件号码\n".encode(), content_type="text/csv")
    response = admin_client.post(reverse("volunteers:import_start"), {"team": world.team.node.pk, "file": csv})
    assert "请上传 Excel（.xlsx）文件" in response.content.decode()
    assert not Job.objects.exists()


def test_team_choices_follow_scope(client, world):
    client.force_login(world.leader)
    page = client.get(reverse("volunteers:import_start")).content.decode()
    assert "思明区巾帼服务队" in page
    assert "湖滨小队" in page
    assert "湖里区巾帼服务队" not in page
    response = client.post(
        reverse("volunteers:import_start"),
        {"team": world.team_b.node.pk, "file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04", content_type=XLSX)},
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize("who", ["district_staff", "nobody"])
def test_read_only_staff_and_plain_users_cannot_import(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("volunteers:import_start")).status_code == 403
    assert client.get(reverse("volunteers:import_template")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("volunteers:import_start"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["outsider_admin", "leader", "city_admin"])
def test_only_the_uploader_touches_an_import_job(
    client, admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks, who
):
    job = ready_job(admin_client, world, two_good_one_bad, django_capture_on_commit_callbacks)
    client.force_login(getattr(world, who))
    for name in ("volunteers:import_commit", "volunteers:import_cancel"):
        assert client.post(reverse(name, args=[job.pk]), {"only_valid": "1"}).status_code == 404
    for name in ("volunteers:import_problems", "volunteers:import_problems_xlsx"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.get(job.get_absolute_url()).status_code == 404
    job.refresh_from_db()
    assert job.status == Job.Status.READY
    assert not Volunteer.objects.exists()
