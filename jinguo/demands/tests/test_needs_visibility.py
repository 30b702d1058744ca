"""R23: who sees a need's details (the requester's name, phone, address, her own words), who sees them masked, and
the open-needs list that shows volunteers and teams nothing personal."""

import pytest
from django.test import Client
from django.urls import reverse

from jinguo.core.models import AuditLog
from jinguo.demands import selectors
from jinguo.demands import services_needs as svc
from jinguo.demands.models import Assignment
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role

from .targets_needs import need_data


def grant(world, username, role, node):
    from conftest import make_user

    user = make_user(username)
    org_services.role_grant(actor=world.root_user, user=user, role=role, node=node)
    return user


@pytest.fixture
def people(world, make_volunteer):
    p = {
        "community_staff": grant(world, "c_staff", Role.FEDERATION_STAFF, world.community),
        "street_admin": grant(world, "s_admin", Role.FEDERATION_ADMIN, world.street),
        "subteam_leader": grant(world, "sub_leader", Role.TEAM_LEADER, world.subteam.node),
    }
    p["member"] = make_volunteer(team=world.team.node, name="滕队员", phone="13912348001")
    p["assigned"] = make_volunteer(name="滕个人", phone="13912348002")
    p["other_volunteer"] = make_volunteer(name="滕旁人", phone="13912348003")
    return p


def make_need(world, flags):
    data = need_data("闵敏感", "13912348888", "湖滨南路隐私巷9号", vulnerable_flags=flags, description="家暴求助，想咨询")
    need = svc.need_create(actor=world.district_admin, node=world.community, proxy=True, data=data)
    return svc.need_review(actor=world.district_admin, need=need, accept=True, public_summary="需要法律咨询")


MATRIX = [
    # who, sees a flagged need in full, sees an unflagged need in full
    ("community_staff", True, True),
    ("street_admin", True, True),
    ("district_admin", False, True),
    ("district_staff", False, True),
    ("city_admin", False, True),
    ("root_user", True, True),
    ("leader", True, True),           # the team that serves it (assigned below)
    ("member", True, True),           # a member of that team
    ("assigned", False, False),       # her assignment was declined: no longer serving
    ("subteam_leader", False, False),
    ("other_volunteer", False, False),
    ("outsider_admin", False, False),
    ("outsider_leader", False, False),
    ("nobody", False, False),
]


def user_of(world, people, who):
    if who in people:
        value = people[who]
        return value.user if hasattr(value, "user") else value
    return getattr(world, who)


@pytest.mark.parametrize(("who", "flagged", "unflagged"), MATRIX)
def test_r23_matrix(world, people, who, flagged, unflagged):
    sensitive, plain = make_need(world, ["violence"]), make_need(world, [])
    for need in (sensitive, plain):
        Assignment.objects.create(need=need, assignee_kind="team", team=world.team.node, mode="dispatch",
                                  status="accepted")
        Assignment.objects.create(need=need, assignee_kind="volunteer", volunteer=people["assigned"],
                                  mode="dispatch", status="declined")
    user = user_of(world, people, who)
    assert selectors.can_see_details(user, sensitive) is flagged
    assert selectors.can_see_details(user, plain) is unflagged


def test_the_volunteer_serving_it_and_the_requester_see_it_once_she_accepts(world, people):
    need = make_need(world, ["violence", "elderly_alone"])
    volunteer = people["assigned"]
    assert selectors.can_see_details(volunteer.user, need) is False
    offer = Assignment.objects.create(need=need, assignee_kind="volunteer", volunteer=volunteer, mode="dispatch",
                                      status="offered")
    # Offered is not serving yet: she decides from the public summary, the details come with her acceptance.
    assert selectors.can_see_details(volunteer.user, need) is False
    offer.status = "accepted"
    offer.save(update_fields=["status"])
    need = type(need).objects.get(pk=need.pk)  # no prefetched assignments
    assert selectors.can_see_details(volunteer.user, need) is True
    assert selectors.can_see_details(None, need) is False
    own = svc.need_create(actor=world.nobody, node=world.community, phone_proved=True,
                          data=need_data("闵本人", "13912348889", "x", vulnerable_flags=["hardship"]))
    assert selectors.can_see_details(world.nobody, own) is True


