"""The ledger pages: records in scope with cache totals, a record's chain of corrections, corrections by the organiser
(R14) as new entries, the review queue of held records from above, correction requests (R16), the star distribution
(R19) and her own archive (R27 marks); outsiders see nothing and change nothing."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from jinguo.activities.models import Activity, Shift, SignUp
from jinguo.hours import ledger
from jinguo.hours.models import CorrectionRequest, NodeHours, RecordStatus, ServiceRecord, StarChange, VolunteerHours

TZ = timezone.get_current_timezone()


def at(days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TZ)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def activity_of(world, *, start, end, title="社区普法宣传", organiser=None):
    activity = Activity.objects.create(
        organiser=organiser or world.team.node, title=title, category="legal", content="普法宣传",
        address="湖滨社区活动室", start_at=start, end_at=end, capacity=10, signup_deadline=start,
        risk_statement="无", protection="有", status="published", published_at=start, created_by=world.leader,
    )
    Shift.objects.create(activity=activity, start_at=start, end_at=end, capacity=10)
    return activity


def roster_record(world, volunteer, start, end, *, activity=None, actor=None, organiser=None):
    return ledger.record_create(
        volunteer=volunteer, organiser=organiser or world.team.node, start_at=start, end_at=end, method="roster",
        actor=actor or world.leader, activity=activity,
    )


def form_time(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%dT%H:%M}"


# ---- the records list -------------------------------------------------------------------------------------------


def test_records_in_scope_with_totals_from_the_caches(world, member, make_volunteer):
    roster_record(world, member, at(3, 9), at(3, 11))
    other = make_volunteer(team=world.team_b.node, home=world.other_community)
    roster_record(world, other, at(3, 9), at(3, 12), organiser=world.team_b.node, actor=world.outsider_leader)
    page = login(world.district_admin).get(reverse("hours:records")).content.decode()
    assert member.name in page
    assert other.name not in page
    assert "他人代录" in page
    assert '<div class="jg-stat">2</div>' in page  # counted hours of 思明区, from NodeHours
    outsider = login(world.outsider_admin).get(reverse("hours:records")).content.decode()
    assert member.name not in outsider
    assert other.name in outsider
    assert '<div class="jg-stat">3</div>' in outsider


def test_the_records_list_filters(world, member, make_volunteer):
    roster_record(world, member, at(3, 9), at(3, 11))
    second = make_volunteer(team=world.team.node)
    roster_record(world, second, at(40, 9), at(40, 10))  # long after: held for review (R28)
    client = login(world.leader)
    held = client.get(reverse("hours:records"), {"status": "held"}).content.decode()
    assert second.name in held
    assert member.name not in held
    by_name = client.get(reverse("hours:records"), {"q": member.name}).content.decode()
    assert member.name in by_name
    assert second.name not in by_name
    by_number = client.get(reverse("hours:records"), {"q": second.number})
    assert second.name in by_number.content.decode()
    flagged = client.get(reverse("hours:records"), {"flag": "late_entry"}).content.decode()
    assert second.name in flagged
    assert member.name not in flagged
    dated = client.get(reverse("hours:records"), {"date_from": f"{at(5, 0):%Y-%m-%d}"}).content.decode()
    assert member.name in dated
    assert second.name not in dated
    assert "符合条件的有效记录 <strong>1</strong> 条，合计 <strong>2</strong> 小时" in dated
    wrong = client.get(reverse("hours:records"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}).content.decode()
    assert "结束日期不能早于开始日期" in wrong
    part = client.get(reverse("hours:records"), {"status": "held"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part
    assert second.name in part


def test_a_plain_volunteer_has_no_records_list(world, member):
    assert login(member.user).get(reverse("hours:records")).status_code == 404
    assert login(member.user).get(reverse("hours:review")).status_code == 404


# ---- one record, its corrections --------------------------------------------------------------------------------


def test_a_correction_is_a_new_entry_and_the_chain_shows_who_when_why(world, member):
    entry = roster_record(world, member, at(3, 9), at(3, 12))
    url = reverse("hours:record_correct", args=[entry.pk])
    client = login(world.leader)
    assert "应为开始时间" in client.get(url).content.decode()
    missing = client.post(url, {"start_at": form_time(at(3, 9)), "end_at": form_time(at(3, 10)), "reason": ""})
    assert "这个字段是必填项" in missing.content.decode() or "必填" in missing.content.decode()
    response = client.post(url, {"start_at": form_time(at(3, 9)), "end_at": form_time(at(3, 10)),
                                 "reason": "签退时间记错", "evaluation": "认真负责"})
    new = ServiceRecord.objects.get(corrects=entry)
    assert response.status_code == 302
    assert response["Location"] == reverse("hours:record_detail", args=[new.pk])
    entry.refresh_from_db()
    assert (entry.hours, entry.superseded_by_id) == (Decimal("3.00"), new.pk)  # the original is kept as it was
    assert (new.hours, new.hours_delta, new.reason, new.recorded_by) == (Decimal("1.00"), Decimal("-2.00"), "签退时间记错", world.leader)
    page = client.get(reverse("hours:record_detail", args=[entry.pk])).content.decode()
    assert "原始记录" in page
    assert "原因：签退时间记错" in page
    assert "这条记录已被更正" in page
    assert VolunteerHours.objects.get(volunteer=member).hours == Decimal("1.00")


def test_only_the_organiser_s_people_correct_and_outsiders_change_nothing(world, member):
    entry = roster_record(world, member, at(3, 9), at(3, 12))
    url = reverse("hours:record_correct", args=[entry.pk])
    data = {"start_at": form_time(at(3, 9)), "end_at": form_time(at(3, 9)), "reason": "越权"}
    for user in (world.outsider_admin, world.outsider_leader, world.district_staff, member.user):
        assert login(user).get(url).status_code == 404
        assert login(user).post(url, data).status_code == 404
        assert login(user).get(reverse("hours:record_detail", args=[entry.pk])).status_code == (
            200 if user in (world.district_staff, member.user) else 404
        )
    assert ServiceRecord.objects.count() == 1


def test_a_correction_that_overlaps_is_refused_on_the_form(world, member):
    roster_record(world, member, at(3, 13), at(3, 15))
    entry = roster_record(world, member, at(3, 9), at(3, 12))
    response = login(world.leader).post(
        reverse("hours:record_correct", args=[entry.pk]),
        {"start_at": form_time(at(3, 9)), "end_at": form_time(at(3, 14)), "reason": "延长"},
    )
    assert response.status_code == 200
    assert "同一时间不能有两条记录" in response.content.decode()
    assert ServiceRecord.objects.count() == 2


# ---- the review queue: from above only ----------------------------------------------------------------------


@override_settings(HOURS_DAILY_CAP=2)
def test_held_records_are_reviewed_by_the_level_above(world, member):
    roster_record(world, member, at(3, 8), at(3, 10))
    held = roster_record(world, member, at(3, 13), at(3, 15))
    assert held.status == RecordStatus.HELD
    # the team itself does not see it in its queue and cannot release it
    assert member.name not in login(world.leader).get(reverse("hours:review")).content.decode()
    login(world.leader).post(reverse("hours:record_release", args=[held.pk]))
    held.refresh_from_db()
    assert held.status == RecordStatus.HELD
    for outsider in (world.outsider_admin, world.outsider_leader):
        assert login(outsider).post(reverse("hours:record_release", args=[held.pk])).status_code == 404
    page = login(world.district_admin).get(reverse("hours:review")).content.decode()
    assert member.name in page
    assert "当日累计服务时长超过上限" in page
    login(world.district_admin).post(reverse("hours:record_release", args=[held.pk]))
    held.refresh_from_db()
    assert held.status == RecordStatus.VERIFIED
    assert VolunteerHours.objects.get(volunteer=member).hours == Decimal("4.00")


@override_settings(HOURS_DAILY_CAP=2)
def test_a_held_record_rejected_with_a_reason(world, member):
    roster_record(world, member, at(3, 8), at(3, 10))
    held = roster_record(world, member, at(3, 13), at(3, 15))
    client = login(world.district_admin)
    client.post(reverse("hours:record_reject", args=[held.pk]), {"reason": ""})
    held.refresh_from_db()
    assert held.status == RecordStatus.HELD
    client.post(reverse("hours:record_reject", args=[held.pk]), {"reason": "当天下午未参加"})
    held.refresh_from_db()
    assert held.status == RecordStatus.REJECTED
    assert VolunteerHours.objects.get(volunteer=member).hours == Decimal("2.00")


def test_the_city_reviews_what_the_district_entered_itself(world, member):
    """A district's own entry long after the fact (R28) goes to the city, not to the district."""
    held = roster_record(world, member, at(45, 9), at(45, 11), organiser=world.district, actor=world.district_admin)
    assert held.status == RecordStatus.HELD
    assert member.name not in login(world.district_admin).get(reverse("hours:review")).content.decode()
    assert member.name in login(world.city_admin).get(reverse("hours:review")).content.decode()


