"""The dispatch pages through the test client: what each person sees and can do, and what outsiders cannot."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jinguo.demands import services_dispatch as dispatch
from jinguo.demands.models import Assignment, DispatchRule
from jinguo.demands.tests.test_dispatch_helpers import open_need

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_dispatch_page_lists_candidates_and_dispatches(world):
    need = open_need(world)
    page = client(world.district_admin).get(reverse("demands:dispatch", args=[need.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert need.number in text
    assert "推荐接单对象" in text
    response = client(world.district_admin).post(
        reverse("demands:dispatch_assign", args=[need.pk]),
        {"team": world.team.node.pk, "score": "0.75", "reasons": ["服务类别匹配：巾帼爱心帮扶", "在办 0 单"]},
    )
    assert response.status_code == 302
    a = Assignment.objects.get(need=need)
    assert (a.status, a.team_id, a.score, a.rank_reasons) == (
        "offered", world.team.node.pk, 0.75, ["服务类别匹配：巾帼爱心帮扶", "在办 0 单"]
    )
    page = client(world.district_admin).get(reverse("demands:dispatch", args=[need.pk]))
    assert "已派给思明区巾帼服务队" in page.content.decode()


def test_volunteer_candidates_are_listed_for_a_volunteer_dispatch(world, make_volunteer):
    need = open_need(world)
    her = make_volunteer(team=world.team.node, categories=["care"])
    page = client(world.district_admin).get(reverse("demands:dispatch", args=[need.pk]) + "?kind=volunteer")
    assert page.status_code == 200
    client(world.district_admin).post(reverse("demands:dispatch_assign", args=[need.pk]), {"volunteer": her.pk})
    assert Assignment.objects.get(need=need).volunteer_id == her.pk


def test_read_only_staff_see_the_page_but_cannot_dispatch(world):
    need = open_need(world)
    page = client(world.district_staff).get(reverse("demands:dispatch", args=[need.pk]))
    assert page.status_code == 200
    assert "派单须由「湖滨社区」或其上级的管理员办理" in page.content.decode()
    response = client(world.district_staff).post(reverse("demands:dispatch_assign", args=[need.pk]),
                                                 {"team": world.team.node.pk})
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_outsiders_do_not_find_the_need(world):
    need = open_need(world)
    for user in (world.outsider_admin, world.outsider_leader, world.nobody, world.leader):
        assert client(user).get(reverse("demands:dispatch", args=[need.pk])).status_code == 404
        assert client(user).post(reverse("demands:dispatch_assign", args=[need.pk]),
                                 {"team": world.team.node.pk}).status_code == 404
    assert not Assignment.objects.exists()


def test_a_refusal_is_shown_in_chinese_and_changes_nothing(world):
    need = open_need(world)
    dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    response = client(world.district_admin).post(
        reverse("demands:dispatch_assign", args=[need.pk]), {"team": world.subteam.node.pk}, follow=True
    )
    assert "已被其他志愿者/队伍接单" in response.content.decode()
    assert Assignment.objects.filter(need=need).count() == 1


def test_a_flagged_needs_requester_is_masked_on_the_dispatch_page(world):
    """R23: the district admin holds no role at the need's node or its parent: she dispatches without the details."""
    need = open_need(world, vulnerable_mask=1 << 4, requester_phone="13877776666", address="秘密路 1 号")
    text = client(world.district_admin).get(reverse("demands:dispatch", args=[need.pk])).content.decode()
    assert "13877776666" not in text
    assert "秘密路 1 号" not in text
    assert "138****6666" in text
    assert "家暴" in text


# ---- the inbox ------------------------------------------------------------------------------------------------------


