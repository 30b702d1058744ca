"""Certificate pages: staff lists, issue, batch, detail, revoke and reissue; her own page on a phone; the issuer's
settings; the public verification page.

Views stay thin: objects come through `Certificate.objects.restrict(user, action)` (out of scope: 404), every
change goes through a service, and a service's DomainError is shown beside the field it names.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jinguo.core import audit
from jinguo.core.audit import history
from jinguo.core.errors import DomainError
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope
from jinguo.core.shortcuts import require_staff
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.volunteers.models import Volunteer

from . import pdf, selectors, services, tasks
from .forms import (
    BatchForm,
    FilterForm,
    IssueForm,
    IssuerPickForm,
    IssuerProfileForm,
    MineIssueForm,
    RevokeForm,
    attach_error,
)
from .models import Certificate, CertificateStatus, IssuerProfile


def _require_changer(request):
    scope = require_staff(request)
    if not (scope.platform or scope.change_paths):
        raise PermissionDenied("您的账号为只读权限，不能出具证明。")
    return scope


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def _certificate(request, pk, action: str = "view") -> Certificate:
    qs = Certificate.objects.restrict(request.user, action).select_related("volunteer", "issuer", "replaced_by")
    return get_object_or_404(qs, pk=pk)


def _is_own(request, certificate: Certificate) -> bool:
    return certificate.volunteer.user_id == request.user.pk


# ---- staff: list, issue, batch ------------------------------------------------------------------------------


@login_required
@require_GET
def certificate_list(request):
    scope = require_staff(request)
    form = FilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.certificates_for(
        request.user,
        q=data.get("q", ""),
        issuer=data.get("issuer"),
        status=data.get("status", ""),
        year=data.get("year"),
    )
    page = paginate(request, qs, per_page=20)
    context = {
        "form": form,
        "page_obj": page,
        "can_change": scope.platform or bool(scope.change_paths),
        "filtered": any(request.GET.get(k) for k in ("q", "issuer", "status", "year")),
    }
    return render(request, "certificates/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def certificate_issue(request):
    _require_changer(request)
    initial = {}
    if request.GET.get("volunteer"):
        initial["volunteer"] = request.GET["volunteer"][:50]
    form = IssueForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate = services.certificate_issue(
                actor=request.user,
                volunteer=data["volunteer"],
                issuer=data["issuer"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                base_url=_base_url(request),
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"已出具志愿服务记录证明 {certificate.number}。")
            return redirect("certificates:detail", pk=certificate.pk)
    return render(request, "certificates/issue.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def certificate_batch(request):
    _require_changer(request)
    form = BatchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = tasks.certificate_batch_start(
                actor=request.user,
                node=data["node"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                who=data["who"],
                min_hours=data["min_hours"],
                base_url=_base_url(request),
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect(job.get_absolute_url())
    return render(request, "certificates/batch.html", {"form": form})


# ---- one certificate ----------------------------------------------------------------------------------------


@login_required
@require_GET
def certificate_detail(request, pk):
    certificate = _certificate(request, pk)
    scope = get_scope(request.user)
    can_change = scope.covers(certificate.issuer.path, "change")
    own = _is_own(request, certificate)
    context = {
        "certificate": certificate,
        "snap": certificate.snapshot or {},
        "code": pdf.format_code(certificate.short_code),
        "can_change": can_change,
        "own": own,
        "can_reissue": (can_change or own)
        and certificate.status == CertificateStatus.REVOKED
        and not certificate.replaced_by_id,
        "revoke_form": RevokeForm() if can_change and certificate.status == CertificateStatus.VALID else None,
        "history": history(certificate)[:20] if can_change else [],
        "verify_path": services.verify_path(certificate.short_code),
    }
    return render(request, "certificates/detail.html", context)


@login_required
@require_GET
def certificate_download(request, pk):
    certificate = _certificate(request, pk)
    content = pdf.render_certificate(certificate)
    if not _is_own(request, certificate):
        # Staff downloading someone's certificate: it carries her personal data (masked), so it is accountable.
        audit.record(
            request.user,
            "certificate.downloaded",
            target=certificate,
            node_path=certificate.issuer.path,
            summary=f"下载{certificate.volunteer.name}的志愿服务记录证明 {certificate.number}",
        )
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"志愿服务记录证明-{certificate.number}.pdf"
    response["Content-Disposition"] = content_disposition_header(not request.GET.get("inline"), filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def certificate_revoke(request, pk):
    certificate = _certificate(request, pk, "change")
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写作废原因。")
        return redirect("certificates:detail", pk=certificate.pk)
    try:
        services.certificate_revoke(actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"证明 {certificate.number} 已作废，已通知志愿者本人。")
    return redirect("certificates:detail", pk=certificate.pk)


@login_required
@require_POST
def certificate_reissue(request, pk):
    certificate = _certificate(request, pk)
    own = _is_own(request, certificate)
    try:
        new = services.certificate_reissue(actor=request.user, certificate=certificate, base_url=_base_url(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("certificates:mine" if own else "certificates:detail", **({} if own else {"pk": pk}))
    messages.success(request, f"已重新出具证明 {new.number}，原证明 {certificate.number} 已由其替代。")
    if own:
        return redirect("certificates:mine")
    return redirect("certificates:detail", pk=new.pk)


# ---- her own page -------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def mine(request):
    volunteer = Volunteer.objects.filter(user=request.user).first()
    if volunteer is None:
        return render(request, "certificates/mine_none.html")
    options = selectors.issuer_options(volunteer)
    form = MineIssueForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        start, end = form.period()
        issuer = form.options[form.cleaned_data["issuer"]]["node"]
        try:
            certificate, created = services.certificate_issue_or_reuse(
                actor=request.user,
                volunteer=volunteer,
                issuer=issuer,
                period_start=start,
                period_end=end,
                base_url=_base_url(request),
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            if created:
                messages.success(request, f"证明已出具：{certificate.number}，可以下载了。")
            else:
                messages.info(request, f"您已有内容相同的有效证明 {certificate.number}，可以直接下载。")
            return redirect(f"{reverse('certificates:mine')}#c{certificate.pk}")
    certificates = (
        Certificate.objects.restrict(request.user, "view")
        .filter(volunteer=volunteer)
        .select_related("issuer", "replaced_by")
        .order_by("-issued_at", "-id")
    )
    page = paginate(request, certificates, per_page=10)
    context = {
        "volunteer": volunteer,
        "form": form,
        "options": options,
        "page_obj": page,
        "confirmed": volunteer.is_confirmed,
    }
    return render(request, "certificates/mine.html", context)


# ---- the issuer's settings ----------------------------------------------------------------------------------


@login_required
@require_GET
def issuer_settings(request):
    """The nodes the user administers, with what their certificates print; any other node in her scope through
    the picker."""
    _require_changer(request)
    scope = get_scope(request.user)
    nodes = Node.objects.restrict(request.user, "change")
    if scope.platform:
        own = list(nodes.filter(depth=1))
    else:
        node_ids = RoleAssignment.objects.current().filter(user=request.user).values("node_id")
        own = list(nodes.filter(pk__in=node_ids).order_by("path"))
    configured = (
        IssuerProfile.objects.restrict(request.user, "change").select_related("node").order_by("node__path")[:100]
    )
    rows = [{"node": node, "info": selectors.issuer_info(node)} for node in own]
    form = IssuerPickForm(user=request.user)
    return render(
        request,
        "certificates/settings.html",
        {"rows": rows, "configured": configured, "picker": form["issuer"]},
    )


@login_required
@require_GET
def issuer_pick(request):
    """The settings page's picker sends the chosen node here."""
    _require_changer(request)
    pk = request.GET.get("issuer", "")
    node = Node.objects.restrict(request.user, "change").filter(pk=pk).first() if pk.isdigit() else None
    if node is None:
        messages.error(request, "请先选择您管辖范围内的单位。")
        return redirect("certificates:settings")
    return redirect("certificates:issuer_profile", pk=node.pk)


