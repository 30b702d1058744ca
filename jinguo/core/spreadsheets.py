"""Reading untrusted xlsx files safely and writing xlsx files that cannot attack whoever opens them.

Reading refuses, before parsing anything: files that are not xlsx (an old .xls, a renamed picture), encrypted
workbooks (an OLE container), corrupt zips, zip bombs (too much uncompressed data, or a suspicious ratio), and
formulas (a value computed by Excel is not what the person typed, and a formula is a common payload). Cells are
then read with calamine, which neither evaluates nor fetches anything.
"""

import datetime
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_RATIO = 200  # uncompressed / compressed for one part; spreadsheets compress 5-20x, bombs 1000x+
MAX_CELL_CHARS = 2000
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read; the message says why, in Chinese."""


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, list]]  # (1-based Excel row number, cells)
    row_count: int


def _check_container(path: Path) -> zipfile.ZipFile:
    size = path.stat().st_size
    if size == 0:
        raise SpreadsheetError("文件是空的。")
    if size > settings.IMPORT_MAX_BYTES:
        raise SpreadsheetError(
            f"文件过大（{size // 1024 // 1024} MB），上限为 {settings.IMPORT_MAX_BYTES // 1024 // 1024} MB。"
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        raise SpreadsheetError("文件已加密，或是旧版 .xls 格式。请去掉密码并另存为 .xlsx 后再上传。")
    if not head.startswith(ZIP_MAGIC):
        raise SpreadsheetError("文件不是 Excel（.xlsx）格式，请使用下载的模板填写。")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise SpreadsheetError("文件已损坏，无法打开。请重新保存后再上传。") from None
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        archive.close()
        raise SpreadsheetError("文件不是 Excel（.xlsx）格式，请使用下载的模板填写。")
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 10_000_000:
            archive.close()
            raise SpreadsheetError("文件内容异常（压缩比过高），已拒绝处理。")
        if info.flag_bits & 0x1:
            archive.close()
            raise SpreadsheetError("文件已加密，请去掉密码后再上传。")
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        archive.close()
        raise SpreadsheetError("文件内容过大，已拒绝处理。请拆分成多个文件。")
    return archive


def _check_no_formulas(archive: zipfile.ZipFile) -> None:
    """Stream each worksheet's XML (never more than its declared size) looking for a formula element."""
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        read = 0
        tail = b""
        try:
            with archive.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    read += len(chunk)
                    if read > info.file_size + 1024:
                        raise SpreadsheetError("文件内容异常，已拒绝处理。")
                    if _FORMULA_RE.search(tail + chunk):
                        raise SpreadsheetError("表格中含有公式。请将公式单元格“复制 → 选择性粘贴 → 数值”后再上传。")
                    tail = chunk[-16:]
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError):
            raise SpreadsheetError("文件已损坏，无法打开。请重新保存后再上传。") from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def open_sheet(path: Path, *, sheet_name: str | None = None, header_row: int = 1) -> Sheet:
    """Check the file, then return the headers and an iterator over the data rows (blank rows skipped)."""
    path = Path(path)
    archive = _check_container(path)
    try:
        _check_no_formulas(archive)
    finally:
        archive.close()
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        if sheet_name and sheet_name in names:
            sheet = workbook.get_sheet_by_name(sheet_name)
        else:
            sheet = workbook.get_sheet_by_index(0)
        height = sheet.height
    except SpreadsheetError:
        raise
    except Exception:  # calamine raises its own types for broken XML; all mean the same to the user
        raise SpreadsheetError("文件已损坏，无法读取表格内容。请重新保存后再上传。") from None
    if height - header_row > settings.IMPORT_MAX_ROWS:
        raise SpreadsheetError(
            f"行数过多（{height - header_row} 行），单个文件最多 {settings.IMPORT_MAX_ROWS} 行，请拆分后上传。"
        )
    try:
        iterator = sheet.iter_rows()
        header_cells = []
        for _ in range(header_row):
            header_cells = next(iterator, [])
    except Exception:
        raise SpreadsheetError("文件已损坏，无法读取表格内容。") from None
    headers = [_cell_text(c).replace("*", "").replace("＊", "").strip() for c in header_cells]
    if not any(headers):
        raise SpreadsheetError("第一行应为表头，但没有找到表头。请使用下载的模板填写。")

    def rows() -> Iterator[tuple[int, list]]:
        number = header_row
        try:
            for cells in iterator:
                number += 1
                if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                    continue
                yield number, list(cells)
        except Exception:
            raise SpreadsheetError(f"第 {number + 1} 行附近的内容无法读取，文件可能已损坏。") from None

    return Sheet(headers=headers, rows=rows(), row_count=max(0, height - header_row))


