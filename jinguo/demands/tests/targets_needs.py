"""Scope-coverage targets: needs and menus (part A of issue 4), all inside 思明区.

    need            an OPEN need at t.community (湖滨社区), entered by the district admin for 闵求助 and accepted
    open_need       another OPEN need (闵开放), left open for the open-needs lists (later parts take t.need)
    submitted_need  a SUBMITTED need of 闵隐私 flagged 家暴 (R23), waiting for review
    menu_item       world.team's service menu item "秘密上门陪诊", ordered by residents of the district
"""

from jinguo.demands import services_needs


def need_data(name: str, phone: str, address: str, **extra) -> dict:
    return {
        "category": "care", "description": f"{name}需要有人陪同去医院复查", "address": address,
        "preferred_time": "周六上午", "urgency": "normal", "requester_name": name, "requester_phone": phone, **extra,
    }


def build(t) -> None:
    """Add this part's objects inside 思明区 to `t`."""
    need = services_needs.need_create(
        actor=t.district_admin, node=t.community, proxy=True, data=need_data("闵求助", "13912340101", "湖滨南路秘密小区1号")
    )
    t.need = services_needs.need_review(actor=t.district_admin, need=need, accept=True)
    t.open_need = services_needs.need_review(actor=t.district_admin, accept=True, need=services_needs.need_create(
        actor=t.district_admin, node=t.community, proxy=True, data=need_data("闵开放", "13912340103", "湖滨东路开放小区3号")
    ))
    t.submitted_need = services_needs.need_create(
        actor=t.district_admin, node=t.community, proxy=True,
        data=need_data("闵隐私", "13912340102", "湖滨北路隐私小区2号", vulnerable_flags=["violence"]),
    )
    t.menu_item = services_needs.menu_item_create(
        actor=t.leader, team=t.team.node,
        data={"category": "health", "title": "秘密上门陪诊", "content": "陪同老人就医、取药", "area": t.district,
              "service_times": ["weekend"], "time_note": "每周六上午", "monthly_capacity": 5},
    )


def need_secrets(t) -> list[str]:
    """What no outsider may see of the needs: names, phones (full and masked), addresses, descriptions."""
    found = []
    for need in (t.need, t.open_need, t.submitted_need):
        found += [need.requester_name, need.requester_phone, need.requester_phone_masked, need.address,
                  need.description]
    return found


def need_and_code_secrets(t) -> list[str]:
    """The above and the tracking codes (except where the request itself carries one: the status pages)."""
    return [*need_secrets(t), t.need.tracking_code, t.open_need.tracking_code, t.submitted_need.tracking_code]
