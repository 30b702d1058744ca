"""The phone flows (public, guarded by a phone proved with an SMS code and kept in the session, never in a URL):
her own registration (F3, R1-R6), the claim on an ID number taken by someone else (R26), and her confirmation of
what staff entered, or "不是我本人" (R25). Also the HTMX fragments they use: region picker, live ID feedback."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from jinguo.core import sms
from jinguo.core.errors import DomainError
from jinguo.core.ids import IdNumberError, parse_id
from jinguo.core.masking import mask_phone

from .. import consent_texts, services
from ..forms import (
    STAFF_GUARDIAN_LABEL,
    ClaimForm,
    ConfirmRecordForm,
    DenyForm,
    GuardianMixin,
    PhoneCodeForm,
    SelfRegistrationForm,
    age_today,
    apply_domain_error,
    region_picker_context,
)
from .common import (
    ERROR_ALIASES,
    LOGIN_BACKEND,
    User,
    forget_phone,
    own_volunteer,
    prove_phone,
    proved_phone,
)


def _send_code_step(request, form, purpose: str) -> bool:
    """The 获取验证码 button: send a code to the phone in the form. True when it was sent."""
    if not form.has_error("phone") and form.cleaned_data.get("phone"):
        try:
            services.send_code(form.cleaned_data["phone"], purpose)
        except DomainError as exc:
            apply_domain_error(form, exc)
            return False
        messages.success(request, f"验证码已发送至 {mask_phone(form.cleaned_data['phone'])}，10 分钟内有效。")
        return True
    return False


def _check_code_step(form, purpose: str) -> bool:
    """The 下一步 button: consume the code. True when the phone is proved."""
    code = form.cleaned_data.get("code")
    if not code:
        form.add_error("code", "请输入短信验证码。")
        return False
    try:
        sms.check_code(form.cleaned_data["phone"], purpose, code)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return False
    return True


def _phone_step(request, purpose: str, template: str, next_url: str, extra: dict | None = None):
    """Step one of registration and confirmation: prove the phone with a code, keep the proof in the session."""
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "send":
            _send_code_step(request, form, purpose)
        elif _check_code_step(form, purpose):
            prove_phone(request, purpose, form.cleaned_data["phone"])
            return redirect(next_url)
    return render(request, template, {"form": form, **(extra or {})})


def region_options(request):
    """Re-renders the cascading region selects after one of them changed."""
    mode = "staff" if request.GET.get("mode") == "staff" and request.user.is_authenticated else "public"
    name = request.GET.get("field", "home_node")
    if not name.isidentifier():
        raise Http404
    value = request.GET.get(f"{name}_pick") or request.GET.get("parent") or ""
    picker = region_picker_context(
        name, value, mode, request.user, widget_id=request.GET.get("wid", ""), home=request.GET.get("home") != "0"
    )
    return render(request, "volunteers/widgets/region_picker.html", {"widget": {"name": name}, "picker": picker})


def id_check(request):
    """Live feedback while she types her ID number. Format only: it never says whether a number is registered."""
    id_type = request.GET.get("id_type") or "resident"
    number = request.GET.get("id_number", "")
    context = {"show_guardian": False, "message": "", "ok": False}
    if number.strip():
        try:
            info = parse_id(id_type, number)
        except IdNumberError as exc:
            context["message"] = str(exc)
        else:
            context["ok"] = True
            if info.birth_date:
                age = age_today(info.birth_date)
                context["info"] = info
                context["age"] = age
                context["sex"] = {"F": "女", "M": "男"}.get(info.sex or "", "")
                context["show_guardian"] = age is not None and age < 18
                context["guardian_required"] = age is not None and age < services.GUARDIAN_AGE
    guardian_form = GuardianMixin(request.GET or None)
    if request.GET.get("ctx") == "staff":
        guardian_form.fields["guardian_consent"].label = STAFF_GUARDIAN_LABEL
    context["form"] = guardian_form
    context["oob"] = True
    return render(request, "volunteers/includes/id_feedback.html", context)


def register(request):
    if request.user.is_authenticated and own_volunteer(request) is not None:
        return redirect("volunteers:me")
    return _phone_step(
        request, services.SMS_REGISTER, "volunteers/register_phone.html", reverse("volunteers:register_details")
    )


def register_details(request):
    phone = proved_phone(request, services.SMS_REGISTER)
    if phone is None:
        messages.info(request, "请先验证手机号。")
        return redirect("volunteers:register")
    form = SelfRegistrationForm(request.POST or None, phone=phone)
    duplicate = False
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.volunteer_register_self(
                raw=form.raw(),
                home_node=form.cleaned_data["home_node"],
                password=form.cleaned_data["password1"],
                consents=form.consents(),
                guardian=form.guardian(),
                phone_proved=True,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, ERROR_ALIASES)
            duplicate = exc.code == "duplicate_id"
        else:
            forget_phone(request, services.SMS_REGISTER)
            login(request, volunteer.user, backend=LOGIN_BACKEND)
            messages.success(request, f"注册成功！您的志愿者编号是 {volunteer.number}。")
            return redirect("volunteers:me")
    age = age_today(form.birth_date) if form.is_bound else None
    context = {
        "form": form,
        "phone": phone,
        "duplicate": duplicate,
        "pending_here": services.pending_for_phone(phone).exists(),
        "texts": consent_texts.TEXTS,
        "version": consent_texts.VERSION,
        "show_guardian": age is not None and age < 18,
        "guardian_required": age is not None and age < services.GUARDIAN_AGE,
    }
    return render(request, "volunteers/register_details.html", context)


def claim(request):
    """R26: her ID number is registered already, not by her. She proves her phone; the level above decides."""
    initial = {"phone": proved_phone(request, services.SMS_REGISTER) or ""}
    form = ClaimForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "send":
            _send_code_step(request, form, services.SMS_CLAIM)
        else:
            data = form.cleaned_data
            try:
                info = parse_id(data["id_type"], data["id_number"])
            except IdNumberError as exc:
                form.add_error("id_number", f"{exc}。")
            else:
                if _check_code_step(form, services.SMS_CLAIM):
                    try:
                        dispute = services.identity_claim(
                            id_type=data["id_type"],
                            id_number=info.number,
                            claimant_name=data["claimant_name"],
                            claimant_phone=data["phone"],
                            reason=data["reason"],
                        )
                    except DomainError as exc:
                        form.add_error("id_number" if exc.code == "not_found" else None, exc.message)
                    else:
                        return render(
                            request,
                            "volunteers/claim_done.html",
                            {"dispute": dispute, "where": services.where_registered(dispute.volunteer)},
                        )
    return render(request, "volunteers/claim.html", {"form": form})


def confirm_start(request):
    return _phone_step(
        request, services.SMS_CONFIRM, "volunteers/confirm_phone.html", reverse("volunteers:confirm_list")
    )


def _confirm_phone_or_redirect(request):
    phone = proved_phone(request, services.SMS_CONFIRM)
    if phone is None:
        messages.info(request, "请先用登记时的手机号获取验证码。")
    return phone


def confirm_list(request):
    phone = _confirm_phone_or_redirect(request)
    if phone is None:
        return redirect("volunteers:confirm_start")
    records = services.pending_for_phone(phone).order_by("created_at")
    return render(request, "volunteers/confirm_list.html", {"records": records, "phone": phone})


def confirm_record(request, pk):
    phone = _confirm_phone_or_redirect(request)
    if phone is None:
        return redirect("volunteers:confirm_start")
    volunteer = get_object_or_404(services.pending_for_phone(phone), pk=pk)
    needs_password = not User.objects.filter(phone=phone).exists()
    form = ConfirmRecordForm(request.POST or None, volunteer=volunteer, needs_password=needs_password)
    if request.method == "POST" and form.is_valid():
        user = request.user if request.user.is_authenticated and request.user.phone == phone else None
        try:
            services.volunteer_confirm(
                volunteer=volunteer,
                phone=phone,
                password=form.cleaned_data.get("password1"),
                consents=form.consents(),
                guardian=form.guardian(),
                user=user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, ERROR_ALIASES)
        else:
            volunteer.refresh_from_db()
            if needs_password:
                login(request, volunteer.user, backend=LOGIN_BACKEND)
            if not services.pending_for_phone(phone).exists():
                forget_phone(request, services.SMS_CONFIRM)
            messages.success(request, f"确认成功！您的志愿者编号是 {volunteer.number}。")
            if request.user.is_authenticated:
                return redirect("volunteers:me")
            messages.info(request, "该手机号已有账号，请用手机号和原密码登录。")
            return redirect("login")
    age = age_today(volunteer.birth_date)
    context = {
        "form": form,
        "volunteer": volunteer,
        "texts": consent_texts.TEXTS,
        "version": consent_texts.VERSION,
        "show_guardian": age is not None and age < 18,
        "guardian_required": age is not None and age < services.GUARDIAN_AGE,
    }
    return render(request, "volunteers/confirm_record.html", context)


def confirm_deny(request, pk):
    phone = _confirm_phone_or_redirect(request)
    if phone is None:
        return redirect("volunteers:confirm_start")
    volunteer = get_object_or_404(services.pending_for_phone(phone), pk=pk)
    form = DenyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = services.volunteer_deny(volunteer=volunteer, phone=phone, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return render(request, "volunteers/deny_done.html", {"dispute": dispute})
    return render(request, "volunteers/confirm_deny.html", {"form": form, "volunteer": volunteer})
