"""Delivery of an accepted need (接单 → 服务): check-in and check-out of each volunteer who serves it, and the
provider's close-out report with photos.

- She checks in and out herself on her phone (optionally with her position), or the leader of the team that accepted
  the need checks members in and out from a list (method roster, R27: marked as entered by someone else).
- A repeated check-in finds her open visit and writes nothing; a check-out without a check-in is refused.
- The check-out writes her service record through the ledger (`hours.ledger.record_create`): the organiser is the
  team that accepted the need, or, for a need accepted by a volunteer herself, the need's community node. The
  ledger's rules apply (no overlap, daily cap and holds); a refusal undoes the whole check-out.
- The first check-in moves the need to "in service"; the close-out report moves it to "delivered" and completes
  the assignment (ProviderStats.done_count).

Each write is one transaction that locks the need row first: a volunteer's two phones, or she and her leader at
once, are serialised there.
"""

import contextlib
import datetime
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from jinguo.activities.choices import CheckMethod
from jinguo.activities.selectors import haversine_m
from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.scope import get_scope
from jinguo.hours import ledger
from jinguo.volunteers.choices import MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Membership, Volunteer

from . import stats
from .choices import AssignmentStatus, NeedStatus
from .models import Assignment, CloseOut, CloseOutPhoto, Delivery, Need

# Her own check-in on her phone: counted as her own (R27); without a position at either end the record is held
# for the organiser's review (R28: no evidence of presence but her word).
SELF_METHOD = CheckMethod.PHONE
ROSTER_METHOD = CheckMethod.ROSTER
# A position sent with a check-in must lie this close to the need's map point (when the need has one).
MAX_DISTANCE_M = 1000

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_COUNT = 9
SUMMARY_MAX_CHARS = 2000
# Formats accepted, as Pillow names them, with the extension the stored file gets (never the uploader's name).
PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
PHOTO_MAX_PIXELS = 60_000_000


@dataclass
class DeliveryResult:
    delivery: Delivery
    created: bool  # False: a repeated check-in or check-out, nothing was written
    message: str
    level: str = "success"


def _local(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%m月%d日 %H:%M}"


# ---- who serves a need ----------------------------------------------------------------------------------------


def accepted_assignment(need: Need) -> Assignment | None:
    """The assignment that holds the need now (accepted), or that served it (completed)."""
    return (
        need.assignments.filter(status__in=(AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED))
        .select_related("team", "volunteer")
        .order_by("-id")
        .first()
    )


def serving_volunteers(assignment: Assignment):
    """Who may serve: the volunteer the need was given to, or the active members of the team (the same people
    `selectors.is_provider` shows the need's details to)."""
    if assignment.volunteer_id:
        return Volunteer.objects.filter(pk=assignment.volunteer_id)
    members = Membership.objects.filter(team_id=assignment.team_id, status=MembershipStatus.ACTIVE)
    return Volunteer.objects.filter(pk__in=members.values("volunteer_id")).order_by("name", "pk")


def can_lead(user, assignment: Assignment) -> bool:
    """The team's leader (or staff above the team) may check members in and out and close the need out."""
    if assignment.team_id is None:
        return False
    return get_scope(user).covers(assignment.team.path, "change")


def organiser_of(assignment: Assignment):
    """R14: whoever organises records. The team that accepted, or for a volunteer the need's community."""
    return assignment.team if assignment.team_id else assignment.need.node


def _locked_need(need: Need) -> Need:
    return Need.objects.select_for_update(of=("self",)).select_related("node").get(pk=need.pk)


def _serving(need: Need) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(need=need, status=AssignmentStatus.ACCEPTED)
        .select_related("team", "volunteer")
        .first()
    )
    if assignment is None or need.status not in (NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE):
        raise DomainError("not_in_service", f"需求 {need.number} {need.get_status_display()}，当前不能签到、签退。")
    return assignment


def _authorise(actor, assignment: Assignment, volunteer: Volunteer, method: str) -> None:
    if method == SELF_METHOD:
        if not getattr(actor, "pk", None) or volunteer.user_id != actor.pk:
            raise PermissionDeniedError("只能由志愿者本人签到、签退。")
    elif method == ROSTER_METHOD:
        if not can_lead(actor, assignment):
            raise PermissionDeniedError("只有接单队伍的队长可以为队员签到、签退。")
    else:
        raise DomainError("bad_method", "签到方式无效。")
    if not serving_volunteers(assignment).filter(pk=volunteer.pk).exists():
        raise PermissionDeniedError(f"{volunteer.name}不是本需求的服务志愿者（须为接单队伍的在队成员）。")


