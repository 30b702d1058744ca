"""The service-hour loop end to end in headless Chromium (issue 3, section 7).

The leader publishes an activity on his screen; two volunteers sign up on phone-sized pages; each opens the scan URL
of the leader's rotating QR code on her phone (the browser grants her position, inside the activity's fence) and
checks in; later she checks out the same way; her hours appear on her archive page; one of them has a certificate
issued and downloads the PDF; the public verification page says it is valid.

Hours need time to pass between check-in and check-out. The test does not write the ledger itself: after the
check-ins it moves Django's clock (`django.utils.timezone.now`, which the live server thread shares) 90 minutes on,
so that the real services compute 1.5 hours. The QR tokens use the real clock (`time.time`) and stay valid; sessions
are given a long idle timeout so that the jump does not log anyone out.
"""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from jinguo.activities.models import Activity, Attendance
from jinguo.certificates.models import Certificate
from jinguo.hours.models import ServiceRecord

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)

PLACE = {"latitude": 24.4800, "longitude": 118.0900}  # 湖滨社区活动室
NEAR = {"latitude": 24.4806, "longitude": 118.0902}  # about 70 m away, inside the 300 m fence
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime(LOCAL_INPUT)


def volunteer_page(new_page, volunteer):
    page = new_page(phone=True)
    page.on("dialog", lambda dialog: dialog.accept())
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(NEAR)
    login(page, volunteer.user.username)
    return page


def scan_url(leader_page, activity: Activity, purpose: str) -> str:
    leader_page.goto(f"/activities/checkin/{activity.pk}/screen/?purpose={purpose}")
    link = leader_page.locator("a[data-scan-url]")
    assert leader_page.locator(".jg-screen-qr svg").count() == 1
    return link.get_attribute("href")


def scan(page, url: str, label: str) -> str:
    """She opens the scan URL on her phone and confirms; the page asks the browser for her position."""
    page.goto(url)
    with page.expect_navigation():  # the page first waits for the position, then submits
        page.get_by_role("button", name=f"确认{label}").click()
    return page.locator("main").inner_text()


