"""Insurance policies (R10) and qualifications (R9): recorded by staff of the right scope only, refusals write
nothing; the policy and qualification pages; the cover check of a risky activity."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from jinguo.activities import selectors, services
from jinguo.activities.models import InsurancePolicy, Qualification
from jinguo.activities.tests.test_publishing import day, make_published
from jinguo.activities.tests.test_signup import signup
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog

POLICY = {"insurer": "中国人寿厦门分公司", "policy_number": "PICC 2026 0001", "starts_on": datetime.date(2026, 1, 1),
          "ends_on": datetime.date(2026, 12, 31), "note": "团体意外险"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_policy_is_recorded_for_a_node_in_scope_with_people_of_her_scope(world, member):
    policy = services.policy_create(actor=world.leader, holder=world.team.node, data=POLICY, volunteers=[member])
    assert policy.policy_number == "PICC20260001"
    assert list(policy.volunteers.all()) == [member]
    assert selectors.insurance_covers(member, datetime.date(2026, 6, 1)) is True
    assert selectors.insurance_covers(member, datetime.date(2027, 1, 1)) is False
    assert AuditLog.objects.filter(action="policy.created").count() == 1


def test_policies_refuse_outsiders_strangers_duplicates_and_bad_periods(world, member, make_volunteer):
    stranger = make_volunteer(team=world.team_b.node, home=world.other_community)
    with pytest.raises(PermissionDeniedError):
        services.policy_create(actor=world.outsider_admin, holder=world.team.node, data=POLICY)
    with pytest.raises(PermissionDeniedError):
        services.policy_create(actor=world.leader, holder=world.team.node, data=POLICY, volunteers=[stranger])
    with pytest.raises(DomainError) as excinfo:
        services.policy_create(actor=world.leader, holder=world.team.node,
                               data={**POLICY, "ends_on": datetime.date(2025, 12, 31)})
    assert excinfo.value.field == "ends_on"
    assert not InsurancePolicy.objects.exists()
    services.policy_create(actor=world.leader, holder=world.team.node, data=POLICY)
    with pytest.raises(DomainError) as excinfo:
        services.policy_create(actor=world.district_admin, holder=world.district, data=POLICY)
    assert excinfo.value.field == "policy_number"
    assert InsurancePolicy.objects.count() == 1


def test_people_are_added_and_removed_only_by_the_holder_side(world, member, make_volunteer):
    policy = services.policy_create(actor=world.leader, holder=world.team.node, data=POLICY)
    with pytest.raises(PermissionDeniedError):
        services.policy_update(actor=world.outsider_leader, policy=policy, data={}, add=[member])
    assert policy.volunteers.count() == 0
    services.policy_update(actor=world.leader, policy=policy, data={}, add=[member])
    services.policy_update(actor=world.leader, policy=policy, data={"note": "续保"}, remove=[member])
    policy.refresh_from_db()
    assert (policy.volunteers.count(), policy.note) == (0, "续保")


def test_a_qualification_is_recorded_by_staff_of_her_scope(world, member):
    services.qualification_create(actor=world.leader, volunteer=member, name="急救员证", certificate_number="JJ 01",
                                  valid_until=day(365).date())
    row = Qualification.objects.get()
    assert (row.name, row.certificate_number, row.verified_by_id) == ("急救员证", "JJ01", world.leader.pk)
    assert selectors.holds_qualification(member, "急救员证", day(30).date()) is True
    with pytest.raises(DomainError) as excinfo:
        services.qualification_create(actor=world.leader, volunteer=member, name="急救员证", certificate_number="JJ01")
    assert excinfo.value.code == "duplicate"
    with pytest.raises(DomainError) as excinfo:
        services.qualification_create(actor=world.leader, volunteer=member, name="护士证", valid_until=day(-1).date())
    assert excinfo.value.field == "valid_until"
    for who in ("outsider_admin", "outsider_leader", "district_staff"):
        with pytest.raises(PermissionDeniedError):
            services.qualification_create(actor=getattr(world, who), volunteer=member, name="越权证书")
        with pytest.raises(PermissionDeniedError):
            services.qualification_delete(actor=getattr(world, who), qualification=row)
    assert Qualification.objects.count() == 1
    services.qualification_delete(actor=world.district_admin, qualification=row)
    assert not Qualification.objects.exists()


# ---- pages ----------------------------------------------------------------------------------------------------------


def test_policy_pages_create_search_and_add(world, member):
    client = client_for(world.leader)
    response = client.post(reverse("activities:policy_create"), {
        "holder": world.team.node.pk, "insurer": "平安保险", "policy_number": "PA-1", "starts_on": "2026-01-01",
        "ends_on": "2025-01-01",
    })
    assert response.status_code == 200
    assert "保险止期不能早于起期" in response.content.decode()
    assert 'value="平安保险"' in response.content.decode()  # her input is kept
    response = client.post(reverse("activities:policy_create"), {
        "holder": world.team.node.pk, "insurer": "平安保险", "policy_number": "PA-1", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    })
    policy = InsurancePolicy.objects.get()
    assert response["Location"] == reverse("activities:policy_detail", args=[policy.pk])
    page = client.get(reverse("activities:policy_detail", args=[policy.pk]), {"q": member.name}).content.decode()
    assert member.number in page
    client.post(reverse("activities:policy_detail", args=[policy.pk]), {"action": "add", "volunteer": [member.pk]})
    assert list(policy.volunteers.all()) == [member]
    # The other district's admin neither sees nor changes it.
    outsider = client_for(world.outsider_admin)
    assert outsider.get(reverse("activities:policy_detail", args=[policy.pk])).status_code == 404
    assert outsider.post(reverse("activities:policy_detail", args=[policy.pk]),
                         {"action": "remove", "volunteer": [member.pk]}).status_code == 404
    assert list(policy.volunteers.all()) == [member]
    # Read-only staff see it but may not change it.
    staff = client_for(world.district_staff)
    assert staff.get(reverse("activities:policy_detail", args=[policy.pk])).status_code == 200
    assert staff.post(reverse("activities:policy_detail", args=[policy.pk]),
                      {"action": "remove", "volunteer": [member.pk]}).status_code == 403
    assert list(policy.volunteers.all()) == [member]


def test_the_cover_page_lists_who_lacks_insurance_and_adds_them_to_a_policy(world, member, make_volunteer):
    activity = make_published(world, is_risky=False)
    insured = make_volunteer(team=world.team.node)
    policy = services.policy_create(actor=world.leader, holder=world.team.node, volunteers=[insured],
                                    data={**POLICY, "starts_on": day(0).date(), "ends_on": day(30).date()})
    signup(member, activity)
    signup(insured, activity)
    client = client_for(world.leader)
    page = client.get(reverse("activities:cover", args=[activity.pk])).content.decode()
    assert member.name in page
    assert insured.name not in page
    client.post(reverse("activities:cover", args=[activity.pk]), {"policy": policy.pk, "volunteer": [member.pk]})
    assert set(policy.volunteers.all()) == {member, insured}
    assert selectors.signups_without_cover(activity) == []


def test_qualification_page_records_and_keeps_input_on_error(world, member):
    client = client_for(world.leader)
    url = reverse("activities:volunteer_qualifications", args=[member.pk])
    response = client.post(url, {"name": "心理咨询师证", "valid_until": day(-5).date().isoformat()})
    assert response.status_code == 200
    assert "已过有效期" in response.content.decode()
    assert 'value="心理咨询师证"' in response.content.decode()
    assert not Qualification.objects.exists()
    client.post(url, {"name": "心理咨询师证", "certificate_number": "XL-9", "valid_until": day(300).date().isoformat()})
    assert Qualification.objects.get().name == "心理咨询师证"
    assert client_for(world.outsider_admin).get(url).status_code == 404
    assert client_for(member.user).get(url).status_code == 403
