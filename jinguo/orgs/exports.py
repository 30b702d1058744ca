"""Team statistics export: the table seed 003 asks every county and the city's organs to report
(各县（市、区）、市直机关巾帼志愿服务组织情况统计表), for the teams the user sees, with the team list's filters.

Written by the task worker (xlsx, streaming, formula-safe cells), audited when made and when downloaded.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from jinguo.core import audit, jobs
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import Job
from jinguo.core.scope import get_scope
from jinguo.core.spreadsheets import HEADER_FILL, HEADER_FONT, safe_value

from .choices import SERVICE_CATEGORIES, SERVICE_TIMES, NodeKind
from .forms import TeamFilterForm
from .models import Node, Team
from .selectors import filter_teams, tier_names_for, top_nodes

KIND = "team_export"
TITLE = "各县（市、区）、市直机关巾帼志愿服务组织情况统计表"
FILTER_KEYS = ("q", "tier", "filing_status", "category", "region", "status", "below_standard")
CHECK = "√"
CHUNK = 1000
LEAD_HEADERS = [
    "序号",
    "单位",
    "队伍编号",
    "档案编号",
    "队伍名称",
    "层级",
    "领队姓名",
    "职务",
    "联系电话",
    "领队微信号",
    "人数",
    "组建时间",
]
LEAD_WIDTHS = [6, 18, 16, 18, 26, 8, 10, 10, 14, 14, 8, 12]
CATEGORY_HEADERS = [label for code, label in SERVICE_CATEGORIES if code != "other"] + ["其他"]
TIME_HEADERS = [label for _code, label in SERVICE_TIMES]
TAIL_HEADERS = ["备案状态"]
COLUMN_COUNT = len(LEAD_HEADERS) + len(CATEGORY_HEADERS) + len(TIME_HEADERS) + len(TAIL_HEADERS)
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _tier_names(user) -> list[str]:
    tops = top_nodes(user)
    return tier_names_for(tops[0]) if tops else list(settings.TEAM_TIER_NAMES)


def _filters_of(data) -> dict:
    return {key: data.get(key) for key in FILTER_KEYS if data.get(key)}


def _form(user, filters: dict) -> TeamFilterForm:
    form = TeamFilterForm(filters, user=user, tier_names=_tier_names(user))
    if not form.is_valid():
        problems = "；".join(
            f"{form.fields[k].label if k in form.fields else k}：{'、'.join(v)}" for k, v in form.errors.items()
        )
        raise DomainError("bad_filters", f"筛选条件无效（{problems}），请回到队伍列表重新选择。")
    return form


def team_queryset(user, filters: dict):
    """The teams of the export: the user's scope, then the same filters as the team list."""
    data = _form(user, filters).cleaned_data
    teams = filter_teams(user, data)
    return teams.order_by("node__path")


def filter_summary(user, filters: dict) -> list[tuple[str, str]]:
    try:
        form = _form(user, filters)
    except DomainError:
        return []
    items = []
    for key in FILTER_KEYS:
        value = form.cleaned_data.get(key)
        if value in (None, "", False):
            continue
        field = form.fields[key]
        if value is True:
            value = "是"
        elif hasattr(value, "pk"):
            value = value.name
        elif hasattr(field, "choices"):
            value = {str(k): v for k, v in field.choices}.get(str(value), value)
        items.append((str(field.label), str(value)))
    return items


def _node_path(user, filters: dict) -> str:
    try:
        region = _form(user, filters).cleaned_data.get("region")
    except DomainError:
        region = None
    if region is not None:
        return region.path
    scope = get_scope(user)
    return (scope.view_paths or ("",))[0]


def team_export_start(*, actor, filters: dict) -> Job:
    if not get_scope(actor).is_staff_anywhere:
        raise PermissionDeniedError("只有工作人员可以导出统计表。")
    filters = _filters_of(filters)
    team_queryset(actor, filters)  # refuses bad filters now, not in the worker
    with transaction.atomic():
        job = Job.objects.create(
            kind=KIND,
            user=actor,
            title="导出巾帼志愿服务组织情况统计表",
            params={"filters": filters, "node_path": _node_path(actor, filters)},
        )
        jobs.start(job)
    return job


