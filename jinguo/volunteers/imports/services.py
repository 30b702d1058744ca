"""Volunteer import: validate a file (the preview) and commit it (one transaction, all or nothing).

Both phases run the same checks, row by row, so that the rows the user confirmed in the preview are exactly the
rows the commit finds valid; if they differ (somebody registered one of them meanwhile) the commit refuses and
writes nothing. Built for 100,000 rows: the file is streamed by calamine, duplicates inside the file are found in
a dict of blind-index hashes, duplicates in the database in chunks of `id_number_hash__in`, and rows are inserted in batches
of BATCH_SIZE, volunteers then memberships (COPY on PostgreSQL, bulk_create elsewhere: see bulk.py), with
progress after every batch.

Entry points (also for the benchmark): `validate_file(path, actor=, team=)` and `commit_file(path, actor=, team=,
only_valid=, expected_valid_rows=)`, both returning an `ImportReport` (jinguo.orgs.imports.base).

Imported volunteers stay 待本人确认 (R25) until they confirm themselves; the caller sends the SMS invitations after
the transaction has committed (`send_invitations`).
"""

import logging
import re
from collections import Counter, defaultdict
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from jinguo.core import audit, crypto
from jinguo.core.errors import DomainError
from jinguo.core.ids import age_on
from jinguo.core.masking import mask_id_number
from jinguo.core.spreadsheets import MAX_CELL_CHARS
from jinguo.core.text import clean_compact, clean_text
from jinguo.orgs.choices import NodeKind, NodeStatus
from jinguo.orgs.imports.base import (
    ImportReport,
    Progress,
    chunks,
    match_headers,
    open_import_sheet,
    oversized_cells,
    readable,
)
from jinguo.orgs.models import Node
from jinguo.orgs.selectors import federation_ancestor
from jinguo.orgs.services import counter_add, require_scope

from .. import services as volunteer_services
from ..choices import MembershipStatus, Source, VolunteerStatus
from ..models import Membership, Volunteer
from ..validation import FIELD_LABELS, validate_volunteer
from . import bulk, prepared_rows
from .columns import COLUMNS, HEADERS, RESIDENCE_HEADER, SHEET_TITLE, TEAM_HEADER

BATCH_SIZE = 2000
GUARDIAN_AGE = volunteer_services.GUARDIAN_AGE
_PROFILE_FIELDS = volunteer_services.PROFILE_FIELDS
_PATH_SPLIT = re.compile(r"[/／·•>＞\\]+")
logger = logging.getLogger("jinguo.imports")
_RAW_KEYS = [c.key for c in COLUMNS if c.key not in ("residence", "team_number")]


def _column_of(key: str) -> str:
    """The Chinese header an error belongs to (derived fields point at the ID number they come from)."""
    if key in ("birth_date", "sex"):
        key = "id_number"
    return HEADERS.get(key) or FIELD_LABELS.get(key, key)


# ---- where each row goes: residence and team -----------------------------------------------------------------


class _Places:
    """Residence names under the team's federation, and the team's own active sub-teams by number."""

    def __init__(self, team: Node):
        self.team = team
        self.federation = federation_ancestor(team)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.id_by_path: dict[str, int] = {}
        self.name_by_path: dict[str, str] = {}
        nodes = (
            Node.objects.filter(path__startswith=self.federation.path, status=NodeStatus.ACTIVE)
            .exclude(kind=NodeKind.TEAM)
            .values_list("pk", "name", "path")
        )
        for pk, name, path in nodes:
            self.by_name[clean_compact(name)].append(path)
            self.id_by_path[path] = pk
            self.name_by_path[path] = name
        self.teams: dict[str, int] = {}
        for pk, number in Node.objects.filter(
            path__startswith=team.path, kind=NodeKind.TEAM, status=NodeStatus.ACTIVE
        ).values_list("pk", "team__team_number"):
            if number:
                self.teams[clean_compact(number).upper()] = pk
        self._homes: dict[str, tuple[int | None, str]] = {}

    def home(self, value) -> tuple[int | None, str]:
        """(node id, "") or (None, reason)."""
        text = clean_text(value)
        if not text:
            return self.federation.pk, ""
        cached = self._homes.get(text)
        if cached is None:
            cached = self._homes[text] = self._resolve_home(text)
        return cached

    def _resolve_home(self, text: str) -> tuple[int | None, str]:
        parts = [clean_compact(p) for p in _PATH_SPLIT.split(text) if clean_compact(p)]
        candidates = self.by_name.get(parts[-1], []) if parts else []
        for qualifier in parts[:-1]:
            candidates = [
                path
                for path in candidates
                if any(
                    clean_compact(self.name_by_path.get(path[:end], "")) == qualifier
                    for end in range(Node.steplen, len(path), Node.steplen)
                )
            ]
        if not candidates:
            return (
                None,
                f"「{text}」不在「{self.federation.name}」辖区内，或名称有误（应为社区（村）或街道（乡镇）的名称）",
            )
        if len(candidates) > 1:
            parents = "、".join(self.name_by_path.get(p[: -Node.steplen], "") for p in candidates[:5])
            return None, f"「{text}」有 {len(candidates)} 个同名组织（上级分别为：{parents}），请写成“街道名/社区名”"
        return self.id_by_path[candidates[0]], ""

    def team_for(self, value) -> tuple[int | None, str]:
        number = clean_compact(value).upper()
        if not number:
            return self.team.pk, ""
        pk = self.teams.get(number)
        if pk is None:
            return None, f"队伍编号「{number}」不存在，或不是「{self.team.name}」及其下级的在册队伍"
        return pk, ""


