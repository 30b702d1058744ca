"""One-time SMS codes: six digits, hashed at rest, ten minutes, five wrong guesses, one a minute."""

import datetime
import re

import pytest
from django.utils import timezone

from jinguo.core import sms
from jinguo.core.errors import DomainError
from jinguo.core.models import SmsCode
from jinguo.core.sms import MemorySmsBackend

PHONE = "13800138000"
TEXT = "【巾帼志愿】您的验证码为 {code}，10 分钟内有效。"


def sent_code() -> str:
    phone, message = MemorySmsBackend.outbox[-1]
    assert phone == PHONE
    return re.search(r"\d{6}", message).group(0)


def error_code(func, *args) -> str:
    with pytest.raises(DomainError) as excinfo:
        func(*args)
    return excinfo.value.code


def test_code_is_sent_and_only_its_hash_kept(db):
    sms.send_code(PHONE, "register", TEXT)
    code = sent_code()
    assert MemorySmsBackend.outbox == [(PHONE, f"【巾帼志愿】您的验证码为 {code}，10 分钟内有效。")]
    entry = SmsCode.objects.get()
    assert code not in entry.code_hash
    assert len(entry.code_hash) == 64
    lifetime = entry.expires_at - entry.created_at
    assert abs(lifetime - datetime.timedelta(minutes=10)) < datetime.timedelta(seconds=1)


def test_right_code_is_accepted_once(db):
    sms.send_code(PHONE, "register", TEXT)
    code = sent_code()
    sms.check_code(PHONE, "register", f" {code} ")
    assert SmsCode.objects.get().used_at is not None
    assert error_code(sms.check_code, PHONE, "register", code) == "sms_code_expired"


def test_code_is_for_one_purpose_and_one_phone(db):
    sms.send_code(PHONE, "register", TEXT)
    code = sent_code()
    assert error_code(sms.check_code, PHONE, "claim", code) == "sms_code_expired"
    assert error_code(sms.check_code, "13900139000", "register", code) == "sms_code_expired"
    sms.check_code(PHONE, "register", code)


def test_five_wrong_guesses_kill_the_code(db):
    sms.send_code(PHONE, "register", TEXT)
    code = sent_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(1, 6):
        with pytest.raises(DomainError) as excinfo:
            sms.check_code(PHONE, "register", wrong)
        assert (excinfo.value.code, excinfo.value.message, excinfo.value.field) == (
            "sms_code_wrong",
            "验证码不正确。",
            "code",
        )
        assert SmsCode.objects.get().attempts == attempt  # saved although the check failed
    assert error_code(sms.check_code, PHONE, "register", code) == "sms_code_expired"
    assert SmsCode.objects.get().used_at is None


def test_expired_code_is_refused(db):
    sms.send_code(PHONE, "register", TEXT)
    code = sent_code()
    SmsCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(DomainError) as excinfo:
        sms.check_code(PHONE, "register", code)
    assert excinfo.value.message == "验证码已失效，请重新获取。"


def test_one_code_a_minute(db):
    sms.send_code(PHONE, "register", TEXT)
    with pytest.raises(DomainError) as excinfo:
        sms.send_code(PHONE, "register", TEXT)
    assert excinfo.value.message == "验证码发送过于频繁，请一分钟后再试。"
    assert len(MemorySmsBackend.outbox) == 1
    SmsCode.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=61))
    sms.send_code(PHONE, "register", TEXT)
    assert len(MemorySmsBackend.outbox) == 2
    # The newest code is the one that counts.
    sms.check_code(PHONE, "register", sent_code())


def test_codes_are_random(db):
    codes = set()
    for i in range(20):
        phone = f"138{i:08d}"
        sms.send_code(phone, "register", TEXT)
        codes.add(re.search(r"\d{6}", MemorySmsBackend.outbox[-1][1]).group(0))
    assert len(codes) >= 18
