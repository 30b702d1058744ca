"""Her scan page on a phone-sized screen in headless Chromium: the page fits the screen, the browser's position is
sent when she allows it (inside the fence: checked in) and the leader confirms her when she does not."""

import os
import shutil
from pathlib import Path

import pytest

from jinguo.activities import qr
from jinguo.activities.models import Attendance

from .test_checkin_services import HERE, make_activity, sign_up

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _phone(browser, live_server, *, position=None):
    options = {"base_url": live_server.url, "locale": "zh-CN", **PHONE}
    if position is not None:
        options.update(permissions=["geolocation"], geolocation={"latitude": position[0], "longitude": position[1]})
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: pytest.fail(f"JavaScript error on {page.url}: {exc}"))
    return context, page


def _login(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Passw0rd!2026")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_her_phone_sends_its_position_or_leaves_it_to_the_leader(browser, live_server, world, member, make_volunteer):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    other = make_volunteer(team=world.team.node)
    sign_up(activity, other)
    scan = f"/activities/checkin/scan/{qr.make_token(activity.pk, qr.IN)}/"

    context, page = _phone(browser, live_server, position=(float(HERE[0]) + 0.0005, float(HERE[1])))
    _login(page, member.user.username)
    page.goto(scan)  # a WeChat scan opens this URL
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("main button[type=submit]")
    page.wait_for_selector("text=签到成功")
    context.close()
    mine = Attendance.objects.get(volunteer=member)
    assert (mine.status, mine.in_distance_m) == ("in", 56)

    context, page = _phone(browser, live_server)  # location permission not granted
    _login(page, other.user.username)
    page.goto(scan)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=未获取位置，请队长确认")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
    assert Attendance.objects.get(volunteer=other).status == "review"
