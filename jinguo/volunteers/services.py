"""Writes about volunteers: registration, self-confirmation (R25), identity disputes (R26), consent (R4-R6),
memberships, and the audited view of a full ID number (R3)."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from jinguo.core import audit, crypto, sms
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.ids import age_on
from jinguo.core.masking import mask_id_number
from jinguo.core.models import Sequence
from jinguo.core.text import clean_text, is_mobile, normalise_phone
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import Node
from jinguo.orgs.services import counter_add, require_scope

from . import consent_texts, hooks
from .choices import (
    ConsentKind,
    DisputeKind,
    DisputeStatus,
    MembershipStatus,
    Source,
    VolunteerStatus,
)
from .models import Consent, IdentityDispute, Membership, Volunteer
from .validation import validate_volunteer

User = get_user_model()
GUARDIAN_AGE = 14  # under this age a guardian consents before any processing (PIPL 31)
ADULT_AGE = 18
SMS_CONFIRM = "volunteer-confirm"
SMS_REGISTER = "volunteer-register"
SMS_CLAIM = "volunteer-claim"

PROFILE_FIELDS = [
    "ethnicity",
    "political_status",
    "education",
    "work_unit",
    "occupation",
    "skills",
    "categories_mask",
    "other_category",
    "availability_mask",
    "force_type",
    "honours_mask",
    "honours_other",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "wechat_id",
]


# ---- identity helpers -----------------------------------------------------------------------------------------


def name_initials(name: str) -> str:
    """张晓丽 -> zxl, so that staff can type initials in the search box."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()[:50]


def id_hash(id_type: str, number: str) -> str:
    return crypto.blind_index(f"{id_type}:{number}")


def allocate_numbers(count: int) -> list[str]:
    """Public volunteer numbers (MZ/T 061: the platform's own, never the ID number): JG + year + serial."""
    year = timezone.localdate().year % 100
    return [f"JG{year:02d}{n:08d}" for n in Sequence.allocate("volunteer-number", count)]


def where_registered(volunteer: Volunteer) -> str:
    """Where an existing record belongs, named for the person who runs into it."""
    home = volunteer.home_node
    crumbs = [
        n.name
        for n in home.breadcrumb()
        if n.kind in (NodeKind.CITY, NodeKind.DISTRICT, NodeKind.STREET, NodeKind.COMMUNITY)
    ]
    place = "·".join(crumbs) or home.name
    via = volunteer.registered_via
    unit = f"，登记单位「{via.name}」" if via is not None and via.pk != home.pk else ""
    return f"「{place}」{unit}"


def duplicate_error(existing: Volunteer) -> DomainError:
    return DomainError(
        "duplicate_id",
        f"该证件号码已于 {timezone.localtime(existing.created_at):%Y年%m月%d日} 在{where_registered(existing)}登记为志愿者"
        f"（编号 {existing.number}）。如是您本人，请用登记时的手机号确认；如不是您本人登记，可以提出申诉。",
        field="id_number",
        detail={"volunteer_id": existing.pk},
    )


def _check_home(home_node: Node) -> None:
    if home_node.is_team:
        raise DomainError("bad_home", "居住地应选择社区（村）或街道（乡镇），而不是队伍。", field="home_node")
    if not home_node.is_active:
        raise DomainError("bad_home", f"「{home_node.name}」已撤销，请选择现在的社区。", field="home_node")


def _validated(raw: dict) -> dict:
    result = validate_volunteer(raw)
    if result.errors:
        field = result.errors[0][0]
        raise DomainError(
            "invalid", "；".join(m for _, m in result.errors) + "。", field=field, detail={"errors": result.errors}
        )
    return result.data


