"""Dispatch and acceptance services: the state transitions of a need and its assignments, the refusals (in Chinese,
changing nothing), who may do what (scope), the provider figures, messages and audit entries."""

import pytest

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Notification
from jinguo.demands import services_dispatch as dispatch
from jinguo.demands.models import Assignment, DispatchRule, ProviderStats
from jinguo.demands.stats import rebuild_provider_stats
from jinguo.demands.tests.test_dispatch_helpers import open_need

pytestmark = pytest.mark.django_db


def _state(need):
    need.refresh_from_db()
    return need.status, list(need.assignments.values_list("status", flat=True))


def _open_count(**provider):
    row = ProviderStats.objects.filter(**provider).first()
    return row.open_count if row else 0


# ---- dispatch -------------------------------------------------------------------------------------------------------


def test_district_admin_dispatches_to_a_team_and_its_leader_is_told(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node, score=0.8,
                               reasons=["服务类别匹配：巾帼爱心帮扶"])
    need.refresh_from_db()
    assert (need.status, a.status, a.mode, a.team_id, a.offered_by_id) == (
        "dispatched", "offered", "dispatch", world.team.node.pk, world.district_admin.pk
    )
    assert a.rank_reasons == ["服务类别匹配：巾帼爱心帮扶"]
    assert a.score == 0.8
    assert need.accept_deadline == a.respond_by
    assert (a.respond_by - a.offered_at).total_seconds() == 48 * 3600  # normal urgency: DEMAND_ACCEPT_HOURS
    assert Notification.objects.filter(user=world.leader, title__startswith="新的派单").count() == 1
    assert AuditLog.objects.filter(action="need.dispatched", target_id=str(need.pk)).count() == 1
    assert _open_count(team=world.team.node) == 0  # an offer is not yet load


def test_critical_need_gets_the_short_limit(world):
    need = open_need(world, urgency="critical")
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    assert (a.respond_by - a.offered_at).total_seconds() == 2 * 3600


@pytest.mark.parametrize("who", ["outsider_admin", "district_staff", "leader", "nobody"])
def test_only_staff_with_change_scope_over_the_need_may_dispatch(world, who):
    need = open_need(world)
    with pytest.raises(PermissionDeniedError) as exc:
        dispatch.need_dispatch(actor=getattr(world, who), need=need, team=world.team.node)
    assert "不在您的派单范围内" in exc.value.message
    assert _state(need) == ("open", [])
    assert not AuditLog.objects.filter(action="need.dispatched").exists()


def test_a_team_outside_the_dispatchers_scope_is_refused(world):
    need = open_need(world)
    with pytest.raises(PermissionDeniedError, match="湖里区巾帼服务队」不在您的管理范围内"):
        dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team_b.node)
    assert _state(need) == ("open", [])


def test_dispatch_needs_exactly_one_assignee(world, make_volunteer):
    need = open_need(world)
    volunteer = make_volunteer(team=world.team.node)
    for kwargs in ({}, {"team": world.team.node, "volunteer": volunteer}):
        with pytest.raises(DomainError, match="二选一"):
            dispatch.need_dispatch(actor=world.district_admin, need=need, **kwargs)
    with pytest.raises(DomainError, match="请选择一支志愿服务队伍"):
        dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.street)
    assert _state(need) == ("open", [])


def test_a_need_already_offered_cannot_be_dispatched_again(world):
    need = open_need(world)
    dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    with pytest.raises(DomainError) as exc:
        dispatch.need_dispatch(actor=world.city_admin, need=need, team=world.subteam.node)
    assert exc.value.code == "already_taken"
    assert exc.value.message == "已被其他志愿者/队伍接单。"
    assert _state(need) == ("dispatched", ["offered"])


def test_a_need_not_yet_reviewed_cannot_be_dispatched(world):
    need = open_need(world, status="submitted")
    with pytest.raises(DomainError, match="该需求当前为「待审核」，不能派单"):
        dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)


def test_an_unconfirmed_volunteer_cannot_be_dispatched_to(world, make_volunteer):
    """R25: entered by staff and not yet confirmed by herself."""
    need = open_need(world)
    pending = make_volunteer(team=world.team.node, confirm=False)
    with pytest.raises(DomainError, match="待本人确认」，不能接单"):
        dispatch.need_dispatch(actor=world.district_admin, need=need, volunteer=pending)
    assert _state(need) == ("open", [])


# ---- accept / decline / withdraw ------------------------------------------------------------------------------------


