"""Writes of dispatch (派单) and acceptance (接单): staff dispatch a need to a team or a volunteer, the provider
accepts or declines with a reason, staff withdraw; volunteers and teams claim a claimable need (抢单: exactly one
winner) or offer to take another one (staff confirm); dispatch rules act when a need opens; the sweep keeps the time
limits (reminder, escalation to the level above, expiry of unanswered offers).

Each write: one transaction, the need row locked first (every path that hands a need out goes through that lock,
and the database's one-live-assignment constraint backs it up), scope checked, a DomainError in Chinese when
refused (nothing written), an audit entry and a message to whoever must act next.

One clock per need: `Need.accept_deadline`. It is set when the need opens and moved to the offer's `respond_by`
each time it is offered (the new provider gets a full limit and a fresh reminder). With H the limit of the need's
urgency (DEMAND_ACCEPT_HOURS), the sweep sends a reminder at the deadline, expires an offer still unanswered at
deadline + H (the need returns to 待派单) and escalates the need one federation level up at deadline + H, one more
level for every further H, while nobody has accepted it.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jinguo.core import audit, notify
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.scope import get_scope
from jinguo.core.text import clean_text
from jinguo.orgs.choices import NodeKind, Role
from jinguo.orgs.models import Node, RoleAssignment
from jinguo.volunteers.choices import MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Membership, Volunteer

from . import stats
from .choices import LIVE_ASSIGNMENT, AssigneeKind, AssignmentMode, AssignmentStatus, NeedStatus
from .models import Assignment, DispatchRule, Need

logger = logging.getLogger("jinguo.demands")

TAKEN_MESSAGE = "已被其他志愿者/队伍接单。"
WAITING = (NeedStatus.OPEN, NeedStatus.DISPATCHED)


# ---- helpers --------------------------------------------------------------------------------------------------------


def accept_hours(need: Need) -> int:
    return settings.DEMAND_ACCEPT_HOURS.get(need.urgency, settings.DEMAND_ACCEPT_HOURS["normal"])


def accept_limit(need: Need) -> datetime.timedelta:
    return datetime.timedelta(hours=accept_hours(need))


def _inbox_link() -> str:
    return reverse("demands:inbox")


def _dispatch_link(need: Need) -> str:
    return reverse("demands:dispatch", args=[need.pk])


def _lock_need(need: Need) -> Need:
    return Need.objects.select_for_update(of=("self",)).select_related("node").get(pk=need.pk)


def _lock_assignment(assignment: Assignment) -> tuple[Assignment, Need]:
    """The need first, then the assignment: the same order as every other path, so two writers never deadlock."""
    need = _lock_need(assignment.need)
    locked = (
        Assignment.objects.select_for_update(of=("self",)).select_related("team", "volunteer").get(pk=assignment.pk)
    )
    return locked, need


def node_admins(node: Node) -> list[int]:
    """The federation admins of the node; a community without its own admin on the platform is looked after by the
    nearest level above that has one, so that a message about its needs always reaches someone."""
    for candidate in [node, *reversed(node.ancestors_list())]:
        users = list(
            RoleAssignment.objects.current()
            .filter(node=candidate, role=Role.FEDERATION_ADMIN)
            .values_list("user_id", flat=True)
        )
        if users:
            return users
    return []


def team_leaders(team: Node) -> list[int]:
    """Leaders of the team itself, or of a team above it (a 总队's leader answers for her 服务队)."""
    paths = [team.path, *team.ancestor_paths()]
    return list(
        RoleAssignment.objects.current()
        .filter(role=Role.TEAM_LEADER, node__path__in=paths, node__kind=NodeKind.TEAM)
        .values_list("user_id", flat=True)
        .distinct()
    )


def leads_team(user, team: Node) -> bool:
    return bool(user and user.is_authenticated and user.pk in team_leaders(team))


def _provider_users(assignment: Assignment) -> list[int]:
    if assignment.team_id:
        return team_leaders(assignment.team)
    return [assignment.volunteer.user_id] if assignment.volunteer.user_id else []


def is_provider(user, assignment: Assignment) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if assignment.team_id:
        return leads_team(user, assignment.team)
    return assignment.volunteer.user_id == user.pk


def can_dispatch(user, need: Need) -> bool:
    return get_scope(user).covers(need.node.path, "change")


def _require_dispatcher(actor, need: Need) -> None:
    if not can_dispatch(actor, need):
        raise PermissionDeniedError(f"「{need.node.name}」的需求不在您的派单范围内。")


def _reason(reason: str, what: str) -> str:
    text = clean_text(reason)
    if not text:
        raise DomainError("reason_required", f"请填写{what}。", field="reason")
    if len(text) > 300:
        raise DomainError("reason_too_long", f"{what}不能超过 300 字。", field="reason")
    return text


def _refuse_status(need: Need, doing: str):
    if need.status in (NeedStatus.DISPATCHED, NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE):
        raise DomainError("already_taken", TAKEN_MESSAGE)
    raise DomainError("bad_status", f"该需求当前为「{need.get_status_display()}」，不能{doing}。")


def _check_team(team: Node) -> None:
    if team is None or team.kind != NodeKind.TEAM:
        raise DomainError("bad_team", "请选择一支志愿服务队伍。", field="team")
    if not team.is_active:
        raise DomainError("bad_team", f"「{team.name}」已撤销，不能接单。", field="team")


def _check_volunteer(volunteer: Volunteer) -> None:
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise DomainError(
            "volunteer_not_active", f"志愿者「{volunteer.name}」当前为「{volunteer.get_status_display()}」，不能接单。",
            field="volunteer",
        )  # fmt: skip
    if not volunteer.user_id:
        raise DomainError(
            "volunteer_no_account", f"志愿者「{volunteer.name}」尚未开通账号，无法接单。", field="volunteer"
        )


def _create_assignment(need: Need, **fields) -> Assignment:
    """Insert in a savepoint: should a racing writer have slipped past the row lock, the database's one-live
    constraint refuses the second, and the caller's transaction stays usable."""
    try:
        with transaction.atomic():
            return Assignment.objects.create(need=need, **fields)
    except IntegrityError:
        raise DomainError("already_taken", TAKEN_MESSAGE) from None


def _summary(need: Need) -> str:
    return f"{need.number}（{need.get_category_display()}，{need.node.name}）"


# ---- dispatch (派单) --------------------------------------------------------------------------------------------------


def _offer(need: Need, *, actor, team=None, volunteer=None, mode, score=None, reasons=None, now) -> Assignment:
    """Hand the locked, open need to a provider as an offer; the need waits for her answer."""
    respond_by = now + accept_limit(need)
    assignment = _create_assignment(
        need,
        assignee_kind=AssigneeKind.TEAM if team is not None else AssigneeKind.VOLUNTEER,
        team=team, volunteer=volunteer, mode=mode, status=AssignmentStatus.OFFERED,
        score=score, rank_reasons=list(reasons or []), offered_by=actor if getattr(actor, "pk", None) else None,
        offered_at=now, respond_by=respond_by,
    )  # fmt: skip
    need.status = NeedStatus.DISPATCHED
    need.accept_deadline = respond_by
    need.reminded_at = None
    need.save(update_fields=["status", "accept_deadline", "reminded_at", "updated_at"])
    return assignment


@transaction.atomic
def need_dispatch(
    *,
    actor,
    need: Need,
    team: Node | None = None,
    volunteer: Volunteer | None = None,
    score: float | None = None,
    reasons: list[str] | None = None,
) -> Assignment:
    """Staff of the need's node (or above) offer it to one team or one volunteer of their scope."""
    if (team is None) == (volunteer is None):
        raise DomainError("one_assignee", "请选择一支队伍或一名志愿者（二选一）。")
    need = _lock_need(need)
    _require_dispatcher(actor, need)
    if need.status != NeedStatus.OPEN:
        _refuse_status(need, "派单")
    scope = get_scope(actor)
    if team is not None:
        team = Node.objects.get(pk=team.pk)
        _check_team(team)
        if not scope.covers(team.path, "view"):
            raise PermissionDeniedError(f"「{team.name}」不在您的管理范围内。")
    else:
        volunteer = Volunteer.objects.get(pk=volunteer.pk)
        _check_volunteer(volunteer)
        if not Volunteer.objects.restrict(actor, "view").filter(pk=volunteer.pk).exists():
            raise PermissionDeniedError(f"志愿者「{volunteer.name}」不在您的管理范围内。")
    now = timezone.now()
    assignment = _offer(
        need,
        actor=actor,
        team=team,
        volunteer=volunteer,
        mode=AssignmentMode.DISPATCH,
        score=score,
        reasons=reasons,
        now=now,
    )
    notify.notify(
        _provider_users(assignment), f"新的派单：{need.get_category_display()}",
        f"需求 {_summary(need)} 已派给{assignment.assignee_name}，请在 {timezone.localtime(assignment.respond_by):%m-%d %H:%M} "
        "前接单或说明拒单原因。",
        link=_inbox_link(),
    )  # fmt: skip
    audit.record(
        actor, "need.dispatched", target=need, node_path=need.node.path,
        summary=f"派单给{assignment.assignee_name}", detail={"assignment": assignment.pk, "score": score},
    )  # fmt: skip
    return assignment


@transaction.atomic
def assignment_accept(*, actor, assignment: Assignment) -> Assignment:
    """The team's leader, or the volunteer herself, takes the offered need. A second tap (a phone retrying) finds it
    already accepted by her and changes nothing."""
    assignment, need = _lock_assignment(assignment)
    if not is_provider(actor, assignment):
        raise PermissionDeniedError("只有被派单队伍的队长或志愿者本人可以接单。")
    if assignment.status == AssignmentStatus.ACCEPTED:
        return assignment
    if assignment.status != AssignmentStatus.OFFERED:
        raise DomainError("not_offered", f"该派单当前为「{assignment.get_status_display()}」，不能再接单。")
    if assignment.mode == AssignmentMode.OFFER:
        raise DomainError("awaiting_staff", "您的接单申请正在等待工作人员确认。")
    now = timezone.now()
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.responded_by, assignment.responded_at = actor, now
    assignment.save(update_fields=["status", "responded_by", "responded_at"])
    need.status = NeedStatus.ACCEPTED
    need.save(update_fields=["status", "updated_at"])
    stats.accepted(assignment)
    notify.notify(
        [assignment.offered_by_id] if assignment.offered_by_id else node_admins(need.node),
        f"已接单：{need.number}", f"{assignment.assignee_name}已接受需求 {_summary(need)}。",
        link=_dispatch_link(need),
    )  # fmt: skip
    audit.record(
        actor,
        "assignment.accepted",
        target=assignment,
        node_path=need.node.path,
        summary=f"{assignment.assignee_name}接单：{need.number}",
    )
    return assignment


def _back_to_open(need: Need) -> None:
    need.status = NeedStatus.OPEN
    need.save(update_fields=["status", "updated_at"])


@transaction.atomic
def assignment_decline(*, actor, assignment: Assignment, reason: str) -> Assignment:
    """The provider says no, with a reason; the need returns to 待派单 for the dispatcher."""
    assignment, need = _lock_assignment(assignment)
    if not is_provider(actor, assignment):
        raise PermissionDeniedError("只有被派单队伍的队长或志愿者本人可以拒单。")
    if assignment.status != AssignmentStatus.OFFERED or assignment.mode == AssignmentMode.OFFER:
        raise DomainError("not_offered", f"该派单当前为「{assignment.get_status_display()}」，不能拒单。")
    text = _reason(reason, "拒单原因")
    assignment.status = AssignmentStatus.DECLINED
    assignment.reason = text
    assignment.responded_by, assignment.responded_at = actor, timezone.now()
    assignment.save(update_fields=["status", "reason", "responded_by", "responded_at"])
    _back_to_open(need)
    notify.notify(
        [assignment.offered_by_id] if assignment.offered_by_id else node_admins(need.node),
        f"拒单：{need.number}", f"{assignment.assignee_name}未接受需求 {_summary(need)}，原因：{text}。请重新派单。",
        link=_dispatch_link(need),
    )  # fmt: skip
    audit.record(
        actor,
        "assignment.declined",
        target=assignment,
        node_path=need.node.path,
        summary=f"{assignment.assignee_name}拒单：{text}",
    )
    return assignment


@transaction.atomic
def assignment_withdraw(*, actor, assignment: Assignment, reason: str) -> Assignment:
    """Staff take an offered or accepted need back before service starts (to dispatch it elsewhere)."""
    assignment, need = _lock_assignment(assignment)
    _require_dispatcher(actor, need)
    if assignment.status not in LIVE_ASSIGNMENT:
        raise DomainError("not_live", f"该派单当前为「{assignment.get_status_display()}」，无需撤回。")
    if need.status not in (NeedStatus.DISPATCHED, NeedStatus.ACCEPTED):
        raise DomainError("service_started", f"该需求当前为「{need.get_status_display()}」，不能撤回派单。")
    text = _reason(reason, "撤回原因")
    was_accepted = assignment.status == AssignmentStatus.ACCEPTED
    assignment.status = AssignmentStatus.WITHDRAWN
    assignment.reason = text
    assignment.save(update_fields=["status", "reason"])
    if was_accepted:
        stats.released(assignment)
    _back_to_open(need)
    notify.notify(
        _provider_users(assignment), f"派单已撤回：{need.number}",
        f"工作人员撤回了需求 {_summary(need)} 的派单，原因：{text}。", link=_inbox_link(),
    )  # fmt: skip
    audit.record(
        actor,
        "assignment.withdrawn",
        target=assignment,
        node_path=need.node.path,
        summary=f"撤回{assignment.assignee_name}的派单：{text}",
    )
    return assignment


# ---- claims and offers by providers (抢单 / 申请接单) --------------------------------------------------------------------


def _provider_nodes(volunteer: Volunteer | None, team: Node | None) -> list[Node]:
    if team is not None:
        return [team]
    nodes = [volunteer.home_node]
    nodes += [m.team for m in Membership.objects.filter(volunteer=volunteer, status=MembershipStatus.ACTIVE)
              .select_related("team")]  # fmt: skip
    return nodes


def _area_path(node: Node) -> str:
    """A provider's area for open needs: the district (区县) her community or team lies in; above district level,
    the nearest federation node."""
    chain = [*node.ancestors_list(), node]
    districts = [n for n in chain if n.kind == NodeKind.DISTRICT]
    if districts:
        return districts[-1].path
    federations = [n for n in chain if n.kind != NodeKind.TEAM]
    return federations[-1].path if federations else node.path


def in_reach(need: Need, *, volunteer: Volunteer | None = None, team: Node | None = None) -> bool:
    """May this volunteer or team offer to take the need? Open needs are shown to providers of the same district."""
    return any(need.node.path.startswith(_area_path(node)) for node in _provider_nodes(volunteer, team))


def _provider_for(actor, team: Node | None) -> tuple[Node | None, Volunteer | None]:
    """Who takes the need: the team the actor leads, or the actor herself as a volunteer."""
    if team is not None:
        team = Node.objects.get(pk=team.pk)
        _check_team(team)
        if not leads_team(actor, team):
            raise PermissionDeniedError(f"只有「{team.name}」的队长可以代表队伍接单。")
        return team, None
    volunteer = Volunteer.objects.filter(user_id=getattr(actor, "pk", None)).first()
    if volunteer is None:
        raise DomainError("not_volunteer", "只有志愿者本人或队伍队长可以接单。")
    _check_volunteer(volunteer)
    return None, volunteer


@transaction.atomic
def need_claim(*, actor, need: Need, team: Node | None = None) -> Assignment:
    """抢单: the first volunteer (or team leader for her team) to claim an open, claimable need gets it at once.

    Every claimer waits for the need's row lock in turn; the first finds it open and takes it, every later one finds
    it taken and is told so. The one-live-assignment constraint would refuse a second even without the lock."""
    team, volunteer = _provider_for(actor, team)
    need = _lock_need(need)
    if need.status != NeedStatus.OPEN:
        _refuse_status(need, "接单")
    if not need.claimable:
        raise DomainError("not_claimable", "该需求不开放抢单，请点击“申请接单”，由工作人员确认。")
    if not in_reach(need, volunteer=volunteer, team=team):
        raise PermissionDeniedError("该需求不在您所在区域，不能接单。")
    now = timezone.now()
    assignment = _create_assignment(
        need, assignee_kind=AssigneeKind.TEAM if team is not None else AssigneeKind.VOLUNTEER, team=team,
        volunteer=volunteer, mode=AssignmentMode.CLAIM, status=AssignmentStatus.ACCEPTED, offered_by=actor,
        offered_at=now, respond_by=now, responded_by=actor, responded_at=now,
    )  # fmt: skip
    need.status = NeedStatus.ACCEPTED
    need.save(update_fields=["status", "updated_at"])
    stats.accepted(assignment)
    notify.notify(
        node_admins(need.node),
        f"抢单成功：{need.number}",
        f"{assignment.assignee_name}已接下需求 {_summary(need)}。",
        link=_dispatch_link(need),
    )
    audit.record(
        actor,
        "need.claimed",
        target=need,
        node_path=need.node.path,
        summary=f"{assignment.assignee_name}抢单",
        detail={"assignment": assignment.pk},
    )
    return assignment


@transaction.atomic
def need_offer(*, actor, need: Need, team: Node | None = None) -> Assignment:
    """申请接单: on a claimable need this is a claim (immediate); on any other open need the offer holds it for the
    node's staff to confirm or turn down."""
    if Need.objects.filter(pk=need.pk, claimable=True).exists():
        return need_claim(actor=actor, need=need, team=team)
    team, volunteer = _provider_for(actor, team)
    need = _lock_need(need)
    if need.status != NeedStatus.OPEN:
        _refuse_status(need, "申请接单")
    if not in_reach(need, volunteer=volunteer, team=team):
        raise PermissionDeniedError("该需求不在您所在区域，不能申请接单。")
    assignment = _offer(
        need, actor=actor, team=team, volunteer=volunteer, mode=AssignmentMode.OFFER, now=timezone.now()
    )
    notify.notify(
        node_admins(need.node), f"接单申请：{need.number}",
        f"{assignment.assignee_name}申请承接需求 {_summary(need)}，请确认或婉拒。", link=_dispatch_link(need),
    )  # fmt: skip
    audit.record(
        actor,
        "need.offered",
        target=need,
        node_path=need.node.path,
        summary=f"{assignment.assignee_name}申请接单",
        detail={"assignment": assignment.pk},
    )
    return assignment


@transaction.atomic
def assignment_confirm_offer(*, actor, assignment: Assignment) -> Assignment:
    """Staff accept a provider's offer: the need is hers."""
    assignment, need = _lock_assignment(assignment)
    _require_dispatcher(actor, need)
    if assignment.mode != AssignmentMode.OFFER or assignment.status != AssignmentStatus.OFFERED:
        raise DomainError("not_pending_offer", "这不是一条待确认的接单申请。")
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.responded_by, assignment.responded_at = actor, timezone.now()
    assignment.save(update_fields=["status", "responded_by", "responded_at"])
    need.status = NeedStatus.ACCEPTED
    need.save(update_fields=["status", "updated_at"])
    stats.accepted(assignment)
    notify.notify(
        _provider_users(assignment),
        f"接单申请已确认：{need.number}",
        f"您申请承接的需求 {_summary(need)} 已确认由您服务。",
        link=_inbox_link(),
    )
    audit.record(
        actor,
        "assignment.offer_confirmed",
        target=assignment,
        node_path=need.node.path,
        summary=f"确认{assignment.assignee_name}的接单申请",
    )
    return assignment


@transaction.atomic
def assignment_reject_offer(*, actor, assignment: Assignment, reason: str) -> Assignment:
    """Staff turn a provider's offer down, with a reason she sees; the need is open again."""
    assignment, need = _lock_assignment(assignment)
    _require_dispatcher(actor, need)
    if assignment.mode != AssignmentMode.OFFER or assignment.status != AssignmentStatus.OFFERED:
        raise DomainError("not_pending_offer", "这不是一条待确认的接单申请。")
    text = _reason(reason, "婉拒原因")
    assignment.status = AssignmentStatus.WITHDRAWN
    assignment.reason = text
    assignment.responded_by, assignment.responded_at = actor, timezone.now()
    assignment.save(update_fields=["status", "reason", "responded_by", "responded_at"])
    _back_to_open(need)
    notify.notify(
        _provider_users(assignment),
        f"接单申请未获确认：{need.number}",
        f"感谢您申请承接需求 {_summary(need)}。工作人员的答复：{text}",
        link=_inbox_link(),
    )
    audit.record(
        actor,
        "assignment.offer_rejected",
        target=assignment,
        node_path=need.node.path,
        summary=f"婉拒{assignment.assignee_name}的接单申请：{text}",
    )
    return assignment


# ---- dispatch rules ---------------------------------------------------------------------------------------------------

RULE_FIELDS = ("node", "category", "urgency", "team", "is_active")


def _clean_rule(actor, data: dict) -> dict:
    clean = {key: data[key] for key in RULE_FIELDS if key in data}
    node = clean.get("node")
    if node is None or node.kind == NodeKind.TEAM:
        raise DomainError("bad_node", "请选择规则适用的妇联组织。", field="node")
    if not get_scope(actor).covers(node.path, "change"):
        raise PermissionDeniedError(f"「{node.name}」不在您的管理范围内。")
    team = clean.get("team")
    if team is not None:
        _check_team(team)
        if not get_scope(actor).covers(team.path, "view"):
            raise PermissionDeniedError(f"「{team.name}」不在您的管理范围内。")
    clean["category"] = clean.get("category") or ""
    clean["urgency"] = clean.get("urgency") or ""
    clean["is_active"] = bool(clean.get("is_active", True))
    return clean


@transaction.atomic
def rule_create(*, actor, data: dict) -> DispatchRule:
    clean = _clean_rule(actor, data)
    rule = DispatchRule.objects.create(created_by=actor, **clean)
    audit.record(
        actor, "dispatch_rule.created", target=rule, node_path=rule.node.path, summary=f"新建自动派单规则：{rule}"
    )
    return rule


@transaction.atomic
def rule_update(*, actor, rule: DispatchRule, data: dict) -> DispatchRule:
    rule = DispatchRule.objects.select_for_update(of=("self",)).select_related("node").get(pk=rule.pk)
    if not get_scope(actor).covers(rule.node.path, "change"):
        raise PermissionDeniedError(f"「{rule.node.name}」的规则不在您的管理范围内。")
    merged = {key: getattr(rule, key) for key in RULE_FIELDS}
    merged.update({key: data[key] for key in RULE_FIELDS if key in data})
    clean = _clean_rule(actor, merged)
    for key, value in clean.items():
        setattr(rule, key, value)
    rule.save()
    audit.record(
        actor,
        "dispatch_rule.updated",
        target=rule,
        node_path=rule.node.path,
        summary=f"修改自动派单规则：{rule}（{'启用' if rule.is_active else '停用'}）",
    )
    return rule


def matching_rules(need: Need):
    """Active rules of the need's node and the levels above that match its category and urgency, the most specific
    first: the deepest node, then a named category, then a named urgency."""
    paths = [*need.node.ancestor_paths(), need.node.path]
    rules = DispatchRule.objects.filter(is_active=True, node__path__in=paths).select_related("node", "team")
    rules = [r for r in rules if r.category in ("", need.category) and r.urgency in ("", need.urgency)]
    return sorted(rules, key=lambda r: (-r.node.depth, r.category == "", r.urgency == "", r.pk))


def _rule_candidate(rule: DispatchRule, need: Need):
    """(team, score, reasons) for a rule: its named team, or the recommender's best team. The rule acts as the
    system (`user=None`), for which the recommender stays within the need's own district."""
    if rule.team_id:
        return rule.team, None, [f"自动派单规则：{rule.node.name}指定队伍"]
    from .recommend import rank_candidates  # part D's module; imported here so that dispatch works without it

    for candidate in rank_candidates(need, kind="team", user=None, limit=5):
        if candidate.team is not None and candidate.team.is_active:
            return candidate.team, candidate.score, [f"自动派单规则：{rule.node.name}推荐第一", *candidate.reasons]
    return None, None, []


@transaction.atomic
def apply_rules(need: Need) -> Assignment | None:
    """Called when a need opens (by the review service, inside its transaction): start its clock, and offer it to
    the first matching rule's team. A rule that cannot dispatch (no team, team dissolved) is skipped; nothing here
    fails the review."""
    need = _lock_need(need)
    if need.status != NeedStatus.OPEN:
        return None
    now = timezone.now()
    if need.accept_deadline is None:
        need.accept_deadline = now + accept_limit(need)
        need.save(update_fields=["accept_deadline", "updated_at"])
    for rule in matching_rules(need):
        try:
            team, score, reasons = _rule_candidate(rule, need)
            if team is None or not team.is_active:
                continue
            assignment = _offer(
                need, actor=None, team=team, mode=AssignmentMode.AUTO, score=score, reasons=reasons, now=now
            )
        except (DomainError, ImportError) as exc:
            logger.warning("dispatch rule %s skipped for need %s: %s", rule.pk, need.pk, exc)
            continue
        notify.notify(
            _provider_users(assignment), f"新的派单：{need.get_category_display()}",
            f"需求 {_summary(need)} 已按规则派给{assignment.assignee_name}，请在 "
            f"{timezone.localtime(assignment.respond_by):%m-%d %H:%M} 前接单或说明拒单原因。",
            link=_inbox_link(),
        )  # fmt: skip
        audit.record(
            None,
            "need.auto_dispatched",
            target=need,
            node_path=need.node.path,
            summary=f"按规则自动派单给{assignment.assignee_name}",
            detail={"rule": rule.pk, "assignment": assignment.pk},
        )
        return assignment
    return None


# ---- time limits ------------------------------------------------------------------------------------------------------


def _federation_chain(node: Node) -> list[Node]:
    """The federation nodes above the need's node, nearest first."""
    return [n for n in reversed(node.ancestors_list()) if n.kind != NodeKind.TEAM]


def _sweep_one(need_id: int, now: datetime.datetime, counts: dict) -> None:
    with transaction.atomic():
        need = Need.objects.select_for_update(of=("self",)).select_related("node").filter(pk=need_id).first()
        if need is None or need.status not in WAITING:
            return
        limit = accept_limit(need)
        if need.accept_deadline is None:
            # Opened without the review service starting the clock: it runs from the review (or the posting).
            need.accept_deadline = (need.reviewed_at or need.created_at) + limit
            need.save(update_fields=["accept_deadline", "updated_at"])
        deadline = need.accept_deadline
        if now < deadline:
            return
        live = need.assignments.filter(status=AssignmentStatus.OFFERED).select_related("team", "volunteer").first()

        if need.reminded_at is None:
            need.reminded_at = now
            need.save(update_fields=["reminded_at", "updated_at"])
            if live is not None and live.mode != AssignmentMode.OFFER:
                users, body = (
                    _provider_users(live),
                    f"需求 {_summary(need)} 派给您已到接单时限，请尽快接单或说明拒单原因。",
                )
                link = _inbox_link()
            else:
                users, body = node_admins(need.node), f"需求 {_summary(need)} 已到接单时限，仍无人接单，请尽快派单。"
                link = _dispatch_link(need)
            notify.notify(users, f"接单提醒：{need.number}", body, link=link)
            audit.record(None, "need.reminded", target=need, node_path=need.node.path, summary="已到接单时限，发送提醒")
            counts["reminded"] += 1

        if live is not None and now >= deadline + limit:
            live.status = AssignmentStatus.EXPIRED
            live.responded_at = now
            live.save(update_fields=["status", "responded_at"])
            _back_to_open(need)
            notify.notify(
                _provider_users(live),
                f"派单已超时：{need.number}",
                f"需求 {_summary(need)} 超时未接，已退回重新派单。",
                link=_inbox_link(),
            )
            audit.record(
                None,
                "assignment.expired",
                target=live,
                node_path=need.node.path,
                summary=f"{live.assignee_name}超时未接，需求退回待派单",
            )
            counts["expired"] += 1

        # One federation level up at deadline + H, one more for every further H, up to the top of the tree.
        due = int((now - deadline) / limit)
        chain = _federation_chain(need.node)
        level = min(due, len(chain))
        if level > need.escalation_level:
            target = chain[level - 1]
            need.escalation_level, need.escalated_to, need.escalated_at = level, target, now
            need.save(update_fields=["escalation_level", "escalated_to", "escalated_at", "updated_at"])
            notify.notify(
                node_admins(target), f"超时上报：{need.number}",
                f"{need.node.name}的需求 {_summary(need)} 超过接单时限仍无人接单，已上报{target.name}，请督促办理。",
                link=_dispatch_link(need),
            )  # fmt: skip
            audit.record(
                None,
                "need.escalated",
                target=need,
                node_path=need.node.path,
                summary=f"超时上报至{target.name}",
                detail={"level": level, "node": target.pk},
            )
            counts["escalated"] += 1


def sweep(now: datetime.datetime | None = None) -> dict:
    """Keep the time limits of every waiting need: remind, expire offers, escalate. Each need in its own short
    transaction; what was done is recorded on the need, so a second run at the same moment does nothing."""
    now = now or timezone.now()
    counts = {"reminded": 0, "expired": 0, "escalated": 0}
    candidates = (
        Need.objects.filter(status__in=WAITING)
        .exclude(accept_deadline__gt=now)
        .order_by("accept_deadline", "pk")
        .values_list("pk", flat=True)
    )
    for need_id in list(candidates):
        try:
            _sweep_one(need_id, now, counts)
        except Exception:  # one broken need must not hold up the time limits of all the others
            logger.exception("dispatch sweep failed for need %s", need_id)
    return counts