def test_publish_sign_up_check_in_and_out_hours_certificate_verification(new_page, world, make_volunteer, settings):
    settings.SESSION_COOKIE_AGE = 6 * 3600  # the clock jumps 90 minutes below
    first = make_volunteer(team=world.team.node, name="郑晓岚", phone="13855550001")
    second = make_volunteer(team=world.team.node, name="柯美玲", phone="13855550002")

    # ---- the leader publishes an activity that started half an hour ago and runs three more hours ----
    now = timezone.now()
    leader = new_page()
    leader.on("dialog", lambda dialog: dialog.accept())
    login(leader, "leader")
    leader.goto("/activities/new/")
    leader.select_option("#id_organiser", str(world.team.pk))
    leader.fill("#id_title", "湖滨社区敬老院陪伴")
    leader.select_option("#id_category", "care")
    leader.fill("#id_content", "陪伴老人聊天、读报，协助午餐")
    leader.fill("#id_address", "湖滨社区敬老院")
    leader.fill("#id_latitude", str(PLACE["latitude"]))
    leader.fill("#id_longitude", str(PLACE["longitude"]))
    leader.fill("#id_geofence_m", "300")
    leader.fill("#id_start_at", local(now - datetime.timedelta(minutes=30)))
    leader.fill("#id_end_at", local(now + datetime.timedelta(hours=3)))
    leader.fill("#id_capacity", "5")
    leader.fill("#id_signup_deadline", local(now + datetime.timedelta(hours=1)))
    leader.select_option("#id_audience", "team")
    leader.fill("#id_risk_statement", "老人行动不便，搀扶时注意安全")
    leader.fill("#id_protection", "现场有护理员指导，配备急救包")
    shot(leader, "hours-journey-01-activity-form")
    leader.get_by_role("button", name="保存草稿").click()
    leader.wait_for_load_state()
    activity = Activity.objects.get(title="湖滨社区敬老院陪伴")
    assert (activity.status, activity.organiser_id, activity.geofence_m) == ("draft", world.team.pk, 300)
    leader.goto(f"/activities/{activity.pk}/")
    leader.get_by_role("button", name="发布").click()
    leader.wait_for_load_state()
    activity.refresh_from_db()
    assert activity.status == "published"
    shot(leader, "hours-journey-02-published")

    # ---- two volunteers find it on their phones and sign up ----
    phones = {}
    for volunteer in (first, second):
        page = volunteer_page(new_page, volunteer)
        page.goto("/activities/find/")
        page.get_by_role("link", name="湖滨社区敬老院陪伴").first.click()
        page.wait_for_load_state()
        page.get_by_role("button", name="我要报名").click()
        page.wait_for_load_state()
        assert "报名成功！请准时参加。" in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        phones[volunteer.pk] = page
    shot(phones[first.pk], "hours-journey-03-signed-up-phone")
    assert activity.signups.filter(status="confirmed").count() == 2

    # ---- check-in: the leader's screen shows the rotating QR code; each phone opens what it encodes ----
    url = scan_url(leader, activity, "in")
    shot(leader, "hours-journey-04-checkin-screen")
    for volunteer in (first, second):
        text = scan(phones[volunteer.pk], url, "签到")
        assert "签到成功" in text, text
    shot(phones[first.pk], "hours-journey-05-checked-in-phone")
    attendances = Attendance.objects.filter(activity=activity).order_by("volunteer_id")
    assert [(a.status, a.in_method) for a in attendances] == [("in", "qr"), ("in", "qr")]
    assert all(a.in_distance_m is not None and a.in_distance_m < 300 for a in attendances)

    # ---- an hour and a half later: check-out the same way, and the ledger writes their hours ----
    later = timezone.now() + datetime.timedelta(minutes=90)
    with mock.patch("django.utils.timezone.now", return_value=later):
        url = scan_url(leader, activity, "out")
        for volunteer in (first, second):
            text = scan(phones[volunteer.pk], url, "签退")
            assert "签退成功" in text, text
            assert "1.50 小时" in text, text
        shot(phones[second.pk], "hours-journey-06-checked-out-phone")
        records = ServiceRecord.objects.filter(activity=activity).order_by("volunteer_id")
        assert [(r.hours, r.method, r.status, r.entered_by_other) for r in records] == [
            (Decimal("1.50"), "qr", "verified", False)
        ] * 2

        # ---- her archive shows the hours ----
        for volunteer in (first, second):
            page = phones[volunteer.pk]
            page.goto("/hours/mine/")
            text = page.locator("main").inner_text()
            assert "湖滨社区敬老院陪伴" in text
            assert "1.5" in text
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(phones[first.pk], "hours-journey-07-her-hours-phone")

        # ---- one of them has a certificate issued and downloads it ----
        page = phones[first.pk]
        page.goto("/certificates/mine/")
        page.select_option("#id_issuer", str(world.team.pk))
        page.get_by_role("button", name="出具证明").click()
        page.wait_for_load_state()
        certificate = Certificate.objects.get(volunteer=first)
        assert (certificate.status, str(certificate.total_hours)) == ("valid", "1.50")
        shot(page, "hours-journey-08-certificate-phone")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 PDF").first.click()
        path = download.value.path()
        with open(path, "rb") as fh:
            assert fh.read(5) == b"%PDF-"
        assert download.value.suggested_filename.endswith(".pdf")

    # ---- anyone can verify it on the public page ----
    public = new_page(phone=True)
    public.goto(f"/v/{certificate.short_code}/")
    text = public.locator("main").inner_text()
    assert "有效" in text
    assert certificate.number in text
    assert "郑晓岚" not in text  # the public page shows the name masked
    shot(public, "hours-journey-09-verified-public")