def test_the_teams_leader_accepts_and_the_team_carries_one_more(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    dispatch.assignment_accept(actor=world.leader, assignment=a)
    assert _state(need) == ("accepted", ["accepted"])
    assert _open_count(team=world.team.node) == 1
    # A phone retrying the tap: nothing changes, the load is not counted twice.
    dispatch.assignment_accept(actor=world.leader, assignment=a)
    assert _open_count(team=world.team.node) == 1
    assert Notification.objects.filter(user=world.district_admin, title=f"已接单：{need.number}").count() == 1
    assert rebuild_provider_stats(fix=False) == []


@pytest.mark.parametrize("who", ["outsider_leader", "district_admin", "nobody"])
def test_nobody_but_the_teams_leader_accepts_for_the_team(world, who):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    with pytest.raises(PermissionDeniedError, match="只有被派单队伍的队长或志愿者本人可以接单"):
        dispatch.assignment_accept(actor=getattr(world, who), assignment=a)
    assert _state(need) == ("dispatched", ["offered"])


def test_the_leader_of_the_team_above_accepts_for_its_sub_team(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.subteam.node)
    dispatch.assignment_accept(actor=world.leader, assignment=a)
    assert _state(need) == ("accepted", ["accepted"])


def test_a_volunteer_accepts_her_own_offer_and_no_other(world, make_volunteer):
    need = open_need(world)
    her = make_volunteer(team=world.team.node)
    other = make_volunteer(team=world.team.node)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, volunteer=her)
    with pytest.raises(PermissionDeniedError):
        dispatch.assignment_accept(actor=other.user, assignment=a)
    dispatch.assignment_accept(actor=her.user, assignment=a)
    assert _state(need) == ("accepted", ["accepted"])
    assert _open_count(volunteer=her) == 1


def test_declining_needs_a_reason_and_returns_the_need_to_open(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    with pytest.raises(DomainError, match="请填写拒单原因"):
        dispatch.assignment_decline(actor=world.leader, assignment=a, reason="   ")
    assert _state(need) == ("dispatched", ["offered"])
    dispatch.assignment_decline(actor=world.leader, assignment=a, reason="本周队员都有任务")
    assert _state(need) == ("open", ["declined"])
    a.refresh_from_db()
    assert (a.reason, a.responded_by_id) == ("本周队员都有任务", world.leader.pk)
    told = Notification.objects.get(user=world.district_admin, title=f"拒单：{need.number}")
    assert "本周队员都有任务" in told.body
    # Open again: it can go to someone else.
    dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.subteam.node)
    assert _state(need) == ("dispatched", ["offered", "declined"])


