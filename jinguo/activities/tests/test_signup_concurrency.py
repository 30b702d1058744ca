"""The last places under real concurrency (issue 3: "200 people clicking for the last places leave exactly the
capacity filled"). On PostgreSQL, 200 threads, each with its own database connection, wait at a barrier and then
sign up 200 different volunteers for the last 10 places: the shift's row lock makes exactly 10 of them confirmed
and 190 waitlisted. SQLite serialises writers (IMMEDIATE transactions), so there the same outcome is checked
sequentially."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from jinguo.activities import services
from jinguo.activities.models import SignUp
from jinguo.activities.tests.test_publishing import make_published
from jinguo.core import crypto
from jinguo.volunteers.models import Volunteer

THREADS = 200
LAST_PLACES = 10
# The development server allows 100 connections and other test runs share it: at most this many of the 200
# threads hold a connection at one moment (each still uses its own, opened after the barrier).
MAX_OPEN_CONNECTIONS = 40


def make_people(world, count: int, prefix: str) -> list[Volunteer]:
    """Confirmed volunteers with logins, written in bulk (the registration services are tested elsewhere)."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i:04d}", display_name=f"并发{i}", password="!") for i in range(count)]
    )
    return Volunteer.objects.bulk_create(
        [
            Volunteer(
                number=f"JGC{prefix}{i:06d}", user=user, name=f"并发{i}", id_number_enc=crypto.encrypt(f"{prefix}{i}"),
                id_number_hash=f"{prefix}-{i}", id_number_masked="3502************", phone=f"139{i:08d}",
                phone_last4=f"{i:04d}", home_node=world.community, status="active", source="staff",
            )
            for i, user in enumerate(users)
        ]
    )


def _activity_with_last_places(world):
    activity = make_published(world, audience="public", capacity=LAST_PLACES + 2)
    for early in make_people(world, 2, "e"):
        services.signup_create(actor=early.user, shift=activity.shifts.get())
    return activity


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
def test_two_hundred_people_for_the_last_ten_places(world):
    activity = _activity_with_last_places(world)
    shift = activity.shifts.get()
    people = make_people(world, THREADS, "c")
    barrier = threading.Barrier(THREADS)
    gate = threading.BoundedSemaphore(MAX_OPEN_CONNECTIONS)
    results, errors = [], []

    def run(volunteer):
        try:
            barrier.wait()
            with gate:
                try:
                    results.append(services.signup_create(actor=volunteer.user, shift=shift))
                finally:
                    connections.close_all()
        except Exception as exc:  # any refusal or database error fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(v,)) for v in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert len(results) == THREADS
    statuses = [s.status for s in results]
    assert statuses.count("confirmed") == LAST_PLACES
    assert statuses.count("waitlisted") == THREADS - LAST_PLACES
    assert SignUp.objects.filter(shift=shift, status="confirmed").count() == LAST_PLACES + 2
    assert SignUp.objects.filter(shift=shift, status="waitlisted").count() == THREADS - LAST_PLACES


def test_the_last_places_sequentially(world):
    activity = _activity_with_last_places(world)
    shift = activity.shifts.get()
    statuses = [services.signup_create(actor=v.user, shift=shift).status for v in make_people(world, 30, "s")]
    assert statuses == ["confirmed"] * LAST_PLACES + ["waitlisted"] * 20
    assert SignUp.objects.filter(shift=shift, status="confirmed").count() == LAST_PLACES + 2
