"""The org tree pages: what each person sees, and the node actions (create, edit, move, dissolve, delete)."""

import pytest
from django.test import Client
from django.urls import reverse

from jinguo.core.models import AuditLog
from jinguo.orgs import services
from jinguo.orgs.choices import NodeKind, NodeStatus
from jinguo.orgs.models import Node


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def test_tree_shows_her_scope_with_figures_and_expands_the_first_level(world, member):
    response = client_for(world.district_admin).get(reverse("orgs:tree"))
    assert response.status_code == 200
    page = html(response)
    assert "思明区妇联" in page
    assert "筼筜街道" in page
    assert "思明区巾帼服务队" in page
    assert "湖里区" not in page
    assert "厦门市妇联" not in page
    rows = {row.node.name: row for row in response.context["rows"]}
    assert list(rows) == ["思明区妇联"]
    district = rows["思明区妇联"]
    # world: team + subteam under the district; member is one volunteer registered in 湖滨社区, in the team.
    assert district.counts == {"teams": 2, "volunteers": 1, "members": 1}
    assert [r.node.name for r in district.children] == ["筼筜街道", "思明区巾帼服务队"]
    assert district.can_change
    assert not district.can_manage


def test_tree_children_loads_lazily_and_only_inside_scope(world):
    admin = client_for(world.district_admin)
    response = admin.get(reverse("orgs:tree_children", args=[world.street.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [r.node.name for r in response.context["rows"]] == ["湖滨社区"]
    assert "<html" not in html(response)  # a fragment
    assert admin.get(reverse("orgs:tree_children", args=[world.other_street.pk])).status_code == 404


def test_tree_hides_dissolved_nodes_unless_asked(world):
    services.node_dissolve(actor=world.district_admin, node=world.community, reason="撤并")
    admin = client_for(world.district_admin)
    url = reverse("orgs:tree_children", args=[world.street.pk])
    assert html(admin.get(url)).count("湖滨社区") == 0
    page = html(admin.get(url + "?all=1"))
    assert "湖滨社区" in page
    assert "已撤销" in page


def test_below_standard_squad_is_badged(world, make_volunteer):
    services.node_update(actor=world.root_user, node=world.district, name="思明区妇联", team_tier_names="总队,小队")
    for _ in range(4):
        make_volunteer(team=world.subteam.node)
    response = client_for(world.district_admin).get(reverse("orgs:tree_children", args=[world.team.pk]))
    (row,) = response.context["rows"]
    assert row.node.name == "湖滨小队"
    assert row.tier_name == "小队"
    assert row.below_standard
    assert "未达标 · 4 人" in html(response)
    make_volunteer(team=world.subteam.node)
    response = client_for(world.district_admin).get(reverse("orgs:tree_children", args=[world.team.pk]))
    assert not response.context["rows"][0].below_standard


def test_staff_sees_but_has_no_actions_and_volunteers_are_refused(world, member):
    staff = client_for(world.district_staff)
    response = staff.get(reverse("orgs:tree"))
    assert response.status_code == 200
    assert "新建下级妇联组织" not in html(response)
    assert "在此登记队伍" not in html(response)
    assert staff.get(reverse("orgs:node_create", args=[world.district.pk])).status_code == 403
    assert client_for(member.user).get(reverse("orgs:tree")).status_code == 403
    assert client_for(world.nobody).get(reverse("orgs:tree")).status_code == 403


def test_node_detail_has_breadcrumb_children_teams_and_history(world):
    services.node_update(actor=world.district_admin, node=world.street, name="筼筜街道妇联")
    response = client_for(world.district_admin).get(reverse("orgs:node_detail", args=[world.street.pk]))
    assert response.status_code == 200
    assert response.context["breadcrumb_node"] == world.street
    assert [r.node.name for r in response.context["children"]] == ["湖滨社区"]
    assert [e.summary for e in response.context["history"]] == [
        "「筼筜街道」更名为「筼筜街道妇联」",
        "新建组织「筼筜街道」",
    ]
    district = client_for(world.district_admin).get(reverse("orgs:node_detail", args=[world.district.pk]))
    assert [t.name for t in district.context["page_obj"]] == ["思明区巾帼服务队", "湖滨小队"]
    # A team's node page is its team page.
    team = client_for(world.district_admin).get(reverse("orgs:node_detail", args=[world.team.pk]))
    assert team.status_code == 302
    assert team["Location"] == reverse("orgs:team_detail", args=[world.team.pk])


def test_history_is_for_administrators_only(world):
    response = client_for(world.district_staff).get(reverse("orgs:node_detail", args=[world.street.pk]))
    assert list(response.context["history"]) == []
    assert "历史记录仅管理员可查看" in html(response)


def test_create_child_node(world):
    admin = client_for(world.district_admin)
    form = admin.get(reverse("orgs:node_create", args=[world.district.pk]))
    assert [value for value, _ in form.context["form"].fields["kind"].choices] == ["street", "community"]
    response = admin.post(
        reverse("orgs:node_create", args=[world.district.pk]), {"name": " 滨海街道 ", "kind": "street", "code": ""}
    )
    node = Node.objects.get(name="滨海街道")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:node_detail", args=[node.pk])
    assert node.kind == NodeKind.STREET
    assert Node.objects.get_parent(node) == world.district
    assert AuditLog.objects.filter(action="node.created", target_id=str(node.pk)).count() == 1


def test_create_child_node_keeps_input_and_shows_the_service_error_on_its_field(world):
    admin = client_for(world.district_admin)
    response = admin.post(
        reverse("orgs:node_create", args=[world.district.pk]), {"name": "滨海街道", "kind": "street", "code": "12"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"code": ["行政区划代码应为 6 位数字（街道 9 位、社区 12 位）。"]}
    assert 'value="滨海街道"' in html(response)
    assert 'value="12"' in html(response)
    assert not Node.objects.filter(name="滨海街道").exists()
    response = admin.post(reverse("orgs:node_create", args=[world.district.pk]), {"name": "筼筜街道", "kind": "street"})
    assert response.context["form"].errors == {"name": ["同一上级下已有名为「筼筜街道」的组织或队伍。"]}
    assert Node.objects.filter(name="筼筜街道").count() == 1


def test_community_sends_to_team_registration(world):
    response = client_for(world.district_admin).get(reverse("orgs:node_create", args=[world.community.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:team_create", args=[world.community.pk])


def test_edit_node_sets_tier_names_and_publish_approval(world):
    admin = client_for(world.district_admin)
    response = admin.post(
        reverse("orgs:node_edit", args=[world.district.pk]),
        {
            "name": "思明区妇联",
            "code": "350203",
            "team_tier_names": "总队，分队，小队",
            "requires_publish_approval": "on",
        },
    )
    assert response.status_code == 302
    world.district.refresh_from_db()
    assert world.district.team_tier_names == "总队,分队,小队"
    assert world.district.requires_publish_approval is True
    bad = admin.post(
        reverse("orgs:node_edit", args=[world.district.pk]), {"name": "思明区妇联", "team_tier_names": "总队"}
    )
    assert bad.context["form"].errors == {"team_tier_names": ["队伍层级名称至少需要两级，以逗号分隔。"]}


def test_move_is_done_from_above_within_scope(world):
    city = client_for(world.city_admin)
    url = reverse("orgs:node_move", args=[world.street.pk])
    form = city.get(url)
    choices = dict(form.context["form"].fields["new_parent"].widget.choices)
    assert "湖里区妇联 · 厦门市妇联" in choices.values()
    assert not any("筼筜街道" in label or "湖滨社区" in label for label in choices.values())  # not into itself
    response = city.post(url, {"new_parent": world.other_district.pk})
    assert response.status_code == 302
    world.street.refresh_from_db()
    assert Node.objects.get_parent(world.street) == world.other_district
    # The district admin cannot move her own node (that is for the level above), nor move out of her scope.
    district = client_for(world.district_admin)
    assert district.get(reverse("orgs:node_move", args=[world.district.pk])).status_code == 403
    refused = district.post(reverse("orgs:node_move", args=[world.subteam.pk]), {"new_parent": world.other_district.pk})
    assert refused.status_code == 200
    assert "new_parent" in refused.context["form"].errors
    assert Node.objects.get_parent(world.subteam.node) == world.team.node


def test_move_shows_kind_errors(world):
    response = client_for(world.city_admin).post(
        reverse("orgs:node_move", args=[world.street.pk]), {"new_parent": world.other_street.pk}
    )
    assert response.context["form"].errors == {
        "__all__": ["「街道（乡镇）」下只能设立更低一级的组织，不能设立「街道（乡镇）」。"]
    }


def test_dissolve_needs_a_reason_and_keeps_history(world):
    admin = client_for(world.district_admin)
    url = reverse("orgs:node_dissolve", args=[world.community.pk])
    empty = admin.post(url, {"reason": "  "})
    assert empty.status_code == 200
    assert "reason" in empty.context["form"].errors
    world.community.refresh_from_db()
    assert world.community.status == NodeStatus.ACTIVE
    assert admin.post(url, {"reason": "社区撤并"}).status_code == 302
    world.community.refresh_from_db()
    assert world.community.status == NodeStatus.DISSOLVED
    assert AuditLog.objects.get(action="node.dissolved", target_id=str(world.community.pk)).summary == "撤销：社区撤并"


def test_dissolve_refused_while_children_are_active(world):
    response = client_for(world.district_admin).post(
        reverse("orgs:node_dissolve", args=[world.street.pk]), {"reason": "撤并"}
    )
    assert response.context["form"].errors == {"__all__": ["请先撤销、合并或移走下级：湖滨社区。"]}


def test_delete_empty_node_and_refuse_one_that_holds_data(world, member):
    admin = client_for(world.district_admin)
    empty = services.node_create(actor=world.district_admin, parent=world.district, name="误建街道", kind="street")
    response = admin.post(reverse("orgs:node_delete", args=[empty.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:node_detail", args=[world.district.pk])
    assert not Node.objects.filter(pk=empty.pk).exists()
    admin.get(reverse("orgs:node_detail", args=[world.district.pk]))  # shows (and clears) the success message
    refused = admin.post(reverse("orgs:node_delete", args=[world.community.pk]), follow=True)
    assert [str(m) for m in refused.context["messages"]] == [
        "「湖滨社区」仍有数据（1 名登记在此的志愿者），不能删除。如已不再使用，请改为「撤销」，历史记录将被保留。"
    ]
    assert Node.objects.filter(pk=world.community.pk).exists()
    assert admin.get(reverse("orgs:node_delete", args=[world.community.pk])).status_code == 405


def test_outsiders_cannot_act_on_our_nodes_and_nothing_changes(world):
    before = list(Node.objects.order_by("pk").values_list("pk", "name", "path", "status"))
    audit_before = AuditLog.objects.count()
    for user in (world.outsider_admin, world.outsider_leader, world.leader):
        client = client_for(user)
        client.post(reverse("orgs:node_create", args=[world.district.pk]), {"name": "越权", "kind": "street"})
        client.post(reverse("orgs:node_edit", args=[world.district.pk]), {"name": "越权"})
        client.post(reverse("orgs:node_move", args=[world.street.pk]), {"new_parent": world.other_district.pk})
        client.post(reverse("orgs:node_dissolve", args=[world.community.pk]), {"reason": "越权"})
        client.post(reverse("orgs:node_delete", args=[world.community.pk]))
    assert list(Node.objects.order_by("pk").values_list("pk", "name", "path", "status")) == before
    assert AuditLog.objects.count() == audit_before


def test_leader_sees_his_team_as_his_tree(world):
    response = client_for(world.leader).get(reverse("orgs:tree"))
    rows = response.context["rows"]
    assert [r.node.name for r in rows] == ["思明区巾帼服务队"]
    assert [r.node.name for r in rows[0].children] == ["湖滨小队"]
    assert client_for(world.leader).get(reverse("orgs:node_detail", args=[world.district.pk])).status_code == 404


@pytest.mark.parametrize(
    ("purpose", "text", "expected"),
    [
        ("parent", "湖", ["湖滨社区 · 筼筜街道", "湖滨小队 · 思明区巾帼服务队"]),
        ("team", "", ["思明区巾帼服务队 · 思明区妇联", "湖滨小队 · 思明区巾帼服务队"]),
        ("federation", "350203", ["思明区妇联 · 厦门市妇联"]),
        ("region", "街道", ["筼筜街道 · 思明区妇联"]),
    ],
)
def test_node_options_search_inside_scope(world, purpose, text, expected):
    response = client_for(world.district_admin).get(reverse("orgs:node_options"), {"purpose": purpose, "node_q": text})
    assert [label for _, label in response.context["options"]] == expected


def test_node_options_exclude_a_subtree_and_refuse_unknown_purposes(world):
    admin = client_for(world.district_admin)
    response = admin.get(reverse("orgs:node_options"), {"purpose": "team", "exclude": world.team.pk})
    assert response.context["options"] == []
    assert admin.get(reverse("orgs:node_options"), {"purpose": "everything"}).status_code == 404