def test_an_accepted_need_cannot_be_declined(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    dispatch.assignment_accept(actor=world.leader, assignment=a)
    with pytest.raises(DomainError, match="不能拒单"):
        dispatch.assignment_decline(actor=world.leader, assignment=a, reason="不想去了")
    assert _state(need) == ("accepted", ["accepted"])


def test_withdrawing_an_accepted_need_releases_the_teams_load(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    dispatch.assignment_accept(actor=world.leader, assignment=a)
    with pytest.raises(PermissionDeniedError):
        dispatch.assignment_withdraw(actor=world.leader, assignment=a, reason="队伍自己撤")
    with pytest.raises(DomainError, match="请填写撤回原因"):
        dispatch.assignment_withdraw(actor=world.district_admin, assignment=a, reason="")
    assert _open_count(team=world.team.node) == 1
    dispatch.assignment_withdraw(actor=world.district_admin, assignment=a, reason="需求人改约到下月")
    assert _state(need) == ("open", ["withdrawn"])
    assert _open_count(team=world.team.node) == 0
    assert Notification.objects.filter(user=world.leader, title=f"派单已撤回：{need.number}").count() == 1
    assert rebuild_provider_stats(fix=False) == []


def test_a_need_in_service_cannot_be_withdrawn(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    dispatch.assignment_accept(actor=world.leader, assignment=a)
    need.status = "in_service"  # part C's first check-in
    need.save(update_fields=["status"])
    with pytest.raises(DomainError, match="该需求当前为「服务中」，不能撤回派单"):
        dispatch.assignment_withdraw(actor=world.district_admin, assignment=a, reason="改派")
    assert _state(need) == ("in_service", ["accepted"])


# ---- claim (抢单) and offers ------------------------------------------------------------------------------------------


def test_the_first_claim_wins_and_the_next_is_told_it_is_taken(world, make_volunteer):
    need = open_need(world, claimable=True)
    first, second = make_volunteer(), make_volunteer()
    a = dispatch.need_claim(actor=first.user, need=need)
    assert (a.status, a.mode, a.volunteer_id) == ("accepted", "claim", first.pk)
    with pytest.raises(DomainError) as exc:
        dispatch.need_claim(actor=second.user, need=need)
    assert (exc.value.code, exc.value.message) == ("already_taken", "已被其他志愿者/队伍接单。")
    assert _state(need) == ("accepted", ["accepted"])
    assert _open_count(volunteer=first) == 1
    assert _open_count(volunteer=second) == 0


def test_a_leader_claims_for_her_team_but_not_for_another(world):
    need = open_need(world, claimable=True)
    with pytest.raises(PermissionDeniedError, match="只有「思明区巾帼服务队」的队长"):
        dispatch.need_claim(actor=world.outsider_leader, need=need, team=world.team.node)
    a = dispatch.need_claim(actor=world.leader, need=need, team=world.team.node)
    assert (a.assignee_kind, a.team_id) == ("team", world.team.node.pk)


def test_a_volunteer_of_another_district_cannot_claim(world, make_volunteer):
    need = open_need(world, claimable=True)
    far = make_volunteer(team=world.team_b.node, home=world.other_community)
    with pytest.raises(PermissionDeniedError, match="不在您所在区域"):
        dispatch.need_claim(actor=far.user, need=need)
    assert _state(need) == ("open", [])


def test_claiming_a_need_that_is_not_claimable_is_refused(world, make_volunteer):
    need = open_need(world, claimable=False)
    with pytest.raises(DomainError, match="该需求不开放抢单"):
        dispatch.need_claim(actor=make_volunteer().user, need=need)


def test_someone_without_a_volunteer_record_cannot_claim(world):
    need = open_need(world, claimable=True)
    with pytest.raises(DomainError, match="只有志愿者本人或队伍队长可以接单"):
        dispatch.need_claim(actor=world.nobody, need=need)


def test_an_offer_on_a_claimable_need_is_a_claim(world, make_volunteer):
    need = open_need(world, claimable=True)
    a = dispatch.need_offer(actor=make_volunteer().user, need=need)
    assert (a.mode, a.status) == ("claim", "accepted")


def test_an_offer_waits_for_staff_who_confirm_it(world, make_volunteer):
    need = open_need(world)
    her = make_volunteer()
    a = dispatch.need_offer(actor=her.user, need=need)
    assert (a.mode, a.status) == ("offer", "offered")
    assert _state(need) == ("dispatched", ["offered"])
    with pytest.raises(DomainError, match="等待工作人员确认"):
        dispatch.assignment_accept(actor=her.user, assignment=a)
    with pytest.raises(PermissionDeniedError):
        dispatch.assignment_confirm_offer(actor=world.outsider_admin, assignment=a)
    dispatch.assignment_confirm_offer(actor=world.district_admin, assignment=a)
    assert _state(need) == ("accepted", ["accepted"])
    assert _open_count(volunteer=her) == 1
    assert Notification.objects.filter(user=her.user, title=f"接单申请已确认：{need.number}").count() == 1


def test_staff_turn_an_offer_down_with_a_reason(world, make_volunteer):
    need = open_need(world)
    her = make_volunteer()
    a = dispatch.need_offer(actor=her.user, need=need)
    with pytest.raises(DomainError, match="请填写婉拒原因"):
        dispatch.assignment_reject_offer(actor=world.district_admin, assignment=a, reason="")
    dispatch.assignment_reject_offer(actor=world.district_admin, assignment=a, reason="需要有护理证的志愿者")
    assert _state(need) == ("open", ["withdrawn"])
    assert "需要有护理证的志愿者" in Notification.objects.get(user=her.user, title__startswith="接单申请未获确认").body
    with pytest.raises(DomainError, match="这不是一条待确认的接单申请"):
        dispatch.assignment_confirm_offer(actor=world.district_admin, assignment=a)


def test_a_second_offer_finds_the_need_taken(world, make_volunteer):
    need = open_need(world)
    dispatch.need_offer(actor=make_volunteer().user, need=need)
    with pytest.raises(DomainError, match="已被其他志愿者/队伍接单"):
        dispatch.need_offer(actor=make_volunteer().user, need=need)


# ---- dispatch rules -------------------------------------------------------------------------------------------------


def test_a_rule_naming_a_team_dispatches_a_need_as_it_opens(world):
    rule = dispatch.rule_create(actor=world.district_admin,
                                data={"node": world.district, "category": "care", "team": world.team.node})
    need = open_need(world, category="care")  # part A's review applies the rules
    a = need.assignments.get()
    assert dispatch.apply_rules(need) is None  # already dispatched: a second call changes nothing
    need.refresh_from_db()
    assert (a.mode, a.status, a.team_id, a.offered_by_id) == ("auto", "offered", world.team.node.pk, None)
    assert need.status == "dispatched"
    assert need.accept_deadline == a.respond_by
    assert a.rank_reasons == ["自动派单规则：思明区妇联指定队伍"]
    assert AuditLog.objects.filter(action="need.auto_dispatched", detail__rule=rule.pk).count() == 1
    assert Notification.objects.filter(user=world.leader, title__startswith="新的派单").count() == 1


def test_rules_that_do_not_match_leave_the_need_open_with_its_clock_started(world):
    dispatch.rule_create(actor=world.district_admin,
                         data={"node": world.district, "category": "legal", "team": world.team.node})
    dispatch.rule_create(actor=world.district_admin,
                         data={"node": world.district, "urgency": "critical", "team": world.team.node})
    dispatch.rule_create(actor=world.district_admin,
                         data={"node": world.district, "team": world.team.node, "is_active": False})
    need = open_need(world, category="care")
    assert dispatch.apply_rules(need) is None
    need.refresh_from_db()
    assert need.status == "open"
    assert need.accept_deadline is not None
    assert not need.assignments.exists()


def test_the_most_specific_rule_wins(world):
    dispatch.rule_create(actor=world.district_admin, data={"node": world.district, "team": world.team.node})
    dispatch.rule_create(actor=world.district_admin,
                         data={"node": world.street, "category": "care", "team": world.subteam.node})
    a = open_need(world, category="care").assignments.get()
    assert a.team_id == world.subteam.node.pk


def test_rules_are_made_only_in_ones_own_scope(world):
    with pytest.raises(PermissionDeniedError):
        dispatch.rule_create(actor=world.outsider_admin, data={"node": world.district, "team": world.team_b.node})
    with pytest.raises(PermissionDeniedError, match="湖里区巾帼服务队"):
        dispatch.rule_create(actor=world.district_admin, data={"node": world.district, "team": world.team_b.node})
    with pytest.raises(DomainError, match="请选择规则适用的妇联组织"):
        dispatch.rule_create(actor=world.district_admin, data={"node": world.team.node})
    assert not DispatchRule.objects.exists()
    rule = dispatch.rule_create(actor=world.district_admin, data={"node": world.district})
    with pytest.raises(PermissionDeniedError):
        dispatch.rule_update(actor=world.outsider_admin, rule=rule, data={"is_active": False})
    dispatch.rule_update(actor=world.district_admin, rule=rule, data={"is_active": False})
    rule.refresh_from_db()
    assert rule.is_active is False


def test_a_rule_without_a_team_dispatches_to_the_recommenders_first_team(world):
    """The recommender (part D) proposes filed teams only: world.subteam, which offers care, is filed."""
    from jinguo.demands import services_needs
    from jinguo.demands.recommend import rank_candidates
    from jinguo.orgs import services as org_services

    subteam = world.subteam.node.team
    org_services.team_submit(actor=world.leader, team=subteam)
    org_services.team_file(actor=world.district_admin, team=subteam)
    dispatch.rule_create(actor=world.district_admin, data={"node": world.district, "category": "care"})
    need = open_need(world, category="care", status="submitted")
    ranked = rank_candidates(need, kind="team", user=None, limit=5)
    assert ranked
    assert ranked[0].team.pk == world.subteam.node.pk
    services_needs.need_review(actor=world.district_admin, need=need, accept=True)  # applies the rules
    a = need.assignments.get()
    assert (a.team_id, a.mode, a.score) == (world.subteam.node.pk, "auto", ranked[0].score)
    assert a.rank_reasons == ["自动派单规则：思明区妇联推荐第一", *ranked[0].reasons]


def test_a_rule_without_a_team_and_no_candidate_leaves_the_need_open(world):
    """No filed team anywhere in the district: the recommender has nobody, the need waits for staff."""
    dispatch.rule_create(actor=world.district_admin, data={"node": world.district})
    need = open_need(world)
    assert dispatch.apply_rules(need) is None
    need.refresh_from_db()
    assert need.status == "open"


def test_the_audit_trail_names_who_did_what(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    dispatch.assignment_decline(actor=world.leader, assignment=a, reason="人手不足")
    actions = list(AuditLog.objects.order_by("pk").filter(action__in=("need.dispatched", "assignment.declined"))
                   .values_list("action", "actor_id"))  # fmt: skip
    assert actions == [("need.dispatched", world.district_admin.pk), ("assignment.declined", world.leader.pk)]
    assert Assignment.objects.count() == 1
