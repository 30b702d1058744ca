"""The rules for a volunteer's registration data, shared by the forms, the API and the importer.

`validate_volunteer` collects every problem of a record at once (an import report lists them all), with the
field it belongs to and a Chinese message; values are normalised (full-width digits, stray spaces).
"""

import datetime
import re
from dataclasses import dataclass, field

from jinguo.core.ids import ID_TYPE_LABELS, ID_TYPE_RESIDENT, IdNumberError, parse_id
from jinguo.core.text import (
    clean_compact,
    clean_text,
    is_contact_phone,
    is_mobile,
    normalise_contact_phone,
    normalise_phone,
)
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES

from . import choices
from .bitmask import to_mask

FIELD_LABELS = {
    "name": "姓名",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "phone": "手机号",
    "ethnicity": "民族",
    "political_status": "政治面貌",
    "education": "学历",
    "work_unit": "工作单位",
    "occupation": "职业",
    "skills": "技能特长",
    "categories": "服务类别",
    "other_category": "其他服务类别",
    "availability": "可服务时间",
    "force_type": "力量类型",
    "honours": "荣誉",
    "honours_other": "其他荣誉",
    "address": "居住地址",
    "emergency_contact_name": "紧急联系人",
    "emergency_contact_phone": "紧急联系人电话",
    "wechat_id": "微信号",
}

MAX_LENGTHS = {
    "name": 50,
    "work_unit": 120,
    "occupation": 60,
    "skills": 300,
    "other_category": 60,
    "honours_other": 200,
    "address": 200,
    "emergency_contact_name": 50,
    "wechat_id": 50,
}
_SPLIT = re.compile(r"[、,，;；/|\s]+")
_NAME_RE = re.compile(r"^[\u4e00-\u9fff\u3400-\u4dbf·•.A-Za-z ]{2,50}$")
_WECHAT_RE = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$|^1[3-9]\d{9}$")


# Built once (Django's choices properties build new lists on every access): codes, labels and labels without 力量.
_FORCE_TYPES = {code: code for code in choices.ForceType.values}
_FORCE_TYPES.update({label: code for code, label in choices.ForceType.choices})
_FORCE_TYPES.update({label.removesuffix("力量"): code for code, label in choices.ForceType.choices})
_ID_TYPES_BY_LABEL = {label: code for code, label in ID_TYPE_LABELS.items()}


