"""ID numbers at rest (R3): AES-GCM ciphertext and an HMAC blind index; nothing readable in a database dump."""

import base64

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from jinguo.core import crypto

NUMBER = "350203199001010026"
OTHER_KEY = base64.b64encode(b"k" * 32).decode()


def test_round_trip_and_a_fresh_nonce_each_time():
    first, second = crypto.encrypt(NUMBER), crypto.encrypt(NUMBER)
    assert first != second
    assert crypto.decrypt(first) == NUMBER
    assert crypto.decrypt(second) == NUMBER
    assert first[:1] == b"\x01"
    assert len(first) == 1 + 12 + len(NUMBER) + 16
    assert NUMBER.encode() not in first
    assert b"19900101" not in first


def test_tampered_ciphertext_is_refused():
    token = bytearray(crypto.encrypt(NUMBER))
    token[20] ^= 0x01
    with pytest.raises(InvalidTag):
        crypto.decrypt(bytes(token))


def test_ciphertext_is_bound_to_its_context():
    token = crypto.encrypt(NUMBER, context=b"id")
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, context=b"phone")


def test_unknown_version_is_refused():
    token = crypto.encrypt(NUMBER)
    with pytest.raises(ValueError, match="unknown ciphertext version"):
        crypto.decrypt(b"\x02" + token[1:])


def test_another_key_cannot_decrypt():
    token = crypto.encrypt(NUMBER)
    with override_settings(PERSONAL_DATA_KEY=OTHER_KEY), pytest.raises(InvalidTag):
        crypto.decrypt(token)


def test_blind_index_is_stable_keyed_and_separated_by_purpose():
    index = crypto.blind_index(f"resident:{NUMBER}")
    assert index == crypto.blind_index(f"resident:{NUMBER}")
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert NUMBER not in index
    assert index != crypto.blind_index(f"resident:{NUMBER}", purpose=b"phone")
    assert index != crypto.blind_index("resident:350203199001010034")
    with override_settings(PERSONAL_DATA_KEY=OTHER_KEY):
        assert crypto.blind_index(f"resident:{NUMBER}") != index


@pytest.mark.parametrize("key", [None, "", "not base64!", base64.b64encode(b"short").decode()])
def test_missing_or_bad_key_is_a_configuration_error(key):
    with override_settings(PERSONAL_DATA_KEY=key), pytest.raises(ImproperlyConfigured):
        crypto.encrypt(NUMBER)


def test_volunteer_rows_hold_no_readable_id_number(member):
    from jinguo.volunteers.models import Volunteer

    number = member.decrypt_id_number()
    row = Volunteer.objects.filter(pk=member.pk).values().get()
    readable = {k: v for k, v in row.items() if not isinstance(v, bytes | memoryview)}
    assert number not in str(readable)
    assert number[6:14] not in str(readable)  # not even the birth date
    assert row["id_number_masked"] == number[:6] + "********" + number[-4:]
