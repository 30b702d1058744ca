"""Reads about volunteers: search and rosters, always restricted by the reader's scope."""

import datetime
import re

from django.db.models import Exists, OuterRef
from django.utils import timezone

from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES, labels
from jinguo.orgs.models import Node

from . import choices
from .bitmask import filter_any, labels_of
from .models import Membership, Volunteer

_INITIALS_RE = re.compile(r"^[a-zA-Z]{1,10}$")
_DIGITS_RE = re.compile(r"^\d{4}$")


def _years_ago(today: datetime.date, years: int) -> datetime.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def age_band_bounds(band: str, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """Birth dates (earliest, latest) of people whose age today falls in the band."""
    for code, _label, low, high in choices.AGE_BANDS:
        if code == band:
            return _years_ago(today, high + 1) + datetime.timedelta(days=1), _years_ago(today, low)
    return None


def search_volunteers(
    user,
    *,
    q: str = "",
    team: Node | None = None,
    region: Node | None = None,
    categories: list[str] | None = None,
    skill: str = "",
    force_type: str = "",
    honours: list[str] | None = None,
    age_band: str = "",
    status: str = "",
    sex: str = "",
    action: str = "view",
):
    """The roster search: every filter of the issue, on top of the user's scope."""
    qs = Volunteer.objects.restrict(user, action).select_related("home_node")
    q = (q or "").strip()
    if q:
        if _DIGITS_RE.match(q):
            qs = qs.filter(phone_last4=q)
        elif _INITIALS_RE.match(q):
            qs = qs.filter(name_initials__startswith=q.lower())
        elif q.upper().startswith("JG") and q[2:].isdigit():
            qs = qs.filter(number=q.upper())
        else:
            qs = qs.filter(name__contains=q)
    if team is not None:
        qs = qs.filter(
            Exists(
                Membership.objects.filter(
                    volunteer=OuterRef("pk"), team__path__startswith=team.path, status__in=choices.OPEN_MEMBERSHIP
                )
            )
        )
    if region is not None:
        qs = qs.filter(home_node__path__startswith=region.path)
    if categories:
        qs = filter_any(qs, "categories_mask", categories, SERVICE_CATEGORIES)
    if honours:
        qs = filter_any(qs, "honours_mask", honours, choices.HONOURS)
    if skill:
        qs = qs.filter(skills__contains=skill.strip())
    if force_type:
        qs = qs.filter(force_type=force_type)
    if sex:
        qs = qs.filter(sex=sex)
    if status:
        qs = qs.filter(status=status)
    else:
        qs = qs.in_rosters()
    if age_band:
        bounds = age_band_bounds(age_band, timezone.localdate())
        if bounds:
            qs = qs.filter(birth_date__range=bounds)
    return qs


SORTS = {
    "recent": ("-created_at", "-id"),
    "name": ("name_initials", "id"),
    "number": ("number",),
    "age": ("birth_date", "id"),
}


def volunteer_as_dict(volunteer: Volunteer, *, full_id: bool = False) -> dict:
    """One volunteer as the exports and her own data download show her (masked unless full_id)."""
    return {
        "志愿者编号": volunteer.number,
        "姓名": volunteer.name,
        "证件类型": volunteer.id_type_label,
        "证件号码": volunteer.decrypt_id_number() if full_id else volunteer.id_number_masked,
        "性别": volunteer.get_sex_display(),
        "出生日期": volunteer.birth_date.isoformat() if volunteer.birth_date else None,
        "手机号": volunteer.phone if full_id else volunteer.phone_masked,
        "民族": volunteer.ethnicity,
        "政治面貌": volunteer.political_status,
        "学历": volunteer.education,
        "工作单位": volunteer.work_unit,
        "职业": volunteer.occupation,
        "技能特长": volunteer.skills,
        "服务类别": labels(volunteer.categories, SERVICE_CATEGORIES),
        "其他服务类别": volunteer.other_category,
        "可服务时间": labels(volunteer.availability, SERVICE_TIMES),
        "力量类型": volunteer.get_force_type_display(),
        "荣誉": "、".join(labels_of(volunteer.honours_mask, choices.HONOURS)),
        "居住地": volunteer.home_node.name,
        "居住地址": volunteer.address,
        "紧急联系人": volunteer.emergency_contact_name,
        "紧急联系人电话": volunteer.emergency_contact_phone,
        "微信号": volunteer.wechat_id,
        "状态": volunteer.get_status_display(),
        "登记方式": volunteer.get_source_display(),
        "登记时间": timezone.localtime(volunteer.created_at).isoformat(),
    }
