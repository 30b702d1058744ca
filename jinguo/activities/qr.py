"""Rotating check-in codes (F6): a signed QR token and a 6-digit code per activity, purpose and time window.

The leader's screen shows, for the current window of settings.CHECKIN_QR_WINDOW_SECONDS, a QR code that encodes
the URL of our scan page with a token, and a 6-digit code derived from the same window. A token or a code is
accepted in its own window and in the next one (about a minute), so that a photo of the screen sent to someone
at home is useless a minute later. Both are HMACs keyed from SECRET_KEY: nobody can make one without the server.

Opening the scan page takes a few seconds, and asking the browser for her position a few more: when the page
opens with a valid token it hands her a *scan pass*, bound to her account and valid for SCAN_PASS_SECONDS, which
the page posts back instead of the token. The pass proves she scanned in time; it is useless to anyone else.
"""

import base64
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

from jinguo.core.errors import DomainError

IN, OUT = "in", "out"
PURPOSES = (IN, OUT)
PURPOSE_LABELS = {IN: "签到", OUT: "签退"}
SCAN_PASS_SECONDS = 5 * 60
# Key-derivation salts (namespaces for HMACs keyed from SECRET_KEY), not secrets themselves.
_TOKEN_SALT = "jinguo.activities.checkin.token"  # noqa: S105
_CODE_SALT = "jinguo.activities.checkin.code"
_PASS_SALT = "jinguo.activities.checkin.pass"  # noqa: S105
_PASS_PREFIX = "p:"  # noqa: S105


@dataclass(frozen=True)
class Scan:
    activity_id: int
    purpose: str
    window: int


def window_now(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // settings.CHECKIN_QR_WINDOW_SECONDS)


def seconds_left(now: float | None = None) -> int:
    """Seconds until the current window ends (the screen says when the code changes)."""
    now = time.time() if now is None else now
    size = settings.CHECKIN_QR_WINDOW_SECONDS
    return int(size - (now % size)) or size


def _signature(activity_id: int, purpose: str, window: int) -> str:
    digest = salted_hmac(_TOKEN_SALT, f"{activity_id}:{purpose}:{window}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def make_token(activity_id: int, purpose: str, window: int | None = None) -> str:
    """`<activity>.<i|o>.<window>.<signature>`: URL-safe, short enough for a QR code a phone reads at a distance."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    window = window_now() if window is None else window
    return f"{activity_id}.{purpose[0]}.{window}.{_signature(activity_id, purpose, window)}"


def _accepted(window: int, now: float | None = None) -> bool:
    current = window_now(now)
    return window in (current, current - 1)


def read_token(token: str, *, now: float | None = None) -> Scan:
    """The activity and purpose of a valid token; DomainError for a forged, malformed or expired one."""
    parts = (token or "").split(".")
    try:
        activity_id, purpose_letter, window, signature = int(parts[0]), parts[1], int(parts[2]), parts[3]
        purpose = {"i": IN, "o": OUT}[purpose_letter]
    except (IndexError, KeyError, ValueError):
        raise DomainError("bad_token", "二维码无效，请扫描队长屏幕上显示的签到二维码。", field="token") from None
    if len(parts) != 4 or not hmac.compare_digest(signature, _signature(activity_id, purpose, window)):
        raise DomainError("bad_token", "二维码无效，请扫描队长屏幕上显示的签到二维码。", field="token")
    if not _accepted(window, now):
        raise DomainError("expired_token", "二维码已过期，请重新扫描队长屏幕上最新的二维码。", field="token")
    return Scan(activity_id, purpose, window)


def numeric_code(activity_id: int, purpose: str, window: int | None = None) -> str:
    """Six digits for the same activity, purpose and window (a different key from the QR token's)."""
    window = window_now() if window is None else window
    digest = salted_hmac(_CODE_SALT, f"{activity_id}:{purpose}:{window}", algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def code_matches(activity_id: int, purpose: str, code: str, *, now: float | None = None) -> bool:
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return False
    current = window_now(now)
    return any(hmac.compare_digest(code, numeric_code(activity_id, purpose, w)) for w in (current, current - 1))


def make_scan_pass(scan: Scan, user_id: int) -> str:
    value = signing.TimestampSigner(salt=_PASS_SALT).sign_object(
        {"a": scan.activity_id, "p": scan.purpose, "w": scan.window, "u": user_id}
    )
    return _PASS_PREFIX + value


def read_proof(value: str, *, user_id: int | None, now: float | None = None) -> Scan:
    """A QR token, or a scan pass handed to this user when she opened the scan page in time."""
    value = value or ""
    if not value.startswith(_PASS_PREFIX):
        return read_token(value, now=now)
    try:
        data = signing.TimestampSigner(salt=_PASS_SALT).unsign_object(value[len(_PASS_PREFIX):], max_age=SCAN_PASS_SECONDS)
    except signing.SignatureExpired:
        raise DomainError("expired_token", "页面停留太久，签到凭证已过期，请重新扫描二维码。", field="token") from None
    except signing.BadSignature:
        raise DomainError("bad_token", "签到凭证无效，请重新扫描二维码。", field="token") from None
    if data.get("u") != user_id or data.get("p") not in PURPOSES:
        raise DomainError("bad_token", "签到凭证无效，请用本人账号重新扫描二维码。", field="token")
    return Scan(int(data["a"]), data["p"], int(data["w"]))
