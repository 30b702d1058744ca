"""Team import: teams under a parent node, created with `team_create` row by row inside ONE transaction.

Teams are few, so each row goes through the same service as the registration form (numbers, tiers, counters and
audit entries come out exactly alike). The preview runs the very same code and then rolls everything back, so
it finds exactly what the commit would find: a duplicate name, an unknown parent team, a bad credit code.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from jinguo.core import audit
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.ids import IdNumberError, validate_credit_code
from jinguo.core.text import clean_compact, clean_text, is_contact_phone, normalise_contact_phone

from ..choices import SERVICE_CATEGORIES, SERVICE_TIMES, NodeKind, NodeStatus, TeamLevel
from ..models import Node, Team
from ..selectors import tier_names_for
from ..services import require_scope, team_create
from .base import ImportReport, Progress, match_headers, open_import_sheet, oversized_cells, parse_date, readable
from .columns import COLUMNS, HEADERS, SHEET_TITLE

MAX_TEAM_ROWS = 5000
_TEXT_FIELDS = [
    "unit_name",
    "leader_name",
    "leader_position",
    "leader_wechat",
    "address",
    "other_category",
    "service_features",
    "awards",
]
_YES = {"是", "已登记", "y", "yes", "true", "1", "√"}
_NO = {"否", "未登记", "n", "no", "false", "0", ""}


class _Rollback(Exception):  # control flow: undo the dry run
    pass


def _match(values: str, table, *, prefix: str = "") -> tuple[list[str], list[str]]:
    lookup = {}
    for code, label in table:
        lookup[code] = code
        lookup[label] = code
        if prefix and label.startswith(prefix):
            lookup[label[len(prefix) :]] = code
    found, unknown = [], []
    for part in [
        p for p in clean_text(values).replace("，", "、").replace(",", "、").replace(" ", "、").split("、") if p
    ]:
        key = part.removesuffix("志愿者").removesuffix("志愿服务")
        code = lookup.get(key) or lookup.get(prefix + key)
        if code is None:
            unknown.append(part)
        elif code not in found:
            found.append(code)
    return found, unknown


def _max_length(key: str) -> int | None:
    return Team._meta.get_field(key).max_length


def _parse_row(raw: dict) -> tuple[str, str, dict, list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, parent reference, data for team_create, errors, warnings) of one row, checked field by field."""
    errors: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    data: dict = {}
    name = clean_text(raw.get("name"))
    if not name:
        errors.append((HEADERS["name"], "队伍名称不能为空"))
    elif len(name) > Node._meta.get_field("name").max_length:
        errors.append((HEADERS["name"], "队伍名称过长（最多 120 字）"))
    for key in _TEXT_FIELDS:
        if key in raw:
            value = clean_text(raw[key]) if key not in ("service_features", "awards") else str(raw[key] or "").strip()
            limit = _max_length(key)
            if limit and len(value) > limit:
                errors.append((HEADERS[key], f"{HEADERS[key]}过长（最多 {limit} 字）"))
            data[key] = value
    if "level" in raw:
        text = clean_text(raw["level"])
        by_label = {clean_text(label): code for code, label in TeamLevel.choices}  # （县） arrives as (县)
        by_label.update({code: code for code in TeamLevel.values})
        code = by_label.get(text)
        if text and code is None:
            errors.append((HEADERS["level"], f"队伍级别「{text}」无法识别，可选：{'、'.join(TeamLevel.labels)}"))
        data["level"] = code or ""
    if "founded_on" in raw:
        try:
            founded = parse_date(raw["founded_on"])
        except ValueError as exc:
            errors.append((HEADERS["founded_on"], str(exc)))
        else:
            if founded and founded > timezone.localdate():
                errors.append((HEADERS["founded_on"], "成立时间不能晚于今天"))
            data["founded_on"] = founded
    for key in ("leader_phone", "phone"):
        if key in raw:
            value = normalise_contact_phone(raw[key])
            if value and not is_contact_phone(value):
                errors.append(
                    (HEADERS[key], f"「{clean_compact(raw[key])}」不是有效的电话号码（手机 11 位，或带区号的固定电话）")
                )
            data[key] = value
    if "email" in raw:
        email = clean_compact(raw["email"])
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append((HEADERS["email"], f"邮箱「{email}」格式不正确"))
        data["email"] = email
    if "service_categories" in raw:
        codes, unknown = _match(raw["service_categories"], SERVICE_CATEGORIES, prefix="巾帼")
        if unknown:
            errors.append(
                (
                    HEADERS["service_categories"],
                    f"服务类别「{'、'.join(unknown)}」无法识别，可选：{'、'.join(label for _c, label in SERVICE_CATEGORIES)}",
                )
            )
        data["service_categories"] = codes
        if "other" in codes and not data.get("other_category"):
            errors.append((HEADERS["other_category"], "选择“其他”服务类别时请填写具体内容"))
    if "service_times" in raw:
        codes, unknown = _match(raw["service_times"], SERVICE_TIMES)
        if unknown:
            errors.append(
                (HEADERS["service_times"], f"服务时间「{'、'.join(unknown)}」无法识别，可选：工作日、双休日、节假日")
            )
        data["service_times"] = codes
    registered_text = clean_text(raw.get("is_registered")).lower()
    if registered_text not in _YES and registered_text not in _NO:
        errors.append((HEADERS["is_registered"], f"「{registered_text}」应填写“是”或“否”"))
    registered = registered_text in _YES
    if "is_registered" in raw or "credit_code" in raw:
        data["is_registered"] = registered
    credit = clean_compact(raw.get("credit_code"))
    if registered:
        try:
            data["credit_code"] = validate_credit_code(credit)
        except IdNumberError as exc:
            errors.append(
                (HEADERS["credit_code"], str(exc) if credit else "已在民政部门登记的队伍须填写统一社会信用代码")
            )
    elif credit:
        warnings.append((HEADERS["credit_code"], "未填“已在民政部门登记：是”，统一社会信用代码不会保存"))
    return name, clean_text(raw.get("parent")), data, errors, warnings