def _position(latitude, longitude) -> tuple[Decimal, Decimal] | None:
    if latitude in (None, "") or longitude in (None, ""):
        return None
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lng = Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise DomainError("bad_position", "位置信息无效，请重新获取位置。") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("bad_position", "位置信息无效，请重新获取位置。")
    return lat, lng


def _check_distance(need: Need, position, label: str) -> int | None:
    """Her position, when she sent one and the need has a map point, must be near the address."""
    if position is None or need.latitude is None or need.longitude is None:
        return None
    distance = round(haversine_m(need.latitude, need.longitude, position[0], position[1]))
    if distance > MAX_DISTANCE_M:
        raise DomainError(
            "out_of_range", f"您距服务地址约 {distance} 米，请到达服务地址后再{label}（{MAX_DISTANCE_M} 米以内）。"
        )
    return distance


def _when(method: str, at) -> datetime.datetime:
    """Her own check-in happens now; the leader may give the time it really happened, but not a future one."""
    now = timezone.now()
    if at is None or method == SELF_METHOD:
        return now
    if at > now + datetime.timedelta(minutes=1):
        raise DomainError("future", "不能记录尚未到来的签到、签退时间。")
    return at


# ---- check-in and check-out -----------------------------------------------------------------------------------


@transaction.atomic
def delivery_check_in(
    *, actor, need: Need, volunteer: Volunteer, method: str = SELF_METHOD, latitude=None, longitude=None,
    at: datetime.datetime | None = None,
) -> DeliveryResult:
    """She arrives to serve (or her leader records that she did). A repeated check-in writes nothing."""
    need = _locked_need(need)
    assignment = _serving(need)
    _authorise(actor, assignment, volunteer, method)
    at = _when(method, at)
    position = _position(latitude, longitude)
    open_visit = Delivery.objects.filter(assignment=assignment, volunteer=volunteer, checked_out_at__isnull=True).first()
    if open_visit is not None:
        return DeliveryResult(
            open_visit, False, f"{volunteer.name}已签到（{_local(open_visit.checked_in_at)}），无需重复签到。", "info"
        )
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise DomainError("inactive_volunteer", f"{volunteer.name}的登记{volunteer.get_status_display()}，不能签到。")
    distance = _check_distance(need, position, "签到")
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                need=need, assignment=assignment, volunteer=volunteer, method=method, checked_in_at=at,
                in_latitude=position[0] if position else None, in_longitude=position[1] if position else None,
                recorded_by=actor if method != SELF_METHOD else None,
            )
    except IntegrityError:  # only without row locks (never on PostgreSQL): the other request made it
        delivery = Delivery.objects.get(assignment=assignment, volunteer=volunteer, checked_out_at__isnull=True)
        return DeliveryResult(delivery, False, f"{volunteer.name}已签到，无需重复签到。", "info")
    if need.status == NeedStatus.ACCEPTED:
        need.status = NeedStatus.IN_SERVICE
        need.save(update_fields=["status", "updated_at"])
    where = f"，距服务地址 {distance} 米" if distance is not None else ("" if position else "，未获取位置")
    audit.record(
        actor, "delivery.checked_in", target=delivery, node_path=need.node.path,
        summary=f"{volunteer.name}上门服务签到（{CheckMethod(method).label}）{_local(at)}{where}，需求 {need.number}",
    )
    who = "签到成功" if method == SELF_METHOD else f"{volunteer.name}签到成功"
    return DeliveryResult(delivery, True, f"{who}（{_local(at)}）。")


def _record_method(delivery: Delivery, out_method: str) -> str:
    """R27: the record counts as her own only when both ends were her own."""
    return delivery.method if delivery.method != SELF_METHOD else out_method


def _evidence_flags(delivery: Delivery, out_method: str) -> tuple[str, ...]:
    """R28: her own check-in and check-out with no position at either end prove nothing but her word."""
    own = delivery.method == SELF_METHOD and out_method == SELF_METHOD
    if own and delivery.in_latitude is None and delivery.out_latitude is None:
        return ("no_location",)
    return ()


def _content(need: Need) -> str:
    return f"{need.get_category_display()}（服务需求 {need.number}）"


def _place(need: Need) -> str:
    # R23: a vulnerable person's address does not travel into the ledger, which more people read.
    return need.node.name if need.is_sensitive else (need.address or need.node.name)


