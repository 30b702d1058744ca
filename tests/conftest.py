"""The `targets` fixture: objects inside 思明区 (world.district) that outsiders are sent at.

Everything in `world` is there too (t.team, t.district_admin …), plus:
    volunteer            甄秘密, a confirmed member of world.team, with a login
    membership           her ACTIVE membership of world.team
    pending_volunteer    蔺待确, entered by staff through world.team, 待本人确认 (R25)
    application          籍申请's APPLIED membership of world.team (she is confirmed, registered in 湖滨社区)
    applicant            籍申请 herself
    denied_volunteer     戚否认, entered through world.team and denied by her ("不是我本人"): frozen
    dispute              the NOT_ME dispute that her denial opened, handled at world.district
    job                  a SUCCEEDED "volunteer_export" Job of world.district_admin with a small result file
    import_job           a READY "volunteer_import" Job of world.district_admin
    api_token            an API token of world.district_admin
    reporting_year       the yearly report opened at world.district
    annual_report        world.team's saved (draft) report of that year
    outsider_volunteer   邬外队, a confirmed member of world.team_b (湖里区), with a login: an outsider
    activity, shift, signup, attendance, record, correction_request, certificate: see _service_hour_targets
    policy               an accident-insurance policy held by world.team, covering t.volunteer
    declaration          her pending self-declared hours for t.shift
The names are unusual on purpose: a leak test looks for them in responses and must not hit by chance.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from jinguo.core.ids import make_resident_id
from jinguo.core.models import ApiToken, Job
from jinguo.orgs import services as org_services
from jinguo.volunteers import services as volunteer_services
from jinguo.volunteers.models import Membership


@pytest.fixture
def targets(world, make_volunteer):
    t = SimpleNamespace(**vars(world))
    t.volunteer = make_volunteer(team=world.team.node, name="甄秘密", phone="13912340001")
    t.membership = Membership.objects.get(volunteer=t.volunteer, team=world.team.node)
    t.pending_volunteer = make_volunteer(team=world.team.node, confirm=False, name="蔺待确", phone="13912340002")

    t.applicant = make_volunteer(name="籍申请", phone="13912340003")
    t.application = volunteer_services.membership_apply(actor=t.applicant.user, team=world.team.node, note="想参加")

    t.denied_volunteer = make_volunteer(team=world.team.node, confirm=False, name="戚否认", phone="13912340004")
    t.dispute = volunteer_services.volunteer_deny(
        volunteer=t.denied_volunteer, phone=t.denied_volunteer.phone, reason="我从未登记过"
    )
    t.denied_volunteer.refresh_from_db()
    assert t.dispute.handling_node_id == world.district.pk

    t.outsider_volunteer = make_volunteer(
        team=world.team_b.node,
        home=world.other_community,
        name="邬外队",
        phone="13912340005",
        # Registered in 湖里区, so that her masked ID number cannot look like one of ours by chance.
        id_number=make_resident_id("350206", datetime.date(1985, 5, 5), 124),
    )

    t.job = Job.objects.create(
        kind="volunteer_export",
        title="思明区志愿者名册导出",
        user=world.district_admin,
        status=Job.Status.SUCCEEDED,
        params={"node_path": world.district.path},
        finished_at=timezone.now(),
    )
    folder = settings.PRIVATE_FILES_ROOT / "jobs" / str(t.job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    result = folder / "roster.csv"
    # Plain text, so that a leak of the file is visible in a response body.
    result.write_text(f"志愿者编号,姓名,手机号\n{t.volunteer.number},{t.volunteer.name},{t.volunteer.phone}\n")
    t.job.result_path = str(result)
    t.job.result_name = "思明区志愿者名册.csv"
    t.job.save(update_fields=["result_path", "result_name"])

    t.import_job = Job.objects.create(
        kind="volunteer_import",
        title="导入：思明区志愿者名单",
        user=world.district_admin,
        status=Job.Status.READY,
        input_name="思明区名单.xlsx",
        params={"node_path": world.team.node.path},
        report={"total": 3, "valid": 2, "invalid": 1, "rows": [{"row": 3, "name": t.volunteer.name}]},
    )
    t.api_token, t.api_token_key = ApiToken.issue(world.district_admin, "思明区对接令牌")

    today = timezone.localdate()
    t.reporting_year = org_services.reporting_year_open(
        actor=world.district_admin, node=world.district, year=today.year, deadline=today + datetime.timedelta(days=30)
    )
    t.annual_report = org_services.annual_report_save(
        actor=world.leader,
        reporting_year=t.reporting_year,
        team=world.team,
        data={"activity_count": 12, "highlights": "甄秘密带队开展普法宣传"},
    )
    _service_hour_targets(t)
    from jinguo.demands.tests.targets import demand_targets

    # Serves issue 4's needs and care pairings: her records are hers, so t.volunteer keeps exactly issue 3's one.
    t.server = make_volunteer(team=world.team.node, name="郜服务", phone="13912340006")

    demand_targets(t)
    return t


def _service_hour_targets(t) -> None:
    """Issue 3's objects inside 思明区, built through the services as they happen in life: world.team's leader
    publishes an activity for the team's members only (three days before it), t.volunteer signs up, scans in at
    its start and out at its end (her service record, 3 hours, counted), asks for a correction the next day, and the
    leader issues her a certificate. The services read Django's clock, which is moved to each moment in turn; the
    QR tokens use the real clock and stay valid. Her pending declaration is written directly (the service refuses
    one for a shift she has checked out of: the scope-coverage routes need one to try)."""
    from unittest import mock

    from jinguo.activities import checkin, qr
    from jinguo.activities import services as activity_services
    from jinguo.activities.models import HoursDeclaration
    from jinguo.certificates import services as certificate_services
    from jinguo.hours import services as hours_services

    now = timezone.now()
    start = (now - datetime.timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    end = start + datetime.timedelta(hours=3)

    def at(moment):
        return mock.patch("django.utils.timezone.now", return_value=moment)

    with at(start - datetime.timedelta(days=3)):
        activity = activity_services.activity_create(
            actor=t.leader,
            organiser=t.team.node,
            data={
                "title": "甄秘密参加的普法宣传", "category": "legal", "content": "社区普法宣传", "address": "湖滨社区活动室",
                "start_at": start, "end_at": end, "capacity": 10, "signup_deadline": start,
                "risk_statement": "天气炎热，注意防暑", "protection": "配备饮用水和急救包", "audience": "team",
                "approval_mode": "auto",
            },
        )  # fmt: skip
        t.activity = activity_services.activity_publish(actor=t.leader, activity=activity)
        t.shift = t.activity.shifts.get()
        t.signup = activity_services.signup_create(actor=t.volunteer.user, shift=t.shift)
    scan = {"actor": t.volunteer.user, "activity": t.activity, "volunteer": t.volunteer, "method": "qr"}
    with at(start):
        checkin.check_in(**scan, token=qr.make_token(t.activity.pk, qr.IN))
    with at(end):
        result = checkin.check_out(**scan, token=qr.make_token(t.activity.pk, qr.OUT))
    t.attendance, t.record = result.attendance, result.record
    assert (t.attendance.status, t.record.hours, t.record.status) == ("out", 3, "verified")
    with at(end + datetime.timedelta(days=1)):
        t.correction_request = hours_services.correction_request_create(
            actor=t.volunteer.user, kind="error", record=t.record, proposed_start=start,
            proposed_end=end + datetime.timedelta(hours=1), reason="签退晚了一小时",
        )  # fmt: skip
        t.policy = activity_services.policy_create(
            actor=t.leader, holder=t.team.node, volunteers=[t.volunteer],
            data={"insurer": "甄秘密保险公司", "policy_number": "PX2026-0001", "starts_on": start.date(),
                  "ends_on": start.date() + datetime.timedelta(days=365)},
        )  # fmt: skip
        t.certificate = certificate_services.certificate_issue(
            actor=t.leader, volunteer=t.volunteer, issuer=t.team.node, base_url="http://testserver/"
        )
    t.declaration = HoursDeclaration.objects.create(
        activity=t.activity, shift=t.shift, volunteer=t.volunteer, start_at=start, end_at=end, note="忘记扫码签退"
    )