def _new_volunteer(data: dict, *, home_node: Node, source: str, status: str, created_by, registered_via) -> Volunteer:
    hashed = id_hash(data["id_type"], data["id_number"])
    existing = Volunteer.objects.select_related("home_node", "registered_via").filter(id_number_hash=hashed).first()
    if existing is not None:
        raise duplicate_error(existing)
    volunteer = Volunteer(
        number=allocate_numbers(1)[0],
        name=data["name"],
        name_initials=name_initials(data["name"]),
        id_type=data["id_type"],
        id_number_enc=crypto.encrypt(data["id_number"]),
        id_number_hash=hashed,
        id_number_masked=mask_id_number(data["id_number"]),
        birth_date=data.get("birth_date"),
        sex=data.get("sex", ""),
        phone=data["phone"],
        phone_last4=data["phone"][-4:],
        home_node=home_node,
        status=status,
        source=source,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        registered_via=registered_via,
        **{key: data[key] for key in PROFILE_FIELDS if key in data},
    )
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError:
        # Two submissions of the same person at once: the other one won.
        existing = Volunteer.objects.select_related("home_node", "registered_via").filter(id_number_hash=hashed).first()
        if existing is not None:
            raise duplicate_error(existing) from None
        raise
    counter_add(home_node.pk, volunteers=1)
    return volunteer


def _record_consents(volunteer: Volunteer, kinds: list[str], *, guardian: dict | None = None, recorded_by=None) -> None:
    now = timezone.now()
    rows = [
        Consent(volunteer=volunteer, kind=k, version=consent_texts.VERSION, granted_at=now, recorded_by=recorded_by)
        for k in kinds
    ]
    if guardian:
        rows.append(
            Consent(
                volunteer=volunteer,
                kind=ConsentKind.GUARDIAN,
                version=consent_texts.VERSION,
                granted_at=now,
                guardian_name=clean_text(guardian.get("name")),
                guardian_phone=normalise_phone(guardian.get("phone")),
                guardian_relation=clean_text(guardian.get("relation")),
                recorded_by=recorded_by,
            )
        )
    Consent.objects.bulk_create(rows)


def _check_guardian(birth_date, guardian: dict | None) -> None:
    """R4 / PIPL 31: nothing is processed about an under-14 before a guardian has consented."""
    if birth_date is not None and age_on(birth_date, timezone.localdate()) < GUARDIAN_AGE:
        if (
            not guardian
            or not clean_text(guardian.get("name"))
            or not is_mobile(normalise_phone(guardian.get("phone")))
        ):
            raise DomainError(
                "guardian_required", "未满 14 周岁，须由监护人填写姓名、手机号并同意后才能登记。", field="guardian"
            )


def _check_consents(consents: list[str], birth_date, guardian: dict | None) -> None:
    if ConsentKind.PERSONAL not in consents or ConsentKind.SENSITIVE not in consents:
        raise DomainError(
            "consent_required", "请阅读并同意个人信息处理说明（含身份证号码的单独同意）后再继续。", field="consent"
        )
    _check_guardian(birth_date, guardian)


# ---- registration ---------------------------------------------------------------------------------------------


@transaction.atomic
def volunteer_register_self(
    *,
    raw: dict,
    home_node: Node,
    password: str,
    sms_code: str = "",
    consents: list[str],
    guardian: dict | None = None,
    phone_proved: bool = False,
) -> Volunteer:
    """She registers herself on her phone: her phone is proved by a code, she consents, she is confirmed.

    `phone_proved`: a two-step page already consumed a code for `raw["phone"]` (and keeps the proof in the
    session); the code is then not asked for again."""
    data = _validated(raw)
    _check_home(home_node)
    _check_consents(consents, data.get("birth_date"), guardian)
    if User.objects.filter(phone=data["phone"]).exists():
        raise DomainError("phone_taken", "该手机号已注册账号，请直接登录。", field="phone")
    if not phone_proved:
        sms.check_code(data["phone"], SMS_REGISTER, sms_code)
    volunteer = _new_volunteer(
        data,
        home_node=home_node,
        source=Source.SELF,
        status=VolunteerStatus.ACTIVE,
        created_by=None,
        registered_via=home_node,
    )
    user = User.objects.create_user(
        username=data["phone"], password=password, phone=data["phone"], display_name=data["name"]
    )
    volunteer.user = user
    volunteer.confirmed_at = timezone.now()
    volunteer.save(update_fields=["user", "confirmed_at"])
    _record_consents(volunteer, consents, guardian=guardian)
    audit.record(
        user,
        "volunteer.registered_self",
        target=volunteer,
        node_path=home_node.path,
        summary=f"本人注册，同意文本版本 {consent_texts.VERSION}",
    )
    return volunteer


