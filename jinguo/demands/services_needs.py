"""Writes of part A: posting needs (her own 适老化 page, community staff for her, ordering from a menu), review by the
community (R8), cancelling, and the teams' service menus. Nothing here has a price (R11).

Every function follows the house template: one transaction, the row locked where two people may act at once, a
DomainError with a Chinese message (nothing written), an audit entry.
"""

import datetime
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import Sequence
from jinguo.core.scope import get_scope
from jinguo.core.text import clean_text, is_mobile, normalise_phone
from jinguo.orgs.choices import SERVICE_CATEGORY_LABELS, SERVICE_TIMES, NodeKind, NodeStatus, Role
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.volunteers.bitmask import to_mask

from . import stats
from .choices import VULNERABLE_FLAGS, AssignmentStatus, NeedSource, NeedStatus, Urgency
from .models import MenuItem, Need

logger = logging.getLogger("jinguo.demands")

# Statuses from which a need may still be cancelled: nobody has started serving it.
CANCELLABLE = (NeedStatus.SUBMITTED, NeedStatus.OPEN, NeedStatus.DISPATCHED, NeedStatus.ACCEPTED)
# Orders of a menu item that count against its monthly capacity.
COUNTED_ORDER_STATUSES = [s for s in NeedStatus.values if s not in (NeedStatus.REJECTED, NeedStatus.CANCELLED)]
SMS_PURPOSE = "need_post"
TRACKING_CODE_LENGTH = 8
DESCRIPTION_MAX = 1000


# ---- numbering --------------------------------------------------------------------------------------------------


def next_need_number(when: datetime.datetime | None = None) -> str:
    """XQ + date + a 4-digit sequence per day: XQ202612050001. Runs in the caller's transaction."""
    day = timezone.localdate(when or timezone.now())
    seq = Sequence.allocate(f"need-number:{day:%Y%m%d}")[0]
    return f"XQ{day:%Y%m%d}{seq:04d}"


def new_tracking_code() -> str:
    """Eight digits that she can read over the phone; unique among needs (checked, and the column is unique)."""
    for _ in range(20):
        code = f"{secrets.randbelow(10**TRACKING_CODE_LENGTH):0{TRACKING_CODE_LENGTH}d}"
        if not Need.objects.filter(tracking_code=code).exists():
            return code
    raise DomainError("no_tracking_code", "系统繁忙，请稍后再试。")


# ---- validation -------------------------------------------------------------------------------------------------


def _clean_phone(value) -> str:
    phone = normalise_phone(value or "")
    if not is_mobile(phone):
        raise DomainError("bad_phone", "请填写正确的 11 位手机号码。", field="requester_phone")
    return phone


def _community(node) -> Node:
    if node is None:
        raise DomainError("no_community", "请选择所在的社区（村）。", field="node")
    if node.kind != NodeKind.COMMUNITY:
        raise DomainError("not_community", "所在社区必须是社区（村）一级，请重新选择。", field="node")
    if node.status != NodeStatus.ACTIVE:
        raise DomainError("community_inactive", "该社区（村）已撤销或合并，请重新选择。", field="node")
    return node


def _flags_mask(flags) -> int:
    known = {code for code, _ in VULNERABLE_FLAGS}
    flags = list(flags or [])
    unknown = [f for f in flags if f not in known]
    if unknown:
        raise DomainError("bad_flag", "特殊群体标记无效。", field="vulnerable_flags")
    return to_mask(flags, VULNERABLE_FLAGS)


def default_public_summary(need: Need) -> str:
    """What volunteers browsing open needs see until staff write their own: no name, no phone, no address."""
    label = need.other_category if need.category == "other" and need.other_category else need.get_category_display()
    when = f"，希望时间：{need.preferred_time}" if need.preferred_time else ""
    return f"{need.node.name}居民需要「{label}」服务{when}"[:200]