@transaction.atomic
def delivery_check_out(
    *, actor, need: Need, volunteer: Volunteer, method: str = SELF_METHOD, latitude=None, longitude=None,
    at: datetime.datetime | None = None,
) -> DeliveryResult:
    """She leaves (or her leader records it): the visit is closed and her service record written to the ledger."""
    need = _locked_need(need)
    assignment = _serving(need)
    _authorise(actor, assignment, volunteer, method)
    at = _when(method, at)
    position = _position(latitude, longitude)
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .filter(assignment=assignment, volunteer=volunteer, checked_out_at__isnull=True)
        .first()
    )
    if delivery is None:
        raise DomainError("not_checked_in", f"{volunteer.name}还没有签到，不能签退。请先签到。")
    if at < delivery.checked_in_at:
        raise DomainError("before_check_in", "签退时间不能早于签到时间。")
    distance = _check_distance(need, position, "签退")
    delivery.checked_out_at = at
    delivery.out_latitude = position[0] if position else None
    delivery.out_longitude = position[1] if position else None
    if method != SELF_METHOD:
        delivery.recorded_by = actor
    try:
        record = ledger.record_create(
            volunteer=volunteer, organiser=organiser_of(assignment), start_at=delivery.checked_in_at, end_at=at,
            method=_record_method(delivery, method), actor=actor, content=_content(need), place=_place(need),
            # Her own check-out: she is no staff of the organiser; her check-in on her own account is the proof.
            # The leader's roster goes through the ledger's own check of his scope.
            check_scope=method != SELF_METHOD,
            extra_flags=_evidence_flags(delivery, method),
        )
    except DomainError as exc:
        still = "服务结束后再签退即可。" if exc.code == "too_short" else "本次签退未记录，仍为已签到状态。"
        raise DomainError(exc.code, f"{exc.message}{still}", field=exc.field, detail=exc.detail) from exc
    delivery.record = record
    delivery.save()
    where = f"，距服务地址 {distance} 米" if distance is not None else ""
    audit.record(
        actor, "delivery.checked_out", target=delivery, node_path=need.node.path,
        summary=f"{volunteer.name}上门服务签退（{CheckMethod(method).label}）{_local(at)}{where}，"
        f"服务时长 {record.hours} 小时，需求 {need.number}",
    )
    who = "签退成功" if method == SELF_METHOD else f"{volunteer.name}签退成功"
    if record.status != "verified":
        return DeliveryResult(
            delivery, True, f"{who}，服务时长 {record.hours} 小时已记录，待审核：{record.hold_reason}", "warning"
        )
    return DeliveryResult(delivery, True, f"{who}，本次服务 {record.hours} 小时。")


@dataclass
class RosterOutcome:
    volunteer: Volunteer
    ok: bool
    message: str


def delivery_roster(*, actor, need: Need, volunteers, purpose: str, at=None) -> list[RosterOutcome]:
    """The leader ticks members on the list: each is checked in or out in her own transaction, so that one
    refusal (an overlap, say) does not undo the others."""
    if purpose not in ("in", "out"):
        raise DomainError("bad_purpose", "操作无效。")
    service = delivery_check_in if purpose == "in" else delivery_check_out
    outcomes = []
    for volunteer in volunteers:
        try:
            result = service(actor=actor, need=need, volunteer=volunteer, method=ROSTER_METHOD, at=at)
        except PermissionDeniedError:
            raise
        except DomainError as exc:
            outcomes.append(RosterOutcome(volunteer, False, exc.message))
        else:
            outcomes.append(RosterOutcome(volunteer, result.created, result.message))
    return outcomes


# ---- close-out ------------------------------------------------------------------------------------------------


@dataclass
class _Photo:
    content: bytes
    extension: str


def _read_photo(upload, index: int) -> _Photo:
    """A real JPEG, PNG or WebP, told by its content (never by its name or the browser's word), within limits."""
    label = f"第 {index} 张照片"
    size = getattr(upload, "size", None)
    if size is not None and size > PHOTO_MAX_BYTES:
        raise DomainError("photo_too_big", f"{label}超过 {PHOTO_MAX_BYTES // (1024 * 1024)} MB，请压缩后再上传。", field="photos")
    content = upload.read(PHOTO_MAX_BYTES + 1)
    if len(content) > PHOTO_MAX_BYTES:
        raise DomainError("photo_too_big", f"{label}超过 {PHOTO_MAX_BYTES // (1024 * 1024)} MB，请压缩后再上传。", field="photos")
    if not content:
        raise DomainError("photo_empty", f"{label}是空文件。", field="photos")
    bad = DomainError("photo_type", f"{label}不是有效的图片（仅支持 JPG、PNG、WebP 格式）。", field="photos")
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            if kind not in PHOTO_FORMATS:
                raise bad
            width, height = image.size
            if width * height > PHOTO_MAX_PIXELS:
                raise DomainError("photo_too_big", f"{label}的像素过大，请缩小后再上传。", field="photos")
            image.verify()
        # verify() checks the structure; a full decode catches truncated image data as well.
        with Image.open(io.BytesIO(content)) as image:
            image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise bad from None
    return _Photo(content, PHOTO_FORMATS[kind][0])


