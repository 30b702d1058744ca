"""The check-in pages: her scan page on a phone (login, scan pass, position), the numeric code, the leader's screen and
roster, confirmations and declared hours; outsiders get 404 and change nothing."""

import datetime
import re
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jinguo.activities import qr
from jinguo.activities.models import Attendance, HoursDeclaration
from jinguo.hours.models import ServiceRecord

from .test_checkin_services import FAR, NEAR, make_activity, scan_in_earlier, sign_up, travel


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def scan_url(activity, purpose=qr.IN, window=None) -> str:
    return reverse("activities:checkin_scan", args=[qr.make_token(activity.pk, purpose, window)])


def proof_of(html: str) -> str:
    match = re.search(r'name="proof" value="([^"]+)"', html)
    assert match, "no scan pass on the page"
    return match.group(1).replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")


# ---- her scan page ----------------------------------------------------------------------------------------------


def test_a_scan_while_logged_out_goes_to_the_login_page_and_back(world, member):
    activity = make_activity(world)
    url = scan_url(activity)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


def test_the_scan_page_on_her_phone_checks_her_in_once(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    client = login(member.user)
    response = client.get(scan_url(activity))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert 'class="jg-mobile"' in html
    assert "确认签到" in html
    assert "<form method=\"post\" data-geo" not in html  # no geofence: no position asked
    assert "style=" not in html.split('<main', 1)[1]  # strict CSP: no inline styles
    proof = proof_of(html)
    assert proof.startswith("p:")

    done = client.post(scan_url(activity), {"proof": proof})
    page = done.content.decode()
    assert done.status_code == 200
    assert "签到成功" in page
    attendance = Attendance.objects.get()
    assert (attendance.volunteer, attendance.in_method, attendance.status) == (member, "qr", "in")

    again = client.post(scan_url(activity), {"proof": proof})
    assert "已签到" in again.content.decode()
    assert Attendance.objects.count() == 1


def test_the_scan_pass_lets_her_finish_after_the_token_has_expired(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    client = login(member.user)
    old_url = scan_url(activity, window=qr.window_now() - 1)
    proof = proof_of(client.get(old_url).content.decode())
    expired_url = scan_url(activity, window=qr.window_now() - 5)
    response = client.post(expired_url, {"proof": proof})
    assert response.status_code == 200
    assert Attendance.objects.count() == 1


def test_expired_and_forged_codes_show_a_clear_page(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    client = login(member.user)
    expired = client.get(scan_url(activity, window=qr.window_now() - 3))
    assert expired.status_code == 400
    assert "二维码已过期，请重新扫描队长屏幕上最新的二维码。" in expired.content.decode()
    token = qr.make_token(activity.pk, qr.IN)
    forged = client.get(reverse("activities:checkin_scan", args=[token[:-2] + "xx"]))
    assert forged.status_code == 400
    assert "二维码无效" in forged.content.decode()
    assert client.post(scan_url(activity), {"proof": "p:forged"}).status_code == 400
    assert not Attendance.objects.exists()


def test_outsiders_scanning_our_code_see_nothing(world, member, make_volunteer):
    activity = make_activity(world)
    sign_up(activity, member)
    stranger = make_volunteer(team=world.team_b.node, home=world.other_community)
    for user in (stranger.user, world.outsider_admin, world.outsider_leader):
        client = login(user)
        response = client.get(scan_url(activity))
        assert response.status_code == 404
        assert activity.title not in response.content.decode()
        assert client.post(scan_url(activity), {"proof": qr.make_token(activity.pk, qr.IN)}).status_code == 404
    assert not Attendance.objects.exists()


def test_a_staff_account_without_a_volunteer_record_is_told_to_use_the_roster(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    response = login(world.leader).get(scan_url(activity))
    assert response.status_code == 200
    assert "没有志愿者档案" in response.content.decode()
    assert login(world.leader).post(scan_url(activity), {"proof": qr.make_token(activity.pk, qr.IN)}).status_code == 200
    assert not Attendance.objects.exists()


def test_geofence_on_the_page_inside_outside_and_without_position(world, member, make_volunteer):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    client = login(member.user)
    html = client.get(scan_url(activity)).content.decode()
    assert '<form method="post" data-geo>' in html
    assert "js/checkin.js" in html
    assert "300 米范围内" in html
    proof = proof_of(html)

    far = client.post(scan_url(activity), {"proof": proof, "latitude": str(FAR[0]), "longitude": str(FAR[1])})
    assert far.status_code == 400
    assert "超出签到范围（300 米）" in far.content.decode()
    assert not Attendance.objects.exists()

    near = client.post(scan_url(activity), {"proof": proof, "latitude": str(NEAR[0]), "longitude": str(NEAR[1])})
    assert "签到成功" in near.content.decode()
    assert Attendance.objects.get().in_distance_m == 100

    other = make_volunteer(team=world.team.node)
    sign_up(activity, other)
    other_client = login(other.user)
    blind = other_client.post(scan_url(activity), {"proof": proof_of(other_client.get(scan_url(activity)).content.decode()),
                                                   "geo_error": "1"})
    page = blind.content.decode()
    assert "未获取位置，请队长确认" in page
    assert Attendance.objects.get(volunteer=other).status == "review"


def test_an_overlapping_check_out_shows_the_reason_on_her_phone(world, member):
    from jinguo.hours import ledger

    activity = make_activity(world)
    sign_up(activity, member)
    scan_in_earlier(activity, member, minutes_ago=90)
    start = timezone.now() - datetime.timedelta(minutes=60)
    ledger.record_create(volunteer=member, organiser=world.district, start_at=start,
                         end_at=start + datetime.timedelta(hours=1), method="roster", actor=world.district_admin)
    client = login(member.user)
    url = scan_url(activity, qr.OUT)
    response = client.post(url, {"proof": proof_of(client.get(url).content.decode())})
    page = response.content.decode()
    assert response.status_code == 400
    assert "已有服务记录（思明区妇联），同一时间不能有两条记录。本次签退未记录，仍为已签到状态。" in page
    assert Attendance.objects.get().status == "in"
    assert ServiceRecord.objects.count() == 1


# ---- the numeric code ----------------------------------------------------------------------------------------


def test_the_numeric_code_page(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    client = login(member.user)
    page = client.get(reverse("activities:checkin_code")).content.decode()
    assert activity.title in page
    assert 'inputmode="numeric"' in page
    wrong = "000000" if qr.numeric_code(activity.pk, qr.IN) != "000000" else "111111"
    response = client.post(reverse("activities:checkin_code"), {"code": wrong})
    assert "签到码不正确或已过期" in response.content.decode()
    assert not Attendance.objects.exists()
    response = client.post(reverse("activities:checkin_code"), {"code": qr.numeric_code(activity.pk, qr.IN)})
    assert "签到成功" in response.content.decode()
    attendance = Attendance.objects.get()
    assert attendance.in_method == "code"


def test_too_many_wrong_codes_lock_the_page_for_a_while(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    client = login(member.user)
    right = qr.numeric_code(activity.pk, qr.IN)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(10):
        client.post(reverse("activities:checkin_code"), {"code": wrong})
    response = client.post(reverse("activities:checkin_code"), {"code": right})
    assert "输错次数过多" in response.content.decode()
    assert not Attendance.objects.exists()


def test_the_code_page_without_an_open_activity_says_so(world, member):
    page = login(member.user).get(reverse("activities:checkin_code")).content.decode()
    assert "您现在没有可以签到或签退的活动" in page
    assert "没有志愿者档案" in login(world.leader).get(reverse("activities:checkin_code")).content.decode()


# ---- the leader's screen and roster ------------------------------------------------------------------------------


def test_the_leader_s_screen_shows_a_fresh_qr_code_and_the_code(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    client = login(world.leader)
    response = client.get(reverse("activities:checkin_screen", args=[activity.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="segno"' in html
    assert qr.numeric_code(activity.pk, qr.IN) in html
    assert 'hx-trigger="every 20s"' in html
    assert "/activities/checkin/scan/" in html
    out = client.get(reverse("activities:checkin_screen", args=[activity.pk]) + "?purpose=out").content.decode()
    assert qr.numeric_code(activity.pk, qr.OUT) in out
    part = client.get(reverse("activities:checkin_screen_qr", args=[activity.pk]))
    assert part["Cache-Control"] == "no-store"
    assert "<html" not in part.content.decode()
    # the URL on the screen is the one her phone opens
    url = re.search(r'data-scan-url>([^<]+)<', html).group(1)
    assert login(member.user).get(url.replace("http://testserver", "")).status_code == 200


def test_only_the_organiser_s_people_open_the_screen(world, member):
    activity = make_activity(world)
    for user in (world.outsider_leader, world.outsider_admin, world.district_staff, member.user):
        assert login(user).get(reverse("activities:checkin_screen", args=[activity.pk])).status_code == 404
    assert login(world.district_admin).get(reverse("activities:checkin_screen", args=[activity.pk])).status_code == 200


def test_roster_check_in_and_out_at_the_shift_times(world, member, make_volunteer):
    activity = make_activity(world)
    shift = activity.shifts.get()
    sign_up(activity, member)
    second = make_volunteer(team=world.team.node)
    sign_up(activity, second)
    client = login(world.leader)
    page = client.get(reverse("activities:checkin_roster", args=[activity.pk])).content.decode()
    assert member.name in page
    assert member.phone not in page  # masked
    assert member.phone_masked in page
    action = reverse("activities:checkin_roster_action", args=[activity.pk])
    response = client.post(action, {"shift": shift.pk, "volunteer": [member.pk, second.pk], "action": "in_shift"},
                           follow=True)
    assert "按班次开始时间签到：已为 2 人办理。" in response.content.decode()
    assert set(Attendance.objects.values_list("in_method", "recorded_by")) == {("roster", world.leader.pk)}
    client.post(action, {"shift": shift.pk, "volunteer": [member.pk], "action": "out_now"})
    record = ServiceRecord.objects.get()
    assert (record.volunteer, record.entered_by_other, record.hours) == (member, True, Decimal("2.00"))


def test_outsiders_cannot_use_the_roster_and_nothing_changes(world, member):
    activity = make_activity(world)
    shift = activity.shifts.get()
    sign_up(activity, member)
    action = reverse("activities:checkin_roster_action", args=[activity.pk])
    for user in (world.outsider_leader, world.outsider_admin, world.district_staff, member.user):
        response = login(user).post(action, {"shift": shift.pk, "volunteer": [member.pk], "action": "in_shift"})
        assert response.status_code == 404
    assert not Attendance.objects.exists()
    # read-only staff of the district see the roster, without the buttons
    page = login(world.district_staff).get(reverse("activities:checkin_roster", args=[activity.pk])).content.decode()
    assert member.name in page
    assert 'value="in_now"' not in page


def test_the_leader_confirms_a_check_in_without_position_from_the_roster(world, member):
    activity = make_activity(world, geofence=300)
    sign_up(activity, member)
    blind = scan_in_earlier(activity, member).attendance
    page = login(world.leader).get(reverse("activities:checkin_roster", args=[activity.pk])).content.decode()
    assert "未获取位置，请队长确认" in page
    assert login(world.outsider_leader).post(
        reverse("activities:checkin_attendance_confirm", args=[blind.pk])).status_code == 404
    assert Attendance.objects.get().status == "review"
    login(world.leader).post(reverse("activities:checkin_attendance_confirm", args=[blind.pk]))
    assert Attendance.objects.get().status == "in"


def test_declared_hours_from_her_phone_to_the_leader_s_approval(world, member, make_volunteer):
    now = timezone.now()
    activity = make_activity(world, start=now - datetime.timedelta(hours=4), end=now - datetime.timedelta(hours=1))
    sign_up(activity, member)
    signup = member.signups.get()
    url = reverse("activities:checkin_declare", args=[signup.pk])
    friend = make_volunteer(team=world.team.node)
    assert login(friend.user).get(url).status_code == 404
    client = login(member.user)
    page = client.get(url).content.decode()
    assert "申报服务时长" in page
    start = timezone.localtime(activity.start_at + datetime.timedelta(minutes=30))
    end = timezone.localtime(activity.end_at)
    bad = client.post(url, {"start_at": f"{end:%Y-%m-%dT%H:%M}", "end_at": f"{start:%Y-%m-%dT%H:%M}", "note": "忘记签到"})
    assert "结束时间应晚于开始时间" in bad.content.decode()
    assert f'value="{end:%Y-%m-%dT%H:%M}"' in bad.content.decode()  # her input is kept
    client.post(url, {"start_at": f"{start:%Y-%m-%dT%H:%M}", "end_at": f"{end:%Y-%m-%dT%H:%M}", "note": "手机没电，忘记签到"})
    declaration = HoursDeclaration.objects.get()
    roster = login(world.leader).get(reverse("activities:checkin_roster", args=[activity.pk])).content.decode()
    assert "手机没电，忘记签到" in roster
    approve = reverse("activities:checkin_declaration_approve", args=[declaration.pk])
    assert login(world.outsider_leader).post(approve).status_code == 404
    assert not ServiceRecord.objects.exists()
    login(world.leader).post(approve)
    record = ServiceRecord.objects.get()
    assert (record.method, record.entered_by_other, record.hours) == ("declared", True, Decimal("2.50"))


def test_the_panel_on_the_activity_page_shows_her_status(world, member):
    activity = make_activity(world)
    sign_up(activity, member)
    with travel(timezone.now() - datetime.timedelta(minutes=30)):
        scan_in_earlier(activity, member, minutes_ago=0)
    part = login(member.user).get(reverse("activities:checkin_mine", args=[activity.pk])).content.decode()
    assert "已签到" in part
    assert "扫码签到" in part
