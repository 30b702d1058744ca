"""Sign-up (F5): capacity, the waitlist that moves up by itself, manual approval, idempotent retries, cancelling
before the cut-off, and every refusal (R25 confirmed volunteers only, audience, overlap, age, R4 guardian consent,
R9 qualification, R10 insurance, deadline), each with its message and nothing written."""

import datetime

import pytest
from django.utils import timezone

from jinguo.activities import selectors, services
from jinguo.activities.models import Activity, InsurancePolicy, Qualification, SignUp
from jinguo.activities.tests.test_publishing import activity_data, day, make_published
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import Notification
from jinguo.volunteers.models import Consent, Volunteer


def signup(volunteer, activity, *, shift=None, key: str = "") -> SignUp:
    shift = shift or activity.shifts.order_by("start_at", "id").first()
    return services.signup_create(actor=volunteer.user, shift=shift, idempotency_key=key)


def refused(volunteer, activity, code: str, **kwargs) -> DomainError:
    """Sign-up is refused with `code` and leaves no sign-up and no message behind."""
    signups, notes = SignUp.objects.count(), Notification.objects.count()
    with pytest.raises(DomainError) as excinfo:
        signup(volunteer, activity, **kwargs)
    assert excinfo.value.code == code, excinfo.value.message
    assert SignUp.objects.count() == signups
    assert Notification.objects.count() == notes
    return excinfo.value


def born_years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=30)


# ---- capacity, waitlist, approval -----------------------------------------------------------------------------------


def test_auto_approval_confirms_until_full_then_waitlists(world, make_volunteer):
    activity = make_published(world, capacity=2)
    people = [make_volunteer(team=world.team.node) for _ in range(4)]
    statuses = [signup(v, activity).status for v in people]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert Notification.objects.filter(user=people[2].user, body__contains="候补").count() == 1
    assert selectors.waitlist_position(SignUp.objects.get(volunteer=people[3])) == 2


def test_the_waitlist_moves_up_by_itself_when_a_place_frees(world, make_volunteer):
    activity = make_published(world, capacity=1)
    first, second, third = (make_volunteer(team=world.team.node) for _ in range(3))
    taken = signup(first, activity)
    waiting = signup(second, activity)
    signup(third, activity)
    services.signup_cancel(actor=first.user, signup=taken)
    statuses = dict(SignUp.objects.filter(activity=activity).values_list("volunteer_id", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "confirmed", third.pk: "waitlisted"}
    waiting.refresh_from_db()
    assert waiting.note == "候补递补"
    note = Notification.objects.get(user=second.user, title="候补成功")
    assert "已由候补转为录用" in note.body
    assert not Notification.objects.filter(user=third.user, title="候补成功").exists()


def test_manual_approval_holds_places_and_a_rejection_frees_one(world, make_volunteer):
    activity = make_published(world, capacity=1, approval_mode="manual")
    first, second = make_volunteer(team=world.team.node), make_volunteer(team=world.team.node)
    pending = signup(first, activity)
    waiting = signup(second, activity)
    assert (pending.status, waiting.status) == ("pending", "waitlisted")
    with pytest.raises(DomainError):
        services.signup_reject(actor=world.leader, signup=pending, reason="")
    services.signup_reject(actor=world.leader, signup=pending, reason="需要有护理经验")
    waiting.refresh_from_db()
    assert waiting.status == "pending"  # the place is hers, still to be approved
    services.signup_approve(actor=world.leader, signup=waiting)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decided_by_id) == ("confirmed", world.leader.pk)
    assert Notification.objects.get(user=first.user, title="报名未录用").body.endswith("需要有护理经验")
    assert Notification.objects.filter(user=second.user, title="报名已录用").count() == 1


def test_outsiders_cannot_decide_sign_ups(world, member):
    activity = make_published(world, approval_mode="manual")
    pending = signup(member, activity)
    for who in ("outsider_admin", "outsider_leader", "district_staff"):
        with pytest.raises(PermissionDeniedError):
            services.signup_approve(actor=getattr(world, who), signup=pending)
        with pytest.raises(PermissionDeniedError):
            services.signup_cancel(actor=getattr(world, who), signup=pending, reason="越权")
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_retried_request_with_the_same_key_returns_the_same_sign_up(world, member):
    activity = make_published(world)
    first = signup(member, activity, key="5f1c0e3a")
    again = signup(member, activity, key="5f1c0e3a")
    assert again.pk == first.pk
    assert SignUp.objects.count() == 1
    assert Notification.objects.filter(user=member.user).count() == 1
    # Without the key, a second sign-up for the same shift is refused, not duplicated.
    refused(member, activity, "already_signed_up")


# ---- cancelling -----------------------------------------------------------------------------------------------------


