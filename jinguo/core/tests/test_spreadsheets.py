"""Hostile spreadsheets get a clear Chinese error before anything is parsed; exports cannot attack their reader."""

import datetime
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from openpyxl import Workbook, load_workbook

from jinguo.core.spreadsheets import (
    Column,
    SpreadsheetError,
    XlsxWriter,
    open_sheet,
    safe_value,
    write_template,
)


def xlsx(path, rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def refused(path) -> str:
    with pytest.raises(SpreadsheetError) as excinfo:
        open_sheet(path)
    return str(excinfo.value)


def minimal_zip(path, sheet_xml: bytes):
    """The parts of an xlsx that the container check looks for, with the given worksheet XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


def set_encrypted_flag(path):
    """Mark every entry as encrypted (bit 0 of the general purpose flags), as a password-protected zip has it."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset] |= 0x01
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path


# ---- reading: what is refused ---------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert refused(path) == "文件是空的。"


@override_settings(IMPORT_MAX_BYTES=1024 * 1024)
def test_too_large_file(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024))
    assert refused(path) == "文件过大（3 MB），上限为 1 MB。"


def test_old_xls_or_encrypted_workbook(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert refused(path) == "文件已加密，或是旧版 .xls 格式。请去掉密码并另存为 .xlsx 后再上传。"


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "姓名,身份证号码\n张三,1\n".encode(), b"<html></html>"],
)
def test_not_an_xlsx(tmp_path, content):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(content)
    assert refused(path) == "文件不是 Excel（.xlsx）格式，请使用下载的模板填写。"


def test_corrupt_zip(tmp_path):
    good = xlsx(tmp_path / "good.xlsx", [["姓名"], ["张三"]])
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(good.read_bytes()[:300])
    assert refused(path) == "文件已损坏，无法打开。请重新保存后再上传。"


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert refused(path) == "文件不是 Excel（.xlsx）格式，请使用下载的模板填写。"


def test_zip_bomb_by_ratio(tmp_path):
    path = minimal_zip(tmp_path / "bomb.xlsx", b"<worksheet>" + b" " * (12 * 1024 * 1024) + b"</worksheet>")
    assert path.stat().st_size < 100_000
    assert refused(path) == "文件内容异常（压缩比过高），已拒绝处理。"


@override_settings(IMPORT_MAX_UNCOMPRESSED_BYTES=1000)
def test_too_much_uncompressed_content(tmp_path):
    path = xlsx(tmp_path / "wide.xlsx", [["姓名"], *[[f"志愿者{i}"] for i in range(200)]])
    assert refused(path) == "文件内容过大，已拒绝处理。请拆分成多个文件。"


def test_encrypted_zip_entry(tmp_path):
    path = set_encrypted_flag(minimal_zip(tmp_path / "locked.xlsx", b"<worksheet/>"))
    assert refused(path) == "文件已加密，请去掉密码后再上传。"


def test_formulas_are_refused(tmp_path):
    path = xlsx(tmp_path / "formula.xlsx", [["姓名", "年龄"], ["张三", "=1+1"]])
    assert refused(path) == "表格中含有公式。请将公式单元格“复制 → 选择性粘贴 → 数值”后再上传。"


def test_a_formula_hidden_in_a_later_chunk_is_found(tmp_path):
    rows = [["备注"], *[["说明" * 200] for _ in range(800)], ['=HYPERLINK("http://evil.invalid","点我")']]
    path = xlsx(tmp_path / "late.xlsx", rows)
    assert refused(path).startswith("表格中含有公式")


@override_settings(IMPORT_MAX_ROWS=5)
def test_too_many_rows(tmp_path):
    path = xlsx(tmp_path / "rows.xlsx", [["姓名"], *[[f"志愿者{i}"] for i in range(9)]])
    assert refused(path) == "行数过多（9 行），单个文件最多 5 行，请拆分后上传。"


def test_missing_header(tmp_path):
    path = xlsx(tmp_path / "noheader.xlsx", [[None, None], ["张三", "13800138000"]])
    assert refused(path) == "第一行应为表头，但没有找到表头。请使用下载的模板填写。"


