"""Her own registration on a phone (F3, R1-R6), the duplicate-ID message, the claim (R26), live feedback and the
region picker."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import volunteer_raw
from jinguo.core.models import AuditLog
from jinguo.core.sms import MemorySmsBackend
from jinguo.volunteers.choices import ConsentKind, DisputeKind, VolunteerStatus
from jinguo.volunteers.models import Consent, IdentityDispute, Volunteer

from .ui_helpers import NEW_PASSWORD, last_code, login, prove_phone, registration_data

User = get_user_model()
DETAILS = reverse("volunteers:register_details")


def _years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


def _proved_client(phone: str) -> Client:
    client = Client()
    response = prove_phone(client, "volunteers:register", phone)
    assert response.status_code == 302
    assert response.url == DETAILS
    return client


def test_phone_step_sends_a_code_and_refuses_a_wrong_one(db):
    client = Client()
    url = reverse("volunteers:register")
    page = client.get(url)
    assert page.status_code == 200
    assert 'class="jg-mobile"' in page.content.decode()
    client.post(url, {"phone": "13812345678", "action": "send"})
    assert MemorySmsBackend.outbox[-1][0] == "13812345678"
    assert "注册验证码" in MemorySmsBackend.outbox[-1][1]
    wrong = "000000" if last_code("13812345678") != "000000" else "111111"
    response = client.post(url, {"phone": "13812345678", "code": wrong, "action": "verify"})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    # Without a proved phone, step two sends her back to step one.
    assert client.get(DETAILS).url == url


def test_bad_phone_gets_a_message_and_no_code(db):
    response = Client().post(reverse("volunteers:register"), {"phone": "12345", "action": "send"})
    assert "请输入正确的 11 位手机号" in response.content.decode()
    assert MemorySmsBackend.outbox == []


def test_she_registers_herself_and_is_logged_in(world):
    raw = volunteer_raw(phone="13812340001")
    client = _proved_client("13812340001")
    page = client.get(DETAILS)
    assert page.status_code == 200
    html = page.content.decode()
    assert "13812340001 已验证" in html
    assert "个人信息处理说明" in html
    assert "敏感个人信息" in html
    response = client.post(DETAILS, registration_data(raw, world.community, consent_sharing="on"))
    assert response.status_code == 302
    assert response.url == reverse("volunteers:me")
    volunteer = Volunteer.objects.get(phone="13812340001")
    assert volunteer.status == VolunteerStatus.ACTIVE
    assert volunteer.name == raw["name"]
    assert volunteer.home_node == world.community
    assert volunteer.categories == ["legal", "care"]
    assert volunteer.availability == ["weekend", "holiday"]
    assert volunteer.honours == ["zuimei"]
    assert volunteer.decrypt_id_number() == raw["id_number"]
    assert volunteer.source == "self"
    assert sorted(volunteer.consents.values_list("kind", flat=True)) == ["personal", "sensitive", "sharing"]
    assert volunteer.user.check_password(NEW_PASSWORD)
    me = client.get(reverse("volunteers:me"))
    assert volunteer.number in me.content.decode()
    # The proof is used up: the form cannot be sent again from this session.
    assert client.get(DETAILS).status_code == 302


def test_a_man_may_register(world):
    raw = volunteer_raw(sex="M", phone="13812340002")
    client = _proved_client("13812340002")
    assert client.post(DETAILS, registration_data(raw, world.community)).status_code == 302
    assert Volunteer.objects.get(phone="13812340002").sex == "M"


def test_form_errors_keep_input_and_create_nothing(world):
    raw = volunteer_raw(phone="13812340003")
    client = _proved_client("13812340003")
    data = registration_data(raw, world.community, consent_sensitive=None, id_number=raw["id_number"][:17] + "0")
    if data["id_number"] == raw["id_number"]:
        data["id_number"] = raw["id_number"][:17] + "1"
    response = client.post(DETAILS, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "身份证号码校验位错误" in html
    assert "须单独同意" in html
    assert f'value="{raw["name"]}"' in html
    assert 'value="湖滨南路 1 号"' in html
    assert not Volunteer.objects.exists()
    assert not User.objects.filter(phone="13812340003").exists()


def test_home_must_be_a_street_or_community(world):
    raw = volunteer_raw(phone="13812340004")
    client = _proved_client("13812340004")
    response = client.post(DETAILS, registration_data(raw, world.district))
    assert "请继续选择到街道（乡镇）或社区（村）" in response.content.decode()
    assert not Volunteer.objects.exists()
    response = client.post(DETAILS, registration_data(raw, world.team.node))
    assert "请重新选择居住地" in response.content.decode()
    assert not Volunteer.objects.exists()


def test_under_14_without_guardian_is_refused(world):
    raw = volunteer_raw(phone="13812340005", born=_years_ago(10))
    client = _proved_client("13812340005")
    response = client.post(DETAILS, registration_data(raw, world.community))
    html = response.content.decode()
    assert response.status_code == 200
    assert "未满 14 周岁，须填写监护人姓名" in html
    assert "须由监护人阅读并勾选同意" in html
    # The guardian section is shown, because the server read the birth date from the ID number.
    assert 'id="guardian-section" class=""' in html
    assert not Volunteer.objects.exists()
    data = registration_data(
        raw,
        world.community,
        guardian_name="王丽",
        guardian_phone="13900000002",
        guardian_relation="母亲",
        guardian_consent="on",
    )
    assert client.post(DETAILS, data).status_code == 302
    volunteer = Volunteer.objects.get(phone="13812340005")
    guardian = volunteer.consents.get(kind=ConsentKind.GUARDIAN)
    assert (guardian.guardian_name, guardian.guardian_phone, guardian.guardian_relation) == (
        "王丽",
        "13900000002",
        "母亲",
    )


def test_an_adult_sees_no_guardian_section(world):
    raw = volunteer_raw(phone="13812340006", born=_years_ago(30))
    client = _proved_client("13812340006")
    html = client.post(DETAILS, registration_data(raw, world.community, password2="different")).content.decode()
    assert 'id="guardian-section" class="d-none"' in html
    assert "两次输入的密码不一致" in html


def test_duplicate_id_names_where_and_offers_confirm_or_claim(world, make_volunteer):
    existing = make_volunteer(team=world.team.node, confirm=False)
    client = _proved_client("13812340007")
    raw = volunteer_raw(phone="13812340007", id_number=existing.decrypt_id_number(), name="李梅")
    response = client.post(DETAILS, registration_data(raw, world.community))
    html = response.content.decode()
    assert response.status_code == 200
    assert "该证件号码已于" in html
    assert "湖滨社区" in html
    assert "思明区巾帼服务队" in html
    assert existing.number in html
    assert reverse("volunteers:confirm_start") in html
    assert reverse("volunteers:claim") in html
    assert Volunteer.objects.count() == 1
    assert not User.objects.filter(phone="13812340007").exists()


def test_double_submission_creates_one_record(world):
    raw = volunteer_raw(phone="13812340008")
    first = _proved_client("13812340008")
    data = registration_data(raw, world.community)
    assert first.post(DETAILS, data).status_code == 302
    # The same form sent again (a second tab proved earlier, or a retried request with the proof restored).
    session = first.session
    session[f"jg_phone_{'volunteer-register'}"] = {"phone": "13812340008", "at": timezone.now().timestamp()}
    session.save()
    again = first.post(DETAILS, data)
    assert again.status_code == 200
    assert "该手机号已注册账号" in again.content.decode()
    # Another phone with the same ID number: the unique blind index refuses it with the where-message.
    other = _proved_client("13812340009")
    third = other.post(DETAILS, registration_data({**raw, "phone": "13812340009"}, world.community))
    assert "该证件号码已于" in third.content.decode()
    assert Volunteer.objects.count() == 1
    assert User.objects.filter(phone__in=["13812340008", "13812340009"]).count() == 1


def test_proof_expires(world):
    client = _proved_client("13812340010")
    session = client.session
    session["jg_phone_volunteer-register"]["at"] -= 31 * 60
    session.save()
    assert client.get(DETAILS).url == reverse("volunteers:register")


def test_pending_record_for_this_phone_is_pointed_out(world, make_volunteer):
    pending = make_volunteer(confirm=False, phone="13812340011")
    client = _proved_client("13812340011")
    html = client.get(DETAILS).content.decode()
    assert "工作人员已用这个手机号为您登记过" in html
    assert pending.status == VolunteerStatus.PENDING


def test_registered_volunteer_is_sent_to_her_page(world, member):
    client = login(member.user)
    assert client.get(reverse("volunteers:register")).url == reverse("volunteers:me")


# ---- live feedback and the region picker ----------------------------------------------------------------------


def test_id_check_gives_birth_date_and_guardian_section(db):
    raw = volunteer_raw(born=_years_ago(10, days=3))
    response = Client().get(reverse("volunteers:id_check"), {"id_type": "resident", "id_number": raw["id_number"]})
    html = response.content.decode()
    assert "10 周岁" in html
    assert "未满 14 周岁" in html
    assert 'id="guardian-section" class="" hx-swap-oob="true"' in html
    bad = Client().get(reverse("volunteers:id_check"), {"id_number": raw["id_number"][:17] + "Y"})
    assert "末位应为数字或X" in bad.content.decode()
    assert 'class="d-none" hx-swap-oob="true"' in bad.content.decode()


def test_id_check_never_says_whether_a_number_is_registered(world, member):
    response = Client().get(reverse("volunteers:id_check"), {"id_number": member.decrypt_id_number()})
    html = response.content.decode()
    assert "周岁" in html
    assert "已于" not in html
    assert "湖滨社区" not in html
    assert member.number not in html


def test_region_picker_cascades_over_active_federation_nodes(world):
    url = reverse("volunteers:region_options")
    html = Client().get(url, {"field": "home_node", "mode": "public", "home_node_pick": world.district.pk}).content
    html = html.decode()
    # Levels with a single option are chosen for her: the district's only street, then its only community.
    assert f'name="home_node" id="id_home_node" value="{world.community.pk}"' in html
    assert "筼筜街道" in html
    assert "已选择：湖滨社区" in html
    assert ">湖里区</option>" in html  # the sibling district is a choice at the district level (shown as a place)
    assert "思明区巾帼服务队" not in html  # teams are not residences
    back = Client().get(url, {"field": "home_node", "mode": "public", "home_node_pick": "", "parent": world.city.pk})
    assert f'value="{world.city.pk}"' in back.content.decode()


def test_region_picker_for_staff_starts_at_her_scope(world):
    client = login(world.district_admin)
    html = client.get(
        reverse("volunteers:region_options"), {"field": "home_node", "mode": "staff", "parent": ""}
    ).content.decode()
    # Her district has one street with one community: nothing to choose, shown as text.
    assert "思明区 › 筼筜街道 › 湖滨社区" in html
    assert f'value="{world.community.pk}"' in html
    assert "湖里区" not in html
    assert "厦门市" not in html
    # A node outside her scope is ignored, not shown.
    html = client.get(
        reverse("volunteers:region_options"),
        {"field": "home_node", "mode": "staff", "home_node_pick": world.other_street.pk},
    ).content.decode()
    assert "殿前街道" not in html


# ---- R26: a claim on an ID number registered by someone else -------------------------------------------------


def test_claim_creates_a_dispute_for_the_level_above(world, make_volunteer):
    taken = make_volunteer(team=world.team.node, phone="13812340020")
    client = Client()
    url = reverse("volunteers:claim")
    data = {
        "claimant_name": "陈晓燕",
        "id_type": "resident",
        "id_number": taken.decrypt_id_number(),
        "phone": "13812340021",
        "reason": "我从未登记过",
    }
    client.post(url, {**data, "action": "send"})
    response = client.post(url, {**data, "code": last_code("13812340021"), "action": "claim"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "申诉已提交" in html
    assert "思明区妇联" in html  # the level above the team that registered her
    dispute = IdentityDispute.objects.get()
    assert dispute.kind == DisputeKind.CLAIM
    assert dispute.volunteer == taken
    assert dispute.handling_node == world.district
    assert (dispute.claimant_name, dispute.claimant_phone, dispute.reason) == ("陈晓燕", "13812340021", "我从未登记过")
    assert AuditLog.objects.filter(action="volunteer.claimed", target_id=str(taken.pk)).count() == 1
    taken.refresh_from_db()
    assert taken.status == VolunteerStatus.ACTIVE  # nothing changes until the level above decides


def test_claim_needs_the_code_and_a_registered_number(world, make_volunteer):
    taken = make_volunteer(phone="13812340022")
    client = Client()
    url = reverse("volunteers:claim")
    data = {"claimant_name": "陈晓燕", "id_type": "resident", "id_number": taken.decrypt_id_number()}
    data.update({"phone": "13812340023", "code": "123456", "action": "claim"})
    response = client.post(url, data)
    assert "验证码已失效" in response.content.decode()
    free = volunteer_raw()
    client.post(url, {**data, "action": "send"})
    response = client.post(url, {**data, "id_number": free["id_number"], "code": last_code("13812340023")})
    assert "该证件号码尚未登记，可以直接注册" in response.content.decode()
    assert not IdentityDispute.objects.exists()


def test_consent_rows_carry_version(world):
    raw = volunteer_raw(phone="13812340030")
    client = _proved_client("13812340030")
    client.post(DETAILS, registration_data(raw, world.community))
    versions = set(Consent.objects.values_list("version", flat=True))
    from jinguo.volunteers import consent_texts

    assert versions == {consent_texts.VERSION}


@pytest.mark.parametrize("url_name", ["volunteers:register", "volunteers:confirm_start", "volunteers:claim"])
def test_phone_pages_are_phone_sized(db, url_name):
    html = Client().get(reverse(url_name)).content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert 'class="jg-mobile"' in html
