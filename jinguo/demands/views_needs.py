"""Pages of part A.

The resident's pages (public, no login, 适老化: large type, big tiles, three short steps, no JavaScript needed):
    help/                      step 1: what help? (big tiles) and links to "my need" and the menus
    help/<category>/           step 2: say it, where, how to reach her; a phone proved by an SMS code
    help/done/                 step 3: the tracking code in huge digits
    help/status/               her need by tracking code + phone (POST: the phone never goes into a URL); cancel
    help/menu/, help/menu/<pk>/  the menus her community may order from (点单)
Anti-abuse: an SMS code proves the phone, and posting is rate-limited per phone and per IP address (the cache).

Staff pages: the need list (filters, paging), proxy entry (代录, no code), the review queue (R8), the detail (R23:
full or masked), cancel; menus for team leaders; open needs for volunteers and teams (anonymised) with 我想接单.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jinguo.core import sms
from jinguo.core.context import current_ip
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.masking import mask_phone
from jinguo.core.paging import paginate
from jinguo.core.scope import get_scope, path_q
from jinguo.core.shortcuts import require_staff, run_service
from jinguo.core.text import is_mobile, normalise_phone
from jinguo.orgs.models import Node
from jinguo.volunteers.models import Volunteer

from . import selectors, services_dispatch, services_needs
from .choices import VULNERABLE_FLAGS, NeedStatus
from .forms_needs import (
    CATEGORY_TILES,
    CancelForm,
    CommunityLookupForm,
    MenuItemForm,
    NeedFilterForm,
    OpenNeedFilterForm,
    ProxyNeedForm,
    ResidentNeedForm,
    ResidentOrderForm,
    ReviewForm,
    StatusLookupForm,
    apply_domain_error,
)
from .models import MenuItem, Need

# Anti-abuse limits for the public pages (per day, counted in the cache).
POSTS_PER_PHONE = 3
POSTS_PER_IP = 10
CODES_PER_IP = 10
LOOKUPS_PER_IP = 30
DAY = 24 * 3600
DONE_SESSION_KEY = "jg_need_done"
SMS_TEXT = "【巾帼志愿】您正在提交服务需求，验证码为 {code}，10 分钟内有效。"
ERROR_ALIASES = {"node": "community_name", "code": "code"}


# ---- rate limits ------------------------------------------------------------------------------------------------


def _ip(request) -> str:
    return current_ip.get() or request.META.get("REMOTE_ADDR", "") or "unknown"


def _count(kind: str, who: str) -> int:
    return cache.get(f"jinguo:demands:{kind}:{who}", 0)


def _bump(kind: str, who: str) -> None:
    key = f"jinguo:demands:{kind}:{who}"
    if not cache.add(key, 1, DAY):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, DAY)


def _post_limited(request, phone: str) -> str:
    """A message when this phone or this address has posted enough today, else ""."""
    if _count("post-phone", phone) >= POSTS_PER_PHONE:
        return f"这个手机号今天已经提交了 {POSTS_PER_PHONE} 个需求，请明天再来，或直接联系社区。"
    if _count("post-ip", _ip(request)) >= POSTS_PER_IP:
        return "提交太频繁了，请明天再来，或直接联系社区。"
    return ""


def _send_code(request, form) -> None:
    """The 获取验证码 button: checks the phone, the per-address limit, then sends (core.sms: one a minute)."""
    phone = normalise_phone(form.cleaned_data.get("requester_phone") or "")
    if not is_mobile(phone):
        form.add_error("requester_phone", "请填写正确的 11 位手机号码。")
        return
    limited = _post_limited(request, phone)
    if not limited and _count("code-ip", _ip(request)) >= CODES_PER_IP:
        limited = "获取验证码太频繁了，请明天再来，或直接联系社区。"
    if limited:
        form.add_error(None, limited)
        return
    try:
        sms.send_code(phone, services_needs.SMS_PURPOSE, SMS_TEXT)
    except DomainError as exc:
        form.add_error("code", exc.message)
        return
    _bump("code-ip", _ip(request))
    messages.success(request, f"验证码已发到 {mask_phone(phone)}，请看手机短信，10 分钟内有效。")


def _check_code(form) -> bool:
    code = (form.cleaned_data.get("code") or "").strip()
    if not code:
        form.add_error("code", "请先点“获取验证码”，再填写短信里的 6 位数字。")
        return False
    phone = normalise_phone(form.cleaned_data.get("requester_phone") or "")
    if not is_mobile(phone):
        form.add_error("requester_phone", "请填写正确的 11 位手机号码。")
        return False
    try:
        sms.check_code(phone, services_needs.SMS_PURPOSE, code)
    except DomainError as exc:
        form.add_error("code", exc.message)
        return False
    return True


def _fixed_community(request) -> Node | None:
    """A poster's QR code at the community's door may carry ?c=<id>: her community is already known."""
    pk = request.GET.get("c") or request.POST.get("c")
    if pk and str(pk).isdigit():
        return Node.objects.filter(pk=pk, kind="community", status="active").first()
    return None


def _posted(request, need: Need, phone: str):
    _bump("post-phone", phone)
    _bump("post-ip", _ip(request))
    request.session[DONE_SESSION_KEY] = need.pk
    return redirect("demands:help_done")


# ---- the resident's pages ---------------------------------------------------------------------------------------


def help_home(request):
    return render(request, "demands/public/home.html", {"tiles": CATEGORY_TILES, "c": request.GET.get("c", "")})


def _submit(request, form, post, defaults: dict):
    """The 提交 button: limits, the fields (checked before the code is spent), the SMS code, then the service."""
    phone = normalise_phone(form.cleaned_data["requester_phone"])
    limited = _post_limited(request, phone)
    if limited:
        form.add_error(None, limited)
        return None
    try:
        data = {**form.need_data(), "category": form.cleaned_data.get("category") or defaults.get("category")}
        services_needs.clean_need_data({**data, **{k: v for k, v in defaults.items() if not data.get(k)}})
    except DomainError as exc:
        apply_domain_error(form, exc, ERROR_ALIASES)
        return None
    if not _check_code(form):
        return None
    try:
        need = post(form)
    except DomainError as exc:
        apply_domain_error(form, exc, ERROR_ALIASES)
        return None
    return _posted(request, need, phone)


def _resident_form(request, form_class, post, defaults=None, **initial):
    """Her form: 获取验证码 (checks only the phone) or 提交 (everything). Her input is kept on every error."""
    fixed = _fixed_community(request)
    if request.method != "POST":
        return form_class(initial=initial, fixed_community=fixed), None
    data = request.POST.copy()
    data.update(initial)
    sending = request.POST.get("action") == "send"
    form = form_class(data, fixed_community=fixed, check_community=not sending)
    valid = form.is_valid()
    if sending:
        _send_code(request, form)
    elif valid:
        return form, _submit(request, form, post, defaults or {})
    return form, None


def help_form(request, category: str):
    tile = next((t for t in CATEGORY_TILES if t[0] == category), None)
    if tile is None:
        raise Http404

    def post(form):
        return services_needs.need_create(
            actor=request.user, data=form.need_data(), node=form.cleaned_data["node"], phone_proved=True
        )

    form, response = _resident_form(request, ResidentNeedForm, post, category=category)
    if response is not None:
        return response
    context = {"form": form, "tile": tile, "category": category, "fixed": form.fixed_community}
    return render(request, "demands/public/form.html", context)


def help_done(request):
    pk = request.session.get(DONE_SESSION_KEY)
    need = Need.objects.select_related("node").filter(pk=pk).first() if pk else None
    if need is None:
        return redirect("demands:help")
    return render(request, "demands/public/done.html", {"need": need})


def _lookup(request, form) -> Need | None:
    if _count("lookup-ip", _ip(request)) >= LOOKUPS_PER_IP:
        form.add_error(None, "查询次数太多了，请明天再试，或直接联系社区。")
        return None
    _bump("lookup-ip", _ip(request))
    code, phone = form.cleaned_data["tracking_code"], normalise_phone(form.cleaned_data["phone"])
    need = Need.objects.select_related("node").filter(tracking_code=code, requester_phone=phone).first()
    if need is None:
        form.add_error(None, "没有找到这个需求，请核对查询码和手机号。")
    return need


def help_status(request):
    form = StatusLookupForm(request.POST or None)
    need = None
    if request.method == "POST" and form.is_valid():
        need = _lookup(request, form)
    context = {"form": form, "need": need, "cancel_form": CancelForm(),
               "can_cancel": need is not None and need.status in services_needs.CANCELLABLE}
    return render(request, "demands/public/status.html", context)


@require_POST
def help_cancel(request):
    form = StatusLookupForm(request.POST)
    need = None
    if form.is_valid():
        need = _lookup(request, form)
    if need is not None:
        try:
            need = services_needs.need_cancel(
                actor=request.user, need=need, reason=request.POST.get("reason", ""),
                phone=form.cleaned_data["phone"], tracking_code=form.cleaned_data["tracking_code"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "需求已撤销。")
    context = {"form": form, "need": need, "cancel_form": CancelForm(), "can_cancel": False}
    return render(request, "demands/public/status.html", context)


def help_menu(request):
    fixed = _fixed_community(request)
    form = CommunityLookupForm(request.GET or None, fixed_community=fixed)
    node, items = fixed, None
    if fixed is not None or request.GET:
        if form.is_valid():
            node = form.cleaned_data["node"]
    if node is not None:
        items = list(selectors.menu_for(node))
    return render(request, "demands/public/menu.html", {"form": form, "node": node, "items": items})


def help_order(request, pk: int):
    item = get_object_or_404(MenuItem.objects.active().select_related("team", "area"), pk=pk)

    def post(form):
        return services_needs.menu_order(
            actor=request.user, item=item, data=form.need_data(), node=form.cleaned_data["node"], phone_proved=True
        )

    defaults = {"category": item.category, "description": f"点单：{item.title}"}
    form, response = _resident_form(request, ResidentOrderForm, post, defaults)
    if response is not None:
        return response
    return render(request, "demands/public/order.html", {"form": form, "item": item, "fixed": form.fixed_community})


# ---- staff: needs -----------------------------------------------------------------------------------------------


def _staff_need(request, pk) -> Need:
    """A need of her subtree (a provider's view of the need is part B's and C's pages)."""
    need = get_object_or_404(selectors.staff_needs(request.user), pk=pk)
    if not get_scope(request.user).covers(need.node.path, "view"):
        raise Http404
    return need


@login_required
def need_list(request):
    scope = require_staff(request)
    form = NeedFilterForm(request.GET or None)
    qs = selectors.staff_needs(request.user)
    if not scope.platform:
        # staff_needs also holds what she serves or posted herself; this list is her subtree's
        q = path_q("node__path", scope.view_paths)
        qs = qs.filter(q) if q is not None else qs.none()
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(number__contains=data["q"]) | Q(public_summary__contains=data["q"]))
        for name in ("status", "category", "urgency", "source"):
            if data[name]:
                qs = qs.filter(**{name: data[name]})
        if data["sensitive"]:
            qs = qs.filter(vulnerable_mask__gt=0)
        if data["date_from"]:
            qs = qs.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(created_at__date__lte=data["date_to"])
    node = None
    node_pk = request.GET.get("node")
    if node_pk and node_pk.isdigit():
        node = Node.objects.restrict(request.user, "view").filter(pk=node_pk).first()
        if node is not None:
            qs = qs.filter(node__path__startswith=node.path)
    page = paginate(request, qs.order_by("-created_at", "-id"), per_page=20)
    context = {
        "form": form, "page_obj": page, "node": node, "breadcrumb_node": node,
        "can_create": scope.platform or bool(scope.change_paths),
        "queue": selectors.review_queue(request.user).count(),
    }
    return render(request, "demands/needs/list.html", context)