# ---- writing -------------------------------------------------------------------------------------------------


class _Ancestors:
    """Names and tier settings of the teams' ancestors, loaded once per chunk of teams."""

    def __init__(self):
        self.nodes: dict[str, tuple[str, str, str]] = {}  # path -> (name, kind, team_tier_names)

    def load(self, teams: list[Team]) -> None:
        wanted = set()
        for team in teams:
            wanted.update(p for p in team.node.ancestor_paths() if p not in self.nodes)
        if wanted:
            for path, name, kind, tiers in Node.objects.filter(path__in=wanted).values_list(
                "path", "name", "kind", "team_tier_names"
            ):
                self.nodes[path] = (name, kind, tiers)

    def federation_name(self, node: Node) -> str:
        for path in reversed(node.ancestor_paths()):
            name, kind, _tiers = self.nodes.get(path, ("", NodeKind.TEAM, ""))
            if kind != NodeKind.TEAM:
                return name
        return ""

    def tier_name(self, team: Team) -> str:
        setting = team.node.team_tier_names
        for path in reversed(team.node.ancestor_paths()):
            if setting:
                break
            setting = self.nodes.get(path, ("", "", ""))[2]
        names = [n.strip() for n in setting.split(",") if n.strip()] if setting else list(settings.TEAM_TIER_NAMES)
        return names[min(team.tier, len(names)) - 1] if names else str(team.tier)


def _cell(ws, value, *, header: bool = False, bold: bool = False, center: bool = False):
    cell = WriteOnlyCell(ws, value=safe_value(value))
    cell.border = _BORDER
    if header:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = _CENTER
    elif center:
        cell.alignment = _CENTER
    if bold:
        cell.font = Font(bold=True)
    return cell


def _team_row(index: int, team: Team, ancestors: _Ancestors) -> list:
    categories = set(team.service_categories or [])
    times = set(team.service_times or [])
    counter = getattr(team.node, "counter", None)
    row = [
        index,
        team.unit_name or ancestors.federation_name(team.node),
        team.team_number,
        team.archive_number or "",
        team.node.name,
        ancestors.tier_name(team),
        team.leader_name,
        team.leader_position,
        team.leader_phone,
        team.leader_wechat,
        counter.members if counter is not None else 0,
        team.founded_on,
    ]
    row += [CHECK if code in categories else "" for code, _label in SERVICE_CATEGORIES if code != "other"]
    row.append((CHECK + (f" {team.other_category}" if team.other_category else "")) if "other" in categories else "")
    row += [CHECK if code in times else "" for code, _label in SERVICE_TIMES]
    row.append(team.get_filing_status_display())
    return row


