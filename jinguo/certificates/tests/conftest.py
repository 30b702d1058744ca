"""Fixtures of the certificate tests: service records made through the ledger, in the `world` tree.

Times are on past days at 09:00-11:00 Asia/Shanghai (01:00-03:00 UTC), one record per day, so that nothing
overlaps (R15) and nothing passes the daily cap; roster entries are recent, so that no late-entry hold applies."""

import datetime

import pytest
from django.utils import timezone

from jinguo.activities.models import Activity
from jinguo.hours import ledger


def day_at(days_ago: int, hour: int = 1) -> datetime.datetime:
    now = timezone.now()
    return (now - datetime.timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def add_record(world):
    """add_record(volunteer, organiser_node, days_ago, hours=2, method="qr", actor=None, content=...)"""

    def add(
        volunteer,
        organiser,
        days_ago: int,
        *,
        hours: int = 2,
        method: str = "qr",
        actor=None,
        content: str = "社区普法宣传",
        activity=None,
    ):
        start = day_at(days_ago)
        end = start + datetime.timedelta(hours=hours)
        own_scan = method in ("qr", "code")
        return ledger.record_create(
            volunteer=volunteer,
            organiser=organiser,
            start_at=start,
            end_at=end,
            method=method,
            actor=None if own_scan else actor,
            activity=activity,
            content=content,
            check_scope=not own_scan,
        )

    return add


@pytest.fixture
def activity(world):
    start = day_at(3)
    return Activity.objects.create(
        organiser=world.team.node,
        title="关爱空巢老人入户走访",
        category="care",
        content="陪伴聊天、打扫卫生",
        address="湖滨社区",
        start_at=start,
        end_at=start + datetime.timedelta(hours=3),
        capacity=10,
        signup_deadline=start,
        risk_statement="注意防暑",
        protection="配备急救包",
        status="published",
        published_at=start - datetime.timedelta(days=3),
        created_by=world.leader,
    )


@pytest.fixture
def served(world, make_volunteer, add_record, activity):
    """A confirmed member of world.team with four counted records: two by her own QR scan (one for `activity`),
    one entered by the leader from the roster (R27: 代录), one organised by the sub-team; and one organised by
    湖里区's team (another organiser: R14)."""
    volunteer = make_volunteer(team=world.team.node, name="甄证明", phone="13912345601")
    records = {
        "qr": add_record(volunteer, world.team.node, 5, hours=2),
        "activity": add_record(volunteer, world.team.node, 3, hours=3, activity=activity, content=""),
        "roster": add_record(
            volunteer, world.team.node, 2, hours=1, method="roster", actor=world.leader, content="家庭教育公益讲座"
        ),
        "sub": add_record(volunteer, world.subteam.node, 4, hours=2, content="湖滨小队禁毒宣传"),
        "other": add_record(
            volunteer, world.team_b.node, 6, hours=4, method="roster", actor=world.outsider_leader, content="湖里区巡逻"
        ),
    }
    return volunteer, records