@transaction.atomic
def volunteer_create_by_staff(
    *, actor, raw: dict, home_node: Node, team: Node | None = None, guardian: dict | None = None, notify: bool = True
) -> Volunteer:
    """Staff enter a registration from a paper form. It stays 待本人确认 until she confirms it herself (R25)."""
    require_scope(actor, team or home_node)
    if team is None:
        require_scope(actor, home_node)
    data = _validated(raw)
    _check_home(home_node)
    if team is not None and (not team.is_team or not team.is_active):
        raise DomainError("bad_team", "所选队伍不存在或已撤销。", field="team")
    _check_guardian(data.get("birth_date"), guardian)
    volunteer = _new_volunteer(
        data,
        home_node=home_node,
        source=Source.STAFF,
        status=VolunteerStatus.PENDING,
        created_by=actor,
        registered_via=team or home_node,
    )
    if guardian:
        _record_consents(volunteer, [], guardian=guardian, recorded_by=actor)
    if team is not None:
        _open_membership(volunteer, team, status=MembershipStatus.ACTIVE, actor=actor, note="登记时加入")
    audit.record(
        actor,
        "volunteer.created",
        target=volunteer,
        node_path=(team or home_node).path,
        summary=f"工作人员录入，待本人确认（{(team or home_node).name}）",
    )
    if notify:
        transaction.on_commit(lambda: send_confirmation_invite(volunteer))
    return volunteer


def send_confirmation_invite(volunteer: Volunteer) -> None:
    via = volunteer.registered_via.name if volunteer.registered_via else volunteer.home_node.name
    sms.get_backend().send(
        volunteer.phone,
        f"【巾帼志愿】「{via}」为您登记了巾帼志愿者信息。请在平台「工作人员已为我登记，我来确认」页面用本手机号确认；"
        f"如非本人意愿，可在同一页面选择「不是我本人」。",
    )


# ---- R25: her own confirmation, or "this was not me" ----------------------------------------------------------


def send_code(phone: str, purpose: str) -> None:
    phone = normalise_phone(phone)
    if not is_mobile(phone):
        raise DomainError("bad_phone", "请输入正确的 11 位手机号。", field="phone")
    texts = {
        SMS_CONFIRM: "【巾帼志愿】您的确认验证码为 {code}，10 分钟内有效。",
        SMS_REGISTER: "【巾帼志愿】您的注册验证码为 {code}，10 分钟内有效。",
        SMS_CLAIM: "【巾帼志愿】您的申诉验证码为 {code}，10 分钟内有效。",
    }
    sms.send_code(phone, purpose, texts[purpose])


def pending_for_phone(phone: str):
    return Volunteer.objects.select_related("home_node", "registered_via", "created_by").filter(
        phone=normalise_phone(phone), status=VolunteerStatus.PENDING
    )


@transaction.atomic
def volunteer_confirm(
    *,
    volunteer: Volunteer,
    phone: str,
    password: str | None,
    consents: list[str],
    guardian: dict | None = None,
    user=None,
) -> Volunteer:
    """She confirms a record staff entered for her. `phone` has been proved by a code (the view checks it)."""
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if volunteer.status != VolunteerStatus.PENDING or volunteer.phone != normalise_phone(phone):
        raise DomainError("not_pending", "该登记记录无需确认，或手机号不符。")
    _check_consents(consents, volunteer.birth_date, guardian)
    if user is None:
        user = User.objects.filter(phone=volunteer.phone).first()
    if user is None:
        if not password:
            raise DomainError("password_required", "请设置登录密码。", field="password")
        user = User.objects.create_user(
            username=volunteer.phone, password=password, phone=volunteer.phone, display_name=volunteer.name
        )
    elif hasattr(user, "volunteer") and user.volunteer.pk != volunteer.pk:
        raise DomainError("already_volunteer", "该手机号已绑定其他志愿者档案，请联系上级管理员。")
    volunteer.user = user
    volunteer.status = VolunteerStatus.ACTIVE
    volunteer.confirmed_at = timezone.now()
    volunteer.save(update_fields=["user", "status", "confirmed_at"])
    _record_consents(volunteer, consents, guardian=guardian)
    audit.record(
        user,
        "volunteer.confirmed",
        target=volunteer,
        node_path=volunteer.home_node.path,
        summary=f"本人确认登记信息，同意文本版本 {consent_texts.VERSION}",
    )
    hooks.volunteer_confirmed(volunteer, actor=user)  # R25: hours held for her are released
    return volunteer


