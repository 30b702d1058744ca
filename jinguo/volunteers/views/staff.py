"""Staff pages: search and rosters (F4), staff registration (F3, R25), a volunteer's record (masked, audited
full view, corrections) and identity disputes (R25, R26)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jinguo.core import audit
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES, NodeKind
from jinguo.orgs.models import Node

from .. import selectors, services
from ..bitmask import labels_of
from ..choices import HONOURS, DisputeStatus, MembershipStatus
from ..forms import (
    DisputeResolveForm,
    RosterFilterForm,
    StaffEditForm,
    StaffVolunteerForm,
    age_today,
    apply_domain_error,
    profile_initial,
)
from ..models import IdentityDispute, Membership, Volunteer
from .common import (
    ERROR_ALIASES,
    require_changer,
    require_staff,
)


@login_required
def dispute_list(request):
    require_staff(request)
    status = request.GET.get("status", DisputeStatus.OPEN)
    disputes = IdentityDispute.objects.restrict(request.user, "view").select_related("volunteer", "handling_node")
    if status in DisputeStatus.values:
        disputes = disputes.filter(status=status)
    page = paginate(request, disputes.order_by("-created_at", "-id"))
    return render(
        request,
        "volunteers/dispute_list.html",
        {"page_obj": page, "status": status, "statuses": DisputeStatus.choices},
    )


@login_required
def dispute_detail(request, pk):
    require_staff(request)
    dispute = get_object_or_404(
        IdentityDispute.objects.restrict(request.user, "view").select_related(
            "volunteer__home_node", "volunteer__registered_via", "volunteer__created_by", "handling_node", "handled_by"
        ),
        pk=pk,
    )
    scope = get_scope(request.user)
    can_resolve = scope.covers(dispute.handling_node.path, "change")
    form = DisputeResolveForm(request.POST or None)
    if request.method == "POST":
        if not can_resolve:
            raise PermissionDenied("您的账号为只读权限，不能处理申诉。")
        if form.is_valid():
            try:
                services.dispute_resolve(
                    actor=request.user,
                    dispute=dispute,
                    upheld=form.cleaned_data["upheld"],
                    resolution=form.cleaned_data["resolution"],
                )
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None
            except DomainError as exc:
                if exc.field not in form.fields:
                    messages.error(request, exc.message)
                    return redirect("volunteers:dispute_detail", pk=dispute.pk)
                apply_domain_error(form, exc)
            else:
                messages.success(request, "申诉已处理，结果已记入档案历史。")
                return redirect("volunteers:dispute_detail", pk=dispute.pk)
    volunteer = dispute.volunteer
    context = {
        "dispute": dispute,
        "volunteer": volunteer,
        "where": services.where_registered(volunteer),
        "form": form,
        "can_resolve": can_resolve and dispute.status == DisputeStatus.OPEN,
        "can_see_contact": can_resolve,
        "volunteer_visible": Volunteer.objects.restrict(request.user, "view").filter(pk=volunteer.pk).exists(),
        "breadcrumb_node": dispute.handling_node,
    }
    return render(request, "volunteers/dispute_detail.html", context)


def _open_memberships_prefetch():
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(status__in=(MembershipStatus.ACTIVE, MembershipStatus.APPLIED))
        .select_related("team")
        .order_by("team__path"),
        to_attr="open_memberships",
    )


@login_required
def volunteer_list(request):
    scope = require_staff(request)
    form = RosterFilterForm(request.GET or None, user=request.user)
    sort = form.sort_key()
    volunteers = (
        selectors.search_volunteers(request.user, **form.search_kwargs())
        .order_by(*selectors.SORTS[sort])
        .prefetch_related(_open_memberships_prefetch())
    )
    page = paginate(request, volunteers)
    context = {
        "form": form,
        "page_obj": page,
        "can_change": scope.platform or bool(scope.change_paths),
        "filters": [(key, value) for key, value in request.GET.items() if key != "page" and value],
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "volunteers/includes/roster_table.html", context)
    return render(request, "volunteers/list.html", context)


@login_required
def volunteer_create(request):
    """Staff enter a registration from a paper form: it waits for her own confirmation (R25)."""
    require_changer(request)
    initial = {}
    team_id = request.GET.get("team")
    if team_id and team_id.isdigit():
        team = Node.objects.restrict(request.user, "change").filter(kind=NodeKind.TEAM, pk=team_id).first()
        if team is not None:
            initial["team"] = team.pk
    form = StaffVolunteerForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.volunteer_create_by_staff(
                actor=request.user,
                raw=form.raw(),
                home_node=form.cleaned_data["home_node"],
                team=form.cleaned_data.get("team"),
                guardian=form.guardian(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {**ERROR_ALIASES, "home_node": "home_node"})
        else:
            messages.success(
                request,
                f"已登记「{volunteer.name}」（{volunteer.number}），状态为待本人确认。"
                f"确认短信已发送至 {volunteer.phone_masked}。",
            )
            return redirect("volunteers:detail", pk=volunteer.pk)
    age = age_today(form.birth_date) if form.is_bound else None
    context = {
        "form": form,
        "show_guardian": age is not None and age < 18,
        "guardian_required": age is not None and age < services.GUARDIAN_AGE,
    }
    return render(request, "volunteers/staff_form.html", context)


def _visible_volunteer(request, pk, action: str = "view") -> Volunteer:
    return get_object_or_404(
        Volunteer.objects.restrict(request.user, action).select_related(
            "home_node", "registered_via", "created_by", "user"
        ),
        pk=pk,
    )


@login_required
def volunteer_detail(request, pk):
    volunteer = _visible_volunteer(request, pk)
    scope = get_scope(request.user)
    if volunteer.user_id == request.user.pk and not scope.is_staff_anywhere:
        return redirect("volunteers:me")
    changeable = Volunteer.objects.restrict(request.user, "change").filter(pk=volunteer.pk).exists()
    context = {
        "volunteer": volunteer,
        "can_change": changeable,
        "can_reveal": Volunteer.objects.restrict(request.user, "personal").filter(pk=volunteer.pk).exists(),
        "memberships": volunteer.memberships.select_related("team", "decided_by").order_by("-created_at", "-id"),
        "consents": volunteer.consents.all(),
        "history": audit.history(volunteer).select_related("actor")[:50],
        "disputes": IdentityDispute.objects.restrict(request.user, "view").filter(volunteer=volunteer),
        "age": volunteer.age(),
        "category_labels": labels_of(volunteer.categories_mask, SERVICE_CATEGORIES),
        "availability_labels": labels_of(volunteer.availability_mask, SERVICE_TIMES),
        "honour_labels": labels_of(volunteer.honours_mask, HONOURS),
        "breadcrumb_node": volunteer.home_node,
    }
    return render(request, "volunteers/detail.html", context)


@login_required
@require_POST
def volunteer_reveal_id(request, pk):
    volunteer = _visible_volunteer(request, pk)
    try:
        number = services.volunteer_reveal_id(actor=request.user, volunteer=volunteer)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    template = "volunteers/includes/revealed_id.html" if request.htmx else "volunteers/revealed_id_page.html"
    return render(request, template, {"number": number, "volunteer": volunteer})


@login_required
def volunteer_edit(request, pk):
    volunteer = _visible_volunteer(request, pk)
    if not Volunteer.objects.restrict(request.user, "change").filter(pk=volunteer.pk).exists():
        raise PermissionDenied("您的账号为只读权限，不能修改志愿者信息。")
    initial = {**profile_initial(volunteer), "name": volunteer.name, "id_type": volunteer.id_type}
    form = StaffEditForm(request.POST or None, initial=initial, user=request.user, volunteer=volunteer)
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_update(
                actor=request.user, volunteer=volunteer, raw=form.raw(), home_node=form.cleaned_data["home_node"]
            )
        except PermissionDeniedError as exc:
            form.add_error("home_node" if "范围" in exc.message else None, exc.message)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "志愿者信息已保存，修改已记入档案历史。")
            return redirect("volunteers:detail", pk=volunteer.pk)
    return render(
        request,
        "volunteers/staff_edit.html",
        {"form": form, "volunteer": volunteer, "breadcrumb_node": volunteer.home_node},
    )
