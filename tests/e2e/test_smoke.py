"""The browser can reach the app, the page is in Chinese with our own assets, and a cadre can log in."""

import pytest

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_then_dashboard(new_page, world):
    page = new_page()
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto("/login/")
    assert page.locator("h1").inner_text() == "登录巾帼志愿服务平台"
    login(page, "district_admin")
    assert "/login/" not in page.url
    assert page.locator(".jg-scopebar").inner_text().count("思明区妇联") == 1
    shot(page, "smoke-dashboard")
    assert failed == []


def test_phone_sized_login_page_has_no_horizontal_scroll(new_page, db):
    page = new_page(phone=True)
    page.goto("/login/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