def _level_above(volunteer: Volunteer) -> Node:
    """Who handles a dispute: the level above the unit that registered her (R25, R26)."""
    unit = volunteer.registered_via or volunteer.home_node
    parent = Node.objects.get_parent(unit)
    return parent or unit


@transaction.atomic
def volunteer_deny(*, volunteer: Volunteer, phone: str, reason: str = "") -> IdentityDispute:
    """ "不是我本人": the record is frozen and reported to the level above the unit that entered it."""
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if volunteer.status != VolunteerStatus.PENDING or volunteer.phone != normalise_phone(phone):
        raise DomainError("not_pending", "该登记记录无法否认，或手机号不符。")
    volunteer.status = VolunteerStatus.FROZEN
    volunteer.save(update_fields=["status"])
    dispute = IdentityDispute.objects.create(
        kind=DisputeKind.NOT_ME,
        volunteer=volunteer,
        handling_node=_level_above(volunteer),
        claimant_name=volunteer.name,
        claimant_phone=volunteer.phone,
        reason=clean_text(reason)[:2000],
    )
    audit.record(
        None,
        "volunteer.denied",
        target=volunteer,
        node_path=dispute.handling_node.path,
        summary="本人否认登记，记录已冻结并报上级处理",
    )
    return dispute


@transaction.atomic
def identity_claim(
    *, id_type: str, id_number: str, claimant_name: str, claimant_phone: str, reason: str
) -> IdentityDispute:
    """R26: her ID number is already registered, not by her. She proved her phone; the level above decides."""
    hashed = id_hash(id_type, id_number)
    volunteer = Volunteer.objects.select_for_update().filter(id_number_hash=hashed).first()
    if volunteer is None:
        raise DomainError("not_found", "该证件号码尚未登记，可以直接注册。")
    claimant_phone = normalise_phone(claimant_phone)
    if volunteer.phone == claimant_phone:
        raise DomainError("same_phone", "登记记录的手机号就是您的手机号，请直接确认或登录。")
    if IdentityDispute.objects.filter(
        volunteer=volunteer, status=DisputeStatus.OPEN, claimant_phone=claimant_phone
    ).exists():
        raise DomainError("duplicate_claim", "您已提交过申诉，请等待处理。")
    dispute = IdentityDispute.objects.create(
        kind=DisputeKind.CLAIM,
        volunteer=volunteer,
        handling_node=_level_above(volunteer),
        claimant_name=clean_text(claimant_name),
        claimant_phone=claimant_phone,
        reason=clean_text(reason)[:2000],
    )
    audit.record(
        None,
        "volunteer.claimed",
        target=volunteer,
        node_path=dispute.handling_node.path,
        summary=f"「{dispute.claimant_name}」申诉证件号码被占用",
    )
    return dispute


@transaction.atomic
def dispute_resolve(*, actor, dispute: IdentityDispute, upheld: bool, resolution: str) -> IdentityDispute:
    resolution = clean_text(resolution)
    if not resolution:
        raise DomainError("required", "请填写处理意见。", field="resolution")
    dispute = IdentityDispute.objects.select_for_update().select_related("handling_node").get(pk=dispute.pk)
    require_scope(actor, dispute.handling_node)
    if dispute.status != DisputeStatus.OPEN:
        raise DomainError("closed", "该申诉已处理。")
    volunteer = Volunteer.objects.select_for_update().get(pk=dispute.volunteer_id)
    if dispute.kind == DisputeKind.NOT_ME:
        if upheld:
            # The registration was made without her: it is withdrawn, never used again, kept for the record.
            _withdraw(volunteer, actor, note="经核实为未经本人同意的登记")
        else:
            volunteer.status = VolunteerStatus.PENDING
            volunteer.save(update_fields=["status"])
    elif upheld:
        # The number belongs to the claimant: the record is bound to her phone and waits for her confirmation.
        old_user = volunteer.user
        volunteer.phone = dispute.claimant_phone
        volunteer.phone_last4 = dispute.claimant_phone[-4:]
        volunteer.name = dispute.claimant_name or volunteer.name
        volunteer.name_initials = name_initials(volunteer.name)
        volunteer.user = None
        volunteer.status = VolunteerStatus.PENDING
        volunteer.save()
        if old_user is not None:
            old_user.is_active = False
            old_user.save(update_fields=["is_active"])
        transaction.on_commit(lambda: send_confirmation_invite(volunteer))
    dispute.status = DisputeStatus.UPHELD if upheld else DisputeStatus.REJECTED
    dispute.resolution = resolution
    dispute.handled_by = actor
    dispute.handled_at = timezone.now()
    dispute.save()
    audit.record(
        actor,
        "volunteer.dispute_resolved",
        target=volunteer,
        node_path=dispute.handling_node.path,
        summary=f"{dispute.get_kind_display()}：{dispute.get_status_display()}。{resolution}",
    )
    return dispute