# ---- correction requests (R16) ------------------------------------------------------------------------------


def test_she_asks_for_a_correction_and_the_leader_accepts_it_as_a_new_entry(world, member):
    start, end = at(3, 9), at(3, 11)
    activity = activity_of(world, start=start, end=end)
    entry = roster_record(world, member, start, end, activity=activity)
    client = login(member.user)
    form = client.get(reverse("hours:correction_new"), {"record": entry.pk}).content.decode()
    assert "申请更正服务记录" in form
    client.post(reverse("hours:correction_new"), {
        "record": entry.pk, "proposed_start": form_time(start), "proposed_end": form_time(at(3, 12)),
        "reason": "实际服务到 12 点，王队长可以证明",
    })
    request = CorrectionRequest.objects.get()
    assert (request.kind, request.record, request.organiser) == ("error", entry, world.team.node)
    assert "实际服务到 12 点" in login(world.leader).get(reverse("hours:corrections")).content.decode()
    assert login(world.outsider_leader).get(reverse("hours:correction_detail", args=[request.pk])).status_code == 404
    assert login(world.outsider_leader).post(reverse("hours:correction_accept", args=[request.pk])).status_code == 404
    assert ServiceRecord.objects.count() == 1

    login(world.leader).post(reverse("hours:correction_accept", args=[request.pk]), {"note": "经核对属实"})
    request.refresh_from_db()
    correction = ServiceRecord.objects.get(corrects=entry)
    assert (request.status, request.result, request.decision_note) == ("accepted", correction, "经核对属实")
    entry.refresh_from_db()
    assert entry.hours == Decimal("2.00")  # not edited
    assert (correction.kind, correction.hours, correction.hours_delta) == ("correction", Decimal("3.00"), Decimal("1.00"))
    archive = login(member.user).get(reverse("hours:mine")).content.decode()
    assert "已更正" in archive
    assert "经核对属实" in archive


