"""Hostile and broken files get a clear Chinese error and change nothing (issue section 6)."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from jinguo.core.errors import DomainError
from jinguo.core.models import Job
from jinguo.orgs.imports import services as team_services
from jinguo.orgs.models import Team
from jinguo.volunteers.imports import services
from jinguo.volunteers.imports.columns import SHEET_TITLE
from jinguo.volunteers.models import Volunteer

from .test_import_volunteers import HEADERS, person, write_xlsx

NOT_XLSX = "文件不是 Excel（.xlsx）格式，请使用下载的模板填写。"
CORRUPT = "文件已损坏，无法打开。请重新保存后再上传。"
ENCRYPTED = "文件已加密，或是旧版 .xls 格式。请去掉密码并另存为 .xlsx 后再上传。"


def refused(world, path: Path) -> str:
    """Both importers refuse the file with the same message, and nothing is written."""
    with pytest.raises(DomainError) as excinfo:
        services.validate_file(path, actor=world.district_admin, team=world.team.node)
    with pytest.raises(DomainError) as team_excinfo:
        team_services.validate_file(path, actor=world.district_admin, parent=world.district)
    with pytest.raises(DomainError):
        services.commit_file(path, actor=world.district_admin, team=world.team.node, only_valid=True)
    assert team_excinfo.value.message == excinfo.value.message
    assert excinfo.value.code == "bad_file"
    assert not Volunteer.objects.exists()
    assert Team.objects.count() == 3  # the world's own teams
    return excinfo.value.message


def good_xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.title = SHEET_TITLE
    wb.active.append(HEADERS)
    wb.save(buffer)
    return buffer.getvalue()


def test_a_picture_renamed_xlsx(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200)
    assert refused(world, path) == NOT_XLSX


def test_a_csv_renamed_xlsx(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_text("姓名,证件号码,手机号\n张晓丽,350203199001010021,13800000000\n", encoding="utf-8")
    assert refused(world, path) == NOT_XLSX


def test_an_empty_file(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"")
    assert refused(world, path) == "文件是空的。"


def test_a_corrupt_zip(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x14\x00garbage" * 50)
    assert refused(world, path) == CORRUPT


def test_a_truncated_workbook(world, tmp_path):
    data = good_xlsx_bytes()
    path = tmp_path / "名单.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert refused(world, path) == CORRUPT


def test_a_zip_that_is_not_a_workbook(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert refused(world, path) == NOT_XLSX


def test_an_encrypted_workbook(world, tmp_path):
    # Excel saves a password-protected workbook as an OLE compound file (the same container as an old .xls).
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    assert refused(world, path) == ENCRYPTED


def test_a_zip_bomb(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    with (
        zipfile.ZipFile(io.BytesIO(good_xlsx_bytes())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("xl/media/padding.xml", b"0" * 12_000_000)  # 12 MB that deflate to ~12 KB
    assert path.stat().st_size < 200_000
    assert refused(world, path) == "文件内容异常（压缩比过高），已拒绝处理。"


def test_too_much_uncompressed_data(world, tmp_path, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1000
    path = write_xlsx(tmp_path / "名单.xlsx", [person(1)])
    assert refused(world, path) == "文件内容过大，已拒绝处理。请拆分成多个文件。"


def test_too_many_rows(world, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    path = write_xlsx(tmp_path / "名单.xlsx", [person(n) for n in range(1, 6)])
    assert refused(world, path) == "行数过多（5 行），单个文件最多 3 行，请拆分后上传。"


def test_formulas(world, tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", [person(1), person(2, work_unit='=HYPERLINK("http://x.invalid","点我")')])
    assert refused(world, path) == "表格中含有公式。请将公式单元格“复制 → 选择性粘贴 → 数值”后再上传。"


def test_a_file_without_headers(world, tmp_path):
    path = tmp_path / "名单.xlsx"
    wb = Workbook()
    wb.active.title = SHEET_TITLE
    wb.active.append([None, None])
    wb.active.append(["张晓丽", "350203199001010021"])
    wb.save(path)
    assert refused(world, path) == "第一行应为表头，但没有找到表头。请使用下载的模板填写。"


def test_wrong_headers_name_the_missing_columns(world, tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", [person(1)], headers=["姓名", "身份证", "电话号码"])
    with pytest.raises(DomainError) as excinfo:
        services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert excinfo.value.message == (
        "表头缺少必填列：证件号码、手机号。请使用下载的模板填写（第一行为表头，不要修改列名）。"
    )
    path = write_xlsx(tmp_path / "队伍.xlsx", [], headers=["名称", "负责人"])
    with pytest.raises(DomainError) as excinfo:
        team_services.validate_file(path, actor=world.district_admin, parent=world.district)
    assert excinfo.value.message == "表头缺少必填列：队伍名称。请使用下载的模板填写（第一行为表头，不要修改列名）。"
    assert not Volunteer.objects.exists()


def test_a_column_given_twice(world, tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", [], headers=[*HEADERS[:4], "身份证号码"])
    with pytest.raises(DomainError) as excinfo:
        services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert excinfo.value.message == "表头中「证件号码」出现了两次，请删除多余的一列后再上传。"


def test_huge_cells_are_row_errors_not_file_errors(world, tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", [person(1, work_unit="单" * 2001), person(2)])
    report = services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert report.errors == [(2, "工作单位", "内容过长（2001 字），单元格最多 2000 字")]
    assert report.valid_rows == [3]


def test_numbers_stored_as_numbers_are_caught(world, tmp_path):
    # Excel turns an 18-digit number typed into a General cell into 3.50203E+17: the last digits are lost.
    path = write_xlsx(tmp_path / "名单.xlsx", [person(1, id_number=350203199001010021, phone=13905920001)])
    report = services.validate_file(path, actor=world.district_admin, team=world.team.node)
    assert report.errors == [
        (2, "证件号码", "证件号码被 Excel 存成了数字，末几位已丢失。请将该列设为“文本”格式后重新填写")
    ]


def test_a_hostile_upload_fails_its_job_and_leaves_nothing(client, world, settings, django_capture_on_commit_callbacks):
    client.force_login(world.district_admin)
    uploads = settings.PRIVATE_FILES_ROOT / "jobs"
    before = set(uploads.glob("*/input-*"))
    broken = b"PK\x03\x04" + b"\x00" * 300
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("volunteers:import_start"),
            {"team": world.team.node.pk, "file": SimpleUploadedFile("名单.xlsx", broken)},
        )
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.status == Job.Status.FAILED
    assert job.error == CORRUPT
    assert job.input_path == ""
    assert set(uploads.glob("*/input-*")) <= before  # the upload was deleted
    page = client.get(job.get_absolute_url()).content.decode()
    assert CORRUPT in page
    assert "仅导入有效行" not in page
    assert not Volunteer.objects.exists()


def test_a_read_error_half_way_is_a_clear_error():
    from jinguo.core.spreadsheets import SpreadsheetError
    from jinguo.orgs.imports.base import readable

    def rows():
        yield (2, ["张晓丽"])
        raise SpreadsheetError("第 3 行附近的内容无法读取，文件可能已损坏。")

    seen = []
    with pytest.raises(DomainError) as excinfo:
        seen.extend(readable(rows()))
    assert seen == [(2, ["张晓丽"])]
    assert excinfo.value.code == "bad_file"
    assert excinfo.value.message == "第 3 行附近的内容无法读取，文件可能已损坏。"
