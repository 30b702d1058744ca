"""Team import pages, and the page helpers both importers share (the full problem list and its download)."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from jinguo.core.errors import DomainError
from jinguo.core.models import Job
from jinguo.core.scope import get_scope
from jinguo.core.spreadsheets import XlsxWriter

from . import base
from .columns import COLUMNS, EXAMPLE, INSTRUCTIONS, SHEET_TITLE
from .forms import TeamImportForm
from .handlers import KIND

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ListPaginator(Paginator):
    """A plain list paged with the names includes/pagination.html expects."""

    @property
    def count_display(self) -> str:
        return str(self.count)

    @property
    def num_pages_display(self) -> str:
        return str(self.num_pages)


def require_admin(request) -> None:
    scope = get_scope(request.user)
    if not (scope.platform or scope.change_paths):
        raise PermissionDenied


_templates: dict[str, bytes] = {}  # the templates depend on code only: built once per process (~1 s each)


def template_response(*, columns, sheet_title, instructions, example, filename, lenient=()) -> FileResponse:
    content = _templates.get(filename)
    if content is None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "template.xlsx"
            base.write_import_template(
                path,
                sheet_title=sheet_title,
                columns=columns,
                instructions=instructions,
                example=example,
                lenient=lenient,
            )
            content = _templates[filename] = path.read_bytes()
    return FileResponse(iter([content]), as_attachment=True, filename=filename, content_type=XLSX)


def problems_page(request, job: Job, *, xlsx_url_name: str):
    full = base.load_full_report(job)
    if full is None:
        raise Http404
    kind = "warnings" if request.GET.get("type") == "warnings" else "errors"
    rows = full.warnings if kind == "warnings" else full.errors
    page = ListPaginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "orgs/imports/problems.html",
        {"job": job, "page_obj": page, "kind": kind, "report": full, "xlsx_url_name": xlsx_url_name},
    )


def problems_xlsx(job: Job, filename: str) -> FileResponse:
    full = base.load_full_report(job)
    if full is None:
        raise Http404
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problems.xlsx"
        writer = XlsxWriter(
            path, sheet_title="问题清单", headers=["行号", "列", "问题", "类型"], widths=[10, 16, 80, 8]
        )
        for row, column, message in full.errors:
            writer.append([row, column, message, "错误"])
        for row, column, message in full.warnings:
            writer.append([row, column, message, "提示"])
        writer.close()
        content = path.read_bytes()
    return FileResponse(iter([content]), as_attachment=True, filename=filename, content_type=XLSX)


def commit_view(request, job: Job, kind: str):
    try:
        base.import_commit(actor=request.user, job=job, kind=kind, only_valid=request.POST.get("only_valid") == "1")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, "已开始导入，请稍候；完成后本页会自动刷新。")
    return redirect(job)


def cancel_view(request, job: Job, kind: str):
    try:
        base.import_cancel(actor=request.user, job=job, kind=kind)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已取消本次导入，未写入任何数据，上传的文件已删除。")
    return redirect(job)


# ---- team import ---------------------------------------------------------------------------------------------


@login_required
def team_import_start(request):
    require_admin(request)
    if request.method == "POST":
        form = TeamImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            parent = form.cleaned_data["parent"]
            try:
                job = base.import_start(
                    actor=request.user,
                    kind=KIND,
                    title=f"导入队伍到「{parent.name}」",
                    uploaded=form.cleaned_data["file"],
                    params={"parent_id": parent.pk, "parent_name": parent.name, "parent_is_team": parent.is_team},
                    node_path=parent.path,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect(job)
    else:
        initial = {"parent": request.GET["parent"]} if request.GET.get("parent", "").isdigit() else {}
        form = TeamImportForm(initial=initial, user=request.user)
    recent = Job.objects.restrict(request.user).filter(kind=KIND).order_by("-created_at")[:10]
    return render(request, "orgs/imports/start.html", {"form": form, "recent": recent})


@login_required
@require_GET
def team_import_template(request):
    require_admin(request)
    return template_response(
        columns=COLUMNS,
        sheet_title=SHEET_TITLE,
        instructions=INSTRUCTIONS,
        example=EXAMPLE,
        filename="巾帼志愿服务队伍导入模板.xlsx",
    )


def _own_job(request, pk) -> Job:
    return get_object_or_404(Job.objects.restrict(request.user), pk=pk, kind=KIND)


@login_required
@require_POST
def team_import_commit(request, pk):
    return commit_view(request, _own_job(request, pk), KIND)


@login_required
@require_POST
def team_import_cancel(request, pk):
    return cancel_view(request, _own_job(request, pk), KIND)


@login_required
@require_GET
def team_import_problems(request, pk):
    return problems_page(request, _own_job(request, pk), xlsx_url_name="orgs:team_import_problems_xlsx")


@login_required
@require_GET
def team_import_problems_xlsx(request, pk):
    return problems_xlsx(_own_job(request, pk), "队伍导入问题清单.xlsx")
