"""抢单 under real concurrency (issue 4: "exactly one winner when many claim at once"). On PostgreSQL, each claimer
runs in its own thread with its own database connection; all wait at a barrier and claim the same need at once.
The need's row lock makes them take turns: the first finds it open and takes it, every other one is told
"已被其他志愿者/队伍接单". A dispatcher racing the claimers is one more contender, not a second winner. SQLite
serialises writers, so there the same outcome is checked sequentially."""

import json
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from jinguo.core import crypto
from jinguo.core.errors import DomainError
from jinguo.demands import services_dispatch as dispatch
from jinguo.demands.models import Assignment, ProviderStats
from jinguo.demands.stats import rebuild_provider_stats
from jinguo.demands.tests.test_dispatch_helpers import open_need
from jinguo.volunteers.models import Volunteer

CLAIMERS = 60
# The development server allows 100 connections and other test runs share it.
MAX_OPEN_CONNECTIONS = 30


def make_people(world, count: int, prefix: str) -> list[Volunteer]:
    """Confirmed volunteers of 湖滨社区 with logins, written in bulk (registration is tested elsewhere)."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i:04d}", display_name=f"抢单{i}", password="!") for i in range(count)]
    )
    return Volunteer.objects.bulk_create(
        [
            Volunteer(
                number=f"JGQ{prefix}{i:06d}", user=user, name=f"抢单{i}", id_number_enc=crypto.encrypt(f"{prefix}{i}"),
                id_number_hash=f"{prefix}-{i}", id_number_masked="3502************", phone=f"137{i:08d}",
                phone_last4=f"{i:04d}", home_node=world.community, status="active", source="staff",
            )
            for i, user in enumerate(users)
        ]
    )  # fmt: skip


def burst(calls) -> list:
    """Run each call in its own thread, all released at once; each result is the return value or the exception."""
    barrier = threading.Barrier(len(calls))
    gate = threading.BoundedSemaphore(MAX_OPEN_CONNECTIONS)
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        with gate:
            try:
                results[index] = call()
            except Exception as exc:  # refusals are counted below; anything else fails the test there
                results[index] = exc
            finally:
                connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _check_one_winner(need, results, contenders: int):
    winners = [r for r in results if isinstance(r, Assignment)]
    losers = [r for r in results if isinstance(r, DomainError)]
    others = [r for r in results if not isinstance(r, (Assignment, DomainError))]
    assert others == []
    assert len(winners) == 1
    assert len(losers) == contenders - 1
    assert {(e.code, e.message) for e in losers} == {("already_taken", "已被其他志愿者/队伍接单。")}
    need.refresh_from_db()
    live = Assignment.objects.filter(need=need, status__in=("offered", "accepted"))
    assert live.count() == 1
    assert Assignment.objects.filter(need=need).count() == 1
    assert live.get().pk == winners[0].pk
    return winners[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
def test_sixty_volunteers_claim_one_need_at_once_and_exactly_one_gets_it(world):
    need = open_need(world, claimable=True)
    people = make_people(world, CLAIMERS, "q")
    results = burst([lambda v=v: dispatch.need_claim(actor=v.user, need=need) for v in people])
    winner = _check_one_winner(need, results, CLAIMERS)
    assert need.status == "accepted"
    assert winner.mode == "claim"
    assert ProviderStats.objects.get(volunteer_id=winner.volunteer_id).open_count == 1
    assert ProviderStats.objects.filter(open_count__gt=0).count() == 1
    assert rebuild_provider_stats(fix=False) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
def test_a_dispatcher_racing_the_claimers_is_one_more_contender(world):
    need = open_need(world, claimable=True)
    people = make_people(world, 30, "r")
    calls = [lambda v=v: dispatch.need_claim(actor=v.user, need=need) for v in people]
    calls.insert(15, lambda: dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node))
    results = burst(calls)
    winner = _check_one_winner(need, results, len(calls))
    assert need.status == ("dispatched" if winner.mode == "dispatch" else "accepted")


@pytest.mark.django_db
def test_claims_one_after_another_have_one_winner(world):
    need = open_need(world, claimable=True)
    results = []
    for v in make_people(world, 5, "s"):
        try:
            results.append(dispatch.need_claim(actor=v.user, need=need))
        except DomainError as exc:
            results.append(exc)
    winner = _check_one_winner(need, results, 5)
    assert winner.volunteer.name == "抢单0"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
def test_thirty_phones_press_take_at_once_through_the_api(world):
    """The same through the REST API, each phone logged in beforehand: one 201, every other a 400 that says why."""
    need = open_need(world, claimable=True)
    clients = []
    for volunteer in make_people(world, 30, "p"):
        c = Client()
        c.force_login(volunteer.user)
        clients.append(c)
    url = f"/api/v1/dispatch/{need.pk}/take/"
    responses = burst([lambda c=c: c.post(url, json.dumps({}), content_type="application/json") for c in clients])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [400] * 29
    refusals = [r.json() for r in responses if r.status_code == 400]
    assert all(body == {"code": "already_taken", "detail": "已被其他志愿者/队伍接单。"} for body in refusals)
    assert Assignment.objects.filter(need=need).count() == 1
