"""The service-record ledger (R13-R17, R19, R25, R27, R28): every write to ServiceRecord goes through here.

- Entries are appended, never edited or deleted. A correction is a new entry naming the one it corrects, with the
  reason and the person (and `hours_delta`, new minus old); the corrected entry points to it (`superseded_by`).
  Every total is a plain SUM of `hours` over the current (not superseded), counted entries.
- Hours are actual service time rounded DOWN to settings.HOURS_ROUNDING_MINUTES (R15). One volunteer's current
  records may not overlap in time (R15): refused.
- A record is counted (`verified`) unless held: she has not confirmed her registration yet (R25), the day passes
  settings.HOURS_DAILY_CAP (R15), or a suspicious pattern (R28): then it waits for review and counts only once
  released. Entries not from her own check-in are marked `entered_by_other` (R27).
- Only the organising node's people record for its activities (R14: whoever organises records).
- Counted totals are cached per volunteer and year and per organising node and year; star levels follow the
  counted total (R19), a promotion or demotion is recorded with its date.
"""

import datetime
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from jinguo.activities.choices import SELF_METHODS, CheckMethod
from jinguo.core import audit
from jinguo.core.errors import DomainError
from jinguo.orgs.services import require_scope
from jinguo.volunteers.choices import VolunteerStatus
from jinguo.volunteers.models import Volunteer

from . import hooks
from .models import NodeHours, RecordKind, RecordStatus, ServiceRecord, StarChange, VolunteerHours

ZERO = Decimal("0")
HELD_PENDING = "本人尚未确认登记信息，确认后自动计入（R25）"
FLAG_TEXT = {
    "daily_cap": "当日累计服务时长超过上限",
    "burst": "同一账号短时间内录入大量记录",
    "late_entry": "补录时间距服务日期过久",
    "no_location": "签到无位置信息",
}


# ---- arithmetic -----------------------------------------------------------------------------------------------


def round_hours(start_at: datetime.datetime, end_at: datetime.datetime) -> Decimal:
    """Actual service time in hours, rounded down to the deployment's step (default half an hour)."""
    if end_at <= start_at:
        return ZERO
    step = settings.HOURS_ROUNDING_MINUTES
    minutes = int((end_at - start_at).total_seconds() // 60)
    if step > 1:
        minutes -= minutes % step
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _year(record: ServiceRecord) -> int:
    return record.service_date.year


def _apply_totals(volunteer_id: int, organiser_id: int, year: int, hours: Decimal, records: int) -> None:
    """Add to the caches inside the caller's transaction (rows created on first use)."""
    if not hours and not records:
        return
    updated = VolunteerHours.objects.filter(volunteer_id=volunteer_id, year=year).update(
        hours=F("hours") + hours, records=F("records") + records
    )
    if not updated:
        VolunteerHours.objects.create(volunteer_id=volunteer_id, year=year, hours=hours, records=records)
    updated = NodeHours.objects.filter(node_id=organiser_id, year=year).update(
        hours=F("hours") + hours, records=F("records") + records
    )
    if not updated:
        NodeHours.objects.create(node_id=organiser_id, year=year, hours=hours, records=records)


def counted_total(volunteer: Volunteer) -> Decimal:
    total = VolunteerHours.objects.filter(volunteer=volunteer).aggregate(s=Sum("hours"))["s"]
    return total or ZERO


def star_for(total: Decimal) -> int:
    return sum(1 for threshold in settings.STAR_THRESHOLDS if total >= threshold)


def _update_star(volunteer_id: int, record: ServiceRecord | None) -> None:
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer_id)
    total = counted_total(volunteer)
    level = star_for(total)
    if level != volunteer.star_level:
        StarChange.objects.create(
            volunteer=volunteer, from_level=volunteer.star_level, to_level=level, total_hours=total, record=record
        )
        Volunteer.objects.filter(pk=volunteer.pk).update(star_level=level)


def _count(record: ServiceRecord, sign: int, *, star: bool = True) -> None:
    """Add (sign=+1) or take out (sign=-1) a current entry in the counted totals, then re-check her star level."""
    _apply_totals(record.volunteer_id, record.organiser_id, _year(record), record.hours * sign, sign)
    if star:
        _update_star(record.volunteer_id, record)


# ---- checks ---------------------------------------------------------------------------------------------------


