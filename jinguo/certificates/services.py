"""Writes about certificates (F7, R14, R18, R25, R27): issue, revoke (by hand or after a correction), reissue, and
the issuing node's settings. Each one: one transaction, rows locked, scope checked, a DomainError in Chinese when
refused, an audit entry with the issuer's node path when done.

A certificate is a snapshot: the facts are copied into `Certificate.snapshot` when it is issued and the PDF is drawn
from them alone. Nothing changes it afterwards; a correction of one of its records revokes it, and a new one is
issued (`replaced_by`).
"""

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import Sequence
from jinguo.core.text import clean_text, is_contact_phone, normalise_contact_phone
from jinguo.hours.models import ServiceRecord
from jinguo.orgs.choices import NodeStatus, Role
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.orgs.services import require_scope
from jinguo.volunteers.choices import VolunteerStatus
from jinguo.volunteers.models import Volunteer

from .models import Certificate, CertificateStatus, IssuerProfile
from .selectors import counted_records, issuer_info

# Unambiguous when read aloud or typed from paper: no 0/O, 1/I/L.
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_CODE_LENGTH = 8
REASON_CORRECTED = "服务记录已更正"
REASON_REJECTED = "服务记录已不予计入"
SELF_MARK = "代录"

_STATUS_REFUSALS = {
    VolunteerStatus.PENDING: (
        "not_confirmed",
        "{name}尚未本人确认登记信息，不能出具志愿服务记录证明。请先由本人确认登记（用本人手机号登录或接收验证码确认）。",
    ),
    VolunteerStatus.FROZEN: ("frozen", "{name}的登记已冻结（本人否认登记，正在核实），不能出具志愿服务记录证明。"),
    VolunteerStatus.WITHDRAWN: (
        "withdrawn",
        "{name}已退出并撤回个人信息授权，不能再以其信息出具证明；如本人需要，请其重新确认登记后申请。",
    ),
}


# ---- small helpers ----------------------------------------------------------------------------------------------


def verify_path(short_code: str) -> str:
    return reverse("certificate_verify", args=[short_code])


def verify_url(short_code: str, base_url: str | None = None) -> str:
    """The address printed on the certificate and in its QR code. The deployment's public address
    (settings.PUBLIC_BASE_URL) wins over the address of the request that issued it: the paper outlives the intranet
    address a cadre happened to use."""
    base = (getattr(settings, "PUBLIC_BASE_URL", "") or base_url or "http://127.0.0.1:8000").rstrip("/")
    return base + verify_path(short_code)