@login_required
def need_create(request):
    scope = require_staff(request)
    if not (scope.platform or scope.change_paths):
        raise PermissionDenied("您的账号为只读权限，不能代录需求。")
    form = ProxyNeedForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            need = services_needs.need_create(
                actor=request.user, data=form.need_data(), node=form.cleaned_data["node"], proxy=True
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"需求已登记，编号 {need.number}，查询码 {need.tracking_code}（请告知需求人）。")
            return redirect("demands:need_detail", pk=need.pk)
    return render(request, "demands/needs/form.html", {"form": form})


@login_required
def review_queue(request):
    require_staff(request)
    page = paginate(request, selectors.review_queue(request.user).order_by("created_at", "id"), per_page=20)
    return render(request, "demands/needs/review_queue.html", {"page_obj": page})


@login_required
def need_detail(request, pk):
    require_staff(request)
    need = _staff_need(request, pk)
    view = selectors.need_view(request.user, need)
    if view.full and selectors.audited_full_view(request.user, need):
        services_needs.need_details_viewed(actor=request.user, need=need)
    scope = get_scope(request.user)
    context = {
        "need": need, "view": view, "breadcrumb_node": need.node,
        "can_change": scope.covers(need.node.path, "change"),
        "review_form": ReviewForm(initial={"public_summary": need.public_summary, "decision": "accept"}),
        "cancel_form": CancelForm(),
        "cancellable": need.status in services_needs.CANCELLABLE,
        "assignment": selectors.live_assignment(need),
        "flag_choices": VULNERABLE_FLAGS,
    }
    return render(request, "demands/needs/detail.html", context)


