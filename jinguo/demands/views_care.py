"""Care pages (结对, F9). Staff: recipients (list with filters and paging, detail, entry and edit), pairings (list,
detail, create, add/remove volunteers, lead, end), the overdue list. A volunteer on her phone: 我的结对 with the next
visit due, and the visit log form.

Rows come through `.restrict(user, action)`; a recipient's full phone, address, guardian and notes only through
`selectors_care.can_see_details` (R23), each full view audited."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.core.shortcuts import require_staff, run_service
from jinguo.volunteers.models import Volunteer

from . import selectors_care as selectors
from . import services_care as services
from .care_models import CarePairing, CareRecipient, PairingMember, PairingStatus
from .forms_care import (
    AddVolunteerForm,
    PairingFilterForm,
    PairingForm,
    ReasonForm,
    RecipientFilterForm,
    RecipientForm,
    VisitLogForm,
    apply_domain_error,
)


def _recipient(request, pk, action: str = "view") -> CareRecipient:
    return get_object_or_404(selectors.recipients_for(request.user, action), pk=pk)


def _pairing(request, pk, action: str = "view") -> CarePairing:
    return get_object_or_404(selectors.pairings_for(request.user, action), pk=pk)


def _own_volunteer(request) -> Volunteer | None:
    return Volunteer.objects.filter(user_id=request.user.pk).first() if request.user.is_authenticated else None


def _can_change_pairing(user, pairing: CarePairing) -> bool:
    scope = get_scope(user)
    return scope.covers(pairing.organiser.path, "change") or scope.covers(pairing.recipient.node.path, "change")


def _decorate(pairings, user, today=None):
    today = today or timezone.localdate()
    for pairing in pairings:
        pairing.overdue = selectors.is_overdue(pairing, today)
        pairing.days_left = (pairing.next_due - today).days if pairing.next_due else None
        pairing.overdue_days = -pairing.days_left if pairing.days_left is not None else 0
        pairing.details = selectors.can_see_details(user, pairing.recipient)
    return pairings


# ---- recipients ---------------------------------------------------------------------------------------------------


@login_required
def recipient_list(request):
    scope = require_staff(request)
    form = RecipientFilterForm(request.GET or None)
    active = CarePairing.objects.filter(recipient=OuterRef("pk"), status=PairingStatus.ACTIVE)
    qs = selectors.recipients_for(request.user).annotate(
        paired=Exists(active), n_pairings=Count("pairings", filter=Q(pairings__status=PairingStatus.ACTIVE))
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(selectors.details_q(request.user), name__contains=data["q"].strip())
        if data["category"]:
            qs = qs.filter(category=data["category"])
        if data["paired"] == "yes":
            qs = qs.filter(paired=True)
        elif data["paired"] == "no":
            qs = qs.filter(paired=False)
    page = paginate(request, qs.order_by("node__path", "name", "id"), per_page=20)
    for recipient in page:
        recipient.details = selectors.can_see_details(request.user, recipient)
    context = {"form": form, "page_obj": page, "can_create": scope.platform or bool(scope.change_paths)}
    return render(request, "demands/care/recipient_list.html", context)


@login_required
def recipient_create(request):
    scope = require_staff(request)
    if not (scope.platform or scope.change_paths):
        raise PermissionDenied("您的账号为只读权限，不能登记结对对象。")
    form = RecipientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            recipient = services.recipient_create(
                actor=request.user, node=form.cleaned_data["node"], data=form.service_data()
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "已登记。可以为她（他）安排结对志愿者了。")
            return redirect("demands:care_recipient_detail", pk=recipient.pk)
    return render(request, "demands/care/recipient_form.html", {"form": form, "recipient": None})


@login_required
def recipient_detail(request, pk):
    recipient = _recipient(request, pk)
    details = selectors.can_see_details(request.user, recipient)
    if details:
        selectors.record_full_view(request.user, recipient, "对象详情页")
    pairings = _decorate(list(selectors.pairings_for(request.user).filter(recipient=recipient)), request.user)
    scope = get_scope(request.user)
    context = {
        "recipient": recipient,
        "details": details,
        "pairings": pairings,
        "can_change": scope.covers(recipient.node.path, "change"),
        "breadcrumb_node": recipient.node if scope.covers(recipient.node.path) else None,
    }
    return render(request, "demands/care/recipient_detail.html", context)


@login_required
def recipient_edit(request, pk):
    recipient = _recipient(request, pk, "change")
    if not selectors.can_see_details(request.user, recipient):
        raise PermissionDenied("只有对象所在社区及其上一级妇联的工作人员可以修改对象信息。")
    form = RecipientForm(request.POST or None, instance=recipient, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.recipient_update(
                actor=request.user, recipient=recipient, data=form.service_data(), node=form.cleaned_data["node"]
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("demands:care_recipient_detail", pk=recipient.pk)
    else:
        selectors.record_full_view(request.user, recipient, "修改表单")
    return render(request, "demands/care/recipient_form.html", {"form": form, "recipient": recipient})


# ---- pairings -----------------------------------------------------------------------------------------------------


@login_required
def pairing_create(request, pk):
    recipient = _recipient(request, pk, "change")
    form = PairingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pairing = services.pairing_create(
                actor=request.user, recipient=recipient, organiser=data["organiser"], kind=data["kind"],
                volunteers=data["volunteers"], lead=data["lead"], start_date=data["start_date"],
                frequency=data["frequency"], interval_days=data["interval_days"], plan_note=data["plan_note"],
            )  # fmt: skip
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc, aliases={"volunteers": "volunteer_numbers", "lead": "lead_number"})
        else:
            messages.success(request, "结对已建立，志愿者会收到通知。")
            return redirect("demands:care_pairing_detail", pk=pairing.pk)
    context = {"form": form, "recipient": recipient, "breadcrumb_node": recipient.node}
    return render(request, "demands/care/pairing_form.html", context)


def _pairing_rows(request, qs, form):
    if form.is_valid():
        data = form.cleaned_data
        if data.get("q"):
            qs = qs.filter(selectors.details_q(request.user, "recipient__"), recipient__name__contains=data["q"].strip())
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("overdue"):
            qs = qs.filter(status=PairingStatus.ACTIVE, next_due__lt=selectors.overdue_since(timezone.localdate()))
    page = paginate(request, qs, per_page=20)
    _decorate(page, request.user)
    return page


@login_required
def pairing_list(request):
    require_staff(request)
    form = PairingFilterForm(request.GET or None)
    qs = selectors.pairings_for(request.user).order_by("status", "next_due", "-id")
    context = {"form": form, "page_obj": _pairing_rows(request, qs, form), "overdue_page": False}
    return render(request, "demands/care/pairing_list.html", context)


@login_required
def overdue_list(request):
    require_staff(request)
    form = PairingFilterForm(request.GET or None)
    qs = selectors.overdue_pairings(request.user)
    context = {
        "form": form, "page_obj": _pairing_rows(request, qs, form), "overdue_page": True,
        "grace_days": settings.CARE_VISIT_GRACE_DAYS,
    }
    return render(request, "demands/care/pairing_list.html", context)


@login_required
def pairing_detail(request, pk):
    pairing = _pairing(request, pk)
    _decorate([pairing], request.user)
    if pairing.details:
        selectors.record_full_view(request.user, pairing.recipient, "结对详情页")
    volunteer = _own_volunteer(request)
    current = pairing.current_members
    is_member = volunteer is not None and any(m.volunteer_id == volunteer.pk for m in current)
    can_change = _can_change_pairing(request.user, pairing)
    visits = (
        pairing.visits.prefetch_related("attendances__volunteer", "attendances__record").order_by("-start_at", "-id")
    )
    context = {
        "pairing": pairing,
        "recipient": pairing.recipient,
        "members": current,
        "former": [m for m in pairing.members.select_related("volunteer") if m.left_at is not None],
        "visits": paginate(request, visits, per_page=10),
        "page_obj": None,
        "can_change": can_change,
        "can_log": pairing.is_active and (is_member or get_scope(request.user).covers(pairing.organiser.path, "change")),
        "end_form": ReasonForm(),
        "add_form": AddVolunteerForm(user=request.user),
        "breadcrumb_node": pairing.recipient.node if get_scope(request.user).covers(pairing.recipient.node.path) else None,
    }
    return render(request, "demands/care/pairing_detail.html", context)


@login_required
@require_POST
def pairing_end(request, pk):
    pairing = _pairing(request, pk, "change")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写结束结对的原因。")
    else:
        run_service(request, services.pairing_end, "结对已结束。", pairing=pairing, reason=form.cleaned_data["reason"])
    return redirect("demands:care_pairing_detail", pk=pairing.pk)


@login_required
@require_POST
def pairing_add_volunteer(request, pk):
    pairing = _pairing(request, pk, "change")
    form = AddVolunteerForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, form.errors.get("number", ["请填写志愿者编号。"])[0])
    else:
        run_service(request, services.pairing_add_volunteer, "已加入结对。", pairing=pairing, volunteer=form.volunteer,
                    make_lead=form.cleaned_data["make_lead"])
    return redirect("demands:care_pairing_detail", pk=pairing.pk)


def _member(pairing: CarePairing, volunteer_pk) -> Volunteer:
    member = get_object_or_404(
        PairingMember.objects.select_related("volunteer"), pairing=pairing, volunteer_id=volunteer_pk,
        left_at__isnull=True,
    )
    return member.volunteer


@login_required
@require_POST
def pairing_remove_volunteer(request, pk, volunteer_pk):
    pairing = _pairing(request, pk, "change")
    volunteer = _member(pairing, volunteer_pk)
    run_service(request, services.pairing_remove_volunteer, "已移出结对。", pairing=pairing, volunteer=volunteer,
                reason=request.POST.get("reason", ""))
    return redirect("demands:care_pairing_detail", pk=pairing.pk)


@login_required
@require_POST
def pairing_set_lead(request, pk, volunteer_pk):
    pairing = _pairing(request, pk, "change")
    volunteer = _member(pairing, volunteer_pk)
    run_service(request, services.pairing_set_lead, "负责人已更改。", pairing=pairing, volunteer=volunteer)
    return redirect("demands:care_pairing_detail", pk=pairing.pk)


# ---- her phone ----------------------------------------------------------------------------------------------------


@login_required
def my_pairings(request):
    volunteer = _own_volunteer(request)
    pairings = _decorate(list(selectors.my_pairings(request.user)), request.user) if volunteer else []
    return render(request, "demands/care/mine.html", {"volunteer": volunteer, "pairings": pairings})


@login_required
def visit_create(request, pk):
    pairing = _pairing(request, pk)
    volunteer = _own_volunteer(request)
    members = pairing.current_members
    is_member = volunteer is not None and any(m.volunteer_id == volunteer.pk for m in members)
    if not pairing.is_active or not (is_member or get_scope(request.user).covers(pairing.organiser.path, "change")):
        raise PermissionDenied("只有结对志愿者或负责该结对的队伍、组织可以填写走访记录。")
    form = VisitLogForm(request.POST or None, members=members, me=volunteer if is_member else None)
    if request.method == "POST" and form.is_valid():
        start_at, end_at = form.times()
        data = form.cleaned_data
        try:
            services.visit_log_create(
                actor=request.user, pairing=pairing, volunteers=form.chosen(), start_at=start_at, end_at=end_at,
                content=data["content"], situation=data["situation"], follow_up_needed=data["follow_up_needed"],
                follow_up_note=data["follow_up_note"], idempotency_key=data["idempotency_key"],
            )  # fmt: skip
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc, aliases={"start_at": "start", "end_at": "end"})
        else:
            messages.success(request, "走访记录已保存，服务时长已记入。")
            if is_member:
                return redirect("demands:care_mine")
            return redirect("demands:care_pairing_detail", pk=pairing.pk)
    _decorate([pairing], request.user)
    return render(request, "demands/care/visit_form.html", {"form": form, "pairing": pairing})