def normalise_code(text: str) -> str:
    """What people type from paper: lower case, spaces, the hyphen of ABCD-2345."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:16]


def _new_short_code() -> str:
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
        if not Certificate.objects.filter(short_code=code).exists():
            return code


def _new_number(today: datetime.date) -> str:
    """JGZM + year + six-digit serial, one sequence per year."""
    while True:
        serial = Sequence.allocate(f"certificate-number-{today.year}")[0]
        number = f"JGZM{today.year}{serial:06d}"
        if not Certificate.objects.filter(number=number).exists():  # numbers entered by hand (data migrations)
            return number


def _is_self(actor, volunteer: Volunteer) -> bool:
    return bool(getattr(actor, "pk", None)) and volunteer.user_id == actor.pk


def _check_volunteer(volunteer: Volunteer) -> None:
    """R25: no certificate for someone who has not confirmed her registration herself."""
    refusal = _STATUS_REFUSALS.get(volunteer.status)
    if refusal:
        code, message = refusal
        raise DomainError(code, message.format(name=volunteer.name))


def _period_text(start: datetime.date | None, end: datetime.date | None) -> str:
    if start and end:
        return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
    if end:
        return f"{end:%Y-%m-%d} 以前"
    if start:
        return f"{start:%Y-%m-%d} 以后"
    return "全部期间"


def _record_entry(record: ServiceRecord) -> dict:
    start = timezone.localtime(record.start_at)
    end = timezone.localtime(record.end_at)
    return {
        "date": record.service_date.isoformat(),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
        "hours": str(record.hours),
        "activity": record.activity.title if record.activity_id else "",
        "content": record.content,
        "place": record.place,
        "organiser": record.organiser.name,
        "method": record.get_method_display(),
        # R27: not from her own check-in (QR or code): entered, approved or corrected by someone else.
        "entered_by_other": record.entered_by_other,
        "mark": SELF_MARK if record.entered_by_other else "",
    }


def build_snapshot(
    *,
    volunteer: Volunteer,
    issuer: Node,
    records: list[ServiceRecord],
    period_start: datetime.date,
    period_end: datetime.date,
    number: str,
    short_code: str,
    issued_on: datetime.date,
    handler: str,
    info: dict,
    self_service: bool,
    base_url: str | None,
) -> dict:
    """Everything the PDF and the pages show, as it stands now. The ID number only masked, never in full (R3)."""
    total = sum((r.hours for r in records), start=Decimal("0"))
    return {
        "version": 1,
        "title": "志愿服务记录证明",
        "number": number,
        "short_code": short_code,
        "issued_on": issued_on.isoformat(),
        "name": volunteer.name,
        "volunteer_number": volunteer.number,
        "id_type": volunteer.id_type_label,
        "id_number_masked": volunteer.id_number_masked,
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "total_hours": str(total),
        "record_count": len(records),
        "records": [_record_entry(r) for r in records],
        "includes_subtree": any(r.organiser_id != issuer.pk for r in records),
        "issuer": {
            "name": issuer.name,
            "person_in_charge": info["person_in_charge"],
            "handler": handler,
            "contact": info["contact"],
            "seal_text": info["seal_text"],
        },
        "self_service": self_service,
        "verify_url": verify_url(short_code, base_url),
    }


# ---- issuing --------------------------------------------------------------------------------------------------


def _check_issuer(actor, volunteer: Volunteer, issuer: Node, *, self_service: bool, replaces: Certificate | None):
    if self_service:
        # She may ask the organisers she served with (R14: whoever records certifies), or have a certificate of
        # hers reissued by whoever issued it.
        own_replacement = replaces is not None and replaces.volunteer_id == volunteer.pk
        if not own_replacement and not ServiceRecord.objects.filter(volunteer=volunteer, organiser=issuer).exists():
            raise PermissionDeniedError(f"您没有「{issuer.name}」组织的服务记录，不能申请其出具证明。")
    else:
        require_scope(actor, issuer)
    if issuer.status != NodeStatus.ACTIVE:
        raise DomainError("issuer_inactive", f"「{issuer.name}」{issuer.get_status_display()}，不能再出具证明。")


def _issuer_details(issuer: Node, *, self_service: bool, actor) -> tuple[dict, str]:
    info = issuer_info(issuer)
    missing = [label for key, label in (("person_in_charge", "负责人"), ("contact", "联系电话")) if not info[key]]
    if missing:
        what = "、".join(missing)
        if self_service:
            raise DomainError(
                "issuer_incomplete",
                f"「{issuer.name}」尚未登记{what}，暂不能在线出具证明，请联系队伍负责人完善后再申请。",
            )
        raise DomainError(
            "issuer_incomplete",
            f"「{issuer.name}」尚未设置证明上的{what}，请先在「证明落款设置」中填写。",
            field="issuer",
        )
    if self_service:
        handler = info["handler"] or info["person_in_charge"]
    else:
        handler = str(actor)
    return info, handler


def certificate_issue_or_reuse(
    *,
    actor,
    volunteer: Volunteer,
    issuer: Node,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    base_url: str | None = None,
    replaces: Certificate | None = None,
) -> tuple[Certificate, bool]:
    """Issue a certificate, or return the valid one that already says exactly the same (a retried request or a
    second batch must not mint a second number for the same facts). Returns (certificate, created)."""
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)  # one issue at a time for her
        issuer = Node.objects.get(pk=issuer.pk)
        self_service = _is_self(actor, volunteer)
        if not self_service and not getattr(actor, "pk", None):
            raise PermissionDeniedError("请先登录。")
        _check_issuer(actor, volunteer, issuer, self_service=self_service, replaces=replaces)
        _check_volunteer(volunteer)
        today = timezone.localdate()
        if period_end is None:
            period_end = today
        if period_start is not None and period_start > period_end:
            raise DomainError("bad_period", "起始日期不能晚于截止日期。", field="period_start")
        records = list(counted_records(volunteer, issuer, period_start, period_end))
        if not records:
            raise DomainError(
                "no_records",
                f"{volunteer.name}在{_period_text(period_start, period_end)}没有「{issuer.name}」"
                f"{'' if issuer.is_team else '及其下属单位'}组织、已计入的服务记录，"
                "无法出具证明。暂缓计入或已更正的记录不计入证明。",
            )
        if period_start is None:
            period_start = records[0].service_date
        record_ids = [r.pk for r in records]
        existing = (
            Certificate.objects.filter(
                volunteer=volunteer,
                issuer=issuer,
                period_start=period_start,
                period_end=period_end,
                status=CertificateStatus.VALID,
            )
            .order_by("-issued_at")
            .first()
        )
        if existing is not None and sorted(existing.record_ids) == sorted(record_ids):
            return existing, False

        info, handler = _issuer_details(issuer, self_service=self_service, actor=actor)
        number = _new_number(today)
        short_code = _new_short_code()
        snapshot = build_snapshot(
            volunteer=volunteer,
            issuer=issuer,
            records=records,
            period_start=period_start,
            period_end=period_end,
            number=number,
            short_code=short_code,
            issued_on=today,
            handler=handler,
            info=info,
            self_service=self_service,
            base_url=base_url,
        )
        certificate = Certificate.objects.create(
            number=number,
            short_code=short_code,
            volunteer=volunteer,
            issuer=issuer,
            period_start=period_start,
            period_end=period_end,
            total_hours=Decimal(snapshot["total_hours"]),
            record_ids=record_ids,
            snapshot=snapshot,
            issued_by=actor,
        )
        # A reissue: the revoked certificate(s) of the same facts point to the new one.
        predecessors = Certificate.objects.filter(
            volunteer=volunteer,
            issuer=issuer,
            period_start=period_start,
            period_end=period_end,
            status=CertificateStatus.REVOKED,
            replaced_by__isnull=True,
        )
        if replaces is not None:
            predecessors = predecessors | Certificate.objects.filter(pk=replaces.pk, replaced_by__isnull=True)
        replaced = list(predecessors.values_list("number", flat=True))
        predecessors.update(replaced_by=certificate)
        audit.record(
            actor,
            "certificate.issued",
            target=certificate,
            node_path=issuer.path,
            summary=f"为{volunteer.name}出具志愿服务记录证明 {number}：{period_start:%Y-%m-%d} 至 {period_end:%Y-%m-%d}，"
            f"{len(records)} 条记录，{snapshot['total_hours']} 小时"
            + ("（本人在线申请）" if self_service else "")
            + (f"，替代 {'、'.join(replaced)}" if replaced else ""),
            detail={"volunteer_id": volunteer.pk, "record_ids": record_ids, "replaces": replaced},
        )
        return certificate, True


def certificate_issue(
    *,
    actor,
    volunteer: Volunteer,
    issuer: Node,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    base_url: str | None = None,
    replaces: Certificate | None = None,
) -> Certificate:
    """A 志愿服务记录证明 for her counted, current records organised within the issuer's subtree in the period.

    Staff need the change scope over the issuer; a volunteer may ask for her own from an organiser she served with
    (`actor == volunteer.user`). A blank start means from her first such record; a blank end means today."""
    certificate, _created = certificate_issue_or_reuse(
        actor=actor,
        volunteer=volunteer,
        issuer=issuer,
        period_start=period_start,
        period_end=period_end,
        base_url=base_url,
        replaces=replaces,
    )
    return certificate


@transaction.atomic
def certificate_reissue(*, actor, certificate: Certificate, base_url: str | None = None) -> Certificate:
    """A new certificate for the same volunteer, issuer and period as a revoked one, from the records as they are
    now; the old one points to it."""
    old = Certificate.objects.select_for_update().select_related("volunteer", "issuer").get(pk=certificate.pk)
    if not _is_self(actor, old.volunteer):
        require_scope(actor, old.issuer)
    if old.status == CertificateStatus.VALID:
        raise DomainError("still_valid", "该证明仍然有效，无需重新出具。")
    if old.replaced_by_id:
        raise DomainError("already_replaced", f"该证明已由 {old.replaced_by.number} 替代。")
    return certificate_issue(
        actor=actor,
        volunteer=old.volunteer,
        issuer=old.issuer,
        period_start=old.period_start,
        period_end=old.period_end,
        base_url=base_url,
        replaces=old,
    )


# ---- revoking -------------------------------------------------------------------------------------------------


def _issuer_people(certificate: Certificate) -> set[int]:
    """Who speaks for the issuer: its administrators and leaders, and whoever issued the certificate."""
    ids = set(
        RoleAssignment.objects.current()
        .filter(node_id=certificate.issuer_id, role__in=(Role.FEDERATION_ADMIN, Role.TEAM_LEADER))
        .values_list("user_id", flat=True)
    )
    if certificate.issued_by_id and certificate.issued_by_id != certificate.volunteer.user_id:
        ids.add(certificate.issued_by_id)
    return ids


def _revoke(certificate: Certificate, *, actor, reason: str, automatic: bool, detail: dict | None = None) -> None:
    now = timezone.now()
    Certificate.objects.filter(pk=certificate.pk).update(
        status=CertificateStatus.REVOKED, revoked_at=now, revoke_reason=reason[:300]
    )
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now
    certificate.revoke_reason = reason[:300]
    volunteer = certificate.volunteer
    audit.record(
        actor,
        "certificate.revoked",
        target=certificate,
        node_path=certificate.issuer.path,
        summary=f"作废{volunteer.name}的志愿服务记录证明 {certificate.number}：{reason}"
        + ("（记录更正后自动作废）" if automatic else ""),
        detail={"reason": reason, "automatic": automatic, **(detail or {})},
    )
    title = "志愿服务记录证明已作废"
    body = (
        f"{volunteer.name}的志愿服务记录证明 {certificate.number}（{certificate.issuer.name}出具）已作废，原因：{reason}。"
        "如需证明，请重新出具。"
    )
    if volunteer.user_id:
        notify.notify([volunteer.user_id], title, body, link=reverse("certificates:mine"))
    staff = _issuer_people(certificate) - {getattr(actor, "pk", None), volunteer.user_id}
    if staff:
        notify.notify(staff, title, body, link=reverse("certificates:detail", args=[certificate.pk]))


@transaction.atomic
def certificate_revoke(*, actor, certificate: Certificate, reason: str) -> Certificate:
    """Staff of the issuer (or above) revoke a certificate by hand, with a reason."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请填写作废原因。", field="reason")
    certificate = Certificate.objects.select_for_update().select_related("volunteer", "issuer").get(pk=certificate.pk)
    require_scope(actor, certificate.issuer)
    if certificate.status != CertificateStatus.VALID:
        raise DomainError("already_revoked", "该证明已作废。")
    _revoke(certificate, actor=actor, reason=reason, automatic=False)
    return certificate


