"""Writes of the hours app besides the ledger itself: records from attendance, and correction requests (R16)."""

from django.db import transaction
from django.utils import timezone

from jinguo.activities.choices import SELF_METHODS, CheckMethod
from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.orgs.services import require_scope

from . import ledger
from .models import CorrectionKind, CorrectionRequest, CorrectionStatus, ServiceRecord


def on_attendance_closed(attendance, *, actor, method: str) -> ServiceRecord:
    """An attendance is closed (checked out, or confirmed by the leader): its hours go into the ledger.

    Service time is the time present within the shift: arriving early or leaving late is not service (R15);
    a leader corrects a record when someone really served longer."""
    shift = attendance.shift
    start = max(attendance.check_in_at, shift.start_at)
    end = min(attendance.check_out_at, shift.end_at)
    if end <= start:
        raise DomainError("outside_shift", "签到、签退时间不在班次时间内，无法计算服务时长，请联系队长更正。")
    return ledger.record_create(
        volunteer=attendance.volunteer,
        organiser=attendance.activity.organiser,
        start_at=start,
        end_at=end,
        method=method,
        actor=actor,
        activity=attendance.activity,
        attendance=attendance,
        check_scope=method not in SELF_METHODS,
    )


@transaction.atomic
def correction_request_create(
    *, actor, kind: str, proposed_start, proposed_end, reason: str, record: ServiceRecord | None = None,
    activity=None,
) -> CorrectionRequest:
    """She reports a wrong record (kind=error, `record`) or a missing one (kind=omission, `activity`)."""
    volunteer = getattr(actor, "volunteer", None)
    if volunteer is None:
        raise PermissionDeniedError("只有志愿者本人可以申请更正自己的记录。")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", "请说明情况。", field="reason")
    if proposed_end <= proposed_start:
        raise DomainError("bad_times", "结束时间应晚于开始时间。", field="proposed_end")
    if kind == CorrectionKind.ERROR:
        if record is None or record.volunteer_id != volunteer.pk:
            raise DomainError("not_found", "没有找到这条记录。")
        if record.superseded_by_id:
            raise DomainError("superseded", "该记录已被更正，请对最新的记录提出申请。")
        organiser, activity = record.organiser, record.activity
    elif kind == CorrectionKind.OMISSION:
        if activity is None:
            raise DomainError("required", "请选择漏记的活动。", field="activity")
        if not activity.signups.filter(volunteer=volunteer).exists():
            raise DomainError("not_signed_up", "您没有报名该活动，不能申请补记。")
        organiser, record = activity.organiser, None
    else:
        raise DomainError("bad_kind", "申请类型无效。")
    if CorrectionRequest.objects.filter(volunteer=volunteer, record=record, activity=activity,
                                        status=CorrectionStatus.OPEN).exists():
        raise DomainError("duplicate", "您已提交过该申请，请等待处理。")
    request = CorrectionRequest.objects.create(
        volunteer=volunteer, kind=kind, record=record, activity=activity, organiser=organiser,
        proposed_start=proposed_start, proposed_end=proposed_end, reason=reason,
    )
    audit.record(actor, "record.correction_requested", target=volunteer, node_path=organiser.path,
                 summary=f"申请{request.get_kind_display()}：{reason}")
    return request


@transaction.atomic
def correction_request_accept(*, actor, request: CorrectionRequest, note: str = "") -> ServiceRecord:
    """The organising team corrects the record (or enters the missing one) as she asked."""
    request = CorrectionRequest.objects.select_for_update(of=("self",)).select_related("organiser", "record", "volunteer__user").get(
        pk=request.pk
    )
    require_scope(actor, request.organiser)
    if request.status != CorrectionStatus.OPEN:
        raise DomainError("closed", "该申请已处理。")
    reason = f"本人申请{request.get_kind_display()}：{request.reason}"
    if request.kind == CorrectionKind.ERROR:
        result = ledger.record_correct(
            actor=actor, record=request.record, start_at=request.proposed_start, end_at=request.proposed_end,
            reason=reason,
        )
    else:
        result = ledger.record_create(
            volunteer=request.volunteer, organiser=request.organiser, start_at=request.proposed_start,
            end_at=request.proposed_end, method=CheckMethod.IMPORT, actor=actor, activity=request.activity,
        )
    request.status = CorrectionStatus.ACCEPTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    request.result = result
    request.save()
    notify.notify([request.volunteer.user], "服务记录已更正", f"您的{request.get_kind_display()}申请已处理：{result.hours} 小时。")
    return result


@transaction.atomic
def correction_request_reject(*, actor, request: CorrectionRequest, note: str) -> CorrectionRequest:
    note = (note or "").strip()
    if not note:
        raise DomainError("required", "请写明不采纳的原因，便于本人了解。", field="note")
    request = CorrectionRequest.objects.select_for_update(of=("self",)).select_related("organiser", "volunteer__user").get(pk=request.pk)
    require_scope(actor, request.organiser)
    if request.status != CorrectionStatus.OPEN:
        raise DomainError("closed", "该申请已处理。")
    request.status = CorrectionStatus.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save()
    audit.record(actor, "record.correction_rejected", target=request.volunteer, node_path=request.organiser.path,
                 summary=f"未采纳{request.get_kind_display()}申请：{note}")
    notify.notify([request.volunteer.user], "更正申请未采纳", note)
    return request
