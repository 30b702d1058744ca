"""Normalising what people type or paste: full-width digits and letters, stray spaces, phone numbers."""

import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Landlines as people write them: optional area code with or without a dash, optional extension. Local numbers
# never start with 0 or 1 (those are trunk and mobile/service prefixes), so a mistyped mobile is not a landline.
LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}(-\d{1,6})?$")


# Full-width digits and Latin letters (what a Chinese input method types in full-width mode) map to ASCII.
# Chinese punctuation (，。：（）) is left alone: in text it is correct Chinese, not a typing accident.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}


def to_halfwidth(value: str) -> str:
    """Full-width digits and letters (１３８, ＡＢＣ) become ASCII; Chinese characters and punctuation stay."""
    return value.translate(_HALFWIDTH)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def clean_text(value) -> str:
    """A cell or form value as a trimmed single-spaced string; None and numbers are handled."""
    return _SPACES.sub(" ", to_halfwidth(_as_text(value))).strip()


def clean_compact(value) -> str:
    """For numbers and codes: every full-width form to ASCII (NFKC: also －, ＋, （）), every space removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", _as_text(value))).replace(" ", "")


def normalise_phone(value) -> str:
    """'１３８ 0013-8000' and '+86 13800138000' both become '13800138000'."""
    text = clean_compact(value).replace("-", "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    return text


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.match(value))


def normalise_contact_phone(value) -> str:
    """A contact phone may be a mobile or a landline (teams often give an office number)."""
    text = clean_compact(value)
    mobile = normalise_phone(text)
    if is_mobile(mobile):
        return mobile
    return text


def is_contact_phone(value: str) -> bool:
    return is_mobile(value) or bool(LANDLINE_RE.match(value))