@login_required
@require_http_methods(["GET", "POST"])
def issuer_profile(request, pk):
    _require_changer(request)
    node = get_object_or_404(Node.objects.restrict(request.user, "change"), pk=pk)
    profile = IssuerProfile.objects.filter(node=node).first()
    initial = {}
    if profile is not None:
        initial = {
            "person_in_charge": profile.person_in_charge,
            "handler": profile.handler,
            "contact_phone": profile.contact_phone,
            "seal_text": profile.seal_text,
        }
    elif node.is_team:
        initial = {"person_in_charge": node.team.leader_name}
    form = IssuerProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.issuer_profile_save(actor=request.user, node=node, **form.cleaned_data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"「{node.name}」的证明落款已保存。")
            return redirect("certificates:settings")
    context = {"node": node, "form": form, "info": selectors.issuer_info(node), "breadcrumb_node": node}
    return render(request, "certificates/issuer_profile.html", context)


# ---- public verification ------------------------------------------------------------------------------------


@require_GET
def verify_start(request):
    """Public: type the code printed on a certificate."""
    code = services.normalise_code(request.GET.get("code", ""))
    if code:
        return redirect("certificate_verify", code=code)
    return render(request, "certificates/verify_start.html")


@require_GET
def verify(request, code):
    """Public: what the QR code on a certificate opens. Masked facts and whether it is valid; for an unknown code
    only 未找到 (the code is random: there is nothing to walk through)."""
    normalised = services.normalise_code(code)
    certificate = (
        Certificate.objects.select_related("issuer", "replaced_by", "volunteer").filter(short_code=normalised).first()
        if normalised
        else None
    )
    if certificate is None:
        return render(request, "certificates/verify.html", {"found": False, "code": ""}, status=404)
    facts = selectors.public_facts(certificate)
    return render(
        request,
        "certificates/verify.html",
        {"found": True, "facts": facts, "code": pdf.format_code(certificate.short_code)},
    )