# ---- her own data (R5) ----------------------------------------------------------------------------------------


def _is_self(actor, volunteer: Volunteer) -> bool:
    return actor is not None and volunteer.user_id is not None and volunteer.user_id == actor.pk


def _require_volunteer_scope(actor, volunteer: Volunteer, action: str) -> None:
    if _is_self(actor, volunteer):
        return
    if not Volunteer.objects.restrict(actor, action).filter(pk=volunteer.pk).exists():
        raise PermissionDeniedError("该志愿者不在您的管理范围内。")


@transaction.atomic
def volunteer_update(*, actor, volunteer: Volunteer, raw: dict, home_node: Node | None = None) -> Volunteer:
    """Correct a record. She may correct her own profile; name and ID number are corrected by staff."""
    _require_volunteer_scope(actor, volunteer, "change")
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    own = _is_self(actor, volunteer)
    current = {
        "name": volunteer.name,
        "id_type": volunteer.id_type,
        "id_number": volunteer.decrypt_id_number(),
        "phone": volunteer.phone,
    }
    merged = {**current, **{k: v for k, v in raw.items() if v is not None}}
    if own and (
        clean_text(merged["name"]) != volunteer.name or str(merged["id_number"]).upper().strip() != current["id_number"]
    ):
        raise DomainError("staff_only", "姓名和证件号码的更正请联系所在社区或队伍的管理员办理。", field="name")
    data = _validated(merged)
    changed = []
    if data["id_number"] != current["id_number"] or data["id_type"] != volunteer.id_type:
        hashed = id_hash(data["id_type"], data["id_number"])
        other = (
            Volunteer.objects.select_related("home_node", "registered_via")
            .filter(id_number_hash=hashed)
            .exclude(pk=volunteer.pk)
            .first()
        )
        if other is not None:
            raise duplicate_error(other)
        volunteer.id_type = data["id_type"]
        volunteer.id_number_enc = crypto.encrypt(data["id_number"])
        volunteer.id_number_hash = hashed
        volunteer.id_number_masked = mask_id_number(data["id_number"])
        volunteer.birth_date = data.get("birth_date")
        volunteer.sex = data.get("sex", "")
        changed.append("证件号码")
    if data["name"] != volunteer.name:
        volunteer.name = data["name"]
        volunteer.name_initials = name_initials(data["name"])
        changed.append("姓名")
    if data["phone"] != volunteer.phone:
        if volunteer.user_id and User.objects.filter(phone=data["phone"]).exclude(pk=volunteer.user_id).exists():
            raise DomainError("phone_taken", "该手机号已被其他账号使用。", field="phone")
        volunteer.phone = data["phone"]
        volunteer.phone_last4 = data["phone"][-4:]
        if volunteer.user_id:
            User.objects.filter(pk=volunteer.user_id).update(phone=data["phone"])
        changed.append("手机号")
    for key in PROFILE_FIELDS:
        if key in data and getattr(volunteer, key) != data[key]:
            setattr(volunteer, key, data[key])
            changed.append(Volunteer._meta.get_field(key).verbose_name)
    if home_node is not None and home_node.pk != volunteer.home_node_id:
        _check_home(home_node)
        if not own:
            require_scope(actor, home_node)
        counter_add(volunteer.home_node_id, volunteers=-1)
        counter_add(home_node.pk, volunteers=1)
        volunteer.home_node = home_node
        changed.append("居住地")
    volunteer.save()
    if changed:
        audit.record(
            actor,
            "volunteer.updated",
            target=volunteer,
            node_path=volunteer.home_node.path,
            summary=("本人更正：" if own else "修改：") + "、".join(str(c) for c in changed),
        )
    return volunteer


