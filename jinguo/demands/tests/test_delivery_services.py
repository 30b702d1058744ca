"""Delivery services: check-in and check-out by the volunteer herself or by her leader, the service record they
write to the ledger, and the close-out report.

The needs are posted and reviewed through part A's services and dispatched and accepted through part B's
(`make_need`, `accept`); what this suite proves starts from an accepted need.
"""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog
from jinguo.hours import ledger
from jinguo.hours.models import ServiceRecord, VolunteerHours
from jinguo.orgs.choices import Role
from jinguo.orgs.models import RoleAssignment
from jinguo.volunteers import services as volunteer_services

from .. import services_delivery as delivery
from .. import services_dispatch, services_needs, stats
from ..choices import AssignmentStatus, NeedStatus
from ..models import Assignment, CloseOut, Delivery, Need, ProviderStats


def make_need(world, *, requester_user=None, latitude=None, longitude=None, review=True, **data) -> Need:
    """庞阿婆's need at 湖滨社区, entered for her by the district admin and accepted for service (OPEN); `review=False`
    leaves it SUBMITTED. A map point and her own account are set afterwards through the ORM: the staff entry form
    (part A) takes neither."""
    fields = {
        "category": "care",
        "description": "老人独自在家，需要有人上门陪同聊天、打扫卫生",
        "address": "湖滨南路 88 号 3 单元 502 室",
        "requester_name": "庞阿婆",
        "requester_phone": "13812345678",
        "preferred_time": "周六上午",
        "urgency": "normal",
        **data,
    }
    need = services_needs.need_create(actor=world.district_admin, node=world.community, proxy=True, data=fields)
    if review:
        need = services_needs.need_review(actor=world.district_admin, need=need, accept=True)
    extra = {k: v for k, v in {"requester_user": requester_user, "latitude": latitude, "longitude": longitude}.items()
             if v is not None}
    if extra:
        Need.objects.filter(pk=need.pk).update(**extra)
    need.refresh_from_db()
    return need


def accept(need: Need, *, team=None, volunteer=None) -> Assignment:
    """Staff of the need's node dispatch it to the team (or the volunteer), whose leader (or she herself) accepts."""
    admins = RoleAssignment.objects.current().filter(role=Role.FEDERATION_ADMIN).select_related("node", "user")
    dispatcher = max((a for a in admins if need.node.path.startswith(a.node.path)), key=lambda a: a.node.depth).user
    assignment = services_dispatch.need_dispatch(actor=dispatcher, need=need, team=team, volunteer=volunteer)
    if team is not None:
        taker = RoleAssignment.objects.current().filter(node=team, role=Role.TEAM_LEADER).first().user
    else:
        taker = volunteer.user
    assignment = services_dispatch.assignment_accept(actor=taker, assignment=assignment)
    need.refresh_from_db()
    return assignment


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def served(world, member):
    """A need accepted by world.team; `member` (a confirmed member of the team with a login) serves it."""
    need = make_need(world)
    assignment = accept(need, team=world.team.node)
    return need, assignment, member


def hours_of(volunteer):
    return sum(row.hours for row in VolunteerHours.objects.filter(volunteer=volunteer))


HERE = {"latitude": "24.470000", "longitude": "118.100000"}


def _visit(need, volunteer, *, hours=2, start=None, position=HERE):
    """She checks herself in and, `hours` later, out (sharing her position unless `position` is empty); returns
    the check-out result."""
    start = start or (timezone.now() - datetime.timedelta(hours=hours + 1)).replace(second=0, microsecond=0)
    with at(start):
        delivery.delivery_check_in(actor=volunteer.user, need=need, volunteer=volunteer, **position)
    with at(start + datetime.timedelta(hours=hours)):
        return delivery.delivery_check_out(actor=volunteer.user, need=need, volunteer=volunteer, **position)


# ---- check-in ---------------------------------------------------------------------------------------------------


