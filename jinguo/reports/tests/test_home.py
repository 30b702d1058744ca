"""The home dashboard: who is sent where, the figures of her scope, her to-do list."""

import datetime
import json

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jinguo.orgs import services
from jinguo.volunteers import services as volunteer_services


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_goes_to_login_and_a_volunteer_to_her_own_page(world, member):
    response = Client().get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    mine = client_for(member.user).get(reverse("home"))
    assert mine.status_code == 302
    assert mine["Location"] == reverse("volunteers:me")


def test_an_account_without_roles_is_told_what_to_do(world):
    response = client_for(world.nobody).get(reverse("home"))
    assert response.status_code == 200
    assert "您的账号还没有分配角色" in response.content.decode()


def test_staff_cards_show_the_figures_of_her_top_nodes(world, make_volunteer):
    make_volunteer(team=world.team.node)
    make_volunteer(team=world.subteam.node)
    make_volunteer(team=world.team_b.node, home=world.other_community)
    response = client_for(world.district_admin).get(reverse("home"))
    assert response.status_code == 200
    assert [(c["node"].name, c["counts"]) for c in response.context["cards"]] == [
        ("思明区妇联", {"volunteers": 2, "members": 2, "teams": 2})
    ]
    city = client_for(world.city_admin).get(reverse("home"))
    assert [(c["node"].name, c["counts"]) for c in city.context["cards"]] == [
        ("厦门市妇联", {"volunteers": 3, "members": 3, "teams": 3})
    ]
    chart = json.loads(city.context["chart"])
    assert chart["xAxis"]["data"] == ["思明区妇联", "湖里区妇联"]
    assert chart["series"][0] == {"name": "登记志愿者", "type": "bar", "data": [2, 1]}
    assert "data-echarts=" in city.content.decode()
    assert "vendor/echarts.min.js" in city.content.decode()


def test_todo_counts_filing_reports_years_disputes_and_applications(world, make_volunteer):
    services.team_submit(actor=world.leader, team=world.team)
    year = services.reporting_year_open(
        actor=world.district_admin,
        node=world.district,
        year=timezone.localdate().year - 1,
        deadline=timezone.localdate() + datetime.timedelta(days=10),
    )
    report = services.annual_report_save(
        actor=world.leader, reporting_year=year, team=world.subteam, data={"highlights": "亮点"}
    )
    services.annual_report_submit(actor=world.leader, report=report)
    pending = make_volunteer(team=world.team.node, confirm=False)
    volunteer_services.volunteer_deny(volunteer=pending, phone=pending.phone, reason="不是我")
    applicant = make_volunteer()
    volunteer_services.membership_apply(actor=applicant.user, team=world.team.node)

    admin = client_for(world.district_admin).get(reverse("home")).context["todo"]
    assert admin["filing"] == 1
    assert admin["reports"] == [
        {
            "reporting_year_id": year.pk,
            "reporting_year__year": year.year,
            "reporting_year__node__name": "思明区妇联",
            "n": 1,
        }
    ]
    assert [(item["year"].pk, item["missing"]) for item in admin["years"]] == [(year.pk, 1)]
    assert admin["disputes"] == 1
    assert admin["applications"] == []  # she leads no team
    leader = client_for(world.leader).get(reverse("home"))
    todo = leader.context["todo"]
    assert todo["filing"] == 0  # his own team is filed by the district, not by him
    assert [item["n"] for item in todo["reports"]] == [1]  # the sub-team's report is his to confirm
    assert todo["applications"] == [{"team_id": world.team.pk, "team__name": "思明区巾帼服务队", "n": 1}]
    assert reverse("volunteers:team_roster", args=[world.team.pk]) in leader.content.decode()


def test_outsiders_dashboard_is_about_their_own_district(world):
    services.team_submit(actor=world.leader, team=world.team)
    response = client_for(world.outsider_admin).get(reverse("home"))
    page = response.content.decode()
    assert [c["node"].name for c in response.context["cards"]] == ["湖里区妇联"]
    assert response.context["todo"]["filing"] == 0
    assert "思明区" not in page


def test_below_standard_squads_are_a_todo(world, make_volunteer):
    services.node_update(actor=world.root_user, node=world.district, name="思明区妇联", team_tier_names="总队,小队")
    make_volunteer(team=world.subteam.node)
    todo = client_for(world.district_admin).get(reverse("home")).context["todo"]
    assert todo["below_standard"] == 1
