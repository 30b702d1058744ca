"""Helpers shared by the tests of the volunteer pages: SMS codes from the memory outbox, form data, a logged-in
client."""

import re

from django.test import Client
from django.urls import reverse

from jinguo.core.sms import MemorySmsBackend

PASSWORD = "Passw0rd!2026"
NEW_PASSWORD = "Jg-volunteer-2026"


def last_code(phone: str) -> str:
    for to, message in reversed(MemorySmsBackend.outbox):
        if to == phone:
            match = re.search(r"\b(\d{6})\b", message)
            if match:
                return match.group(1)
    raise AssertionError(f"no code sent to {phone}")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def prove_phone(client: Client, url_name: str, phone: str):
    """Step one of the phone flows: ask for a code, then type it. Returns the second response."""
    url = reverse(url_name)
    response = client.post(url, {"phone": phone, "action": "send"})
    assert response.status_code == 200, response.content.decode()[:500]
    return client.post(url, {"phone": phone, "code": last_code(phone), "action": "verify"})


def registration_data(raw: dict, home, **overrides) -> dict:
    """Step two of her own registration, as the browser posts it."""
    data = {
        "name": raw["name"],
        "id_type": "resident",
        "id_number": raw["id_number"],
        "ethnicity": "汉族",
        "political_status": "群众",
        "education": "本科",
        "work_unit": "湖滨小学",
        "occupation": "教师",
        "skills": "法律咨询、心理疏导",
        "categories": ["legal", "care"],
        "availability": ["weekend", "holiday"],
        "force_type": "main",
        "honours": ["zuimei"],
        "home_node": home.pk,
        "address": "湖滨南路 1 号",
        "emergency_contact_name": "张大伟",
        "emergency_contact_phone": "13900000001",
        "wechat_id": "",
        "consent_personal": "on",
        "consent_sensitive": "on",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def staff_data(raw: dict, home, team=None, **overrides) -> dict:
    """The staff registration form, as posted."""
    data = {
        "name": raw["name"],
        "id_type": "resident",
        "id_number": raw["id_number"],
        "phone": raw["phone"],
        "team": team.pk if team is not None else "",
        "home_node": home.pk,
        "ethnicity": "汉族",
        "political_status": "群众",
        "education": "高中/中专",
        "skills": "家政服务",
        "categories": ["care"],
        "availability": ["weekday"],
        "force_type": "main",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
