"""Writes of care pairings (结对, F9): recipients, pairings and their volunteers, visit logs (each volunteer present
gets a service record in the ledger) and the overdue-visit reminder sweep.

Each write: one transaction, the rows it changes locked, scope checked, a DomainError in Chinese when refused (and
nothing written), an audit entry when done. Audit summaries and notifications never carry a recipient's phone,
address or notes (R23): the people paired with her read them on the pairing's page."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jinguo.activities.choices import CheckMethod
from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.scope import get_scope
from jinguo.core.text import clean_text, is_contact_phone, normalise_contact_phone
from jinguo.hours import ledger
from jinguo.orgs.choices import NodeKind, Role
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.orgs.services import require_scope
from jinguo.volunteers.choices import MembershipStatus
from jinguo.volunteers.models import Membership, Volunteer

from . import selectors_care as selectors
from .care_models import (
    CareCategory,
    CarePairing,
    CareRecipient,
    PairingFrequency,
    PairingKind,
    PairingMember,
    PairingStatus,
    VisitAttendance,
    VisitLog,
)

logger = logging.getLogger("jinguo.care")
RECIPIENT_FIELDS = (
    "name", "sex", "birth_year", "category", "other_category", "phone", "address", "guardian_name",
    "guardian_relation", "guardian_phone", "notes", "consent_by", "consent_relation", "consent_at", "is_active",
)  # fmt: skip
MAX_INTERVAL_DAYS = 365
MAX_VISIT_HOURS = 12


def _pairing_link(pairing: CarePairing) -> str:
    return reverse("demands:care_pairing_detail", args=[pairing.pk])


def _day(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---- recipients -------------------------------------------------------------------------------------------------


def _clean_recipient(data: dict) -> dict:
    clean = {key: data.get(key) for key in RECIPIENT_FIELDS if key in data}
    for key in ("name", "other_category", "address", "guardian_name", "guardian_relation", "consent_by",
                "consent_relation"):
        if key in clean:
            clean[key] = clean_text(clean[key])
    clean["notes"] = (clean.get("notes") or "").strip()
    for key, label in (("name", "姓名"), ("address", "居住地址"), ("consent_by", "同意人")):
        if not clean.get(key):
            raise DomainError("required", f"请填写{label}。", field=key)
    if clean.get("category") not in CareCategory.values:
        raise DomainError("required", "请选择对象类别。", field="category")
    if clean["category"] == CareCategory.OTHER and not clean.get("other_category"):
        raise DomainError("required", "类别为“其他”时请说明具体情况。", field="other_category")
    if clean["category"] != CareCategory.OTHER:
        clean["other_category"] = ""
    if clean.get("sex") not in ("", None, "F", "M"):
        raise DomainError("bad_sex", "性别无效。", field="sex")
    clean["sex"] = clean.get("sex") or ""
    year = clean.get("birth_year")
    this_year = timezone.localdate().year
    if year is not None and not (this_year - 120 <= year <= this_year):
        raise DomainError("bad_birth_year", f"出生年份应在 {this_year - 120}—{this_year} 之间。", field="birth_year")
    for key, label in (("phone", "联系电话"), ("guardian_phone", "监护人/联系人电话")):
        value = normalise_contact_phone(clean.get(key) or "")
        if value and not is_contact_phone(value):
            raise DomainError("bad_phone", f"{label}格式不正确（手机号 11 位，或带区号的座机号）。", field=key)
        clean[key] = value
    if not clean.get("phone") and not clean.get("guardian_phone"):
        raise DomainError("required", "请至少填写本人或监护人/联系人的一个联系电话。", field="phone")
    clean["consent_relation"] = clean.get("consent_relation") or "本人"
    if clean["consent_relation"] != "本人" and not clean.get("guardian_name"):
        clean["guardian_name"] = clean["consent_by"]
        clean["guardian_relation"] = clean.get("guardian_relation") or clean["consent_relation"]
    consent_at = clean.get("consent_at") or timezone.now()
    if consent_at > timezone.now() + datetime.timedelta(minutes=5):
        raise DomainError("bad_consent_at", "同意时间不能晚于现在。", field="consent_at")
    clean["consent_at"] = consent_at
    clean["is_active"] = bool(clean.get("is_active", True))
    return clean


def _check_community(actor, node: Node | None) -> None:
    if node is None or node.kind != NodeKind.COMMUNITY or not node.is_active:
        raise DomainError("bad_node", "请选择对象所在的社区（村）。", field="node")
    require_scope(actor, node)


@transaction.atomic
def recipient_create(*, actor, node: Node, data: dict) -> CareRecipient:
    """Community staff (or the levels above) enter a care recipient, with the consent to be served: who gave it
    (she herself, or her guardian for a child or someone who cannot decide) and when."""
    _check_community(actor, node)
    clean = _clean_recipient(data)
    recipient = CareRecipient.objects.create(
        node=node, consent_recorded_by=actor, created_by=actor, **clean
    )
    audit.record(
        actor, "care.recipient.created", target=recipient, node_path=node.path,
        summary=f"登记结对帮扶对象（{recipient.get_category_display()}），同意人：{recipient.consent_relation}",
    )
    return recipient


@transaction.atomic
def recipient_update(*, actor, recipient: CareRecipient, data: dict, node: Node | None = None) -> CareRecipient:
    recipient = CareRecipient.objects.select_for_update().select_related("node").get(pk=recipient.pk)
    require_scope(actor, recipient.node)
    if node is not None and node.pk != recipient.node_id:
        _check_community(actor, node)
        recipient.node = node
    current = {key: getattr(recipient, key) for key in RECIPIENT_FIELDS}
    clean = _clean_recipient(current | data)
    changed = sorted(key for key, value in clean.items() if value != current[key])
    if not clean["is_active"] and recipient.pairings.filter(status=PairingStatus.ACTIVE).exists():
        raise DomainError("has_pairings", "该对象还有进行中的结对，请先结束结对再设为不在册。", field="is_active")
    if "consent_by" in changed or "consent_relation" in changed or "consent_at" in changed:
        clean["consent_recorded_by"] = actor
    for key, value in clean.items():
        setattr(recipient, key, value)
    recipient.save()
    labels = [str(CareRecipient._meta.get_field(key).verbose_name) for key in changed]
    audit.record(
        actor, "care.recipient.updated", target=recipient, node_path=recipient.node.path,
        summary="修改结对帮扶对象：" + ("、".join(labels) if labels else "无变化"),
    )
    return recipient


# ---- pairings -----------------------------------------------------------------------------------------------------


def _belongs(volunteer: Volunteer, organiser: Node) -> bool:
    """Registered in the organiser's subtree, or an active member of a team in it."""
    if volunteer.home_node.path.startswith(organiser.path):
        return True
    return Membership.objects.filter(
        volunteer=volunteer, status=MembershipStatus.ACTIVE, team__path__startswith=organiser.path
    ).exists()


