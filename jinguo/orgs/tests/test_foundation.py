"""The scope mechanism and the tree services that everything else stands on."""

import pytest

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.scope import get_scope
from jinguo.orgs import services
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import Node, Team
from jinguo.orgs.selectors import subtree_counts, tier_choices
from jinguo.volunteers.models import Volunteer


def test_scope_paths_follow_roles(world):
    assert get_scope(world.root_user).platform
    district = get_scope(world.district_admin)
    assert district.view_paths == (world.district.path,)
    assert district.change_paths == (world.district.path,)
    assert district.personal_paths == ()
    staff = get_scope(world.district_staff)
    assert staff.view_paths == (world.district.path,)
    assert staff.change_paths == ()
    assert get_scope(world.nobody).view_paths == ()


def test_nodes_restricted_to_subtree(world):
    visible = set(Node.objects.restrict(world.district_admin).values_list("name", flat=True))
    assert {"思明区妇联", "湖滨小队"} <= visible
    assert not visible & {"湖里区妇联", "厦门市妇联"}
    assert not Node.objects.restrict(world.nobody).exists()
    leader_sees = set(Team.objects.restrict(world.leader).values_list("node__name", flat=True))
    assert leader_sees == {"思明区巾帼服务队", "湖滨小队"}


def test_team_numbers_are_hierarchical_and_tiers_follow_depth(world):
    assert world.team.team_number == "350203-001"
    assert world.subteam.team_number == "350203-001-01"
    assert (world.team.tier, world.subteam.tier) == (1, 2)
    assert world.team.tier_name() == "总队"
    assert world.subteam.tier_name() == "服务队"


def test_moving_a_team_renumbers_and_keeps_history(world):
    moved = services.node_move(actor=world.city_admin, node=world.subteam.node, new_parent=world.other_district)
    team = Team.objects.get(pk=moved.pk)
    assert team.team_number == "350206-002"
    assert team.tier == 2  # under a federation node a team keeps its tier
    assert moved.path.startswith(world.other_district.path)


def test_sibling_admin_cannot_move_or_create(world):
    with pytest.raises(PermissionDeniedError):
        services.node_move(actor=world.outsider_admin, node=world.subteam.node, new_parent=world.other_district)
    with pytest.raises(PermissionDeniedError):
        services.team_create(actor=world.outsider_admin, parent=world.district, name="越权队", data={})
    assert not Node.objects.filter(name="越权队").exists()


def test_delete_refused_when_node_holds_data(world, member):
    with pytest.raises(DomainError) as excinfo:
        services.node_delete(actor=world.city_admin, node=world.community)
    assert "志愿者" in excinfo.value.message
    assert Node.objects.filter(pk=world.community.pk).exists()


def test_counters_follow_registrations_and_rebuild_agrees(world, make_volunteer):
    for _ in range(3):
        make_volunteer(team=world.team.node)
    make_volunteer(team=world.team_b.node, home=world.other_community)
    assert subtree_counts(world.district) == {"volunteers": 3, "members": 3, "teams": 2}
    assert subtree_counts(world.city) == {"volunteers": 4, "members": 4, "teams": 3}
    assert services.rebuild_counters(fix=False) == []
    assert Volunteer.objects.count() == 4


def test_child_kind_must_be_lower(world):
    with pytest.raises(DomainError):
        services.node_create(actor=world.root_user, parent=world.community, name="错误", kind=NodeKind.CITY)


def test_default_tier_follows_the_level_below_the_tier_names(world):
    # Xiamen's names are set at the city: a team at the city is a 总队, at a district a 服务队, at a street a 分队.
    assert tier_choices(world.city) == ([1, 2, 3, 4], 1)
    assert tier_choices(world.district) == ([1, 2, 3, 4], 2)
    assert tier_choices(world.street) == ([1, 2, 3, 4], 3)
    # Under a team only lower tiers are possible.
    assert tier_choices(world.subteam.node) == ([3, 4], 3)


def test_pingdingshan_tiers_and_no_team_below_a_squad(world):
    city = services.node_create(
        actor=world.root_user, parent=world.province, name="平顶山市妇联", kind=NodeKind.CITY, code="410400",
        team_tier_names="总队,分队,小队",
    )
    county = services.node_create(actor=world.root_user, parent=city, name="卫东区妇联", kind=NodeKind.DISTRICT, code="410403")
    corps = services.team_create(actor=world.root_user, parent=city, name="平顶山市巾帼志愿服务总队", data={})
    branch = services.team_create(actor=world.root_user, parent=county, name="卫东区巾帼志愿服务分队", data={})
    squad = services.team_create(actor=world.root_user, parent=branch.node, name="东安路街道文明礼仪小队", data={})
    assert [t.tier_name() for t in (corps, branch, squad)] == ["总队", "分队", "小队"]
    assert squad.is_squad()
    with pytest.raises(DomainError) as excinfo:
        services.team_create(actor=world.root_user, parent=squad.node, name="再下一级", data={})
    assert excinfo.value.code == "lowest_tier"
    with pytest.raises(DomainError):
        services.team_create(actor=world.root_user, parent=branch.node, name="同级", data={}, tier=2)
    assert not Node.objects.filter(name__in=["再下一级", "同级"]).exists()
