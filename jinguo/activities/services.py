"""Writes of the activities app: publishing (R7, R29, R30), cancelling, sign-up with capacity and waitlist (R4, R9,
R10, R25), the roster (decisions, messages, no-shows), insurance policies (R10) and qualifications (R9).

Each write: one transaction, the rows it changes locked, scope checked, a DomainError in Chinese when refused (and
nothing written), an audit entry when done. Check-in and check-out live in their own module."""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.scope import get_scope
from jinguo.core.text import clean_text
from jinguo.orgs.choices import NodeKind, Role
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.orgs.services import require_scope
from jinguo.volunteers.choices import VolunteerStatus
from jinguo.volunteers.models import Volunteer

from . import selectors
from .choices import HOLDING_SIGNUP, OPEN_SIGNUP, ActivityStatus, ApprovalMode, Audience, Campaign, SignUpStatus
from .models import Activity, Attendance, InsurancePolicy, Qualification, Shift, SignUp

# Fields of an activity that the create/update services accept (everything else is state).
ACTIVITY_FIELDS = (
    "title", "category", "content", "address", "latitude", "longitude", "geofence_m", "service_site", "start_at",
    "end_at", "capacity", "skills_required", "qualification", "min_age", "max_age", "approval_mode",
    "signup_deadline", "cancel_cutoff_hours", "risk_statement", "protection", "is_risky", "audience", "campaign",
)
TEXT_FIELDS = ("title", "content", "address", "skills_required", "qualification", "risk_statement", "protection")
MINOR_AGE = 18


def _detail_link(activity: Activity) -> str:
    return reverse("activities:detail", args=[activity.pk])