def test_a_rejected_request_tells_her_why(world, member):
    entry = roster_record(world, member, at(3, 9), at(3, 11))
    request = CorrectionRequest.objects.create(
        volunteer=member, kind="error", record=entry, organiser=world.team.node, proposed_start=at(3, 8),
        proposed_end=at(3, 11), reason="我八点就到了",
    )
    client = login(world.leader)
    client.post(reverse("hours:correction_reject", args=[request.pk]), {"note": ""})
    request.refresh_from_db()
    assert request.status == "open"
    client.post(reverse("hours:correction_reject", args=[request.pk]), {"note": "签到表显示九点到场"})
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("rejected", "签到表显示九点到场")
    assert ServiceRecord.objects.count() == 1
    assert "签到表显示九点到场" in login(member.user).get(reverse("hours:mine")).content.decode()


def test_an_omission_for_an_activity_she_signed_up_for(world, member, make_volunteer):
    start, end = at(4, 14), at(4, 17)
    activity = activity_of(world, start=start, end=end, title="重阳节敬老院探访")
    SignUp.objects.create(activity=activity, shift=activity.shifts.get(), volunteer=member, status="confirmed")
    client = login(member.user)
    pick = client.get(reverse("hours:correction_new")).content.decode()
    assert "重阳节敬老院探访" in pick
    stranger = make_volunteer(team=world.team.node)
    assert login(stranger.user).get(reverse("hours:correction_new"), {"activity": activity.pk}).status_code == 404
    client.post(reverse("hours:correction_new"), {
        "activity": activity.pk, "proposed_start": form_time(start), "proposed_end": form_time(end),
        "reason": "当天扫码失败",
    })
    request = CorrectionRequest.objects.get()
    assert (request.kind, request.activity) == ("omission", activity)
    login(world.leader).post(reverse("hours:correction_accept", args=[request.pk]))
    record = ServiceRecord.objects.get()
    assert (record.activity, record.hours, record.entered_by_other, record.method) == (activity, Decimal("3.00"), True, "import")


# ---- star levels -------------------------------------------------------------------------------------------------