def test_broken_worksheet_xml(tmp_path):
    path = minimal_zip(tmp_path / "broken.xlsx", b"<worksheet><sheetData><row><c")
    assert refused(path).startswith("文件已损坏")


# ---- reading: what is accepted --------------------------------------------------------------------------------


def test_rows_with_excel_row_numbers_blank_rows_skipped_headers_cleaned(tmp_path):
    path = xlsx(
        tmp_path / "ok.xlsx",
        [
            ["*姓名", "＊证件号码", " 手机号 "],
            ["张三", "350203199001010026", 13800138000],
            [None, None, None],
            ["李四", "", ""],
        ],
    )
    sheet = open_sheet(path)
    assert sheet.headers == ["姓名", "证件号码", "手机号"]
    assert sheet.row_count == 3
    rows = list(sheet.rows)
    assert [number for number, _cells in rows] == [2, 4]
    assert rows[0][1][:2] == ["张三", "350203199001010026"]
    assert rows[0][1][2] == 13800138000  # a number stays a number; the importer normalises it
    assert rows[1][1][0] == "李四"


def test_a_huge_cell_is_read_whole_so_the_importer_can_refuse_it(tmp_path):
    path = xlsx(tmp_path / "huge.xlsx", [["备注"], ["长" * 32_000]])
    rows = list(open_sheet(path).rows)
    assert len(rows[0][1][0]) == 32_000


# ---- writing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+8613800138000", "'+8613800138000"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("张三", "张三"),
        (None, ""),
        (True, "是"),
        (False, "否"),
        (12, 12),
        (1.5, 1.5),
    ],
)
def test_safe_value(value, written):
    assert safe_value(value) == written


def test_aware_datetimes_are_written_in_local_time():
    moment = datetime.datetime(2026, 3, 5, 1, 30, tzinfo=datetime.UTC)
    assert safe_value(moment) == datetime.datetime(2026, 3, 5, 9, 30)
    assert safe_value(moment.astimezone(ZoneInfo("Asia/Shanghai"))).tzinfo is None


def test_export_cannot_carry_a_formula(tmp_path):
    path = tmp_path / "export.xlsx"
    writer = XlsxWriter(path, sheet_title="名册", headers=["姓名", "备注"], widths=[10, 30])
    writer.append(["张三", '=HYPERLINK("http://evil.invalid","点我")'])
    writer.add_sheet_rows("说明", [["=1+1"]])
    writer.close()
    workbook = load_workbook(path)
    cell = workbook["名册"]["B2"]
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://evil.invalid","点我")'
    assert workbook["说明"]["A1"].data_type == "s"
    assert workbook["名册"]["A1"].value == "姓名"
    # Our own reader accepts our own export.
    assert open_sheet(path).headers == ["姓名", "备注"]


def test_template_has_required_marks_drop_downs_and_instructions(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(
        path,
        sheet_title="志愿者",
        columns=[
            Column("姓名", required=True),
            Column("证件号码", required=True, text=True),
            Column("力量类型", choices=["主体力量", "骨干力量"]),
        ],
        instructions=["填写说明", "带 * 的列必须填写。"],
        examples=[["张三", "350203199001010026", "主体力量"]],
        max_rows=50,
    )
    workbook = load_workbook(path)
    sheet = workbook["志愿者"]
    assert [c.value for c in sheet[1]] == ["*姓名", "*证件号码", "力量类型"]
    assert sheet["B3"].number_format == "@"
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].formula1 == "'选项'!$C$2:$C$3"
    assert str(validations[0].sqref) == "C2:C51"
    assert workbook["选项"].sheet_state == "hidden"
    assert [workbook["选项"].cell(row=r, column=3).value for r in (2, 3)] == ["主体力量", "骨干力量"]
    guide = [row[0] for row in workbook["填写说明"].iter_rows(values_only=True) if row[0]]
    assert guide[:2] == ["填写说明", "带 * 的列必须填写。"]
    assert "力量类型；可选：主体力量、骨干力量" in guide
    # A template is itself a file our reader accepts (the drop-down lists are not formulas in cells).
    sheet = open_sheet(path)
    assert sheet.headers == ["姓名", "证件号码", "力量类型"]
    assert [cells for _n, cells in sheet.rows] == [["张三", "350203199001010026", "主体力量"]]
