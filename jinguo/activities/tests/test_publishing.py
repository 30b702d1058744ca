"""Publishing (F5): drafts, R7 (no risk statement, no publishing), R30 (approval from above), R29 (one site, a few
activities a day), shifts, cancelling (everyone signed up is told), archiving. Refusals write nothing.

The helpers at the top build activities through the services; the other test modules of this app import them."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from jinguo.activities import services
from jinguo.activities.models import Activity, Shift, SignUp
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Notification
from jinguo.core.sms import MemorySmsBackend
from jinguo.orgs.models import Node

TZ = timezone.get_current_timezone()


def day(offset: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """A local time `offset` days from today."""
    date = timezone.localdate() + datetime.timedelta(days=offset)
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=TZ)


def activity_data(**overrides) -> dict:
    """A complete recruitment notice three days from now, 09:00-11:00."""
    data = {
        "title": "湖滨社区敬老院助老服务",
        "category": "care",
        "content": "陪老人聊天、读报、整理房间",
        "address": "思明区湖滨南路 100 号",
        "service_site": "湖滨社区敬老院",
        "start_at": day(3, 9),
        "end_at": day(3, 11),
        "capacity": 5,
        "signup_deadline": day(2, 18),
        "cancel_cutoff_hours": 24,
        "approval_mode": "auto",
        "audience": "subtree",
        "campaign": "",
        "risk_statement": "老人行动不便，搀扶时注意防跌倒",
        "protection": "现场有护工指导，配备急救包",
        "is_risky": False,
        "skills_required": "",
        "qualification": "",
        "min_age": None,
        "max_age": None,
        "latitude": None,
        "longitude": None,
        "geofence_m": None,
    }
    data.update(overrides)
    return data


def make_published(world, *, actor=None, organiser=None, shifts=None, **overrides) -> Activity:
    actor = actor or world.leader
    organiser = organiser or world.team.node
    activity = services.activity_create(actor=actor, organiser=organiser, data=activity_data(**overrides),
                                        shifts=shifts)
    return services.activity_publish(actor=actor, activity=activity)


def audit_actions(prefix: str = "activity.") -> list[str]:
    return list(AuditLog.objects.filter(action__startswith=prefix).order_by("id").values_list("action", flat=True))


# ---- drafts and R7 --------------------------------------------------------------------------------------------------


def test_a_draft_may_lack_the_risk_statement_but_publishing_refuses_and_changes_nothing(world):
    draft = services.activity_create(
        actor=world.leader, organiser=world.team.node, data=activity_data(risk_statement="", protection="")
    )
    assert draft.status == "draft"
    with pytest.raises(DomainError) as excinfo:
        services.activity_publish(actor=world.leader, activity=draft)
    assert excinfo.value.code == "not_ready"
    assert excinfo.value.field == "risk_statement"
    assert "风险" in excinfo.value.message
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == ("draft", None)
    assert audit_actions() == ["activity.created"]


def test_publishing_a_complete_notice_opens_it_with_one_shift_equal_to_the_activity(world):
    activity = make_published(world)
    assert activity.status == "published"
    assert activity.published_at is not None
    shift = Shift.objects.get(activity=activity)
    assert (shift.name, shift.start_at, shift.end_at, shift.capacity) == ("", day(3, 9), day(3, 11), 5)
    assert activity.phase == "upcoming"
    assert audit_actions() == ["activity.created", "activity.published"]


def test_shifts_each_have_their_capacity_and_the_activity_counts_their_sum(world):
    activity = make_published(world, shifts=[
        {"name": "上午班", "start_at": day(3, 9), "end_at": day(3, 10), "capacity": 3},
        {"name": "下午班", "start_at": day(3, 10), "end_at": day(3, 11), "capacity": 4},
    ])
    assert activity.capacity == 7
    assert list(activity.shifts.values_list("name", "capacity")) == [("上午班", 3), ("下午班", 4)]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"end_at": day(3, 8)}, "end_at", "bad_times"),
        ({"signup_deadline": day(4, 9)}, "signup_deadline", "bad_deadline"),
        ({"capacity": 0}, "capacity", "bad_capacity"),
        ({"min_age": 60, "max_age": 18}, "max_age", "bad_age"),
        ({"latitude": 24.48}, "longitude", "bad_point"),
        ({"geofence_m": 200}, "geofence_m", "geofence_needs_point"),
        ({"title": "  "}, "title", "required"),
    ],
)
def test_bad_fields_are_refused_on_their_field_and_nothing_is_created(world, overrides, field, code):
    with pytest.raises(DomainError) as excinfo:
        services.activity_create(actor=world.leader, organiser=world.team.node, data=activity_data(**overrides))
    assert (excinfo.value.field, excinfo.value.code) == (field, code)
    assert not Activity.objects.exists()
    assert not Shift.objects.exists()


def test_a_shift_outside_the_activity_is_refused_and_nothing_is_created(world):
    with pytest.raises(DomainError) as excinfo:
        services.activity_create(actor=world.leader, organiser=world.team.node, data=activity_data(), shifts=[
            {"name": "晚班", "start_at": day(3, 18), "end_at": day(3, 20), "capacity": 2},
        ])
    assert excinfo.value.field == "shifts"
    assert "不在活动时间之内" in excinfo.value.message
    assert not Activity.objects.exists()


def test_team_audience_is_only_for_teams(world):
    with pytest.raises(DomainError) as excinfo:
        services.activity_create(actor=world.district_admin, organiser=world.district, data=activity_data(audience="team"))
    assert excinfo.value.field == "audience"
    assert not Activity.objects.exists()


@pytest.mark.parametrize("who", ["outsider_admin", "outsider_leader", "district_staff", "nobody"])
def test_outsiders_and_read_only_staff_cannot_create_for_our_team(world, who):
    with pytest.raises(PermissionDeniedError):
        services.activity_create(actor=getattr(world, who), organiser=world.team.node, data=activity_data())
    assert not Activity.objects.exists()


def test_outsiders_cannot_publish_edit_or_cancel_our_activity(world):
    draft = services.activity_create(actor=world.leader, organiser=world.team.node, data=activity_data())
    for who in ("outsider_admin", "outsider_leader", "district_staff"):
        actor = getattr(world, who)
        with pytest.raises(PermissionDeniedError):
            services.activity_publish(actor=actor, activity=draft)
        with pytest.raises(PermissionDeniedError):
            services.activity_update(actor=actor, activity=draft, data=activity_data(title="被改了"))
        with pytest.raises(PermissionDeniedError):
            services.activity_cancel(actor=actor, activity=draft, reason="越权")
    draft.refresh_from_db()
    assert (draft.status, draft.title) == ("draft", "湖滨社区敬老院助老服务")


# ---- R30: approval from above --------------------------------------------------------------------------------------


def _require_approval(node: Node) -> None:
    Node.objects.filter(pk=node.pk).update(requires_publish_approval=True)


def test_r30_a_node_above_that_requires_approval_receives_it_and_its_admin_publishes_it(world):
    _require_approval(world.city)
    activity = make_published(world)
    assert activity.status == "pending"
    assert activity.approval_node_id == world.city.pk
    assert Notification.objects.filter(user=world.city_admin, title="有活动待审核").count() == 1
    # The district is below the city: its admin may not approve for the city.
    with pytest.raises(PermissionDeniedError):
        services.activity_approve(actor=world.district_admin, activity=activity)
    activity.refresh_from_db()
    assert activity.status == "pending"

    services.activity_approve(actor=world.city_admin, activity=activity)
    activity.refresh_from_db()
    assert (activity.status, activity.approved_by_id) == ("published", world.city_admin.pk)
    assert Notification.objects.filter(user=world.leader, title="活动审核通过").count() == 1


def test_r30_the_nearest_requiring_node_approves(world):
    _require_approval(world.city)
    _require_approval(world.district)
    activity = make_published(world)
    assert activity.approval_node_id == world.district.pk


def test_r30_an_admin_of_the_approving_node_publishes_directly(world):
    _require_approval(world.district)
    activity = make_published(world, actor=world.district_admin)
    assert activity.status == "published"
    assert activity.approved_by_id == world.district_admin.pk


def test_r30_the_node_itself_does_not_approve_its_own_activities(world):
    _require_approval(world.district)
    activity = make_published(world, actor=world.district_admin, organiser=world.district)
    assert (activity.status, activity.approval_node_id) == ("published", None)


def test_r30_a_rejection_needs_a_reason_and_sends_it_back_as_a_draft(world):
    _require_approval(world.district)
    activity = make_published(world)
    with pytest.raises(DomainError) as excinfo:
        services.activity_reject(actor=world.district_admin, activity=activity, reason=" ")
    assert excinfo.value.field == "reason"
    activity.refresh_from_db()
    assert activity.status == "pending"
    services.activity_reject(actor=world.district_admin, activity=activity, reason="服务内容写得不够具体")
    activity.refresh_from_db()
    assert (activity.status, activity.approval_note) == ("draft", "服务内容写得不够具体")
    assert Notification.objects.get(user=world.leader, title="活动未通过审核").body.endswith("服务内容写得不够具体")
    # Fixed and submitted again, it waits once more.
    services.activity_publish(actor=world.leader, activity=activity)
    activity.refresh_from_db()
    assert activity.status == "pending"


def test_r30_a_pending_activity_is_withdrawn_before_it_is_edited(world):
    _require_approval(world.district)
    activity = make_published(world)
    with pytest.raises(DomainError) as excinfo:
        services.activity_update(actor=world.leader, activity=activity, data=activity_data(title="改个名字"))
    assert excinfo.value.code == "pending"
    services.activity_withdraw(actor=world.leader, activity=activity)
    services.activity_update(actor=world.leader, activity=activity, data=activity_data(title="改个名字"))
    activity.refresh_from_db()
    assert (activity.status, activity.title) == ("draft", "改个名字")


# ---- R29: one site, a few activities a day ------------------------------------------------------------------------


@override_settings(SITE_DAILY_CAP=2)
def test_r29_the_third_activity_for_one_site_on_one_day_is_refused_naming_the_others(world):
    first = make_published(world, title="重阳节敬老院上午场")
    second = make_published(world, actor=world.district_admin, organiser=world.district, title="重阳节敬老院下午场",
                            start_at=day(3, 14), end_at=day(3, 16))
    # Spaces and full-width letters do not make it another site.
    third = services.activity_create(actor=world.district_admin, organiser=world.subteam.node,
                                     data=activity_data(title="第三场", service_site=" 湖滨社区 敬老院 "))
    with pytest.raises(DomainError) as excinfo:
        services.activity_publish(actor=world.district_admin, activity=third)
    error = excinfo.value
    assert error.code == "site_cap"
    assert error.field == "service_site"
    assert "「重阳节敬老院上午场」" in error.message
    assert "「重阳节敬老院下午场」" in error.message
    assert error.detail["activities"] == [first.pk, second.pk]
    third.refresh_from_db()
    assert third.status == "draft"
    # Another day is fine.
    services.activity_update(actor=world.district_admin, activity=third,
                             data=activity_data(title="第三场", start_at=day(4, 9), end_at=day(4, 11)))
    assert services.activity_publish(actor=world.district_admin, activity=third).status == "published"


@override_settings(SITE_DAILY_CAP=1)
def test_r29_an_outsider_activity_is_named_without_its_title(world):
    make_published(world, actor=world.outsider_admin, organiser=world.other_district, title="湖里区的秘密活动")
    draft = services.activity_create(actor=world.leader, organiser=world.team.node, data=activity_data())
    with pytest.raises(DomainError) as excinfo:
        services.activity_publish(actor=world.leader, activity=draft)
    assert "湖里区的秘密活动" not in excinfo.value.message
    assert "湖里区妇联 09:00 的活动" in excinfo.value.message


@override_settings(SITE_DAILY_CAP=1)
def test_r29_is_checked_again_when_the_approver_publishes(world):
    _require_approval(world.district)
    waiting = make_published(world, title="等待审核的活动")
    assert waiting.status == "pending"
    make_published(world, actor=world.district_admin, organiser=world.district, title="区里先发布的活动")
    with pytest.raises(DomainError) as excinfo:
        services.activity_approve(actor=world.district_admin, activity=waiting)
    assert excinfo.value.code == "site_cap"
    waiting.refresh_from_db()
    assert waiting.status == "pending"


# ---- editing a published activity ----------------------------------------------------------------------------------


def test_more_places_move_the_waitlist_up_and_fewer_than_taken_are_refused(world, make_volunteer):
    from jinguo.activities.tests.test_signup import signup

    activity = make_published(world, capacity=1)
    first, second = make_volunteer(team=world.team.node), make_volunteer(team=world.team.node)
    assert signup(first, activity).status == "confirmed"
    waiting = signup(second, activity)
    assert waiting.status == "waitlisted"
    with pytest.raises(DomainError) as excinfo:
        services.activity_update(actor=world.leader, activity=activity, data=activity_data(capacity=0))
    assert excinfo.value.field == "capacity"
    services.activity_update(actor=world.leader, activity=activity, data=activity_data(capacity=2))
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert Notification.objects.filter(user=second.user, title="候补成功").count() == 1


def test_a_shift_somebody_signed_up_for_is_not_deleted(world, member):
    from jinguo.activities.tests.test_signup import signup

    activity = make_published(world, shifts=[
        {"name": "上午班", "start_at": day(3, 9), "end_at": day(3, 10), "capacity": 3},
        {"name": "下午班", "start_at": day(3, 10), "end_at": day(3, 11), "capacity": 3},
    ])
    morning = activity.shifts.get(name="上午班")
    signup(member, activity, shift=morning)
    afternoon = activity.shifts.get(name="下午班")
    with pytest.raises(DomainError) as excinfo:
        services.activity_update(actor=world.leader, activity=activity, data=activity_data(), shifts=[
            {"id": afternoon.pk, "name": "下午班", "start_at": day(3, 10), "end_at": day(3, 11), "capacity": 3},
        ])
    assert excinfo.value.code == "shift_in_use"
    assert activity.shifts.count() == 2


# ---- cancelling and archiving -------------------------------------------------------------------------------------


def test_cancelling_notifies_everyone_signed_up_in_app_and_by_sms(world, make_volunteer,
                                                                  django_capture_on_commit_callbacks):
    from jinguo.activities.tests.test_signup import signup

    activity = make_published(world, capacity=1)
    confirmed, waitlisted = make_volunteer(team=world.team.node), make_volunteer(team=world.team.node)
    signup(confirmed, activity)
    signup(waitlisted, activity)
    MemorySmsBackend.outbox.clear()
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_cancel(actor=world.leader, activity=activity, reason="台风预警，活动取消")
    activity.refresh_from_db()
    assert (activity.status, activity.cancel_reason) == ("cancelled", "台风预警，活动取消")
    assert set(SignUp.objects.filter(activity=activity).values_list("status", flat=True)) == {"cancelled"}
    notes = Notification.objects.filter(title="活动已取消")
    assert sorted(notes.values_list("user_id", flat=True)) == sorted([confirmed.user_id, waitlisted.user_id])
    assert "台风预警，活动取消" in notes.first().body
    assert sorted(phone for phone, _ in MemorySmsBackend.outbox) == sorted([confirmed.phone, waitlisted.phone])


def test_cancelling_needs_a_reason_and_an_unfinished_activity(world):
    activity = make_published(world)
    with pytest.raises(DomainError):
        services.activity_cancel(actor=world.leader, activity=activity, reason="")
    Activity.objects.filter(pk=activity.pk).update(start_at=day(-3, 9), end_at=day(-3, 11), signup_deadline=day(-4))
    with pytest.raises(DomainError) as excinfo:
        services.activity_cancel(actor=world.leader, activity=activity, reason="晚了")
    assert excinfo.value.code == "finished"
    activity.refresh_from_db()
    assert activity.status == "published"


def test_only_a_finished_activity_is_archived(world):
    activity = make_published(world)
    with pytest.raises(DomainError):
        services.activity_archive(actor=world.leader, activity=activity)
    Activity.objects.filter(pk=activity.pk).update(start_at=day(-3, 9), end_at=day(-3, 11), signup_deadline=day(-4))
    activity.refresh_from_db()
    assert activity.phase == "finished"
    services.activity_archive(actor=world.leader, activity=activity)
    activity.refresh_from_db()
    assert activity.status == "archived"