@login_required
@require_POST
def need_review(request, pk):
    require_staff(request)
    need = _staff_need(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择“受理”或“不予受理”。")
        return redirect("demands:need_detail", pk=need.pk)
    data = form.cleaned_data
    accept = data["decision"] == "accept"
    done = "需求已受理，已通知需求人。" if accept else "已不予受理，原因已告知需求人。"
    run_service(request, services_needs.need_review, done, need=need, accept=accept, reason=data["reason"],
                public_summary=data["public_summary"], claimable=data["claimable"])
    return redirect("demands:need_detail", pk=need.pk)


@login_required
@require_POST
def need_cancel(request, pk):
    require_staff(request)
    need = _staff_need(request, pk)
    run_service(request, services_needs.need_cancel, "需求已撤销。", need=need, reason=request.POST.get("reason", ""))
    return redirect("demands:need_detail", pk=need.pk)


@login_required
def help_poster(request, pk):
    """A printable poster for the community's door: scan the QR code and the community is already filled in."""
    require_staff(request)
    community = get_object_or_404(
        Node.objects.restrict(request.user, "view").filter(kind="community", status="active"), pk=pk
    )
    url = request.build_absolute_uri(reverse("demands:help") + f"?c={community.pk}")
    qr_svg = segno.make(url, error="m").svg_inline(scale=8, omitsize=True, border=2)
    return render(request, "demands/needs/poster.html", {"community": community, "url": url, "qr_svg": qr_svg})


# ---- staff: menus -----------------------------------------------------------------------------------------------


@login_required
def menu_list(request):
    scope = require_staff(request)
    qs = selectors.managed_menu_items(request.user).order_by("team__path", "category", "title", "id")
    if request.GET.get("inactive") != "1":
        qs = qs.filter(is_active=True)
    page = paginate(request, qs, per_page=20)
    for item in page:
        item.month_orders = services_needs.menu_month_orders(item)
    context = {"page_obj": page, "can_create": scope.platform or selectors.menu_teams(request.user).exists(),
               "show_inactive": request.GET.get("inactive") == "1"}
    return render(request, "demands/needs/menu_list.html", context)


def _menu_item(request, pk) -> MenuItem:
    item = get_object_or_404(MenuItem.objects.restrict(request.user, "change").select_related("team"), pk=pk)
    return item


def _menu_form(request, item=None):
    require_staff(request)
    if item is None and not selectors.menu_teams(request.user).exists():
        raise PermissionDenied("只有队伍的队长或其上级妇联管理员可以发布服务菜单。")
    form = MenuItemForm(request.POST or None, instance=item, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if item is None:
                item = services_needs.menu_item_create(
                    actor=request.user, team=form.cleaned_data["team"], data=form.menu_data()
                )
            else:
                item = services_needs.menu_item_update(actor=request.user, item=item, data=form.menu_data())
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"服务项目「{item.title}」已保存。")
            return redirect("demands:menu_list")
    return render(request, "demands/needs/menu_form.html", {"form": form, "item": item})


@login_required
def menu_create(request):
    return _menu_form(request)


@login_required
def menu_edit(request, pk):
    require_staff(request)
    return _menu_form(request, _menu_item(request, pk))


@login_required
@require_POST
def menu_set_active(request, pk):
    require_staff(request)
    item = _menu_item(request, pk)
    active = request.POST.get("active") == "1"
    run_service(request, services_needs.menu_item_set_active, "已上架。" if active else "已下架。", item=item, active=active)
    return redirect("demands:menu_list")


# ---- volunteers and teams: open needs ---------------------------------------------------------------------------


@login_required
def open_needs(request):
    form = OpenNeedFilterForm(request.GET or None)
    qs = selectors.open_needs_for(request.user)
    if form.is_valid():
        if form.cleaned_data["category"]:
            qs = qs.filter(category=form.cleaned_data["category"])
        if form.cleaned_data["urgency"]:
            qs = qs.filter(urgency=form.cleaned_data["urgency"])
    page = paginate(request, qs.order_by("-created_at", "-id"), per_page=20)
    rows = [selectors.anonymised(need) for need in page]
    teams = list(Node.objects.filter(
        role_assignments__user_id=request.user.pk, role_assignments__role="team_leader",
        role_assignments__revoked_at__isnull=True, kind="team",
    ).distinct())
    context = {"form": form, "page_obj": page, "rows": rows, "teams": teams,
               "can_take": True,
               "is_volunteer": Volunteer.objects.filter(user_id=request.user.pk).exists()}
    return render(request, "demands/needs/open_list.html", context)


@login_required
@require_POST
def open_need_take(request, pk):
    """我想接单: a claim on a claimable need, an offer for staff to confirm on any other (part B's services)."""
    need = get_object_or_404(selectors.needs_in_service_area(request.user), pk=pk)
    if need.status != NeedStatus.OPEN:
        # Someone was faster (or staff dispatched it meanwhile): say so rather than a bare "not found".
        messages.warning(request, f"需求 {need.number} 已被其他志愿者/队伍接单，或已由社区派单，请看看其他需求。")
        return redirect(reverse("demands:open_needs"))
    offer = services_dispatch.need_offer
    team = None
    team_pk = request.POST.get("team")
    if team_pk and team_pk.isdigit():
        team = Node.objects.filter(pk=team_pk, kind="team").first()
        if team is None:
            raise Http404
    assignment = run_service(request, offer, need=need, team=team)
    if assignment is not None:
        if assignment.status == "accepted":
            messages.success(request, f"接单成功！需求 {need.number} 由{assignment.assignee_name}承接。")
        else:
            messages.success(request, f"已申请承接需求 {need.number}，等待社区工作人员确认。")
    return redirect(reverse("demands:open_needs"))
