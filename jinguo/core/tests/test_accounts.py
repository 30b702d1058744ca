"""Accounts: login by phone or username, argon2 in production, lock-out, session timeout, the temporary password
that must be changed, and the audit log that each admin sees for her own subtree only."""

import datetime
import importlib
import sys

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.utils import timezone

from conftest import make_user
from jinguo.core import audit
from jinguo.core.models import AuditLog, User
from jinguo.orgs import services as org_services

PASSWORD = "Passw0rd!2026"


def login(client, username, password=PASSWORD, ip="10.1.2.3"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


# ---- login ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["zhang_li", "13800138000", "138 0013 8000", "+86 138-0013-8000"])
def test_login_by_username_or_phone(db, typed):
    user = make_user("zhang_li", phone="13800138000")
    client = Client()
    response = login(client, typed)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_says_what_happens_after_five(db):
    make_user("zhang_li")
    response = login(Client(), "zhang_li", "wrong-password")
    assert response.status_code == 200
    assert "手机号（用户名）或密码不正确。连续输错 5 次，账号将被锁定 30 分钟。" in response.content.decode()


def test_deactivated_account_cannot_log_in(db):
    user = make_user("zhang_li")
    user.is_active = False
    user.save(update_fields=["is_active"])
    client = Client()
    response = login(client, "zhang_li")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# ---- argon2 in production -------------------------------------------------------------------------------------


def load_production(monkeypatch, **env):
    for key in ("SECRET_KEY", "PERSONAL_DATA_KEY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("config.settings.production", None)
    try:
        return importlib.import_module("config.settings.production")
    finally:
        sys.modules.pop("config.settings.production", None)


def test_production_refuses_to_start_without_its_secrets(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_production(monkeypatch)
    with pytest.raises(ImproperlyConfigured, match="PERSONAL_DATA_KEY"):
        load_production(monkeypatch, SECRET_KEY="x" * 50)


def test_production_hashes_passwords_with_argon2(monkeypatch, db):
    production = load_production(monkeypatch, SECRET_KEY="x" * 50, PERSONAL_DATA_KEY=settings.PERSONAL_DATA_KEY)
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert production.DEBUG is False
    assert production.SESSION_COOKIE_SECURE is True
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        encoded = make_password(PASSWORD)
        assert encoded.startswith("argon2$argon2id$")
        assert check_password(PASSWORD, encoded)
        assert not check_password("wrong", encoded)
        # A password stored with an older hasher is upgraded to argon2 at the next login.
        user = make_user("old_hash")
        User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
        assert login(Client(), "old_hash").status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$")


# ---- lock-out -------------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_from_that_address(db):
    make_user("zhang_li", phone="13800138000")
    client = Client()
    for _ in range(4):
        assert login(client, "zhang_li", "wrong").status_code == 200
    locked = login(client, "zhang_li", "wrong")
    assert locked.status_code == 429
    assert "登录失败次数过多，账号已暂时锁定" in locked.content.decode()
    # Now even the right password is refused from there ...
    response = login(client, "zhang_li")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # ... while the same person on another network is not locked out by someone guessing elsewhere.
    other = Client()
    assert login(other, "zhang_li", ip="10.9.9.9").status_code == 302


def test_four_failures_then_success_resets_the_count(db):
    make_user("zhang_li")
    client = Client()
    for _ in range(4):
        login(client, "zhang_li", "wrong")
    assert login(client, "zhang_li").status_code == 302
    client = Client()
    for _ in range(4):
        assert login(client, "zhang_li", "wrong").status_code == 200


def test_password_reset_by_the_level_above_lifts_the_lock(world):
    client = Client()
    for _ in range(5):
        login(client, "district_admin", "wrong")
    assert login(client, "district_admin").status_code == 429
    temporary = org_services.password_reset(actor=world.city_admin, user=world.district_admin)
    response = login(client, "district_admin", temporary)
    assert response.status_code == 302


# ---- session timeout ------------------------------------------------------------------------------------------


def _session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")]


def test_an_active_session_slides_on_and_an_idle_one_ends_without_a_write_per_request(db):
    """SlidingSessionMiddleware: the expiry moves with her activity, but the session row is written only when its
    last refresh is older than a tenth of the idle timeout; after 30 idle minutes the next page asks for the login."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jinguo.core.middleware import SlidingSessionMiddleware

    assert settings.SESSION_COOKIE_AGE == 1800
    assert not settings.SESSION_SAVE_EVERY_REQUEST  # Django's default: no write on every request
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    make_user("zhang_li")
    client = Client()
    login(client, "zhang_li")
    key = client.session.session_key
    stamp = SlidingSessionMiddleware.KEY

    def age_session(*, refreshed_ago: int, expires_in: int) -> None:
        """As if her last refresh was `refreshed_ago` seconds ago and the row expires in `expires_in` seconds."""
        session = client.session
        session[stamp] = int(timezone.now().timestamp()) - refreshed_ago
        session.save()
        Session.objects.filter(pk=key).update(expire_date=timezone.now() + datetime.timedelta(seconds=expires_in))

    # Refreshed two minutes ago (less than 180 s): a page is served and the session row is not touched.
    age_session(refreshed_ago=120, expires_in=1680)
    before = Session.objects.get(pk=key).expire_date
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/account/tokens/").status_code == 200
    assert _session_writes(queries.captured_queries) == []
    assert Session.objects.get(pk=key).expire_date == before

    # Refreshed four minutes ago: this request extends her session to a full 30 minutes from now, in one write.
    age_session(refreshed_ago=240, expires_in=1560)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/account/tokens/").status_code == 200
    assert len(_session_writes(queries.captured_queries)) == 1
    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)
    assert abs(client.session[stamp] - timezone.now().timestamp()) < 60
    assert client.session.session_key == key  # the same session, still logged in
    assert client.session["_auth_user_id"]

    # Idle for longer than the timeout: the session is gone and the next page asks for the login again.
    age_session(refreshed_ago=1801, expires_in=-1)
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Session.objects.filter(pk=key, expire_date__gt=timezone.now()).exists()


def test_anonymous_visitors_get_no_session_from_the_sliding_expiry(db):
    client = Client()
    assert client.get("/login/").status_code == 200
    assert Session.objects.count() == 0
    assert settings.SESSION_COOKIE_NAME not in client.cookies


# ---- a temporary password must be changed ---------------------------------------------------------------------


def test_a_temporary_password_must_be_changed_before_anything_else(world):
    temporary = org_services.password_reset(actor=world.city_admin, user=world.district_admin)
    client = Client()
    assert login(client, "district_admin", temporary).status_code == 302
    for url in ("/", "/audit/", "/account/tokens/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/password/", url
    assert client.get("/password/").status_code == 200
    response = client.post(
        "/password/",
        {"old_password": temporary, "new_password1": "Xiamen#Jinguo88", "new_password2": "Xiamen#Jinguo88"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/password/done/"
    world.district_admin.refresh_from_db()
    assert world.district_admin.must_change_password is False
    assert AuditLog.objects.filter(action="account.password_changed", actor=world.district_admin).count() == 1
    assert client.get("/account/tokens/").status_code == 200


def test_logout_is_allowed_with_a_temporary_password(world):
    temporary = org_services.password_reset(actor=world.city_admin, user=world.district_admin)
    client = Client()
    login(client, "district_admin", temporary)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


# ---- the audit log --------------------------------------------------------------------------------------------


def audit_page(user, **params):
    client = Client()
    client.force_login(user)
    return client.get("/audit/", params)


def test_admins_see_their_own_subtree_only(world):
    audit.record(world.district_admin, "test.inside", node_path=world.street.path, summary="思明区内的事")
    audit.record(world.outsider_admin, "test.outside", node_path=world.other_street.path, summary="湖里区内的事")
    audit.record(None, "test.platform", summary="平台级的事")
    inside = audit_page(world.district_admin).content.decode()
    assert "思明区内的事" in inside
    assert "湖里区内的事" not in inside
    assert "平台级的事" not in inside
    outside = audit_page(world.outsider_admin).content.decode()
    assert "湖里区内的事" in outside
    assert "思明区内的事" not in outside
    city = audit_page(world.city_admin).content.decode()
    assert "思明区内的事" in city
    assert "湖里区内的事" in city
    assert "平台级的事" not in city
    assert "平台级的事" in audit_page(world.root_user).content.decode()


def test_audit_filters(world):
    audit.record(world.district_admin, "volunteer.id_viewed", node_path=world.street.path, summary="查看完整证件号码")
    audit.record(world.district_admin, "team.filed", node_path=world.street.path, summary="准予备案")
    page = audit_page(world.district_admin, action="volunteer.").content.decode()
    assert "查看完整证件号码" in page
    assert "准予备案" not in page
    page = audit_page(world.district_admin, q="备案").content.decode()
    assert "准予备案" in page
    assert "查看完整证件号码" not in page
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    page = audit_page(world.district_admin, date_from=tomorrow.isoformat()).content.decode()
    assert "准予备案" not in page
    assert "没有符合条件的记录" in page


def test_read_only_staff_volunteers_and_nobody_get_404(world, member):
    for user in (world.district_staff, member.user, world.nobody):
        assert audit_page(user).status_code == 404
    response = Client().get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_leader_sees_his_teams_entries(world):
    audit.record(world.leader, "test.team", node_path=world.subteam.node.path, summary="小队的事")
    audit.record(world.district_admin, "test.district", node_path=world.street.path, summary="街道的事")
    page = audit_page(world.leader)
    assert page.status_code == 200
    assert "小队的事" in page.content.decode()
    assert "街道的事" not in page.content.decode()