def volunteer_reveal_id(*, actor, volunteer: Volunteer) -> str:
    """The full ID number, for someone holding the personal-data right over her (or herself); always audited."""
    if not _is_self(actor, volunteer):
        if not Volunteer.objects.restrict(actor, "personal").filter(pk=volunteer.pk).exists():
            raise PermissionDeniedError("您没有查看完整证件号码的权限。")
    number = volunteer.decrypt_id_number()
    audit.record(
        actor, "volunteer.id_viewed", target=volunteer, node_path=volunteer.home_node.path, summary="查看完整证件号码"
    )
    return number


def volunteer_export_own(*, actor, volunteer: Volunteer) -> dict:
    """Everything the platform holds about her, for her (PIPL 45)."""
    if not _is_self(actor, volunteer):
        raise PermissionDeniedError("只能导出本人的信息。")
    from .selectors import volunteer_as_dict

    data = volunteer_as_dict(volunteer, full_id=True)
    data["同意记录"] = [
        {
            "事项": c.get_kind_display(),
            "版本": c.version,
            "同意时间": timezone.localtime(c.granted_at).isoformat(),
            "撤回时间": timezone.localtime(c.withdrawn_at).isoformat() if c.withdrawn_at else None,
            "监护人": c.guardian_name or None,
        }
        for c in volunteer.consents.all()
    ]
    data["队伍"] = [
        {
            "队伍": m.team.name,
            "状态": m.get_status_display(),
            "入队时间": timezone.localtime(m.joined_at).isoformat() if m.joined_at else None,
            "离队时间": timezone.localtime(m.ended_at).isoformat() if m.ended_at else None,
        }
        for m in volunteer.memberships.select_related("team").order_by("created_at")
    ]
    audit.record(
        actor,
        "volunteer.exported_own",
        target=volunteer,
        node_path=volunteer.home_node.path,
        summary="本人导出个人信息",
    )
    return data


def _withdraw(volunteer: Volunteer, actor, *, note: str) -> None:
    for membership in volunteer.memberships.select_for_update().filter(
        status__in=[MembershipStatus.APPLIED, MembershipStatus.ACTIVE]
    ):
        _close_membership(membership, MembershipStatus.LEFT, actor=actor, note=note)
    if volunteer.status != VolunteerStatus.WITHDRAWN:
        counter_add(volunteer.home_node_id, volunteers=-1)
    volunteer.status = VolunteerStatus.WITHDRAWN
    volunteer.save(update_fields=["status"])


@transaction.atomic
def consent_withdraw(*, actor, volunteer: Volunteer, kind: str) -> None:
    """Withdrawing the main consent ends her volunteering here; sharing can be withdrawn on its own."""
    if not _is_self(actor, volunteer):
        raise PermissionDeniedError("只能由本人撤回同意。")
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    now = timezone.now()
    kinds = (
        [kind] if kind == ConsentKind.SHARING else [ConsentKind.PERSONAL, ConsentKind.SENSITIVE, ConsentKind.SHARING]
    )
    updated = volunteer.consents.filter(kind__in=kinds, withdrawn_at__isnull=True).update(withdrawn_at=now)
    if not updated:
        raise DomainError("nothing_to_withdraw", "没有可撤回的同意。")
    if kind != ConsentKind.SHARING:
        _withdraw(volunteer, actor, note="本人撤回同意")
    audit.record(
        actor,
        "volunteer.consent_withdrawn",
        target=volunteer,
        node_path=volunteer.home_node.path,
        summary=f"本人撤回同意：{ConsentKind(kind).label}",
    )


# ---- memberships ----------------------------------------------------------------------------------------------


