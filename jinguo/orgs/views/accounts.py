"""Accounts and roles: list, create, grant and revoke roles, password reset, (de)activation."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError
from jinguo.core.masking import mask_phone
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope

from .. import services
from ..forms import (
    AccountCreateForm,
    AccountFilterForm,
    RoleGrantForm,
    attach_error,
)
from ..models import RoleAssignment
from .common import _no_store, admin_required

User = get_user_model()


def _account_users(request):
    """Accounts that hold (or held) a role in the user's subtree."""
    scope = get_scope(request.user)
    if scope.platform:
        return User.objects.all()
    assignments = RoleAssignment.objects.restrict(request.user, "change")
    return User.objects.filter(pk__in=assignments.values("user_id"))


def _account(request, pk):
    return get_object_or_404(_account_users(request), pk=pk)


@admin_required
def account_list(request):
    form = AccountFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    users = _account_users(request)
    if data.get("q"):
        q = data["q"].strip()
        users = users.filter(Q(display_name__contains=q) | Q(username__icontains=q) | Q(phone__contains=q))
    if data.get("role"):
        in_scope = RoleAssignment.objects.restrict(request.user, "change").current().filter(role=data["role"])
        users = users.filter(pk__in=in_scope.values("user_id"))
    if data.get("active") in ("0", "1"):
        users = users.filter(is_active=data["active"] == "1")
    page = paginate(request, users.order_by("username"), per_page=20)
    roles: dict[int, list] = {}
    for assignment in (
        RoleAssignment.objects.restrict(request.user, "change")
        .current()
        .filter(user__in=[u.pk for u in page.object_list])
        .select_related("node")
        .order_by("node__path")
    ):
        roles.setdefault(assignment.user_id, []).append(assignment)
    for user in page.object_list:
        user.scoped_roles = roles.get(user.pk, [])
        user.phone_masked = mask_phone(user.phone) if user.phone else ""
    return render(request, "orgs/account_list.html", {"form": form, "page_obj": page})


@admin_required
def account_create(request):
    initial = {}
    if request.GET.get("node", "").isdigit():
        initial["node"] = int(request.GET["node"])
    form = AccountCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.account_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return _no_store(
                render(request, "orgs/password_once.html", {"account": user, "password": password, "created": True})
            )
    return render(request, "orgs/account_form.html", {"form": form})


@admin_required
def account_detail(request, pk):
    account = _account(request, pk)
    scope = get_scope(request.user)
    assignments = RoleAssignment.objects.restrict(request.user, "change").filter(user=account).select_related("node")
    assignments = assignments.order_by("revoked_at", "node__path")
    if request.method == "POST":
        form = RoleGrantForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.role_grant(actor=request.user, user=account, **form.cleaned_data)
            except DomainError as exc:
                attach_error(form, exc)
            else:
                messages.success(request, "已授予角色。")
                return redirect("orgs:account_detail", pk=account.pk)
    else:
        form = RoleGrantForm(user=request.user)
    can_reset = services.can_reset_password(request.user, account)
    other_roles = (
        RoleAssignment.objects.current().filter(user=account).exclude(pk__in=assignments.values("pk")).count()
        if not scope.platform
        else 0
    )
    context = {
        "account": account,
        "assignments": assignments,
        "form": form,
        "can_reset": can_reset,
        "other_roles": other_roles,
        "is_self": account.pk == request.user.pk,
        "phone_masked": mask_phone(account.phone) if account.phone else "",
    }
    return render(request, "orgs/account_detail.html", context)


@admin_required
@require_POST
def role_revoke(request, pk):
    assignment = get_object_or_404(
        RoleAssignment.objects.restrict(request.user, "change").select_related("user", "node"), pk=pk
    )
    try:
        services.role_revoke(actor=request.user, assignment=assignment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"已撤销 {assignment.user} 在「{assignment.node.name}」的{assignment.get_role_display()}角色。"
        )
    return redirect("orgs:account_detail", pk=assignment.user_id)


@admin_required
@require_POST
def account_password_reset(request, pk):
    account = _account(request, pk)
    try:
        password = services.password_reset(actor=request.user, user=account)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:account_detail", pk=account.pk)
    return _no_store(render(request, "orgs/password_once.html", {"account": account, "password": password}))


@admin_required
@require_POST
def account_set_active(request, pk):
    account = _account(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.account_set_active(actor=request.user, user=account, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已{'启用' if active else '停用'}账号 {account}。")
    return redirect("orgs:account_detail", pk=account.pk)
