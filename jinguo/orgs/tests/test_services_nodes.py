"""Service fixes made with the orgs UI."""

from jinguo.orgs import services
from jinguo.orgs.models import Node, Team


def test_node_update_without_code_keeps_the_code(world):
    """A rename (or a tier-name change) must not erase the GB/T 2260 code: team numbers are built from it."""
    services.node_update(
        actor=world.district_admin, node=world.district, name="思明区妇联", team_tier_names="总队,小队"
    )
    district = Node.objects.get(pk=world.district.pk)
    assert district.code == "350203"
    assert district.team_tier_names == "总队,小队"
    team = services.team_create(actor=world.district_admin, parent=world.street, name="新队", data={})
    assert Team.objects.get(pk=team.pk).team_number == "350203-002"


def test_node_update_with_an_empty_code_clears_it(world):
    services.node_update(actor=world.district_admin, node=world.street, name="筼筜街道", code="350203001")
    assert Node.objects.get(pk=world.street.pk).code == "350203001"
    services.node_update(actor=world.district_admin, node=world.street, name="筼筜街道", code="")
    assert Node.objects.get(pk=world.street.pk).code == ""
