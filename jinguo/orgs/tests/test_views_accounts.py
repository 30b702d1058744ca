"""Accounts and roles: who an admin sees, creating accounts, granting and revoking roles, password resets."""

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from jinguo.core.models import AuditLog
from jinguo.core.scope import get_scope
from jinguo.orgs import services
from jinguo.orgs.choices import Role
from jinguo.orgs.models import RoleAssignment

User = get_user_model()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def usernames(response) -> list[str]:
    return [u.username for u in response.context["page_obj"]]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_admin_sees_the_accounts_of_her_subtree_only(world):
    admin = client_for(world.district_admin)
    response = admin.get(reverse("orgs:account_list"))
    assert usernames(response) == ["district_admin", "district_staff", "leader"]
    leader = next(u for u in response.context["page_obj"] if u.username == "leader")
    assert [(a.role, a.node.name) for a in leader.scoped_roles] == [(Role.TEAM_LEADER, "思明区巾帼服务队")]
    assert usernames(admin.get(reverse("orgs:account_list"), {"q": "staff"})) == ["district_staff"]
    assert usernames(admin.get(reverse("orgs:account_list"), {"role": "team_leader"})) == ["leader"]
    city = client_for(world.city_admin).get(reverse("orgs:account_list"))
    assert usernames(city) == [
        "city_admin",
        "district_admin",
        "district_staff",
        "leader",
        "outsider_admin",
        "outsider_leader",
    ]


def test_phone_numbers_are_masked_in_the_list(world):
    world.leader.phone = "13905921234"
    world.leader.save()
    page = client_for(world.district_admin).get(reverse("orgs:account_list")).content.decode()
    assert "139****1234" in page
    assert "13905921234" not in page


def test_staff_volunteers_and_nobody_have_no_account_pages(world, member):
    for user in (world.district_staff, member.user, world.nobody):
        assert client_for(user).get(reverse("orgs:account_list")).status_code == 403