@dataclass
class Validated:
    data: dict = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, message)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def split_choices(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [clean_text(v) for v in value if clean_text(v)]
    return [part for part in _SPLIT.split(clean_text(value)) if part]


_LOOKUPS: dict[tuple, tuple[dict, dict]] = {}


def _lookups(table, strip_prefix: str) -> tuple[dict, dict]:
    """(by code, by label) of a choice table, built once: an import matches 100,000 rows against the same tables."""
    key = (tuple(table), strip_prefix)
    found = _LOOKUPS.get(key)
    if found is None:
        by_code = {code: code for code, _ in table}
        by_label = {}
        for code, label in table:
            by_label[label] = code
            if strip_prefix and label.startswith(strip_prefix):
                by_label[label[len(strip_prefix) :]] = code
        found = _LOOKUPS[key] = (by_code, by_label)
    return found


def _match_codes(values: list[str], table, *, strip_prefix: str = "") -> tuple[list[str], list[str]]:
    """Accept codes or labels (with or without a common prefix like 巾帼, or a trailing 志愿者)."""
    by_code, by_label = _lookups(table, strip_prefix)
    found, unknown = [], []
    for value in values:
        key = value.removesuffix("志愿者").removesuffix("志愿服务")
        code = by_code.get(key) or by_label.get(key) or by_label.get(strip_prefix + key)
        if code:
            if code not in found:
                found.append(code)
        else:
            unknown.append(value)
    return found, unknown


def _choice(value, allowed: list[str]) -> tuple[str, bool]:
    text = clean_text(value)
    if not text:
        return "", True
    return (text, True) if text in allowed else (text, False)


def validate_volunteer(raw: dict, *, today: datetime.date | None = None, require_phone: bool = True) -> Validated:
    """Check and normalise one record. Keys follow FIELD_LABELS; missing optional keys stay absent."""
    today = today or datetime.date.today()
    result = Validated()
    data = result.data
    err = result.errors.append

    name = clean_text(raw.get("name")).replace(" ", "")
    if not name:
        err(("name", "姓名不能为空"))
    elif not _NAME_RE.match(name):
        err(("name", "姓名应为 2-50 个汉字或字母"))
    data["name"] = name

    id_type_raw = clean_text(raw.get("id_type")) or ID_TYPE_RESIDENT
    id_type = id_type_raw if id_type_raw in ID_TYPE_LABELS else _ID_TYPES_BY_LABEL.get(id_type_raw)
    if id_type is None:
        err(("id_type", f"证件类型「{id_type_raw}」无效，可选：{'、'.join(ID_TYPE_LABELS.values())}"))
        id_type = ID_TYPE_RESIDENT
    data["id_type"] = id_type
    id_value = raw.get("id_number")
    if isinstance(id_value, float) or (isinstance(id_value, int) and not isinstance(id_value, bool)):
        # Excel stored the number as a number: it keeps 15 significant digits, so the last ones are lost.
        err(("id_number", "证件号码被 Excel 存成了数字，末几位已丢失。请将该列设为“文本”格式后重新填写"))
    else:
        try:
            info = parse_id(id_type, id_value, today=today)
        except IdNumberError as exc:
            err(("id_number", str(exc)))
        else:
            data["id_number"] = info.number
            data["birth_date"] = info.birth_date
            data["sex"] = info.sex or ""
            if info.region_warning:
                result.warnings.append(("id_number", info.region_warning))

    phone = normalise_phone(raw.get("phone"))
    if not phone:
        if require_phone:
            err(("phone", "手机号不能为空"))
    elif not is_mobile(phone):
        err(("phone", f"手机号「{clean_compact(raw.get('phone'))}」格式不正确，应为 11 位手机号"))
    data["phone"] = phone

    for key, allowed in (
        ("ethnicity", choices.ETHNICITIES),
        ("political_status", choices.POLITICAL_STATUS),
        ("education", choices.EDUCATION),
    ):
        if key in raw:
            value, ok = _choice(raw.get(key), allowed)
            if not ok:
                err((key, f"{FIELD_LABELS[key]}「{value}」不在可选范围内"))
            data[key] = value

    for key in (
        "work_unit",
        "occupation",
        "skills",
        "other_category",
        "honours_other",
        "address",
        "emergency_contact_name",
        "wechat_id",
    ):
        if key in raw:
            value = clean_text(raw.get(key))
            if len(value) > MAX_LENGTHS[key]:
                err((key, f"{FIELD_LABELS[key]}过长（最多 {MAX_LENGTHS[key]} 字）"))
                value = value[: MAX_LENGTHS[key]]
            data[key] = value
    if data.get("wechat_id") and not _WECHAT_RE.match(data["wechat_id"]):
        err(("wechat_id", "微信号格式不正确（6-20 位，以字母开头，或为手机号）"))

    if "emergency_contact_phone" in raw:
        value = normalise_contact_phone(raw.get("emergency_contact_phone"))
        if value and not is_contact_phone(value):
            err(("emergency_contact_phone", "紧急联系人电话格式不正确"))
        if value and value == phone:
            err(("emergency_contact_phone", "紧急联系人电话不能与本人手机号相同"))
        data["emergency_contact_phone"] = value

    for key, table, prefix, mask_key in (
        ("categories", SERVICE_CATEGORIES, "巾帼", "categories_mask"),
        ("availability", SERVICE_TIMES, "", "availability_mask"),
        ("honours", choices.HONOURS, "", "honours_mask"),
    ):
        if key in raw:
            codes, unknown = _match_codes(split_choices(raw.get(key)), table, strip_prefix=prefix)
            if unknown:
                labels = "、".join(label for _, label in table)
                err((key, f"{FIELD_LABELS[key]}「{'、'.join(unknown)}」无法识别，可选：{labels}"))
            data[mask_key] = to_mask(codes, table)
    if data.get("categories_mask", 0) & to_mask(["other"], SERVICE_CATEGORIES) and not data.get("other_category"):
        err(("other_category", "选择「其他」服务类别时请填写具体内容"))

    if "force_type" in raw:
        text = clean_text(raw.get("force_type"))
        value = _FORCE_TYPES.get(text) or ""
        if text and not value:
            err(("force_type", f"力量类型「{text}」无法识别，可选：{'、'.join(choices.ForceType.labels)}"))
        data["force_type"] = value
    return result
