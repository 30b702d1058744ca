"""End to end on a phone-sized Chromium: she registers herself (SMS code, live ID feedback, the cascading region
selects, consents) and applies to join a team. Proves the HTMX behaviours work under the strict CSP."""

import pytest

from conftest import volunteer_raw
from jinguo.volunteers.choices import MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Membership, Volunteer
from jinguo.volunteers.tests.ui_helpers import NEW_PASSWORD, last_code

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_she_registers_on_a_phone_and_applies_to_a_team(new_page, world):
    page = new_page(phone=True)
    page.on("dialog", lambda dialog: dialog.accept())
    raw = volunteer_raw(phone="13866660001")

    page.goto("/volunteers/register/")
    page.fill("#id_phone", raw["phone"])
    page.click("button[value=send]")
    page.wait_for_load_state()
    page.fill("#id_code", last_code(raw["phone"]))
    page.click("button[value=verify]")
    page.wait_for_url("**/volunteers/register/details/")

    page.fill("#id_name", raw["name"])
    page.fill("#id_id_number", raw["id_number"])
    page.locator("#id-feedback .text-success").wait_for()
    assert "周岁" in page.locator("#id-feedback").inner_text()
    assert page.locator("#guardian-section").get_attribute("class") == "d-none"

    # 全国 > 福建 > 厦门 have one choice each and are shown as text; she picks the district, the rest follows.
    picker = page.locator("#id_home_node-picker")
    assert "全国 › 福建省 › 厦门市" in picker.inner_text()
    picker.locator("select").first.select_option(label="思明区")
    page.locator("#id_home_node-picker .text-success").wait_for()
    assert page.input_value("input[name=home_node]") == str(world.community.pk)

    page.fill("#id_skills", "法律咨询")
    page.check("#id_categories_1")
    page.check("#id_availability_1")
    page.check("#id_consent_personal")
    page.check("#id_consent_sensitive")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    shot(page, "volunteer-register-phone")
    page.click("text=提交注册")
    page.wait_for_url("**/volunteers/me/")

    volunteer = Volunteer.objects.get(phone=raw["phone"])
    assert volunteer.status == VolunteerStatus.ACTIVE
    assert volunteer.home_node == world.community
    assert volunteer.number in page.locator(".jg-card-volunteer").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "volunteer-me-phone")

    page.click("main .card-header a[href='/volunteers/teams/']")
    page.fill("#id_q", "思明")
    page.click("button:has-text('搜索')")
    page.wait_for_load_state()
    page.click("button:has-text('申请加入')")
    page.wait_for_load_state()
    assert "已提交加入「思明区巾帼服务队」的申请" in page.content()
    membership = Membership.objects.get(volunteer=volunteer)
    assert (membership.team, membership.status) == (world.team.node, MembershipStatus.APPLIED)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The leader approves her on his own screen; she then sees the team on her phone.
    leader_page = new_page()
    login(leader_page, "leader")
    leader_page.goto(f"/volunteers/teams/{world.team.pk}/roster/")
    leader_page.get_by_role("link", name="入队申请").click()
    row = leader_page.locator("tr", has_text=raw["name"]).first
    row.get_by_role("button", name="同意").click()
    leader_page.wait_for_load_state()
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    page.goto("/volunteers/me/")
    assert "思明区巾帼服务队" in page.locator("main").inner_text()
    shot(page, "volunteer-me-after-approval")
