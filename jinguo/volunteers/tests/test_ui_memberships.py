"""Team rosters and memberships: apply, approve or reject with a reason, add by number and phone, remove with a
reason, backbone flag, leave; owner, read-only staff and outsiders."""

import pytest
from django.urls import reverse

from jinguo.orgs.selectors import subtree_counts
from jinguo.volunteers import services
from jinguo.volunteers.choices import MembershipStatus
from jinguo.volunteers.models import Membership

from .ui_helpers import login


def _roster(team, tab="members"):
    return reverse("volunteers:team_roster", args=[team.pk]) + f"?tab={tab}"


@pytest.fixture
def applicant(world, make_volunteer):
    volunteer = make_volunteer(phone="13855550001")
    response = login(volunteer.user).post(reverse("volunteers:team_apply", args=[world.team.node.pk]))
    assert response.status_code == 302
    return volunteer


def test_she_applies_from_team_search(world, make_volunteer):
    volunteer = make_volunteer(phone="13855550002")
    client = login(volunteer.user)
    html = client.get(reverse("volunteers:team_search"), {"q": "思明"}).content.decode()
    assert "思明区巾帼服务队" in html
    assert "湖里区巾帼服务队" not in html
    assert "申请加入" in html
    next_url = reverse("volunteers:team_search") + "?q=%E6%80%9D%E6%98%8E"
    response = client.post(reverse("volunteers:team_apply", args=[world.team.node.pk]), {"next": next_url})
    assert response.url == next_url
    membership = Membership.objects.get(volunteer=volunteer)
    assert (membership.team, membership.status) == (world.team.node, MembershipStatus.APPLIED)
    assert "已申请，等待审核" in client.get(next_url).content.decode()
    # Applying twice is refused with the service's message and creates nothing.
    again = client.post(reverse("volunteers:team_apply", args=[world.team.node.pk]), follow=True)
    assert "已提交申请" in again.content.decode()
    assert Membership.objects.filter(volunteer=volunteer).count() == 1


def test_team_search_filters(world):
    client = login(world.nobody)
    html = client.get(reverse("volunteers:team_search"), {"category": "legal"}).content.decode()
    assert "思明区巾帼服务队" in html
    assert "湖里区巾帼服务队" in html
    html = client.get(reverse("volunteers:team_search"), {"category": "green"}).content.decode()
    assert "思明区巾帼服务队" not in html
    assert "没有找到符合条件的队伍" in html
    html = client.get(reverse("volunteers:team_search"), {"region": world.other_district.pk}).content.decode()
    assert "湖里区巾帼服务队" in html
    assert "思明区巾帼服务队" not in html
    assert "/apply/" not in html  # not a volunteer: she can look, not apply
    assert "需要先注册或确认志愿者身份" in html


def test_withdrawn_volunteer_cannot_apply(world, make_volunteer):
    volunteer = make_volunteer()
    services.consent_withdraw(actor=volunteer.user, volunteer=volunteer, kind="personal")
    client = login(volunteer.user)
    html = client.get(reverse("volunteers:team_search")).content.decode()
    assert "/apply/" not in html
    assert "暂不能申请加入队伍" in html
    response = client.post(reverse("volunteers:team_apply", args=[world.team.node.pk]), follow=True)
    assert "不能加入队伍" in response.content.decode()
    assert not Membership.objects.filter(volunteer=volunteer).exists()


def test_leader_approves_an_application(world, applicant):
    client = login(world.leader)
    html = client.get(_roster(world.team.node, "applications")).content.decode()
    assert applicant.name in html
    assert "同意" in html
    membership = Membership.objects.get(volunteer=applicant)
    assert client.post(reverse("volunteers:membership_approve", args=[membership.pk])).status_code == 302
    membership.refresh_from_db()
    assert (membership.status, membership.decided_by) == (MembershipStatus.ACTIVE, world.leader)
    assert subtree_counts(world.team.node)["members"] == 1
    assert applicant.name in client.get(_roster(world.team.node)).content.decode()


