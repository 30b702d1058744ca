"""(No tests here.) Objects the dispatch tests share: open needs in 湖滨社区 and people who act on them.

Part A's need services (posting, review) are written at the same time as this part; until they are committed the
needs here are created directly through the ORM, already reviewed and open (status "open", reviewed_at set), as the
review service would leave them."""

import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from jinguo.demands.choices import NeedSource, NeedStatus
from jinguo.demands.models import Need
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role

_numbers = itertools.count(1)


def open_need(world, *, node=None, category="care", urgency="normal", claimable=False, **extra) -> Need:
    n = next(_numbers)
    now = timezone.now()
    fields = {
        "number": f"XQT{n:08d}",
        "tracking_code": f"T{n:07d}",
        "category": category,
        "description": "行动不便，需要志愿者上门帮忙打扫卫生",
        "node": node or world.community,
        "address": "湖滨南路 88 号 3 单元 502",
        "urgency": urgency,
        "requester_name": "戴需求",
        "requester_phone": "13800138000",
        "source": NeedSource.PROXY,
        "claimable": claimable,
        "public_summary": "独居老人需要上门打扫卫生",
        "status": NeedStatus.OPEN,
        "reviewed_by": world.district_admin,
        "reviewed_at": now,
        "created_by": world.district_admin,
    }
    fields.update(extra)
    return Need.objects.create(**fields)


def community_admin(world, username="community_admin"):
    """An administrator of 湖滨社区 itself (the node that receives reminders)."""
    user = get_user_model().objects.create_user(username=username, password="Passw0rd!2026", display_name=username)
    org_services.role_grant(actor=world.root_user, user=user, role=Role.FEDERATION_ADMIN, node=world.community)
    return user


def street_admin(world, username="street_admin"):
    user = get_user_model().objects.create_user(username=username, password="Passw0rd!2026", display_name=username)
    org_services.role_grant(actor=world.root_user, user=user, role=Role.FEDERATION_ADMIN, node=world.street)
    return user
