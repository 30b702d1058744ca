"""Normalising what people type or paste: full-width characters, stray spaces, phone numbers."""

import pytest

from jinguo.core.text import (
    clean_compact,
    clean_text,
    is_contact_phone,
    is_mobile,
    normalise_contact_phone,
    normalise_phone,
    to_halfwidth,
)


def test_full_width_becomes_ascii_and_chinese_stays():
    assert to_halfwidth("１３８ＡＢＣ（巾帼）") == "138ABC（巾帼）"  # Chinese punctuation is kept
    assert clean_text("退回原因：材料不全，请补充。") == "退回原因：材料不全，请补充。"
    assert clean_compact("（０５９２）－２０３３９９０") == "(0592)-2033990"


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        (None, ""),
        ("  张\u3000晓丽\u00a0 ", "张 晓丽"),
        ("a\u200bb", "a b"),
        ("\ufeff思明区", "思明区"),
        (13800138000.0, "13800138000"),
        (12.5, "12.5"),
        (7, "7"),
        ("line\nbreak\ttab", "line break tab"),
    ],
)
def test_clean_text(value, cleaned):
    assert clean_text(value) == cleaned


def test_clean_compact_removes_every_space():
    assert clean_compact(" 3502 0319\u30009001 010026 ") == "350203199001010026"


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 13800138000",
        "0086-138-0013-8000",
        "１３８００１３８０００",
    ],
)
def test_normalise_phone(typed):
    assert normalise_phone(typed) == "13800138000"
    assert is_mobile(normalise_phone(typed))


@pytest.mark.parametrize("value", ["12800138000", "1380013800", "138001380001", "", "abcdefghijk"])
def test_not_mobiles(value):
    assert not is_mobile(normalise_phone(value))


@pytest.mark.parametrize(
    ("typed", "normalised", "valid"),
    [
        ("0592-2345678", "0592-2345678", True),
        ("05922345678", "05922345678", True),
        ("2345678", "2345678", True),
        ("0592-2345678-123", "0592-2345678-123", True),
        ("+86 139 0592 0001", "13905920001", True),
        ("123", "123", False),
        ("电话号码", "电话号码", False),
    ],
)
def test_contact_phones(typed, normalised, valid):
    assert normalise_contact_phone(typed) == normalised
    assert is_contact_phone(normalise_contact_phone(typed)) is valid
