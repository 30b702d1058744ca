"""The resident's 适老化 pages (public, no JavaScript needed, large type) and the staff pages of part A."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from jinguo.core.sms import MemorySmsBackend
from jinguo.demands import services_needs as svc
from jinguo.demands.models import MenuItem, Need
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import NodeKind

from .targets_needs import need_data


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def form_body(world, **extra) -> dict:
    return {
        "description": "想请人陪我去医院复查", "address": "湖滨南路8号301", "preferred_time": "周末", "urgency": "normal",
        "requester_name": "郝阿姨", "requester_phone": "13912349001", "community_name": "湖滨社区", **extra,
    }


def last_code() -> str:
    return re.search(r"验证码为 (\d{6})", MemorySmsBackend.outbox[-1][1]).group(1)


def post_need(client, world, url=None, **extra):
    url = url or reverse("demands:help_form", args=["care"])
    client.post(url, {**form_body(world, **extra), "action": "send"})
    return client.post(url, {**form_body(world, **extra), "code": last_code(), "action": "submit"})


# ---- the resident ------------------------------------------------------------------------------------------------


def test_home_has_big_tiles_large_type_and_needs_no_login(client, world):
    body = client.get(reverse("demands:help")).content.decode()
    assert 'class="jg-elder"' in body
    assert "demands/elder.css" in body
    assert body.count('class="jg-tile"') == 11
    assert reverse("demands:help_form", args=["care"]) in body
    assert "<select" not in body


def test_the_large_type_stylesheet_sets_at_least_20px():
    from django.contrib.staticfiles import finders

    with open(finders.find("demands/elder.css"), encoding="utf-8") as handle:
        css = handle.read()
    size = int(re.search(r"\.jg-elder \{ font-size: (\d+)px", css).group(1))
    assert size >= 20


def test_three_steps_without_javascript(client, world):
    url = reverse("demands:help_form", args=["care"])
    body = client.get(url).content.decode()
    assert "<select" not in body
    assert 'type="submit" name="action" value="send"' in body
    assert 'type="submit" name="action" value="submit"' in body
    assert 'type="radio" name="urgency"' in body
    response = client.post(url, {**form_body(world), "action": "send"})
    assert response.status_code == 200
    assert len(MemorySmsBackend.outbox) == 1
    assert MemorySmsBackend.outbox[0][0] == "13912349001"
    assert Need.objects.count() == 0
    response = client.post(url, {**form_body(world), "code": last_code(), "action": "submit"})
    assert response.status_code == 302
    assert response["Location"] == reverse("demands:help_done")
    need = Need.objects.get()
    assert (need.source, need.node_id, need.category, need.preferred_time, need.requester_phone) == (
        "self", world.community.pk, "care", "周末", "13912349001"
    )
    body = client.get(response["Location"]).content.decode()
    assert f'<div class="jg-code my-2" aria-label="查询码">{need.tracking_code}</div>' in body
    assert need.number in body


def test_the_form_keeps_her_input_on_error(client, world):
    url = reverse("demands:help_form", args=["care"])
    response = client.post(url, {**form_body(world, requester_phone="1391234"), "code": "123456",
                                 "action": "submit"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "请填写正确的 11 位手机号码。" in body
    assert "想请人陪我去医院复查" in body
    assert 'value="湖滨南路8号301"' in body
    assert re.search(r'value="周末"[^>]*checked', body)
    assert Need.objects.count() == 0


def test_a_missing_description_is_said_before_the_code_is_spent(client, world):
    url = reverse("demands:help_form", args=["care"])
    client.post(url, {**form_body(world), "action": "send"})
    code = last_code()
    body = client.post(url, {**form_body(world, description=""), "code": code, "action": "submit"}).content.decode()
    assert "请说一说需要什么帮助。" in body
    response = client.post(url, {**form_body(world), "code": code, "action": "submit"})
    assert response.status_code == 302  # the same code still works
    assert Need.objects.count() == 1


def test_wrong_code_is_refused(client, world):
    url = reverse("demands:help_form", args=["care"])
    client.post(url, {**form_body(world), "action": "send"})
    wrong = "000000" if last_code() != "000000" else "111111"
    body = client.post(url, {**form_body(world), "code": wrong, "action": "submit"}).content.decode()
    assert "验证码不正确。" in body
    assert Need.objects.count() == 0


def test_ambiguous_community_is_offered_as_tiles(client, world):
    org_services.node_create(actor=world.root_user, parent=world.other_street, name="湖滨西社区",
                             kind=NodeKind.COMMUNITY)
    url = reverse("demands:help_form", args=["care"])
    client.post(url, {**form_body(world, community_name="湖滨"), "action": "send"})
    body = client.post(url, {**form_body(world, community_name="湖滨"), "code": last_code(),
                             "action": "submit"}).content.decode()
    assert "有几个名称相近的社区，请在下面点选您的社区。" in body
    assert f'value="{world.community.pk}"' in body
    assert "湖滨社区（思明区妇联 · 筼筜街道）" in body
    body = client.post(url, {**form_body(world, community_name="找不到的社区"), "code": "1", "action": "submit"})
    assert "没有找到这个社区" in body.content.decode()
    assert Need.objects.count() == 0


def test_a_poster_link_fixes_the_community(client, world):
    url = reverse("demands:help_form", args=["care"]) + f"?c={world.community.pk}"
    body = client.get(url).content.decode()
    assert 'name="community_name"' not in body
    assert "湖滨社区" in body
    response = post_need(client, world, url=url, community_name="")
    assert response.status_code == 302
    assert Need.objects.get().node_id == world.community.pk


def test_posting_is_rate_limited_per_phone_and_per_address(client, world):
    url = reverse("demands:help_form", args=["care"])
    cache.set("jinguo:demands:post-phone:13912349001", 3, 3600)
    body = client.post(url, {**form_body(world), "action": "send"}).content.decode()
    assert "这个手机号今天已经提交了 3 个需求" in body
    assert MemorySmsBackend.outbox == []  # not even a code is sent
    cache.clear()
    client.post(url, {**form_body(world), "action": "send"})
    code = last_code()
    cache.set("jinguo:demands:post-ip:127.0.0.1", 10, 3600)
    body = client.post(url, {**form_body(world), "code": code, "action": "submit"}).content.decode()
    assert "提交太频繁了" in body
    assert Need.objects.count() == 0
    cache.clear()
    assert client.post(url, {**form_body(world), "code": code, "action": "submit"}).status_code == 302
    assert cache.get("jinguo:demands:post-phone:13912349001") == 1
    assert cache.get("jinguo:demands:post-ip:127.0.0.1") == 1


def test_status_page_by_code_and_phone_and_cancel(client, world, django_capture_on_commit_callbacks):
    need = svc.need_create(actor=None, node=world.community, phone_proved=True,
                           data=need_data("郝阿姨", "13912349001", "湖滨南路8号301"))
    url = reverse("demands:help_status")
    body = client.post(url, {"tracking_code": need.tracking_code, "phone": "13900000000"}).content.decode()
    assert "没有找到这个需求" in body
    with django_capture_on_commit_callbacks(execute=True):
        svc.need_review(actor=world.district_admin, need=need, accept=False, reason="请直接到社区办理")
    body = client.post(url, {"tracking_code": need.tracking_code, "phone": "13912349001"}).content.decode()
    assert "未受理" in body
    assert "请直接到社区办理" in body
    assert "撤销这个需求" not in body
    other = svc.need_create(actor=None, node=world.community, phone_proved=True,
                            data=need_data("郝阿姨", "13912349001", "湖滨南路8号301"))
    body = client.post(url, {"tracking_code": other.tracking_code, "phone": "13912349001"}).content.decode()
    assert "待审核" in body
    assert "撤销这个需求" in body
    response = client.post(reverse("demands:help_cancel"),
                           {"tracking_code": other.tracking_code, "phone": "13900000000"})
    other.refresh_from_db()
    assert other.status == "submitted"
    assert "没有找到这个需求" in response.content.decode()
    client.post(reverse("demands:help_cancel"), {"tracking_code": other.tracking_code, "phone": "13912349001",
                                                  "reason": "家人来帮忙了"})
    other.refresh_from_db()
    assert other.status == "cancelled"


def test_menu_and_ordering(client, world):
    item = svc.menu_item_create(actor=world.leader, team=world.team.node, data={
        "category": "health", "title": "上门量血压", "content": "每周六上门", "area": world.district,
        "service_times": ["weekend"], "monthly_capacity": 5,
    })  # fmt: skip
    elsewhere = svc.menu_item_create(actor=world.outsider_leader, team=world.team_b.node, data={
        "category": "care", "title": "湖里区助浴", "content": "助浴", "area": world.other_district,
        "monthly_capacity": 5,
    })  # fmt: skip
    body = client.get(reverse("demands:help_menu"), {"community_name": "湖滨社区"}).content.decode()
    assert "上门量血压" in body
    assert elsewhere.title not in body
    assert "价格" not in body
    assert "¥" not in body
    url = reverse("demands:help_order", args=[item.pk]) + f"?c={world.community.pk}"
    assert client.get(url).status_code == 200
    response = post_need(client, world, url=url, description="")
    assert response.status_code == 302
    need = Need.objects.get()
    assert (need.source, need.menu_item_id, need.category) == ("menu", item.pk, "health")
    body = client.get(reverse("demands:help_order", args=[elsewhere.pk]) + f"?c={world.community.pk}")
    assert body.status_code == 200
    response = post_need(client, world, url=reverse("demands:help_order", args=[elsewhere.pk])
                         + f"?c={world.community.pk}", requester_phone="13912349002")
    assert "该服务项目只面向湖里区妇联的居民。" in response.content.decode()
    assert Need.objects.count() == 1


# ---- staff ------------------------------------------------------------------------------------------------------


def test_proxy_entry_needs_no_code_and_review_through_the_page(world, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world.district_admin)
    body = {"node": world.community.pk, "category": "care", "description": "独居老人需要买菜", "address": "湖滨南路1号",
            "urgency": "normal", "requester_name": "郝奶奶", "requester_phone": "13912349003",
            "vulnerable_flags": ["elderly_alone"]}
    response = client.post(reverse("demands:need_create"), {**body, "requester_phone": "123"})
    assert "请填写正确的 11 位手机号码。" in response.content.decode()
    assert "独居老人需要买菜" in response.content.decode()
    response = client.post(reverse("demands:need_create"), body)
    need = Need.objects.get()
    assert response["Location"] == reverse("demands:need_detail", args=[need.pk])
    assert (need.source, need.vulnerable_flags) == ("proxy", ["elderly_alone"])
    assert MemorySmsBackend.outbox == []
    response = client.post(reverse("demands:need_review", args=[need.pk]), {"decision": "reject", "reason": ""})
    need.refresh_from_db()
    assert need.status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("demands:need_review", args=[need.pk]),
                    {"decision": "accept", "public_summary": "老人需要代买生活用品"})
    need.refresh_from_db()
    assert (need.status, need.public_summary) == ("open", "老人需要代买生活用品")
    assert [p for p, _ in MemorySmsBackend.outbox] == ["13912349003"]


def test_need_list_filters_and_pages(world):
    for i in range(23):
        svc.need_create(actor=world.district_admin, node=world.community, proxy=True,
                        data=need_data("郝阿姨", "13912349001", "x", urgency="urgent" if i < 3 else "normal"))
    svc.need_create(actor=world.outsider_admin, node=world.other_community, proxy=True,
                    data=need_data("郝外区", "13912349009", "x"))
    client = Client()
    client.force_login(world.district_admin)
    response = client.get(reverse("demands:need_list"))
    assert response.context["page_obj"].paginator.count == 23
    assert len(response.context["page_obj"]) == 20
    assert len(client.get(reverse("demands:need_list"), {"page": 2}).context["page_obj"]) == 3
    assert client.get(reverse("demands:need_list"), {"urgency": "urgent"}).context["page_obj"].paginator.count == 3
    assert client.get(reverse("demands:need_list"), {"status": "open"}).context["page_obj"].paginator.count == 0
    client.force_login(world.outsider_admin)
    assert client.get(reverse("demands:need_list")).context["page_obj"].paginator.count == 1
    client.force_login(world.district_admin)
    queue = client.get(reverse("demands:review_queue"))
    assert queue.context["page_obj"].paginator.count == 23


def test_team_leader_manages_the_menu(world):
    client = Client()
    client.force_login(world.leader)
    body = {"team": world.team.node.pk, "category": "health", "title": "上门理发", "content": "为行动不便老人理发",
            "area": world.district.pk, "service_times": ["weekend"], "time_note": "每月第一个周六", "monthly_capacity": 8}
    areas = set(client.get(reverse("demands:menu_create")).context["form"].fields["area"].queryset)
    assert {world.district, world.street, world.community} <= areas
    assert not areas & {world.city, world.other_district, world.other_community, world.team.node}
    response = client.post(reverse("demands:menu_create"), body)
    assert response.status_code == 302
    item = MenuItem.objects.get()
    assert (item.title, item.monthly_capacity, item.created_by_id) == ("上门理发", 8, world.leader.pk)
    assert "上门理发" in client.get(reverse("demands:menu_list")).content.decode()
    client.post(reverse("demands:menu_edit", args=[item.pk]), {**body, "title": "上门理发剪指甲"})
    client.post(reverse("demands:menu_set_active", args=[item.pk]), {"active": "0"})
    item.refresh_from_db()
    assert (item.title, item.is_active) == ("上门理发剪指甲", False)
    outsider = Client()
    outsider.force_login(world.outsider_leader)
    assert outsider.post(reverse("demands:menu_set_active", args=[item.pk]), {"active": "1"}).status_code == 404
    item.refresh_from_db()
    assert item.is_active is False


def test_i_want_to_take_it_claims_or_offers_through_dispatch(world, make_volunteer):
    from jinguo.demands.models import Assignment

    member = make_volunteer(team=world.team.node, name="滕接单", phone="13912346001")
    claimable = svc.need_create(actor=world.district_admin, node=world.community, proxy=True,
                                data=need_data("郝阿姨", "13912349001", "x"))
    svc.need_review(actor=world.district_admin, need=claimable, accept=True, claimable=True)
    offered = svc.need_create(actor=world.district_admin, node=world.community, proxy=True,
                              data=need_data("郝阿姨", "13912349001", "x"))
    svc.need_review(actor=world.district_admin, need=offered, accept=True)
    client = Client()
    client.force_login(member.user)
    body = client.get(reverse("demands:open_needs")).content.decode()
    assert body.count(">我想接单</button>") == 2
    client.post(reverse("demands:open_need_take", args=[claimable.pk]))
    client.post(reverse("demands:open_need_take", args=[offered.pk]))
    got = {a.need_id: (a.mode, a.status, a.volunteer_id) for a in Assignment.objects.all()}
    assert got == {claimable.pk: ("claim", "accepted", member.pk), offered.pk: ("offer", "offered", member.pk)}
    # who comes second is told it is gone, and nothing changes
    second = make_volunteer(team=world.team.node, name="滕晚到", phone="13912346002")
    late = Client()
    late.force_login(second.user)
    body = late.post(reverse("demands:open_need_take", args=[claimable.pk]), follow=True).content.decode()
    assert f"需求 {claimable.number} 已被其他志愿者/队伍接单" in body
    assert Assignment.objects.filter(need=claimable).count() == 1
    # the leader takes one for her team
    third = svc.need_review(actor=world.district_admin, accept=True, claimable=True, need=svc.need_create(
        actor=world.district_admin, node=world.community, proxy=True, data=need_data("郝阿姨", "13912349001", "x")))
    leader = Client()
    leader.force_login(world.leader)
    assert f'name="team" value="{world.team.node.pk}"' in leader.get(reverse("demands:open_needs")).content.decode()
    leader.post(reverse("demands:open_need_take", args=[third.pk]), {"team": world.team.node.pk})
    assert Assignment.objects.get(need=third).team_id == world.team.node.pk
    # an outsider cannot reach a need outside her district
    outsider = Client()
    outsider.force_login(world.outsider_leader)
    fourth = svc.need_review(actor=world.district_admin, accept=True, need=svc.need_create(
        actor=world.district_admin, node=world.community, proxy=True, data=need_data("郝阿姨", "13912349001", "x")))
    assert outsider.post(reverse("demands:open_need_take", args=[fourth.pk]),
                         {"team": world.team_b.node.pk}).status_code == 404
    assert not Assignment.objects.filter(need=fourth).exists()


def test_community_poster_links_to_the_help_page_with_the_community(world):
    client = Client()
    client.force_login(world.district_admin)
    body = client.get(reverse("demands:help_poster", args=[world.community.pk])).content.decode()
    assert f"http://testserver/demands/help/?c={world.community.pk}" in body
    assert 'class="segno"' in body
    client.force_login(world.outsider_admin)
    assert client.get(reverse("demands:help_poster", args=[world.community.pk])).status_code == 404
