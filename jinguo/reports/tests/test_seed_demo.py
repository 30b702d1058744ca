"""`seed_demo` builds the demo data set through the services: consistent counters, the two seed alliances with
their tiers, every filing state, demo accounts whose scopes are what the README promises, the service-hour loop
(activities, sign-ups, counted records, a certificate that verifies), supply and demand (needs in every state,
menus, a dispatch rule, care pairings) with caches that agree with their sources; `--once` is idempotent and a
refused run changes nothing."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from jinguo.activities.choices import ActivityStatus, Campaign, CheckMethod, SignUpStatus
from jinguo.activities.models import Activity, Attendance, SignUp
from jinguo.activities.selectors import activities_open_to, insurance_covers
from jinguo.certificates.models import Certificate, CertificateStatus
from jinguo.core.ids import parse_resident_id
from jinguo.core.models import AuditLog
from jinguo.demands import selectors as demand_selectors
from jinguo.demands.care_models import CarePairing, CareRecipient, PairingStatus, VisitLog
from jinguo.demands.choices import (
    AssigneeKind,
    AssignmentMode,
    AssignmentStatus,
    ComplaintStatus,
    EvaluationReview,
    NeedSource,
    NeedStatus,
)
from jinguo.demands.models import Assignment, Complaint, Delivery, DispatchRule, MenuItem, Need, ProviderStats
from jinguo.demands.stats import rebuild_provider_stats
from jinguo.hours import ledger
from jinguo.hours.models import NodeHours, RecordStatus, ServiceRecord, VolunteerHours
from jinguo.orgs.choices import FilingStatus, NodeKind, ReportStatus
from jinguo.orgs.models import Node, ReportingYear, Team
from jinguo.orgs.selectors import subtree_counts
from jinguo.orgs.services import rebuild_counters
from jinguo.reports.management.commands._demo_demands import DEMO_RESIDENT_PHONE
from jinguo.reports.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_VOLUNTEER_PHONE
from jinguo.volunteers.choices import DisputeStatus, MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import IdentityDispute, Membership, Volunteer
from jinguo.volunteers.selectors import search_volunteers

pytestmark = pytest.mark.django_db
N = 264  # the smallest size that fills every demo team (it keeps the test quick)


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def snapshot() -> tuple:
    return (
        Node.objects.count(),
        Volunteer.objects.count(),
        Membership.objects.count(),
        AuditLog.objects.count(),
        list(Team.objects.order_by("pk").values_list("pk", "filing_status", "archive_number")),
        (Activity.objects.count(), SignUp.objects.count(), ServiceRecord.objects.count(), Certificate.objects.count()),
    )


EMPTY = (0, 0, 0, 0, [], (0, 0, 0, 0))


def node(name: str) -> Node:
    return Node.objects.get(name=name)


def test_seed_demo_builds_consistent_data_and_once_is_idempotent(client):
    output = seed(once=True, volunteers=N)  # an empty database: --once loads it
    assert f"志愿者 {N} 名" in output

    # Counters kept by the services agree with the source tables.
    assert rebuild_counters(fix=False) == []
    root = Node.objects.get(depth=1)
    assert root.name == "全国妇联"
    assert subtree_counts(root)["volunteers"] == N  # frozen and pending count; only withdrawn ones drop out
    assert subtree_counts(root)["teams"] == 48

    # The two cities with their real GB/T 2260 codes.
    xiamen, pds = node("厦门市妇联"), node("平顶山市妇联")
    assert (xiamen.code, pds.code) == ("350200", "410400")
    assert [(n.name, n.code) for n in Node.objects.get_children(xiamen).federations()] == [
        ("思明区妇联", "350203"),
        ("海沧区妇联", "350205"),
        ("湖里区妇联", "350206"),
        ("集美区妇联", "350211"),
        ("同安区妇联", "350212"),
        ("翔安区妇联", "350213"),
    ]
    assert [n.code for n in Node.objects.get_children(pds).filter(kind=NodeKind.DISTRICT)] == [
        "410402",
        "410403",
        "410404",
        "410411",
        "410421",
        "410422",
        "410423",
        "410425",
        "410481",
        "410482",
    ]
    assert Node.objects.filter(kind=NodeKind.COMMUNITY).count() == 43 + 50

    # The alliances' tiers: Xiamen 总队/服务队/分队/小队, Pingdingshan 总队/分队/小队.
    tiers = {t.node.name: t.tier_name() for t in Team.objects.select_related("node")}
    assert tiers["厦门市巾帼志愿服务总队"] == "总队"
    assert tiers["市妇联法律维权巾帼志愿服务队"] == "服务队"
    assert tiers["法律维权巾帼志愿服务思明分队"] == "分队"
    assert tiers["思明区婚姻家庭调解小队"] == "小队"
    assert tiers["思明区巾帼志愿服务队"] == "服务队"
    assert tiers["平顶山市巾帼志愿服务总队"] == "总队"
    assert tiers["卫东区巾帼志愿服务分队"] == "分队"
    assert tiers["卫东区东安路街道文明礼仪小队"] == "小队"
    tier_numbers = dict(Team.objects.values_list("node__name", "tier"))
    assert (tier_numbers["思明区巾帼志愿服务队"], tier_numbers["湖滨社区关爱空巢老人小队"]) == (2, 4)
    assert (tier_numbers["卫东区巾帼志愿服务分队"], tier_numbers["卫东区东安路街道文明礼仪小队"]) == (2, 3)
    assert list(Node.objects.exclude(team_tier_names="").values_list("name", flat=True)) == [
        "厦门市妇联",
        "平顶山市妇联",
    ]
    below = sorted(t.node.name for t in Team.objects.select_related("node") if t.below_standard())
    assert below == ["前埔北社区家庭教育小队", "卫东区建设路街道禁毒防艾小队", "郏县堂街镇创业指导小队"]

    # Every filing state, with archive numbers for the filed teams and reasons for the returned ones.
    states = dict.fromkeys(FilingStatus.values, 0)
    for status in Team.objects.values_list("filing_status", flat=True):
        states[status] += 1
    assert states == {"draft": 11, "submitted": 9, "filed": 25, "returned": 3}
    assert not Team.objects.filter(filing_status=FilingStatus.FILED, archive_number=None).exists()
    year_now = timezone.localdate().year
    assert Team.objects.get(node__name="思明区巾帼志愿服务队").archive_number == f"350203-{year_now}-00001"
    assert (
        Team.objects.get(node__name="瑞景社区护绿环保小队").filing_note
        == "小队成员名单与登记表不一致，请核对后重新提交。"
    )

    # Volunteers: synthetic people with valid ID numbers of their district; most confirmed, one in eight not.
    assert Volunteer.objects.count() == N
    statuses = {s: Volunteer.objects.filter(status=s).count() for s in VolunteerStatus.values}
    assert statuses == {"active": N - N // 8, "pending": N // 8 - 1, "frozen": 1, "withdrawn": 0}
    for volunteer in Volunteer.objects.select_related("home_node")[:50]:
        number = volunteer.decrypt_id_number()
        assert parse_resident_id(number).birth_date == volunteer.birth_date
        district = next(n for n in volunteer.home_node.breadcrumb() if n.kind == NodeKind.DISTRICT)
        assert number[:6] == district.code
    assert Membership.objects.filter(status=MembershipStatus.APPLIED).count() >= 10
    siming_team = Membership.objects.filter(team__name="思明区巾帼志愿服务队")
    assert siming_team.filter(status=MembershipStatus.APPLIED).count() == 4
    assert (
        siming_team.filter(
            status=MembershipStatus.ACTIVE, decided_by__username="leader", note="希望参加周末的志愿服务活动。"
        ).count()
        == 2
    )

    # One open yearly report with reports in each state; one identity dispute at the level above.
    year = ReportingYear.objects.get()
    assert year.node == xiamen
    assert sorted(year.reports.values_list("team__node__name", "status")) == sorted(
        [
            ("思明区巾帼志愿服务队", ReportStatus.CONFIRMED),
            ("筼筜街道巾帼志愿服务分队", ReportStatus.SUBMITTED),
            ("市妇联法律维权巾帼志愿服务队", ReportStatus.RETURNED),
            ("湖里区巾帼志愿服务队", ReportStatus.DRAFT),
        ]
    )
    dispute = IdentityDispute.objects.get()
    assert (dispute.handling_node.name, dispute.status, dispute.volunteer.status) == (
        "思明区妇联",
        DisputeStatus.OPEN,
        VolunteerStatus.FROZEN,
    )

    check_accounts(client)
    check_service_loop(client)
    check_demands(client)
    listing = StringIO()
    call_command("demo_accounts", stdout=listing)
    lines = listing.getvalue().splitlines()
    assert lines[0] == "演示账号（统一密码 Jinguo@2026，仅用于演示数据）："
    assert [line.split()[0] for line in lines[2:-1]] == [a[0] for a in DEMO_ACCOUNTS]
    waiting = Need.objects.get(status=NeedStatus.DELIVERED)
    assert lines[-1] == (
        f"居民演示（无需登录）：/demands/help/status/ 或 /demands/rate/，查询码 {waiting.tracking_code}，"
        f"手机号 {DEMO_RESIDENT_PHONE}"
    )

    # --once on a seeded database changes nothing; without it the command refuses and changes nothing.
    before = snapshot()
    assert "不再载入" in seed(once=True)
    with pytest.raises(CommandError, match="已有数据"):
        seed(volunteers=N)
    assert snapshot() == before


def check_accounts(client):
    """The demo accounts log in with the one demo password and see exactly their own scope."""
    for username, *_ in DEMO_ACCOUNTS:
        client.logout()
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert not user(username).must_change_password
    client.logout()
    response = client.post(reverse("login"), {"username": DEMO_VOLUNTEER_PHONE, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert user("admin").is_superuser

    xiamen, siming, pds = node("厦门市妇联"), node("思明区妇联"), node("平顶山市妇联")
    everyone = Volunteer.objects.count()

    def paths(username, action="view"):
        return list(search_volunteers(user(username), action=action).values_list("home_node__path", flat=True))

    # Rosters show pending and frozen records too (marked); nobody has withdrawn in the demo data.
    assert search_volunteers(user("admin")).count() == everyone

    xm = paths("xm_admin")
    assert xm
    assert all(p.startswith(xiamen.path) for p in xm)
    assert Volunteer.objects.restrict(user("xm_admin"), "personal").count() == len(xm)

    pds_seen = paths("pds_admin")
    assert pds_seen
    assert all(p.startswith(pds.path) for p in pds_seen)
    assert len(xm) + len(pds_seen) == everyone

    # 思明区: her own residents plus members of teams below 思明区 who live elsewhere; nothing from Pingdingshan.
    sm = search_volunteers(user("sm_admin"))
    assert sm.count() >= Volunteer.objects.filter(home_node__path__startswith=siming.path).count() > 0
    assert not sm.filter(home_node__path__startswith=pds.path).exists()
    assert Volunteer.objects.restrict(user("sm_admin"), "personal").count() == 0

    # Read-only staff see what the district admin sees and may change none of it.
    assert search_volunteers(user("staff")).count() == sm.count()
    assert Volunteer.objects.restrict(user("staff"), "change").count() == 0

    # The leader sees his team's subtree only: fewer than the district, none from elsewhere.
    led = search_volunteers(user("leader"))
    assert 0 < led.count() < sm.count()
    assert not led.filter(home_node__path__startswith=pds.path).exists()

    # The volunteer sees herself.
    me = Volunteer.objects.get(user__username="volunteer")
    assert list(search_volunteers(user("volunteer"))) == [me]
    assert me.status == VolunteerStatus.ACTIVE
    assert me.phone == DEMO_VOLUNTEER_PHONE
    assert set(me.memberships.values_list("team__name", "status")) == {
        ("湖滨社区关爱空巢老人小队", MembershipStatus.ACTIVE),
        ("筼筜街道巾帼志愿服务分队", MembershipStatus.APPLIED),
    }


def check_service_loop(client):
    """The service-hour loop of the leader's team in 思明区: published activities (finished and upcoming), sign-ups,
    counted records in the caches, and 林晓燕's certificate verifying on the public page."""
    team = node("思明区巾帼志愿服务队")
    me = Volunteer.objects.get(user__username="volunteer")
    now = timezone.now()

    activities = Activity.objects.filter(organiser=team)
    assert set(activities.values_list("status", flat=True)) == {ActivityStatus.PUBLISHED}
    assert not Activity.objects.exclude(organiser=team).exists()
    finished = list(activities.filter(end_at__lt=now).order_by("start_at"))
    upcoming = list(activities.filter(start_at__gt=now).order_by("start_at"))
    assert (len(finished), len(upcoming)) == (3, 3)
    assert all(now - a.start_at < datetime.timedelta(days=30) for a in finished)  # weeks ago, not months
    assert all(a.published_at < a.signup_deadline < a.start_at for a in finished + upcoming)
    clinic, lakeside, reading = upcoming
    assert (clinic.campaign, lakeside.campaign) == (Campaign.LEIFENG, Campaign.VOLUNTEER)
    assert [s.name for s in clinic.shifts.order_by("start_at")] == ["上午场", "下午场"]
    morning = clinic.shifts.get(name="上午场")
    assert list(morning.signups.order_by("created_at").values_list("status", flat=True)) == [
        SignUpStatus.CONFIRMED
    ] * 5 + [SignUpStatus.WAITLISTED]
    # The risky one: every sign-up is insured on its day (R10); the leader has approved four, two wait.
    assert lakeside.is_risky
    day = timezone.localdate(lakeside.start_at)
    assert all(insurance_covers(s.volunteer, day) for s in lakeside.signups.select_related("volunteer"))
    statuses = sorted(lakeside.signups.values_list("status", flat=True))
    assert statuses == [SignUpStatus.CONFIRMED] * 4 + [SignUpStatus.PENDING] * 2
    # 林晓燕: confirmed for the clinic's morning, waiting for the leader at the lake; the reading class is open to her.
    mine = dict(SignUp.objects.filter(volunteer=me, activity__in=upcoming).values_list("activity_id", "status"))
    assert mine == {clinic.pk: SignUpStatus.CONFIRMED, lakeside.pk: SignUpStatus.PENDING}
    assert reading in activities_open_to(me)

    # The finished ones: twenty records for twelve confirmed volunteers, all counted (R25: nobody unconfirmed),
    # four ticked on the roster by the leader and marked as entered by someone else (R27); one no-show.
    records = ServiceRecord.objects.filter(organiser=team, activity__isnull=False)
    assert records.count() == 20
    assert set(records.values_list("status", flat=True)) == {RecordStatus.VERIFIED}
    assert len(set(records.values_list("volunteer_id", flat=True))) == 12
    assert not records.exclude(volunteer__status=VolunteerStatus.ACTIVE).exists()
    assert sorted(records.values_list("activity_id", flat=True)) == sorted(
        [finished[0].pk] * 7 + [finished[1].pk] * 7 + [finished[2].pk] * 6
    )
    assert records.filter(method=CheckMethod.ROSTER, entered_by_other=True).count() == 4
    assert records.filter(method=CheckMethod.CODE, entered_by_other=False).count() == 16
    assert not Attendance.objects.filter(activity__in=finished, in_method=CheckMethod.CODE, in_latitude=None).exists()
    assert SignUp.objects.filter(activity=finished[0], no_show=True).count() == 1
    assert sorted(set(records.values_list("hours", flat=True))) == [Decimal("1.50"), Decimal("2.00"), Decimal("2.50")]
    assert records.filter(hours=Decimal("1.50")).count() == 1  # she left the legal-aid stand 55 minutes early

    # The caches agree with the ledger. The loop's own hours; the team also organised two home services (four
    # records, see check_demands), and she also served a need and visited her pairing (1.5 h each).
    assert ledger.rebuild_hours(fix=False) == []
    total = records.aggregate(h=Sum("hours"))["h"]
    assert total == Decimal("46.00")  # 7 × 2.5 h, 6 × 2.5 h + 1.5 h, 6 × 2 h
    assert NodeHours.objects.filter(node=team).aggregate(h=Sum("hours"), n=Sum("records")) == {
        "h": total + Decimal("9.00"),  # 2 × 2 h + 2 × 2.5 h
        "n": 24,
    }
    assert VolunteerHours.objects.aggregate(h=Sum("hours"))["h"] == ServiceRecord.objects.aggregate(h=Sum("hours"))["h"]
    assert VolunteerHours.objects.filter(volunteer=me).aggregate(h=Sum("hours"), n=Sum("records")) == {
        "h": Decimal("8.00"),
        "n": 4,
    }

    # Her certificate: issued by the team from her two counted records, valid on the public page.
    certificate = Certificate.objects.get()
    assert (certificate.volunteer, certificate.issuer, certificate.status) == (me, team, CertificateStatus.VALID)
    assert (certificate.total_hours, sorted(certificate.record_ids)) == (
        Decimal("5.00"),
        sorted(records.filter(volunteer=me).values_list("pk", flat=True)),
    )
    assert [r["mark"] for r in certificate.snapshot["records"]] == ["", "代录"]
    client.logout()
    response = client.get(f"/v/{certificate.short_code}/")
    assert response.status_code == 200
    facts = response.context["facts"]
    assert (facts["valid"], facts["number"], facts["issuer"], facts["masked_name"]) == (
        True,
        certificate.number,
        "思明区巾帼志愿服务队",
        "林*燕",
    )
    assert facts["total_hours"] == Decimal("5.00")
    assert "有效" in response.content.decode()