def _column_for(exc: DomainError) -> str:
    if isinstance(exc, PermissionDeniedError) or exc.code in ("inactive_parent", "lowest_tier"):
        return HEADERS["parent"]
    return HEADERS.get(exc.field or "", HEADERS["name"])


def _validation_messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "message_dict"):
        return [(HEADERS.get(key, HEADERS["name"]), "；".join(messages)) for key, messages in exc.message_dict.items()]
    return [(HEADERS["name"], "；".join(exc.messages))]


def _check_parent(actor, parent: Node) -> Node:
    if not isinstance(parent, Node):
        raise DomainError("bad_parent", "请选择导入到哪个组织之下。", field="parent")
    parent = Node.objects.get(pk=parent.pk)  # its current state, not the caller's copy
    require_scope(actor, parent)
    if not parent.is_active:
        raise DomainError("bad_parent", f"「{parent.name}」已撤销或合并，不能再设立下级队伍。", field="parent")
    return parent


def _run(path: Path, *, actor, parent: Node, report: ImportReport, progress: Progress, stage: str) -> None:
    """Create every row's team (each in a savepoint); the caller's transaction decides what stays."""
    sheet = open_import_sheet(path, sheet_name=SHEET_TITLE)
    if sheet.row_count > MAX_TEAM_ROWS:
        raise DomainError(
            "too_many_rows", f"一次最多导入 {MAX_TEAM_ROWS} 支队伍（本文件 {sheet.row_count} 行），请拆分后上传。"
        )
    mapping, ignored = match_headers(sheet.headers, COLUMNS)
    if ignored:
        report.notices.append(f"以下列无法识别，已忽略：{'、'.join(ignored[:20])}")
    existing = {
        clean_compact(number).upper(): pk
        for pk, number in Node.objects.filter(
            path__startswith=parent.path, kind=NodeKind.TEAM, status=NodeStatus.ACTIVE
        ).values_list("pk", "team__team_number")
        if number
    }
    created_by_name: dict[str, Node] = {}
    failed_names: dict[str, int] = {}
    total = sheet.row_count
    for row, cells in readable(sheet.rows):
        report.rows += 1
        raw = {key: (cells[index] if index < len(cells) else None) for key, index in mapping.items()}
        too_long, errors = oversized_cells(cells, mapping, HEADERS)
        for key in too_long:
            raw[key] = ""
        name, parent_ref, data, row_errors, row_warnings = _parse_row(raw)
        errors.extend(row_errors)
        report.warnings.extend((row, column, message) for column, message in row_warnings)
        target = parent
        if parent_ref:
            key = clean_compact(parent_ref).upper()
            if key in existing:
                target = Node.objects.get(pk=existing[key])
            elif parent_ref in created_by_name:
                target = created_by_name[parent_ref]
            elif parent_ref in failed_names:
                errors.append(
                    (HEADERS["parent"], f"上级队伍「{parent_ref}」（第 {failed_names[parent_ref]} 行）有问题，未能导入")
                )
            else:
                errors.append(
                    (
                        HEADERS["parent"],
                        f"上级队伍「{parent_ref}」不存在：应填写「{parent.name}」之下已有队伍的编号，或本表中排在前面的队伍名称",
                    )
                )
        tier = None
        tier_text = clean_text(raw.get("tier"))
        if tier_text and not errors:
            names = tier_names_for(target)
            if tier_text in names:
                tier = names.index(tier_text) + 1
            else:
                errors.append((HEADERS["tier"], f"层级「{tier_text}」无法识别，可选：{'、'.join(names)}"))
        if not errors:
            try:
                with transaction.atomic():
                    team = team_create(
                        actor=actor, parent=target, name=name, data=data, **({"tier": tier} if tier else {})
                    )
            except DomainError as exc:
                errors.append((_column_for(exc), exc.message.rstrip("。")))
            except ValidationError as exc:
                errors.extend(_validation_messages(exc))
            else:
                created_by_name.setdefault(name, team.node)
                report.created_ids.append(team.pk)
        if errors:
            report.errors.extend((row, column, message) for column, message in errors)
            if name:
                failed_names.setdefault(name, row)
        else:
            report.valid_rows.append(row)
        if progress and report.rows % 50 == 0:
            progress(report.rows, total, stage)
    if progress:
        progress(report.rows, total or report.rows, stage)