# ---- the scan shared by validation and commit ----------------------------------------------------------------


def _duplicate_messages(hashes: list[str], cache: dict) -> dict[str, str]:
    """Rows already registered: where (region and registering team), nothing more (no number, no person)."""
    found = {}
    existing = (
        Volunteer.objects.filter(id_number_hash__in=hashes)
        .select_related("home_node", "registered_via")
        .only("id_number_hash", "home_node", "registered_via")
    )
    for volunteer in existing:
        key = (volunteer.home_node_id, volunteer.registered_via_id)
        if key not in cache:
            cache[key] = (
                f"该证件号码已在{volunteer_services.where_registered(volunteer)}登记为志愿者，不能重复登记；"
                "如需加入本队伍，请由本人申请或由队长按志愿者编号添加"
            )
        found[volunteer.id_number_hash] = cache[key]
    return found


def _batches(sheet, mapping: dict, places: _Places, report: ImportReport, *, keep: bool):
    """Check each row (pure Python, no database) and yield batches of (row, hash, home id, team id, errors,
    record): `record` holds the new volunteer's columns when `keep`."""
    today = timezone.localdate()
    raw_items = [(key, mapping[key]) for key in _RAW_KEYS if key in mapping]
    residence_index = mapping.get("residence", -1)
    team_index = mapping.get("team_number", -1)
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    warnings_out = report.warnings
    initials = bulk.Initials()
    encrypt = crypto.encrypt
    id_hash = volunteer_services.id_hash
    batch: list = []
    for row, cells in sheet.rows:
        report.rows += 1
        width = len(cells)
        raw = {key: (cells[index] if index < width else None) for key, index in raw_items}
        errors: list[tuple[str, str]] = []
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in cells):
            too_long, long_errors = oversized_cells(cells, mapping, HEADERS)
            errors.extend(long_errors)
            for key in too_long:
                if key in raw:
                    raw[key] = ""
        result = validate_volunteer(raw, today=today)
        data = result.data
        errors.extend((_column_of(key), message) for key, message in result.errors)
        for key, message in result.warnings:
            warnings_out.append((row, _column_of(key), message))
        hashed = ""
        number = data.get("id_number")
        if number:
            hashed = id_hash(data["id_type"], number)
            first = seen_ids.get(hashed)
            if first is not None:
                errors.append((HEADERS["id_number"], f"证件号码与第 {first} 行重复"))
            else:
                seen_ids[hashed] = row
            birth = data.get("birth_date")
            if birth is not None and age_on(birth, today) < GUARDIAN_AGE:
                errors.append(
                    (
                        HEADERS["id_number"],
                        f"未满 {GUARDIAN_AGE} 周岁，须经监护人同意后由工作人员单独登记，不能批量导入",
                    )
                )
        phone = data.get("phone")
        if phone and not result.errors:
            first = seen_phones.get(phone)
            if first is not None:
                warnings_out.append((row, HEADERS["phone"], f"手机号与第 {first} 行相同，确认短信将发到同一号码"))
            else:
                seen_phones[phone] = row
        home_id, problem = places.home(cells[residence_index] if 0 <= residence_index < width else None)
        if problem:
            errors.append((RESIDENCE_HEADER, problem))
        team_id, problem = places.team_for(cells[team_index] if 0 <= team_index < width else None)
        if problem:
            errors.append((TEAM_HEADER, problem))
        record = None
        if keep and not errors:
            record = {
                "name": data["name"],
                "name_initials": initials(data["name"]),
                "id_type": data["id_type"],
                "id_number_enc": encrypt(number),
                "id_number_hash": hashed,
                "id_number_masked": mask_id_number(number),
                "birth_date": data.get("birth_date"),
                "sex": data.get("sex", ""),
                "phone": phone,
                "phone_last4": phone[-4:],
                "home_node_id": home_id,
            }
            for key in _PROFILE_FIELDS:
                if key in data:
                    record[key] = data[key]
        batch.append((row, hashed, home_id, team_id, errors, record))
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _process(path: Path, *, team: Node, report: ImportReport, progress: Progress, stage: str, on_valid=None) -> None:
    """Read and check the whole file; `on_valid(valid, upto)` gets each batch's valid rows (the commit inserts them).

    (Checking rows in a helper thread while this one copies was measured: no faster, the two threads contend for
    the GIL; PostgreSQL already works on each COPY while rows stream to it.)"""
    sheet = open_import_sheet(path, sheet_name=SHEET_TITLE)
    mapping, ignored = match_headers(sheet.headers, COLUMNS)
    if ignored:
        report.notices.append(f"以下列无法识别，已忽略：{'、'.join(ignored[:20])}")
    places = _Places(team)
    total = sheet.row_count
    duplicate_cache: dict = {}
    done = 0
    batches = _batches(sheet, mapping, places, report, keep=on_valid is not None)
    for batch in readable(batches):
        hashes = [item[1] for item in batch if item[1]]
        registered = _duplicate_messages(hashes, duplicate_cache) if hashes else {}
        valid = []
        for row, hashed, _home_id, team_id, errors, record in batch:
            if hashed in registered:
                errors.append((HEADERS["id_number"], registered[hashed]))
            if errors:
                report.errors.extend((row, column, message) for column, message in errors)
                continue
            report.valid_rows.append(row)
            valid.append((row, record, team_id))
        if on_valid is not None:
            on_valid(valid, batch[-1][0])
        done += len(batch)
        if progress:
            progress(done, total, stage)
    if progress:
        progress(done, total or done, stage)


