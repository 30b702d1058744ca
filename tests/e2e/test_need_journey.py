"""An elderly resident's need from posting to evaluation, end to end in headless Chromium (issue 4, section 6).

庞阿婆 posts a need on a phone-sized page (three large steps, an SMS code proves her phone); the staff of her
community (湖滨社区) accept it and dispatch it to the community's volunteer team; its leader accepts in his inbox; a
member of the team opens the need on her phone, checks in (the browser gives her position) and, two hours later,
checks out; the leader submits the close-out report with a photo; 庞阿婆 rates the service on her phone with her
tracking code. The service record is in the ledger and the evaluation is stored.

Hours need time to pass: after the check-in the test moves Django's clock (`django.utils.timezone.now`, shared with
the live server thread) two hours on; sessions get a long idle timeout so that nobody is logged out by the jump.
"""

import datetime
import io
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image

from jinguo.core.sms import MemorySmsBackend
from jinguo.demands.models import Assignment, Evaluation, Need, ProviderStats
from jinguo.demands.stats import rebuild_provider_stats
from jinguo.hours.models import ServiceRecord
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_NUMBER = "13855551234"
NEAR_HOME = {"latitude": 24.4800, "longitude": 118.0900}
TEAM_DATA = {
    "unit_name": "湖滨社区妇联", "level": "community", "founded_on": datetime.date(2020, 3, 5), "leader_name": "许海燕",
    "leader_position": "队长", "leader_phone": "13905920011", "service_categories": ["care"],
    "service_times": ["weekday", "weekend"],
}