def test_reject_needs_a_reason(world, applicant):
    client = login(world.leader)
    membership = Membership.objects.get(volunteer=applicant)
    url = reverse("volunteers:membership_reject", args=[membership.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "请填写不通过的原因" in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.APPLIED
    client.post(url, {"reason": "本队暂不招募"})
    membership.refresh_from_db()
    assert (membership.status, membership.note) == (MembershipStatus.REJECTED, "本队暂不招募")
    assert "本队暂不招募" in client.get(_roster(world.team.node, "history")).content.decode()


def test_read_only_staff_and_outsiders_cannot_decide(world, applicant):
    membership = Membership.objects.get(volunteer=applicant)
    staff = login(world.district_staff)
    html = staff.get(_roster(world.team.node, "applications")).content.decode()
    assert applicant.name in html
    assert "membership_approve" not in html
    assert "/approve/" not in html
    assert staff.post(reverse("volunteers:membership_approve", args=[membership.pk])).status_code == 403
    for user in (world.outsider_admin, world.outsider_leader):
        client = login(user)
        assert client.get(_roster(world.team.node)).status_code == 404
        assert client.post(reverse("volunteers:membership_approve", args=[membership.pk])).status_code == 404
        assert (
            client.post(reverse("volunteers:membership_reject", args=[membership.pk]), {"reason": "x"}).status_code
            == 404
        )
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.APPLIED


def test_add_by_number_and_phone(world, make_volunteer):
    volunteer = make_volunteer(phone="13855550003")
    client = login(world.leader)
    url = reverse("volunteers:roster_add", args=[world.subteam.node.pk])
    wrong = client.post(url, {"volunteer_number": volunteer.number, "phone": "13855550009"}, follow=True)
    assert "志愿者编号与手机号不匹配" in wrong.content.decode()
    assert not Membership.objects.filter(volunteer=volunteer).exists()
    client.post(url, {"volunteer_number": volunteer.number.lower(), "phone": "138 5555 0003"})
    membership = Membership.objects.get(volunteer=volunteer)
    assert (membership.team, membership.status) == (world.subteam.node, MembershipStatus.ACTIVE)
    assert (
        login(world.district_staff)
        .post(url, {"volunteer_number": volunteer.number, "phone": volunteer.phone})
        .status_code
        == 403
    )
    assert (
        login(world.outsider_leader)
        .post(url, {"volunteer_number": volunteer.number, "phone": volunteer.phone})
        .status_code
        == 404
    )
    assert Membership.objects.filter(volunteer=volunteer).count() == 1


def test_remove_with_reason_and_history(world, member):
    client = login(world.leader)
    membership = member.memberships.get()
    url = reverse("volunteers:membership_remove", args=[membership.pk])
    client.post(url, {"reason": ""})
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert login(world.outsider_leader).post(url, {"reason": "越权"}).status_code == 404
    assert login(world.district_staff).post(url, {"reason": "只读"}).status_code == 403
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    client.post(url, {"reason": "长期不参加活动"})
    membership.refresh_from_db()
    assert (membership.status, membership.note) == (MembershipStatus.REMOVED, "长期不参加活动")
    html = client.get(_roster(world.team.node, "history")).content.decode()
    assert member.name in html
    assert "已移出" in html
    assert "长期不参加活动" in html
    assert member.name not in client.get(_roster(world.team.node)).content.decode().split("<tbody>")[1]


def test_backbone_flag(world, member):
    membership = member.memberships.get()
    client = login(world.leader)
    client.post(reverse("volunteers:membership_backbone", args=[membership.pk]), {"backbone": "1"})
    membership.refresh_from_db()
    assert membership.is_backbone is True
    assert "取消骨干" in client.get(_roster(world.team.node)).content.decode()
    assert (
        login(world.district_staff)
        .post(reverse("volunteers:membership_backbone", args=[membership.pk]), {"backbone": "0"})
        .status_code
        == 403
    )
    membership.refresh_from_db()
    assert membership.is_backbone is True


def test_roster_masks_and_links_to_registration(world, member):
    html = login(world.leader).get(_roster(world.team.node)).content.decode()
    assert member.phone_masked in html
    assert member.phone not in html
    assert f"{reverse('volunteers:create')}?team={world.team.node.pk}" in html
    assert "湖滨小队" in html  # sub-team link


def test_leave_a_team(world, member, make_volunteer):
    membership = member.memberships.get()
    other = make_volunteer()
    assert login(other.user).post(reverse("volunteers:membership_leave", args=[membership.pk])).status_code == 404
    # A leader who may see the membership still cannot leave it for her.
    assert login(world.leader).post(reverse("volunteers:membership_leave", args=[membership.pk])).status_code == 403
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    response = login(member.user).post(reverse("volunteers:membership_leave", args=[membership.pk]))
    assert response.url == reverse("volunteers:me")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LEFT


def test_roster_of_a_team_only(world):
    assert (
        login(world.district_admin).get(reverse("volunteers:team_roster", args=[world.district.pk])).status_code == 404
    )