def _check_team(actor, team) -> Node:
    node = getattr(team, "node", team)
    if not isinstance(node, Node) or not node.is_team:
        raise DomainError("bad_team", "请选择要导入的队伍。", field="team")
    node = Node.objects.get(pk=node.pk)  # its current state, not the caller's copy
    require_scope(actor, node)
    if not node.is_active:
        raise DomainError("bad_team", f"「{node.name}」已撤销或合并，不能导入志愿者。", field="team")
    return node


def validate_file(
    path, *, actor, team, progress: Progress = None, file_name: str = "", keep_to: Path | None = None
) -> ImportReport:
    """The preview: every problem of every row, nothing written. `team` is the team node (or its Team).

    With `keep_to`, the valid rows are also prepared for insertion (normalised, ID numbers encrypted) and saved
    there, so that the commit need not read and check the file a second time: see `commit_file(prepared=…)`.
    `report.prepared_digest` then identifies the saved rows; keep it somewhere the file system cannot change."""
    node = _check_team(actor, team)
    report = ImportReport(file_name=file_name or Path(path).name)
    prepared: list = [] if keep_to is not None else None
    collect = (lambda valid, _upto: prepared.extend(valid)) if keep_to is not None else None
    with bulk.gc_paused():
        _process(Path(path), team=node, report=report, progress=progress, stage="检查数据", on_valid=collect)
        if keep_to is not None:
            report.prepared_digest = prepared_rows.save(
                Path(keep_to), source=Path(path), team_id=node.pk, rows=report.rows, errors=report.errors, valid=prepared
            )
    return report


# ---- commit --------------------------------------------------------------------------------------------------


def _insert_batch(volunteers: list[dict], memberships: list[dict]) -> list[int]:
    """One batch: volunteers, then their memberships. Returns the volunteers' ids."""
    if bulk.use_copy():
        ids = bulk.allocate_ids(Volunteer, len(volunteers))
        for row, pk in zip(volunteers, ids, strict=True):
            row["id"] = pk
        bulk.copy_rows(Volunteer, volunteers, with_pk=True)
    else:
        ids = [v.pk for v in bulk.create_rows(Volunteer, volunteers)]
    for membership, pk in zip(memberships, ids, strict=True):
        membership["volunteer_id"] = pk
    if bulk.use_copy():
        bulk.copy_rows(Membership, memberships, with_pk=False)
    else:
        bulk.create_rows(Membership, memberships)
    return ids


