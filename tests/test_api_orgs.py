"""/api/v1/nodes/ and /api/v1/teams/: scoped reads, and writes that go through the orgs services."""

import json

import pytest
from django.test import Client

from jinguo.core.models import AuditLog
from jinguo.orgs import services
from jinguo.orgs.choices import FilingStatus
from jinguo.orgs.models import BackboneMember, Node, Team


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, payload=None, method="POST"):
    return client.generic(method, url, json.dumps(payload or {}), content_type="application/json")


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


# ---- nodes ----------------------------------------------------------------------------------------------------


def test_node_list_is_the_callers_subtree_in_tree_order(world):
    response = client_for(world.district_admin).get("/api/v1/nodes/")
    assert response.status_code == 200
    assert names(response) == ["思明区妇联", "筼筜街道", "湖滨社区", "思明区巾帼服务队", "湖滨小队"]
    assert response.json()["count"] == 5
    assert response.json()["count_capped"] is False
    district = response.json()["results"][0]
    assert district["kind"] == "district"
    assert district["kind_display"] == "区（县、市）"
    assert district["code"] == "350203"
    assert district["parent"] == world.city.pk
    assert district["depth"] == 4


def test_node_filters_kind_parent_code(world):
    client = client_for(world.city_admin)
    assert names(client.get("/api/v1/nodes/", {"kind": "district"})) == ["思明区妇联", "湖里区妇联"]
    assert names(client.get("/api/v1/nodes/", {"parent": world.district.pk})) == ["筼筜街道", "思明区巾帼服务队"]
    assert names(client.get("/api/v1/nodes/", {"code": "350206"})) == ["湖里区妇联"]
    assert names(client.get("/api/v1/nodes/", {"under": world.street.pk})) == ["筼筜街道", "湖滨社区"]
    assert names(client.get("/api/v1/nodes/", {"q": "湖里"})) == ["湖里区妇联", "湖里区巾帼服务队"]