def test_her_first_check_in_starts_the_service_and_a_repeat_writes_nothing(served):
    need, assignment, member = served
    result = delivery.delivery_check_in(
        actor=member.user, need=need, volunteer=member, latitude="24.470000", longitude="118.100000"
    )
    assert result.created is True
    need.refresh_from_db()
    assert need.status == NeedStatus.IN_SERVICE
    row = Delivery.objects.get()
    assert (row.assignment, row.volunteer, row.method, row.recorded_by) == (assignment, member, "phone", None)
    assert (str(row.in_latitude), str(row.in_longitude)) == ("24.470000", "118.100000")

    again = delivery.delivery_check_in(actor=member.user, need=need, volunteer=member)
    assert again.created is False
    assert "无需重复签到" in again.message
    assert Delivery.objects.count() == 1
    assert AuditLog.objects.filter(action="delivery.checked_in").count() == 1


def test_only_she_checks_herself_in(served, world, make_volunteer):
    need, _assignment, member = served
    other = make_volunteer(team=world.team.node)
    with pytest.raises(PermissionDeniedError):
        delivery.delivery_check_in(actor=other.user, need=need, volunteer=member)
    assert not Delivery.objects.exists()


def test_a_volunteer_outside_the_team_cannot_check_in(served, world, make_volunteer):
    need, _assignment, _member = served
    stranger = make_volunteer(team=world.team_b.node, home=world.other_community)
    with pytest.raises(PermissionDeniedError, match="不是本需求的服务志愿者"):
        delivery.delivery_check_in(actor=stranger.user, need=need, volunteer=stranger)
    assert not Delivery.objects.exists()
    need.refresh_from_db()
    assert need.status == NeedStatus.ACCEPTED


def test_only_members_of_the_team_itself_serve_its_need(world, make_volunteer):
    # The same people the need's details are shown to (selectors.is_provider): not a sub-team's members.
    need = make_need(world)
    accept(need, team=world.team.node)
    sub_member = make_volunteer(team=world.subteam.node)
    with pytest.raises(PermissionDeniedError):
        delivery.delivery_check_in(actor=sub_member.user, need=need, volunteer=sub_member)


def test_a_need_not_accepted_cannot_be_checked_into(world, member):
    need = make_need(world)
    with pytest.raises(DomainError) as caught:
        delivery.delivery_check_in(actor=member.user, need=need, volunteer=member)
    assert caught.value.code == "not_in_service"
    assert "待派单" in caught.value.message


def test_a_position_far_from_the_address_is_refused(world, member):
    need = make_need(world, latitude="24.470000", longitude="118.100000")
    accept(need, team=world.team.node)
    with pytest.raises(DomainError) as caught:
        delivery.delivery_check_in(actor=member.user, need=need, volunteer=member, latitude="24.500000",
                                   longitude="118.100000")
    assert caught.value.code == "out_of_range"
    assert "请到达服务地址后再签到" in caught.value.message
    assert not Delivery.objects.exists()
    # Without a position she may still check in (the position is optional).
    assert delivery.delivery_check_in(actor=member.user, need=need, volunteer=member).created


def test_a_need_given_to_a_volunteer_is_served_by_her_alone(world, member, make_volunteer):
    need = make_need(world)
    accept(need, volunteer=member)
    teammate = make_volunteer(team=world.team.node)
    with pytest.raises(PermissionDeniedError):
        delivery.delivery_check_in(actor=teammate.user, need=need, volunteer=teammate)
    result = _visit(need, member)
    record = result.delivery.record
    assert record.organiser == world.community  # R14: the need's community organises a volunteer's service


# ---- check-out and the ledger -----------------------------------------------------------------------------------


def test_check_out_before_check_in_is_refused(served):
    need, _assignment, member = served
    with pytest.raises(DomainError) as caught:
        delivery.delivery_check_out(actor=member.user, need=need, volunteer=member)
    assert caught.value.code == "not_checked_in"
    assert caught.value.message == f"{member.name}还没有签到，不能签退。请先签到。"
    assert not ServiceRecord.objects.exists()


def test_check_out_writes_one_service_record_to_the_ledger(served, world):
    need, _assignment, member = served
    result = _visit(need, member, hours=2)
    assert result.created is True
    record = ServiceRecord.objects.get()
    row = Delivery.objects.get()
    assert row.record == record
    assert (record.volunteer, record.organiser, record.hours, record.status) == (member, world.team.node, 2, "verified")
    assert record.content == f"巾帼爱心帮扶（服务需求 {need.number}）"
    assert record.place == "湖滨南路 88 号 3 单元 502 室"
    assert record.entered_by_other is False  # R27: her own check-in and check-out
    assert result.message == "签退成功，本次服务 2.00 小时。"

    assert (record.method, record.get_method_display()) == ("phone", "本人手机签到")

    # A second check-out finds nothing open: refused, no second record.
    with pytest.raises(DomainError) as caught:
        delivery.delivery_check_out(actor=member.user, need=need, volunteer=member)
    assert caught.value.code == "not_checked_in"
    assert ServiceRecord.objects.count() == 1