def validate_file(path, *, actor, parent: Node, progress: Progress = None, file_name: str = "") -> ImportReport:
    """The preview: the whole import is done and rolled back, so it reports exactly what a commit would meet."""
    parent = _check_parent(actor, parent)
    report = ImportReport(file_name=file_name or Path(path).name)
    try:
        with transaction.atomic():
            _run(Path(path), actor=actor, parent=parent, report=report, progress=progress, stage="检查数据")
            raise _Rollback
    except _Rollback:
        pass
    report.created_ids = []
    return report


def commit_file(
    path,
    *,
    actor,
    parent: Node,
    only_valid: bool,
    expected_valid_rows: list[int] | None = None,
    progress: Progress = None,
    file_name: str = "",
) -> ImportReport:
    """Import in ONE transaction; refuses, writing nothing, on bad rows without `only_valid` or when the valid rows
    differ from the preview's."""
    parent = _check_parent(actor, parent)
    report = ImportReport(file_name=file_name or Path(path).name)
    with transaction.atomic():
        _run(Path(path), actor=actor, parent=parent, report=report, progress=progress, stage="导入队伍")
        if expected_valid_rows is not None and report.valid_rows != sorted(expected_valid_rows):
            raise DomainError(
                "changed",
                "自预览以来数据发生了变化（例如已有同名队伍），有效行与预览时不一致。本次未导入任何队伍，请重新上传文件核对后再导入。",
            )
        if report.errors and not only_valid:
            raise DomainError(
                "has_errors",
                f"文件中有 {len(report.bad_rows)} 行存在问题，未导入任何队伍。请修改后重新导入，或选择仅导入有效行。",
            )
        if not report.valid_rows:
            raise DomainError("nothing_valid", "文件中没有可导入的有效行，未导入任何队伍。")
        report.created = len(report.created_ids)
        audit.record(
            actor,
            "team.imported",
            target=parent,
            node_path=parent.path,
            summary=f"批量导入队伍 {report.created} 支，文件「{report.file_name}」"
            + (f"，跳过有问题的 {len(report.bad_rows)} 行" if report.errors else ""),
            detail={
                "file": report.file_name,
                "rows": report.rows,
                "created": report.created,
                "team_ids": report.created_ids,
            },
        )
    return report