def _check_volunteer(volunteer: Volunteer, organiser: Node) -> None:
    if not volunteer.is_confirmed:
        raise DomainError(
            "not_confirmed", f"{volunteer.name}尚未本人确认登记信息（或已冻结、退出），不能结对。", field="volunteers"
        )
    if not _belongs(volunteer, organiser):
        raise DomainError(
            "not_member", f"{volunteer.name}不是「{organiser.name}」的志愿者，不能由其负责结对。", field="volunteers"
        )


def _leaders_of(node: Node) -> list[int]:
    """Who answers for a pairing's organiser: its leaders for a team, its administrators for a federation node."""
    role = Role.TEAM_LEADER if node.kind == NodeKind.TEAM else Role.FEDERATION_ADMIN
    return list(RoleAssignment.objects.current().filter(node=node, role=role).values_list("user_id", flat=True))


def _require_pairing_change(actor, pairing: CarePairing) -> None:
    scope = get_scope(actor)
    if not (scope.covers(pairing.organiser.path, "change") or scope.covers(pairing.recipient.node.path, "change")):
        raise PermissionDeniedError("该结对不在您的管理范围内。")


def _lock_pairing(pairing: CarePairing) -> CarePairing:
    return CarePairing.objects.select_for_update().select_related("recipient__node", "organiser").get(pk=pairing.pk)


