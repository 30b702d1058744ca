"""Volunteer import pages: upload, the template, the preview's choice (import or not), the full problem list."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from jinguo.core.errors import DomainError
from jinguo.core.models import Job
from jinguo.orgs.imports import base
from jinguo.orgs.imports.views import (
    cancel_view,
    commit_view,
    problems_page,
    problems_xlsx,
    require_admin,
    template_response,
)

from .columns import COLUMNS, EXAMPLE, INSTRUCTIONS, LENIENT, SHEET_TITLE
from .forms import VolunteerImportForm
from .handlers import KIND


@login_required
def import_start(request):
    require_admin(request)
    if request.method == "POST":
        form = VolunteerImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            team = form.cleaned_data["team"]
            try:
                job = base.import_start(
                    actor=request.user,
                    kind=KIND,
                    title=f"导入志愿者到「{team.name}」",
                    uploaded=form.cleaned_data["file"],
                    params={"team_id": team.pk, "team_name": team.name},
                    node_path=team.path,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect(job)
    else:
        initial = {"team": request.GET["team"]} if request.GET.get("team", "").isdigit() else {}
        form = VolunteerImportForm(initial=initial, user=request.user)
    recent = Job.objects.restrict(request.user).filter(kind=KIND).order_by("-created_at")[:10]
    return render(request, "volunteers/imports/start.html", {"form": form, "recent": recent})


@login_required
@require_GET
def import_template(request):
    require_admin(request)
    return template_response(
        columns=COLUMNS,
        sheet_title=SHEET_TITLE,
        instructions=INSTRUCTIONS,
        example=EXAMPLE,
        lenient=LENIENT,
        filename="巾帼志愿者导入模板.xlsx",
    )


def _own_job(request, pk) -> Job:
    return get_object_or_404(Job.objects.restrict(request.user), pk=pk, kind=KIND)


@login_required
@require_POST
def import_commit(request, pk):
    return commit_view(request, _own_job(request, pk), KIND)


@login_required
@require_POST
def import_cancel(request, pk):
    return cancel_view(request, _own_job(request, pk), KIND)


@login_required
@require_GET
def import_problems(request, pk):
    return problems_page(request, _own_job(request, pk), xlsx_url_name="volunteers:import_problems_xlsx")


@login_required
@require_GET
def import_problems_xlsx(request, pk):
    return problems_xlsx(_own_job(request, pk), "志愿者导入问题清单.xlsx")