# ---- writing -------------------------------------------------------------------------------------------------

_INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_value(value):
    """A value as it may go into a cell: text that Excel would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | datetime.date | datetime.datetime):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    text = str(value)
    if text.startswith(_INJECTION_PREFIXES):
        return "'" + text
    return text


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B0245A")
REQUIRED_FILL = PatternFill("solid", fgColor="7A1340")


@dataclass
class Column:
    header: str
    required: bool = False
    choices: list[str] | None = None
    width: int = 14
    text: bool = False  # keep as text (ID numbers, phones): Excel would otherwise round them
    note: str = ""


def write_template(
    path: Path,
    *,
    sheet_title: str,
    columns: list[Column],
    instructions: list[str],
    examples: list[list] | None = None,
    max_rows: int = 5000,
) -> None:
    """An import template: Chinese headers (required ones marked *), drop-downs, text columns, instructions."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    lists = wb.create_sheet("选项")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=("*" if column.required else "") + column.header)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[letter].width = column.width
        if column.text:
            for row in range(2, max_rows + 2):
                ws.cell(row=row, column=index).number_format = "@"
        if column.choices:
            lists.cell(row=1, column=index, value=column.header)
            for offset, choice in enumerate(column.choices, start=2):
                lists.cell(row=offset, column=index, value=choice)
            ref = f"'选项'!${letter}$2:${letter}${len(column.choices) + 1}"
            validation = DataValidation(type="list", formula1=ref, allow_blank=not column.required)
            validation.error = f"请从下拉列表中选择{column.header}"
            validation.errorTitle = "输入无效"
            validation.showErrorMessage = True
            ws.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{max_rows + 1}")
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 28
    for row_index, example in enumerate(examples or [], start=2):
        for col_index, value in enumerate(example, start=1):
            ws.cell(row=row_index, column=col_index, value=safe_value(value))
    lists.sheet_state = "hidden"
    guide = wb.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 100
    for row_index, line in enumerate(instructions, start=1):
        guide.cell(row=row_index, column=1, value=line).alignment = Alignment(wrap_text=True)
    guide.cell(row=1, column=1).font = Font(bold=True, size=14)
    start = len(instructions) + 2
    guide.cell(row=start, column=1, value="各列说明").font = Font(bold=True)
    for offset, column in enumerate(columns, start=1):
        text = f"{column.header}{'（必填）' if column.required else ''}"
        if column.note:
            text += f"：{column.note}"
        if column.choices:
            text += f"；可选：{'、'.join(column.choices)}"
        guide.cell(row=start + offset, column=1, value=text).alignment = Alignment(wrap_text=True)
    wb.save(path)


class XlsxWriter:
    """Streaming xlsx export (write-only mode: constant memory however many rows)."""

    def __init__(self, path: Path, *, sheet_title: str, headers: list[str], widths: list[int] | None = None):
        self.path = path
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(sheet_title)
        for index, width in enumerate(widths or [], start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(self.ws, value=header)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            header_cells.append(cell)
        self.ws.append(header_cells)

    def add_sheet_rows(self, title: str, rows: list[list]) -> None:
        ws = self.wb.create_sheet(title)
        for row in rows:
            ws.append([safe_value(v) for v in row])

    def append(self, row: list) -> None:
        self.ws.append([safe_value(v) for v in row])

    def close(self) -> None:
        self.wb.save(self.path)
