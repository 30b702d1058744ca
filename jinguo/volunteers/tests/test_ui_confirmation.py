"""R25: staff enter a registration, it stays 待本人确认 until she confirms it; "不是我本人" freezes it and reports
it to the level above. Also the staff registration form itself (F3)."""

import datetime

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import volunteer_raw
from jinguo.core.models import AuditLog
from jinguo.core.sms import MemorySmsBackend
from jinguo.volunteers.choices import DisputeKind, MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Consent, IdentityDispute, Membership, Volunteer

from .ui_helpers import NEW_PASSWORD, login, prove_phone, staff_data

User = get_user_model()
CREATE = reverse("volunteers:create")
LIST = reverse("volunteers:confirm_list")


def _staff_registers(world, actor=None, team="team", **raw_overrides) -> Volunteer:
    raw = volunteer_raw(**raw_overrides)
    team_node = getattr(world, team).node if team else None
    response = login(actor or world.district_admin).post(CREATE, staff_data(raw, world.community, team=team_node))
    assert response.status_code == 302, response.content.decode()[:3000]
    return Volunteer.objects.get(phone=raw["phone"])


def _confirming_client(phone: str) -> Client:
    client = Client()
    response = prove_phone(client, "volunteers:confirm_start", phone)
    assert response.status_code == 302
    assert response.url == LIST
    return client


# ---- staff registration ---------------------------------------------------------------------------------------


