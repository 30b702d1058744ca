"""Her own pages on a phone (R5): profile, the volunteer card and its public check, corrections, her data as
JSON, withdrawing consent."""

import json
import re

from django.core import signing
from django.test import Client
from django.urls import reverse

from jinguo.core.models import AuditLog
from jinguo.volunteers.choices import MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Volunteer

from .ui_helpers import login

ME = reverse("volunteers:me")


def _card_path(html: str) -> str:
    match = re.search(r"/volunteers/card/([^/\"]+)/", html)
    assert match, "no card link"
    return match.group(0)


def test_me_shows_her_profile_teams_and_card(world, member):
    client = login(member.user)
    response = client.get(ME)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="jg-mobile"' in html
    assert member.name in html
    assert member.number in html
    assert member.id_number_masked in html
    assert member.decrypt_id_number() not in html
    assert "思明区巾帼服务队" in html
    assert "<svg" in html
    assert 'class="segno"' in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # CSP: no inline styles in the QR
    card = client.get(reverse("volunteers:me_card")).content.decode()
    assert member.number in card
    assert "<svg" in card


def test_me_without_a_volunteer_record(world):
    html = login(world.district_admin).get(ME).content.decode()
    assert "您的账号还没有志愿者档案" in html
    assert login(world.district_admin).get(reverse("volunteers:me_card")).status_code == 404
    assert login(world.district_admin).post(reverse("volunteers:me_export")).status_code == 404
    assert Client().get(ME).status_code == 302  # anonymous: to the login page


def test_card_check_is_public_masked_and_signed(world, member):
    html = login(member.user).get(reverse("volunteers:me_card")).content.decode()
    path = _card_path(html)
    response = Client().get(path)
    page = response.content.decode()
    assert response.status_code == 200
    masked = (
        member.name[0] + "*" * (len(member.name) - 2) + member.name[-1]
        if len(member.name) > 2
        else member.name[0] + "*"
    )
    assert masked in page
    assert member.name not in page
    assert member.number in page
    assert "在册" in page
    assert "思明区巾帼服务队" in page
    assert member.id_number_masked not in page
    assert member.phone_masked not in page
    assert member.decrypt_id_number() not in page
    # Numbers cannot be walked through: an unsigned or tampered token is a 404.
    assert Client().get(reverse("volunteers:card_check", args=[member.number])).status_code == 404
    forged = signing.Signer(salt="other").sign(member.number)
    assert Client().get(reverse("volunteers:card_check", args=[forged])).status_code == 404


def test_card_check_shows_withdrawn_status(world, member):
    path = _card_path(login(member.user).get(reverse("volunteers:me_card")).content.decode())
    login(member.user).post(reverse("volunteers:me_consent"), {"kind": "personal"})
    page = Client().get(path).content.decode()
    assert "已退出" in page
    assert "思明区巾帼服务队" not in page


def test_she_corrects_her_profile_but_not_her_name(world, member):
    client = login(member.user)
    url = reverse("volunteers:me_edit")
    html = client.get(url).content.decode()
    assert "姓名、证件号码和手机号的更正，请联系所在社区或队伍的管理员办理" in html
    assert 'name="name"' not in html
    assert 'name="id_number"' not in html
    data = {
        "home_node": world.community.pk,
        "skills": "钢琴、摄影",
        "categories": ["culture"],
        "availability": ["weekday"],
        "ethnicity": "回族",
        "address": "新地址 8 号",
        "name": "冒名",
        "id_number": "110105199001010021",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.skills, member.categories, member.ethnicity, member.address) == (
        "钢琴、摄影",
        ["culture"],
        "回族",
        "新地址 8 号",
    )
    assert member.name != "冒名"
    entry = AuditLog.objects.filter(action="volunteer.updated", target_id=str(member.pk)).get()
    assert entry.summary.startswith("本人更正：")
    bad = client.post(url, {**data, "categories": ["other"], "other_category": ""})
    assert "选择「其他」服务类别时请填写具体内容" in bad.content.decode()


def test_she_downloads_her_data(world, member):
    client = login(member.user)
    url = reverse("volunteers:me_export")
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="volunteer-{member.number}.json"'
    data = json.loads(response.content)
    assert data["志愿者编号"] == member.number
    assert data["证件号码"] == member.decrypt_id_number()
    assert data["手机号"] == member.phone
    assert [row["队伍"] for row in data["队伍"]] == ["思明区巾帼服务队"]
    assert {row["事项"] for row in data["同意记录"]} == {"个人信息处理", "敏感个人信息（身份证号码）"}
    assert AuditLog.objects.filter(action="volunteer.exported_own", actor=member.user).count() == 1


def test_withdraw_sharing_only(world, make_volunteer):
    volunteer = make_volunteer(team=world.team.node)
    volunteer.consents.create(kind="sharing", version="2026.1")
    client = login(volunteer.user)
    page = client.get(reverse("volunteers:me_consent")).content.decode()
    assert "撤回报送同意" in page
    assert "data-confirm" in page
    client.post(reverse("volunteers:me_consent"), {"kind": "sharing"})
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.ACTIVE
    assert volunteer.consents.get(kind="sharing").withdrawn_at is not None
    assert volunteer.consents.get(kind="personal").withdrawn_at is None
    assert volunteer.memberships.get().status == MembershipStatus.ACTIVE


def test_withdraw_everything_leaves_volunteering(world, member):
    client = login(member.user)
    response = client.post(reverse("volunteers:me_consent"), {"kind": "personal"}, follow=True)
    assert "已撤回全部同意" in response.content.decode()
    member.refresh_from_db()
    assert member.status == VolunteerStatus.WITHDRAWN
    assert member.memberships.get().status == MembershipStatus.LEFT
    assert not member.consents.filter(withdrawn_at__isnull=True).exclude(kind="guardian").exists()
    html = client.get(ME).content.decode()
    assert "您已退出志愿者队伍" in html
    # Nothing left to withdraw: the buttons are gone, and a forged post changes nothing.
    assert "撤回全部同意并退出" not in client.get(reverse("volunteers:me_consent")).content.decode()
    again = client.post(reverse("volunteers:me_consent"), {"kind": "personal"}, follow=True)
    assert "没有可撤回的同意" in again.content.decode()


def test_one_volunteer_never_sees_another(world, member, make_volunteer):
    other = make_volunteer(team=world.team_b.node, home=world.other_community)
    html = login(other.user).get(ME).content.decode()
    assert other.name in html
    assert member.name not in html
    assert member.number not in html
    assert Volunteer.objects.count() == 2
