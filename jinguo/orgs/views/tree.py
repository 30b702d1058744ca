"""The org tree, federation nodes and the node picker."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope

from .. import services
from ..choices import (
    FEDERATION_ORDER,
    NodeKind,
    NodeStatus,
)
from ..forms import (
    MoveForm,
    NodeCreateForm,
    NodeEditForm,
    ReasonForm,
    attach_error,
    node_labels,
    picker_queryset,
    search_nodes,
)
from ..models import Node, ReportingYear, Team
from ..selectors import (
    prime_tier_names,
    tier_names_for,
    top_nodes,
)
from .common import (
    CHILDREN_LIMIT,
    _can_act_from_above,
    _can_change,
    _children,
    _history,
    _node,
    _node_url,
    _require,
    _rows,
    staff_required,
)


@staff_required
def tree(request):
    show_inactive = request.GET.get("all") == "1"
    tops = Node.objects.filter(pk__in=[n.pk for n in top_nodes(request.user)]).select_related("team", "counter")
    rows = _rows(request, tops.order_by("path"))
    expanded = {}
    if len(rows) <= 3:
        # Open the first level at once: a cadre sees her streets and teams without a click.
        for row in rows:
            children = list(_children(request, row.node, show_inactive)[: CHILDREN_LIMIT + 1])
            expanded[row.node.pk] = (_rows(request, children[:CHILDREN_LIMIT]), len(children) > CHILDREN_LIMIT)
    for row in rows:
        if row.node.pk in expanded:
            row.children, row.more = expanded[row.node.pk]
    return render(request, "orgs/tree.html", {"rows": rows, "show_inactive": show_inactive})


@staff_required
def tree_children(request, pk):
    node = _node(request, pk)
    show_inactive = request.GET.get("all") == "1"
    children = list(_children(request, node, show_inactive)[: CHILDREN_LIMIT + 1])
    return render(
        request,
        "orgs/_tree_children.html",
        {
            "rows": _rows(request, children[:CHILDREN_LIMIT]),
            "more": len(children) > CHILDREN_LIMIT,
            "parent": node,
            "show_inactive": show_inactive,
        },
    )


@staff_required
def node_options(request):
    """<option>s for the node pickers: nodes of the user's scope matching what she types."""
    purpose = request.GET.get("purpose", "parent")
    if purpose not in ("parent", "team", "federation", "role", "region"):
        raise Http404
    exclude = None
    if request.GET.get("exclude", "").isdigit():
        exclude = Node.objects.restrict(request.user, "view").filter(pk=request.GET["exclude"]).first()
    qs = picker_queryset(request.user, purpose, exclude)
    nodes = list(search_nodes(qs, request.GET.get("node_q", "")))
    empty = "全部" if purpose == "region" else "—— 请选择 ——"
    return render(request, "orgs/_node_options.html", {"options": node_labels(nodes), "empty": empty})


@staff_required
def node_detail(request, pk):
    node = _node(request, pk)
    if node.is_team:
        return redirect("orgs:team_detail", pk=node.pk)
    show_inactive = request.GET.get("all") == "1"
    children = list(_children(request, node, show_inactive).exclude(kind=NodeKind.TEAM)[: CHILDREN_LIMIT + 1])
    teams = (
        Team.objects.restrict(request.user, "view")
        .filter(node__path__startswith=node.path, node__status=NodeStatus.ACTIVE)
        .select_related("node", "node__counter")
        .order_by("team_number")
    )
    page = paginate(request, teams, per_page=20)
    prime_tier_names([t.node for t in page.object_list])
    row = _rows(request, [node])[0]
    context = {
        "node": node,
        "row": row,
        "breadcrumb_node": node,
        "counts": row.counts,
        "children": _rows(request, children[:CHILDREN_LIMIT]),
        "children_more": len(children) > CHILDREN_LIMIT,
        "page_obj": page,
        "history": _history(request, node),
        "tier_names": tier_names_for(node),
        "show_inactive": show_inactive,
        "reporting_years": ReportingYear.objects.restrict(request.user).filter(node=node)[:5],
    }
    return render(request, "orgs/node_detail.html", context)


@staff_required
def node_create(request, pk):
    parent = _node(request, pk)
    _require(_can_change(request, parent))
    if parent.is_team:
        return redirect("orgs:team_create", pk=parent.pk)
    if parent.kind == FEDERATION_ORDER[-1]:
        messages.info(request, f"「{parent.name}」是最基层的妇联组织，其下只能登记志愿服务队伍。")
        return redirect("orgs:team_create", pk=parent.pk)
    form = NodeCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            node = services.node_create(actor=request.user, parent=parent, **form.cleaned_data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"已新建「{node.name}」。")
            return redirect("orgs:node_detail", pk=node.pk)
    return render(
        request,
        "orgs/node_form.html",
        {"form": form, "parent": parent, "breadcrumb_node": parent, "title": f"在「{parent.name}」下新建下级妇联组织"},
    )


@staff_required
def node_edit(request, pk):
    node = _node(request, pk)
    _require(_can_change(request, node))
    initial = {
        "name": node.name,
        "code": node.code,
        "team_tier_names": node.team_tier_names,
        "requires_publish_approval": node.requires_publish_approval,
    }
    form = NodeEditForm(request.POST or None, initial=initial, node=node)
    if request.method == "POST" and form.is_valid():
        try:
            services.node_update(actor=request.user, node=node, **form.cleaned_data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect(_node_url(node))
    inherited = ",".join(tier_names_for(Node.objects.get_parent(node) or node)) if node.depth > 1 else ""
    return render(
        request,
        "orgs/node_form.html",
        {
            "form": form,
            "node": node,
            "breadcrumb_node": node,
            "title": f"修改「{node.name}」",
            "inherited_tiers": inherited,
        },
    )


@staff_required
def node_move(request, pk):
    node = _node(request, pk)
    _require(_can_act_from_above(request, node))
    form = MoveForm(request.POST or None, user=request.user, node=node)
    if request.method == "POST" and form.is_valid():
        try:
            node = services.node_move(actor=request.user, node=node, new_parent=form.cleaned_data["new_parent"])
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"已将「{node.name}」移至「{form.cleaned_data['new_parent'].name}」。")
            return redirect(_node_url(node))
    return render(
        request, "orgs/node_move.html", {"form": form, "node": node, "breadcrumb_node": node, "exclude": node.pk}
    )


@staff_required
def node_dissolve(request, pk):
    node = _node(request, pk)
    _require(_can_act_from_above(request, node) or (node.depth == 1 and get_scope(request.user).platform))
    form = ReasonForm(request.POST or None, label="撤销原因")
    if request.method == "POST" and form.is_valid():
        try:
            services.node_dissolve(actor=request.user, node=node, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"已撤销「{node.name}」，历史记录已保留。")
            return redirect(_node_url(node))
    return render(request, "orgs/node_dissolve.html", {"form": form, "node": node, "breadcrumb_node": node})


@staff_required
@require_POST
def node_delete(request, pk):
    node = _node(request, pk)
    _require(_can_act_from_above(request, node) or (node.depth == 1 and get_scope(request.user).platform))
    parent = Node.objects.get_parent(node)
    name = node.name
    try:
        services.node_delete(actor=request.user, node=node)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_node_url(node))
    messages.success(request, f"已删除「{name}」。")
    return redirect(_node_url(parent) if parent is not None else reverse("orgs:tree"))