def _check_plan(frequency: str, interval_days: int | None) -> int | None:
    if frequency not in PairingFrequency.values:
        raise DomainError("bad_frequency", "请选择走访频次。", field="frequency")
    if frequency != PairingFrequency.EVERY_N_DAYS:
        return None
    if not interval_days or not (1 <= interval_days <= MAX_INTERVAL_DAYS):
        raise DomainError(
            "bad_interval", f"请填写走访间隔天数（1—{MAX_INTERVAL_DAYS} 天）。", field="interval_days"
        )
    return interval_days


def _add_member(*, actor, pairing: CarePairing, volunteer: Volunteer, is_lead: bool) -> PairingMember:
    if PairingMember.objects.filter(recipient=pairing.recipient, volunteer=volunteer, left_at__isnull=True).exists():
        raise DomainError("already_paired", f"{volunteer.name}已与该对象结对，不能重复结对。", field="volunteers")
    try:
        with transaction.atomic():
            return PairingMember.objects.create(
                pairing=pairing, recipient=pairing.recipient, volunteer=volunteer, is_lead=is_lead, added_by=actor
            )
    except IntegrityError:  # a concurrent pairing of the same volunteer with the same recipient won
        raise DomainError(
            "already_paired", f"{volunteer.name}已与该对象结对，不能重复结对。", field="volunteers"
        ) from None


@transaction.atomic
def pairing_create(
    *,
    actor,
    recipient: CareRecipient,
    organiser: Node,
    kind: str,
    volunteers: list[Volunteer],
    lead: Volunteer | None = None,
    start_date: datetime.date,
    frequency: str,
    interval_days: int | None = None,
    plan_note: str = "",
) -> CarePairing:
    """Pair volunteers with a recipient: staff of her community (or above) who also manage the responsible team
    or node. One-to-one: exactly one volunteer; many-to-one: one or more, one of them the lead."""
    recipient = CareRecipient.objects.select_for_update().select_related("node").get(pk=recipient.pk)
    require_scope(actor, recipient.node)
    if not recipient.is_active:
        raise DomainError("inactive_recipient", "该对象已不在册，不能新建结对。")
    if organiser is None or not organiser.is_active:
        raise DomainError("bad_organiser", "请选择负责的队伍或组织（已撤销的不能选）。", field="organiser")
    require_scope(actor, organiser)
    if kind not in PairingKind.values:
        raise DomainError("bad_kind", "请选择结对方式。", field="kind")
    people = list({v.pk: v for v in volunteers}.values())
    if not people:
        raise DomainError("required", "请选择结对的志愿者。", field="volunteers")
    if kind == PairingKind.ONE_TO_ONE and len(people) != 1:
        raise DomainError("one_to_one", "一对一结对只能选择一名志愿者。", field="volunteers")
    lead = lead or (people[0] if len(people) == 1 else None)
    if lead is None or lead.pk not in {v.pk for v in people}:
        raise DomainError("bad_lead", "请在结对志愿者中指定一名负责人。", field="lead")
    if start_date is None:
        raise DomainError("required", "请填写结对日期。", field="start_date")
    if start_date > timezone.localdate() + datetime.timedelta(days=90):
        raise DomainError("bad_start", "结对日期不能晚于三个月之后。", field="start_date")
    interval_days = _check_plan(frequency, interval_days)
    locked = list(Volunteer.objects.select_for_update().select_related("home_node").filter(
        pk__in=[v.pk for v in people]).order_by("pk"))  # fmt: skip
    for volunteer in locked:
        _check_volunteer(volunteer, organiser)
    pairing = CarePairing(
        recipient=recipient, kind=kind, organiser=organiser, start_date=start_date, frequency=frequency,
        interval_days=interval_days, plan_note=clean_text(plan_note)[:300], created_by=actor,
    )  # fmt: skip
    pairing.next_due = start_date + datetime.timedelta(days=pairing.period_days)
    pairing.save()
    for volunteer in locked:
        _add_member(actor=actor, pairing=pairing, volunteer=volunteer, is_lead=volunteer.pk == lead.pk)
    users = [v.user_id for v in locked if v.user_id]
    notify.notify(
        users, "新的结对帮扶任务",
        f"您已被安排与{recipient.name}结对（{pairing.get_kind_display()}，{pairing.frequency_label}走访），"
        f"第一次走访请在{_day(pairing.next_due)}前完成。",
        link=_pairing_link(pairing),
    )
    audit.record(
        actor, "care.pairing.created", target=pairing, node_path=recipient.node.path,
        summary=f"新建结对（{pairing.get_kind_display()}，{organiser.name}负责，志愿者 {len(locked)} 名，"
        f"负责人 {lead.name}，{pairing.frequency_label}）",
    )
    return pairing


