"""Journey: a leader registers a team under her district and submits it; the district admin files it from above."""

import pytest

from jinguo.orgs.choices import FilingStatus
from jinguo.orgs.models import Team

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_team_is_registered_submitted_and_filed(new_page, world):
    page = new_page()
    login(page, "district_admin")

    # From the tree: the district's action menu offers "在此登记队伍".
    page.goto("/orgs/tree/")
    row = page.locator(".jg-tree li", has_text="思明区妇联").first
    row.get_by_role("button", name="操作").first.click()
    row.get_by_role("link", name="在此登记队伍").first.click()
    page.wait_for_url("**/teams/new/")

    # A first attempt with a bad phone keeps everything typed and says what is wrong.
    page.fill("#id_name", "思明区家庭教育巾帼志愿服务队")
    page.fill("#id_unit_name", "思明区妇联")
    page.fill("#id_founded_on", "2021-03-05")
    page.fill("#id_leader_name", "陈丽华")
    page.fill("#id_leader_position", "队长")
    page.fill("#id_leader_phone", "1390592")
    page.get_by_label("巾帼家庭教育").check()
    page.get_by_label("双休日").check()
    page.get_by_role("button", name="登记队伍").click()
    assert page.locator(".invalid-feedback").first.is_visible()
    assert page.input_value("#id_name") == "思明区家庭教育巾帼志愿服务队"
    assert not Team.objects.filter(node__name="思明区家庭教育巾帼志愿服务队").exists()

    page.fill("#id_leader_phone", "１３９ ０５９２ ８８６６")  # full-width digits and spaces are normalised
    page.get_by_role("button", name="登记队伍").click()
    page.wait_for_url("**/orgs/teams/*/")
    team = Team.objects.get(node__name="思明区家庭教育巾帼志愿服务队")
    assert team.leader_phone == "13905928866"
    assert team.team_number == "350203-002"  # the district already has 350203-001
    assert team.filing_status == FilingStatus.DRAFT

    page.get_by_role("button", name="提交备案").click()
    page.wait_for_load_state()
    team.refresh_from_db()
    assert team.filing_status == FilingStatus.SUBMITTED

    # The district admin acts from above: the filing queue lists the team; 准予备案 asks for confirmation.
    page.goto("/orgs/filing/")
    assert page.get_by_text("思明区家庭教育巾帼志愿服务队").first.is_visible()
    shot(page, "filing-queue")
    page.get_by_role("link", name="思明区家庭教育巾帼志愿服务队").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="准予备案").click()
    page.wait_for_load_state()
    team.refresh_from_db()
    assert team.filing_status == FilingStatus.FILED
    assert team.archive_number.startswith("350203-")
    assert page.get_by_text(team.archive_number).first.is_visible()
    assert page.get_by_text("准予备案，档案编号").first.is_visible()  # the history shows the step
    shot(page, "team-filed")