def check_demands(client):
    """Supply and demand in 思明区: menus, a need in every state, R23 masking, an overdue need escalated, a dispatch
    rule, care pairings with a visit in the ledger and an overdue one; the cached figures agree with their sources;
    the pages show it to the demo accounts."""
    team, squad = node("思明区巾帼志愿服务队"), node("湖滨社区关爱空巢老人小队")
    me = Volunteer.objects.get(user__username="volunteer")
    now = timezone.now()

    menus = MenuItem.objects.filter(is_active=True)
    assert sorted(menus.values_list("team__name", flat=True)) == [team.name] * 3 + [squad.name]
    rule = DispatchRule.objects.get()
    assert (rule.node.name, rule.category, rule.team, rule.is_active) == ("思明区妇联", "legal", team, True)

    needs = Need.objects.all()
    assert all(n.node.path.startswith(node("思明区妇联").path) for n in needs)
    by_status = {}
    for need in needs:
        by_status.setdefault(need.status, []).append(need)
    assert {s: len(v) for s, v in by_status.items()} == {
        NeedStatus.SUBMITTED: 1, NeedStatus.REJECTED: 1, NeedStatus.OPEN: 3, NeedStatus.DISPATCHED: 1,
        NeedStatus.ACCEPTED: 1, NeedStatus.DELIVERED: 1, NeedStatus.EVALUATED: 2,
    }  # fmt: skip
    (rejected,) = by_status[NeedStatus.REJECTED]
    assert rejected.reject_reason.startswith("您反映的是楼道照明和漏水维修")

    # Open: one waiting for dispatch, one open for claiming, one overdue that the sweep reminded and escalated.
    overdue = [n for n in by_status[NeedStatus.OPEN] if n.accept_deadline < now]
    assert len(overdue) == 1
    (overdue,) = overdue
    assert (overdue.escalation_level, overdue.escalated_to.name, overdue.reminded_at is not None) == (1, "中华街道", True)
    assert [n.claimable for n in by_status[NeedStatus.OPEN]].count(True) == 1

    # Dispatched by the legal rule, waiting for the leader's answer within its time limit.
    (dispatched,) = by_status[NeedStatus.DISPATCHED]
    offer = Assignment.objects.get(need=dispatched)
    assert (offer.mode, offer.status, offer.team, dispatched.category) == (
        AssignmentMode.AUTO, AssignmentStatus.OFFERED, team, "legal"
    )
    assert offer.respond_by > now

    # Accepted by the leader for the 湖滨 squad: an old woman living alone (R23).
    (accepted,) = by_status[NeedStatus.ACCEPTED]
    assert accepted.vulnerable_flags == ["elderly_alone"]
    assert Assignment.objects.get(need=accepted).team == squad
    # The district's admin holds no role at the community or its street: masked; 林晓燕 is in the squad serving it.
    sees = {u: demand_selectors.can_see_details(user(u), accepted) for u in ("admin", "sm_admin", "staff", "volunteer")}
    assert sees == {"admin": True, "sm_admin": False, "staff": False, "volunteer": True}
    assert demand_selectors.can_see_details(user("sm_admin"), overdue)  # not flagged: the district sees it in full

    # Delivered by 林晓燕 herself (her own check-in with her position: counted as her own), waiting for the rating.
    (delivered,) = by_status[NeedStatus.DELIVERED]
    assert delivered.requester_phone == DEMO_RESIDENT_PHONE
    assignment = Assignment.objects.get(need=delivered)
    assert (assignment.assignee_kind, assignment.volunteer, assignment.status) == (
        AssigneeKind.VOLUNTEER, me, AssignmentStatus.COMPLETED
    )
    visit = Delivery.objects.select_related("record").get(need=delivered)
    assert (visit.record.status, visit.record.entered_by_other, visit.record.hours) == (
        RecordStatus.VERIFIED, False, Decimal("1.50")
    )
    assert delivered.closeout.summary

    # Rated: a menu order rated 5 and confirmed by the district; a 2 entered by staff, with a complaint in hand.
    happy, unhappy = sorted(by_status[NeedStatus.EVALUATED], key=lambda n: -n.evaluation.rating)
    assert (happy.source, happy.menu_item.title, happy.evaluation.rating, happy.evaluation.review) == (
        NeedSource.MENU, "家庭教育指导（亲子沟通）", 5, EvaluationReview.CONFIRMED
    )
    assert (unhappy.evaluation.rating, unhappy.evaluation.by_requester, unhappy.evaluation.review) == (
        2, False, EvaluationReview.PENDING
    )
    complaint = Complaint.objects.get()
    assert (complaint.need, complaint.status, complaint.handled_by) == (unhappy, ComplaintStatus.HANDLING, user("sm_admin"))
    served = ServiceRecord.objects.filter(delivery__need__in=[happy, unhappy])
    assert (served.count(), set(served.values_list("method", "entered_by_other", "organiser"))) == (
        4, {(CheckMethod.ROSTER, True, team.pk)}
    )

    # Care: 林晓燕 leads a weekly pairing with a visit in the ledger; the other pairing's visit is overdue and reminded.
    assert CareRecipient.objects.count() == 2
    pairing = CarePairing.objects.get(members__volunteer=me, members__is_lead=True)
    (logged,) = VisitLog.objects.filter(pairing=pairing)
    records = ServiceRecord.objects.filter(care_visit__visit=logged)
    assert (records.count(), set(records.values_list("status", "organiser", "method"))) == (
        2, {(RecordStatus.VERIFIED, squad.pk, CheckMethod.DECLARED)}
    )
    assert pairing.next_due > timezone.localdate()
    lapsed = CarePairing.objects.exclude(pk=pairing.pk).get()
    assert (lapsed.status, lapsed.organiser) == (PairingStatus.ACTIVE, squad)
    assert lapsed.next_due < timezone.localdate() - datetime.timedelta(days=3)
    assert lapsed.reminded_due == lapsed.next_due

    # Every record of the demo is counted; the caches agree with the assignments, ratings and the ledger.
    assert set(ServiceRecord.objects.values_list("status", flat=True)) == {RecordStatus.VERIFIED}
    assert rebuild_provider_stats(fix=False) == []
    assert ledger.rebuild_hours(fix=False) == []
    figures = {(s.team_id, s.volunteer_id): (s.open_count, s.done_count, s.rating_sum, s.rating_count)
               for s in ProviderStats.objects.all()}  # fmt: skip
    assert figures == {(team.pk, None): (0, 2, 7, 2), (squad.pk, None): (1, 0, 0, 0), (None, me.pk): (0, 1, 0, 0)}

    # What the demo accounts see on the pages.
    def page(username, name, *args):
        client.force_login(user(username))
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, (username, name)
        return response.content.decode()

    overview = page("sm_admin", "demands:dispatch_overview")
    assert overdue.number in overview
    assert dispatched.number in overview
    detail = page("sm_admin", "demands:need_detail", accepted.pk)
    assert accepted.requester_phone not in detail
    assert accepted.requester_phone_masked in detail
    assert accepted.address not in detail
    assert dispatched.number in page("leader", "demands:inbox")
    assert accepted.address in page("volunteer", "demands:delivery_need", accepted.pk)  # she serves it: R23
    (claimable,) = [n for n in by_status[NeedStatus.OPEN] if n.claimable]
    open_list = page("volunteer", "demands:open_needs")
    assert claimable.public_summary in open_list
    assert claimable.requester_phone not in open_list
    assert page("volunteer", "demands:care_mine").count(pairing.recipient.name) >= 1
    client.logout()


def test_seed_demo_refuses_too_few_volunteers_and_leaves_nothing_behind():
    with pytest.raises(CommandError, match="--volunteers 至少为"):
        seed(volunteers=20)
    assert snapshot() == EMPTY


def test_seed_demo_refuses_production_settings(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")
    with pytest.raises(CommandError, match="生产环境"):
        seed(volunteers=N)
    assert snapshot() == EMPTY


def test_seed_demo_does_not_mix_demo_data_into_a_database_with_data(world):
    before = snapshot()
    assert "不再载入" in seed(once=True)
    with pytest.raises(CommandError):
        seed()
    assert snapshot() == before
    assert not Volunteer.objects.exists()


def test_demo_accounts_lists_only_accounts_with_the_demo_password(world):
    # `world` has a user called "leader" with another password: not a demo account.
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    assert out.getvalue() == "当前数据库中没有演示账号（运行 python manage.py seed_demo 载入演示数据）。\n"