def clean_need_data(data: dict) -> dict:
    """The fields she (or staff for her) fills in, checked; raises on the first problem."""
    category = data.get("category") or ""
    if category not in SERVICE_CATEGORY_LABELS:
        raise DomainError("bad_category", "请选择需要的服务。", field="category")
    other = clean_text(data.get("other_category"))[:60]
    if category == "other" and not other:
        raise DomainError("other_category_missing", "请说明需要哪一类服务。", field="other_category")
    description = (data.get("description") or "").strip()
    if not description:
        raise DomainError("description_missing", "请说一说需要什么帮助。", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError("description_long", f"需求描述请不要超过 {DESCRIPTION_MAX} 字。", field="description")
    address = clean_text(data.get("address"))
    if not address:
        raise DomainError("address_missing", "请填写服务地址（小区、楼栋门牌）。", field="address")
    name = clean_text(data.get("requester_name"))
    if not name:
        raise DomainError("name_missing", "请填写联系人称呼。", field="requester_name")
    urgency = data.get("urgency") or Urgency.NORMAL
    if urgency not in Urgency.values:
        raise DomainError("bad_urgency", "紧急程度无效。", field="urgency")
    preferred_date = data.get("preferred_date")
    if preferred_date and preferred_date < timezone.localdate():
        raise DomainError("date_past", "希望服务日期不能早于今天。", field="preferred_date")
    return {
        "category": category,
        "other_category": other if category == "other" else "",
        "description": description,
        "address": address[:200],
        "preferred_date": preferred_date or None,
        "preferred_time": clean_text(data.get("preferred_time"))[:60],
        "urgency": urgency,
        "requester_name": name[:50],
        "requester_phone": _clean_phone(data.get("requester_phone")),
        "vulnerable_mask": _flags_mask(data.get("vulnerable_flags")),
    }


def node_staff_ids(node: Node) -> list[int]:
    """Who is told of a new need: the federation staff of the community and of its street; where neither has
    an account (common in villages), the staff of the nearest level above that has one."""
    rows = list(
        RoleAssignment.objects.current()
        .filter(node__path__in=[*node.ancestor_paths(), node.path],
                role__in=(Role.FEDERATION_ADMIN, Role.FEDERATION_STAFF))
        .values_list("user_id", "node__depth")
    )
    near = [user for user, depth in rows if depth >= node.depth - 1]
    if near or not rows:
        return sorted(set(near))
    deepest = max(depth for _user, depth in rows)
    return sorted({user for user, depth in rows if depth == deepest})


def _announce(need: Need) -> None:
    staff = node_staff_ids(need.node)
    from django.urls import reverse

    notify.notify(
        staff,
        f"新的服务需求待审核：{need.number}",
        f"{need.node.name}：{need.get_category_display()}（{need.get_urgency_display()}）。请及时审核受理。",
        link=reverse("demands:need_detail", args=[need.pk]),
    )


def _create(*, actor, data: dict, node: Node, source: str, requester_user=None, menu_item=None) -> Need:
    fields = clean_need_data(data)
    node = _community(node)
    need = Need(
        **fields,
        node=node,
        source=source,
        menu_item=menu_item,
        requester_user=requester_user,
        created_by=actor if getattr(actor, "pk", None) else None,
        number=next_need_number(),
        tracking_code=new_tracking_code(),
    )
    need.public_summary = default_public_summary(need)
    try:
        with transaction.atomic():
            need.save()
    except IntegrityError:  # two codes drawn at once: extremely rare, the column's unique index decides
        raise DomainError("busy", "系统繁忙，请再提交一次。") from None
    audit.record(
        actor, f"demands.need.create.{source}", target=need, node_path=node.path,
        summary=f"{need.number} {need.get_category_display()}（{need.get_source_display()}）",
    )
    _announce(need)
    return need


# ---- posting ----------------------------------------------------------------------------------------------------


@transaction.atomic
def need_create(*, actor, data: dict, node: Node, proxy: bool = False, phone_proved: bool = False) -> Need:
    """A need posted by the resident herself (`phone_proved`: the page checked an SMS code sent to the phone in
    `data`), or entered for her by staff (`proxy`: the "change" scope over the community; no code needed)."""
    if proxy:
        if node is not None:
            _require_change(actor, node)
        return _create(actor=actor, data=data, node=node, source=NeedSource.PROXY)
    if not phone_proved:
        raise DomainError("phone_not_proved", "请先获取并填写短信验证码。", field="code")
    requester = actor if getattr(actor, "is_authenticated", False) else None
    return _create(actor=actor, data=data, node=node, source=NeedSource.SELF, requester_user=requester)


def menu_month_orders(item: MenuItem, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    start = datetime.datetime.combine(today.replace(day=1), datetime.time.min, timezone.get_current_timezone())
    return item.orders.filter(created_at__gte=start, status__in=COUNTED_ORDER_STATUSES).count()


@transaction.atomic
def menu_order(
    *, actor, item: MenuItem, data: dict, node: Node, proxy: bool = False, phone_proved: bool = False
) -> Need:
    """点单: she orders a menu item for her community (or staff for her, `proxy`); the item's area must cover the
    community and the month must have room."""
    item = MenuItem.objects.select_for_update().select_related("team", "area").get(pk=item.pk)
    if not item.is_active or item.team.status != NodeStatus.ACTIVE:
        raise DomainError("menu_inactive", "该服务项目已下架，请选择其他项目。")
    node = _community(node)
    if not node.path.startswith(item.area.path):
        raise DomainError("menu_out_of_area", f"该服务项目只面向{item.area.name}的居民。", field="node")
    if proxy:
        _require_change(actor, node)
    elif not phone_proved:
        raise DomainError("phone_not_proved", "请先获取并填写短信验证码。", field="code")
    if menu_month_orders(item) >= item.monthly_capacity:
        raise DomainError("menu_full", "该服务项目本月名额已满，请下月再来，或选择其他项目。")
    data = {**data, "category": item.category}
    if not (data.get("description") or "").strip():
        data["description"] = f"点单：{item.title}"
    requester = actor if getattr(actor, "is_authenticated", False) and not proxy else None
    return _create(
        actor=actor, data=data, node=node, source=NeedSource.MENU, requester_user=requester, menu_item=item
    )


# ---- review (R8) and cancel -------------------------------------------------------------------------------------


def _require_change(actor, node: Node) -> None:
    if not get_scope(actor).covers(node.path, "change"):
        raise PermissionDeniedError("只有该社区（村）及上级妇联的管理员可以办理。")


def _tell_requester(need: Need, title: str, body: str) -> None:
    """The requester hears the answer (R8): in-app when she has an account, and by SMS to the phone she gave."""
    from jinguo.core import sms

    if need.requester_user_id:
        notify.notify([need.requester_user_id], title, body)
    phone, text = need.requester_phone, f"【巾帼志愿】{title}：{body}"[:300]

    def send():
        try:
            sms.get_backend().send(phone, text)
        except Exception:  # a gateway failure must not undo the review
            logger.exception("could not send the review SMS for need %s", need.pk)

    transaction.on_commit(send)


def _apply_rules(need: Need) -> None:
    """Automatic dispatch (part B), when it exists. Its failure must not undo the review: savepoint."""
    try:
        from . import services_dispatch
    except ImportError:
        return
    apply_rules = getattr(services_dispatch, "apply_rules", None)
    if apply_rules is None:
        return
    try:
        with transaction.atomic():
            apply_rules(need)
    except DomainError as exc:
        logger.warning("automatic dispatch of need %s refused: %s", need.pk, exc.message)


@transaction.atomic
def need_review(
    *, actor, need: Need, accept: bool, reason: str = "", public_summary: str | None = None,
    claimable: bool | None = None,
) -> Need:
    """R8: the community (or a level above) accepts a submitted need, which opens it for dispatch, or rejects it
    with a reason that reaches the requester."""
    need = Need.objects.select_for_update().select_related("node").get(pk=need.pk)
    _require_change(actor, need.node)
    if need.status != NeedStatus.SUBMITTED:
        raise DomainError("not_submitted", f"该需求当前状态为「{need.get_status_display()}」，不能再审核。")
    reason = clean_text(reason)[:300]
    now = timezone.now()
    need.reviewed_by, need.reviewed_at = actor, now
    if accept:
        summary = clean_text(public_summary) if public_summary is not None else ""
        need.public_summary = (summary or need.public_summary or default_public_summary(need))[:200]
        if claimable is not None:
            need.claimable = claimable
        need.status = NeedStatus.OPEN
        need.accept_deadline = now + datetime.timedelta(hours=settings.DEMAND_ACCEPT_HOURS[need.urgency])
        need.save(update_fields=[
            "status", "public_summary", "claimable", "reviewed_by", "reviewed_at", "accept_deadline", "updated_at",
        ])
        audit.record(actor, "demands.need.accept", target=need, node_path=need.node.path, summary=need.number)
        _tell_requester(
            need, "您的服务需求已受理",
            f"编号 {need.number}，{need.node.name}妇联正在为您安排志愿者。查询码 {need.tracking_code}。",
        )
        _apply_rules(need)
    else:
        if not reason:
            raise DomainError("reason_missing", "不予受理时请填写原因，原因会告知需求人。", field="reason")
        need.status = NeedStatus.REJECTED
        need.reject_reason = reason
        need.closed_at = now
        need.save(update_fields=["status", "reject_reason", "reviewed_by", "reviewed_at", "closed_at", "updated_at"])
        audit.record(
            actor, "demands.need.reject", target=need, node_path=need.node.path, summary=f"{need.number}：{reason}"
        )
        _tell_requester(need, "您的服务需求未受理", f"编号 {need.number}。原因：{reason}")
    return need


@transaction.atomic
def need_cancel(*, actor, need: Need, reason: str = "", phone: str = "", tracking_code: str = "") -> Need:
    """Withdrawn before service: by staff of the node, by the requester with her account, or by whoever holds the
    tracking code and the phone it was posted with (her status page)."""
    need = Need.objects.select_for_update().select_related("node").get(pk=need.pk)
    scope = get_scope(actor)
    by_staff = scope.covers(need.node.path, "change")
    by_account = bool(need.requester_user_id) and getattr(actor, "pk", None) == need.requester_user_id
    by_code = bool(tracking_code) and secrets.compare_digest(tracking_code, need.tracking_code) and (
        normalise_phone(phone) == need.requester_phone
    )
    if not (by_staff or by_account or by_code):
        raise PermissionDeniedError("只有需求人本人或社区工作人员可以撤销该需求。")
    if need.status not in CANCELLABLE:
        raise DomainError("not_cancellable", f"该需求当前状态为「{need.get_status_display()}」，不能撤销。")
    reason = clean_text(reason)[:300]
    if by_staff and not (by_account or by_code) and not reason:
        raise DomainError("reason_missing", "请填写撤销原因。", field="reason")
    for assignment in need.assignments.select_for_update().filter(
        status__in=(AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)
    ):
        was_accepted = assignment.status == AssignmentStatus.ACCEPTED
        assignment.status = AssignmentStatus.WITHDRAWN
        assignment.reason = f"需求已撤销{('：' + reason) if reason else ''}"[:300]
        assignment.save(update_fields=["status", "reason"])
        if was_accepted:
            stats.released(assignment)
    need.status = NeedStatus.CANCELLED
    need.closed_at = timezone.now()
    if reason and not need.reject_reason:
        need.reject_reason = f"撤销：{reason}"[:300]
    need.save(update_fields=["status", "closed_at", "reject_reason", "updated_at"])
    audit.record(
        actor, "demands.need.cancel", target=need, node_path=need.node.path,
        summary=f"{need.number}{('：' + reason) if reason else ''}", detail={"by": "staff" if by_staff else "requester"},
    )
    if not by_staff:
        notify.notify(node_staff_ids(need.node), f"需求人已撤销需求：{need.number}", reason)
    return need


def need_details_viewed(*, actor, need: Need) -> None:
    """A platform administrator opened the full details of a need for a vulnerable person (R23): audited."""
    audit.record(actor, "demands.need.view_details", target=need, node_path=need.node.path, summary=need.number)


# ---- service menus ----------------------------------------------------------------------------------------------


def _team_area_root(team: Node) -> Node:
    """The federation node a team belongs to: the nearest ancestor that is not a team."""
    for ancestor in reversed(team.ancestors_list()):
        if not ancestor.is_team:
            return ancestor
    return team


def _clean_menu_data(team: Node, data: dict) -> dict:
    category = data.get("category") or ""
    if category not in SERVICE_CATEGORY_LABELS:
        raise DomainError("bad_category", "请选择服务类别。", field="category")
    title = clean_text(data.get("title"))[:80]
    if not title:
        raise DomainError("title_missing", "请填写服务项目名称。", field="title")
    content = (data.get("content") or "").strip()
    if not content:
        raise DomainError("content_missing", "请填写服务内容。", field="content")
    area = data.get("area")
    root = _team_area_root(team)
    if area is None or area.is_team or not area.path.startswith(root.path):
        raise DomainError("bad_area", f"服务范围须为{root.name}或其下级社区、街道。", field="area")
    times = list(data.get("service_times") or [])
    known = {code for code, _ in SERVICE_TIMES}
    if any(t not in known for t in times):
        raise DomainError("bad_times", "服务时间无效。", field="service_times")
    capacity = data.get("monthly_capacity")
    if capacity is None or int(capacity) < 1 or int(capacity) > 10000:
        raise DomainError("bad_capacity", "每月可接单数须为 1 到 10000。", field="monthly_capacity")
    return {
        "category": category, "title": title, "content": content, "area": area, "service_times": times,
        "time_note": clean_text(data.get("time_note"))[:100], "monthly_capacity": int(capacity),
    }


@transaction.atomic
def menu_item_create(*, actor, team: Node, data: dict) -> MenuItem:
    if not team.is_team or team.status != NodeStatus.ACTIVE:
        raise DomainError("not_team", "服务菜单须由志愿服务队伍发布。", field="team")
    _require_menu_change(actor, team)
    item = MenuItem.objects.create(team=team, created_by=actor, **_clean_menu_data(team, data))
    audit.record(actor, "demands.menu.create", target=item, node_path=team.path, summary=f"{team.name}：{item.title}")
    return item


def _require_menu_change(actor, team: Node) -> None:
    if not get_scope(actor).covers(team.path, "change"):
        raise PermissionDeniedError("只有本队队长或上级妇联管理员可以管理服务菜单。")


@transaction.atomic
def menu_item_update(*, actor, item: MenuItem, data: dict) -> MenuItem:
    item = MenuItem.objects.select_for_update().select_related("team").get(pk=item.pk)
    _require_menu_change(actor, item.team)
    for name, value in _clean_menu_data(item.team, data).items():
        setattr(item, name, value)
    item.save()
    audit.record(actor, "demands.menu.update", target=item, node_path=item.team.path, summary=item.title)
    return item


@transaction.atomic
def menu_item_set_active(*, actor, item: MenuItem, active: bool) -> MenuItem:
    """上架 / 下架. A withdrawn item keeps its past orders; it only stops taking new ones."""
    item = MenuItem.objects.select_for_update().select_related("team").get(pk=item.pk)
    _require_menu_change(actor, item.team)
    if item.is_active != active:
        item.is_active = active
        item.save(update_fields=["is_active", "updated_at"])
        audit.record(
            actor, "demands.menu.activate" if active else "demands.menu.deactivate", target=item,
            node_path=item.team.path, summary=item.title,
        )
    return item


def menu_item_deactivate(*, actor, item: MenuItem) -> MenuItem:
    return menu_item_set_active(actor=actor, item=item, active=False)