def _require_active(pairing: CarePairing) -> None:
    if pairing.status != PairingStatus.ACTIVE:
        raise DomainError("ended", "该结对已结束。")


def _current(pairing: CarePairing):
    return PairingMember.objects.select_for_update().filter(pairing=pairing, left_at__isnull=True)


@transaction.atomic
def pairing_add_volunteer(*, actor, pairing: CarePairing, volunteer: Volunteer, make_lead: bool = False) -> PairingMember:
    pairing = _lock_pairing(pairing)
    _require_pairing_change(actor, pairing)
    _require_active(pairing)
    if pairing.kind == PairingKind.ONE_TO_ONE:
        raise DomainError("one_to_one", "一对一结对不能增加志愿者；如需多人帮扶，请新建“多对一”结对。")
    volunteer = Volunteer.objects.select_for_update().select_related("home_node").get(pk=volunteer.pk)
    _check_volunteer(volunteer, pairing.organiser)
    if make_lead:
        _current(pairing).filter(is_lead=True).update(is_lead=False)
    member = _add_member(actor=actor, pairing=pairing, volunteer=volunteer, is_lead=make_lead)
    if volunteer.user_id:
        notify.notify(
            [volunteer.user_id], "新的结对帮扶任务",
            f"您已加入与{pairing.recipient.name}的结对（{pairing.frequency_label}走访）。", link=_pairing_link(pairing),
        )
    audit.record(
        actor, "care.pairing.volunteer_added", target=pairing, node_path=pairing.recipient.node.path,
        summary=f"结对增加志愿者 {volunteer.name}" + ("（负责人）" if make_lead else ""),
    )
    return member


@transaction.atomic
def pairing_remove_volunteer(*, actor, pairing: CarePairing, volunteer: Volunteer, reason: str = "") -> PairingMember:
    pairing = _lock_pairing(pairing)
    _require_pairing_change(actor, pairing)
    _require_active(pairing)
    members = list(_current(pairing).select_related("volunteer"))
    member = next((m for m in members if m.volunteer_id == volunteer.pk), None)
    if member is None:
        raise DomainError("not_paired", f"{volunteer.name}不在该结对中。")
    if len(members) == 1:
        raise DomainError("last_volunteer", "结对至少要有一名志愿者；如不再帮扶，请结束结对。")
    if member.is_lead:
        raise DomainError("is_lead", "不能移出负责人，请先指定其他志愿者为负责人。")
    member.left_at = timezone.now()
    member.save(update_fields=["left_at"])
    audit.record(
        actor, "care.pairing.volunteer_removed", target=pairing, node_path=pairing.recipient.node.path,
        summary=f"结对移出志愿者 {member.volunteer.name}" + (f"：{clean_text(reason)}" if clean_text(reason) else ""),
    )
    return member


@transaction.atomic
def pairing_set_lead(*, actor, pairing: CarePairing, volunteer: Volunteer) -> PairingMember:
    pairing = _lock_pairing(pairing)
    _require_pairing_change(actor, pairing)
    _require_active(pairing)
    members = list(_current(pairing))
    member = next((m for m in members if m.volunteer_id == volunteer.pk), None)
    if member is None:
        raise DomainError("not_paired", f"{volunteer.name}不在该结对中。")
    if not member.is_lead:
        _current(pairing).filter(is_lead=True).update(is_lead=False)
        member.is_lead = True
        member.save(update_fields=["is_lead"])
        audit.record(
            actor, "care.pairing.lead_changed", target=pairing, node_path=pairing.recipient.node.path,
            summary=f"结对负责人改为 {volunteer.name}",
        )
    return member


