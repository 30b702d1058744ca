"""The double scan under real concurrency (PostgreSQL): twenty taps of her phone at once make one attendance, and
twenty check-outs at once one service record. On SQLite, writers are serialised by IMMEDIATE transactions anyway;
the sequential behaviour is tested in test_checkin_services."""

import datetime
import threading

import pytest
from django.db import connection, connections

from jinguo.activities import checkin, qr
from jinguo.activities.models import Attendance
from jinguo.hours.models import ServiceRecord

from .test_checkin_services import make_activity, sign_up

THREADS = 20

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]


def _burst(func) -> list:
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(func())
        except Exception as exc:  # a refusal (DomainError) or a database error: either fails the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_twenty_simultaneous_scans_make_one_attendance_and_one_record(world, member):
    activity = make_activity(world)
    sign_up(activity, member)

    def scan_in():
        return checkin.check_in(actor=member.user, activity=activity, volunteer=member, method="qr",
                                token=qr.make_token(activity.pk, qr.IN))

    results = _burst(scan_in)
    assert Attendance.objects.count() == 1
    assert sorted(r.created for r in results) == [False] * (THREADS - 1) + [True]
    # She has served for an hour and a half by the time she checks out.
    Attendance.objects.update(check_in_at=activity.start_at + datetime.timedelta(minutes=30))

    def scan_out():
        return checkin.check_out(actor=member.user, activity=activity, volunteer=member, method="qr",
                                 token=qr.make_token(activity.pk, qr.OUT))

    results = _burst(scan_out)
    assert ServiceRecord.objects.count() == 1
    assert sorted(r.created for r in results) == [False] * (THREADS - 1) + [True]
    assert Attendance.objects.get().status == "out"
