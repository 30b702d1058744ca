"""How personal data is shown to someone without the right to see it (R3)."""

import pytest

from jinguo.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110105199001010021", "110105********0021"),
        ("11010519900101002X", "110105********002X"),
        ("E12345678", "E1*****78"),
        ("H1234567801", "H1*******01"),
        ("A123456789012", "A1*********12"),
        ("12345678901234", "123456****1234"),
        ("A1234567", "A******7"),
        ("", ""),
    ],
)
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


def test_masked_id_hides_the_birth_date():
    assert "19900101" not in mask_id_number("110105199001010021")


@pytest.mark.parametrize("length", range(6, 25))  # parse_id accepts 6-20 characters
def test_masked_id_always_hides_something(length):
    number = "".join(str(i % 10) for i in range(length))
    masked = mask_id_number(number)
    assert len(masked) == length
    assert masked.count("*") >= min(4, length - 2)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("05922345678", "059****5678"),
        ("2345678", "***5678"),
        ("123", "****"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张晓丽", "张*丽"), ("王芳", "王*"), ("欧阳娜娜", "欧**娜"), ("李", "李"), ("", "")],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked
