"""Evaluation (评估) and complaints, and the provider figures they feed.

- The requester rates a delivered need once (1–5 and a comment): on the public page with her tracking code and
  phone, or from her account; community staff may enter it for her (`by_requester=False`, e.g. read out over the
  phone). The rating feeds the provider's figures (ProviderStats) and so the recommender.
- Federation staff of the need's node (or above) review each evaluation: confirmed, or queried with a note.
- A complaint about a service is recorded (by her or by staff for her), taken in hand and concluded with a written
  conclusion that reaches her.
"""

import re

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.orgs.services import require_scope

from . import stats
from .choices import AssignmentStatus, ComplaintStatus, EvaluationReview, NeedStatus
from .models import Assignment, Complaint, Evaluation, Need, ProviderStats
from .services_dispatch import node_admins

COMMENT_MAX = 500
COMPLAINT_MAX = 2000
RATING_WORDS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}
# Needs that have been served (or are being served): the only ones a complaint can be about.
SERVED_STATUSES = (NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE, NeedStatus.DELIVERED, NeedStatus.EVALUATED)


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def phone_matches(need: Need, phone: str) -> bool:
    """Her phone as she types it (spaces, dashes, +86) against the one on the need."""
    typed, stored = _digits(phone), _digits(need.requester_phone)
    if typed.startswith("86") and len(typed) == 13:
        typed = typed[2:]
    return bool(typed) and typed == stored


def find_by_tracking(tracking_code: str, phone: str) -> Need | None:
    """The need with this tracking code, when the phone matches too; None otherwise (never say which was wrong)."""
    code = (tracking_code or "").strip().upper()
    if not code:
        return None
    need = Need.objects.select_related("node").filter(tracking_code__iexact=code).first()
    if need is None or not phone_matches(need, phone):
        return None
    return need


def _served_by(need: Need) -> Assignment | None:
    return need.assignments.filter(status=AssignmentStatus.COMPLETED).select_related("team", "volunteer").first()


def _requester_authorised(actor, need: Need, phone: str) -> bool:
    if getattr(actor, "pk", None) and need.requester_user_id == actor.pk:
        return True
    return phone_matches(need, phone)


# ---- evaluation -----------------------------------------------------------------------------------------------


@transaction.atomic
def evaluation_submit(
    *, actor, need: Need, rating, comment: str = "", by_requester: bool = True, phone: str = ""
) -> Evaluation:
    """Rate a delivered need, once. By the requester (her account, or `phone` matching the need's when she comes
    with her tracking code), or by staff of the need's node for her (`by_requester=False`)."""
    need = Need.objects.select_for_update(of=("self",)).select_related("node").get(pk=need.pk)
    if by_requester:
        if not _requester_authorised(actor, need, phone):
            raise PermissionDeniedError("只有需求的提交人本人可以评价。")
    else:
        require_scope(actor, need.node)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise DomainError("bad_rating", "请选择 1 到 5 颗星。", field="rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError("too_long", f"评价请控制在 {COMMENT_MAX} 字以内。", field="comment")
    if Evaluation.objects.filter(need=need).exists():
        raise DomainError("already_evaluated", "这项服务已经评价过了，每项服务只能评价一次。")
    if need.status != NeedStatus.DELIVERED:
        raise DomainError("not_delivered", f"需求 {need.number} {need.get_status_display()}，服务完成后才能评价。")
    assignment = _served_by(need)
    if assignment is None:
        raise DomainError("not_delivered", "这项服务还没有完成，完成后才能评价。")
    user = actor if getattr(actor, "pk", None) else None
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                need=need, rating=rating, comment=comment, by_requester=by_requester, entered_by=user
            )
    except IntegrityError:  # only without row locks: the other request made it
        raise DomainError("already_evaluated", "这项服务已经评价过了，每项服务只能评价一次。") from None
    need.status = NeedStatus.EVALUATED
    need.closed_at = timezone.now()
    need.save(update_fields=["status", "closed_at", "updated_at"])
    stats.rated(assignment, rating)
    who = "本人" if by_requester else "工作人员代为"
    audit.record(
        actor, "evaluation.created", target=evaluation, node_path=need.node.path,
        summary=f"{who}评价需求 {need.number}：{rating} 星（{RATING_WORDS[rating]}）",
    )
    return evaluation


@transaction.atomic
def evaluation_review(*, actor, evaluation: Evaluation, review: str, note: str = "") -> Evaluation:
    """Federation staff of the need's node (or above) review an evaluation: confirmed, or queried with a note."""
    evaluation = Evaluation.objects.select_for_update(of=("self",)).select_related("need__node").get(pk=evaluation.pk)
    require_scope(actor, evaluation.need.node)
    if review not in (EvaluationReview.CONFIRMED, EvaluationReview.QUERIED):
        raise DomainError("bad_review", "复核结果无效。", field="review")
    note = (note or "").strip()
    if review == EvaluationReview.QUERIED and not note:
        raise DomainError("required", "有疑问时请写明复核意见。", field="note")
    if len(note) > 300:
        raise DomainError("too_long", "复核意见请控制在 300 字以内。", field="note")
    if evaluation.review != EvaluationReview.PENDING:
        raise DomainError("reviewed", "该评价已复核。")
    evaluation.review = review
    evaluation.review_note = note
    evaluation.reviewed_by = actor
    evaluation.reviewed_at = timezone.now()
    evaluation.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    audit.record(
        actor, "evaluation.reviewed", target=evaluation, node_path=evaluation.need.node.path,
        summary=f"复核需求 {evaluation.need.number} 的评价：{evaluation.get_review_display()}" + (f"，{note}" if note else ""),
    )
    return evaluation


