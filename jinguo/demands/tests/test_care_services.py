"""Care pairings (F9): recipients with consent, pairings (confirmed volunteers, no double pairing), visit logs
written to the hours ledger (one record per volunteer present, all or nothing), the overdue-reminder sweep (once per
overdue period), R23 detail visibility and the scoped querysets."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import make_user
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Notification
from jinguo.demands import selectors_care, services_care
from jinguo.demands.care_models import CarePairing, CareRecipient, PairingMember, VisitAttendance, VisitLog
from jinguo.demands.tasks_care import care_sweep_task
from jinguo.hours.models import ServiceRecord
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role

RECIPIENT = {
    "name": "钟念慈", "sex": "F", "birth_year": 1938, "category": "alone", "phone": "13900001111",
    "address": "湖滨一里 12 号 302", "guardian_name": "钟小梅", "guardian_relation": "女儿", "guardian_phone": "13900002222",
    "notes": "糖尿病，行动不便", "consent_by": "钟念慈", "consent_relation": "本人",
}  # fmt: skip


def grant(world, username: str, role: str, node):
    user = make_user(username)
    org_services.role_grant(actor=world.root_user, user=user, role=role, node=node)
    return user


def make_recipient(world, actor=None, **overrides) -> CareRecipient:
    return services_care.recipient_create(
        actor=actor or world.district_admin, node=world.community, data={**RECIPIENT, **overrides}
    )


def make_pairing(world, recipient, volunteers, *, kind=None, days_ago=20, frequency="weekly", **extra) -> CarePairing:
    return services_care.pairing_create(
        actor=world.district_admin, recipient=recipient, organiser=world.team.node,
        kind=kind or ("one" if len(volunteers) == 1 else "many"), volunteers=volunteers,
        start_date=timezone.localdate() - datetime.timedelta(days=days_ago), frequency=frequency, **extra,
    )  # fmt: skip


def at_hour(days_ago: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(day, datetime.time(hour), timezone.get_current_timezone())


def log_visit(pairing, volunteers, actor, start, minutes=90, **extra) -> VisitLog:
    return services_care.visit_log_create(
        actor=actor, pairing=pairing, volunteers=volunteers, start_at=start,
        end_at=start + datetime.timedelta(minutes=minutes), content="上门陪伴，帮助整理药品", **extra,
    )  # fmt: skip


@pytest.fixture
def care(world, make_volunteer):
    """A recipient at world.community, and two confirmed members of world.team."""
    recipient = make_recipient(world)
    first = make_volunteer(team=world.team.node, name="晏结一", phone="13900003331")
    second = make_volunteer(team=world.team.node, name="晏结二", phone="13900003332")
    return recipient, first, second


# ---- recipients ---------------------------------------------------------------------------------------------------


def test_recipient_is_entered_with_the_consent_recorded(world):
    recipient = make_recipient(world, consent_by="钟小梅", consent_relation="女儿", guardian_name="")
    assert (recipient.consent_by, recipient.consent_relation, recipient.consent_recorded_by) == (
        "钟小梅", "女儿", world.district_admin,
    )
    assert recipient.guardian_name == "钟小梅"  # the guardian who consented is her contact
    assert recipient.consent_at <= timezone.now()
    entry = AuditLog.objects.get(action="care.recipient.created")
    assert "13900001111" not in entry.summary
    assert "湖滨一里" not in entry.summary


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"consent_by": ""}, "required"),
        ({"address": " "}, "required"),
        ({"category": "other", "other_category": ""}, "required"),
        ({"phone": "12345", "guardian_phone": ""}, "bad_phone"),
        ({"phone": "", "guardian_phone": ""}, "required"),
        ({"birth_year": 1800}, "bad_birth_year"),
    ],
)
def test_bad_recipient_input_is_refused_and_nothing_written(world, overrides, code):
    with pytest.raises(DomainError) as exc:
        make_recipient(world, **overrides)
    assert exc.value.code == code
    assert CareRecipient.objects.count() == 0


def test_recipient_only_at_a_community_in_scope(world):
    with pytest.raises(DomainError) as exc:
        services_care.recipient_create(actor=world.district_admin, node=world.street, data=RECIPIENT)
    assert exc.value.code == "bad_node"
    with pytest.raises(PermissionDeniedError):
        services_care.recipient_create(actor=world.outsider_admin, node=world.community, data=RECIPIENT)
    with pytest.raises(PermissionDeniedError):
        services_care.recipient_create(actor=world.leader, node=world.community, data=RECIPIENT)
    assert CareRecipient.objects.count() == 0


def test_recipient_update_audits_the_fields_not_their_values(world):
    recipient = make_recipient(world)
    services_care.recipient_update(actor=world.district_admin, recipient=recipient, data={"phone": "13900009999"})
    recipient.refresh_from_db()
    assert recipient.phone == "13900009999"
    entry = AuditLog.objects.get(action="care.recipient.updated")
    assert entry.summary == "修改结对帮扶对象：联系电话"


def test_recipient_off_the_roll_only_without_active_pairings(world, make_volunteer):
    recipient = make_recipient(world)
    volunteer = make_volunteer(team=world.team.node)
    pairing = make_pairing(world, recipient, [volunteer])
    with pytest.raises(DomainError) as exc:
        services_care.recipient_update(actor=world.district_admin, recipient=recipient, data={"is_active": False})
    assert exc.value.code == "has_pairings"
    recipient.refresh_from_db()
    assert recipient.is_active
    services_care.pairing_end(actor=world.district_admin, pairing=pairing, reason="对象搬离")
    services_care.recipient_update(actor=world.district_admin, recipient=recipient, data={"is_active": False})
    recipient.refresh_from_db()
    assert not recipient.is_active
    with pytest.raises(DomainError) as exc:
        make_pairing(world, recipient, [volunteer])
    assert exc.value.code == "inactive_recipient"


# ---- pairings -----------------------------------------------------------------------------------------------------


def test_pairing_create_sets_the_plan_and_tells_the_volunteers(world, care):
    recipient, first, second = care
    pairing = make_pairing(world, recipient, [first, second], lead=second, days_ago=3, frequency="biweekly")
    assert pairing.next_due == timezone.localdate() - datetime.timedelta(days=3) + datetime.timedelta(days=14)
    members = {m.volunteer_id: m.is_lead for m in PairingMember.objects.filter(pairing=pairing)}
    assert members == {first.pk: False, second.pk: True}
    assert Notification.objects.filter(user__in=[first.user, second.user], title="新的结对帮扶任务").count() == 2


def test_pairing_needs_a_confirmed_volunteer(world, care, make_volunteer):
    recipient, _first, _second = care
    pending = make_volunteer(team=world.team.node, confirm=False)
    with pytest.raises(DomainError) as exc:
        make_pairing(world, recipient, [pending])
    assert exc.value.code == "not_confirmed"
    assert CarePairing.objects.count() == 0


def test_pairing_volunteer_must_belong_to_the_organiser(world, care, make_volunteer):
    recipient, _first, _second = care
    elsewhere = make_volunteer(team=world.team_b.node, home=world.other_community)
    with pytest.raises(DomainError) as exc:
        make_pairing(world, recipient, [elsewhere])
    assert exc.value.code == "not_member"
    assert CarePairing.objects.count() == 0


def test_same_volunteer_paired_twice_with_one_recipient_is_refused(world, care):
    recipient, first, second = care
    make_pairing(world, recipient, [first])
    with pytest.raises(DomainError) as exc:
        make_pairing(world, recipient, [second, first], lead=second)
    assert exc.value.code == "already_paired"
    assert CarePairing.objects.count() == 1
    assert PairingMember.objects.count() == 1


def test_pairing_kind_and_lead_rules(world, care):
    recipient, first, second = care
    with pytest.raises(DomainError) as exc:
        make_pairing(world, recipient, [first, second], kind="one")
    assert exc.value.code == "one_to_one"
    with pytest.raises(DomainError) as exc:
        make_pairing(world, recipient, [first, second])  # many-to-one without a lead
    assert exc.value.code == "bad_lead"
    with pytest.raises(DomainError) as exc:
        make_pairing(world, recipient, [first], frequency="days")
    assert exc.value.code == "bad_interval"
    assert CarePairing.objects.count() == 0


def test_pairing_create_needs_scope_over_the_recipient(world, care):
    recipient, first, _second = care
    with pytest.raises(PermissionDeniedError):
        services_care.pairing_create(
            actor=world.leader, recipient=recipient, organiser=world.team.node, kind="one", volunteers=[first],
            start_date=timezone.localdate(), frequency="weekly",
        )  # fmt: skip
    assert CarePairing.objects.count() == 0


def test_add_remove_and_lead(world, care, make_volunteer):
    recipient, first, second = care
    one = make_pairing(world, recipient, [first])
    with pytest.raises(DomainError) as exc:
        services_care.pairing_add_volunteer(actor=world.district_admin, pairing=one, volunteer=second)
    assert exc.value.code == "one_to_one"
    other = make_recipient(world, name="钟二")
    many = make_pairing(world, other, [first, second], lead=first)
    third = make_volunteer(team=world.team.node)
    services_care.pairing_add_volunteer(actor=world.leader, pairing=many, volunteer=third, make_lead=True)
    assert PairingMember.objects.get(pairing=many, is_lead=True).volunteer == third
    with pytest.raises(DomainError) as exc:
        services_care.pairing_remove_volunteer(actor=world.leader, pairing=many, volunteer=third)
    assert exc.value.code == "is_lead"
    services_care.pairing_remove_volunteer(actor=world.leader, pairing=many, volunteer=first, reason="工作调动")
    services_care.pairing_set_lead(actor=world.leader, pairing=many, volunteer=second)
    services_care.pairing_remove_volunteer(actor=world.leader, pairing=many, volunteer=third)
    with pytest.raises(DomainError) as exc:
        services_care.pairing_remove_volunteer(actor=world.leader, pairing=many, volunteer=second)
    assert exc.value.code == "last_volunteer"
    current = PairingMember.objects.filter(pairing=many, left_at__isnull=True)
    assert [(m.volunteer_id, m.is_lead) for m in current] == [(second.pk, True)]
    with pytest.raises(PermissionDeniedError):
        services_care.pairing_add_volunteer(actor=world.outsider_leader, pairing=many, volunteer=first)


def test_pairing_end_needs_a_reason_and_frees_the_volunteers(world, care):
    recipient, first, _second = care
    pairing = make_pairing(world, recipient, [first])
    with pytest.raises(DomainError) as exc:
        services_care.pairing_end(actor=world.leader, pairing=pairing, reason="  ")
    assert exc.value.code == "required"
    pairing.refresh_from_db()
    assert pairing.status == "active"
    services_care.pairing_end(actor=world.leader, pairing=pairing, reason="对象已入住养老院")
    pairing.refresh_from_db()
    assert (pairing.status, pairing.end_reason, pairing.ended_by, pairing.next_due) == (
        "ended", "对象已入住养老院", world.leader, None,
    )
    assert not PairingMember.objects.filter(pairing=pairing, left_at__isnull=True).exists()
    assert Notification.objects.filter(user=first.user, title="结对已结束").count() == 1
    with pytest.raises(DomainError) as exc:
        log_visit(pairing, [first], first.user, at_hour(1, 9))
    assert exc.value.code == "ended"
    again = make_pairing(world, recipient, [first])  # after the end she may be paired with her again
    assert again.status == "active"


# ---- visits and the ledger ----------------------------------------------------------------------------------------


def test_visit_log_writes_one_record_per_volunteer_present(world, care):
    recipient, first, second = care
    pairing = make_pairing(world, recipient, [first, second], lead=first)
    start = at_hour(2, 9)
    visit = log_visit(pairing, [first, second], first.user, start, minutes=95, situation="精神不错")
    records = ServiceRecord.objects.filter(care_visit__visit=visit).order_by("volunteer_id")
    assert [(r.volunteer_id, r.organiser_id, r.hours, r.method, r.entered_by_other) for r in records] == [
        (first.pk, world.team.node.pk, 1.5, "declared", True),
        (second.pk, world.team.node.pk, 1.5, "declared", True),
    ]
    assert {r.content for r in records} == {"结对走访（独居老人）"}
    assert {r.place for r in records} == {world.community.name}  # never her name or address (R23)
    assert VisitAttendance.objects.filter(visit=visit).count() == 2
    pairing.refresh_from_db()
    assert pairing.last_visit_at == start
    assert pairing.next_due == start.date() + datetime.timedelta(days=7)


def test_overlapping_visit_is_refused_and_nothing_is_written(world, care):
    recipient, first, second = care
    pairing = make_pairing(world, recipient, [first, second], lead=first)
    log_visit(pairing, [first], first.user, at_hour(2, 9))
    pairing.refresh_from_db()
    before = (VisitLog.objects.count(), ServiceRecord.objects.count(), pairing.last_visit_at, pairing.next_due)
    # second is free then, first is not: the whole visit is refused, second gets no record either.
    with pytest.raises(DomainError) as exc:
        log_visit(pairing, [second, first], world.leader, at_hour(2, 10))
    assert exc.value.code == "overlap"
    assert "同一时间不能有两条记录" in exc.value.message
    pairing.refresh_from_db()
    assert (VisitLog.objects.count(), ServiceRecord.objects.count(), pairing.last_visit_at, pairing.next_due) == before
    assert not ServiceRecord.objects.filter(volunteer=second).exists()


def test_visit_by_staff_is_a_roster_entry_and_needs_the_organisers_scope(world, care):
    recipient, first, _second = care
    pairing = make_pairing(world, recipient, [first])
    visit = log_visit(pairing, [first], world.leader, at_hour(3, 14))
    assert visit.attendances.get().record.method == "roster"
    with pytest.raises(PermissionDeniedError):
        log_visit(pairing, [first], world.outsider_leader, at_hour(4, 14))
    assert VisitLog.objects.count() == 1


def test_a_paired_volunteer_logs_only_visits_she_was_at(world, care, make_volunteer):
    recipient, first, second = care
    pairing = make_pairing(world, recipient, [first, second], lead=first)
    with pytest.raises(DomainError) as exc:
        log_visit(pairing, [second], first.user, at_hour(3, 9))
    assert exc.value.code == "not_present"
    stranger = make_volunteer(team=world.team.node)
    with pytest.raises(DomainError) as exc:
        log_visit(pairing, [first, stranger], first.user, at_hour(3, 9))
    assert exc.value.code == "not_paired"
    with pytest.raises(DomainError) as exc:
        log_visit(pairing, [first], first.user, timezone.now() + datetime.timedelta(hours=2))
    assert exc.value.code == "future"  # the ledger's own refusal, surfaced as is
    with pytest.raises(DomainError) as exc:
        log_visit(pairing, [first], first.user, at_hour(3, 9), follow_up_needed=True)
    assert exc.value.code == "required"
    assert (VisitLog.objects.count(), ServiceRecord.objects.filter(volunteer__in=[first, second]).count()) == (0, 0)


def test_visit_retry_with_the_same_key_returns_the_first(world, care):
    recipient, first, _second = care
    pairing = make_pairing(world, recipient, [first])
    one = log_visit(pairing, [first], first.user, at_hour(2, 9), idempotency_key="phone-retry-1")
    two = log_visit(pairing, [first], first.user, at_hour(2, 9), idempotency_key="phone-retry-1")
    assert one.pk == two.pk
    assert ServiceRecord.objects.filter(volunteer=first).count() == 1


def test_follow_up_tells_the_team_leader(world, care):
    recipient, first, _second = care
    pairing = make_pairing(world, recipient, [first])
    log_visit(pairing, [first], first.user, at_hour(2, 9), follow_up_needed=True, follow_up_note="需要申请助餐")
    note = Notification.objects.get(user=world.leader, title="结对走访需要跟进")
    assert "需要申请助餐" in note.body


# ---- next visit and the reminder sweep ----------------------------------------------------------------------------


@pytest.mark.parametrize(("frequency", "interval", "days"), [("weekly", None, 7), ("monthly", None, 30), ("days", 10, 10)])
def test_next_visit_due(world, care, frequency, interval, days):
    recipient, first, _second = care
    pairing = make_pairing(world, recipient, [first], days_ago=1, frequency=frequency, interval_days=interval)
    start = timezone.localdate() - datetime.timedelta(days=1)
    assert pairing.next_due == selectors_care.next_visit_due(pairing) == start + datetime.timedelta(days=days)


def test_sweep_reminds_once_per_overdue_period(world, care, settings):
    settings.CARE_VISIT_GRACE_DAYS = 3
    recipient, first, second = care
    pairing = make_pairing(world, recipient, [first, second], lead=first, days_ago=11)  # due 4 days ago
    fresh = make_pairing(world, make_recipient(world, name="钟三"), [second], days_ago=8)  # due yesterday: in grace
    now = timezone.now()

    assert services_care.care_sweep(now=now) == 1
    titles = Notification.objects.filter(title="结对走访已逾期")
    assert sorted(titles.values_list("user__username", flat=True)) == sorted(
        [first.user.username, second.user.username, world.leader.username]
    )
    assert services_care.care_sweep(now=now) == 0
    assert services_care.care_sweep(now=now + datetime.timedelta(days=2)) == 0  # `fresh`: 3 days late, in grace
    assert services_care.care_sweep(now=now + datetime.timedelta(days=3)) == 1  # 4 days late: overdue
    assert titles.count() == 3 + 2
    fresh.refresh_from_db()
    assert fresh.reminded_due == fresh.next_due

    # A visit opens a new period: overdue again a week (plus grace) later, reminded once more.
    log_visit(pairing, [first], first.user, at_hour(1, 9))
    pairing.refresh_from_db()
    assert services_care.care_sweep(now=now) == 0
    later = now + datetime.timedelta(days=7 + 3 + 1)
    assert services_care.care_sweep(now=later) == 1
    assert services_care.care_sweep(now=later) == 0
    assert AuditLog.objects.filter(action="care.pairing.reminded", target_id=str(pairing.pk)).count() == 2


def test_sweep_skips_ended_pairings_and_runs_from_the_command_and_the_task(world, care):
    recipient, first, second = care
    ended = make_pairing(world, recipient, [first], days_ago=30)
    services_care.pairing_end(actor=world.leader, pairing=ended, reason="对象搬离")
    make_pairing(world, make_recipient(world, name="钟四"), [second], days_ago=30)
    call_command("care_sweep")
    assert Notification.objects.filter(title="结对走访已逾期", user=second.user).count() == 1
    assert Notification.objects.filter(title="结对走访已逾期", user=first.user).count() == 0
    result = care_sweep_task.enqueue()  # the test settings run tasks at once
    assert result.return_value == 0
    # The immediate backend of the tests cannot defer: --schedule says so and queues nothing (no endless chain).
    out = io.StringIO()
    call_command("care_sweep", "--schedule", stdout=out)
    assert "未加入" in out.getvalue()


# ---- R23 and the scoped querysets ---------------------------------------------------------------------------------


def test_details_only_for_community_staff_its_parent_the_leader_and_the_paired(world, care, make_volunteer):
    recipient, first, second = care
    community_admin = grant(world, "community_admin", Role.FEDERATION_ADMIN, world.community)
    street_staff = grant(world, "street_staff", Role.FEDERATION_STAFF, world.street)
    pairing = make_pairing(world, recipient, [first])

    def sees(user) -> bool:
        user = type(user).objects.get(pk=user.pk)  # a fresh object: no cached answer
        answer = selectors_care.can_see_details(user, recipient)
        # The same rule as a filter (used by searches by name) gives the same answer.
        assert CareRecipient.objects.filter(selectors_care.details_q(user), pk=recipient.pk).exists() == answer
        return answer

    assert sees(community_admin)
    assert sees(street_staff)
    assert sees(world.leader)
    assert sees(first.user)
    assert not sees(world.district_admin)  # in scope (she sees the row, masked) but not her details
    assert not sees(world.city_admin)
    assert not sees(second.user)  # same team, not paired with her
    assert not sees(world.outsider_admin)
    assert CareRecipient.objects.restrict(world.district_admin).filter(pk=recipient.pk).exists()

    services_care.pairing_end(actor=world.leader, pairing=pairing, reason="结对期满")
    assert not sees(world.leader)
    assert not sees(first.user)
    assert sees(community_admin)


def test_scoped_querysets(world, care, make_volunteer):
    recipient, first, second = care
    pairing = make_pairing(world, recipient, [first])
    visit = log_visit(pairing, [first], first.user, at_hour(2, 9))
    for model, pk in ((CareRecipient, recipient.pk), (CarePairing, pairing.pk), (VisitLog, visit.pk)):
        assert list(model.objects.restrict(first.user).values_list("pk", flat=True)) == [pk]
        assert list(model.objects.restrict(world.leader).values_list("pk", flat=True)) == [pk]
        assert list(model.objects.restrict(world.district_admin).values_list("pk", flat=True)) == [pk]
        assert not model.objects.restrict(second.user).exists()
        assert not model.objects.restrict(world.outsider_admin).exists()
        assert not model.objects.restrict(world.outsider_leader).exists()
    # She sees her pairing but changes nothing through scope; the leader changes the pairing, not the recipient.
    assert not CarePairing.objects.restrict(first.user, "change").exists()
    assert CarePairing.objects.restrict(world.leader, "change").exists()
    assert not CareRecipient.objects.restrict(world.leader, "change").exists()
