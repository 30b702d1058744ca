"""Concurrency through the API, on PostgreSQL (skipped elsewhere: SQLite serialises writers, so the sequential
behaviour is what the other tests check).

- 200 volunteers press 报名 at the same moment for the last 10 places: exactly the capacity is filled and everyone
  else is waitlisted (each request in its own thread, with its own database connection and login).
- Her phone sends the same sign-up 20 times at once with one Idempotency-Key: one sign-up.
- She taps 扫码签到 20 times at once (the double scan): one Attendance, one 201 and nineteen "already checked in".
"""

import datetime
import json
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from jinguo.activities import qr
from jinguo.activities.models import Activity, Attendance, Shift, SignUp
from jinguo.core import crypto
from jinguo.volunteers.models import Volunteer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]
LAST_PLACES = 10
# The development server allows 100 connections and other test runs share it: at most this many requests hold
# one at a time (each thread still opens its own, after the barrier).
MAX_OPEN_CONNECTIONS = 40


def make_people(world, count: int, prefix: str) -> list[Volunteer]:
    """Confirmed volunteers of world.team's community with logins, in bulk (registration is tested elsewhere)."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i:04d}", display_name=f"并发{i}", password="!") for i in range(count)]
    )
    return Volunteer.objects.bulk_create(
        [
            Volunteer(
                number=f"JGP{prefix}{i:06d}",
                user=user,
                name=f"并发{i}",
                id_number_enc=crypto.encrypt(f"{prefix}{i}"),
                id_number_hash=f"{prefix}-{i}",
                id_number_masked="3502************",
                phone=f"138{i:08d}",
                phone_last4=f"{i:04d}",
                home_node=world.community,
                status="active",
                source="staff",
            )
            for i, user in enumerate(users)
        ]
    )


def make_activity(world, *, capacity: int, start: datetime.datetime, hours: float = 3) -> Activity:
    activity = Activity.objects.create(
        organiser=world.district, title="并发测试活动", category="care", content="并发", address="湖滨社区",
        start_at=start, end_at=start + datetime.timedelta(hours=hours), capacity=capacity,
        signup_deadline=min(start, timezone.now() + datetime.timedelta(days=1)), risk_statement="无", protection="无",
        audience="public", status="published", published_at=timezone.now(), created_by=world.district_admin,
    )  # fmt: skip
    Shift.objects.create(activity=activity, start_at=activity.start_at, end_at=activity.end_at, capacity=capacity)
    return activity


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def burst(calls) -> list:
    """Run each call in its own thread, all released at once; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    gate = threading.BoundedSemaphore(MAX_OPEN_CONNECTIONS)
    results = [None] * len(calls)
    errors = []

    def run(index, call):
        try:
            barrier.wait()
            with gate:
                try:
                    results[index] = call()
                finally:
                    connections.close_all()
        except Exception as exc:  # a server error or a broken connection fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    return results


def poster(client: Client, url: str, payload: dict, **headers):
    return lambda: client.post(url, json.dumps(payload), content_type="application/json", headers=headers)


def test_two_hundred_sign_ups_for_the_last_ten_places_fill_exactly_the_capacity(world):
    activity = make_activity(world, capacity=LAST_PLACES + 5, start=timezone.now() + datetime.timedelta(days=3))
    shift = activity.shifts.get()
    for early in make_people(world, 5, "early"):  # the first five places went long ago
        SignUp.objects.create(activity=activity, shift=shift, volunteer=early, status="confirmed")
    people = make_people(world, 200, "crowd")
    clients = [logged_in(person.user) for person in people]  # logged in before the moment, as their phones are
    responses = burst([poster(c, "/api/v1/signups/", {"shift": shift.pk}) for c in clients])

    assert [r.status_code for r in responses] == [201] * 200
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("confirmed") == LAST_PLACES
    assert statuses.count("waitlisted") == 200 - LAST_PLACES
    assert SignUp.objects.filter(shift=shift, status="confirmed").count() == LAST_PLACES + 5 == shift.capacity
    assert SignUp.objects.filter(shift=shift).count() == 205
    # The waitlist keeps the order in which the server took them: the first to wait is the first to move up.
    first_waiting = SignUp.objects.filter(shift=shift, status="waitlisted").order_by("created_at", "id").first()
    confirmed = SignUp.objects.filter(shift=shift, status="confirmed").select_related("volunteer__user").last()
    response = logged_in(confirmed.volunteer.user).post(f"/api/v1/signups/{confirmed.pk}/cancel/")
    assert response.status_code == 200
    first_waiting.refresh_from_db()
    assert first_waiting.status == "confirmed"


def test_twenty_retries_with_one_idempotency_key_make_one_sign_up(world):
    activity = make_activity(world, capacity=5, start=timezone.now() + datetime.timedelta(days=3))
    (person,) = make_people(world, 1, "retry")
    client = logged_in(person.user)
    key = str(uuid.uuid4())
    url = "/api/v1/signups/"
    responses = burst([poster(client, url, {"shift": activity.shifts.get().pk}, **{"Idempotency-Key": key})] * 20)
    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert {r.json()["id"] for r in responses} == set(SignUp.objects.values_list("pk", flat=True))
    assert SignUp.objects.count() == 1


def test_the_double_scan_makes_one_attendance(world):
    activity = make_activity(world, capacity=5, start=timezone.now() - datetime.timedelta(hours=1))
    (person,) = make_people(world, 1, "scan")
    SignUp.objects.create(activity=activity, shift=activity.shifts.get(), volunteer=person, status="confirmed")
    client = logged_in(person.user)
    token = qr.make_token(activity.pk, qr.IN)
    responses = burst([poster(client, "/api/v1/attendance/check-in/", {"token": token})] * 20)

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert sorted(r.json()["created"] for r in responses) == [False] * 19 + [True]
    assert Attendance.objects.filter(volunteer=person).count() == 1
    attendance = Attendance.objects.get()
    assert {r.json()["attendance"]["id"] for r in responses} == {attendance.pk}
    assert (attendance.status, attendance.in_method) == ("in", "qr")
