"""Identity disputes for admins (R25, R26): listed in scope, resolved by those who may change, never by others."""

import re

import pytest
from django.urls import reverse

from jinguo.core.models import AuditLog
from jinguo.volunteers import services
from jinguo.volunteers.choices import DisputeStatus, VolunteerStatus
from jinguo.volunteers.models import IdentityDispute

from .ui_helpers import login


@pytest.fixture
def not_me(world, make_volunteer):
    volunteer = make_volunteer(team=world.team.node, confirm=False, phone="13833330001")
    return services.volunteer_deny(volunteer=volunteer, phone=volunteer.phone, reason="从未登记")


@pytest.fixture
def claim(world, make_volunteer):
    volunteer = make_volunteer(team=world.team.node, phone="13833330002")
    return services.identity_claim(
        id_type="resident",
        id_number=volunteer.decrypt_id_number(),
        claimant_name="陈晓燕",
        claimant_phone="13833330003",
        reason="号码被占用",
    )


def test_list_shows_open_disputes_in_scope_only(world, not_me, claim):
    html = login(world.district_admin).get(reverse("volunteers:dispute_list")).content.decode()
    assert not_me.volunteer.name in html
    assert "陈晓燕" in html
    assert "本人否认登记" in html
    assert "身份证号被他人占用" in html
    assert len(re.findall(r'href="/volunteers/disputes/\d+/"', html)) == 2
    city = login(world.city_admin).get(reverse("volunteers:dispute_list")).content.decode()
    assert "陈晓燕" in city
    outsider = login(world.outsider_admin).get(reverse("volunteers:dispute_list")).content.decode()
    assert "陈晓燕" not in outsider
    assert not_me.volunteer.name not in outsider
    assert "没有待处理的申诉" in outsider
    assert login(world.nobody).get(reverse("volunteers:dispute_list")).status_code == 404


def test_outsiders_get_404_on_a_dispute(world, claim, member):
    url = reverse("volunteers:dispute_detail", args=[claim.pk])
    for user in (world.outsider_admin, world.outsider_leader, member.user):
        assert login(user).get(url).status_code == 404
        assert login(user).post(url, {"upheld": "1", "resolution": "越权"}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == DisputeStatus.OPEN


def test_read_only_staff_sees_but_cannot_resolve(world, claim):
    client = login(world.district_staff)
    url = reverse("volunteers:dispute_detail", args=[claim.pk])
    html = client.get(url).content.decode()
    assert "陈晓燕" in html
    assert "提交处理结果" not in html
    assert "13833330003" not in html
    assert "138****0003" in html
    assert client.post(url, {"upheld": "1", "resolution": "核实"}).status_code == 403
    claim.refresh_from_db()
    assert claim.status == DisputeStatus.OPEN


def test_resolution_is_required(world, claim):
    url = reverse("volunteers:dispute_detail", args=[claim.pk])
    response = login(world.district_admin).post(url, {"upheld": "1", "resolution": ""})
    assert "该字段是必填项" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == DisputeStatus.OPEN


def test_upheld_claim_binds_the_record_to_the_claimant(world, claim):
    client = login(world.district_admin)
    url = reverse("volunteers:dispute_detail", args=[claim.pk])
    html = client.get(url).content.decode()
    assert "13833330003" in html  # the handler calls the claimant back
    assert claim.volunteer.decrypt_id_number() not in html
    response = client.post(url, {"upheld": "1", "resolution": "电话核实，号码属申诉人"})
    assert response.status_code == 302
    claim.refresh_from_db()
    volunteer = claim.volunteer
    volunteer.refresh_from_db()
    assert claim.status == DisputeStatus.UPHELD
    assert claim.handled_by == world.district_admin
    assert (volunteer.phone, volunteer.name, volunteer.status) == ("13833330003", "陈晓燕", VolunteerStatus.PENDING)
    assert AuditLog.objects.filter(action="volunteer.dispute_resolved", target_id=str(volunteer.pk)).count() == 1
    # Resolved once; the form is gone and a second decision is refused.
    assert "提交处理结果" not in client.get(url).content.decode()
    again = client.post(url, {"upheld": "0", "resolution": "再次处理"}, follow=True)
    assert "该申诉已处理" in again.content.decode()
    claim.refresh_from_db()
    assert claim.status == DisputeStatus.UPHELD


def test_rejected_not_me_returns_to_pending(world, not_me):
    url = reverse("volunteers:dispute_detail", args=[not_me.pk])
    login(world.district_admin).post(url, {"upheld": "0", "resolution": "本人当面签字登记，经核实为误操作"})
    not_me.refresh_from_db()
    assert not_me.status == DisputeStatus.REJECTED
    assert not_me.volunteer.status == VolunteerStatus.PENDING
    assert IdentityDispute.objects.filter(status=DisputeStatus.OPEN).count() == 0


def test_upheld_not_me_withdraws_the_record(world, not_me):
    url = reverse("volunteers:dispute_detail", args=[not_me.pk])
    login(world.district_admin).post(url, {"upheld": "1", "resolution": "未经本人同意录入"})
    not_me.volunteer.refresh_from_db()
    assert not_me.volunteer.status == VolunteerStatus.WITHDRAWN
    assert not not_me.volunteer.memberships.filter(status="active").exists()
