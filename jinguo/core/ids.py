"""Chinese resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

R2: 18 characters, a real birth date in characters 7-14, the ISO 7064 MOD 11-2 check character; birth date
and sex are derived. The region code is advisory only: python-stdnum's table does not know every real code for
every birth year, so an unknown region is a warning, never a rejection.
"""

import datetime
from dataclasses import dataclass
from functools import lru_cache

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .text import clean_compact

ID_TYPE_RESIDENT = "resident"
ID_TYPES = [
    (ID_TYPE_RESIDENT, "居民身份证"),
    ("hk_macao", "港澳居民居住证/来往内地通行证"),
    ("taiwan", "台湾居民居住证/来往大陆通行证"),
    ("passport", "护照"),
]
ID_TYPE_LABELS = dict(ID_TYPES)


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: datetime.date | None
    sex: str | None  # "F" or "M"
    region_warning: str | None


class IdNumberError(ValueError):
    """The number cannot be a valid ID number; the message says why, in Chinese."""


def normalise_id_number(value) -> str:
    return clean_compact(value).upper()


@lru_cache(maxsize=16384)
def _region_known(region: str, year: int) -> bool:
    """Whether stdnum knows the region code for that birth year. Its lookup scans a table on every call, and an
    import asks about the same few regions 100,000 times, so the answers are cached."""
    try:
        ric.get_birth_place(f"{region}{year:04d}0101" + "0000")
    except (StdnumError, KeyError):  # stdnum raises KeyError for codes whose table entry lacks a county
        return False
    return True


def parse_resident_id(value, *, today: datetime.date | None = None) -> IdInfo:
    number = normalise_id_number(value)
    if not number:
        raise IdNumberError("身份证号码不能为空")
    if len(number) != 18:
        raise IdNumberError(f"身份证号码应为18位，当前为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("身份证号码前17位应为数字，末位应为数字或X")
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise IdNumberError("身份证号码中的出生日期不存在") from None
    today = today or datetime.date.today()
    if birth > today:
        raise IdNumberError("身份证号码中的出生日期晚于今天")
    if birth.year < 1900:
        raise IdNumberError("身份证号码中的出生日期早于1900年")
    if ric.calc_check_digit(number) != number[17]:
        raise IdNumberError("身份证号码校验位错误，请核对是否输错")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    warning = None
    if not _region_known(number[:6], birth.year):
        warning = f"行政区划代码{number[:6]}未能识别，请核对（不影响登记）"
    return IdInfo(number=number, birth_date=birth, sex=sex, region_warning=warning)


def parse_id(id_type: str, value, *, today: datetime.date | None = None) -> IdInfo:
    """Validate a number of the given ID type. Non-resident documents get a format check only."""
    if id_type == ID_TYPE_RESIDENT:
        return parse_resident_id(value, today=today)
    number = normalise_id_number(value)
    if id_type not in ID_TYPE_LABELS:
        raise IdNumberError("证件类型无效")
    if not (6 <= len(number) <= 20) or not number.isalnum() or not number.isascii():
        raise IdNumberError(f"{ID_TYPE_LABELS[id_type]}号码格式不正确")
    return IdInfo(number=number, birth_date=None, sex=None, region_warning=None)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def make_resident_id(region: str, birth: datetime.date, serial: int) -> str:
    """A number with a valid check character, for synthetic demo and test data only."""
    body = f"{region}{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def validate_credit_code(value) -> str:
    """统一社会信用代码: 18 characters with the GB 32100 check character. Returns the normalised code."""
    code = clean_compact(value).upper()
    if len(code) != 18:
        raise IdNumberError(f"统一社会信用代码应为18位，当前为{len(code)}位")
    try:
        return uscc.validate(code)
    except StdnumError:
        raise IdNumberError("统一社会信用代码校验不通过，请核对") from None