def test_create_account_shows_the_temporary_password_once(world):
    admin = client_for(world.district_admin)
    form = admin.get(reverse("orgs:account_create"), {"node": world.street.pk})
    assert form.context["form"].initial["node"] == world.street.pk
    assert "personal_data" not in form.context["form"].fields  # she does not hold that right herself
    response = admin.post(
        reverse("orgs:account_create"),
        {
            "username": "yundang_admin",
            "display_name": "黄晓梅",
            "phone": "13905925678",
            "role": Role.FEDERATION_ADMIN,
            "node": world.street.pk,
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    user = User.objects.get(username="yundang_admin")
    password = response.context["password"]
    assert len(password) == 10
    assert password in response.content.decode()
    assert user.check_password(password)
    assert user.must_change_password
    assert (user.display_name, user.phone) == ("黄晓梅", "13905925678")
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.role, assignment.node_id, assignment.personal_data) == (
        Role.FEDERATION_ADMIN,
        world.street.pk,
        False,
    )
    # The detail page never shows it again.
    assert password not in admin.get(reverse("orgs:account_detail", args=[user.pk])).content.decode()
    # First login: she must choose her own password before anything else.
    first = Client()
    first.force_login(user)
    assert first.get(reverse("orgs:tree"))["Location"] == reverse("password_change")


def test_create_account_errors_stay_on_the_form(world):
    admin = client_for(world.district_admin)
    data = {
        "username": "leader",
        "display_name": "重名",
        "phone": "",
        "role": Role.TEAM_LEADER,
        "node": world.subteam.pk,
    }
    response = admin.post(reverse("orgs:account_create"), data)
    assert response.context["form"].errors == {"username": ["用户名已被使用。"]}
    assert 'value="重名"' in response.content.decode()
    wrong_node = admin.post(reverse("orgs:account_create"), {**data, "username": "new_leader", "node": world.street.pk})
    assert wrong_node.context["form"].errors == {"__all__": ["队长角色只能设在队伍上。"]}
    outside = admin.post(reverse("orgs:account_create"), {**data, "username": "new_leader", "node": world.team_b.pk})
    assert "node" in outside.context["form"].errors
    assert not User.objects.filter(username="new_leader").exists()


def test_personal_data_flag_only_for_those_who_hold_it(world):
    city = client_for(world.city_admin)
    assert "personal_data" in city.get(reverse("orgs:account_create")).context["form"].fields
    response = city.post(
        reverse("orgs:account_create"),
        {
            "username": "siming_privacy",
            "display_name": "郑敏",
            "role": Role.FEDERATION_ADMIN,
            "node": world.district.pk,
            "personal_data": "on",
        },
    )
    assert response.status_code == 200
    assert RoleAssignment.objects.get(user__username="siming_privacy").personal_data is True


def test_grant_and_revoke_roles(world):
    admin = client_for(world.district_admin)
    url = reverse("orgs:account_detail", args=[world.district_staff.pk])
    response = admin.post(url, {"role": Role.TEAM_LEADER, "node": world.subteam.pk}, follow=True)
    assert messages_of(response) == ["已授予角色。"]
    assignment = RoleAssignment.objects.get(user=world.district_staff, role=Role.TEAM_LEADER)
    assert assignment.node_id == world.subteam.pk
    duplicate = admin.post(url, {"role": Role.TEAM_LEADER, "node": world.subteam.pk})
    assert duplicate.context["form"].errors == {"__all__": ["district_staff 已是「湖滨小队」的队长。"]}
    revoked = admin.post(reverse("orgs:role_revoke", args=[assignment.pk]), follow=True)
    assert messages_of(revoked) == ["已撤销 district_staff 在「湖滨小队」的队长角色。"]
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None
    world.district_staff.refresh_from_db()
    assert get_scope(world.district_staff).change_paths == ()


def test_she_cannot_revoke_her_own_admin_role(world):
    own = RoleAssignment.objects.get(user=world.district_admin)
    response = client_for(world.district_admin).post(reverse("orgs:role_revoke", args=[own.pk]), follow=True)
    assert messages_of(response) == ["不能撤销自己的管理员角色，请由上级办理。"]
    own.refresh_from_db()
    assert own.revoked_at is None


def test_password_reset_from_the_level_above(world):
    admin = client_for(world.district_admin)
    detail = admin.get(reverse("orgs:account_detail", args=[world.leader.pk]))
    assert detail.context["can_reset"]
    response = admin.post(reverse("orgs:account_password_reset", args=[world.leader.pk]))
    assert response["Cache-Control"] == "no-store"
    password = response.context["password"]
    world.leader.refresh_from_db()
    assert world.leader.check_password(password)
    assert world.leader.must_change_password
    assert AuditLog.objects.filter(action="account.password_reset", target_id=str(world.leader.pk)).count() == 1


def test_password_reset_refused_for_a_peer(world):
    peer = services.account_create(
        actor=world.city_admin,
        username="siming_second",
        display_name="第二位管理员",
        phone="",
        role=Role.FEDERATION_ADMIN,
        node=world.district,
    )[0]
    admin = client_for(world.district_admin)
    detail = admin.get(reverse("orgs:account_detail", args=[peer.pk]))
    assert not detail.context["can_reset"]
    assert "密码重置、停用须由该账号所在组织的上级办理。" in detail.content.decode()
    peer.refresh_from_db()
    old_hash = peer.password
    response = admin.post(reverse("orgs:account_password_reset", args=[peer.pk]), follow=True)
    assert messages_of(response) == ["只能由上级管理员重置密码。"]
    peer.refresh_from_db()
    assert peer.password == old_hash


def test_deactivate_and_activate(world):
    admin = client_for(world.district_admin)
    url = reverse("orgs:account_set_active", args=[world.leader.pk])
    admin.post(url, {"active": "0"})
    world.leader.refresh_from_db()
    assert not world.leader.is_active
    assert usernames(admin.get(reverse("orgs:account_list"), {"active": "0"})) == ["leader"]
    admin.post(url, {"active": "1"})
    world.leader.refresh_from_db()
    assert world.leader.is_active


def test_outsiders_cannot_touch_our_accounts(world):
    assignment = RoleAssignment.objects.get(user=world.leader)
    hash_before = User.objects.get(pk=world.leader.pk).password
    for user in (world.outsider_admin, world.outsider_leader, world.leader):
        client = client_for(user)
        assert client.get(reverse("orgs:account_detail", args=[world.district_admin.pk])).status_code == 404
        client.post(reverse("orgs:account_password_reset", args=[world.district_admin.pk]))
        client.post(reverse("orgs:account_set_active", args=[world.district_admin.pk]), {"active": "0"})
    for user in (world.outsider_admin, world.outsider_leader):
        client = client_for(user)
        assert client.post(reverse("orgs:role_revoke", args=[assignment.pk])).status_code == 404
        assert client.post(reverse("orgs:account_password_reset", args=[world.leader.pk])).status_code == 404
    assignment.refresh_from_db()
    assert assignment.revoked_at is None
    assert User.objects.get(pk=world.leader.pk).password == hash_before
    assert User.objects.get(pk=world.district_admin.pk).is_active