@transaction.atomic
def pairing_end(*, actor, pairing: CarePairing, reason: str) -> CarePairing:
    """End a pairing with a reason (moved away, no longer needed, passed away …); the volunteers are told."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请填写结束结对的原因。", field="reason")
    pairing = _lock_pairing(pairing)
    _require_pairing_change(actor, pairing)
    _require_active(pairing)
    now = timezone.now()
    users = list(_current(pairing).exclude(volunteer__user_id=None).values_list("volunteer__user_id", flat=True))
    _current(pairing).update(left_at=now)
    pairing.status = PairingStatus.ENDED
    pairing.end_reason = reason[:300]
    pairing.ended_by = actor
    pairing.ended_at = now
    pairing.next_due = None
    pairing.save(update_fields=["status", "end_reason", "ended_by", "ended_at", "next_due"])
    notify.notify(users, "结对已结束", f"您与{pairing.recipient.name}的结对已结束：{reason}", link=_pairing_link(pairing))
    audit.record(
        actor, "care.pairing.ended", target=pairing, node_path=pairing.recipient.node.path,
        summary=f"结束结对：{reason}",
    )
    return pairing


# ---- visits -------------------------------------------------------------------------------------------------------


def _visit_method(actor, pairing: CarePairing, members: dict[int, PairingMember], present: list[Volunteer]) -> str:
    """A paired volunteer logs a visit she was at (本人申报); the responsible team's people or staff above log any
    (名单录入). Both are marked as not her own check-in on her records (R27)."""
    own = next((m for m in members.values() if m.volunteer.user_id and m.volunteer.user_id == actor.pk), None)
    if own is not None:
        if own.volunteer_id not in {v.pk for v in present}:
            raise DomainError("not_present", "您只能填写本人参加的走访；请勾选您自己。", field="volunteers")
        return CheckMethod.DECLARED
    if not get_scope(actor).covers(pairing.organiser.path, "change"):
        raise PermissionDeniedError("只有结对志愿者或负责该结对的队伍、组织可以填写走访记录。")
    return CheckMethod.ROSTER


@transaction.atomic
def visit_log_create(
    *,
    actor,
    pairing: CarePairing,
    volunteers: list[Volunteer],
    start_at: datetime.datetime,
    end_at: datetime.datetime,
    content: str,
    situation: str = "",
    follow_up_needed: bool = False,
    follow_up_note: str = "",
    idempotency_key: str = "",
) -> VisitLog:
    """Log one visit and write one service record per volunteer present, organised by the pairing's team or node.
    Whatever the ledger refuses (an overlapping record, a frozen volunteer, a future time) refuses the whole visit:
    nothing is written."""
    pairing = _lock_pairing(pairing)  # first: retries sent at the same moment queue here, then find the first log
    idempotency_key = (idempotency_key or "").strip()[:64]
    if idempotency_key:
        earlier = VisitLog.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.pairing_id != pairing.pk:
                raise DomainError("idempotency_conflict", "该提交编号已用于其他走访记录。")
            return earlier
    _require_active(pairing)
    members = {m.volunteer_id: m for m in _current(pairing).select_related("volunteer")}
    present = list({v.pk: v for v in volunteers}.values())
    if not present:
        raise DomainError("required", "请选择参加走访的志愿者。", field="volunteers")
    strangers = [v.name for v in present if v.pk not in members]
    if strangers:
        raise DomainError("not_paired", f"{'、'.join(strangers)}不在该结对中。", field="volunteers")
    method = _visit_method(actor, pairing, members, present)
    content = (content or "").strip()
    if not content:
        raise DomainError("required", "请填写走访内容。", field="content")
    if start_at is None or end_at is None:
        raise DomainError("required", "请填写走访的开始和结束时间。", field="start_at" if start_at is None else "end_at")
    if end_at <= start_at:
        raise DomainError("bad_times", "结束时间应晚于开始时间。", field="end_at")
    if end_at - start_at > datetime.timedelta(hours=MAX_VISIT_HOURS):
        raise DomainError("too_long", f"一次走访不超过 {MAX_VISIT_HOURS} 小时，请分次填写。", field="end_at")
    if timezone.localdate(start_at) < pairing.start_date:
        raise DomainError("before_start", f"走访时间不能早于结对日期（{_day(pairing.start_date)}）。", field="start_at")
    follow_up_note = clean_text(follow_up_note)[:300]
    if follow_up_needed and not follow_up_note:
        raise DomainError("required", "需要跟进时请写明跟进事项。", field="follow_up_note")
    visit = VisitLog.objects.create(
        pairing=pairing, start_at=start_at, end_at=end_at, content=content, situation=(situation or "").strip(),
        follow_up_needed=bool(follow_up_needed), follow_up_note=follow_up_note if follow_up_needed else "",
        recorded_by=actor, idempotency_key=idempotency_key,
    )  # fmt: skip
    recipient = pairing.recipient
    # The record is seen on her page, her certificate and the organiser's lists: the category and the community,
    # never the recipient's name or address (R23).
    record_content = f"结对走访（{recipient.get_category_display()}）"
    for volunteer in sorted(present, key=lambda v: v.pk):
        record = ledger.record_create(
            volunteer=volunteer, organiser=pairing.organiser, start_at=start_at, end_at=end_at, method=method,
            actor=actor, place=recipient.node.name, content=record_content,
            # A paired volunteer is not in the organiser's staff scope; her membership of the pairing (checked
            # above) is what allows her to record the visit she was at.
            check_scope=method == CheckMethod.ROSTER,
        )  # fmt: skip
        VisitAttendance.objects.create(visit=visit, volunteer=volunteer, record=record)
    if pairing.last_visit_at is None or start_at > pairing.last_visit_at:
        pairing.last_visit_at = start_at
        pairing.next_due = selectors.next_visit_due(pairing)
        pairing.save(update_fields=["last_visit_at", "next_due"])
    if visit.follow_up_needed:
        notify.notify(
            _leaders_of(pairing.organiser), "结对走访需要跟进",
            f"{recipient.name}的走访记录提出需要跟进：{follow_up_note}", link=_pairing_link(pairing),
        )
    audit.record(
        actor, "care.visit.created", target=visit, node_path=recipient.node.path,
        summary=f"走访记录：{timezone.localtime(start_at):%Y-%m-%d %H:%M}，志愿者 {len(present)} 名"
        + ("，需跟进" if visit.follow_up_needed else ""),
    )
    return visit


# ---- reminders ----------------------------------------------------------------------------------------------------


def care_sweep(*, now: datetime.datetime | None = None) -> int:
    """Remind the paired volunteers and the team's leader (or the node's administrators) of each pairing whose
    visit is overdue, once per overdue period: a pairing reminded for its current due date is skipped, so running
    the sweep again (cron, the task worker, by hand) sends nothing twice. Returns how many pairings were
    reminded."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = selectors.overdue_since(today)
    candidates = CarePairing.objects.filter(status=PairingStatus.ACTIVE, next_due__lt=cutoff).values_list("pk", flat=True)
    sent = 0
    for pk in list(candidates.iterator()):
        try:
            sent += _remind(pk, cutoff, now)
        except Exception:  # one broken pairing must not stop the reminders of the others
            logger.exception("care sweep: could not remind pairing %s", pk)
    return sent