# Every column of a new row, so that COPY (which knows no model defaults) and bulk_create insert the same values.
_VOLUNTEER_DEFAULTS = {
    "user_id": None,
    "ethnicity": "",
    "political_status": "",
    "education": "",
    "work_unit": "",
    "occupation": "",
    "skills": "",
    "categories_mask": 0,
    "other_category": "",
    "availability_mask": 0,
    "force_type": "",
    "honours_mask": 0,
    "honours_other": "",
    "address": "",
    "emergency_contact_name": "",
    "emergency_contact_phone": "",
    "wechat_id": "",
    "confirmed_at": None,
    "star_level": 0,
}


class _Writer:
    """Inserts each batch of valid rows as the scan delivers it, inside the caller's transaction."""

    def __init__(self, *, actor, team: Node, report: ImportReport, only_valid: bool, expected: list[int] | None):
        now = timezone.now()
        actor_id = getattr(actor, "pk", None)
        self.report = report
        self.only_valid = only_valid
        self.expected = sorted(expected) if expected is not None else None
        self.position = 0  # how many of the expected rows have been met, in order
        self.homes: Counter = Counter()
        self.members: Counter = Counter()
        self.numbers: list[str] = []
        self.block: list[str] | None = None
        self.fixed = {
            **_VOLUNTEER_DEFAULTS,
            "status": VolunteerStatus.PENDING,
            "source": Source.IMPORT,
            "created_by_id": actor_id,
            "registered_via_id": team.pk,
            "created_at": now,
            "updated_at": now,
        }
        self.membership_fixed = {
            "status": MembershipStatus.ACTIVE,
            "is_backbone": False,
            "applied_at": now,
            "joined_at": now,
            "ended_at": None,
            "note": "批量导入",
            "decided_by_id": actor_id,
            "created_at": now,
        }

    def __call__(self, valid: list, upto: int) -> None:
        """`valid`: this batch's valid rows; `upto`: the batch's last row number."""
        if self.expected is not None:
            # Stop at the first difference from the preview, rather than after inserting everything.
            for row, _record, _team_id in valid:
                if self.position >= len(self.expected) or self.expected[self.position] != row:
                    raise _changed()
                self.position += 1
            if self.position < len(self.expected) and self.expected[self.position] <= upto:
                raise _changed()
        report = self.report
        if (report.errors and not self.only_valid) or not valid:
            return  # a refusal comes at the end; there is no point inserting meanwhile
        numbers = self._numbers(len(valid))
        self.numbers.extend((numbers[0], numbers[-1]))
        volunteers, memberships = [], []
        fixed, membership_fixed = self.fixed, self.membership_fixed
        for (_row, record, team_id), number in zip(valid, numbers, strict=True):
            volunteers.append({**fixed, **record, "number": number})
            memberships.append({**membership_fixed, "team_id": team_id})
            self.homes[record["home_node_id"]] += 1
            self.members[team_id] += 1
        report.created_ids.extend(_insert_batch(volunteers, memberships))
        report.created = len(report.created_ids)

    def _numbers(self, count: int) -> list[str]:
        """Volunteer numbers: one block for the whole import when the preview told how many rows there are;
        otherwise a block per batch, consecutive all the same (the sequence row stays locked by this
        transaction until it commits)."""
        if self.expected is not None:
            if self.block is None:
                self.block = volunteer_services.allocate_numbers(len(self.expected))
            taken, self.block = self.block[:count], self.block[count:]
            return taken
        return volunteer_services.allocate_numbers(count)

    def finish(self) -> tuple[str, str]:
        for home_id, count in self.homes.items():
            counter_add(home_id, volunteers=count)
        for team_id, count in self.members.items():
            counter_add(team_id, members=count)
        first, last = self.numbers[0], self.numbers[-1]
        self.report.notices.append(f"志愿者编号 {first} 至 {last}")
        return first, last


def _replay(saved: "prepared_rows.Saved", *, team: Node, report: ImportReport, progress: Progress, writer) -> None:
    """Insert the rows the preview prepared, after checking again what the database may have changed since."""
    report.rows = saved.rows
    report.errors.extend(saved.errors)
    places = {item[1]["home_node_id"] for item in saved.valid} | {item[2] for item in saved.valid}
    alive = set(Node.objects.filter(pk__in=places, status=NodeStatus.ACTIVE).values_list("pk", flat=True))
    if places - alive:
        raise _changed()
    total = len(saved.valid)
    done = 0
    duplicate_cache: dict = {}
    for batch in chunks(saved.valid, BATCH_SIZE):
        if _duplicate_messages([record["id_number_hash"] for _row, record, _team in batch], duplicate_cache):
            raise _changed()
        report.valid_rows.extend(row for row, _record, _team in batch)
        writer(batch, batch[-1][0])
        done += len(batch)
        if progress:
            progress(done, total, "导入数据")


