"""Teams: registration, list, detail, edit, merge, print, and filing (备案)."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope

from .. import services
from ..choices import (
    SERVICE_CATEGORY_LABELS,
    SERVICE_TIME_LABELS,
    FilingStatus,
    NodeStatus,
)
from ..forms import (
    TEAM_SORTS,
    FilingFilterForm,
    MergeForm,
    ReasonForm,
    TeamFilterForm,
    TeamForm,
    attach_error,
    backbone_formset,
    backbone_rows,
)
from ..models import Node, Team
from ..selectors import (
    filter_teams,
    prime_tier_names,
    subtree_counts,
    tier_choices,
    tier_names_for,
    top_nodes,
)
from .common import (
    _back,
    _can_act_from_above,
    _can_change,
    _children,
    _history,
    _node,
    _require,
    _rows,
    _team,
    staff_required,
)


def _team_filters(request, tier_names):
    form = TeamFilterForm(request.GET or None, user=request.user, tier_names=tier_names)
    data = form.cleaned_data if form.is_valid() else {}
    teams = filter_teams(request.user, data)
    teams = teams.order_by(*TEAM_SORTS.get(data.get("sort") or "number", TEAM_SORTS["number"]))
    return form, teams


@staff_required
def team_list(request):
    tops = top_nodes(request.user)
    tier_names = tier_names_for(tops[0]) if tops else []
    form, teams = _team_filters(request, tier_names)
    page = paginate(request, teams, per_page=20)
    prime_tier_names([t.node for t in page.object_list])
    scope = get_scope(request.user)
    return render(
        request,
        "orgs/team_list.html",
        {
            "form": form,
            "page_obj": page,
            "can_import": scope.platform or bool(scope.change_paths),
            "register_at": list(
                Node.objects.filter(path__in=scope.change_paths, status=NodeStatus.ACTIVE).order_by("path")[:10]
            ),
            "query": request.GET.copy().urlencode(),
        },
    )


def _team_form_context(request, form, formset, **extra):
    return {"form": form, "formset": formset, "category_labels": SERVICE_CATEGORY_LABELS, **extra}


@staff_required
def team_create(request, pk):
    parent = _node(request, pk)
    _require(_can_change(request, parent) and parent.is_active)
    add_row = "add_row" in request.POST
    tier_names = tier_names_for(parent)
    allowed, default_tier = tier_choices(parent)
    if not allowed:
        messages.error(request, f"「{parent.name}」已是最基层的{tier_names[-1]}，不能再设下级队伍。")
        return redirect("orgs:team_detail", pk=parent.pk)
    form = TeamForm(
        request.POST or None,
        initial={"tier": default_tier},
        tier_options=[(t, tier_names[t - 1]) for t in allowed],
    )
    formset = backbone_formset(request.POST if request.method == "POST" else None, add_row=add_row)
    if request.method == "POST" and not add_row and form.is_valid() and formset.is_valid():
        try:
            team = services.team_create(
                actor=request.user,
                parent=parent,
                name=form.cleaned_data["name"],
                data=form.service_data(),
                backbone=backbone_rows(formset),
                tier=form.cleaned_data["tier"],
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(
                request, f"已登记「{team.name}」，队伍编号 {team.team_number}。信息齐全后请「提交备案」，由上级审核。"
            )
            return redirect("orgs:team_detail", pk=team.pk)
    context = _team_form_context(
        request,
        form,
        formset,
        parent=parent,
        breadcrumb_node=parent,
        title=f"在「{parent.name}」下登记队伍",
    )
    return render(request, "orgs/team_form.html", context)


@staff_required
def team_edit(request, pk):
    team = _team(request, pk)
    _require(_can_change(request, team.node))
    add_row = "add_row" in request.POST
    initial = {"name": team.node.name, "tier": team.tier, **{key: getattr(team, key) for key in services.TEAM_FIELDS}}
    parent = Node.objects.get_parent(team.node)
    tier_names = tier_names_for(parent)
    allowed, _default = tier_choices(parent)
    if team.tier not in allowed:
        allowed = sorted({*allowed, team.tier})
    form = TeamForm(
        request.POST or None,
        initial=initial,
        tier_options=[(t, tier_names[min(t, len(tier_names)) - 1]) for t in allowed],
    )
    backbone = [
        {k: getattr(b, k) for k in ("name", "position", "phone", "work_unit", "email")} for b in team.backbone.all()
    ]
    formset = backbone_formset(request.POST if request.method == "POST" else None, initial=backbone, add_row=add_row)
    if request.method == "POST" and not add_row and form.is_valid() and formset.is_valid():
        try:
            services.team_update(
                actor=request.user,
                team=team,
                name=form.cleaned_data["name"],
                data=form.service_data(),
                backbone=backbone_rows(formset),
                tier=form.cleaned_data["tier"],
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "登记信息已保存。")
            return redirect("orgs:team_detail", pk=team.pk)
    context = _team_form_context(
        request, form, formset, team=team, breadcrumb_node=team.node, title=f"修改「{team.name}」登记信息"
    )
    return render(request, "orgs/team_form.html", context)


def _team_context(request, team: Team) -> dict:
    node = team.node
    prime_tier_names([node])
    scope = get_scope(request.user)
    sub_teams = list(_children(request, node, show_inactive=True))
    can_change = scope.covers(node.path, "change")
    can_above = scope.covers_strictly_below(node.path, "change")
    return {
        "team": team,
        "node": node,
        "breadcrumb_node": node,
        "counts": subtree_counts(node),
        "sub_rows": _rows(request, sub_teams),
        "backbone": list(team.backbone.all()),
        "categories": [SERVICE_CATEGORY_LABELS.get(c, c) for c in team.service_categories or []],
        "times": [SERVICE_TIME_LABELS.get(c, c) for c in team.service_times or []],
        "history": _history(request, node),
        "problems": services.filing_problems(team) if node.is_active else [],
        "can_change": can_change and node.is_active,
        "can_above": can_above and node.is_active,
        "can_submit": can_change
        and node.is_active
        and team.filing_status in (FilingStatus.DRAFT, FilingStatus.RETURNED),
        "can_decide": can_above and node.is_active and team.filing_status == FilingStatus.SUBMITTED,
        "merged_into": node.merged_into if node.merged_into_id else None,
        "squad_min": settings.SQUAD_MIN_MEMBERS,
        "return_form": ReasonForm(label="退回原因"),
    }


@staff_required
def team_detail(request, pk):
    node = _node(request, pk)
    if not node.is_team:
        return redirect("orgs:node_detail", pk=node.pk)
    team = _team(request, pk)
    return render(request, "orgs/team_detail.html", _team_context(request, team))


@staff_required
def team_print(request, pk):
    team = _team(request, pk)
    context = _team_context(request, team)
    context["today"] = timezone.localdate()
    context["all_categories"] = [
        (code, label, code in (team.service_categories or [])) for code, label in SERVICE_CATEGORY_LABELS.items()
    ]
    context["all_times"] = [
        (code, label, code in (team.service_times or [])) for code, label in SERVICE_TIME_LABELS.items()
    ]
    context["backbone_rows"] = context["backbone"] + [None] * max(0, 5 - len(context["backbone"]))
    return render(request, "orgs/team_print.html", context)


@staff_required
@require_POST
def team_submit(request, pk):
    team = _team(request, pk)
    _require(_can_change(request, team.node))
    try:
        services.team_submit(actor=request.user, team=team)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"「{team.name}」已提交备案，等待上级审核。")
    return redirect("orgs:team_detail", pk=team.pk)


@staff_required
@require_POST
def team_file(request, pk):
    team = _team(request, pk)
    _require(_can_act_from_above(request, team.node))
    try:
        team = services.team_file(actor=request.user, team=team)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"「{team.name}」已备案，档案编号 {team.archive_number}。")
    return redirect(_back(request, reverse("orgs:team_detail", args=[team.pk])))


@staff_required
@require_POST
def team_return(request, pk):
    team = _team(request, pk)
    _require(_can_act_from_above(request, team.node))
    reason = request.POST.get("reason", "")
    try:
        services.team_return(actor=request.user, team=team, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已退回「{team.name}」：{reason.strip()}")
    return redirect(_back(request, reverse("orgs:team_detail", args=[team.pk])))


@staff_required
def team_merge(request, pk):
    team = _team(request, pk)
    _require(_can_change(request, team.node) and team.node.is_active)
    form = MergeForm(request.POST or None, user=request.user, node=team.node)
    if request.method == "POST" and form.is_valid():
        target = get_object_or_404(Team.objects.restrict(request.user, "change"), pk=form.cleaned_data["target"].pk)
        try:
            merged = services.team_merge(
                actor=request.user, source=team, target=target, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"「{team.name}」已并入「{merged.name}」，成员和下级队伍已转入。")
            return redirect("orgs:team_detail", pk=merged.pk)
    return render(
        request, "orgs/team_merge.html", {"form": form, "team": team, "breadcrumb_node": team.node, "exclude": team.pk}
    )


@staff_required
def filing_queue(request):
    scope = get_scope(request.user)
    form = FilingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    teams = Team.objects.restrict(request.user, "change").select_related("node", "node__counter")
    if not scope.platform:
        # Her own top nodes are decided by the level above her, not by herself.
        teams = teams.exclude(node__path__in=scope.change_paths)
    status = data.get("status") or FilingStatus.SUBMITTED
    if status != "all":
        teams = teams.filter(filing_status=status)
    teams = teams.filter(node__status=NodeStatus.ACTIVE)
    if data.get("q"):
        teams = teams.filter(Q(node__name__contains=data["q"]) | Q(team_number__icontains=data["q"]))
    teams = teams.order_by("submitted_at", "team_number")
    page = paginate(request, teams, per_page=20)
    prime_tier_names([t.node for t in page.object_list])
    for team in page.object_list:
        team.problems = services.filing_problems(team) if team.filing_status == FilingStatus.SUBMITTED else []
    return render(
        request,
        "orgs/filing_queue.html",
        {"form": form, "page_obj": page, "status": status, "return_form": ReasonForm(label="退回原因")},
    )
