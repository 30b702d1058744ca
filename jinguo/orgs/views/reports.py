"""Yearly reports (年报): open a year, the table of who reported, fill, submit, confirm, return."""

from django.contrib import messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope

from .. import services
from ..choices import (
    NodeStatus,
    ReportStatus,
)
from ..forms import (
    REPORT_FILTERS,
    AnnualReportForm,
    ReasonForm,
    ReportingYearForm,
    attach_error,
    picker_queryset,
)
from ..models import AnnualReport, ReportingYear, Team
from .common import _back, _can_act_from_above, _can_change, _require, staff_required


@staff_required
def reporting_list(request):
    scope = get_scope(request.user)
    can_open = scope.platform or picker_queryset(request.user, "federation").exists()
    form = ReportingYearForm(request.POST or None, user=request.user) if can_open else None
    if request.method == "POST":
        _require(can_open)
        if form.is_valid():
            try:
                reporting = services.reporting_year_open(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                attach_error(form, exc)
            else:
                messages.success(request, f"已发起{reporting}，下级队伍现在可以填报。")
                return redirect("orgs:reporting_year_detail", pk=reporting.pk)
    years = ReportingYear.objects.restrict(request.user).select_related("node").order_by("-year", "node__path")
    page = paginate(request, years, per_page=20)
    return render(request, "orgs/reporting_list.html", {"form": form, "page_obj": page, "today": timezone.localdate()})


def _year(request, pk) -> ReportingYear:
    return get_object_or_404(ReportingYear.objects.restrict(request.user).select_related("node"), pk=pk)


def _year_teams(request, year: ReportingYear):
    return Team.objects.restrict(request.user, "view").filter(
        node__path__startswith=year.node.path, node__status=NodeStatus.ACTIVE
    )


@staff_required
def reporting_year_detail(request, pk):
    year = _year(request, pk)
    base = _year_teams(request, year)
    reports = AnnualReport.objects.filter(reporting_year=year, team=OuterRef("pk"))
    teams = base.select_related("node", "node__counter").annotate(
        report_status=Subquery(reports.values("status")[:1]),
        report_pk=Subquery(reports.values("pk")[:1]),
    )
    wanted = request.GET.get("status", "")
    if wanted == "unsubmitted":
        teams = teams.filter(
            Q(report_status__isnull=True) | Q(report_status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED])
        )
    elif wanted == "none":
        teams = teams.filter(report_status__isnull=True)
    elif wanted in ReportStatus.values:
        teams = teams.filter(report_status=wanted)
    teams = teams.order_by("team_number")
    page = paginate(request, teams, per_page=30)
    total = base.count()
    by_status = dict(
        AnnualReport.objects.filter(reporting_year=year, team__in=base).values_list("status").annotate(n=Count("pk"))
    )
    counts = {
        "total": total,
        "none": total - sum(by_status.values()),
        **{status: by_status.get(status, 0) for status in ReportStatus.values},
    }
    counts["unsubmitted"] = counts["none"] + counts[ReportStatus.DRAFT] + counts[ReportStatus.RETURNED]
    status_labels = dict(ReportStatus.choices)
    for team in page.object_list:
        team.report_label = status_labels.get(team.report_status, "未填报")
    return render(
        request,
        "orgs/reporting_year_detail.html",
        {
            "year": year,
            "page_obj": page,
            "counts": counts,
            "filters": REPORT_FILTERS,
            "wanted": wanted,
            "breadcrumb_node": year.node,
            "today": timezone.localdate(),
        },
    )


@staff_required
def annual_report(request, pk, team):
    year = _year(request, pk)
    team = get_object_or_404(_year_teams(request, year).select_related("node", "node__counter"), pk=team)
    report = AnnualReport.objects.filter(reporting_year=year, team=team).first()
    can_edit = (
        _can_change(request, team.node)
        and year.closed_at is None
        and (report is None or report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED))
    )
    initial = {k: getattr(report, k) for k in services.REPORT_FIELDS} if report else None
    form = AnnualReportForm(request.POST or None, initial=initial)
    if request.method == "POST":
        _require(can_edit)
        if form.is_valid():
            try:
                report = services.annual_report_save(
                    actor=request.user, reporting_year=year, team=team, data=form.cleaned_data
                )
                if "submit" in request.POST:
                    services.annual_report_submit(actor=request.user, report=report)
            except DomainError as exc:
                attach_error(form, exc)
                report = AnnualReport.objects.filter(reporting_year=year, team=team).first()
            else:
                if "submit" in request.POST:
                    messages.success(request, f"{year.year} 年度年报已提交，等待上级确认。")
                else:
                    messages.success(request, "已保存，可稍后继续填写。")
                return redirect("orgs:annual_report", pk=year.pk, team=team.pk)
    context = {
        "year": year,
        "team": team,
        "report": report,
        "form": form,
        "can_edit": can_edit,
        "can_decide": bool(
            report and report.status == ReportStatus.SUBMITTED and _can_act_from_above(request, team.node)
        ),
        "return_form": ReasonForm(label="退回原因"),
        "breadcrumb_node": team.node,
    }
    return render(request, "orgs/annual_report.html", context)


def _report(request, pk) -> AnnualReport:
    return get_object_or_404(
        AnnualReport.objects.restrict(request.user, "view").select_related("team__node", "reporting_year"), pk=pk
    )


@staff_required
@require_POST
def annual_report_confirm(request, pk):
    report = _report(request, pk)
    _require(_can_act_from_above(request, report.team.node))
    try:
        services.annual_report_confirm(actor=request.user, report=report)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已确认「{report.team}」{report.reporting_year.year} 年度年报。")
    return redirect(_back(request, reverse("orgs:annual_report", args=[report.reporting_year_id, report.team_id])))


@staff_required
@require_POST
def annual_report_return(request, pk):
    report = _report(request, pk)
    _require(_can_act_from_above(request, report.team.node))
    try:
        services.annual_report_return(actor=request.user, report=report, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已退回「{report.team}」的年报，队伍修改后可重新提交。")
    return redirect(_back(request, reverse("orgs:annual_report", args=[report.reporting_year_id, report.team_id])))
