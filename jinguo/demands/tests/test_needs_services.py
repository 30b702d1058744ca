"""Part A's services: posting (self, proxy, menu order), validation in Chinese with nothing written, review (R8) with
the answer reaching the requester, cancel, menus, numbering, no price anywhere (R11)."""

import datetime
import re

import pytest
from django.utils import timezone

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Notification
from jinguo.core.sms import MemorySmsBackend
from jinguo.demands import services_needs as svc
from jinguo.demands import stats
from jinguo.demands.models import Assignment, MenuItem, Need, ProviderStats
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role

from .targets_needs import need_data


@pytest.fixture
def community_admin(world):
    from conftest import make_user

    user = make_user("community_admin")
    org_services.role_grant(actor=world.root_user, user=user, role=Role.FEDERATION_ADMIN, node=world.community)
    return user


def proxy(world, **extra):
    data = need_data("郝阿姨", "13912349001", "湖滨南路8号301", **extra)
    return svc.need_create(actor=world.district_admin, node=world.community, proxy=True, data=data)


def menu(world, **extra):
    data = {"category": "health", "title": "上门量血压", "content": "每周六上门量血压", "area": world.district,
            "service_times": ["weekend"], "time_note": "周六上午", "monthly_capacity": 2, **extra}
    return svc.menu_item_create(actor=world.leader, team=world.team.node, data=data)


# ---- posting ----------------------------------------------------------------------------------------------------