def on_record_changed(old, new, *, actor, reason: str) -> None:
    """hours.hooks: a record was corrected (new) or not counted after all (new is None). Every valid certificate
    that includes it is revoked: it is a snapshot and cannot be changed (R18)."""
    candidates = (
        Certificate.objects.select_for_update()
        .select_related("volunteer", "issuer")
        .filter(volunteer_id=old.volunteer_id, status=CertificateStatus.VALID)
    )
    for certificate in candidates:
        if old.pk not in certificate.record_ids:
            continue
        _revoke(
            certificate,
            actor=actor,
            reason=REASON_CORRECTED if new is not None else REASON_REJECTED,
            automatic=True,
            detail={"record_id": old.pk, "correction_id": getattr(new, "pk", None), "record_reason": reason},
        )


# ---- the issuer's settings --------------------------------------------------------------------------------------


@transaction.atomic
def issuer_profile_save(
    *, actor, node: Node, person_in_charge: str, handler: str = "", contact_phone: str = "", seal_text: str = ""
) -> IssuerProfile:
    """What a node prints on its certificates. Its own administrators (or those above) set it."""
    node = Node.objects.select_for_update().get(pk=node.pk)
    require_scope(actor, node)
    person_in_charge = clean_text(person_in_charge)[:50]
    handler = clean_text(handler)[:50]
    seal_text = clean_text(seal_text)[:60]
    contact_phone = normalise_contact_phone(contact_phone) if clean_text(contact_phone) else ""
    if not person_in_charge:
        raise DomainError("required", "请填写负责人姓名。", field="person_in_charge")
    if contact_phone and not is_contact_phone(contact_phone):
        raise DomainError("bad_phone", "请填写正确的手机号或座机号（如 0592-1234567）。", field="contact_phone")
    team = getattr(node, "team", None) if node.is_team else None
    if not contact_phone and not (team is not None and (team.phone or team.leader_phone)):
        raise DomainError("required", "请填写联系电话，它将印在证明上供核实。", field="contact_phone")
    profile, _created = IssuerProfile.objects.update_or_create(
        node=node,
        defaults={
            "person_in_charge": person_in_charge,
            "handler": handler,
            "contact_phone": contact_phone,
            "seal_text": seal_text,
            "updated_by": actor,
        },
    )
    audit.record(
        actor,
        "certificate.issuer_profile_saved",
        target=node,
        node_path=node.path,
        summary=f"设置证明落款：负责人 {person_in_charge}，经办人 {handler or '—'}，联系电话 {contact_phone or '—'}",
    )
    return profile