def test_she_cancels_before_the_cut_off_but_not_after(world, member, make_volunteer):
    activity = make_published(world, start_at=day(1, 9), end_at=day(1, 11), signup_deadline=day(0, 23, 59),
                              cancel_cutoff_hours=48)
    mine = signup(member, activity)
    with pytest.raises(DomainError) as excinfo:
        services.signup_cancel(actor=member.user, signup=mine)
    assert excinfo.value.code == "cutoff_passed"
    mine.refresh_from_db()
    assert mine.status == "confirmed"
    # The organiser may still take her off, with a reason she is told.
    services.signup_cancel(actor=world.leader, signup=mine, reason="身体不适，已电话沟通")
    mine.refresh_from_db()
    assert (mine.status, mine.note) == ("cancelled", "组织单位取消：身体不适，已电话沟通")
    assert Notification.objects.filter(user=member.user, title="报名已被取消").count() == 1


def test_a_waitlisted_sign_up_can_be_cancelled_any_time(world, make_volunteer):
    activity = make_published(world, capacity=1, start_at=day(1, 9), end_at=day(1, 11),
                              signup_deadline=day(0, 23, 59), cancel_cutoff_hours=48)
    signup(make_volunteer(team=world.team.node), activity)
    waiting = signup(make_volunteer(team=world.team.node), activity)
    services.signup_cancel(actor=waiting.volunteer.user, signup=waiting)
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"


def test_she_can_sign_up_again_after_cancelling(world, member):
    activity = make_published(world)
    services.signup_cancel(actor=member.user, signup=signup(member, activity))
    assert signup(member, activity).status == "confirmed"
    assert SignUp.objects.filter(volunteer=member).count() == 2


# ---- refusals -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "frozen", "withdrawn"])
def test_r25_only_a_confirmed_volunteer_signs_up(world, member, status):
    activity = make_published(world)
    Volunteer.objects.filter(pk=member.pk).update(status=status)
    error = refused(member, activity, "not_confirmed" if status == "pending" else "inactive_volunteer")
    assert "确认" in error.message or "不能报名" in error.message


def test_a_user_without_a_volunteer_record_is_asked_to_register(world):
    activity = make_published(world)
    with pytest.raises(DomainError) as excinfo:
        services.signup_create(actor=world.nobody, shift=activity.shifts.get())
    assert excinfo.value.code == "not_volunteer"
    assert not SignUp.objects.exists()


def test_team_audience_is_for_members_of_the_team_and_its_sub_teams(world, make_volunteer):
    activity = make_published(world, audience="team")
    assert signup(make_volunteer(team=world.subteam.node), activity).status == "confirmed"
    stranger = make_volunteer(team=world.team_b.node, home=world.other_community)
    refused(stranger, activity, "not_audience")
    resident = make_volunteer(home=world.community)  # lives in the district, in no team
    refused(resident, activity, "not_audience")
    assert activity not in selectors.activities_open_to(stranger)
    assert activity in selectors.activities_open_to(make_volunteer(team=world.team.node))


def test_subtree_audience_is_for_residents_and_team_members_below_the_organiser(world, make_volunteer):
    activity = make_published(world, actor=world.district_admin, organiser=world.district, audience="subtree")
    assert signup(make_volunteer(home=world.community), activity).status == "confirmed"
    # A 湖里区 resident who serves in a 思明区 team is in the audience too.
    assert signup(make_volunteer(team=world.team.node, home=world.other_community), activity).status == "confirmed"
    refused(make_volunteer(home=world.other_community), activity, "not_audience")


def test_public_audience_is_for_everyone(world, make_volunteer):
    activity = make_published(world, audience="public")
    assert signup(make_volunteer(home=world.other_community), activity).status == "confirmed"


def test_a_draft_or_cancelled_activity_is_not_open(world, member):
    draft = services.activity_create(actor=world.leader, organiser=world.team.node, data=activity_data())
    refused(member, draft, "not_open")
    activity = make_published(world, title="取消的活动")
    services.activity_cancel(actor=world.leader, activity=activity, reason="下雨")
    refused(member, activity, "not_open")
    assert not selectors.activities_open_to(member).exists()


def test_the_deadline_closes_sign_up(world, member):
    activity = make_published(world)
    Activity.objects.filter(pk=activity.pk).update(signup_deadline=timezone.now() - datetime.timedelta(minutes=1))
    refused(member, activity, "deadline_passed")
    assert not selectors.activities_open_to(member).exists()


def test_overlapping_sign_ups_are_refused(world, member):
    make_published(world, title="上午的活动", service_site="")
    signup(member, Activity.objects.get(title="上午的活动"))
    clash = make_published(world, title="同时段的活动", service_site="", start_at=day(3, 10), end_at=day(3, 12))
    error = refused(member, clash, "overlap")
    assert "上午的活动" in error.message
    later = make_published(world, title="下午的活动", service_site="", start_at=day(3, 11), end_at=day(3, 12))
    assert signup(member, later).status == "confirmed"  # back to back is not an overlap


def test_age_range(world, member, make_volunteer):
    activity = make_published(world, min_age=18, max_age=60)
    old = make_volunteer(team=world.team.node, born=born_years_ago(65))
    error = refused(old, activity, "too_old")
    assert "60" in error.message
    assert signup(member, activity).status == "confirmed"