@jobs.register(KIND)
def run_team_export(job: Job, report) -> None:
    user = job.user
    filters = job.params.get("filters", {})
    teams = team_queryset(user, filters)
    total = teams.count()
    stamp = timezone.localtime()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("组织情况统计表")
    widths = LEAD_WIDTHS + [9] * (len(CATEGORY_HEADERS) + len(TIME_HEADERS)) + [10]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(COLUMN_COUNT)
    ws.append([_cell(ws, TITLE, bold=True, center=True)])
    ws.merged_cells.add(CellRange(f"A1:{last}1"))
    scope_names = "、".join(n.name for n in top_nodes(user)[:5]) or "—"
    conditions = "；".join(f"{k}：{v}" for k, v in filter_summary(user, filters)) or "无"
    ws.append([f"填报单位：{scope_names}    导出时间：{stamp:%Y-%m-%d %H:%M}    筛选条件：{conditions}"])
    ws.merged_cells.add(CellRange(f"A2:{last}2"))
    # Two header rows: the categories and the service times are grouped under one heading each.
    first_group = len(LEAD_HEADERS) + 1
    time_group = first_group + len(CATEGORY_HEADERS)
    tail = time_group + len(TIME_HEADERS)
    top = [_cell(ws, h, header=True) for h in LEAD_HEADERS]
    top += [_cell(ws, "志愿服务类别（打√）", header=True)] + [_cell(ws, "", header=True)] * (len(CATEGORY_HEADERS) - 1)
    top += [_cell(ws, "志愿服务时间（打√）", header=True)] + [_cell(ws, "", header=True)] * (len(TIME_HEADERS) - 1)
    top += [_cell(ws, h, header=True) for h in TAIL_HEADERS]
    ws.append(top)
    second = [_cell(ws, "", header=True)] * len(LEAD_HEADERS)
    second += [_cell(ws, h, header=True) for h in CATEGORY_HEADERS + TIME_HEADERS]
    second += [_cell(ws, "", header=True)] * len(TAIL_HEADERS)
    ws.append(second)
    for column in [*range(1, first_group), tail]:
        letter = get_column_letter(column)
        ws.merged_cells.add(CellRange(f"{letter}3:{letter}4"))
    ws.merged_cells.add(CellRange(f"{get_column_letter(first_group)}3:{get_column_letter(time_group - 1)}3"))
    ws.merged_cells.add(CellRange(f"{get_column_letter(time_group)}3:{get_column_letter(tail - 1)}3"))
    ws.freeze_panes = "F5"

    ancestors = _Ancestors()
    totals = [0] * COLUMN_COUNT
    members = 0
    count = 0
    report(0, total, "生成统计表")
    batch: list[Team] = []

    def flush() -> None:
        nonlocal count, members
        ancestors.load(batch)
        for team in batch:
            count += 1
            row = _team_row(count, team, ancestors)
            members += row[10]
            for index in range(len(LEAD_HEADERS), COLUMN_COUNT - 1):
                if row[index]:
                    totals[index] += 1
            ws.append([_cell(ws, value, center=index >= len(LEAD_HEADERS)) for index, value in enumerate(row)])
        batch.clear()
        report(count, total, "生成统计表")

    for team in teams.iterator(chunk_size=CHUNK):
        batch.append(team)
        if len(batch) >= CHUNK:
            flush()
    flush()
    total_row = ["合计", "", "", "", f"共 {count} 支队伍", "", "", "", "", "", members, ""]
    total_row += [totals[i] or "" for i in range(len(LEAD_HEADERS), COLUMN_COUNT - 1)] + [""]
    ws.append([_cell(ws, value, bold=True, center=True) for value in total_row])
    wb.save(jobs.job_dir(job) / "statistics.xlsx")
    job.result_path = str(jobs.job_dir(job) / "statistics.xlsx")
    job.result_name = f"巾帼志愿服务组织情况统计表-{stamp:%Y%m%d-%H%M}.xlsx"
    job.report = {"count": count, "members": members}
    audit.record(
        user,
        "team.statistics_exported",
        target=job,
        node_path=job.params.get("node_path", ""),
        summary=f"导出巾帼志愿服务组织情况统计表：{count} 支队伍，{members} 人次",
        detail={"count": count, "members": members, "filters": filters},
    )


# ---- the page ------------------------------------------------------------------------------------------------


@login_required
def team_export(request):
    """GET: what the table will hold, with the team list's filters. POST: queue it and go to its progress page."""
    if not get_scope(request.user).is_staff_anywhere:
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    filters = _filters_of(source)
    error = ""
    if request.method == "POST":
        try:
            job = team_export_start(actor=request.user, filters=filters)
        except DomainError as exc:
            error = exc.message
        else:
            messages.info(request, "正在生成统计表，完成后可在本页下载。")
            return redirect(job)
    try:
        count = team_queryset(request.user, filters).count()
    except DomainError as exc:
        error = error or exc.message
        count = 0
    return render(
        request,
        "orgs/imports/team_export.html",
        {
            "filters": filters,
            "query": urlencode(filters),
            "summary": filter_summary(request.user, filters),
            "count": count,
            "error": error,
        },
    )