@transaction.atomic
def _remind(pk: int, cutoff: datetime.date, now: datetime.datetime) -> int:
    pairing = CarePairing.objects.select_for_update().select_related("recipient", "organiser").get(pk=pk)
    due = pairing.next_due
    if pairing.status != PairingStatus.ACTIVE or due is None or due >= cutoff or pairing.reminded_due == due:
        return 0
    volunteers = list(
        PairingMember.objects.filter(pairing=pairing, left_at__isnull=True)
        .exclude(volunteer__user_id=None)
        .values_list("volunteer__user_id", flat=True)
    )
    days = (timezone.localdate(now) - due).days
    body = f"与{pairing.recipient.name}的结对走访应在{_day(due)}前完成，已逾期 {days} 天，请尽快安排走访并填写走访记录。"
    notify.notify(volunteers, "结对走访已逾期", body, link=_pairing_link(pairing), channels=(notify.INAPP, notify.SMS))
    notify.notify(
        _leaders_of(pairing.organiser), "结对走访已逾期", f"{pairing.organiser.name}负责的{body}",
        link=_pairing_link(pairing),
    )
    pairing.reminded_due = due
    pairing.save(update_fields=["reminded_due"])
    audit.record(
        None, "care.pairing.reminded", target=pairing, node_path=pairing.organiser.path,
        summary=f"走访逾期提醒（应访日期 {due:%Y-%m-%d}）",
    )
    return 1