def test_her_word_alone_is_held_for_review(served, world):
    """R28: her own check-in and check-out without a position at either end: the record is written, but held for
    the organiser's review with the reason shown, not counted."""
    need, _assignment, member = served
    result = _visit(need, member, hours=2, position={})
    record = ServiceRecord.objects.get()
    assert (record.status, record.flags, record.hold_reason) == ("held", ["no_location"], "签到无位置信息")
    assert result.message == "签退成功，服务时长 2.00 小时已记录，待审核：签到无位置信息"
    assert hours_of(member) == 0
    ledger.record_release(actor=world.district_admin, record=record)  # the level above the organising team
    assert hours_of(member) == 2


def test_a_vulnerable_person_s_address_stays_out_of_the_ledger(world, member):
    need = make_need(world, vulnerable_flags=["violence"])
    accept(need, team=world.team.node)
    record = _visit(need, member).delivery.record
    assert record.place == "湖滨社区"


def test_an_overlapping_record_is_refused_and_the_check_out_undone(served, world):
    need, _assignment, member = served
    start = (timezone.now() - datetime.timedelta(hours=5)).replace(second=0, microsecond=0)
    other = make_need(world)
    accept(other, team=world.team.node)
    _visit(other, member, hours=2, start=start)
    # The same hours at another need: the ledger refuses the overlap, in Chinese, and nothing changes.
    with at(start + datetime.timedelta(minutes=30)):
        delivery.delivery_check_in(actor=member.user, need=need, volunteer=member)
    with at(start + datetime.timedelta(hours=1)), pytest.raises(DomainError) as caught:
        delivery.delivery_check_out(actor=member.user, need=need, volunteer=member)
    assert caught.value.code == "overlap"
    assert "同一时间不能有两条记录" in caught.value.message
    assert "本次签退未记录，仍为已签到状态" in caught.value.message
    assert ServiceRecord.objects.count() == 1
    open_visit = Delivery.objects.get(need=need)
    assert (open_visit.checked_out_at, open_visit.record) == (None, None)


def test_a_visit_too_short_keeps_her_checked_in(served):
    need, _assignment, member = served
    start = timezone.now() - datetime.timedelta(minutes=20)
    with at(start):
        delivery.delivery_check_in(actor=member.user, need=need, volunteer=member)
    with pytest.raises(DomainError) as caught:
        delivery.delivery_check_out(actor=member.user, need=need, volunteer=member)
    assert caught.value.code == "too_short"
    assert "服务结束后再签退即可" in caught.value.message
    assert Delivery.objects.get().checked_out_at is None


def test_the_daily_cap_holds_the_record_with_a_chinese_reason(served, world, settings):
    settings.HOURS_DAILY_CAP = 1
    need, _assignment, member = served
    result = _visit(need, member, hours=2)
    assert result.level == "warning"
    assert "当日累计服务时长超过上限" in result.message
    assert result.delivery.record.status == "held"


# ---- the leader's list --------------------------------------------------------------------------------------------


def test_the_leader_checks_members_in_and_out_from_the_list(served, world, make_volunteer):
    need, _assignment, member = served
    second = make_volunteer(team=world.team.node)
    start = (timezone.now() - datetime.timedelta(hours=4)).replace(second=0, microsecond=0)
    outcomes = delivery.delivery_roster(actor=world.leader, need=need, volunteers=[member, second], purpose="in",
                                        at=start)
    assert [o.ok for o in outcomes] == [True, True]
    outcomes = delivery.delivery_roster(actor=world.leader, need=need, volunteers=[member, second], purpose="out",
                                        at=start + datetime.timedelta(hours=3))
    assert [o.ok for o in outcomes] == [True, True]
    records = ServiceRecord.objects.order_by("volunteer_id")
    assert [(r.hours, r.method, r.entered_by_other, r.recorded_by) for r in records] == [
        (3, "roster", True, world.leader)
    ] * 2