def test_masked_view_shows_street_level_and_flags_as_labels(world):
    need = make_need(world, ["violence", "elderly_alone"])
    view = selectors.need_view(world.district_admin, need)
    assert (view.full, view.name, view.phone, view.address, view.description) == (
        False, "闵*感", "139****8888", "筼筜街道 湖滨社区", "需要法律咨询"
    )
    assert view.flags == ["空巢/独居老人", "家暴"]
    full = selectors.need_view(world.root_user, need)
    assert (full.full, full.name, full.phone, full.address) == (True, "闵敏感", "13912348888", "湖滨南路隐私巷9号")


def test_detail_page_masks_for_the_district_and_audits_the_platform_admin(world, people):
    need = make_need(world, ["violence"])
    url = reverse("demands:need_detail", args=[need.pk])
    client = Client()
    client.force_login(world.district_admin)
    body = client.get(url).content.decode()
    for secret in ("闵敏感", "13912348888", "湖滨南路隐私巷9号", "家暴求助"):
        assert secret not in body
    assert "139****8888" in body
    assert "筼筜街道 湖滨社区" in body
    assert not AuditLog.objects.filter(action="demands.need.view_details").exists()

    client.force_login(people["community_staff"])
    body = client.get(url).content.decode()
    assert "13912348888" in body
    assert not AuditLog.objects.filter(action="demands.need.view_details").exists()  # her own community: no audit

    client.force_login(world.root_user)
    body = client.get(url).content.decode()
    assert "湖滨南路隐私巷9号" in body
    assert AuditLog.objects.filter(action="demands.need.view_details", actor=world.root_user).count() == 1


def test_open_needs_are_those_of_her_district_and_anonymised(world, people):
    ours = make_need(world, ["violence"])
    theirs = svc.need_create(actor=world.outsider_admin, node=world.other_community, proxy=True,
                             data=need_data("闵外区", "13912348777", "高殿路1号"))
    theirs = svc.need_review(actor=world.outsider_admin, need=theirs, accept=True)
    submitted = svc.need_create(actor=world.district_admin, node=world.community, proxy=True,
                                data=need_data("闵待审", "13912348666", "x"))
    member = people["member"].user
    assert list(selectors.open_needs_for(member)) == [ours]
    assert list(selectors.open_needs_for(world.leader)) == [ours]
    assert list(selectors.open_needs_for(world.outsider_leader)) == [theirs]
    assert list(selectors.open_needs_for(world.nobody)) == []
    assert submitted not in selectors.open_needs_for(world.district_admin)
    row = selectors.anonymised(ours)
    assert set(row) == {"id", "number", "summary", "category", "community", "date", "preferred_time", "urgency",
                        "urgency_display", "claimable", "created_at"}
    assert row["summary"] == "需要法律咨询"

    client = Client()
    client.force_login(member)
    body = client.get(reverse("demands:open_needs")).content.decode()
    assert "需要法律咨询" in body
    for secret in ("闵敏感", "13912348888", "湖滨南路隐私巷9号", "家暴", "闵外区"):
        assert secret not in body


def test_the_leader_of_the_team_above_sees_what_her_sub_team_serves(world, people):
    """She may accept for a team under hers and check its members in (parts B and C): she sees the details too; the
    sub-team's leader does not see what the team above serves."""
    need = make_need(world, ["elderly_alone"])
    Assignment.objects.create(need=need, assignee_kind="team", team=world.subteam.node, mode="dispatch",
                              status="accepted")
    need = type(need).objects.get(pk=need.pk)
    assert selectors.can_see_details(world.leader, need) is True
    assert selectors.can_see_details(people["subteam_leader"], need) is True
    upper = make_need(world, ["elderly_alone"])
    Assignment.objects.create(need=upper, assignee_kind="team", team=world.team.node, mode="dispatch",
                              status="accepted")
    assert selectors.can_see_details(people["subteam_leader"], type(upper).objects.get(pk=upper.pk)) is False