def test_the_leader_accepts_from_her_inbox(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    page = client(world.leader).get(reverse("demands:inbox"))
    assert page.status_code == 200
    assert need.number in page.content.decode()
    response = client(world.leader).post(reverse("demands:inbox_accept", args=[a.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=accepted")
    a.refresh_from_db()
    assert a.status == "accepted"


def test_declining_from_the_inbox_needs_a_reason(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    url = reverse("demands:inbox_decline", args=[a.pk])
    assert client(world.leader).get(url).status_code == 200
    response = client(world.leader).post(url, {"reason": ""})
    assert response.status_code == 200
    a.refresh_from_db()
    assert a.status == "offered"
    response = client(world.leader).post(url, {"reason": "队员都在外地"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.reason) == ("declined", "队员都在外地")


def test_a_volunteer_sees_only_her_own_offers(world, make_volunteer):
    her, other = make_volunteer(), make_volunteer()
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, volunteer=her)
    assert need.number in client(her.user).get(reverse("demands:inbox")).content.decode()
    assert need.number not in client(other.user).get(reverse("demands:inbox")).content.decode()
    assert client(other.user).post(reverse("demands:inbox_accept", args=[a.pk])).status_code == 404
    assert client(world.outsider_leader).post(reverse("demands:inbox_accept", args=[a.pk])).status_code == 404
    client(her.user).post(reverse("demands:inbox_accept", args=[a.pk]))
    a.refresh_from_db()
    assert a.status == "accepted"


def test_someone_who_is_neither_volunteer_nor_leader_gets_an_explanation(world):
    text = client(world.nobody).get(reverse("demands:inbox")).content.decode()
    assert "您还不是志愿者，也没有担任队长" in text


# ---- withdraw, offers -----------------------------------------------------------------------------------------------


def test_staff_withdraw_with_a_reason_from_the_dispatch_page(world):
    need = open_need(world)
    a = dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    url = reverse("demands:dispatch_withdraw", args=[a.pk])
    assert client(world.leader).post(url, {"reason": "自己撤"}).status_code == 404
    client(world.district_admin).post(url, {"reason": ""})
    a.refresh_from_db()
    assert a.status == "offered"
    client(world.district_admin).post(url, {"reason": "改派给小队"})
    a.refresh_from_db()
    assert (a.status, a.reason) == ("withdrawn", "改派给小队")


def test_staff_confirm_or_turn_down_an_offer(world, make_volunteer):
    first = open_need(world)
    second = open_need(world)
    a = dispatch.need_offer(actor=make_volunteer().user, need=first)
    b = dispatch.need_offer(actor=make_volunteer().user, need=second)
    assert client(world.outsider_admin).post(reverse("demands:dispatch_confirm_offer", args=[a.pk])).status_code == 404
    client(world.district_admin).post(reverse("demands:dispatch_confirm_offer", args=[a.pk]))
    client(world.district_admin).post(reverse("demands:dispatch_reject_offer", args=[b.pk]), {"reason": "需有护理证"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status, b.reason) == ("accepted", "withdrawn", "需有护理证")


# ---- the overview ---------------------------------------------------------------------------------------------------


def test_the_overview_counts_and_filters_the_subtree(world):
    now = timezone.now()
    fresh = open_need(world)
    late = open_need(world, accept_deadline=now - datetime.timedelta(hours=1))
    escalated = open_need(world, accept_deadline=now - datetime.timedelta(days=3), escalation_level=1,
                          escalated_to=world.street)
    dispatch.need_dispatch(actor=world.district_admin, need=open_need(world), team=world.team.node)
    elsewhere = open_need(world, node=world.other_community)
    c = client(world.district_admin)
    response = c.get(reverse("demands:dispatch_overview"), {"node": world.district.pk})
    counts = response.context["counts"]
    assert (counts["open"], counts["dispatched"], counts["overdue"], counts["escalated"]) == (3, 1, 2, 1)
    listed = {n.pk for n in response.context["page_obj"]}
    assert {fresh.pk, late.pk, escalated.pk} <= listed
    assert elsewhere.pk not in listed
    overdue = c.get(reverse("demands:dispatch_overview"), {"node": world.district.pk, "show": "overdue"})
    assert {n.pk for n in overdue.context["page_obj"]} == {late.pk, escalated.pk}
    street = c.get(reverse("demands:dispatch_overview"), {"node": world.street.pk, "show": "escalated"})
    assert street.context["counts"]["escalated_here"] == 1
    assert [n.pk for n in street.context["page_obj"]] == [escalated.pk]


def test_the_overview_of_another_district_shows_none_of_ours(world):
    open_need(world)
    response = client(world.outsider_admin).get(reverse("demands:dispatch_overview"), {"node": world.district.pk})
    assert response.status_code == 200
    assert response.context["counts"]["open"] == 0
    assert client(world.nobody).get(reverse("demands:dispatch_overview")).status_code == 404


# ---- rules ----------------------------------------------------------------------------------------------------------


def test_rules_are_made_toggled_and_kept_in_scope(world):
    c = client(world.district_admin)
    response = c.post(reverse("demands:dispatch_rule_create"),
                      {"node": world.district.pk, "category": "care", "urgency": "", "team": world.team.node.pk,
                       "is_active": "on"})  # fmt: skip
    assert response.status_code == 302
    rule = DispatchRule.objects.get()
    assert (rule.node_id, rule.category, rule.team_id, rule.created_by_id) == (
        world.district.pk, "care", world.team.node.pk, world.district_admin.pk
    )
    assert "思明区巾帼服务队" in c.get(reverse("demands:dispatch_rules")).content.decode()
    c.post(reverse("demands:dispatch_rule_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.is_active is False
    outsider = client(world.outsider_admin)
    assert outsider.get(reverse("demands:dispatch_rule_edit", args=[rule.pk])).status_code == 404
    assert outsider.post(reverse("demands:dispatch_rule_toggle", args=[rule.pk])).status_code == 404
    response = outsider.post(reverse("demands:dispatch_rule_create"), {"node": world.district.pk, "is_active": "on"})
    assert response.status_code == 200  # the district is not among her choices
    assert DispatchRule.objects.count() == 1
    assert client(world.district_staff).get(reverse("demands:dispatch_rule_create")).status_code == 403


def test_a_team_leader_overview_shows_what_her_team_serves(world):
    need = open_need(world)
    other = open_need(world)
    dispatch.need_dispatch(actor=world.district_admin, need=need, team=world.team.node)
    response = client(world.leader).get(reverse("demands:dispatch_overview"))
    assert response.status_code == 200
    assert response.context["node"] is None
    listed = {n.pk for n in response.context["page_obj"]}
    assert need.pk in listed
    assert other.pk not in listed
