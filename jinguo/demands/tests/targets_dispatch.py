"""Scope-coverage targets: dispatch (part B of issue 4), all inside 思明区, built through the services (posting and
review: part A).

    offered_need         柏秘派's need at t.community, dispatched by the district admin to world.team and not yet
                         answered: t.offered_assignment waits in the leader's inbox
    offer_need           柴秘申's need, which t.volunteer offered to take (申请接单): t.offer_assignment waits for
                         the district admin to confirm or turn it down
    dispatch_rule        the district's rule sending urgent (紧急) legal needs to world.team (so specific on purpose:
                         it must not dispatch the needs later parts build for their own targets)
"""

from jinguo.demands import services_dispatch, services_needs


def _open_need(t, name: str, phone: str, address: str):
    data = {
        "category": "care", "description": f"{name}腿脚不便，需要志愿者帮忙买菜", "address": address,
        "preferred_time": "工作日下午", "urgency": "normal", "requester_name": name, "requester_phone": phone,
    }  # fmt: skip
    need = services_needs.need_create(actor=t.district_admin, node=t.community, proxy=True, data=data)
    return services_needs.need_review(actor=t.district_admin, need=need, accept=True)


def build(t) -> None:
    """Add this part's objects inside 思明区 to `t`."""
    t.offered_need = _open_need(t, "柏秘派", "13912340301", "湖滨西路派单小区5号")
    t.offered_assignment = services_dispatch.need_dispatch(
        actor=t.district_admin, need=t.offered_need, team=t.team.node, score=0.9, reasons=["服务类别匹配：巾帼爱心帮扶"]
    )
    t.offer_need = _open_need(t, "柴秘申", "13912340302", "湖滨西路申请小区6号")
    t.offer_assignment = services_dispatch.need_offer(actor=t.volunteer.user, need=t.offer_need)
    t.dispatch_rule = services_dispatch.rule_create(
        actor=t.district_admin,
        data={"node": t.district, "category": "legal", "urgency": "critical", "team": t.team.node},
    )
    for need in (t.offered_need, t.offer_need):
        need.refresh_from_db()


def dispatch_secrets(t) -> list[str]:
    """What no outsider may see: the requesters' names, phones (full and masked), addresses, descriptions, and the
    numbers and summaries of our needs."""
    found = []
    for need in (t.offered_need, t.offer_need):
        found += [need.requester_name, need.requester_phone, need.requester_phone_masked, need.address,
                  need.description, need.number]  # fmt: skip
    if hasattr(t, "need"):
        found += [t.need.requester_name, t.need.requester_phone, t.need.address, t.need.number]
    return found