def test_the_leader_s_roster_reports_each_refusal_and_keeps_the_others(served, world, make_volunteer):
    need, _assignment, member = served
    second = make_volunteer(team=world.team.node)
    start = (timezone.now() - datetime.timedelta(hours=4)).replace(second=0, microsecond=0)
    delivery.delivery_roster(actor=world.leader, need=need, volunteers=[member], purpose="in", at=start)
    outcomes = delivery.delivery_roster(actor=world.leader, need=need, volunteers=[member, second], purpose="out",
                                        at=start + datetime.timedelta(hours=1))
    assert [o.ok for o in outcomes] == [True, False]
    assert outcomes[1].message == f"{second.name}还没有签到，不能签退。请先签到。"


def test_another_team_s_leader_cannot_use_the_list(served, world):
    need, _assignment, member = served
    with pytest.raises(PermissionDeniedError):
        delivery.delivery_roster(actor=world.outsider_leader, need=need, volunteers=[member], purpose="in")
    assert not Delivery.objects.exists()


def test_the_leader_cannot_record_a_future_time(served, world):
    need, _assignment, member = served
    with pytest.raises(DomainError) as caught:
        delivery.delivery_check_in(actor=world.leader, need=need, volunteer=member, method="roster",
                                   at=timezone.now() + datetime.timedelta(hours=2))
    assert caught.value.code == "future"


def test_a_frozen_volunteer_cannot_check_in(world, make_volunteer):
    need = make_need(world)
    accept(need, team=world.team.node)
    pending = make_volunteer(team=world.team.node, confirm=False)
    volunteer_services.volunteer_deny(volunteer=pending, phone=pending.phone, reason="不是我")
    pending.refresh_from_db()
    outcomes = delivery.delivery_roster(actor=world.leader, need=need, volunteers=[pending], purpose="in")
    assert outcomes[0].ok is False
    assert not Delivery.objects.exists()


# ---- close-out ------------------------------------------------------------------------------------------------


def test_close_out_delivers_the_need_and_completes_the_assignment(served, world):
    need, assignment, member = served
    _visit(need, member)
    closeout = delivery.closeout_submit(actor=world.leader, need=need, summary="陪老人聊天两小时，打扫了厨房")
    need.refresh_from_db()
    assignment.refresh_from_db()
    assert need.status == NeedStatus.DELIVERED
    assert (assignment.status, assignment.completed_at is not None) == (AssignmentStatus.COMPLETED, True)
    assert closeout.summary == "陪老人聊天两小时，打扫了厨房"
    figures = ProviderStats.objects.get(team=world.team.node)
    assert (figures.open_count, figures.done_count) == (0, 1)
    assert stats.rebuild_provider_stats(fix=False) == []
    with pytest.raises(DomainError) as caught:
        delivery.closeout_submit(actor=world.leader, need=need, summary="再交一次")
    assert caught.value.code == "already_closed"
    assert CloseOut.objects.count() == 1


def test_close_out_waits_for_every_check_out(served, world):
    need, _assignment, member = served
    with pytest.raises(DomainError) as caught:
        delivery.closeout_submit(actor=world.leader, need=need, summary="还没人去")
    assert caught.value.code == "no_service"
    delivery.delivery_check_in(actor=member.user, need=need, volunteer=member)
    with pytest.raises(DomainError) as caught:
        delivery.closeout_submit(actor=world.leader, need=need, summary="服务完成")
    assert caught.value.code == "still_checked_in"
    assert member.name in caught.value.message
    assert not CloseOut.objects.exists()


def test_a_plain_member_cannot_close_the_team_s_need(served, world):
    need, _assignment, member = served
    _visit(need, member)
    with pytest.raises(PermissionDeniedError):
        delivery.closeout_submit(actor=member.user, need=need, summary="我来结案")
    with pytest.raises(PermissionDeniedError):
        delivery.closeout_submit(actor=world.outsider_leader, need=need, summary="越权结案")
    need.refresh_from_db()
    assert need.status == NeedStatus.IN_SERVICE


def test_a_volunteer_closes_her_own_need(world, member):
    need = make_need(world)
    accept(need, volunteer=member)
    _visit(need, member)
    delivery.closeout_submit(actor=member.user, need=need, summary="上门服务完成")
    need.refresh_from_db()
    assert need.status == NeedStatus.DELIVERED
    assert ProviderStats.objects.get(volunteer=member).done_count == 1