def test_node_filter_on_a_node_outside_scope_is_invalid_not_empty_of_its_children(world):
    response = client_for(world.outsider_admin).get("/api/v1/nodes/", {"parent": world.district.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "parent" in response.json()["errors"]
    assert "思明区" not in response.content.decode()


def test_node_detail_has_subtree_figures_and_outsiders_get_404(world, make_volunteer):
    make_volunteer(team=world.team.node)
    make_volunteer(team=world.subteam.node)
    response = client_for(world.district_staff).get(f"/api/v1/nodes/{world.district.pk}/")
    assert response.status_code == 200
    assert response.json()["figures"] == {"teams": 2, "volunteers": 2, "members": 2}
    for outsider in (world.outsider_admin, world.outsider_leader, world.nobody):
        response = client_for(outsider).get(f"/api/v1/nodes/{world.district.pk}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到，或不在您的数据范围内。", "code": "not_found"}


def test_nodes_are_read_only(world):
    client = client_for(world.district_admin)
    assert post(client, "/api/v1/nodes/", {"name": "新街道", "kind": "street"}).status_code == 405
    assert post(client, f"/api/v1/nodes/{world.street.pk}/", {"name": "改名"}, "PATCH").status_code == 405
    assert Node.objects.get(pk=world.street.pk).name == "筼筜街道"


# ---- teams: reads ---------------------------------------------------------------------------------------------


def test_team_list_for_a_leader_is_his_team_and_subteams(world):
    response = client_for(world.leader).get("/api/v1/teams/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["name"], r["team_number"], r["tier"], r["tier_name"], r["parent"]) for r in rows] == [
        ("思明区巾帼服务队", "350203-001", 1, "总队", world.district.pk),
        ("湖滨小队", "350203-001-01", 2, "服务队", world.team.pk),
    ]


def test_team_filters(world):
    client = client_for(world.city_admin)
    world.team.filing_status = FilingStatus.SUBMITTED
    world.team.save(update_fields=["filing_status"])
    assert names(client.get("/api/v1/teams/", {"filing_status": "submitted"})) == ["思明区巾帼服务队"]
    assert names(client.get("/api/v1/teams/", {"tier": 2})) == ["湖滨小队"]
    assert names(client.get("/api/v1/teams/", {"under": world.other_district.pk})) == ["湖里区巾帼服务队"]
    assert names(client.get("/api/v1/teams/", {"parent": world.team.pk})) == ["湖滨小队"]
    assert names(client.get("/api/v1/teams/", {"q": "350203-001-01"})) == ["湖滨小队"]
    assert names(client.get("/api/v1/teams/", {"q": "巾帼服务队"})) == ["思明区巾帼服务队", "湖里区巾帼服务队"]


def test_team_detail_is_the_registration_form(world, make_volunteer):
    make_volunteer(team=world.team.node)
    response = client_for(world.district_staff).get(f"/api/v1/teams/{world.team.pk}/")
    assert response.status_code == 200
    team = response.json()
    assert team["name"] == "思明区巾帼服务队"
    assert team["leader_name"] == "林秀英"
    assert team["leader_phone"] == "13905920001"
    assert team["service_categories"] == ["legal", "care"]
    assert team["service_times"] == ["weekend"]
    assert team["member_count"] == 1
    assert team["below_standard"] is False
    assert team["filing_status"] == "draft"
    assert team["filing_status_display"] == "草稿"
    assert team["backbone"] == []


def test_a_squad_below_five_members_is_marked(world):
    squad = world.subteam
    for depth_name in ("分队", "小队"):
        squad = services.team_create(actor=world.root_user, parent=squad.node, name=f"测试{depth_name}", data={})
    response = client_for(world.district_admin).get(f"/api/v1/teams/{squad.pk}/")
    assert response.json()["tier_name"] == "小队"
    assert response.json()["below_standard"] is True


# ---- teams: writes --------------------------------------------------------------------------------------------

NEW_TEAM = {
    "name": "筼筜巾帼普法队",
    "unit_name": "筼筜街道妇联",
    "level": "street",
    "founded_on": "2020-03-08",
    "leader_name": "陈美玲",
    "leader_phone": "13905920002",
    "service_categories": ["legal"],
    "service_times": ["weekend", "holiday"],
    "backbone": [{"name": "黄丽", "position": "副队长", "phone": "13905920003"}],
}


def test_district_admin_registers_a_team(world):
    response = post(client_for(world.district_admin), "/api/v1/teams/", {**NEW_TEAM, "parent": world.district.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "筼筜巾帼普法队"
    assert body["team_number"] == "350203-002"
    assert body["parent"] == world.district.pk
    assert body["filing_status"] == "draft"
    assert body["service_times"] == ["weekend", "holiday"]
    assert body["backbone"] == [
        {"name": "黄丽", "position": "副队长", "phone": "13905920003", "work_unit": "", "email": ""}
    ]
    team = Team.objects.get(pk=body["id"])
    assert (body["tier"], body["tier_name"]) == (team.tier, team.tier_name())
    assert team.leader_name == "陈美玲"
    assert AuditLog.objects.filter(action="team.created", target_id=str(team.pk), actor=world.district_admin).exists()


def test_team_create_needs_name_and_parent(world):
    response = post(client_for(world.district_admin), "/api/v1/teams/", {"unit_name": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "parent"}


def test_team_create_domain_error_is_400_with_code_and_field(world):
    before = Team.objects.count()
    response = post(
        client_for(world.district_admin),
        "/api/v1/teams/",
        {**NEW_TEAM, "parent": world.district.pk, "is_registered": True, "credit_code": "123"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_credit_code"
    assert response.json()["field"] == "credit_code"
    assert response.json()["detail"] == "统一社会信用代码应为18位，当前为3位"
    assert Team.objects.count() == before


def test_team_create_refused_outside_scope_and_for_read_only_staff(world):
    before = Team.objects.count()
    # A parent outside the caller's scope is not a valid choice (its existence is not confirmed) ...
    response = post(client_for(world.outsider_admin), "/api/v1/teams/", {**NEW_TEAM, "parent": world.district.pk})
    assert response.status_code == 400
    assert response.json()["errors"]["parent"]
    assert "思明区" not in response.content.decode()
    # ... and read-only staff see the parent but may not change it.
    response = post(client_for(world.district_staff), "/api/v1/teams/", {**NEW_TEAM, "parent": world.district.pk})
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "「思明区妇联」不在您的管理范围内。"}
    assert Team.objects.count() == before


def test_team_update_changes_only_what_is_sent(world):
    client = client_for(world.leader)
    response = post(client, f"/api/v1/teams/{world.team.pk}/", {"leader_wechat": "linxiuying88"}, "PATCH")
    assert response.status_code == 200, response.content
    team = Team.objects.get(pk=world.team.pk)
    assert team.leader_wechat == "linxiuying88"
    assert team.leader_name == "林秀英"
    assert team.service_categories == ["legal", "care"]
    response = post(client, f"/api/v1/teams/{world.team.pk}/", {"backbone": [{"name": "黄丽"}]}, "PATCH")
    assert response.json()["backbone"][0]["name"] == "黄丽"
    assert BackboneMember.objects.filter(team=world.team).count() == 1


def test_team_map_point_both_or_neither(world):
    client = client_for(world.leader)
    url = f"/api/v1/teams/{world.team.pk}/"
    half = post(client, url, {"latitude": "24.479800"}, "PATCH")
    assert (half.status_code, half.json()["errors"]) == (400, {"longitude": ["纬度和经度须同时填写，或都不填。"]})
    assert post(client, url, {"latitude": "95", "longitude": "118"}, "PATCH").status_code == 400
    assert Team.objects.get(pk=world.team.pk).latitude is None
    response = post(client, url, {"latitude": "24.479800", "longitude": "118.089400"}, "PATCH")
    assert (response.json()["latitude"], response.json()["longitude"]) == ("24.479800", "118.089400")
    team = Team.objects.get(pk=world.team.pk)
    assert (str(team.latitude), str(team.longitude)) == ("24.479800", "118.089400")


def test_team_update_refused_for_outsiders_and_staff(world):
    url = f"/api/v1/teams/{world.team.pk}/"
    assert post(client_for(world.outsider_leader), url, {"leader_name": "越权"}, "PATCH").status_code == 404
    assert post(client_for(world.outsider_admin), url, {"leader_name": "越权"}, "PATCH").status_code == 404
    assert post(client_for(world.district_staff), url, {"leader_name": "越权"}, "PATCH").status_code == 403
    assert post(client_for(world.leader), url, {"parent": world.other_district.pk}, "PATCH").status_code == 400
    assert Team.objects.get(pk=world.team.pk).leader_name == "林秀英"
    assert post(client_for(world.leader), url, {"leader_name": "越权"}, "PUT").status_code == 405


def test_filing_submit_file_and_return(world):
    leader, admin = client_for(world.leader), client_for(world.district_admin)
    submit = f"/api/v1/teams/{world.team.pk}/submit/"
    response = post(leader, submit)
    assert response.status_code == 200
    assert response.json()["filing_status"] == "submitted"
    # The leader cannot file his own team: filing is done by the level above.
    response = post(leader, f"/api/v1/teams/{world.team.pk}/file/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    # Returned with a reason, resubmitted, filed.
    response = post(admin, f"/api/v1/teams/{world.team.pk}/return/", {"reason": "请补充骨干名单"})
    assert response.status_code == 200
    assert response.json()["filing_status"] == "returned"
    assert response.json()["filing_note"] == "请补充骨干名单"
    assert post(leader, submit).status_code == 200
    response = post(admin, f"/api/v1/teams/{world.team.pk}/file/")
    assert response.status_code == 200
    body = response.json()
    assert body["filing_status"] == "filed"
    assert body["archive_number"].startswith("350203-")
    actions = list(
        AuditLog.objects.filter(target_id=str(world.team.pk), action__startswith="team.f").values_list(
            "action", flat=True
        )
    )
    assert actions == ["team.filed", "team.filing_submitted", "team.filing_returned", "team.filing_submitted"]


def test_filing_actions_refused_states_and_reasons(world):
    admin = client_for(world.district_admin)
    response = post(admin, f"/api/v1/teams/{world.team.pk}/file/")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_state"
    response = post(admin, f"/api/v1/teams/{world.team.pk}/return/", {})
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["该字段是必填项。"]}
    assert Team.objects.get(pk=world.team.pk).filing_status == FilingStatus.DRAFT


@pytest.mark.parametrize("who", ["outsider_admin", "outsider_leader", "nobody"])
def test_filing_actions_by_outsiders_are_404_and_change_nothing(world, who):
    client = client_for(getattr(world, who))
    for action, payload in (("submit", {}), ("file", {}), ("return", {"reason": "x"})):
        response = post(client, f"/api/v1/teams/{world.team.pk}/{action}/", payload)
        assert response.status_code == 404
    assert Team.objects.get(pk=world.team.pk).filing_status == FilingStatus.DRAFT
    assert not AuditLog.objects.filter(action__startswith="team.filing").exists()


def test_team_tier_is_chosen_within_what_the_parent_allows(world):
    client = client_for(world.district_admin)
    response = post(client, "/api/v1/teams/", {"name": "思明区巾帼总队二", "parent": world.district.pk, "tier": 1})
    assert response.status_code == 201, response.content
    assert (response.json()["tier"], response.json()["tier_name"]) == (1, "总队")
    # Under the 服务队 (tier 2) only lower tiers are possible.
    response = post(client, "/api/v1/teams/", {"name": "越级小队", "parent": world.subteam.pk, "tier": 2})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("bad_tier", "tier")
    assert not Team.objects.filter(node__name="越级小队").exists()
    response = post(client, f"/api/v1/teams/{world.subteam.pk}/", {"tier": 3}, "PATCH")
    assert response.status_code == 200, response.content
    assert (response.json()["tier"], response.json()["tier_name"]) == (3, "分队")
