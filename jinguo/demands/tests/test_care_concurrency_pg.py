"""Care pairings under concurrent requests, on PostgreSQL (skipped elsewhere: SQLite serialises writers).

- Two staff pair the same volunteer with the same recipient at the same moment: one pairing, one refusal.
- Her phone sends the same visit log 10 times at once with one Idempotency-Key: one visit, one service record.
"""

import datetime
import json
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from jinguo.demands.care_models import CarePairing, PairingMember, VisitLog
from jinguo.hours.models import ServiceRecord
from tests.test_concurrency_pg import burst, logged_in, poster

from .test_care_services import RECIPIENT

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]


def _recipient(client, world) -> int:
    response = client.post(
        "/api/v1/care-recipients/", json.dumps({**RECIPIENT, "node": world.community.pk}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_the_same_volunteer_paired_twice_at_once_gives_one_pairing(world, make_volunteer):
    volunteer = make_volunteer(team=world.team.node)
    admin, city = logged_in(world.district_admin), logged_in(world.city_admin)
    recipient = _recipient(admin, world)
    body = {"recipient": recipient, "organiser": world.team.node.pk, "kind": "one", "volunteers": [volunteer.pk],
            "start_date": timezone.localdate().isoformat(), "frequency": "weekly"}  # fmt: skip
    responses = burst([poster(client, "/api/v1/care-pairings/", body) for client in (admin, city, admin, city)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 400, 400, 400]
    assert {r.json()["code"] for r in responses if r.status_code == 400} == {"already_paired"}
    assert CarePairing.objects.count() == 1
    assert PairingMember.objects.count() == 1


def test_a_visit_sent_ten_times_at_once_is_logged_once(world, make_volunteer):
    volunteer = make_volunteer(team=world.team.node)
    admin = logged_in(world.district_admin)
    recipient = _recipient(admin, world)
    pairing = admin.post("/api/v1/care-pairings/", json.dumps({
        "recipient": recipient, "organiser": world.team.node.pk, "kind": "one", "volunteers": [volunteer.pk],
        "start_date": (timezone.localdate() - datetime.timedelta(days=5)).isoformat(), "frequency": "weekly",
    }), content_type="application/json").json()["id"]  # fmt: skip
    start = timezone.now() - datetime.timedelta(days=1)
    body = {"pairing": pairing, "volunteers": [volunteer.pk], "start_at": start.isoformat(),
            "end_at": (start + datetime.timedelta(hours=1)).isoformat(), "content": "陪伴聊天"}  # fmt: skip
    key = uuid.uuid4().hex
    phone = logged_in(volunteer.user)
    responses = burst([poster(phone, "/api/v1/care-visits/", body, **{"Idempotency-Key": key}) for _ in range(10)])
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert VisitLog.objects.count() == 1
    assert ServiceRecord.objects.filter(volunteer=volunteer).count() == 1
