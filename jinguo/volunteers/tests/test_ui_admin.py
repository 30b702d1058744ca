"""The Django admin shows volunteers to platform administrators only, read-only and masked."""

import pytest
from django.urls import reverse

from .ui_helpers import login

PAGES = [
    "admin:volunteers_volunteer_changelist",
    "admin:volunteers_membership_changelist",
    "admin:volunteers_consent_changelist",
    "admin:volunteers_identitydispute_changelist",
]


@pytest.mark.parametrize("name", PAGES)
def test_admin_lists_are_masked(world, member, name):
    html = login(world.root_user).get(reverse(name)).content.decode()
    assert member.decrypt_id_number() not in html
    assert member.phone not in html


def test_admin_record_is_read_only_and_masked(world, member):
    client = login(world.root_user)
    url = reverse("admin:volunteers_volunteer_change", args=[member.pk])
    html = client.get(url).content.decode()
    assert member.id_number_masked in html
    assert member.phone_masked in html
    assert member.decrypt_id_number() not in html
    assert member.phone not in html
    assert 'name="_save"' not in html
    assert client.post(url, {"name": "改名"}).status_code == 403
    member.refresh_from_db()
    assert member.name != "改名"


def test_admin_is_for_platform_admins_only(world):
    response = login(world.city_admin).get(reverse("admin:volunteers_volunteer_changelist"))
    assert response.status_code == 302
    assert "/login/" in response.url
