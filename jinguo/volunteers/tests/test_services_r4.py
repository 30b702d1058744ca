"""R4: a child under 14 is not registered, by anyone, before a guardian has consented."""

import datetime

import pytest

from conftest import volunteer_raw
from jinguo.core.errors import DomainError
from jinguo.volunteers import services
from jinguo.volunteers.models import Consent, Volunteer


def test_staff_cannot_register_an_under_14_without_a_guardian(world):
    child = volunteer_raw(born=datetime.date.today() - datetime.timedelta(days=3650))
    with pytest.raises(DomainError) as excinfo:
        services.volunteer_create_by_staff(actor=world.district_admin, raw=child, home_node=world.community, notify=False)
    assert excinfo.value.code == "guardian_required"
    assert not Volunteer.objects.exists()


def test_staff_registers_an_under_14_with_the_guardian_consent_recorded(world):
    child = volunteer_raw(born=datetime.date.today() - datetime.timedelta(days=3650))
    guardian = {"name": "王丽", "phone": "13905920011", "relation": "母亲"}
    volunteer = services.volunteer_create_by_staff(
        actor=world.district_admin, raw=child, home_node=world.community, guardian=guardian, notify=False
    )
    consent = Consent.objects.get(volunteer=volunteer)
    assert (consent.kind, consent.guardian_name, consent.guardian_phone) == ("guardian", "王丽", "13905920011")