def _when(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def _day(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---- publishing ---------------------------------------------------------------------------------------------------


def _check_organiser(actor, organiser: Node) -> None:
    if organiser is None or not organiser.is_active:
        raise DomainError("bad_organiser", "请选择组织单位（已撤销的组织不能发布活动）。", field="organiser")
    require_scope(actor, organiser)


def _clean_activity(data: dict, organiser: Node) -> dict:
    """Normalise and check one activity's fields; raises on the first problem, naming its field."""
    clean = {key: data.get(key) for key in ACTIVITY_FIELDS if key in data}
    for key in TEXT_FIELDS:
        if key in clean:
            clean[key] = (clean[key] or "").strip() if key in ("content", "risk_statement", "protection") else clean_text(
                clean[key]
            )
    if "service_site" in clean:
        clean["service_site"] = selectors.normalise_site(clean["service_site"] or "")
    for key, label in (("title", "活动名称"), ("content", "服务内容"), ("address", "活动地点")):
        if not clean.get(key):
            raise DomainError("required", f"请填写{label}。", field=key)
    if not clean.get("category"):
        raise DomainError("required", "请选择服务类别。", field="category")
    start, end = clean.get("start_at"), clean.get("end_at")
    if start is None or end is None:
        raise DomainError("required", "请填写开始和结束时间。", field="start_at" if start is None else "end_at")
    if end <= start:
        raise DomainError("bad_times", "结束时间应晚于开始时间。", field="end_at")
    deadline = clean.get("signup_deadline")
    if deadline is None:
        raise DomainError("required", "请填写报名截止时间。", field="signup_deadline")
    if deadline > end:
        raise DomainError("bad_deadline", "报名截止时间不能晚于活动结束时间。", field="signup_deadline")
    capacity = clean.get("capacity")
    if not capacity or capacity < 1:
        raise DomainError("bad_capacity", "招募人数至少为 1 人。", field="capacity")
    low, high = clean.get("min_age"), clean.get("max_age")
    if low is not None and high is not None and low > high:
        raise DomainError("bad_age", "最低年龄不能大于最高年龄。", field="max_age")
    lat, lng = clean.get("latitude"), clean.get("longitude")
    if (lat is None) != (lng is None):
        raise DomainError("bad_point", "经度和纬度要么都填，要么都不填。", field="latitude" if lat is None else "longitude")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("bad_point", "经纬度超出范围，请重新选择地图位置。", field="latitude")
    if clean.get("geofence_m") and lat is None:
        raise DomainError("geofence_needs_point", "设置签到范围须先标注活动地点的经纬度。", field="geofence_m")
    if clean.get("audience") not in Audience.values:
        raise DomainError("bad_audience", "请选择招募范围。", field="audience")
    if clean["audience"] == Audience.TEAM and organiser.kind != NodeKind.TEAM:
        raise DomainError("bad_audience", "“仅本队成员”只适用于由队伍组织的活动。", field="audience")
    if clean.get("approval_mode") not in ApprovalMode.values:
        raise DomainError("bad_mode", "请选择录用方式。", field="approval_mode")
    if (clean.get("campaign") or "") not in Campaign.values:
        raise DomainError("bad_campaign", "主题活动无效。", field="campaign")
    clean["campaign"] = clean.get("campaign") or ""
    if clean.get("cancel_cutoff_hours") is None:
        clean["cancel_cutoff_hours"] = 24
    clean["is_risky"] = bool(clean.get("is_risky"))
    return clean


def _clean_shifts(shifts: list[dict] | None, start, end) -> list[dict]:
    rows = []
    for index, row in enumerate(shifts or [], start=1):
        name = clean_text(row.get("name"))
        s, e, capacity = row.get("start_at"), row.get("end_at"), row.get("capacity")
        if s is None or e is None or not capacity:
            raise DomainError("bad_shift", f"第 {index} 个班次须填写开始、结束时间和人数。", field="shifts")
        if e <= s:
            raise DomainError("bad_shift", f"第 {index} 个班次的结束时间应晚于开始时间。", field="shifts")
        if s < start or e > end:
            raise DomainError("bad_shift", f"第 {index} 个班次「{name or index}」不在活动时间之内。", field="shifts")
        if capacity < 1:
            raise DomainError("bad_shift", f"第 {index} 个班次的人数至少为 1 人。", field="shifts")
        rows.append({"id": row.get("id"), "name": name, "start_at": s, "end_at": e, "capacity": capacity})
    return rows


def _save_shifts(activity: Activity, shifts: list[dict], actor) -> None:
    """Make the activity's shifts match `shifts` (or the single whole-activity shift when there are none).

    A shift somebody signed up for is not deleted, and its capacity is not cut below the places already taken;
    more places let the waitlist move up."""
    existing = {s.pk: s for s in Shift.objects.select_for_update().filter(activity=activity)}
    if not shifts:
        if len(existing) == 1:
            only = next(iter(existing.values()))
            shifts = [{"id": only.pk, "name": only.name, "start_at": activity.start_at, "end_at": activity.end_at,
                       "capacity": activity.capacity}]
        else:
            shifts = [{"id": None, "name": "", "start_at": activity.start_at, "end_at": activity.end_at,
                       "capacity": activity.capacity}]
    keep = {row["id"] for row in shifts if row.get("id")}
    for pk, shift in existing.items():
        if pk not in keep:
            if shift.signups.exists() or shift.attendances.exists():
                raise DomainError("shift_in_use", f"班次「{shift}」已有人报名，不能删除。", field="shifts")
            shift.delete()
    grown = []
    for row in shifts:
        shift = existing.get(row.get("id")) if row.get("id") else None
        if shift is None:
            Shift.objects.create(activity=activity, name=row["name"], start_at=row["start_at"], end_at=row["end_at"],
                                 capacity=row["capacity"])
            continue
        taken = shift.signups.filter(status__in=HOLDING_SIGNUP).count()
        if row["capacity"] < taken:
            raise DomainError(
                "capacity_below_taken",
                f"班次「{shift}」已录用或待审核 {taken} 人，人数不能少于 {taken}。",
                field="shifts" if shift.name else "capacity",
            )
        if (row["start_at"], row["end_at"]) != (shift.start_at, shift.end_at) and shift.attendances.exists():
            raise DomainError("shift_started", f"班次「{shift}」已有签到记录，不能修改时间。", field="shifts")
        if row["capacity"] > shift.capacity:
            grown.append(shift)
        shift.name, shift.start_at, shift.end_at, shift.capacity = (
            row["name"], row["start_at"], row["end_at"], row["capacity"]
        )
        shift.save()
    for shift in grown:
        _promote(shift, actor)


@transaction.atomic
def activity_create(*, actor, organiser: Node, data: dict, shifts: list[dict] | None = None) -> Activity:
    """A draft. Risks and protection may still be missing: publishing refuses until they are stated (R7)."""
    _check_organiser(actor, organiser)
    clean = _clean_activity(data, organiser)
    rows = _clean_shifts(shifts, clean["start_at"], clean["end_at"])
    if rows:
        clean["capacity"] = sum(row["capacity"] for row in rows)
    activity = Activity.objects.create(organiser=organiser, created_by=actor, status=ActivityStatus.DRAFT, **clean)
    _save_shifts(activity, rows, actor)
    audit.record(actor, "activity.created", target=activity, node_path=organiser.path,
                 summary=f"新建活动（草稿）：{activity.title}")
    return activity


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().select_related("organiser").get(pk=activity.pk)


def _require_change(actor, activity: Activity) -> None:
    require_scope(actor, activity.organiser)


@transaction.atomic
def activity_update(*, actor, activity: Activity, data: dict, shifts: list[dict] | None = None) -> Activity:
    """Edit a draft, or a published activity that has not finished (the R7 and R29 checks run again)."""
    activity = _locked(activity)
    _require_change(actor, activity)
    if activity.status == ActivityStatus.PENDING:
        raise DomainError("pending", "活动正在等待上级审核，请先撤回审核再修改。")
    if activity.status not in (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED):
        raise DomainError("closed", f"活动{activity.get_status_display()}，不能修改。")
    if activity.status == ActivityStatus.PUBLISHED and activity.end_at <= timezone.now():
        raise DomainError("finished", "活动已结束，不能修改。")
    clean = _clean_activity(data, activity.organiser)
    rows = _clean_shifts(shifts, clean["start_at"], clean["end_at"])
    if rows:
        clean["capacity"] = sum(row["capacity"] for row in rows)
    changed = [Activity._meta.get_field(k).verbose_name for k, v in clean.items() if getattr(activity, k) != v]
    for key, value in clean.items():
        setattr(activity, key, value)
    if activity.status == ActivityStatus.PUBLISHED:
        _check_ready(activity)
        _check_site_cap(actor, activity)
    activity.save()
    _save_shifts(activity, rows, actor)
    audit.record(actor, "activity.updated", target=activity, node_path=activity.organiser.path,
                 summary="修改活动：" + ("、".join(str(c) for c in changed) or "班次"))
    return activity


def publish_problems(activity: Activity) -> list[str]:
    """What a recruitment notice still lacks (R7: time, place, content, requirements, headcount, risks, protection)."""
    problems = []
    if not (activity.risk_statement or "").strip():
        problems.append("请说明活动可能存在的风险（R7：未写明风险的招募信息不能发布）。")
    if not (activity.protection or "").strip():
        problems.append("请说明为志愿者提供的安全保障措施。")
    if activity.end_at <= timezone.now():
        problems.append("活动结束时间已过，不能发布。")
    elif activity.signup_deadline <= timezone.now():
        problems.append("报名截止时间已过，请先修改报名截止时间。")
    return problems


def _check_ready(activity: Activity) -> None:
    problems = publish_problems(activity)
    if problems:
        field = "risk_statement" if "风险" in problems[0] else "protection" if "保障" in problems[0] else None
        raise DomainError("not_ready", problems[0], field=field, detail={"problems": problems})


def _check_site_cap(actor, activity: Activity) -> None:
    """R29: at most SITE_DAILY_CAP published activities serve one site on one day."""
    if not activity.service_site:
        return
    cap = settings.SITE_DAILY_CAP
    scope = get_scope(actor)
    for day in selectors.local_days(activity.start_at, activity.end_at):
        others = list(selectors.site_activities_on(activity.service_site, day, exclude_pk=activity.pk))
        if len(others) >= cap:
            names = "；".join(
                f"「{a.title}」（{a.organiser.name}，{timezone.localtime(a.start_at):%H:%M}）"
                if scope.covers(a.organiser.path, "view")
                else f"{a.organiser.name} {timezone.localtime(a.start_at):%H:%M} 的活动"
                for a in others
            )
            raise DomainError(
                "site_cap",
                f"{_day(day)}已有 {len(others)} 个活动服务「{activity.service_site}」（每天最多 {cap} 个）：{names}。"
                "请改期或换一个服务对象，避免同一对象一天内被重复服务。",
                field="service_site",
                detail={"activities": [a.pk for a in others], "day": day.isoformat()},
            )


def approval_node_for(organiser: Node) -> Node | None:
    """R30: the nearest node above the organiser that requires approval before its lower levels publish."""
    paths = organiser.ancestor_paths()
    if not paths:
        return None
    return (
        Node.objects.filter(path__in=paths, requires_publish_approval=True, status="active").order_by("-depth").first()
    )


def _publish_now(actor, activity: Activity) -> None:
    _check_site_cap(actor, activity)
    activity.status = ActivityStatus.PUBLISHED
    activity.published_at = timezone.now()


def _approvers(node: Node) -> list[int]:
    return list(
        RoleAssignment.objects.current()
        .filter(node=node, role=Role.FEDERATION_ADMIN)
        .values_list("user_id", flat=True)
    )


@transaction.atomic
def activity_publish(*, actor, activity: Activity) -> Activity:
    """Publish a draft; or, when a node above requires it (R30), send it to that node for approval. Someone who
    herself administers the approving node (or a node above it) publishes directly."""
    activity = _locked(activity)
    _require_change(actor, activity)
    if activity.status != ActivityStatus.DRAFT:
        raise DomainError("not_draft", f"活动{activity.get_status_display()}，不能再次发布。")
    _check_ready(activity)
    approval_node = approval_node_for(activity.organiser)
    activity.approval_node = approval_node
    activity.approval_note = ""
    if approval_node is not None and not get_scope(actor).covers(approval_node.path, "change"):
        _check_site_cap(actor, activity)  # tell her now rather than after the review
        activity.status = ActivityStatus.PENDING
        activity.save()
        notify.notify(
            _approvers(approval_node), "有活动待审核",
            f"「{activity.organiser.name}」提交了活动「{activity.title}」（{_when(activity.start_at)}），请审核。",
            link=_detail_link(activity),
        )
        audit.record(actor, "activity.submitted", target=activity, node_path=activity.organiser.path,
                     summary=f"提交「{approval_node.name}」审核：{activity.title}")
        return activity
    if approval_node is not None:
        activity.approved_by = actor
    _publish_now(actor, activity)
    activity.save()
    audit.record(actor, "activity.published", target=activity, node_path=activity.organiser.path,
                 summary=f"发布活动：{activity.title}")
    return activity


def _require_approver(actor, activity: Activity) -> None:
    if activity.approval_node is None or not get_scope(actor).covers(activity.approval_node.path, "change"):
        raise PermissionDeniedError("只有审核单位的管理员可以审核该活动。")


@transaction.atomic
def activity_approve(*, actor, activity: Activity, note: str = "") -> Activity:
    activity = _locked(activity)
    if activity.status != ActivityStatus.PENDING:
        raise DomainError("not_pending", "该活动不在待审核状态。")
    _require_approver(actor, activity)
    _check_ready(activity)
    _publish_now(actor, activity)
    activity.approved_by = actor
    activity.approval_note = clean_text(note)[:300]
    activity.save()
    notify.notify([activity.created_by_id], "活动审核通过", f"「{activity.title}」已审核通过并发布。",
                  link=_detail_link(activity))
    audit.record(actor, "activity.approved", target=activity, node_path=activity.organiser.path,
                 summary=f"审核通过并发布：{activity.title}")
    return activity


@transaction.atomic
def activity_reject(*, actor, activity: Activity, reason: str) -> Activity:
    """Send it back to the organiser as a draft, with the reason."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请写明退回原因，便于组织单位修改。", field="reason")
    activity = _locked(activity)
    if activity.status != ActivityStatus.PENDING:
        raise DomainError("not_pending", "该活动不在待审核状态。")
    _require_approver(actor, activity)
    activity.status = ActivityStatus.DRAFT
    activity.approval_note = reason[:300]
    activity.save()
    notify.notify([activity.created_by_id], "活动未通过审核", f"「{activity.title}」被退回：{reason}",
                  link=_detail_link(activity))
    audit.record(actor, "activity.rejected", target=activity, node_path=activity.organiser.path,
                 summary=f"退回活动：{activity.title}：{reason}")
    return activity


@transaction.atomic
def activity_withdraw(*, actor, activity: Activity) -> Activity:
    """The organiser takes back an activity awaiting approval, to edit it."""
    activity = _locked(activity)
    _require_change(actor, activity)
    if activity.status != ActivityStatus.PENDING:
        raise DomainError("not_pending", "该活动不在待审核状态。")
    activity.status = ActivityStatus.DRAFT
    activity.save(update_fields=["status"])
    audit.record(actor, "activity.withdrawn", target=activity, node_path=activity.organiser.path,
                 summary=f"撤回审核：{activity.title}")
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: Activity, reason: str) -> Activity:
    """Cancel before it finishes; everyone signed up is told (in-app and SMS) and their sign-ups close."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请写明取消原因，系统会通知已报名的志愿者。", field="reason")
    activity = _locked(activity)
    _require_change(actor, activity)
    if activity.status in (ActivityStatus.CANCELLED, ActivityStatus.ARCHIVED):
        raise DomainError("closed", f"活动{activity.get_status_display()}。")
    if activity.end_at <= timezone.now():
        raise DomainError("finished", "活动已结束，不能取消。")
    signups = list(
        SignUp.objects.select_for_update().filter(activity=activity, status__in=OPEN_SIGNUP).select_related("volunteer")
    )
    now = timezone.now()
    SignUp.objects.filter(pk__in=[s.pk for s in signups]).update(
        status=SignUpStatus.CANCELLED, decided_at=now, decided_by=actor, note=f"活动已取消：{reason}"[:300]
    )
    activity.status = ActivityStatus.CANCELLED
    activity.cancel_reason = reason[:300]
    activity.save(update_fields=["status", "cancel_reason"])
    notified = notify.notify(
        [s.volunteer.user_id for s in signups], "活动已取消",
        f"您报名的「{activity.title}」（{_when(activity.start_at)}）已取消：{reason}",
        link=_detail_link(activity), channels=(notify.INAPP, notify.SMS),
    )
    audit.record(actor, "activity.cancelled", target=activity, node_path=activity.organiser.path,
                 summary=f"取消活动：{activity.title}：{reason}（已通知 {notified} 人）",
                 detail={"signups": [s.pk for s in signups]})
    return activity


@transaction.atomic
def activity_archive(*, actor, activity: Activity) -> Activity:
    activity = _locked(activity)
    _require_change(actor, activity)
    if activity.status != ActivityStatus.PUBLISHED or activity.end_at > timezone.now():
        raise DomainError("not_finished", "只有已结束的活动可以归档。")
    activity.status = ActivityStatus.ARCHIVED
    activity.save(update_fields=["status"])
    audit.record(actor, "activity.archived", target=activity, node_path=activity.organiser.path,
                 summary=f"归档活动：{activity.title}")
    return activity


# ---- sign-up ------------------------------------------------------------------------------------------------------


def _check_eligible(volunteer: Volunteer, activity: Activity, shift: Shift) -> None:
    """Every rule about her and this shift; the first that fails is raised with its own message."""
    now = timezone.now()
    if volunteer.status != VolunteerStatus.ACTIVE:
        if volunteer.status == VolunteerStatus.PENDING:
            raise DomainError("not_confirmed", "您的志愿者登记尚未由本人确认，确认后才能报名活动。")
        raise DomainError("inactive_volunteer", f"您的志愿者登记{volunteer.get_status_display()}，不能报名活动。")
    if activity.status != ActivityStatus.PUBLISHED:
        raise DomainError("not_open", f"活动{activity.get_status_display()}，不能报名。")
    if not selectors.audience_includes(volunteer, activity):
        raise DomainError("not_audience", f"该活动的招募范围是“{activity.get_audience_display()}”，您不在范围内。")
    if activity.signup_deadline < now:
        raise DomainError("deadline_passed", "报名已截止。")
    if shift.end_at <= now:
        raise DomainError("shift_over", "该班次已结束。")
    day = timezone.localtime(shift.start_at).date()
    age = volunteer.age(day)
    if activity.min_age is not None or activity.max_age is not None:
        if age is None:
            raise DomainError("age_unknown", "该活动有年龄要求，您的档案中没有出生日期，请联系所在社区补充。")
        if activity.min_age is not None and age < activity.min_age:
            raise DomainError("too_young", f"该活动要求年满 {activity.min_age} 周岁，您暂不符合。")
        if activity.max_age is not None and age > activity.max_age:
            raise DomainError("too_old", f"该活动要求年龄不超过 {activity.max_age} 周岁，您暂不符合。")
    if age is not None and age < MINOR_AGE and not selectors.has_guardian_consent(volunteer):
        raise DomainError("guardian_required", "未满 18 周岁报名活动须有监护人同意，请监护人到所在社区或队伍办理。")
    first, last = selectors.shift_days(shift)
    if activity.qualification and not selectors.holds_qualification(volunteer, activity.qualification, last):
        raise DomainError(
            "qualification_required",
            f"该活动须持有「{activity.qualification}」且在活动当天有效。如已持证，请联系队伍登记您的资质。",
        )
    if activity.is_risky:
        days = selectors.uncovered_days(volunteer, first, last)
        if days:
            raise DomainError(
                "insurance_required",
                f"该活动有一定危险性，须有覆盖活动日期的意外保险；您在 {_day(days[0])} 没有有效保单。"
                "请联系组织单位为您投保。",
            )
    clash = (
        SignUp.objects.filter(volunteer=volunteer, status__in=OPEN_SIGNUP,
                              shift__start_at__lt=shift.end_at, shift__end_at__gt=shift.start_at)
        .exclude(shift=shift)
        .select_related("activity")
        .first()
    )
    if clash is not None:
        raise DomainError(
            "overlap", f"与您已报名的「{clash.activity.title}」（{_when(clash.shift.start_at)} 起）时间冲突。"
        )


@transaction.atomic
def signup_create(*, actor, shift: Shift, idempotency_key: str = "") -> SignUp:
    """She signs up for a shift. A full shift puts her on the waitlist (not a refusal). A retried request with the
    same idempotency key returns the sign-up the first one made."""
    volunteer = Volunteer.objects.filter(user_id=getattr(actor, "pk", None)).first() if actor else None
    if volunteer is None:
        raise DomainError("not_volunteer", "请先注册成为志愿者再报名。")
    key = (idempotency_key or "")[:64]
    # Lock order: her row, then the shift's. Her row serialises her own requests (a double tap, two overlapping
    # shifts at once); the shift's serialises everyone counting its places.
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if key:
        earlier = SignUp.objects.filter(volunteer=volunteer, idempotency_key=key).first()
        if earlier is not None:
            return earlier
    shift = Shift.objects.select_for_update().select_related("activity__organiser").get(pk=shift.pk)
    activity = shift.activity
    existing = SignUp.objects.filter(volunteer=volunteer, shift=shift, status__in=OPEN_SIGNUP).first()
    if existing is not None:
        raise DomainError("already_signed_up", f"您已报名该班次（{existing.get_status_display()}）。")
    _check_eligible(volunteer, activity, shift)
    taken = selectors.holding_count(shift)
    if taken >= shift.capacity:
        status = SignUpStatus.WAITLISTED
    elif activity.approval_mode == ApprovalMode.MANUAL:
        status = SignUpStatus.PENDING
    else:
        status = SignUpStatus.CONFIRMED
    try:
        with transaction.atomic():
            signup = SignUp.objects.create(
                activity=activity, shift=shift, volunteer=volunteer, status=status, idempotency_key=key,
                decided_at=timezone.now() if status == SignUpStatus.CONFIRMED else None,
            )
    except IntegrityError:
        raise DomainError("already_signed_up", "您已报名该班次。") from None
    messages = {
        SignUpStatus.CONFIRMED: "报名成功，请准时参加。",
        SignUpStatus.PENDING: "报名已提交，等待队长审核。",
        SignUpStatus.WAITLISTED: "名额已满，您已进入候补；有人取消时将按顺序自动递补并通知您。",
    }
    notify.notify([actor], f"报名：{activity.title}", messages[status], link=_detail_link(activity))
    audit.record(actor, "signup.created", target=activity, node_path=activity.organiser.path,
                 summary=f"{volunteer.name}报名「{activity.title}」{shift.name or ''}：{signup.get_status_display()}")
    return signup


def cancel_deadline(signup: SignUp) -> datetime.datetime:
    return signup.shift.start_at - datetime.timedelta(hours=signup.activity.cancel_cutoff_hours)


def _promote(shift: Shift, actor) -> list[SignUp]:
    """Fill free places of a (locked) shift from its waitlist, first come first served; each is told."""
    if shift.end_at <= timezone.now():
        return []
    activity = Activity.objects.select_related("organiser").get(pk=shift.activity_id)
    if activity.status != ActivityStatus.PUBLISHED:
        return []
    free = shift.capacity - selectors.holding_count(shift)
    if free <= 0:
        return []
    promoted = list(
        SignUp.objects.select_for_update()
        .filter(shift=shift, status=SignUpStatus.WAITLISTED)
        .select_related("volunteer")
        .order_by("created_at", "id")[:free]
    )
    status = SignUpStatus.PENDING if activity.approval_mode == ApprovalMode.MANUAL else SignUpStatus.CONFIRMED
    now = timezone.now()
    for signup in promoted:
        signup.status = status
        signup.decided_at = now if status == SignUpStatus.CONFIRMED else None
        signup.note = "候补递补"
        signup.save(update_fields=["status", "decided_at", "note"])
        body = (
            f"「{activity.title}」（{_when(shift.start_at)}）有名额空出，您已由候补转为"
            + ("录用，请准时参加。" if status == SignUpStatus.CONFIRMED else "待审核，等待队长确认。")
        )
        notify.notify([signup.volunteer.user_id], "候补成功", body, link=_detail_link(activity),
                      channels=(notify.INAPP, notify.SMS))
        audit.record(actor, "signup.promoted", target=activity, node_path=activity.organiser.path,
                     summary=f"{signup.volunteer.name}由候补递补为{signup.get_status_display()}")
    return promoted


def _locked_signup(signup: SignUp) -> tuple[SignUp, Shift]:
    """The shift first (the lock that guards its places), then the sign-up."""
    shift = Shift.objects.select_for_update().get(pk=signup.shift_id)
    signup = SignUp.objects.select_for_update().select_related("activity__organiser", "volunteer", "shift").get(
        pk=signup.pk
    )
    return signup, shift


@transaction.atomic
def signup_cancel(*, actor, signup: SignUp, reason: str = "") -> SignUp:
    """She cancels before the cut-off; the organiser may cancel anyone's (with a reason). A freed place goes to the
    first on the waitlist."""
    signup, shift = _locked_signup(signup)
    activity = signup.activity
    own = signup.volunteer.user_id is not None and signup.volunteer.user_id == getattr(actor, "pk", None)
    reason = clean_text(reason)
    if not own:
        _require_change(actor, activity)
        if not reason:
            raise DomainError("required", "请写明取消原因，系统会通知本人。", field="reason")
    if signup.status not in OPEN_SIGNUP:
        raise DomainError("closed", f"该报名{signup.get_status_display()}，无需取消。")
    if own and signup.status != SignUpStatus.WAITLISTED and timezone.now() >= cancel_deadline(signup):
        raise DomainError(
            "cutoff_passed",
            f"活动开始前 {activity.cancel_cutoff_hours} 小时内不能自行取消报名，如有急事请联系组织单位。",
        )
    was_holding = signup.status in HOLDING_SIGNUP
    signup.status = SignUpStatus.CANCELLED
    signup.decided_at = timezone.now()
    signup.decided_by = actor
    signup.note = (("本人取消" if own else "组织单位取消") + (f"：{reason}" if reason else ""))[:300]
    signup.save(update_fields=["status", "decided_at", "decided_by", "note"])
    if not own:
        notify.notify([signup.volunteer.user_id], "报名已被取消", f"您报名的「{activity.title}」已由组织单位取消：{reason}",
                      link=_detail_link(activity))
    audit.record(actor, "signup.cancelled", target=activity, node_path=activity.organiser.path,
                 summary=f"{signup.volunteer.name}的报名已取消" + (f"：{reason}" if reason else ""))
    if was_holding:
        _promote(shift, actor)
    return signup


@transaction.atomic
def signup_approve(*, actor, signup: SignUp) -> SignUp:
    signup, _shift = _locked_signup(signup)
    _require_change(actor, signup.activity)
    if signup.status != SignUpStatus.PENDING:
        raise DomainError("not_pending", "该报名不在待审核状态。")
    signup.status = SignUpStatus.CONFIRMED
    signup.decided_at = timezone.now()
    signup.decided_by = actor
    signup.save(update_fields=["status", "decided_at", "decided_by"])
    notify.notify([signup.volunteer.user_id], "报名已录用", f"您报名的「{signup.activity.title}」已录用，请准时参加。",
                  link=_detail_link(signup.activity))
    audit.record(actor, "signup.approved", target=signup.activity, node_path=signup.activity.organiser.path,
                 summary=f"录用{signup.volunteer.name}")
    return signup


@transaction.atomic
def signup_reject(*, actor, signup: SignUp, reason: str) -> SignUp:
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请写明不录用的原因，系统会告知本人。", field="reason")
    signup, shift = _locked_signup(signup)
    _require_change(actor, signup.activity)
    if signup.status not in (SignUpStatus.PENDING, SignUpStatus.WAITLISTED):
        raise DomainError("not_pending", "只有待审核或候补中的报名可以不录用。")
    was_holding = signup.status in HOLDING_SIGNUP
    signup.status = SignUpStatus.REJECTED
    signup.decided_at = timezone.now()
    signup.decided_by = actor
    signup.note = reason[:300]
    signup.save(update_fields=["status", "decided_at", "decided_by", "note"])
    notify.notify([signup.volunteer.user_id], "报名未录用", f"您报名的「{signup.activity.title}」未录用：{reason}",
                  link=_detail_link(signup.activity))
    audit.record(actor, "signup.rejected", target=signup.activity, node_path=signup.activity.organiser.path,
                 summary=f"未录用{signup.volunteer.name}：{reason}")
    if was_holding:
        _promote(shift, actor)
    return signup


@transaction.atomic
def signup_mark_no_show(*, actor, signup: SignUp, no_show: bool = True) -> SignUp:
    """After the shift: a confirmed volunteer who did not come (and has no check-in) is marked absent."""
    signup, _shift = _locked_signup(signup)
    _require_change(actor, signup.activity)
    if signup.status != SignUpStatus.CONFIRMED:
        raise DomainError("not_confirmed", "只有已录用的报名可以标记缺席。")
    if signup.shift.end_at > timezone.now():
        raise DomainError("not_over", "班次结束后才能标记缺席。")
    if no_show and Attendance.objects.filter(volunteer_id=signup.volunteer_id, shift_id=signup.shift_id).exists():
        raise DomainError("attended", f"{signup.volunteer.name}有签到记录，不能标记为缺席。")
    if signup.no_show == no_show:
        return signup
    signup.no_show = no_show
    signup.save(update_fields=["no_show"])
    audit.record(actor, "signup.no_show" if no_show else "signup.no_show_undone", target=signup.activity,
                 node_path=signup.activity.organiser.path,
                 summary=f"{'标记' if no_show else '撤销'}{signup.volunteer.name}缺席")
    return signup


# ---- messages to the roster ---------------------------------------------------------------------------------------


@transaction.atomic
def roster_message(*, actor, activity: Activity, title: str, body: str, statuses: list[str] | None = None,
                   shift: Shift | None = None, sms: bool = False) -> int:
    """A message to everyone on the roster with the given sign-up states (default: confirmed). The audit log keeps
    what was sent, to whom and how."""
    activity = Activity.objects.select_related("organiser").get(pk=activity.pk)
    _require_change(actor, activity)
    title, body = clean_text(title), (body or "").strip()
    if not title:
        raise DomainError("required", "请填写标题。", field="title")
    if not body:
        raise DomainError("required", "请填写内容。", field="body")
    statuses = [s for s in (statuses or [SignUpStatus.CONFIRMED]) if s in OPEN_SIGNUP]
    if not statuses:
        raise DomainError("required", "请选择发送对象。", field="statuses")
    signups = SignUp.objects.filter(activity=activity, status__in=statuses)
    if shift is not None:
        signups = signups.filter(shift=shift)
    user_ids = [u for u in signups.values_list("volunteer__user_id", flat=True) if u]
    if not user_ids:
        raise DomainError("no_recipients", "所选范围内没有可通知的志愿者。", field="statuses")
    channels = (notify.INAPP, notify.SMS) if sms else (notify.INAPP,)
    sent = notify.notify(user_ids, f"{activity.title}：{title}", body, link=_detail_link(activity), channels=channels)
    audit.record(
        actor, "activity.message_sent", target=activity, node_path=activity.organiser.path,
        summary=f"向 {sent} 人发送通知：{title}",
        detail={"title": title, "body": body, "statuses": statuses, "shift": shift.pk if shift else None,
                "channels": list(channels), "recipients": sent},
    )
    return sent


# ---- insurance (R10) -----------------------------------------------------------------------------------------------


def _volunteers_in_scope(actor, volunteers) -> list[Volunteer]:
    ids = {v.pk for v in volunteers}
    found = list(Volunteer.objects.restrict(actor, "view").filter(pk__in=ids))
    if len(found) != len(ids):
        raise PermissionDeniedError("所选志愿者中有不在您管理范围内的人员。")
    return found


def _clean_policy(data: dict) -> dict:
    clean = {
        "insurer": clean_text(data.get("insurer")),
        "policy_number": clean_text(data.get("policy_number")).replace(" ", ""),
        "starts_on": data.get("starts_on"),
        "ends_on": data.get("ends_on"),
        "note": clean_text(data.get("note"))[:200],
    }
    if not clean["insurer"]:
        raise DomainError("required", "请填写保险公司。", field="insurer")
    if not clean["policy_number"]:
        raise DomainError("required", "请填写保单号。", field="policy_number")
    if clean["starts_on"] is None or clean["ends_on"] is None:
        raise DomainError("required", "请填写保险期间。", field="starts_on" if clean["starts_on"] is None else "ends_on")
    if clean["ends_on"] < clean["starts_on"]:
        raise DomainError("bad_period", "保险止期不能早于起期。", field="ends_on")
    return clean


def _duplicate_policy(clean: dict, exclude: int | None = None) -> bool:
    qs = InsurancePolicy.objects.filter(insurer=clean["insurer"], policy_number=clean["policy_number"])
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


@transaction.atomic
def policy_create(*, actor, holder: Node, data: dict, volunteers=()) -> InsurancePolicy:
    if holder is None:
        raise DomainError("required", "请选择投保单位。", field="holder")
    require_scope(actor, holder)
    clean = _clean_policy(data)
    people = _volunteers_in_scope(actor, volunteers)
    if _duplicate_policy(clean):
        raise DomainError("duplicate", "该保险公司的这个保单号已登记过。", field="policy_number")
    policy = InsurancePolicy.objects.create(holder=holder, created_by=actor, **clean)
    policy.volunteers.set(people)
    audit.record(actor, "policy.created", target=policy, node_path=holder.path,
                 summary=f"登记保单 {policy}，被保险人 {len(people)} 人")
    return policy


@transaction.atomic
def policy_update(*, actor, policy: InsurancePolicy, data: dict, add=(), remove=()) -> InsurancePolicy:
    """Correct a policy's facts and add or remove people it covers."""
    policy = InsurancePolicy.objects.select_for_update().select_related("holder").get(pk=policy.pk)
    require_scope(actor, policy.holder)
    clean = _clean_policy({**{k: getattr(policy, k) for k in ("insurer", "policy_number", "starts_on", "ends_on",
                                                                 "note")}, **data})
    if _duplicate_policy(clean, exclude=policy.pk):
        raise DomainError("duplicate", "该保险公司的这个保单号已登记过。", field="policy_number")
    added = _volunteers_in_scope(actor, add)
    removed = list(policy.volunteers.filter(pk__in=[v.pk for v in remove]))
    for key, value in clean.items():
        setattr(policy, key, value)
    policy.save()
    policy.volunteers.add(*added)
    policy.volunteers.remove(*removed)
    audit.record(actor, "policy.updated", target=policy, node_path=policy.holder.path,
                 summary=f"修改保单 {policy}：新增被保险人 {len(added)} 人，移除 {len(removed)} 人")
    return policy


# ---- qualifications (R9) -----------------------------------------------------------------------------------------


def _require_volunteer_change(actor, volunteer: Volunteer) -> None:
    if not Volunteer.objects.restrict(actor, "change").filter(pk=volunteer.pk).exists():
        raise PermissionDeniedError("该志愿者不在您的管理范围内。")


@transaction.atomic
def qualification_create(*, actor, volunteer: Volunteer, name: str, certificate_number: str = "",
                         valid_until: datetime.date | None = None) -> Qualification:
    """Staff who checked the certificate record it; tasks that need it are then open to her (R9)."""
    _require_volunteer_change(actor, volunteer)
    name = clean_text(name)
    if not name:
        raise DomainError("required", "请填写资质名称。", field="name")
    number = clean_text(certificate_number).replace(" ", "")
    if valid_until is not None and valid_until < timezone.localdate():
        raise DomainError("expired", "该证书已过有效期，不能登记为有效资质。", field="valid_until")
    if Qualification.objects.filter(volunteer=volunteer, name=name, certificate_number=number).exists():
        raise DomainError("duplicate", f"{volunteer.name}的「{name}」已登记过。", field="name")
    qualification = Qualification.objects.create(
        volunteer=volunteer, name=name, certificate_number=number, valid_until=valid_until, verified_by=actor
    )
    audit.record(actor, "qualification.created", target=volunteer, node_path=volunteer.home_node.path,
                 summary=f"登记资质：{name}" + (f"（有效期至 {valid_until}）" if valid_until else ""))
    return qualification


@transaction.atomic
def qualification_delete(*, actor, qualification: Qualification) -> None:
    qualification = Qualification.objects.select_for_update().select_related("volunteer__home_node").get(
        pk=qualification.pk
    )
    _require_volunteer_change(actor, qualification.volunteer)
    volunteer = qualification.volunteer
    name = qualification.name
    qualification.delete()
    audit.record(actor, "qualification.deleted", target=volunteer, node_path=volunteer.home_node.path,
                 summary=f"删除资质：{name}")

