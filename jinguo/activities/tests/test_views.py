"""The pages: staff create and publish (errors on their fields, input kept), the approval queue, the site load
page (R29), the roster and its export (masked phones unless the personal-data right; audited; formula-safe); on
a phone, browsing (audience, distance), the activity page, signing up with a retry, her sign-ups."""

import io
from decimal import Decimal

import openpyxl
from django.test import Client, override_settings
from django.urls import reverse

from jinguo.activities.models import Activity, SignUp
from jinguo.activities.tests.test_publishing import activity_data, day, make_published
from jinguo.activities.tests.test_signup import signup
from jinguo.core.models import AuditLog
from jinguo.orgs.models import Node


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_post(world, **overrides) -> dict:
    data = activity_data(**overrides)
    post = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, bool)}
    for key in ("start_at", "end_at", "signup_deadline"):
        post[key] = data[key].strftime("%Y-%m-%dT%H:%M")
    if data["is_risky"]:
        post["is_risky"] = "on"
    post.update({"organiser": world.team.node.pk, "shifts-TOTAL_FORMS": "2", "shifts-INITIAL_FORMS": "0"})
    return post


# ---- staff ----------------------------------------------------------------------------------------------------------


def test_the_leader_saves_a_draft_and_an_error_stays_on_its_field(world):
    client = client_for(world.leader)
    assert client.get(reverse("activities:create")).status_code == 200
    response = client.post(reverse("activities:create"), form_post(world, end_at=day(3, 8)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "结束时间应晚于开始时间" in page
    assert 'value="湖滨社区敬老院助老服务"' in page
    assert not Activity.objects.exists()
    response = client.post(reverse("activities:create"), form_post(world, risk_statement="", protection=""))
    activity = Activity.objects.get()
    assert response["Location"] == reverse("activities:detail", args=[activity.pk])
    assert activity.status == "draft"
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "发布前还需要" in page
    # Publishing without the risk statement (R7): refused with its message, still a draft.
    response = client.post(reverse("activities:publish", args=[activity.pk]), follow=True)
    assert "请说明活动可能存在的风险" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == "draft"


def test_shifts_from_the_form(world):
    client = client_for(world.leader)
    post = form_post(world)
    post.update({
        "shifts-0-name": "上午班", "shifts-0-start_at": day(3, 9).strftime("%Y-%m-%dT%H:%M"),
        "shifts-0-end_at": day(3, 10).strftime("%Y-%m-%dT%H:%M"), "shifts-0-capacity": "2",
        "shifts-1-name": "下午班", "shifts-1-start_at": day(3, 10).strftime("%Y-%m-%dT%H:%M"),
        "shifts-1-end_at": day(3, 11).strftime("%Y-%m-%dT%H:%M"), "shifts-1-capacity": "3",
    })
    client.post(reverse("activities:create"), post)
    activity = Activity.objects.get()
    assert activity.capacity == 5
    assert list(activity.shifts.values_list("name", "capacity")) == [("上午班", 2), ("下午班", 3)]
    # The edit form shows them again; a blank row stays blank.
    page = client.get(reverse("activities:edit", args=[activity.pk])).content.decode()
    assert 'value="上午班"' in page and 'value="下午班"' in page  # noqa: PT018


def test_the_outsider_admin_neither_sees_nor_edits_a_team_activity(world):
    activity = make_published(world, audience="team")
    outsider = client_for(world.outsider_admin)
    for name in ("activities:detail", "activities:edit", "activities:roster", "activities:roster_export"):
        assert outsider.get(reverse(name, args=[activity.pk])).status_code == 404, name
    assert outsider.post(reverse("activities:edit", args=[activity.pk]), form_post(world, title="改名")).status_code == 404
    assert outsider.post(reverse("activities:cancel", args=[activity.pk]), {"reason": "越权"}).status_code == 404
    assert activity.title not in outsider.get(reverse("activities:list")).content.decode()
    activity.refresh_from_db()
    assert (activity.title, activity.status) == ("湖滨社区敬老院助老服务", "published")
    # Read-only staff of the district see it, and may not change it.
    staff = client_for(world.district_staff)
    assert staff.get(reverse("activities:detail", args=[activity.pk])).status_code == 200
    assert staff.get(reverse("activities:edit", args=[activity.pk])).status_code == 403
    assert staff.post(reverse("activities:cancel", args=[activity.pk]), {"reason": "越权"}).status_code == 403
    activity.refresh_from_db()
    assert activity.status == "published"


def test_the_approval_queue_and_decisions(world):
    Node.objects.filter(pk=world.district.pk).update(requires_publish_approval=True)
    activity = make_published(world)
    admin = client_for(world.district_admin)
    page = admin.get(reverse("activities:approvals")).content.decode()
    assert activity.title in page
    assert "待上级审核" not in client_for(world.outsider_admin).get(reverse("activities:approvals")).content.decode()
    assert activity.title not in client_for(world.outsider_admin).get(reverse("activities:approvals")).content.decode()
    # The leader may not approve her own team's activity.
    client_for(world.leader).post(reverse("activities:approve", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.status == "pending"
    admin.post(reverse("activities:approve", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.status == "published"


@override_settings(SITE_DAILY_CAP=2)
def test_the_site_load_page_highlights_sites_at_the_cap(world):
    make_published(world, title="重阳敬老一", campaign="chongyang")
    make_published(world, title="重阳敬老二", campaign="chongyang", start_at=day(3, 14), end_at=day(3, 16))
    make_published(world, title="重阳义诊", campaign="chongyang", service_site="湖滨社区卫生站")
    page = client_for(world.district_admin).get(reverse("activities:site_load")).content.decode()
    assert page.count('class="table-danger"') == 1
    assert "重阳敬老一" in page and "重阳义诊" in page  # noqa: PT018
    assert "<span class=\"fw-semibold\">2</span> / 2" in page
    outsider = client_for(world.outsider_admin).get(reverse("activities:site_load")).content.decode()
    assert "重阳敬老一" not in outsider


def test_the_roster_export_masks_phones_unless_the_personal_data_right_and_is_audited(world, member):
    activity = make_published(world)
    mine = signup(member, activity)
    SignUp.objects.filter(pk=mine.pk).update(note="=HYPERLINK(\"http://x\")")

    def rows(user):
        response = client_for(user).get(reverse("activities:roster_export", args=[activity.pk]))
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        return [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]

    masked = rows(world.district_admin)
    assert masked[0][2:6] == [member.name, member.number, member.phone_masked, "已录用"]
    assert masked[0][8] == "'=HYPERLINK(\"http://x\")"
    full = rows(world.city_admin)  # holds the personal-data right
    assert full[0][4] == member.phone
    entries = list(AuditLog.objects.filter(action="activity.roster_exported").order_by("id").values_list("summary", flat=True))
    assert entries == ["导出报名名单 1 人（手机号已脱敏）", "导出报名名单 1 人（含完整手机号）"]


def test_the_roster_shows_sign_ups_by_state_and_the_leader_messages_them(world, member):
    activity = make_published(world)
    signup(member, activity)
    client = client_for(world.leader)
    page = client.get(reverse("activities:roster", args=[activity.pk])).content.decode()
    assert member.name in page
    assert member.phone_masked in page
    assert member.phone not in page
    response = client.post(reverse("activities:message", args=[activity.pk]),
                           {"statuses": ["confirmed"], "title": "", "body": "改在东门集合"})
    assert response.status_code == 200
    assert not AuditLog.objects.filter(action="activity.message_sent").exists()
    client.post(reverse("activities:message", args=[activity.pk]),
                {"statuses": ["confirmed"], "title": "集合地点", "body": "改在东门集合"})
    page = client.get(reverse("activities:roster", args=[activity.pk])).content.decode()
    assert "改在东门集合" in page  # the log of messages sent


# ---- her phone pages ------------------------------------------------------------------------------------------------


def test_browse_lists_what_she_may_join_nearest_first(world, member, make_volunteer):
    near = make_published(world, title="近处的活动", service_site="", latitude=Decimal("24.480000"),
                          longitude=Decimal("118.090000"))
    far = make_published(world, title="远处的活动", service_site="", latitude=Decimal("24.580000"),
                         longitude=Decimal("118.090000"))
    nowhere = make_published(world, title="没有坐标的活动", service_site="")
    other = make_published(world, actor=world.outsider_admin, organiser=world.other_district, title="湖里区内部活动")
    client = client_for(member.user)
    page = client.get(reverse("activities:browse"), {"lat": "24.481000", "lng": "118.090000"}).content.decode()
    assert other.title not in page
    assert page.index(near.title) < page.index(far.title) < page.index(nowhere.title)
    assert "111 米" in page
    page = client.get(reverse("activities:browse"), {"lat": "24.481000", "lng": "118.090000", "within_km": "3"})
    text = page.content.decode()
    assert near.title in text and far.title not in text and nowhere.title in text  # noqa: PT018
    # A staff member without a volunteer record is told how to become one.
    assert "请先注册为志愿者" in client_for(world.district_admin).get(reverse("activities:browse")).content.decode()


def test_she_signs_up_on_the_activity_page_and_a_retry_creates_nothing_more(world, member):
    activity = make_published(world)
    client = client_for(member.user)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "我要报名" in page
    post = {"shift": activity.shifts.get().pk, "idempotency_key": "0f2e"}
    assert client.post(reverse("activities:signup", args=[activity.pk]), post).status_code == 302
    assert client.post(reverse("activities:signup", args=[activity.pk]), post).status_code == 302
    assert SignUp.objects.filter(volunteer=member).count() == 1
    page = client.get(reverse("activities:my_signups")).content.decode()
    assert activity.title in page
    assert "取消报名" in page
    mine = SignUp.objects.get()
    client.post(reverse("activities:my_cancel", args=[mine.pk]), {"next": "mine"})
    mine.refresh_from_db()
    assert mine.status == "cancelled"


def test_a_volunteer_outside_the_audience_can_neither_see_nor_sign_up(world, make_volunteer):
    activity = make_published(world, audience="team")
    stranger = make_volunteer(team=world.team_b.node, home=world.other_community)
    client = client_for(stranger.user)
    assert client.get(reverse("activities:detail", args=[activity.pk])).status_code == 404
    response = client.post(reverse("activities:signup", args=[activity.pk]), {"shift": activity.shifts.get().pk})
    assert response.status_code == 404
    assert activity.title not in client.get(reverse("activities:browse")).content.decode()
    assert not SignUp.objects.exists()


def test_someone_elses_sign_up_cannot_be_cancelled_through_her_page(world, member, make_volunteer):
    activity = make_published(world)
    mine = signup(member, activity)
    other = make_volunteer(team=world.team.node)
    assert client_for(other.user).post(reverse("activities:my_cancel", args=[mine.pk])).status_code == 404
    mine.refresh_from_db()
    assert mine.status == "confirmed"


def test_the_volunteer_pages_use_the_phone_layout(world, member):
    activity = make_published(world)
    client = client_for(member.user)
    for url in (reverse("activities:browse"), reverse("activities:my_signups"),
                reverse("activities:detail", args=[activity.pk])):
        assert 'class="jg-mobile"' in client.get(url).content.decode(), url


def test_a_volunteer_who_signed_up_does_not_get_the_staff_pages(world, member, make_volunteer):
    activity = make_published(world)
    mine = signup(member, activity)
    signup(make_volunteer(team=world.team.node), activity)
    client = client_for(member.user)
    for name in ("activities:roster", "activities:roster_export", "activities:cover", "activities:edit"):
        assert client.get(reverse(name, args=[activity.pk])).status_code == 404, name
    for name in ("activities:signup_approve", "activities:signup_no_show", "activities:signup_remove"):
        assert client.post(reverse(name, args=[mine.pk]), {"reason": "自己"}).status_code == 404, name
    assert client.post(reverse("activities:cancel", args=[activity.pk]), {"reason": "自己"}).status_code == 404
    mine.refresh_from_db()
    activity.refresh_from_db()
    assert (mine.status, mine.no_show, activity.status) == ("confirmed", False, "published")
