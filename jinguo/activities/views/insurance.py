"""Accident-insurance policies (R10) and volunteers' qualifications (R9): simple records that sign-up checks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.volunteers.models import Volunteer
from jinguo.volunteers.selectors import search_volunteers

from .. import services
from ..forms import PolicyForm, QualificationForm, apply_domain_error
from ..models import InsurancePolicy, Qualification
from .common import require_staff, run

SEARCH_LIMIT = 30


@login_required
def policy_list(request):
    scope = require_staff(request)
    q = (request.GET.get("q") or "").strip()
    policies = InsurancePolicy.objects.restrict(request.user, "view").select_related("holder")
    if q:
        policies = policies.filter(Q(insurer__contains=q) | Q(policy_number__contains=q) | Q(note__contains=q))
    if request.GET.get("valid") == "1":
        today = timezone.localdate()
        policies = policies.filter(starts_on__lte=today, ends_on__gte=today)
    policies = policies.annotate(n_covered=Count("volunteers")).order_by("-ends_on", "-id")
    return render(request, "activities/policy_list.html", {
        "page_obj": paginate(request, policies, per_page=20), "q": q, "valid": request.GET.get("valid") == "1",
        "can_create": scope.platform or bool(scope.change_paths), "today": timezone.localdate(),
    })


@login_required
def policy_create(request):
    scope = require_staff(request)
    if not (scope.platform or scope.change_paths):
        raise PermissionDenied("您的账号为只读权限，不能登记保单。")
    form = PolicyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy = services.policy_create(actor=request.user, holder=data["holder"], data=data)
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "保单已登记。请在下方添加被保险的志愿者。")
            return redirect("activities:policy_detail", pk=policy.pk)
    return render(request, "activities/policy_form.html", {"form": form})


@login_required
def policy_detail(request, pk):
    """The policy, the people it covers (with removal), and a search of her scope to add more."""
    policy = get_object_or_404(InsurancePolicy.objects.restrict(request.user, "view").select_related("holder"), pk=pk)
    can_manage = get_scope(request.user).covers(policy.holder.path, "change")
    form = PolicyForm(
        request.POST if request.POST.get("action") == "edit" else None, user=request.user, editing=True,
        initial={k: getattr(policy, k) for k in ("insurer", "policy_number", "starts_on", "ends_on", "note")},
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("您只能查看该保单，不能修改。")
        action = request.POST.get("action")
        ids = [int(v) for v in request.POST.getlist("volunteer") if v.isdigit()]
        if action == "edit" and form.is_valid():
            try:
                services.policy_update(actor=request.user, policy=policy, data=form.cleaned_data)
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "保单信息已保存。")
                return redirect("activities:policy_detail", pk=policy.pk)
        elif action in ("add", "remove"):
            if not ids:
                messages.error(request, "请先勾选志愿者。")
            else:
                people = list(Volunteer.objects.filter(pk__in=ids))
                kwargs = {"add": people} if action == "add" else {"remove": people}
                done = f"已{'添加' if action == 'add' else '移除'} {len(people)} 位被保险人。"
                run(request, services.policy_update, done, policy=policy, data={}, **kwargs)
            return redirect(f"{request.path}?q={request.POST.get('q', '')}")
    q = (request.GET.get("q") or "").strip()
    found = []
    if q and can_manage:
        found = list(search_volunteers(request.user, q=q).exclude(policies=policy).order_by("name_initials", "id")[
            :SEARCH_LIMIT])
    covered = policy.volunteers.filter(pk__in=Volunteer.objects.restrict(request.user, "view").values("pk"))
    return render(request, "activities/policy_detail.html", {
        "policy": policy, "form": form, "can_manage": can_manage, "q": q, "found": found,
        "page_obj": paginate(request, covered.select_related("home_node").order_by("name_initials", "id"), 50),
        "total": policy.volunteers.count(), "breadcrumb_node": policy.holder, "search_limit": SEARCH_LIMIT,
    })


# ---- qualifications (R9) -------------------------------------------------------------------------------------------


@login_required
def qualifications(request):
    """Find a volunteer of her scope to record a qualification; recently recorded ones below."""
    require_staff(request)
    q = (request.GET.get("q") or "").strip()
    found = list(search_volunteers(request.user, q=q).order_by("name_initials", "id")[:SEARCH_LIMIT]) if q else []
    recent = Qualification.objects.restrict(request.user, "view").select_related("volunteer", "verified_by").order_by(
        "-created_at", "-id"
    )
    return render(request, "activities/qualifications.html", {
        "q": q, "found": found, "page_obj": paginate(request, recent, per_page=20), "search_limit": SEARCH_LIMIT,
    })


@login_required
def volunteer_qualifications(request, pk):
    volunteer = get_object_or_404(Volunteer.objects.restrict(request.user, "view").select_related("home_node"), pk=pk)
    can_manage = Volunteer.objects.restrict(request.user, "change").filter(pk=volunteer.pk).exists()
    if not get_scope(request.user).is_staff_anywhere:
        # Her own record is in her "view" scope; this page is for the staff who check certificates.
        raise PermissionDenied("资质由所在社区或队伍核验后登记。")
    form = QualificationForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("您只能查看该志愿者的资质，不能登记。")
        if form.is_valid():
            try:
                services.qualification_create(actor=request.user, volunteer=volunteer, **form.cleaned_data)
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"已为{volunteer.name}登记资质「{form.cleaned_data['name']}」。")
                return redirect("activities:volunteer_qualifications", pk=volunteer.pk)
    known = (
        Qualification.objects.restrict(request.user, "view").values_list("name", flat=True).distinct().order_by(
            "name")[:50]
    )
    return render(request, "activities/volunteer_qualifications.html", {
        "volunteer": volunteer, "form": form, "can_manage": can_manage, "today": timezone.localdate(),
        "rows": volunteer.qualifications.select_related("verified_by").order_by("name", "-valid_until"),
        "known_names": list(known), "breadcrumb_node": volunteer.home_node,
    })


@login_required
@require_POST
def qualification_delete(request, pk):
    qualification = get_object_or_404(
        Qualification.objects.restrict(request.user, "view").select_related("volunteer"), pk=pk
    )
    if not get_scope(request.user).is_staff_anywhere:
        raise PermissionDenied("资质由所在社区或队伍管理。")
    run(request, services.qualification_delete, f"已删除资质「{qualification.name}」。", qualification=qualification)
    return redirect("activities:volunteer_qualifications", pk=qualification.volunteer_id)
