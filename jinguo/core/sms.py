"""Text messages behind one interface. Development writes them to the log; a gateway adapter does the same call."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import DomainError
from .models import SmsCode

logger = logging.getLogger("jinguo.sms")

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)


class ConsoleSmsBackend:
    def send(self, phone: str, message: str) -> None:
        logger.info("短信 -> %s: %s", phone, message)
        print(f"[短信] 发送至 {phone}：{message}", flush=True)


class MemorySmsBackend:
    """For tests: messages are kept in a list."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, message: str) -> None:
        self.outbox.append((phone, message))


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def _hash(phone: str, purpose: str, code: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{phone}:{purpose}:{code}".encode()).hexdigest()


def send_code(phone: str, purpose: str, text: str) -> None:
    """Send a six-digit code; `text` has a {code} placeholder."""
    now = timezone.now()
    recent = SmsCode.objects.filter(phone=phone, purpose=purpose, created_at__gt=now - RESEND_INTERVAL)
    if recent.exists():
        raise DomainError("sms_too_frequent", "验证码发送过于频繁，请一分钟后再试。")
    code = f"{secrets.randbelow(1_000_000):06d}"
    SmsCode.objects.create(
        phone=phone, purpose=purpose, code_hash=_hash(phone, purpose, code), expires_at=now + CODE_TTL
    )
    get_backend().send(phone, text.format(code=code))


def check_code(phone: str, purpose: str, code: str) -> None:
    """Consume a valid code or raise. Wrong guesses count against the code, which dies after five."""
    now = timezone.now()
    wrong = False
    with transaction.atomic():
        entry = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if entry is None or entry.attempts >= MAX_ATTEMPTS:
            raise DomainError("sms_code_expired", "验证码已失效，请重新获取。", field="code")
        if secrets.compare_digest(entry.code_hash, _hash(phone, purpose, (code or "").strip())):
            entry.used_at = now
            entry.save(update_fields=["used_at"])
        else:
            # The failed attempt must be saved, so the error is raised after the transaction commits.
            entry.attempts += 1
            entry.save(update_fields=["attempts"])
            wrong = True
    if wrong:
        raise DomainError("sms_code_wrong", "验证码不正确。", field="code")