def _open_membership(volunteer: Volunteer, team: Node, *, status: str, actor, note: str = "") -> Membership:
    now = timezone.now()
    membership = Membership(
        volunteer=volunteer,
        team=team,
        status=status,
        applied_at=now,
        note=note,
        decided_by=actor if status == MembershipStatus.ACTIVE and getattr(actor, "pk", None) else None,
        joined_at=now if status == MembershipStatus.ACTIVE else None,
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        raise DomainError("already_member", f"{volunteer.name}已在「{team.name}」中，或已提交申请。") from None
    if status == MembershipStatus.ACTIVE:
        counter_add(team.pk, members=1)
    return membership


def _close_membership(membership: Membership, status: str, *, actor, note: str) -> None:
    was_active = membership.status == MembershipStatus.ACTIVE
    membership.status = status
    membership.ended_at = timezone.now()
    membership.note = note[:300]
    membership.decided_by = actor if getattr(actor, "pk", None) else None
    membership.save(update_fields=["status", "ended_at", "note", "decided_by"])
    if was_active:
        counter_add(membership.team_id, members=-1)


def _joinable(volunteer: Volunteer, team: Node) -> None:
    if not team.is_team or not team.is_active:
        raise DomainError("bad_team", "该队伍不存在或已撤销。")
    if volunteer.status in (VolunteerStatus.FROZEN, VolunteerStatus.WITHDRAWN):
        raise DomainError(
            "inactive_volunteer", f"{volunteer.name}的志愿者登记{volunteer.get_status_display()}，不能加入队伍。"
        )


@transaction.atomic
def membership_apply(*, actor, team: Node, note: str = "") -> Membership:
    """She asks to join a team; its leader decides."""
    volunteer = getattr(actor, "volunteer", None)
    if volunteer is None:
        raise DomainError("not_volunteer", "请先注册为志愿者。")
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    _joinable(volunteer, team)
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise DomainError("not_confirmed", "请先确认本人的志愿者登记信息。")
    membership = _open_membership(volunteer, team, status=MembershipStatus.APPLIED, actor=actor, note=clean_text(note))
    audit.record(actor, "membership.applied", target=volunteer, node_path=team.path, summary=f"申请加入「{team.name}」")
    return membership


def _locked_membership(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("team", "volunteer").get(pk=membership.pk)


@transaction.atomic
def membership_approve(*, actor, membership: Membership) -> Membership:
    membership = _locked_membership(membership)
    require_scope(actor, membership.team)
    if membership.status != MembershipStatus.APPLIED:
        raise DomainError("bad_state", "该申请已处理。")
    _joinable(membership.volunteer, membership.team)
    membership.status = MembershipStatus.ACTIVE
    membership.joined_at = timezone.now()
    membership.decided_by = actor
    membership.save(update_fields=["status", "joined_at", "decided_by"])
    counter_add(membership.team_id, members=1)
    audit.record(
        actor,
        "membership.approved",
        target=membership.volunteer,
        node_path=membership.team.path,
        summary=f"同意加入「{membership.team.name}」",
    )
    return membership


@transaction.atomic
def membership_reject(*, actor, membership: Membership, reason: str) -> Membership:
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请填写不通过的原因。", field="reason")
    membership = _locked_membership(membership)
    require_scope(actor, membership.team)
    if membership.status != MembershipStatus.APPLIED:
        raise DomainError("bad_state", "该申请已处理。")
    _close_membership(membership, MembershipStatus.REJECTED, actor=actor, note=reason)
    audit.record(
        actor,
        "membership.rejected",
        target=membership.volunteer,
        node_path=membership.team.path,
        summary=f"未同意加入「{membership.team.name}」：{reason}",
    )
    return membership


@transaction.atomic
def membership_add(*, actor, team: Node, volunteer_number: str, phone: str) -> Membership:
    """A leader adds a registered volunteer who gave him her volunteer number and phone."""
    require_scope(actor, team)
    volunteer = (
        Volunteer.objects.select_for_update()
        .filter(number=clean_text(volunteer_number).upper(), phone=normalise_phone(phone))
        .first()
    )
    if volunteer is None:
        raise DomainError("not_found", "志愿者编号与手机号不匹配。请核对，或为她新登记。", field="volunteer_number")
    _joinable(volunteer, team)
    membership = _open_membership(volunteer, team, status=MembershipStatus.ACTIVE, actor=actor, note="队长添加")
    audit.record(actor, "membership.added", target=volunteer, node_path=team.path, summary=f"加入「{team.name}」")
    return membership


@transaction.atomic
def membership_remove(*, actor, membership: Membership, reason: str) -> Membership:
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请填写移出原因。", field="reason")
    membership = _locked_membership(membership)
    require_scope(actor, membership.team)
    if membership.status != MembershipStatus.ACTIVE:
        raise DomainError("bad_state", "该成员已不在队中。")
    _close_membership(membership, MembershipStatus.REMOVED, actor=actor, note=reason)
    audit.record(
        actor,
        "membership.removed",
        target=membership.volunteer,
        node_path=membership.team.path,
        summary=f"移出「{membership.team.name}」：{reason}",
    )
    return membership


@transaction.atomic
def membership_leave(*, actor, membership: Membership) -> Membership:
    membership = _locked_membership(membership)
    if not _is_self(actor, membership.volunteer):
        raise PermissionDeniedError("只能由本人退出队伍。")
    if membership.status not in (MembershipStatus.APPLIED, MembershipStatus.ACTIVE):
        raise DomainError("bad_state", "您已不在该队伍中。")
    _close_membership(membership, MembershipStatus.LEFT, actor=actor, note="本人退出")
    audit.record(
        actor,
        "membership.left",
        target=membership.volunteer,
        node_path=membership.team.path,
        summary=f"退出「{membership.team.name}」",
    )
    return membership


@transaction.atomic
def membership_set_backbone(*, actor, membership: Membership, backbone: bool) -> Membership:
    membership = _locked_membership(membership)
    require_scope(actor, membership.team)
    membership.is_backbone = backbone
    membership.save(update_fields=["is_backbone"])
    return membership


# ---- hooks for orgs: what happens to memberships when teams merge or dissolve ----------------------------------


def on_team_merge(source: Node, target: Node, actor) -> None:
    for membership in (
        Membership.objects.select_for_update()
        .select_related("volunteer")
        .filter(team=source, status__in=[MembershipStatus.APPLIED, MembershipStatus.ACTIVE])
    ):
        status = membership.status
        _close_membership(membership, MembershipStatus.LEFT, actor=actor, note=f"队伍并入「{target.name}」")
        if not Membership.objects.filter(
            volunteer=membership.volunteer, team=target, status__in=[MembershipStatus.APPLIED, MembershipStatus.ACTIVE]
        ).exists():
            _open_membership(membership.volunteer, target, status=status, actor=actor, note=f"由「{source.name}」并入")


def on_team_dissolve(team: Node, actor) -> None:
    for membership in Membership.objects.select_for_update().filter(
        team=team, status__in=[MembershipStatus.APPLIED, MembershipStatus.ACTIVE]
    ):
        _close_membership(membership, MembershipStatus.LEFT, actor=actor, note="队伍撤销")


def data_held_at(node: Node) -> list[str]:
    found = []
    registered = Volunteer.objects.filter(home_node=node).count()
    if registered:
        found.append(f"{registered} 名登记在此的志愿者")
    members = Membership.objects.filter(team=node).count()
    if members:
        found.append(f"{members} 条队伍成员记录")
    return found


def counter_truth() -> dict[int, dict]:
    from django.db.models import Count

    truth: dict[int, dict] = {}
    for row in (
        Volunteer.objects.exclude(status=VolunteerStatus.WITHDRAWN).values("home_node_id").annotate(n=Count("id"))
    ):
        truth.setdefault(row["home_node_id"], {})["volunteers"] = row["n"]
    for row in Membership.objects.filter(status=MembershipStatus.ACTIVE).values("team_id").annotate(n=Count("id")):
        truth.setdefault(row["team_id"], {})["members"] = row["n"]
    return truth


def volunteer_anchor_paths(user) -> list[str]:
    volunteer = Volunteer.objects.filter(user=user).select_related("home_node").first()
    if volunteer is None:
        return []
    paths = [volunteer.home_node.path]
    paths.extend(volunteer.memberships.filter(status=MembershipStatus.ACTIVE).values_list("team__path", flat=True))
    return paths