def test_r4_a_minor_needs_her_guardians_consent(world, make_volunteer):
    activity = make_published(world)
    teen = make_volunteer(team=world.team.node, born=born_years_ago(16))
    error = refused(teen, activity, "guardian_required")
    assert "监护人" in error.message
    Consent.objects.create(volunteer=teen, kind="guardian", version="2026-1", guardian_name="王芳",
                           guardian_phone="13900000001", guardian_relation="母亲")
    assert signup(teen, activity).status == "confirmed"


def test_r4_a_withdrawn_guardian_consent_does_not_count(world, make_volunteer):
    activity = make_published(world)
    teen = make_volunteer(team=world.team.node, born=born_years_ago(15))
    Consent.objects.create(volunteer=teen, kind="guardian", version="2026-1", withdrawn_at=timezone.now())
    refused(teen, activity, "guardian_required")


def test_r9_a_task_that_needs_a_qualification_is_open_only_to_holders(world, member):
    activity = make_published(world, qualification="急救员证")
    error = refused(member, activity, "qualification_required")
    assert "急救员证" in error.message
    expired = Qualification.objects.create(volunteer=member, name="急救员证", valid_until=day(2).date())
    refused(member, activity, "qualification_required")  # expires before the day
    expired.delete()
    Qualification.objects.create(volunteer=member, name=" 急救员证 ", valid_until=day(30).date())
    assert signup(member, activity).status == "confirmed"


def test_r10_a_risky_activity_needs_insurance_on_every_day_of_the_shift(world, member):
    activity = make_published(world, is_risky=True, start_at=day(3, 20), end_at=day(4, 2),
                              signup_deadline=day(2, 18))
    error = refused(member, activity, "insurance_required")
    assert "保险" in error.message
    policy = InsurancePolicy.objects.create(holder=world.team.node, insurer="中国人寿", policy_number="P-1",
                                            starts_on=day(0).date(), ends_on=day(3).date())
    policy.volunteers.add(member)
    error = refused(member, activity, "insurance_required")  # the night shift ends on day 4
    assert f"{day(4).month}月{day(4).day}日" in error.message
    InsurancePolicy.objects.filter(pk=policy.pk).update(ends_on=day(10).date())
    assert signup(member, activity).status == "confirmed"
    assert selectors.insurance_covers(member, day(4).date()) is True
    assert selectors.insurance_covers(member, day(11).date()) is False


# ---- no-shows and messages ----------------------------------------------------------------------------------------


def test_no_shows_are_marked_after_the_shift_and_never_over_a_check_in(world, member, make_volunteer):
    from jinguo.activities.models import Attendance

    activity = make_published(world)
    mine = signup(member, activity)
    other = signup(make_volunteer(team=world.team.node), activity)
    with pytest.raises(DomainError) as excinfo:
        services.signup_mark_no_show(actor=world.leader, signup=mine)
    assert excinfo.value.code == "not_over"
    Activity.objects.filter(pk=activity.pk).update(start_at=day(-1, 9), end_at=day(-1, 11))
    activity.shifts.update(start_at=day(-1, 9), end_at=day(-1, 11))
    Attendance.objects.create(activity=activity, shift=other.shift, volunteer=other.volunteer, signup=other,
                              status="out", check_in_at=day(-1, 9), check_out_at=day(-1, 11))
    with pytest.raises(DomainError) as excinfo:
        services.signup_mark_no_show(actor=world.leader, signup=other)
    assert excinfo.value.code == "attended"
    with pytest.raises(PermissionDeniedError):
        services.signup_mark_no_show(actor=world.outsider_leader, signup=mine)
    services.signup_mark_no_show(actor=world.leader, signup=mine)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.no_show, other.no_show) == (True, False)
    services.signup_mark_no_show(actor=world.leader, signup=mine, no_show=False)
    mine.refresh_from_db()
    assert mine.no_show is False


def test_a_message_reaches_the_chosen_part_of_the_roster_and_is_logged(world, make_volunteer,
                                                                     django_capture_on_commit_callbacks):
    from jinguo.core.models import AuditLog
    from jinguo.core.sms import MemorySmsBackend

    activity = make_published(world, capacity=1)
    confirmed = make_volunteer(team=world.team.node)
    waitlisted = make_volunteer(team=world.team.node)
    signup(confirmed, activity)
    signup(waitlisted, activity)
    MemorySmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.roster_message(actor=world.leader, activity=activity, title="集合地点变更",
                                       body="改在社区东门集合", sms=True)
    assert sent == 1
    note = Notification.objects.get(title=f"{activity.title}：集合地点变更")
    assert (note.user_id, note.body) == (confirmed.user_id, "改在社区东门集合")
    assert [phone for phone, _ in MemorySmsBackend.outbox] == [confirmed.phone]
    entry = AuditLog.objects.get(action="activity.message_sent")
    assert entry.detail["recipients"] == 1
    assert entry.detail["channels"] == ["inapp", "sms"]
    with pytest.raises(PermissionDeniedError):
        services.roster_message(actor=world.outsider_admin, activity=activity, title="越权", body="越权")
    assert Notification.objects.filter(title__contains="越权").count() == 0