def can_close(actor, assignment: Assignment) -> bool:
    """The volunteer the need was given to, the team's leader, or staff of the need's community (or above)."""
    if assignment.volunteer_id and assignment.volunteer.user_id == getattr(actor, "pk", None):
        return True
    if can_lead(actor, assignment):
        return True
    return get_scope(actor).covers(assignment.need.node.path, "change")


def closeout_submit(*, actor, need: Need, summary: str, photos=()) -> CloseOut:
    """The provider reports the service done, with photos: the need is delivered (waits for the requester's
    evaluation) and the assignment completed. Refused while a volunteer is still checked in or when nobody has
    served yet. Bad input changes nothing: no row, no file (every photo is checked before anything is written,
    and files written by a transaction that then fails are removed)."""
    summary = (summary or "").strip()
    if not summary:
        raise DomainError("required", "请填写服务情况。", field="summary")
    if len(summary) > SUMMARY_MAX_CHARS:
        raise DomainError("too_long", f"服务情况请控制在 {SUMMARY_MAX_CHARS} 字以内。", field="summary")
    photos = list(photos or [])
    if len(photos) > PHOTO_MAX_COUNT:
        raise DomainError("too_many_photos", f"最多上传 {PHOTO_MAX_COUNT} 张照片。", field="photos")
    read = [_read_photo(upload, i) for i, upload in enumerate(photos, start=1)]
    saved: list[str] = []
    try:
        return _closeout_write(actor=actor, need=need, summary=summary, photos=read, saved=saved)
    except BaseException:
        _remove_files(saved)
        raise


@transaction.atomic
def _closeout_write(*, actor, need: Need, summary: str, photos: list[_Photo], saved: list[str]) -> CloseOut:
    need = _locked_need(need)
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(need=need, status=AssignmentStatus.ACCEPTED)
        .select_related("team", "volunteer", "need__node")
        .first()
    )
    if CloseOut.objects.filter(need=need).exists():
        raise DomainError("already_closed", "该需求已提交结案报告。")
    if assignment is None or need.status not in (NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE):
        raise DomainError("not_in_service", f"需求 {need.number} {need.get_status_display()}，不能提交结案报告。")
    if not can_close(actor, assignment):
        raise PermissionDeniedError("只有接单的志愿者、接单队伍的队长或受理社区可以提交结案报告。")
    visits = Delivery.objects.filter(assignment=assignment)
    still_in = list(visits.filter(checked_out_at__isnull=True).values_list("volunteer__name", flat=True))
    if still_in:
        raise DomainError("still_checked_in", f"{'、'.join(still_in)}尚未签退，请先签退再提交结案报告。")
    if not visits.filter(record__isnull=False).exists():
        raise DomainError("no_service", "还没有志愿者完成签到和签退，不能结案。")

    now = timezone.now()
    closeout = CloseOut.objects.create(need=need, summary=summary, submitted_by=actor, submitted_at=now)
    for photo in photos:
        row = CloseOutPhoto(closeout=closeout, uploaded_at=now)
        row.image.save(f"{uuid.uuid4().hex}.{photo.extension}", ContentFile(photo.content), save=False)
        saved.append(row.image.name)
        row.save()
    need.status = NeedStatus.DELIVERED
    need.save(update_fields=["status", "updated_at"])
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = now
    assignment.save(update_fields=["status", "completed_at"])
    stats.completed(assignment)
    audit.record(
        actor, "need.delivered", target=need, node_path=need.node.path,
        summary=f"{assignment.assignee_name}提交结案报告（{len(photos)} 张照片），需求 {need.number} 服务完成",
    )
    if need.requester_user_id:
        notify.notify(
            [need.requester_user_id], "服务已完成，请评价",
            f"您的需求 {need.number}（{need.get_category_display()}）已服务完成，欢迎对本次服务进行评价。",
        )
    return closeout


def _remove_files(names) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def photo_content_type(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    for ext, content_type in PHOTO_FORMATS.values():
        if ext == extension:
            return content_type
    return "application/octet-stream"
