"""Her own pages, on a phone (R5): profile, volunteer card with QR and its public check, corrections, her data as
JSON, withdrawing consent, finding a team to join, leaving one."""

import json

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.masking import mask_name
from jinguo.core.paging import paginate
from jinguo.orgs.choices import SERVICE_CATEGORY_LABELS, NodeKind, NodeStatus
from jinguo.orgs.models import Node, Team

from .. import consent_texts, services
from ..choices import ConsentKind, MembershipStatus, VolunteerStatus
from ..forms import (
    SelfEditForm,
    TeamSearchForm,
    WithdrawForm,
    apply_domain_error,
    profile_initial,
)
from ..models import Membership, Volunteer
from .common import (
    CARD_SALT,
    own_volunteer,
)


def _card_url(request, volunteer: Volunteer) -> str:
    token = signing.Signer(salt=CARD_SALT).sign(volunteer.number)
    return request.build_absolute_uri(reverse("volunteers:card_check", args=[token]))


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, omitsize=True, border=2)


@login_required
def me(request):
    volunteer = own_volunteer(request)
    if volunteer is None:
        return render(request, "volunteers/me_none.html")
    memberships = list(
        volunteer.memberships.filter(status__in=(MembershipStatus.ACTIVE, MembershipStatus.APPLIED))
        .select_related("team")
        .order_by("status", "team__path")
    )
    card_url = _card_url(request, volunteer)
    context = {
        "volunteer": volunteer,
        "teams": [m for m in memberships if m.status == MembershipStatus.ACTIVE],
        "applications": [m for m in memberships if m.status == MembershipStatus.APPLIED],
        "qr_svg": _qr_svg(card_url),
        "card_url": card_url,
        "age": volunteer.age(),
    }
    return render(request, "volunteers/me.html", context)


@login_required
def me_card(request):
    volunteer = own_volunteer(request)
    if volunteer is None:
        raise Http404
    teams = volunteer.memberships.filter(status=MembershipStatus.ACTIVE).select_related("team").order_by("team__path")
    card_url = _card_url(request, volunteer)
    return render(
        request,
        "volunteers/me_card.html",
        {"volunteer": volunteer, "teams": teams, "qr_svg": _qr_svg(card_url), "card_url": card_url},
    )


def card_check(request, token):
    """Public: what the QR code on a volunteer card opens. Masked name, number, status and teams only; the
    signature means nobody can walk through volunteer numbers."""
    try:
        number = signing.Signer(salt=CARD_SALT).unsign(token)
    except signing.BadSignature:
        raise Http404 from None
    volunteer = Volunteer.objects.filter(number=number).first()
    if volunteer is None:
        raise Http404
    teams = (
        volunteer.memberships.filter(status=MembershipStatus.ACTIVE, team__status=NodeStatus.ACTIVE)
        .select_related("team")
        .order_by("team__path")
    )
    return render(
        request,
        "volunteers/card_check.html",
        {
            "masked_name": mask_name(volunteer.name),
            "number": volunteer.number,
            "status": volunteer.get_status_display(),
            "is_active": volunteer.status == VolunteerStatus.ACTIVE,
            "teams": [m.team.name for m in teams],
            "checked_at": timezone.localtime(),
        },
    )


@login_required
def me_edit(request):
    volunteer = own_volunteer(request)
    if volunteer is None:
        raise Http404
    form = SelfEditForm(request.POST or None, initial=profile_initial(volunteer), volunteer=volunteer)
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_update(
                actor=request.user, volunteer=volunteer, raw=form.raw(), home_node=form.cleaned_data["home_node"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "您的信息已更新。")
            return redirect("volunteers:me")
    return render(request, "volunteers/me_edit.html", {"form": form, "volunteer": volunteer})


@login_required
@require_POST
def me_export(request):
    volunteer = own_volunteer(request)
    if volunteer is None:
        raise Http404
    data = services.volunteer_export_own(actor=request.user, volunteer=volunteer)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="volunteer-{volunteer.number}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def me_consent(request):
    volunteer = own_volunteer(request)
    if volunteer is None:
        raise Http404
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            try:
                services.consent_withdraw(actor=request.user, volunteer=volunteer, kind=kind)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if kind == ConsentKind.SHARING:
                    messages.success(request, "已撤回向全国志愿服务信息系统报送的同意。")
                else:
                    messages.success(request, "已撤回全部同意，您已退出志愿者队伍。感谢您曾经的付出！")
                return redirect("volunteers:me")
    consents = volunteer.consents.all()
    current = {c.kind for c in consents if c.withdrawn_at is None}
    return render(
        request,
        "volunteers/me_consent.html",
        {
            "volunteer": volunteer,
            "consents": consents,
            "sharing_active": ConsentKind.SHARING in current,
            "main_active": ConsentKind.PERSONAL in current,
            "texts": consent_texts.TEXTS,
        },
    )


@login_required
@require_POST
def membership_leave(request, pk):
    membership = get_object_or_404(Membership.objects.restrict(request.user, "view").select_related("team"), pk=pk)
    try:
        services.membership_leave(actor=request.user, membership=membership)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        applied = membership.status == MembershipStatus.APPLIED
        messages.success(
            request,
            f"已撤回加入「{membership.team.name}」的申请。" if applied else f"已退出「{membership.team.name}」。",
        )
    return redirect("volunteers:me")


@login_required
def team_search(request):
    """Active teams she may apply to join: a public directory (team names, places and themes are not personal)."""
    form = TeamSearchForm(request.GET or None)
    teams = Team.objects.filter(node__status=NodeStatus.ACTIVE).select_related("node", "node__counter")
    if form.is_valid():
        data = form.cleaned_data
        if data.get("q"):
            teams = teams.filter(node__name__contains=data["q"].strip())
        if data.get("region"):
            teams = teams.filter(node__path__startswith=data["region"].path)
        if data.get("category"):
            teams = teams.filter(service_categories__icontains=f'"{data["category"]}"')
    page = paginate(request, teams.order_by("node__path"))
    volunteer = own_volunteer(request)
    open_teams = {}
    if volunteer is not None:
        open_teams = dict(
            volunteer.memberships.filter(status__in=(MembershipStatus.ACTIVE, MembershipStatus.APPLIED)).values_list(
                "team_id", "status"
            )
        )
    rows = [
        (team, open_teams.get(team.node_id), [SERVICE_CATEGORY_LABELS.get(c, c) for c in team.service_categories])
        for team in page
    ]
    return render(
        request, "volunteers/team_search.html", {"form": form, "page_obj": page, "volunteer": volunteer, "rows": rows}
    )


@login_required
@require_POST
def team_apply(request, pk):
    team = get_object_or_404(Node.objects.filter(kind=NodeKind.TEAM, status=NodeStatus.ACTIVE), pk=pk)
    try:
        services.membership_apply(actor=request.user, team=team, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已提交加入「{team.name}」的申请，请等待队长审核。")
    back = request.POST.get("next", "")
    search = reverse("volunteers:team_search")
    if back.startswith(search + "?") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return redirect(back)
    return redirect(search)