@override_settings(STAR_THRESHOLDS=[2, 4, 6, 8, 10])
def test_star_distribution_in_scope(world, member, make_volunteer):
    roster_record(world, member, at(3, 8), at(3, 11))
    second = make_volunteer(team=world.team.node)
    roster_record(world, second, at(3, 8), at(3, 9))
    outsider = make_volunteer(team=world.team_b.node, home=world.other_community)
    roster_record(world, outsider, at(3, 8), at(3, 13), organiser=world.team_b.node, actor=world.outsider_leader)
    page = login(world.district_admin).get(reverse("hours:stars")).content.decode()
    assert "data-echarts" in page
    assert '"data": [1, 1, 0, 0, 0, 0]' in page.replace("&quot;", '"')
    other = login(world.outsider_admin).get(reverse("hours:stars")).content.decode()
    assert '"data": [0, 0, 1, 0, 0, 0]' in other.replace("&quot;", '"')
    assert login(member.user).get(reverse("hours:stars")).status_code == 404


@override_settings(STAR_THRESHOLDS=[2, 4, 6, 8, 10])
def test_her_star_level_on_her_card_and_archive(world, member):
    roster_record(world, member, at(3, 8), at(3, 13))
    member.refresh_from_db()
    assert member.star_level == 2
    archive = login(member.user).get(reverse("hours:mine")).content.decode()
    assert "2星级志愿者" in archive
    assert "★★☆☆☆" in archive
    assert "晋升为 2 星" in archive
    assert list(StarChange.objects.values_list("to_level", flat=True)) == [2]
    card = login(member.user).get(reverse("volunteers:me")).content.decode()
    assert 'aria-label="2星级志愿者"' in card
    assert "★★☆☆☆" in card
    profile = login(world.district_admin).get(reverse("volunteers:detail", args=[member.pk])).content.decode()
    assert "★★☆☆☆" in profile


# ---- her archive -----------------------------------------------------------------------------------------------


def test_her_archive_shows_every_record_under_her_name_with_who_and_how(world, member, make_volunteer):
    start, end = at(3, 9), at(3, 11)
    activity = activity_of(world, start=start, end=end, title="湖滨社区普法宣传")
    SignUp.objects.create(activity=activity, shift=activity.shifts.get(), volunteer=member, status="confirmed")
    roster_record(world, member, start, end, activity=activity)
    roster_record(world, member, at(45, 9), at(45, 10))  # held (late entry)
    client = login(member.user)
    page = client.get(reverse("hours:mine")).content.decode()
    assert 'class="jg-mobile"' in page
    assert "湖滨社区普法宣传" in page
    assert "他人代录" in page
    assert f"记录人：{world.leader}" in page
    assert "暂缓计入：补录时间距服务日期过久" in page
    assert f"{timezone.localdate().year} 年" in page
    assert "<div class=\"jg-stat\">2</div>" in page  # counted hours; the held hour is apart
    assert reverse("certificates:mine") in page
    # another volunteer sees only her own
    other = make_volunteer(team=world.team.node)
    assert "湖滨社区普法宣传" not in login(other.user).get(reverse("hours:mine")).content.decode()
    assert "没有志愿者档案" in login(world.leader).get(reverse("hours:mine")).content.decode()


def test_her_record_page_offers_a_correction_and_hides_staff_buttons(world, member):
    entry = roster_record(world, member, at(3, 9), at(3, 11))
    page = login(member.user).get(reverse("hours:record_detail", args=[entry.pk])).content.decode()
    assert "申请更正" in page
    assert reverse("hours:record_correct", args=[entry.pk]) not in page


# ---- rebuild_hours ------------------------------------------------------------------------------------------


def test_rebuild_hours_check_reports_and_exits_1_then_fixes(world, member):
    roster_record(world, member, at(3, 9), at(3, 11))
    out = StringIO()
    call_command("rebuild_hours", "--check", stdout=out)
    assert "一致" in out.getvalue()
    NodeHours.objects.update(hours=Decimal("99"))
    VolunteerHours.objects.update(records=5)
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("rebuild_hours", "--check", stdout=out)
    assert excinfo.value.returncode == 1
    text = out.getvalue()
    assert f"组织 {world.team.name}" in text
    assert "汇总 99.00 小时 / 1 条，按记录应为 2.00 小时 / 1 条" in text
    assert f"志愿者 {member.number}" in text
    assert NodeHours.objects.get().hours == Decimal("99")  # --check changes nothing
    out = StringIO()
    call_command("rebuild_hours", stdout=out)
    assert "已修正 2 处" in out.getvalue()
    assert NodeHours.objects.get().hours == Decimal("2.00")
    assert ledger.rebuild_hours(fix=False) == []
