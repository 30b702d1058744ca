"""(No tests here.) Objects the dispatch tests share: needs in 湖滨社区 and people who act on them.

Needs are posted and reviewed through part A's services, as in life: community staff enter a need for the resident
(proxy) and the district accepts it, which opens it, starts its clock and applies the dispatch rules. What a test
needs beyond that (a need already overdue, already escalated, never reviewed) is then set on the row and said so."""

from django.contrib.auth import get_user_model

from jinguo.demands import services_needs
from jinguo.demands.choices import VULNERABLE_FLAGS
from jinguo.demands.models import Need
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role

FLAG_CODES = [code for code, _label in VULNERABLE_FLAGS]


def open_need(world, *, node=None, category="care", urgency="normal", claimable=False, status="open",
              requester_phone="13800138000", address="湖滨南路 88 号 3 单元 502", vulnerable_mask=0, **state) -> Need:
    """An open need (reviewed and accepted); `status="submitted"` stops before the review; `state` is written on the
    row afterwards (e.g. accept_deadline in the past, escalation)."""
    node = node or world.community
    staff = world.district_admin if node.path.startswith(world.district.path) else world.outsider_admin
    data = {
        "category": category, "description": "行动不便，需要志愿者上门帮忙打扫卫生", "address": address,
        "preferred_time": "周六上午", "urgency": urgency, "requester_name": "戴需求", "requester_phone": requester_phone,
        "vulnerable_flags": [code for i, code in enumerate(FLAG_CODES) if vulnerable_mask & (1 << i)],
    }  # fmt: skip
    need = services_needs.need_create(actor=staff, node=node, proxy=True, data=data)
    if status == "open":
        need = services_needs.need_review(
            actor=staff, need=need, accept=True, public_summary="独居老人需要上门打扫卫生", claimable=claimable
        )
    if state:
        Need.objects.filter(pk=need.pk).update(**state)
    need.refresh_from_db()
    return need


def _admin_of(world, node, username):
    user = get_user_model().objects.create_user(username=username, password="Passw0rd!2026", display_name=username)
    org_services.role_grant(actor=world.root_user, user=user, role=Role.FEDERATION_ADMIN, node=node)
    return user


def community_admin(world, username="community_admin"):
    """An administrator of 湖滨社区 itself (the node that receives reminders)."""
    return _admin_of(world, world.community, username)


def street_admin(world, username="street_admin"):
    return _admin_of(world, world.street, username)