def test_proxy_entry_numbers_the_need_audits_and_tells_the_community(world, community_admin):
    need = proxy(world)
    today = timezone.localdate()
    assert need.number == f"XQ{today:%Y%m%d}0001"
    assert re.fullmatch(r"\d{8}", need.tracking_code)
    assert (need.source, need.status, need.node_id, need.created_by_id) == (
        "proxy", "submitted", world.community.pk, world.district_admin.pk
    )
    assert need.requester_user_id is None
    assert need.public_summary == "湖滨社区居民需要「巾帼爱心帮扶」服务，希望时间：周六上午"
    assert AuditLog.objects.filter(action="demands.need.create.proxy", target_id=str(need.pk)).count() == 1
    notes = Notification.objects.filter(user=community_admin)
    assert [n.title for n in notes] == [f"新的服务需求待审核：{need.number}"]
    # the district admin is two levels up: not told of each single need
    assert not Notification.objects.filter(user=world.district_admin).exists()
    second = proxy(world)
    assert second.number == f"XQ{today:%Y%m%d}0002"
    assert second.tracking_code != need.tracking_code


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"requester_phone": "1391234"}, "bad_phone", "请填写正确的 11 位手机号码。"),
        ({"requester_phone": ""}, "bad_phone", "请填写正确的 11 位手机号码。"),
        ({"description": "  "}, "description_missing", "请说一说需要什么帮助。"),
        ({"address": ""}, "address_missing", "请填写服务地址（小区、楼栋门牌）。"),
        ({"category": "pets"}, "bad_category", "请选择需要的服务。"),
        ({"category": "other"}, "other_category_missing", "请说明需要哪一类服务。"),
        ({"vulnerable_flags": ["rich"]}, "bad_flag", "特殊群体标记无效。"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(world, change, code, message):
    data = {**need_data("郝阿姨", "13912349001", "湖滨南路8号301"), **change}
    with pytest.raises(DomainError) as exc:
        svc.need_create(actor=None, node=world.community, data=data, phone_proved=True)
    assert (exc.value.code, exc.value.message) == (code, message)
    assert Need.objects.count() == 0
    assert not AuditLog.objects.filter(action__startswith="demands.").exists()


def test_a_node_that_is_not_a_community_is_refused(world):
    for node in (world.street, world.team.node):
        with pytest.raises(DomainError) as exc:
            svc.need_create(actor=None, node=node, data=need_data("郝阿姨", "13912349001", "x"), phone_proved=True)
        assert (exc.value.code, exc.value.message) == ("not_community", "所在社区必须是社区（村）一级，请重新选择。")
    assert Need.objects.count() == 0


def test_self_posting_needs_a_proved_phone_and_proxy_needs_scope(world):
    data = need_data("郝阿姨", "1391234 9001", "湖滨南路8号301")
    with pytest.raises(DomainError) as exc:
        svc.need_create(actor=None, node=world.community, data=data)
    assert exc.value.code == "phone_not_proved"
    with pytest.raises(PermissionDeniedError):
        svc.need_create(actor=world.outsider_admin, node=world.community, data=data, proxy=True)
    with pytest.raises(PermissionDeniedError):
        svc.need_create(actor=world.district_staff, node=world.community, data=data, proxy=True)  # read-only
    assert Need.objects.count() == 0
    need = svc.need_create(actor=None, node=world.community, data=data, phone_proved=True)
    assert (need.source, need.requester_phone, need.requester_user_id) == ("self", "13912349001", None)


def test_without_community_staff_the_nearest_level_above_is_told(world):
    need = proxy(world)
    assert sorted(Notification.objects.values_list("user_id", "title")) == sorted([
        (world.district_staff.pk, f"新的服务需求待审核：{need.number}"),
        (world.district_admin.pk, f"新的服务需求待审核：{need.number}"),
    ])
    assert not Notification.objects.filter(user=world.city_admin).exists()


def test_a_logged_in_resident_is_the_requester(world):
    need = svc.need_create(
        actor=world.nobody, node=world.community, data=need_data("郝阿姨", "13912349001", "x"), phone_proved=True
    )
    assert need.requester_user_id == world.nobody.pk


def test_past_preferred_date_is_refused(world):
    with pytest.raises(DomainError) as exc:
        proxy(world, preferred_date=timezone.localdate() - datetime.timedelta(days=1))
    assert exc.value.message == "希望服务日期不能早于今天。"


# ---- review (R8) ------------------------------------------------------------------------------------------------


def test_accept_opens_the_need_sets_its_deadline_and_tells_her(world, django_capture_on_commit_callbacks):
    need = svc.need_create(
        actor=world.nobody, node=world.community, data=need_data("郝阿姨", "13912349001", "x", urgency="urgent"),
        phone_proved=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        need = svc.need_review(
            actor=world.district_admin, need=need, accept=True, public_summary="需要陪同就医", claimable=True
        )
    need.refresh_from_db()
    assert (need.status, need.public_summary, need.claimable, need.reviewed_by_id) == (
        "open", "需要陪同就医", True, world.district_admin.pk
    )
    assert need.accept_deadline - need.reviewed_at == datetime.timedelta(hours=12)  # DEMAND_ACCEPT_HOURS["urgent"]
    assert [p for p, _ in MemorySmsBackend.outbox] == ["13912349001"]
    assert "您的服务需求已受理" in MemorySmsBackend.outbox[0][1]
    assert need.tracking_code in MemorySmsBackend.outbox[0][1]
    assert Notification.objects.filter(user=world.nobody, title="您的服务需求已受理").count() == 1
    assert AuditLog.objects.filter(action="demands.need.accept", target_id=str(need.pk)).count() == 1


def test_reject_needs_a_reason_which_reaches_her(world, django_capture_on_commit_callbacks):
    need = proxy(world)
    with pytest.raises(DomainError) as exc:
        svc.need_review(actor=world.district_admin, need=need, accept=False, reason=" ")
    assert (exc.value.code, exc.value.message) == ("reason_missing", "不予受理时请填写原因，原因会告知需求人。")
    need.refresh_from_db()
    assert need.status == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        svc.need_review(actor=world.district_admin, need=need, accept=False, reason="不属于本社区服务范围")
    need.refresh_from_db()
    assert (need.status, need.reject_reason) == ("rejected", "不属于本社区服务范围")
    assert need.closed_at is not None
    assert MemorySmsBackend.outbox == [
        ("13912349001", f"【巾帼志愿】您的服务需求未受理：编号 {need.number}。原因：不属于本社区服务范围")
    ]


def test_review_needs_change_scope_and_a_submitted_need(world):
    need = proxy(world)
    for actor in (world.outsider_admin, world.district_staff, world.leader):
        with pytest.raises(PermissionDeniedError):
            svc.need_review(actor=actor, need=need, accept=True)
    need.refresh_from_db()
    assert need.status == "submitted"
    svc.need_review(actor=world.city_admin, need=need, accept=True)  # a level above may review too
    with pytest.raises(DomainError) as exc:
        svc.need_review(actor=world.district_admin, need=need, accept=False, reason="重复")
    assert exc.value.message == "该需求当前状态为「待派单」，不能再审核。"


# ---- cancel -----------------------------------------------------------------------------------------------------


def test_requester_cancels_with_code_and_phone_only(world):
    need = proxy(world)
    with pytest.raises(PermissionDeniedError):
        svc.need_cancel(actor=None, need=need, tracking_code=need.tracking_code, phone="13900000000")
    with pytest.raises(PermissionDeniedError):
        svc.need_cancel(actor=world.outsider_admin, need=need, reason="越权")
    need.refresh_from_db()
    assert need.status == "submitted"
    svc.need_cancel(actor=None, need=need, tracking_code=need.tracking_code, phone="139 1234 9001")
    need.refresh_from_db()
    assert need.status == "cancelled"
    assert AuditLog.objects.get(action="demands.need.cancel").detail == {"by": "requester"}


def test_staff_cancel_needs_a_reason_and_withdraws_the_live_assignment(world):
    need = svc.need_review(actor=world.district_admin, need=proxy(world), accept=True)
    assignment = Assignment.objects.create(
        need=need, assignee_kind="team", team=world.team.node, mode="dispatch", status="accepted"
    )
    stats.accepted(assignment)
    Need.objects.filter(pk=need.pk).update(status="accepted")
    with pytest.raises(DomainError) as exc:
        svc.need_cancel(actor=world.district_admin, need=need)
    assert exc.value.code == "reason_missing"
    svc.need_cancel(actor=world.district_admin, need=need, reason="老人已住院")
    need.refresh_from_db()
    assignment.refresh_from_db()
    assert (need.status, need.reject_reason) == ("cancelled", "撤销：老人已住院")
    assert (assignment.status, assignment.reason) == ("withdrawn", "需求已撤销：老人已住院")
    assert ProviderStats.objects.get(team=world.team.node).open_count == 0


def test_a_need_in_service_cannot_be_cancelled(world):
    need = proxy(world)
    Need.objects.filter(pk=need.pk).update(status="in_service")
    with pytest.raises(DomainError) as exc:
        svc.need_cancel(actor=world.district_admin, need=need, reason="不要了")
    assert exc.value.message == "该需求当前状态为「服务中」，不能撤销。"


# ---- menus ------------------------------------------------------------------------------------------------------


def test_menu_item_crud_by_the_team_leader(world):
    item = menu(world)
    assert (item.team_id, item.area_id, item.is_active, item.created_by_id) == (
        world.team.node.pk, world.district.pk, True, world.leader.pk
    )
    svc.menu_item_update(actor=world.leader, item=item, data={
        "category": "health", "title": "上门量血压测血糖", "content": "每周六", "area": world.street,
        "service_times": [], "monthly_capacity": 4,
    })  # fmt: skip
    item.refresh_from_db()
    assert (item.title, item.area_id, item.monthly_capacity) == ("上门量血压测血糖", world.street.pk, 4)
    svc.menu_item_deactivate(actor=world.leader, item=item)
    item.refresh_from_db()
    assert item.is_active is False
    assert sorted(AuditLog.objects.filter(action__startswith="demands.menu").values_list("action", flat=True)) == [
        "demands.menu.create", "demands.menu.deactivate", "demands.menu.update",
    ]


def test_menu_refusals(world):
    with pytest.raises(PermissionDeniedError):
        svc.menu_item_create(actor=world.outsider_leader, team=world.team.node, data={})
    with pytest.raises(DomainError) as exc:
        menu(world, area=world.other_district)
    assert exc.value.message == "服务范围须为思明区妇联或其下级社区、街道。"
    with pytest.raises(DomainError) as exc:
        svc.menu_item_create(actor=world.district_admin, team=world.street, data={})
    assert exc.value.code == "not_team"
    with pytest.raises(DomainError) as exc:
        menu(world, monthly_capacity=0)
    assert exc.value.code == "bad_capacity"
    assert MenuItem.objects.count() == 0


def test_order_creates_a_menu_need_within_area_and_capacity(world):
    item = menu(world)
    data = need_data("郝阿姨", "13912349001", "湖滨南路8号301", description="")
    need = svc.menu_order(actor=None, item=item, node=world.community, data=data, phone_proved=True)
    assert (need.source, need.menu_item_id, need.category, need.description) == (
        "menu", item.pk, "health", "点单：上门量血压"
    )
    with pytest.raises(DomainError) as exc:
        svc.menu_order(actor=None, item=item, node=world.other_community, data=data, phone_proved=True)
    assert exc.value.message == "该服务项目只面向思明区妇联的居民。"
    svc.menu_order(actor=None, item=item, node=world.community, data=data, phone_proved=True)
    with pytest.raises(DomainError) as exc:
        svc.menu_order(actor=None, item=item, node=world.community, data=data, phone_proved=True)
    assert exc.value.code == "menu_full"
    # a rejected order frees its place in the month
    svc.need_review(actor=world.district_admin, need=need, accept=False, reason="重复提交")
    assert svc.menu_order(actor=None, item=item, node=world.community, data=data, phone_proved=True).pk
    svc.menu_item_deactivate(actor=world.leader, item=item)
    with pytest.raises(DomainError) as exc:
        svc.menu_order(actor=None, item=item, node=world.community, data=data, phone_proved=True)
    assert exc.value.code == "menu_inactive"
    assert Need.objects.filter(source="menu").count() == 3


def test_no_price_field_anywhere_in_the_flow():
    """R11: nothing is charged to those served, so no model of the flow can even hold a price."""
    from django.apps import apps

    words = ("price", "fee", "cost", "charge", "amount")
    for model in apps.get_app_config("demands").get_models():
        names = [f.name for f in model._meta.get_fields()]
        assert not [n for n in names if any(w in n for w in words)], model