def test_staff_registration_is_pending_and_sends_an_invitation(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        volunteer = _staff_registers(world, phone="13822220001")
    assert volunteer.status == VolunteerStatus.PENDING
    assert volunteer.source == "staff"
    assert volunteer.user is None
    assert volunteer.created_by == world.district_admin
    assert volunteer.registered_via == world.team.node
    assert volunteer.consents.count() == 0
    membership = Membership.objects.get(volunteer=volunteer)
    assert (membership.team, membership.status) == (world.team.node, MembershipStatus.ACTIVE)
    assert MemorySmsBackend.outbox[-1][0] == "13822220001"
    assert "不是我本人" in MemorySmsBackend.outbox[-1][1]
    # The roster shows her as unconfirmed.
    html = login(world.district_admin).get(reverse("volunteers:list")).content.decode()
    assert volunteer.name in html
    assert "待本人确认" in html


def test_staff_form_team_preset_and_scope(world):
    client = login(world.district_admin)
    page = client.get(CREATE, {"team": world.team.node.pk}).content.decode()
    assert f'<option value="{world.team.node.pk}" selected>' in page
    assert "湖里区巾帼服务队" not in page  # teams outside her scope are not offered
    # A home outside her subtree without a team is refused and nothing is created.
    raw = volunteer_raw()
    response = client.post(CREATE, staff_data(raw, world.other_community))
    assert "请重新选择居住地" in response.content.decode() or "不在您的管理范围内" in response.content.decode()
    assert not Volunteer.objects.exists()
    # A team outside her scope cannot be chosen either.
    response = client.post(CREATE, staff_data(raw, world.community, team=world.team_b.node))
    assert "选择一个有效的选项" in response.content.decode()
    assert not Volunteer.objects.exists()


def test_leader_registers_into_his_team(world):
    client = login(world.leader)
    page = client.get(CREATE).content.decode()
    assert "不加入队伍" not in page  # a leader registers into one of his teams
    raw = volunteer_raw()
    assert client.post(CREATE, staff_data(raw, world.other_community)).status_code == 200
    assert not Volunteer.objects.exists()
    response = client.post(CREATE, staff_data(raw, world.other_community, team=world.subteam.node))
    assert response.status_code == 302
    volunteer = Volunteer.objects.get()
    assert volunteer.home_node == world.other_community
    assert volunteer.memberships.get().team == world.subteam.node


def test_read_only_staff_and_outsiders_cannot_register(world, member):
    raw = volunteer_raw()
    assert login(world.district_staff).get(CREATE).status_code == 403
    assert login(world.district_staff).post(CREATE, staff_data(raw, world.community)).status_code == 403
    assert login(member.user).get(CREATE).status_code == 404
    assert login(world.nobody).post(CREATE, staff_data(raw, world.community)).status_code == 404
    assert Volunteer.objects.count() == 1


def test_staff_form_refuses_under_14_without_guardian(world):
    today = timezone.localdate()
    raw = volunteer_raw(born=today.replace(year=today.year - 9))
    client = login(world.district_admin)
    response = client.post(CREATE, staff_data(raw, world.community))
    html = response.content.decode()
    assert "未满 14 周岁，须填写监护人姓名" in html
    assert not Volunteer.objects.exists()
    data = staff_data(raw, world.community, guardian_name="林芳", guardian_phone="13900000003", guardian_consent="on")
    assert client.post(CREATE, data).status_code == 302
    consent = Consent.objects.get()
    assert (consent.kind, consent.guardian_name, consent.recorded_by) == ("guardian", "林芳", world.district_admin)


def test_staff_form_shows_duplicate_message(world, member):
    raw = volunteer_raw(id_number=member.decrypt_id_number())
    response = login(world.district_admin).post(CREATE, staff_data(raw, world.community))
    assert "该证件号码已于" in response.content.decode()
    assert Volunteer.objects.count() == 1


# ---- R25: her confirmation -----------------------------------------------------------------------------------


def test_she_sees_her_pending_record_and_confirms_it(world):
    volunteer = _staff_registers(world, phone="13822220002")
    client = _confirming_client("13822220002")
    html = client.get(LIST).content.decode()
    assert volunteer.name in html
    assert volunteer.id_number_masked in html
    assert volunteer.decrypt_id_number() not in html
    assert "思明区巾帼服务队" in html
    assert "district_admin" in html
    url = reverse("volunteers:confirm_record", args=[volunteer.pk])
    # Without the consents nothing changes.
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "请阅读并同意个人信息处理说明" in response.content.decode()
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.PENDING
    response = client.post(
        url,
        {"consent_personal": "on", "consent_sensitive": "on", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("volunteers:me")
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.ACTIVE
    assert volunteer.confirmed_at is not None
    assert volunteer.user.phone == "13822220002"
    assert volunteer.user.check_password(NEW_PASSWORD)
    assert sorted(volunteer.consents.values_list("kind", flat=True)) == ["personal", "sensitive"]
    assert AuditLog.objects.filter(action="volunteer.confirmed", target_id=str(volunteer.pk)).exists()
    assert client.get(reverse("volunteers:me")).status_code == 200
    # Nothing is left to confirm: the proof is gone with it.
    assert client.get(LIST).status_code == 302


def test_existing_account_confirms_without_a_new_password(world):
    User.objects.create_user(username="13822220003", phone="13822220003", password="Old-pass-2026")
    volunteer = _staff_registers(world, phone="13822220003")
    client = _confirming_client("13822220003")
    url = reverse("volunteers:confirm_record", args=[volunteer.pk])
    assert "password1" not in client.get(url).content.decode()
    response = client.post(url, {"consent_personal": "on", "consent_sensitive": "on"})
    assert response.status_code == 302
    assert response.url == reverse("login")
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.ACTIVE
    assert volunteer.user.check_password("Old-pass-2026")


def test_not_me_freezes_and_reports_to_the_level_above(world):
    volunteer = _staff_registers(world, phone="13822220004")
    client = _confirming_client("13822220004")
    url = reverse("volunteers:confirm_deny", args=[volunteer.pk])
    page = client.get(url).content.decode()
    assert "data-confirm" in page
    response = client.post(url, {"reason": "我没有填过登记表"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "思明区妇联" in html
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.FROZEN
    dispute = IdentityDispute.objects.get()
    assert (dispute.kind, dispute.handling_node, dispute.reason) == (
        DisputeKind.NOT_ME,
        world.district,
        "我没有填过登记表",
    )
    assert AuditLog.objects.filter(action="volunteer.denied", node_path=world.district.path).count() == 1
    # The district sees the dispute; the sibling district does not.
    assert volunteer.name in login(world.district_admin).get(reverse("volunteers:dispute_list")).content.decode()
    assert volunteer.name not in login(world.outsider_admin).get(reverse("volunteers:dispute_list")).content.decode()
    # A frozen record is no longer pending: it cannot be confirmed afterwards.
    assert client.get(reverse("volunteers:confirm_record", args=[volunteer.pk])).status_code == 404


def test_confirmation_pages_need_the_proved_phone(world):
    mine = _staff_registers(world, phone="13822220005")
    other = _staff_registers(world, phone="13822220006")
    anonymous = Client()
    assert anonymous.get(LIST).url == reverse("volunteers:confirm_start")
    assert anonymous.get(reverse("volunteers:confirm_record", args=[mine.pk])).status_code == 302
    assert anonymous.post(reverse("volunteers:confirm_deny", args=[mine.pk]), {}).status_code == 302
    client = _confirming_client("13822220005")
    # Another phone's record is not hers to see, confirm or deny.
    assert client.get(reverse("volunteers:confirm_record", args=[other.pk])).status_code == 404
    assert client.post(reverse("volunteers:confirm_deny", args=[other.pk]), {"reason": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == VolunteerStatus.PENDING
    assert not IdentityDispute.objects.exists()
    session = client.session
    session["jg_phone_volunteer-confirm"]["at"] = (timezone.now() - datetime.timedelta(minutes=31)).timestamp()
    session.save()
    assert client.get(LIST).status_code == 302


def test_no_pending_record_gets_a_helpful_page(db):
    client = _confirming_client("13822220007")
    html = client.get(LIST).content.decode()
    assert "名下没有待确认的登记记录" in html
    assert reverse("volunteers:register") in html
