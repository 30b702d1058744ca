"""Yearly reports (年报): a federation node opens a year, teams fill and submit, the level above confirms."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jinguo.orgs import services
from jinguo.orgs.choices import ReportStatus
from jinguo.orgs.models import AnnualReport, ReportingYear


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


LAST_YEAR = timezone.localdate().year - 1
DEADLINE = timezone.localdate() + datetime.timedelta(days=30)
FIGURES = {"new_members": "3", "activity_count": "12", "service_hours": "240.5", "people_served": "300"}


@pytest.fixture
def year(world):
    return services.reporting_year_open(
        actor=world.district_admin, node=world.district, year=LAST_YEAR, deadline=DEADLINE
    )


def test_admin_opens_a_year_for_her_node(world):
    admin = client_for(world.district_admin)
    form = admin.get(reverse("orgs:reporting_list")).context["form"]
    assert [label for _, label in form.fields["node"].widget.choices][1:] == [
        "思明区妇联 · 厦门市妇联",
        "筼筜街道 · 思明区妇联",
        "湖滨社区 · 筼筜街道",
    ]
    response = admin.post(
        reverse("orgs:reporting_list"), {"node": world.district.pk, "year": LAST_YEAR, "deadline": DEADLINE}
    )
    opened = ReportingYear.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:reporting_year_detail", args=[opened.pk])
    assert (opened.node_id, opened.year, opened.deadline, opened.opened_by) == (
        world.district.pk,
        LAST_YEAR,
        DEADLINE,
        world.district_admin,
    )
    again = admin.post(
        reverse("orgs:reporting_list"), {"node": world.district.pk, "year": LAST_YEAR, "deadline": DEADLINE}
    )
    assert again.context["form"].errors == {"year": [f"「思明区妇联」已发起 {LAST_YEAR} 年度年报。"]}
    assert ReportingYear.objects.count() == 1


def test_leaders_and_staff_cannot_open_a_year(world):
    leader = client_for(world.leader)
    assert leader.get(reverse("orgs:reporting_list")).context["form"] is None
    data = {"node": world.team.pk, "year": LAST_YEAR, "deadline": DEADLINE}
    assert leader.post(reverse("orgs:reporting_list"), data).status_code == 403
    staff = client_for(world.district_staff)
    assert staff.post(reverse("orgs:reporting_list"), {**data, "node": world.district.pk}).status_code == 403
    assert not ReportingYear.objects.exists()


def test_year_table_counts_and_the_unsubmitted_filter(world, year):
    report = services.annual_report_save(
        actor=world.leader, reporting_year=year, team=world.team, data={"new_members": 1, "highlights": "亮点"}
    )
    services.annual_report_submit(actor=world.leader, report=report)
    admin = client_for(world.district_admin)
    response = admin.get(reverse("orgs:reporting_year_detail", args=[year.pk]))
    assert response.context["counts"] == {
        "total": 2,
        "none": 1,
        "draft": 0,
        "submitted": 1,
        "confirmed": 0,
        "returned": 0,
        "unsubmitted": 1,
    }
    rows = {t.name: t.report_label for t in response.context["page_obj"]}
    assert rows == {"思明区巾帼服务队": "待确认", "湖滨小队": "未填报"}
    pending = admin.get(reverse("orgs:reporting_year_detail", args=[year.pk]), {"status": "unsubmitted"})
    assert [t.name for t in pending.context["page_obj"]] == ["湖滨小队"]
    submitted = admin.get(reverse("orgs:reporting_year_detail", args=[year.pk]), {"status": "submitted"})
    assert [t.name for t in submitted.context["page_obj"]] == ["思明区巾帼服务队"]


def test_leader_fills_saves_and_submits(world, year, make_volunteer):
    make_volunteer(team=world.team.node)
    leader = client_for(world.leader)
    url = reverse("orgs:annual_report", args=[year.pk, world.team.pk])
    assert leader.get(url).context["can_edit"]
    saved = leader.post(url, {**FIGURES, "highlights": "", "save": "1"}, follow=True)
    assert messages_of(saved) == ["已保存，可稍后继续填写。"]
    report = AnnualReport.objects.get()
    assert report.status == ReportStatus.DRAFT
    refused = leader.post(url, {**FIGURES, "highlights": "", "submit": "1"})
    assert refused.context["form"].errors == {"highlights": ["请填写本年度工作亮点。"]}
    assert AnnualReport.objects.get().status == ReportStatus.DRAFT
    submitted = leader.post(url, {**FIGURES, "highlights": "法律咨询进社区 12 场", "submit": "1"}, follow=True)
    assert messages_of(submitted) == [f"{LAST_YEAR} 年度年报已提交，等待上级确认。"]
    report = AnnualReport.objects.get()
    assert (report.status, report.member_count, report.new_members, report.activity_count) == (
        ReportStatus.SUBMITTED,
        1,
        3,
        12,
    )
    assert (report.service_hours, report.people_served, report.highlights) == (
        Decimal("240.5"),
        300,
        "法律咨询进社区 12 场",
    )
    assert not submitted.context["can_edit"]
    assert leader.post(url, {**FIGURES, "highlights": "改", "save": "1"}).status_code == 403
    assert AnnualReport.objects.get().highlights == "法律咨询进社区 12 场"


def test_the_level_above_confirms_or_returns(world, year):
    report = services.annual_report_save(
        actor=world.leader, reporting_year=year, team=world.team, data={"highlights": "亮点"}
    )
    services.annual_report_submit(actor=world.leader, report=report)
    leader = client_for(world.leader)
    assert leader.post(reverse("orgs:annual_report_confirm", args=[report.pk])).status_code == 403
    admin = client_for(world.district_admin)
    page = admin.get(reverse("orgs:annual_report", args=[year.pk, world.team.pk]))
    assert page.context["can_decide"]
    empty = admin.post(reverse("orgs:annual_report_return", args=[report.pk]), {"reason": ""}, follow=True)
    assert messages_of(empty) == ["退回时请写明原因。"]
    returned = admin.post(
        reverse("orgs:annual_report_return", args=[report.pk]), {"reason": "服务时长与活动记录不符"}, follow=True
    )
    assert messages_of(returned) == ["已退回「思明区巾帼服务队」的年报，队伍修改后可重新提交。"]
    report.refresh_from_db()
    assert (report.status, report.return_reason) == (ReportStatus.RETURNED, "服务时长与活动记录不符")
    assert (
        "上级退回：服务时长与活动记录不符"
        in leader.get(reverse("orgs:annual_report", args=[year.pk, world.team.pk])).content.decode()
    )
    services.annual_report_submit(actor=world.leader, report=report)
    confirmed = admin.post(reverse("orgs:annual_report_confirm", args=[report.pk]), follow=True)
    assert messages_of(confirmed) == [f"已确认「思明区巾帼服务队」{LAST_YEAR} 年度年报。"]
    report.refresh_from_db()
    assert (report.status, report.confirmed_by) == (ReportStatus.CONFIRMED, world.district_admin)


def test_leader_sees_the_year_from_above_but_only_his_teams(world, year):
    services.team_create(actor=world.district_admin, parent=world.street, name="筼筜服务队", data={})
    leader = client_for(world.leader)
    years = leader.get(reverse("orgs:reporting_list")).context["page_obj"]
    assert [y.pk for y in years] == [year.pk]
    rows = leader.get(reverse("orgs:reporting_year_detail", args=[year.pk])).context["page_obj"]
    assert sorted(t.name for t in rows) == ["思明区巾帼服务队", "湖滨小队"]
    assert leader.get(reverse("orgs:annual_report", args=[year.pk, world.team_b.pk])).status_code == 404


def test_outsiders_see_nothing_and_change_nothing(world, year):
    report = services.annual_report_save(
        actor=world.leader, reporting_year=year, team=world.team, data={"highlights": "亮点"}
    )
    services.annual_report_submit(actor=world.leader, report=report)
    for user in (world.outsider_admin, world.outsider_leader):
        client = client_for(user)
        assert list(client.get(reverse("orgs:reporting_list")).context["page_obj"]) == []
        assert client.get(reverse("orgs:reporting_year_detail", args=[year.pk])).status_code == 404
        assert client.post(reverse("orgs:annual_report_confirm", args=[report.pk])).status_code == 404
        assert client.post(reverse("orgs:annual_report_return", args=[report.pk]), {"reason": "x"}).status_code == 404
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
