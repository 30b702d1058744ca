"""The time-limit sweep (接单时限): a reminder at the deadline, the unanswered offer expired and the need escalated
one federation level up at twice the limit, one more level per further limit; running it again sends nothing twice.
Times are passed in (timezone-aware), nothing sleeps. The task, the management command and the scheduling of the
periodic run are tested here too."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from jinguo.core.models import AuditLog, Notification
from jinguo.demands import services_dispatch as dispatch
from jinguo.demands import tasks
from jinguo.demands.tests.test_dispatch_helpers import community_admin, open_need, street_admin

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=48)  # DEMAND_ACCEPT_HOURS["normal"]


def _titles(user) -> list[str]:
    """Her messages about dispatch (part A's "new need to review" messages left out)."""
    return list(
        Notification.objects.filter(user=user).exclude(title__startswith="新的服务需求").order_by("pk")
        .values_list("title", flat=True)
    )  # fmt: skip


def _dispatched(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    need.refresh_from_db()
    return need, a


def test_nothing_happens_before_the_deadline(world):
    need, a = _dispatched(world)
    assert dispatch.sweep(now=a.respond_by - datetime.timedelta(minutes=1)) == {
        "reminded": 0, "expired": 0, "escalated": 0
    }
    need.refresh_from_db()
    assert need.reminded_at is None
    assert need.status == "dispatched"


def test_the_provider_is_reminded_once_at_the_deadline(world):
    need, a = _dispatched(world)
    before = _titles(world.leader)
    at = a.respond_by + datetime.timedelta(minutes=5)
    assert dispatch.sweep(now=at) == {"reminded": 1, "expired": 0, "escalated": 0}
    assert dispatch.sweep(now=at) == {"reminded": 0, "expired": 0, "escalated": 0}
    assert dispatch.sweep(now=at + datetime.timedelta(hours=1)) == {"reminded": 0, "expired": 0, "escalated": 0}
    assert _titles(world.leader)[len(before):] == [f"接单提醒：{need.number}"]
    need.refresh_from_db()
    assert need.reminded_at == at
    assert need.status == "dispatched"


def test_at_twice_the_limit_the_offer_expires_and_the_need_goes_up_one_level(world):
    need, a = _dispatched(world)
    street = street_admin(world)
    at = a.respond_by + H
    counts = dispatch.sweep(now=at)
    assert counts == {"reminded": 1, "expired": 1, "escalated": 1}
    a.refresh_from_db()
    need.refresh_from_db()
    assert (a.status, need.status) == ("expired", "open")
    assert (need.escalation_level, need.escalated_to_id, need.escalated_at) == (1, world.street.pk, at)
    assert _titles(street) == [f"超时上报：{need.number}"]
    assert f"派单已超时：{need.number}" in _titles(world.leader)
    # The same moment again, and a little later: nothing more.
    assert dispatch.sweep(now=at) == {"reminded": 0, "expired": 0, "escalated": 0}
    assert dispatch.sweep(now=at + datetime.timedelta(hours=47)) == {"reminded": 0, "expired": 0, "escalated": 0}
    assert _titles(street) == [f"超时上报：{need.number}"]
    assert AuditLog.objects.filter(action="need.escalated", target_id=str(need.pk)).count() == 1
    assert AuditLog.objects.filter(action="assignment.expired").count() == 1


def test_still_untaken_it_climbs_one_level_per_limit_up_to_the_top(world):
    need, a = _dispatched(world)
    dispatch.sweep(now=a.respond_by + H)
    dispatch.sweep(now=a.respond_by + 2 * H)
    need.refresh_from_db()
    assert (need.escalation_level, need.escalated_to_id) == (2, world.district.pk)
    assert f"超时上报：{need.number}" in _titles(world.district_admin)
    dispatch.sweep(now=a.respond_by + 100 * H)  # the top of the tree is the last stop
    need.refresh_from_db()
    assert (need.escalation_level, need.escalated_to_id) == (5, world.national.pk)


def test_an_open_need_nobody_dispatched_reminds_its_node_then_escalates(world):
    admin = community_admin(world)
    need = open_need(world)  # the review started the clock; there are no rules
    deadline = need.accept_deadline
    assert dispatch.sweep(now=deadline) == {"reminded": 1, "expired": 0, "escalated": 0}
    assert _titles(admin) == [f"接单提醒：{need.number}"]
    assert dispatch.sweep(now=deadline + H) == {"reminded": 0, "expired": 0, "escalated": 1}
    need.refresh_from_db()
    assert need.escalated_to_id == world.street.pk


def test_a_need_opened_without_a_clock_gets_one_from_its_review(world):
    need = open_need(world, accept_deadline=None)
    dispatch.sweep(now=need.reviewed_at + datetime.timedelta(hours=1))
    need.refresh_from_db()
    assert need.accept_deadline == need.reviewed_at + H


def test_an_accepted_need_is_left_alone(world):
    need, a = _dispatched(world)
    dispatch.assignment_accept(actor=world.leader, assignment=a)
    assert dispatch.sweep(now=a.respond_by + 10 * H) == {"reminded": 0, "expired": 0, "escalated": 0}
    need.refresh_from_db()
    assert (need.status, need.escalation_level, need.reminded_at) == ("accepted", 0, None)


def test_a_new_offer_gets_a_fresh_limit_and_a_fresh_reminder(world):
    need, a = _dispatched(world)
    dispatch.sweep(now=a.respond_by)  # reminded
    dispatch.assignment_decline(actor=world.leader, assignment=a, reason="人手不足")
    b = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.subteam.node)
    need.refresh_from_db()
    assert need.reminded_at is None
    assert need.accept_deadline == b.respond_by
    assert dispatch.sweep(now=b.respond_by) == {"reminded": 1, "expired": 0, "escalated": 0}


def test_an_unconfirmed_offer_reminds_the_staff_and_expires(world, make_volunteer):
    admin = community_admin(world)
    her = make_volunteer()
    need = open_need(world)
    a = dispatch.need_offer(actor=her.user, need=need)
    dispatch.sweep(now=a.respond_by)
    assert _titles(admin) == [f"接单申请：{need.number}", f"接单提醒：{need.number}"]
    assert not [t for t in _titles(her.user) if t.startswith("接单提醒")]
    dispatch.sweep(now=a.respond_by + H)
    a.refresh_from_db()
    assert a.status == "expired"


def test_the_task_and_the_command_run_the_sweep(world):
    need, a = _dispatched(world)
    need.accept_deadline = a.respond_by = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    need.save(update_fields=["accept_deadline"])
    result = tasks.demands_sweep_task.enqueue()  # the test settings run tasks immediately
    assert result.return_value["reminded"] == 1
    out = io.StringIO()
    call_command("demands_sweep", stdout=out)
    assert "提醒 0 条" in out.getvalue()


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_scheduling_queues_one_periodic_run_and_each_run_queues_the_next(world):
    from django_tasks_db.models import DBTaskResult

    assert tasks.schedule_sweep() is True
    assert tasks.schedule_sweep() is False  # make run started twice: still one chain
    waiting = DBTaskResult.objects.filter(task_path=tasks.demands_sweep_task.module_path, status="READY")
    assert waiting.count() == 1
    # The worker runs it: the run queues the next one INTERVAL later.
    row = waiting.get()
    row.status = "RUNNING"
    row.save(update_fields=["status"])
    tasks.demands_sweep_task.call(reschedule=True)
    nxt = DBTaskResult.objects.get(task_path=tasks.demands_sweep_task.module_path, status="READY")
    assert nxt.run_after > row.run_after
    assert nxt.args_kwargs["kwargs"] == {"reschedule": True}


def test_a_community_without_its_own_admin_has_the_reminder_go_up(world):
    """湖滨社区 has no administrator on the platform here: the nearest level with one (思明区) is reminded."""
    need = open_need(world)
    dispatch.sweep(now=need.accept_deadline)
    assert _titles(world.district_admin) == [f"接单提醒：{need.number}"]
    assert _titles(world.city_admin) == []