def _overlapping(volunteer_id: int, start_at, end_at, *, exclude: ServiceRecord | None = None):
    """Her current records (counted or held) that overlap [start, end)."""
    qs = ServiceRecord.objects.current().filter(
        volunteer_id=volunteer_id,
        status__in=[RecordStatus.VERIFIED, RecordStatus.HELD],
        start_at__lt=end_at,
        end_at__gt=start_at,
        hours__gt=0,
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs


def _check_overlap(volunteer: Volunteer, start_at, end_at, *, exclude=None) -> None:
    clash = _overlapping(volunteer.pk, start_at, end_at, exclude=exclude).select_related("organiser").first()
    if clash is not None:
        start = timezone.localtime(clash.start_at)
        end = timezone.localtime(clash.end_at)
        raise DomainError(
            "overlap",
            f"{volunteer.name}在 {start:%Y-%m-%d %H:%M}—{end:%H:%M} 已有服务记录（{clash.organiser.name}），"
            "同一时间不能有两条记录。",
        )


def _day_hours(volunteer_id: int, day: datetime.date, *, exclude=None) -> Decimal:
    qs = ServiceRecord.objects.current().filter(volunteer_id=volunteer_id, service_date=day, status=RecordStatus.VERIFIED)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.aggregate(s=Sum("hours"))["s"] or ZERO


def _flags(*, volunteer_id: int, day: datetime.date, hours: Decimal, actor, method: str, exclude=None) -> list[str]:
    """R15 daily cap and R28 patterns. Each flag holds the record for review; none refuses it."""
    flags = []
    if _day_hours(volunteer_id, day, exclude=exclude) + hours > settings.HOURS_DAILY_CAP:
        flags.append("daily_cap")
    if method not in SELF_METHODS and getattr(actor, "pk", None):
        since = timezone.now() - datetime.timedelta(minutes=settings.BURST_MINUTES)
        recent = ServiceRecord.objects.filter(recorded_by=actor, recorded_at__gte=since).count()
        if recent >= settings.BURST_RECORDS:
            flags.append("burst")
        if (timezone.localdate() - day).days > settings.LATE_ENTRY_DAYS:
            flags.append("late_entry")
    return flags


def _check_recorder(actor, organiser, activity) -> None:
    """R14: only the organising node (its people, or the levels above acting for it) records its hours."""
    if activity is not None and activity.organiser_id != organiser.pk:
        raise DomainError("not_organiser", f"「{activity.title}」由「{activity.organiser.name}」组织，只能由其记录服务时长。")
    if actor is not None and getattr(actor, "pk", None):
        require_scope(actor, organiser)


# ---- writes ---------------------------------------------------------------------------------------------------


@transaction.atomic
def record_create(
    *,
    volunteer: Volunteer,
    organiser,
    start_at: datetime.datetime,
    end_at: datetime.datetime,
    method: str,
    actor,
    activity=None,
    attendance=None,
    place: str = "",
    content: str = "",
    evaluation: str = "",
    check_scope: bool = True,
    extra_flags: tuple[str, ...] = (),
) -> ServiceRecord:
    """Append a record. `check_scope=False` only for her own check-out, where the scan proved her presence and the
    organiser is the activity's (the check-in service has checked both)."""
    if check_scope:
        _check_recorder(actor, organiser, activity)
    elif activity is not None and activity.organiser_id != organiser.pk:
        raise DomainError("not_organiser", "服务记录只能由活动的组织单位记录。")
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)  # serialises her records: no overlap race
    if volunteer.status in (VolunteerStatus.FROZEN, VolunteerStatus.WITHDRAWN):
        raise DomainError("inactive_volunteer", f"{volunteer.name}的登记{volunteer.get_status_display()}，不能记录服务时长。")
    if end_at <= start_at:
        raise DomainError("bad_times", "结束时间应晚于开始时间。")
    if end_at > timezone.now() + datetime.timedelta(minutes=5):
        raise DomainError("future", "不能记录尚未发生的服务时长。")
    hours = round_hours(start_at, end_at)
    if hours <= 0:
        raise DomainError("too_short", f"服务时长不足 {settings.HOURS_ROUNDING_MINUTES} 分钟，不计时长。")
    _check_overlap(volunteer, start_at, end_at)
    day = timezone.localtime(start_at).date()
    flags = _flags(volunteer_id=volunteer.pk, day=day, hours=hours, actor=actor, method=method)
    flags += [flag for flag in extra_flags if flag in FLAG_TEXT and flag not in flags]  # the caller's R28 evidence
    reasons = [FLAG_TEXT[f] for f in flags]
    if volunteer.status == VolunteerStatus.PENDING:
        reasons.insert(0, HELD_PENDING)
    record = ServiceRecord.objects.create(
        volunteer=volunteer,
        activity=activity,
        attendance=attendance,
        organiser=organiser,
        service_date=day,
        start_at=start_at,
        end_at=end_at,
        hours=hours,
        hours_delta=hours,
        place=place or (activity.address if activity else ""),
        content=content or (activity.title if activity else ""),
        evaluation=evaluation,
        method=method,
        entered_by_other=method not in SELF_METHODS,
        status=RecordStatus.HELD if reasons else RecordStatus.VERIFIED,
        hold_reason="；".join(reasons),
        flags=flags,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    if record.status == RecordStatus.VERIFIED:
        _count(record, +1)
    audit.record(
        actor, "record.created", target=record, node_path=organiser.path,
        summary=f"{volunteer.name} {day:%Y-%m-%d} {hours} 小时（{record.get_method_display()}）"
        + (f"，暂缓计入：{record.hold_reason}" if reasons else ""),
    )
    return record


@transaction.atomic
def record_correct(
    *, actor, record: ServiceRecord, start_at: datetime.datetime, end_at: datetime.datetime, reason: str,
    evaluation: str | None = None,
) -> ServiceRecord:
    """Append a correction of `record` (its current state). start_at == end_at removes its hours entirely."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请填写更正原因。", field="reason")
    old = ServiceRecord.objects.select_for_update().select_related("organiser", "volunteer").get(pk=record.pk)
    _check_recorder(actor, old.organiser, None)
    if old.superseded_by_id:
        raise DomainError("superseded", "该记录已被更正，请更正最新的一条。")
    if old.status == RecordStatus.REJECTED:
        raise DomainError("rejected", "不予计入的记录不能更正。")
    Volunteer.objects.select_for_update().filter(pk=old.volunteer_id).first()
    if end_at < start_at:
        raise DomainError("bad_times", "结束时间不能早于开始时间。")
    hours = round_hours(start_at, end_at)
    if hours > 0:
        _check_overlap(old.volunteer, start_at, end_at, exclude=old)
    new = ServiceRecord.objects.create(
        volunteer_id=old.volunteer_id,
        activity_id=old.activity_id,
        attendance_id=old.attendance_id,
        organiser_id=old.organiser_id,
        service_date=timezone.localtime(start_at).date(),
        start_at=start_at,
        end_at=end_at if hours > 0 else start_at,
        hours=hours,
        hours_delta=hours - old.hours,
        place=old.place,
        content=old.content,
        evaluation=old.evaluation if evaluation is None else evaluation,
        method=CheckMethod.CORRECTION,
        entered_by_other=True,
        kind=RecordKind.CORRECTION,
        corrects=old,
        reason=reason,
        status=old.status,
        hold_reason=old.hold_reason,
        flags=old.flags,
        recorded_by=actor,
    )
    ServiceRecord.objects.filter(pk=old.pk).update(superseded_by=new)
    if old.status == RecordStatus.VERIFIED:
        # The current entry of the record changes: the old one leaves the totals, the correction joins them.
        _count(old, -1, star=False)
        _count(new, +1)
    audit.record(
        actor, "record.corrected", target=new, node_path=old.organiser.path,
        summary=f"更正 {old.volunteer.name} {old.service_date:%Y-%m-%d} 的记录：{old.hours} → {hours} 小时。原因：{reason}",
        detail={"corrects": old.pk},
    )
    hooks.record_changed(old, new, actor=actor, reason=reason)
    return new


def _review_node(record: ServiceRecord):
    from jinguo.orgs.models import Node

    return Node.objects.get_parent(record.organiser) or record.organiser


@transaction.atomic
def record_release(*, actor, record: ServiceRecord) -> ServiceRecord:
    """A held record is counted: by the level above the organiser for R28/R15 holds (not by who entered it)."""
    record = ServiceRecord.objects.select_for_update().select_related("organiser", "volunteer").get(pk=record.pk)
    if record.status != RecordStatus.HELD or record.superseded_by_id:
        raise DomainError("not_held", "该记录不在暂缓状态。")
    if record.volunteer.status == VolunteerStatus.PENDING:
        raise DomainError("pending", "志愿者本人尚未确认登记信息，确认后自动计入（R25）。")
    require_scope(actor, record.organiser, from_above=True)
    if record.recorded_by_id == actor.pk:
        raise DomainError("own_entry", "不能审核自己录入的记录。")
    _check_overlap(record.volunteer, record.start_at, record.end_at, exclude=record)
    ServiceRecord.objects.filter(pk=record.pk).update(status=RecordStatus.VERIFIED)
    record.status = RecordStatus.VERIFIED
    _count(record, +1)
    audit.record(actor, "record.released", target=record, node_path=record.organiser.path,
                 summary=f"审核通过，计入服务时长（原暂缓原因：{record.hold_reason}）")
    return record


@transaction.atomic
def record_reject(*, actor, record: ServiceRecord, reason: str) -> ServiceRecord:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请填写不予计入的原因。", field="reason")
    record = ServiceRecord.objects.select_for_update().select_related("organiser").get(pk=record.pk)
    if record.status != RecordStatus.HELD or record.superseded_by_id:
        raise DomainError("not_held", "只有暂缓计入的记录可以不予计入。")
    require_scope(actor, record.organiser, from_above=True)
    ServiceRecord.objects.filter(pk=record.pk).update(status=RecordStatus.REJECTED)
    record.status = RecordStatus.REJECTED
    audit.record(actor, "record.rejected", target=record, node_path=record.organiser.path,
                 summary=f"不予计入：{reason}", detail={"reason": reason})
    hooks.record_changed(record, None, actor=actor, reason=reason)
    return record


def release_for_confirmed(volunteer, *, actor) -> None:
    """R25: once she confirms, the records held only because she had not are counted (others stay held)."""
    for record in ServiceRecord.objects.select_for_update().filter(
        volunteer=volunteer, status=RecordStatus.HELD, superseded_by__isnull=True, hold_reason=HELD_PENDING
    ):
        ServiceRecord.objects.filter(pk=record.pk).update(status=RecordStatus.VERIFIED, hold_reason="")
        record.status = RecordStatus.VERIFIED
        _count(record, +1)
    for record in ServiceRecord.objects.select_for_update().filter(
        volunteer=volunteer, status=RecordStatus.HELD, superseded_by__isnull=True,
        hold_reason__startswith=HELD_PENDING + "；",
    ):
        ServiceRecord.objects.filter(pk=record.pk).update(hold_reason=record.hold_reason[len(HELD_PENDING) + 1:])


# ---- reads and the cache check ----------------------------------------------------------------------------------


def subtree_hours(node, year: int | None = None) -> dict:
    """Counted hours and records organised in a subtree (from the per-node cache)."""
    qs = NodeHours.objects.filter(node__path__startswith=node.path)
    if year is not None:
        qs = qs.filter(year=year)
    figures = qs.aggregate(hours=Sum("hours"), records=Sum("records"))
    return {"hours": figures["hours"] or ZERO, "records": figures["records"] or 0}


def rebuild_hours(*, fix: bool = True) -> list[dict]:
    """Recompute the caches and star levels from the ledger; return (and optionally fix) every difference."""
    from django.db.models.functions import ExtractYear

    counted = ServiceRecord.objects.current().filter(status=RecordStatus.VERIFIED).annotate(y=ExtractYear("service_date"))
    by_volunteer = defaultdict(lambda: (ZERO, 0))
    for row in counted.values("volunteer_id", "y").annotate(h=Sum("hours"), n=Count("id")):
        by_volunteer[(row["volunteer_id"], row["y"])] = (row["h"], row["n"])
    by_node = defaultdict(lambda: (ZERO, 0))
    for row in counted.values("organiser_id", "y").annotate(h=Sum("hours"), n=Count("id")):
        by_node[(row["organiser_id"], row["y"])] = (row["h"], row["n"])
    diffs = []
    with transaction.atomic():
        cached = {(c.volunteer_id, c.year): c for c in VolunteerHours.objects.all()}
        for key in set(cached) | set(by_volunteer):
            want = by_volunteer[key]
            have = (cached[key].hours, cached[key].records) if key in cached else (ZERO, 0)
            if have != want:
                diffs.append({"table": "volunteer", "key": key, "cached": have, "ledger": want})
                if fix:
                    VolunteerHours.objects.update_or_create(
                        volunteer_id=key[0], year=key[1], defaults={"hours": want[0], "records": want[1]}
                    )
        cached = {(c.node_id, c.year): c for c in NodeHours.objects.all()}
        for key in set(cached) | set(by_node):
            want = by_node[key]
            have = (cached[key].hours, cached[key].records) if key in cached else (ZERO, 0)
            if have != want:
                diffs.append({"table": "node", "key": key, "cached": have, "ledger": want})
                if fix:
                    NodeHours.objects.update_or_create(
                        node_id=key[0], year=key[1], defaults={"hours": want[0], "records": want[1]}
                    )
        totals = defaultdict(lambda: ZERO)
        for (volunteer_id, _), (hours, _n) in by_volunteer.items():
            totals[volunteer_id] += hours
        for volunteer in Volunteer.objects.filter(Q(star_level__gt=0) | Q(pk__in=list(totals))).only("pk", "star_level"):
            level = star_for(totals[volunteer.pk])
            if level != volunteer.star_level:
                diffs.append({"table": "star", "key": volunteer.pk, "cached": volunteer.star_level, "ledger": level})
                if fix:
                    _update_star(volunteer.pk, None)
    return diffs
