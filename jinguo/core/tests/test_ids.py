"""ID numbers (R2) and credit codes: checksum, birth date and sex; the region only warns."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jinguo.core.ids import (
    IdNumberError,
    age_on,
    make_resident_id,
    parse_id,
    parse_resident_id,
    validate_credit_code,
)

TODAY = datetime.date(2026, 6, 1)
REGIONS = ["110105", "350203", "350206", "410402", "440305"]

birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
serials = st.integers(min_value=0, max_value=999)
regions = st.sampled_from(REGIONS)


@settings(max_examples=200, deadline=None)
@given(region=regions, born=birth_dates, serial=serials)
def test_every_valid_number_parses_with_birth_date_and_sex(region, born, serial):
    number = make_resident_id(region, born, serial)
    info = parse_resident_id(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == born
    assert info.sex == ("M" if int(number[16]) % 2 else "F")
    # stdnum's region table does not know every real code for every birth year (350203 before 2003, say):
    # that may warn, never reject (R2).
    assert info.region_warning in (None, f"行政区划代码{region}未能识别，请核对（不影响登记）")


@settings(max_examples=200, deadline=None)
@given(region=regions, born=birth_dates, serial=serials, data=st.data())
def test_any_single_wrong_digit_is_rejected(region, born, serial, data):
    number = make_resident_id(region, born, serial)
    position = data.draw(st.integers(min_value=0, max_value=16))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    wrong = number[:position] + digit + number[position + 1 :]
    with pytest.raises(IdNumberError):
        parse_resident_id(wrong, today=TODAY)


@settings(max_examples=200, deadline=None)
@given(region=regions, born=birth_dates, serial=serials, data=st.data())
def test_swapped_neighbours_are_rejected(region, born, serial, data):
    number = make_resident_id(region, born, serial)
    swappable = [i for i in range(17) if number[i] != number[i + 1]]
    position = data.draw(st.sampled_from(swappable))
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(IdNumberError):
        parse_resident_id(swapped, today=TODAY)


@settings(max_examples=100, deadline=None)
@given(region=regions, born=birth_dates, serial=serials)
def test_full_width_digits_spaces_and_lower_case_x_are_normalised(region, born, serial):
    number = make_resident_id(region, born, serial)
    typed = " ".join([number[:6], number[6:14], number[14:]]).translate(
        str.maketrans("0123456789X", "０１２３４５６７８９x")
    )
    assert parse_resident_id(f"\u3000{typed} ", today=TODAY).number == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "身份证号码不能为空"),
        ("35020319900101002", "身份证号码应为18位，当前为17位"),
        ("3502031990010100211", "身份证号码应为18位，当前为19位"),
        ("35020319900101002A", "身份证号码前17位应为数字，末位应为数字或X"),
        ("350203199002300021", "身份证号码中的出生日期不存在"),
        ("350203189912310021", "身份证号码中的出生日期早于1900年"),
    ],
)
def test_rejections_say_why(value, message):
    with pytest.raises(IdNumberError) as excinfo:
        parse_resident_id(value, today=TODAY)
    assert str(excinfo.value) == message


def test_birth_date_after_today_is_rejected():
    number = make_resident_id("350203", datetime.date(2026, 6, 2), 12)
    with pytest.raises(IdNumberError) as excinfo:
        parse_resident_id(number, today=TODAY)
    assert str(excinfo.value) == "身份证号码中的出生日期晚于今天"


def test_wrong_check_character_message():
    number = make_resident_id("350203", datetime.date(1990, 1, 1), 2)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(IdNumberError) as excinfo:
        parse_resident_id(wrong, today=TODAY)
    assert str(excinfo.value) == "身份证号码校验位错误，请核对是否输错"


def test_unknown_region_is_a_warning_not_a_rejection():
    number = make_resident_id("990101", datetime.date(1990, 1, 1), 2)
    info = parse_resident_id(number, today=TODAY)
    assert info.number == number
    assert info.region_warning == "行政区划代码990101未能识别，请核对（不影响登记）"


def test_other_documents_get_a_format_check_only():
    info = parse_id("passport", " e1234 5678 ", today=TODAY)
    assert (info.number, info.birth_date, info.sex) == ("E12345678", None, None)
    with pytest.raises(IdNumberError) as excinfo:
        parse_id("passport", "E12", today=TODAY)
    assert str(excinfo.value) == "护照号码格式不正确"
    with pytest.raises(IdNumberError):
        parse_id("passport", "护照号码一二三四五六", today=TODAY)
    with pytest.raises(IdNumberError) as excinfo:
        parse_id("driving_licence", "E12345678", today=TODAY)
    assert str(excinfo.value) == "证件类型无效"


def test_credit_code():
    assert validate_credit_code(" 91350200ma31abcd2k ") == "91350200MA31ABCD2K"
    with pytest.raises(IdNumberError) as excinfo:
        validate_credit_code("91350200MA31ABCD2J")
    assert str(excinfo.value) == "统一社会信用代码校验不通过，请核对"
    with pytest.raises(IdNumberError) as excinfo:
        validate_credit_code("9135020")
    assert str(excinfo.value) == "统一社会信用代码应为18位，当前为7位"


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (datetime.date(2012, 6, 1), datetime.date(2026, 6, 1), 14),
        (datetime.date(2012, 6, 2), datetime.date(2026, 6, 1), 13),
        (datetime.date(2008, 2, 29), datetime.date(2026, 2, 28), 17),
        (datetime.date(2008, 2, 29), datetime.date(2026, 3, 1), 18),
    ],
)
def test_age_on_birthdays(born, day, age):
    assert age_on(born, day) == age


def test_a_region_code_stdnum_half_knows_is_a_warning_not_a_crash():
    number = make_resident_id("121002", datetime.date(1990, 1, 1), 124)
    info = parse_resident_id(number)
    assert info.region_warning == "行政区划代码121002未能识别，请核对（不影响登记）"