# ---- complaints -----------------------------------------------------------------------------------------------


@transaction.atomic
def complaint_create(
    *, actor, need: Need, text: str, complainant: str = "", by_requester: bool = True, phone: str = ""
) -> Complaint:
    """Record a complaint about a service: by the requester (account, or tracking code + phone) or by staff of
    the need's node for her. The node's admins are told."""
    need = Need.objects.select_for_update(of=("self",)).select_related("node").get(pk=need.pk)
    if by_requester:
        if not _requester_authorised(actor, need, phone):
            raise PermissionDeniedError("只有需求的提交人本人可以投诉。")
        complainant = need.requester_name
    else:
        require_scope(actor, need.node)
    text = (text or "").strip()
    complainant = (complainant or "").strip()[:50]
    if not text:
        raise DomainError("required", "请填写投诉内容。", field="text")
    if len(text) > COMPLAINT_MAX:
        raise DomainError("too_long", f"投诉内容请控制在 {COMPLAINT_MAX} 字以内。", field="text")
    if not complainant:
        raise DomainError("required", "请填写投诉人。", field="complainant")
    if need.status not in SERVED_STATUSES:
        raise DomainError("not_served", f"需求 {need.number} {need.get_status_display()}，尚无服务可投诉。")
    complaint = Complaint.objects.create(
        need=need, text=text, complainant=complainant, entered_by=actor if getattr(actor, "pk", None) else None
    )
    audit.record(
        actor, "complaint.created", target=complaint, node_path=need.node.path,
        summary=f"需求 {need.number} 收到投诉" + ("（工作人员代录）" if not by_requester else ""),
    )
    notify.notify(node_admins(need.node), "新的服务投诉", f"需求 {need.number} 收到一件投诉，请及时处理。")
    return complaint


def _locked_complaint(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update(of=("self",)).select_related("need__node").get(pk=complaint.pk)


@transaction.atomic
def complaint_handle(*, actor, complaint: Complaint, note: str = "") -> Complaint:
    """Staff of the need's node take the complaint in hand."""
    complaint = _locked_complaint(complaint)
    require_scope(actor, complaint.need.node)
    if complaint.status != ComplaintStatus.OPEN:
        raise DomainError("not_open", f"该投诉{complaint.get_status_display()}，不能再受理。")
    complaint.status = ComplaintStatus.HANDLING
    complaint.handled_by = actor
    complaint.save(update_fields=["status", "handled_by"])
    note = (note or "").strip()[:300]
    audit.record(
        actor, "complaint.handling", target=complaint, node_path=complaint.need.node.path,
        summary=f"受理需求 {complaint.need.number} 的投诉" + (f"：{note}" if note else ""),
    )
    return complaint


@transaction.atomic
def complaint_conclude(*, actor, complaint: Complaint, conclusion: str) -> Complaint:
    """The complaint is concluded with a written conclusion; the requester is told when she has an account."""
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise DomainError("required", "请填写处理结果。", field="conclusion")
    if len(conclusion) > COMPLAINT_MAX:
        raise DomainError("too_long", f"处理结果请控制在 {COMPLAINT_MAX} 字以内。", field="conclusion")
    complaint = _locked_complaint(complaint)
    require_scope(actor, complaint.need.node)
    if complaint.status == ComplaintStatus.CONCLUDED:
        raise DomainError("concluded", "该投诉已办结。")
    complaint.status = ComplaintStatus.CONCLUDED
    complaint.conclusion = conclusion
    complaint.handled_by = actor
    complaint.concluded_at = timezone.now()
    complaint.save(update_fields=["status", "conclusion", "handled_by", "concluded_at"])
    need = complaint.need
    audit.record(
        actor, "complaint.concluded", target=complaint, node_path=need.node.path,
        summary=f"需求 {need.number} 的投诉已办结",
    )
    if need.requester_user_id:
        notify.notify([need.requester_user_id], "投诉处理结果", f"您对需求 {need.number} 的投诉已办结：{conclusion}")
    return complaint


# ---- reads: provider figures ------------------------------------------------------------------------------------


def provider_figures(*, team=None, volunteer=None) -> dict:
    """A provider's figures for the figures block (`demands/delivery/_provider_figures.html`): services done, in
    hand, average rating (and how many ratings), complaints about needs it served."""
    if (team is None) == (volunteer is None):
        raise ValueError("give exactly one of team or volunteer")
    key = {"team": team} if team is not None else {"volunteer": volunteer}
    row = ProviderStats.objects.filter(**key).first()
    served = Assignment.objects.filter(**key, status__in=(AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED))
    complaints = Complaint.objects.filter(need__in=served.values("need_id")).aggregate(
        total=Count("id"), open=Count("id", filter=~Q(status=ComplaintStatus.CONCLUDED))
    )
    return {
        "name": team.name if team is not None else volunteer.name,
        "kind": "队伍" if team is not None else "志愿者",
        "done": row.done_count if row else 0,
        "in_hand": row.open_count if row else 0,
        "rating": row.rating if row else None,
        "rating_count": row.rating_count if row else 0,
        "complaints": complaints["total"],
        "complaints_open": complaints["open"],
    }
