"""What the volunteer and team importers share: the column specs, header matching, the report, and the job flow.

An import is a Job in two phases run by the task worker: "validate" (read the file, report every bad row, write
nothing) and, once the user has chosen in the preview, "commit" (one transaction that re-validates, refuses when
the set of valid rows changed since the preview, and writes everything or nothing). The uploaded file holds
personal data in clear text, so it is deleted as soon as the import is committed, cancelled or has failed.
"""

import datetime
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jinguo.core import audit, jobs
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import Job
from jinguo.core.spreadsheets import (
    MAX_CELL_CHARS,
    OLE_MAGIC,
    ZIP_MAGIC,
    Column,
    SpreadsheetError,
    open_sheet,
    write_template,
)
from jinguo.core.text import clean_compact

Progress = Callable[..., None] | None
PREVIEW_LIMIT = 100  # rows of errors and warnings kept in Job.report for the page; the full lists are in a file
REPORT_FILE = "report.json"


@dataclass(frozen=True)
class ImportColumn:
    """One column of an import template and how the importer recognises it."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: list[str] | None = None
    text: bool = False
    width: int = 14
    note: str = ""

    def as_template_column(self) -> Column:
        return Column(
            header=self.header,
            required=self.required,
            choices=self.choices,
            width=self.width,
            text=self.text,
            note=self.note,
        )


@dataclass
class ImportReport:
    """What an import found or did.

    rows        data rows read (blank rows are skipped and not counted)
    valid_rows  Excel row numbers (1-based, header is row 1) that can be imported, or were imported
    errors      (row, column header, reason) for every problem; a row with any error is not imported
    warnings    (row, column header, remark) that do not stop a row (e.g. an unknown region code, R2)
    notices     remarks about the file as a whole (e.g. columns that were ignored)
    created     records written by a commit (0 for a validation)
    created_ids primary keys of what was written (volunteers or team nodes), for follow-up work such as SMS
    """

    rows: int = 0
    valid_rows: list[int] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    created: int = 0
    created_ids: list[int] = field(default_factory=list)
    file_name: str = ""
    prepared_digest: str = ""  # set when a preview saved its checked rows for the commit (volunteer import)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({row for row, _column, _message in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict:
        """The part kept in Job.report: counts and the first rows of each list (the page pages the rest)."""
        return {
            "rows": self.rows,
            "valid": len(self.valid_rows),
            "invalid": len(self.bad_rows),
            "errors_total": len(self.errors),
            "warnings_total": len(self.warnings),
            "errors": [list(e) for e in self.errors[:PREVIEW_LIMIT]],
            "warnings": [list(w) for w in self.warnings[:PREVIEW_LIMIT]],
            "notices": self.notices,
            "created": self.created,
            "file_name": self.file_name,
        }

    def save(self, path: Path) -> None:
        data = {
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "errors": self.errors,
            "warnings": self.warnings,
            "notices": self.notices,
            "created": self.created,
            "file_name": self.file_name,
        }
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "ImportReport":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            rows=data["rows"],
            valid_rows=data["valid_rows"],
            errors=[tuple(e) for e in data["errors"]],
            warnings=[tuple(w) for w in data["warnings"]],
            notices=data.get("notices", []),
            created=data.get("created", 0),
            file_name=data.get("file_name", ""),
        )

    def text_lines(self) -> list[str]:
        """The report as the command line prints it."""
        lines = [f"第 {row} 行\t{column}\t{message}" for row, column, message in self.errors]
        lines += [f"第 {row} 行\t{column}\t提示：{message}" for row, column, message in self.warnings]
        lines += [f"提示：{notice}" for notice in self.notices]
        lines.append(
            f"共 {self.rows} 行：有效 {len(self.valid_rows)} 行，有问题 {len(self.bad_rows)} 行"
            f"（{len(self.errors)} 处问题），提示 {len(self.warnings)} 处。"
        )
        return lines


# ---- reading -------------------------------------------------------------------------------------------------

_HEADER_NOISE = re.compile(r"[（(]必填[)）]|[*＊]")


def header_key(text: str) -> str:
    """Headers compared loosely: full-width and half-width alike, no spaces, no required marks."""
    return clean_compact(_HEADER_NOISE.sub("", str(text or "")))


def match_headers(headers: list[str], columns: list[ImportColumn]) -> tuple[dict[str, int], list[str]]:
    """Map each known column to its index in the file. Refuses a file without the required columns."""
    lookup: dict[str, ImportColumn] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            lookup[header_key(name)] = column
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        column = lookup.get(key)
        if column is None:
            ignored.append(str(header).strip())
            continue
        if column.key in found:
            raise DomainError("bad_headers", f"表头中「{column.header}」出现了两次，请删除多余的一列后再上传。")
        found[column.key] = index
    missing = [c.header for c in columns if c.required and c.key not in found]
    if missing:
        raise DomainError(
            "bad_headers",
            f"表头缺少必填列：{'、'.join(missing)}。请使用下载的模板填写（第一行为表头，不要修改列名）。",
        )
    return found, ignored


def open_import_sheet(path: Path, *, sheet_name: str):
    """open_sheet with its refusals turned into the DomainError every caller shows."""
    try:
        return open_sheet(Path(path), sheet_name=sheet_name)
    except SpreadsheetError as exc:
        raise DomainError("bad_file", str(exc)) from None
    except FileNotFoundError:
        raise DomainError("bad_file", "找不到该文件（可能已被删除），请重新上传。") from None


def readable(rows: Iterable) -> Iterable:
    """Rows of a sheet whose reading may still fail half-way (a damaged part of the file): the same DomainError."""
    try:
        yield from rows
    except SpreadsheetError as exc:
        raise DomainError("bad_file", str(exc)) from None


def oversized_cells(
    cells: list, mapping: dict[str, int], headers: dict[str, str]
) -> tuple[set[str], list[tuple[str, str]]]:
    """Cells longer than the template allows: reported as a row error, never truncated silently."""
    keys: set[str] = set()
    errors: list[tuple[str, str]] = []
    for key, index in mapping.items():
        if index < len(cells):
            value = cells[index]
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                keys.add(key)
                errors.append((headers[key], f"内容过长（{len(value)} 字），单元格最多 {MAX_CELL_CHARS} 字"))
    return keys, errors


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value) -> datetime.date | None:
    """A date as people enter it: a date cell, 2016-11-25, 2016/11/25, 2016年11月25日, 2016.11 (the 1st)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 2958466:
        return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
    text = clean_compact(value)
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError("日期格式不正确，应如 2016-11-25")
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError("日期不存在，请核对") from None


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_import_template(
    path: Path,
    *,
    sheet_title: str,
    columns: list[ImportColumn],
    instructions: list[str],
    example: list | None = None,
    lenient: tuple[str, ...] = (),
) -> None:
    """The import template. The example row goes on the instruction sheet, never where it could be imported;
    drop-downs of `lenient` columns only warn, because several values may be typed there (多选)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    write_template(
        path, sheet_title=sheet_title, columns=[c.as_template_column() for c in columns], instructions=instructions
    )
    wb = load_workbook(path)
    ws = wb[sheet_title]
    letters = {get_column_letter(i): c for i, c in enumerate(columns, start=1)}
    for validation in ws.data_validations.dataValidation:
        first = str(validation.sqref).split(":")[0].rstrip("0123456789")
        column = letters.get(first)
        if column is not None and column.key in lenient:
            validation.errorStyle = "warning"
            validation.error = f"可从下拉列表选择；有多项时请用“、”分隔，如：{'、'.join((column.choices or [])[:2])}"
    if example:
        guide = wb["填写说明"]
        start = guide.max_row + 2
        guide.cell(
            row=start, column=1, value="填写示例（仅供参考，本页内容不会被导入；请在第一个工作表中填写）"
        ).font = Font(bold=True)
        for offset, (column, value) in enumerate(zip(columns, example, strict=True), start=1):
            if value not in (None, ""):
                guide.cell(row=start + offset, column=1, value=f"{column.header}：{value}")
    wb.active = 0
    wb.save(path)


# ---- the job flow --------------------------------------------------------------------------------------------


def report_path(job: Job) -> Path:
    return jobs.job_dir(job) / REPORT_FILE


def load_full_report(job: Job) -> ImportReport | None:
    path = report_path(job)
    if not path.exists():
        return None
    return ImportReport.load(path)


def remove_input(job: Job) -> None:
    """The upload holds ID numbers in clear text: it goes as soon as it is no longer needed (and with it the rows
    a preview prepared from it)."""
    if job.input_path:
        for prepared in Path(job.input_path).parent.glob("prepared-*.pickle"):
            prepared.unlink(missing_ok=True)
        Path(job.input_path).unlink(missing_ok=True)
        job.input_path = ""
        Job.objects.filter(pk=job.pk).update(input_path="")


def store_result(job: Job, result: ImportReport, *, status: str | None = None) -> None:
    result.save(report_path(job))
    job.report = result.summary()
    if status is not None:
        job.status = status


def import_start(*, actor, kind: str, title: str, uploaded, params: dict, node_path: str) -> Job:
    """Keep the upload under a private name and queue its validation."""
    name = Path(uploaded.name or "").name
    if not name.lower().endswith(".xlsx"):
        raise DomainError(
            "bad_file", "请上传 Excel（.xlsx）文件。旧版 .xls 或 .csv 请先在 Excel 中另存为 .xlsx。", field="file"
        )
    if uploaded.size > settings.IMPORT_MAX_BYTES:
        raise DomainError(
            "bad_file", f"文件过大，上限为 {settings.IMPORT_MAX_BYTES // 1024 // 1024} MB，请拆分后上传。", field="file"
        )
    # The worker checks the whole file; the first bytes already tell the commonest mistakes, on the form.
    head = next(uploaded.chunks(8), b"")[:8]
    uploaded.seek(0)
    if head == OLE_MAGIC:
        raise DomainError(
            "bad_file", "文件已加密，或是旧版 .xls 格式。请去掉密码并另存为 .xlsx 后再上传。", field="file"
        )
    if not head.startswith(ZIP_MAGIC):
        raise DomainError("bad_file", "文件不是 Excel（.xlsx）格式，请使用下载的模板填写。", field="file")
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, user=actor, title=title, params={**params, "node_path": node_path}, status=Job.Status.QUEUED
        )
        jobs.store_upload(job, uploaded)
        jobs.start(job, "validate")
    return job


def _locked_job(actor, job: Job, kind: str) -> Job:
    job = Job.objects.select_for_update().filter(pk=job.pk, kind=kind).first()
    if job is None or job.user_id != getattr(actor, "pk", None):
        raise PermissionDeniedError("只能由上传文件的本人处理这次导入。")
    return job


@transaction.atomic
def import_commit(*, actor, job: Job, kind: str, only_valid: bool) -> Job:
    """The user's choice after the preview. Only a READY job can be committed: a second click finds it queued."""
    job = _locked_job(actor, job, kind)
    if job.status != Job.Status.READY:
        raise DomainError("bad_state", f"这次导入当前为「{job.get_status_display()}」，不能再次提交。请勿重复点击。")
    summary = job.report or {}
    if not summary.get("valid"):
        raise DomainError("nothing_valid", "文件中没有可导入的有效行。")
    if summary.get("invalid") and not only_valid:
        raise DomainError("has_errors", "文件中有问题行：请选择「仅导入有效行」，或修改后重新上传。")
    job.params = {**job.params, "only_valid": bool(only_valid), "confirmed_at": timezone.now().isoformat()}
    job.save(update_fields=["params"])
    jobs.start(job, "commit")
    return job


@transaction.atomic
def import_cancel(*, actor, job: Job, kind: str) -> Job:
    """全部不导入: nothing is written, the upload is deleted."""
    job = _locked_job(actor, job, kind)
    if job.status != Job.Status.READY:
        raise DomainError("bad_state", f"这次导入当前为「{job.get_status_display()}」，不能取消。")
    job.status = Job.Status.CANCELLED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    remove_input(job)
    audit.record(
        actor,
        f"{kind}.cancelled",
        target=job,
        node_path=job.params.get("node_path", ""),
        summary=f"取消导入（未写入任何数据）：{job.input_name}",
    )
    return job
