"""Filing (备案): the team submits, the level above files it or returns it with a reason."""

from django.test import Client
from django.urls import reverse

from jinguo.core.models import AuditLog
from jinguo.orgs import services
from jinguo.orgs.choices import FilingStatus
from jinguo.orgs.models import Team


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def status_of(team) -> str:
    return Team.objects.get(pk=team.pk).filing_status


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_leader_submits_and_the_district_files_from_the_queue(world):
    leader = client_for(world.leader)
    response = leader.post(reverse("orgs:team_submit", args=[world.team.pk]), follow=True)
    assert messages_of(response) == ["「思明区巾帼服务队」已提交备案，等待上级审核。"]
    assert status_of(world.team) == FilingStatus.SUBMITTED

    admin = client_for(world.district_admin)
    queue = admin.get(reverse("orgs:filing_queue"))
    assert [t.name for t in queue.context["page_obj"]] == ["思明区巾帼服务队"]
    assert queue.context["page_obj"][0].problems == []
    filed = admin.post(
        reverse("orgs:team_file", args=[world.team.pk]), {"next": reverse("orgs:filing_queue")}, follow=True
    )
    assert filed.redirect_chain[-1][0] == reverse("orgs:filing_queue")
    team = Team.objects.get(pk=world.team.pk)
    assert team.filing_status == FilingStatus.FILED
    assert team.archive_number == f"350203-{team.filed_at.astimezone().year}-00001"
    assert team.filed_by_node_id == world.district.pk
    assert messages_of(filed) == [f"「思明区巾帼服务队」已备案，档案编号 {team.archive_number}。"]
    assert list(filed.context["page_obj"]) == []
    assert "没有待审核的备案" in filed.content.decode()


def test_return_needs_a_reason_and_the_team_sees_it(world):
    services.team_submit(actor=world.leader, team=world.team)
    admin = client_for(world.district_admin)
    refused = admin.post(reverse("orgs:team_return", args=[world.team.pk]), {"reason": " "}, follow=True)
    assert messages_of(refused) == ["退回时请写明原因，便于队伍修改。"]
    assert status_of(world.team) == FilingStatus.SUBMITTED
    admin.post(reverse("orgs:team_return", args=[world.team.pk]), {"reason": "负责人电话有误"})
    assert status_of(world.team) == FilingStatus.RETURNED
    page = client_for(world.leader).get(reverse("orgs:team_detail", args=[world.team.pk]))
    assert "上级退回：负责人电话有误" in page.content.decode()
    assert page.context["can_submit"]
    history = [e.summary for e in page.context["history"]]
    assert history[:2] == ["退回：负责人电话有误", "提交备案"]


def test_a_team_cannot_file_itself_and_the_leader_has_an_empty_queue(world):
    services.team_submit(actor=world.leader, team=world.team)
    leader = client_for(world.leader)
    assert leader.post(reverse("orgs:team_file", args=[world.team.pk])).status_code == 403
    assert leader.post(reverse("orgs:team_return", args=[world.team.pk]), {"reason": "x"}).status_code == 403
    assert status_of(world.team) == FilingStatus.SUBMITTED
    assert list(leader.get(reverse("orgs:filing_queue")).context["page_obj"]) == []


def test_leader_files_his_sub_team(world, make_volunteer):
    services.node_update(actor=world.root_user, node=world.district, name="思明区妇联", team_tier_names="总队,小队")
    for _ in range(5):
        make_volunteer(team=world.subteam.node)
    services.team_submit(actor=world.district_admin, team=world.subteam)
    leader = client_for(world.leader)
    assert [t.name for t in leader.get(reverse("orgs:filing_queue")).context["page_obj"]] == ["湖滨小队"]
    leader.post(reverse("orgs:team_file", args=[world.subteam.pk]))
    assert status_of(world.subteam) == FilingStatus.FILED


def test_squad_under_five_cannot_be_submitted(world, make_volunteer):
    services.node_update(actor=world.root_user, node=world.district, name="思明区妇联", team_tier_names="总队,小队")
    make_volunteer(team=world.subteam.node)
    response = client_for(world.leader).post(reverse("orgs:team_submit", args=[world.subteam.pk]), follow=True)
    assert messages_of(response) == ["暂不能提交备案：小队成员不足 5 人（当前 1 人），未达到组建标准。"]
    assert status_of(world.subteam) == FilingStatus.DRAFT


def test_queue_filters_and_outsiders(world):
    services.team_submit(actor=world.leader, team=world.team)
    services.team_submit(actor=world.outsider_leader, team=world.team_b)
    city = client_for(world.city_admin)
    assert sorted(t.name for t in city.get(reverse("orgs:filing_queue")).context["page_obj"]) == [
        "思明区巾帼服务队",
        "湖里区巾帼服务队",
    ]
    assert [t.name for t in city.get(reverse("orgs:filing_queue"), {"q": "湖里"}).context["page_obj"]] == [
        "湖里区巾帼服务队"
    ]
    assert list(city.get(reverse("orgs:filing_queue"), {"status": "filed"}).context["page_obj"]) == []
    outsider = client_for(world.outsider_admin)
    assert [t.name for t in outsider.get(reverse("orgs:filing_queue")).context["page_obj"]] == ["湖里区巾帼服务队"]
    audit_before = AuditLog.objects.count()
    assert outsider.post(reverse("orgs:team_file", args=[world.team.pk])).status_code == 404
    assert outsider.post(reverse("orgs:team_return", args=[world.team.pk]), {"reason": "x"}).status_code == 404
    assert status_of(world.team) == FilingStatus.SUBMITTED
    assert AuditLog.objects.count() == audit_before


def test_next_must_stay_on_this_site(world):
    services.team_submit(actor=world.leader, team=world.team)
    response = client_for(world.district_admin).post(
        reverse("orgs:team_file", args=[world.team.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("orgs:team_detail", args=[world.team.pk])


def test_submit_and_file_are_post_only(world):
    admin = client_for(world.district_admin)
    assert admin.get(reverse("orgs:team_submit", args=[world.team.pk])).status_code == 405
    assert admin.get(reverse("orgs:team_file", args=[world.team.pk])).status_code == 405