def fits_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def photo_file() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (230, 200, 210)).save(buffer, "JPEG")
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_need_from_posting_to_evaluation(new_page, world, make_volunteer, settings):
    settings.SESSION_COOKIE_AGE = 6 * 3600  # the clock jumps two hours below
    User = get_user_model()
    staff = User.objects.create_user(username="hubin_staff", password="Passw0rd!2026", display_name="湖滨社区妇联")
    org_services.role_grant(actor=world.root_user, user=staff, role=Role.FEDERATION_ADMIN, node=world.community)
    # The community's own team, filed (the dispatch recommender offers filed teams only).
    team = org_services.team_create(actor=world.root_user, parent=world.community, name="湖滨社区巾帼志愿服务队",
                                    data=TEAM_DATA, tier=2)
    org_services.team_submit(actor=world.root_user, team=team)
    org_services.team_file(actor=world.root_user, team=team)
    team_leader = User.objects.create_user(username="hubin_leader", password="Passw0rd!2026", display_name="许海燕")
    org_services.role_grant(actor=world.root_user, user=team_leader, role=Role.TEAM_LEADER, node=team.node)
    helper = make_volunteer(team=team.node, name="蒋丽华", phone="13855550077")

    # ---- 1. 庞阿婆 posts her need on her phone: the category tile, a few words, her phone proved by an SMS code ----
    resident = new_page(phone=True)
    resident.goto(f"/demands/help/?c={world.community.pk}")
    assert fits_phone(resident)
    shot(resident, "need-journey-01-resident-home-phone")
    resident.locator("a.jg-tile[href*='/help/care/']").click()
    resident.wait_for_load_state()
    resident.fill("#id_description", "我一个人住，腿脚不便，想请人来帮忙打扫一下屋子，陪我说说话")
    resident.fill("#id_address", "湖滨南路 66 号 2 单元 301 室")
    resident.fill("#id_requester_name", "庞阿婆")
    resident.fill("#id_requester_phone", PHONE_NUMBER)
    resident.get_by_role("button", name="获取验证码").click()
    resident.wait_for_load_state()
    sent = [text for phone, text in MemorySmsBackend.outbox if phone == PHONE_NUMBER]
    assert sent, "no SMS code was sent"
    resident.fill("#id_code", re.search(r"\d{6}", sent[-1]).group())
    shot(resident, "need-journey-02-resident-form-phone")
    resident.get_by_role("button", name="提交", exact=True).click()
    resident.wait_for_load_state()
    assert "提交成功" in resident.locator("main").inner_text()
    tracking_code = resident.locator(".jg-code").inner_text().strip()
    need = Need.objects.get(tracking_code=tracking_code)
    assert (need.status, need.requester_phone, need.node_id) == ("submitted", PHONE_NUMBER, world.community.pk)
    shot(resident, "need-journey-03-resident-done-phone")

    # ---- 2. the community's staff accept it (R8) and dispatch it to the community's team ----
    office = new_page()
    login(office, "hubin_staff")
    office.goto(f"/demands/needs/{need.pk}/")
    office.locator("input[name=decision][value=accept]").check()
    office.fill("#id_public_summary", "独居老人需要上门打扫和陪伴")
    office.get_by_role("button", name="提交审核结果").click()
    office.wait_for_load_state()
    need.refresh_from_db()
    assert need.status == "open"
    office.goto(f"/demands/dispatch/need/{need.pk}/?kind=team")
    shot(office, "need-journey-04-dispatch")
    row = office.locator(".list-group-item", has_text="湖滨社区巾帼志愿服务队")
    row.get_by_role("button", name="派单").click()
    office.wait_for_load_state()
    need.refresh_from_db()
    assert need.status == "dispatched"

    # ---- 3. the team's leader accepts in his inbox ----
    leader = new_page()
    login(leader, "hubin_leader")
    leader.goto("/demands/inbox/")
    leader.get_by_role("button", name="接单").first.click()
    leader.wait_for_load_state()
    need.refresh_from_db()
    assert need.status == "accepted"
    assignment = Assignment.objects.get(need=need, status="accepted")
    assert assignment.team_id == team.node.pk

    # ---- 4. 蒋丽华 opens the need on her phone and checks in (her position granted) ----
    volunteer = new_page(phone=True)
    volunteer.context.grant_permissions(["geolocation"])
    volunteer.context.set_geolocation(NEAR_HOME)
    login(volunteer, helper.user.username)
    volunteer.goto("/demands/serve/")
    volunteer.get_by_role("link", name=re.compile("巾帼爱心帮扶")).first.click()
    volunteer.wait_for_load_state()
    text = volunteer.locator("main").inner_text()
    assert "湖滨南路 66 号 2 单元 301 室" in text  # she serves it: she sees where to go (R23)
    assert PHONE_NUMBER in text
    assert fits_phone(volunteer)
    with volunteer.expect_navigation(url=re.compile(r"/demands/serve/\d+/$")):  # waits for the position, submits
        volunteer.get_by_role("button", name="签到").click()
    assert "签到成功" in volunteer.locator("main").inner_text()
    need.refresh_from_db()
    assert need.status == "in_service"
    delivery = need.deliveries.get()
    assert (delivery.in_latitude, delivery.in_longitude) == (Decimal("24.480000"), Decimal("118.090000"))
    shot(volunteer, "need-journey-05-checked-in-phone")

    # ---- 5. two hours later: she checks out, the ledger writes her hours; the leader closes the need out ----
    later = timezone.now() + datetime.timedelta(hours=2, minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        volunteer.reload()
        with volunteer.expect_navigation(url=re.compile(r"/demands/serve/\d+/$")):
            volunteer.get_by_role("button", name="签退").click()
        text = volunteer.locator("main").inner_text()
        assert "签退成功，本次服务 2.00 小时" in text, text
        shot(volunteer, "need-journey-06-checked-out-phone")

        leader.goto(f"/demands/serve/{need.pk}/team/")
        assert "蒋丽华" in leader.locator("main").inner_text()
        shot(leader, "need-journey-07-leader-list")
        leader.get_by_role("link", name="结案报告").click()
        leader.wait_for_load_state()
        leader.fill("#id_summary", "打扫了客厅和厨房，陪阿婆聊天一小时，阿婆精神很好")
        leader.set_input_files("#id_photos", [photo_file()])
        leader.get_by_role("button", name="提交结案报告").click()
        leader.wait_for_load_state()
        assert "结案报告已提交" in leader.locator("main").inner_text()
        assert leader.locator("main img").count() == 1
        shot(leader, "need-journey-08-closeout")
        need.refresh_from_db()
        assert need.status == "delivered"

        # ---- 6. 庞阿婆 rates the service on her phone: code and phone, then five big star tiles ----
        resident.goto(f"/demands/rate/?code={tracking_code}")
        resident.fill("#id_phone", PHONE_NUMBER)
        resident.get_by_role("button", name="下一步").click()
        resident.wait_for_load_state()
        assert fits_phone(resident)
        resident.locator("label", has_text="5 星").click()
        resident.fill("#id_comment", "小蒋很细心，谢谢你们")
        shot(resident, "need-journey-09-rate-phone")
        resident.get_by_role("button", name="提交评价").click()
        resident.wait_for_load_state()
        assert "谢谢您的评价" in resident.locator("main").inner_text()
        shot(resident, "need-journey-10-rated-phone")

    # ---- the ledger holds her service record, and the evaluation is stored ----
    record = ServiceRecord.objects.get(volunteer=helper)
    assert (record.organiser_id, record.hours, record.status, record.entered_by_other) == (
        team.node.pk, Decimal("2.00"), "verified", False
    )
    assert need.number in record.content
    delivery.refresh_from_db()
    assert delivery.record_id == record.pk
    evaluation = Evaluation.objects.get(need=need)
    assert (evaluation.rating, evaluation.comment, evaluation.by_requester) == (5, "小蒋很细心，谢谢你们", True)
    need.refresh_from_db()
    assert need.status == "evaluated"
    assignment.refresh_from_db()
    assert assignment.status == "completed"
    # The team's figures (what the recommender reads) moved with the facts.
    figures = ProviderStats.objects.get(team=team.node)
    assert (figures.open_count, figures.done_count, figures.rating_sum, figures.rating_count) == (0, 1, 5, 1)
    assert rebuild_provider_stats(fix=False) == []