def _changed() -> DomainError:
    return DomainError(
        "changed",
        "自预览以来数据发生了变化（例如其中有人已被登记），有效行与预览时不一致。"
        "本次未导入任何数据，请重新上传文件，核对新的检查结果后再导入。",
    )


def commit_file(
    path,
    *,
    actor,
    team,
    only_valid: bool,
    expected_valid_rows: list[int] | None = None,
    progress: Progress = None,
    file_name: str = "",
    prepared: Path | None = None,
    prepared_digest: str = "",
) -> ImportReport:
    """Import in ONE transaction. Refuses (DomainError, nothing written) when there are bad rows and not
    `only_valid`, or when the valid rows differ from `expected_valid_rows` (what the user saw in the preview).
    SMS invitations are not sent here: call `send_invitations(report.created_ids, ...)` after it returns.

    With `prepared` (saved by `validate_file(keep_to=…)`, identified by `prepared_digest`) the rows checked by the
    preview are inserted without reading the file again; everything that can have changed since is checked
    again: the file itself (its hash), duplicates in the database, and that the places and teams still exist."""
    path = Path(path)
    node = _check_team(actor, team)
    report = ImportReport(file_name=file_name or path.name)
    saved = prepared_rows.load(Path(prepared), prepared_digest, source=path, team_id=node.pk) if prepared else None
    try:
        with bulk.gc_paused(), transaction.atomic():
            node = Node.objects.select_for_update().get(pk=node.pk)
            if not node.is_active:
                raise DomainError("bad_team", f"「{node.name}」已撤销或合并，不能导入志愿者。")
            bulk.check_constraints_immediately()
            writer = _Writer(actor=actor, team=node, report=report, only_valid=only_valid, expected=expected_valid_rows)
            if saved is not None:
                _replay(saved, team=node, report=report, progress=progress, writer=writer)
            else:
                _process(path, team=node, report=report, progress=progress, stage="导入数据", on_valid=writer)
            if expected_valid_rows is not None and report.valid_rows != sorted(expected_valid_rows):
                raise _changed()
            if report.errors and not only_valid:
                raise DomainError(
                    "has_errors",
                    f"文件中有 {len(report.bad_rows)} 行存在问题，未导入任何数据。请修改后重新导入，或选择仅导入有效行。",
                )
            if not report.created:
                raise DomainError("nothing_valid", "文件中没有可导入的有效行，未导入任何数据。")
            bulk.check_constraints_deferred()
            first, last = writer.finish()
            audit.record(
                actor,
                "volunteer.imported",
                target=node,
                node_path=node.path,
                summary=f"批量导入志愿者 {report.created} 名（待本人确认），文件「{report.file_name}」"
                + (f"，跳过有问题的 {len(report.bad_rows)} 行" if report.errors else ""),
                detail={
                    "file": report.file_name,
                    "rows": report.rows,
                    "created": report.created,
                    "skipped_rows": len(report.bad_rows),
                    "numbers": [first, last],
                },
            )
    except IntegrityError:
        raise DomainError(
            "changed",
            "导入过程中有人登记了相同证件号码的志愿者。本次未导入任何数据，请重新上传文件核对后再导入。",
        ) from None
    return report


def send_invitations(volunteer_ids: list[int], *, progress: Progress = None) -> int:
    """R25: each imported volunteer is told by SMS and asked to confirm it was her. Run after the commit."""
    sent = 0
    total = len(volunteer_ids)
    for chunk in chunks(volunteer_ids, 500):
        for volunteer in (
            Volunteer.objects.filter(pk__in=chunk, status=VolunteerStatus.PENDING)
            .select_related("registered_via", "home_node")
            .only("phone", "registered_via__name", "home_node__name")
        ):
            try:
                volunteer_services.send_confirmation_invite(volunteer)
            except Exception:  # a gateway hiccup must not undo an import that has committed
                logger.exception("SMS invitation failed for volunteer %s", volunteer.pk)
                continue
            sent += 1
        if progress:
            progress(min(total, sent), total, "发送确认短信")
    return sent
