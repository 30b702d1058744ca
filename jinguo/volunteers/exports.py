"""Roster export (F4): the volunteer list's filters, written to xlsx by the task worker with progress.

Masked ID numbers and phones by default (R3). The full numbers only for a user who holds the personal-data right
over EVERY exported row; anyone else is refused, not quietly given a masked file. Cells cannot run as formulas
(core.spreadsheets.XlsxWriter). Each export is audited (count, filters, masked or not) and so is each download
(core.views.job_download).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone

from jinguo.core import audit, jobs
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.masking import mask_phone
from jinguo.core.models import Job
from jinguo.core.scope import get_scope
from jinguo.core.spreadsheets import XlsxWriter
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES

from . import choices
from .bitmask import labels_of
from .forms import RosterFilterForm
from .models import Membership, Volunteer
from .selectors import SORTS, search_volunteers

KIND = "volunteer_export"
FILTER_KEYS = ("q", "team", "region", "category", "skill", "force_type", "honours", "age_band", "status", "sex", "sort")
HEADERS = [
    "志愿者编号",
    "姓名",
    "性别",
    "出生日期",
    "证件类型",
    "证件号码",
    "手机号",
    "民族",
    "政治面貌",
    "学历",
    "工作单位",
    "职业",
    "技能特长",
    "服务类别",
    "可服务时间",
    "力量类型",
    "荣誉",
    "居住地",
    "所在队伍",
    "紧急联系人",
    "紧急联系人电话",
    "状态",
    "登记方式",
    "登记时间",
]
WIDTHS = [14, 10, 6, 12, 12, 22, 14, 8, 10, 10, 20, 12, 16, 26, 16, 10, 16, 14, 24, 10, 14, 12, 12, 18]
CHUNK = 2000


def _filters_of(data) -> dict:
    """The filter parameters as plain strings, to keep in the job and to show back."""
    return {key: data.get(key, "") for key in FILTER_KEYS if data.get(key)}


def _form(user, filters: dict) -> RosterFilterForm:
    form = RosterFilterForm(filters, user=user)
    if not form.is_valid():
        problems = "；".join(
            f"{form.fields[k].label if k in form.fields else k}：{'、'.join(v)}" for k, v in form.errors.items()
        )
        raise DomainError("bad_filters", f"筛选条件无效（{problems}），请回到名册页面重新选择。")
    return form


def roster_queryset(user, filters: dict):
    form = _form(user, filters)
    qs = search_volunteers(user, **form.search_kwargs())
    return qs.order_by(*SORTS.get(form.sort_key(), SORTS["recent"]))


def filter_summary(user, filters: dict) -> list[tuple[str, str]]:
    """(label, value) of each filter in use, in words."""
    form = RosterFilterForm(filters, user=user)
    if not form.is_valid():
        return []
    items = []
    for key in FILTER_KEYS:
        value = form.cleaned_data.get(key)
        if key == "sort" or value in (None, "", []):
            continue
        field = form.fields[key]
        if hasattr(field, "choices") and not hasattr(value, "pk"):
            value = dict(field.choices).get(value, value)
        items.append((str(field.label), str(value)))
    return items


def _check_full(user, qs) -> None:
    uncovered = qs.exclude(pk__in=Volunteer.objects.restrict(user, "personal").values("pk"))
    if uncovered.exists():
        raise PermissionDeniedError(
            "您没有查看其中部分志愿者完整证件号和手机号的权限，不能导出完整信息。请取消勾选，导出隐去部分号码的名册。"
        )


def _node_path(user, filters: dict) -> str:
    """Where the export's audit entries belong: the filtered team or region, else the exporter's own subtree."""
    form = RosterFilterForm(filters, user=user)
    if form.is_valid():
        for key in ("team", "region"):
            node = form.cleaned_data.get(key)
            if node is not None:
                return node.path
    scope = get_scope(user)
    return (scope.view_paths or ("",))[0]


def roster_export_start(*, actor, filters: dict, full: bool) -> Job:
    """Queue a roster export. Refuses outright what the worker would refuse (bad filters, full without the right)."""
    scope = get_scope(actor)
    if not scope.is_staff_anywhere:
        raise PermissionDeniedError("只有工作人员可以导出名册。")
    filters = _filters_of(filters)
    qs = roster_queryset(actor, filters)
    if full:
        _check_full(actor, qs)
    with transaction.atomic():
        job = Job.objects.create(
            kind=KIND,
            user=actor,
            title="导出志愿者名册" + ("（含完整证件号和手机号）" if full else ""),
            params={"filters": filters, "full": bool(full), "node_path": _node_path(actor, filters)},
        )
        jobs.start(job)
    return job


def _row(volunteer: Volunteer, *, full: bool) -> list:
    teams = "、".join(m.team.name for m in getattr(volunteer, "visible_memberships", []))
    return [
        volunteer.number,
        volunteer.name,
        volunteer.get_sex_display(),
        volunteer.birth_date,
        volunteer.id_type_label,
        volunteer.decrypt_id_number() if full else volunteer.id_number_masked,
        volunteer.phone if full else mask_phone(volunteer.phone),
        volunteer.ethnicity,
        volunteer.political_status,
        volunteer.education,
        volunteer.work_unit,
        volunteer.occupation,
        volunteer.skills,
        "、".join(labels_of(volunteer.categories_mask, SERVICE_CATEGORIES))
        + (f"（{volunteer.other_category}）" if volunteer.other_category else ""),
        "、".join(labels_of(volunteer.availability_mask, SERVICE_TIMES)),
        volunteer.get_force_type_display(),
        "、".join(labels_of(volunteer.honours_mask, choices.HONOURS))
        + (f"（{volunteer.honours_other}）" if volunteer.honours_other else ""),
        volunteer.home_node.name,
        teams,
        volunteer.emergency_contact_name,
        volunteer.emergency_contact_phone if full else mask_phone(volunteer.emergency_contact_phone),
        volunteer.get_status_display(),
        volunteer.get_source_display(),
        timezone.localtime(volunteer.created_at),
    ]


@jobs.register(KIND)
def run_roster_export(job: Job, report) -> None:
    user = job.user
    filters = job.params.get("filters", {})
    full = bool(job.params.get("full"))
    qs = roster_queryset(user, filters)
    if full:
        _check_full(user, qs)
    total = qs.count()
    visible = Membership.objects.restrict(user, "view").filter(status=choices.MembershipStatus.ACTIVE)
    rows = qs.select_related("home_node").prefetch_related(
        Prefetch(
            "memberships",
            queryset=visible.select_related("team").only("volunteer_id", "team__name"),
            to_attr="visible_memberships",
        )
    )
    stamp = timezone.localtime()
    path = jobs.job_dir(job) / f"roster-{stamp:%Y%m%d%H%M%S}.xlsx"
    writer = XlsxWriter(path, sheet_title="志愿者名册", headers=HEADERS, widths=WIDTHS)
    count = 0
    report(0, total, "写入名册")
    for volunteer in rows.iterator(chunk_size=CHUNK):
        writer.append(_row(volunteer, full=full))
        count += 1
        if count % CHUNK == 0:
            report(count, total, "写入名册")
    writer.add_sheet_rows(
        "导出说明",
        [
            ["导出时间", f"{stamp:%Y-%m-%d %H:%M}"],
            ["导出人", str(user)],
            ["人数", count],
            ["筛选条件", "；".join(f"{k}：{v}" for k, v in filter_summary(user, filters)) or "全部（本人管辖范围内）"],
            ["证件号和手机号", "完整" if full else "已隐去部分号码"],
            ["注意", "本表含个人信息，仅限工作使用，请勿外传；用完请删除。“待本人确认”的志愿者尚未本人确认登记信息。"],
        ],
    )
    writer.close()
    report(count, total or count, "名册已生成")
    job.result_path = str(path)
    job.result_name = f"志愿者名册-{stamp:%Y%m%d-%H%M}.xlsx"
    job.report = {"count": count, "full": full}
    audit.record(
        user,
        "volunteer.roster_exported",
        target=job,
        node_path=job.params.get("node_path", ""),
        summary=f"导出志愿者名册 {count} 人（{'含完整证件号和手机号' if full else '证件号和手机号已隐去部分'}）",
        detail={"count": count, "filters": filters, "full": full},
    )


# ---- the page ------------------------------------------------------------------------------------------------


@login_required
def roster_export(request):
    """GET (or a POST from the roster page without `confirm`): what will be exported, and the masking choice.
    POST with `confirm`: queue the export and go to its progress page."""
    scope = get_scope(request.user)
    if not scope.is_staff_anywhere:
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    filters = _filters_of({**request.GET.dict(), **{k: v for k, v in source.items() if k in FILTER_KEYS}})
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "1":
        try:
            job = roster_export_start(actor=request.user, filters=filters, full=request.POST.get("full") == "1")
        except DomainError as exc:
            error = exc.message
        else:
            messages.info(request, "正在生成名册，完成后可在本页下载。")
            return redirect(job)
    try:
        preview = roster_queryset(request.user, filters)[:10001].count()
    except DomainError as exc:
        error = error or exc.message
        preview = 0
    return render(
        request,
        "volunteers/exports/roster.html",
        {
            "filters": filters,
            "query": urlencode(filters),
            "summary": filter_summary(request.user, filters),
            "count": preview,
            "capped": preview > 10000,
            "can_full": scope.platform or bool(scope.personal_paths),
            "full": request.POST.get("full") == "1",
            "error": error,
        },
    )
