"""Writes to the org tree, teams, filing, roles and accounts. Each one: one transaction, rows locked, scope
checked, a DomainError in Chinese when refused, an audit entry when done."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from jinguo.core import audit
from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.ids import IdNumberError, validate_credit_code
from jinguo.core.models import AuditLog, Sequence
from jinguo.core.scope import get_scope, reset_scope
from jinguo.core.text import clean_text, is_contact_phone, is_mobile, normalise_contact_phone, normalise_phone

from . import hooks
from .choices import FEDERATION_ORDER, FilingStatus, NodeKind, NodeStatus, ReportStatus, Role
from .models import AnnualReport, BackboneMember, Node, NodeCounter, ReportingYear, RoleAssignment, Team
from .selectors import federation_ancestor, tier_choices, tier_names_for

User = get_user_model()


# ---- helpers --------------------------------------------------------------------------------------------------


def require_scope(actor, node: Node, action: str = "change", *, from_above: bool = False) -> None:
    scope = get_scope(actor)
    allowed = scope.covers_strictly_below(node.path, action) if from_above else scope.covers(node.path, action)
    if not allowed:
        if from_above:
            raise PermissionDeniedError(f"此操作须由「{node.name}」的上级办理。")
        raise PermissionDeniedError(f"「{node.name}」不在您的管理范围内。")


def _lock(node: Node) -> Node:
    return Node.objects.select_for_update().get(pk=node.pk)


def counter_add(node_id: int, *, volunteers: int = 0, members: int = 0, teams: int = 0) -> None:
    """Adjust one node's pre-aggregated figures inside the caller's transaction."""
    changes = {}
    if volunteers:
        changes["volunteers"] = F("volunteers") + volunteers
    if members:
        changes["members"] = F("members") + members
    if teams:
        changes["teams"] = F("teams") + teams
    if changes and not NodeCounter.objects.filter(node_id=node_id).update(**changes):
        NodeCounter.objects.create(node_id=node_id, volunteers=volunteers, members=members, teams=teams)


def _check_child_kind(parent: Node | None, kind: str) -> None:
    if kind not in NodeKind.values:
        raise DomainError("bad_kind", "组织类型无效。")
    if parent is None:
        if kind == NodeKind.TEAM:
            raise DomainError("bad_kind", "志愿服务队伍必须隶属于妇联组织或上级队伍。")
        return
    if parent.kind == NodeKind.TEAM:
        if kind != NodeKind.TEAM:
            raise DomainError("bad_kind", "队伍下只能设立下级队伍，不能设立妇联组织。")
        return
    if kind == NodeKind.TEAM:
        return
    if FEDERATION_ORDER.index(kind) <= FEDERATION_ORDER.index(parent.kind):
        raise DomainError(
            "bad_kind",
            f"「{parent.get_kind_display()}」下只能设立更低一级的组织，不能设立「{NodeKind(kind).label}」。",
        )


def _check_code(kind: str, code: str) -> str:
    code = clean_text(code).replace(" ", "")
    if not code:
        return ""
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise DomainError("bad_code", "行政区划代码应为 6 位数字（街道 9 位、社区 12 位）。", field="code")
    if kind == NodeKind.PROVINCE and not code.endswith("0000"):
        raise DomainError("bad_code", "省级行政区划代码应以 0000 结尾。", field="code")
    if kind == NodeKind.CITY and (not code.endswith("00") or code.endswith("0000")):
        raise DomainError("bad_code", "市级行政区划代码应以 00 结尾（且不以 0000 结尾）。", field="code")
    return code


def _unique_sibling_name(parent: Node | None, name: str, exclude: Node | None = None) -> None:
    siblings = Node.objects.get_root_nodes() if parent is None else Node.objects.get_children(parent)
    siblings = siblings.filter(name=name, status=NodeStatus.ACTIVE)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    if siblings.exists():
        raise DomainError("duplicate_name", f"同一上级下已有名为「{name}」的组织或队伍。", field="name")


# ---- federation nodes -----------------------------------------------------------------------------------------


@transaction.atomic
def node_create(*, actor, parent: Node | None, name: str, kind: str, code: str = "", team_tier_names: str = "") -> Node:
    name = clean_text(name)
    if not name:
        raise DomainError("required", "请填写名称。", field="name")
    if kind == NodeKind.TEAM:
        raise DomainError("bad_kind", "队伍请通过「登记队伍」创建。")
    if parent is None:
        if not get_scope(actor).platform:
            raise PermissionDeniedError("只有平台管理员可以创建顶级组织。")
    else:
        require_scope(actor, parent)
        parent = _lock(parent)
        if not parent.is_active:
            raise DomainError("inactive_parent", f"「{parent.name}」已撤销或合并，不能再设立下级。")
    _check_child_kind(parent, kind)
    _unique_sibling_name(parent, name)
    fields = {
        "name": name,
        "kind": kind,
        "code": _check_code(kind, code),
        "team_tier_names": clean_text(team_tier_names),
    }
    node = Node.objects.add_root(fields) if parent is None else Node.objects.add_child(parent, fields)
    NodeCounter.objects.create(node=node)
    audit.record(actor, "node.created", target=node, node_path=node.path, summary=f"新建组织「{name}」")
    return node


@transaction.atomic
def node_update(
    *,
    actor,
    node: Node,
    name: str,
    code: str | None = None,
    team_tier_names: str | None = None,
    requires_publish_approval: bool | None = None,
) -> Node:
    require_scope(actor, node)
    node = _lock(node)
    old_name = node.name
    name = clean_text(name)
    if not name:
        raise DomainError("required", "请填写名称。", field="name")
    parent = Node.objects.get_parent(node)
    if name != old_name:
        _unique_sibling_name(parent, name, exclude=node)
    node.name = name
    if not node.is_team and code is not None:  # None keeps the code: a rename must not erase it
        node.code = _check_code(node.kind, code)
    if team_tier_names is not None:
        names = [n.strip() for n in clean_text(team_tier_names).replace("，", ",").split(",") if n.strip()]
        if team_tier_names.strip() and len(names) < 2:
            raise DomainError("bad_tiers", "队伍层级名称至少需要两级，以逗号分隔。", field="team_tier_names")
        node.team_tier_names = ",".join(names)
    if requires_publish_approval is not None:
        node.requires_publish_approval = requires_publish_approval
    node.save()
    if name != old_name:
        audit.record(
            actor,
            "node.renamed",
            target=node,
            node_path=node.path,
            summary=f"「{old_name}」更名为「{name}」",
            detail={"old": old_name, "new": name},
        )
    else:
        audit.record(actor, "node.updated", target=node, node_path=node.path, summary="修改组织信息")
    return node


def _renumber_subtree(root: Node, new_prefix: str) -> dict[str, str]:
    """Team numbers are hierarchical: after a move, the moved teams take numbers under their new parent."""
    teams = list(Team.objects.select_for_update().filter(node__path__startswith=root.path).order_by("node__path"))
    old_prefix = root.team.team_number
    changes = {team.team_number: new_prefix + team.team_number[len(old_prefix) :] for team in teams}
    # Two passes, so a new number never collides with an old one not yet renamed.
    for team in teams:
        Team.objects.filter(pk=team.pk).update(team_number=f"~{team.pk}")
    for team in teams:
        Team.objects.filter(pk=team.pk).update(team_number=changes[team.team_number])
    return changes


@transaction.atomic
def node_move(*, actor, node: Node, new_parent: Node) -> Node:
    """Move a node and its whole subtree. Its data goes with it; history records where it came from."""
    node = _lock(node)
    new_parent = _lock(new_parent)
    old_parent = Node.objects.get_parent(node)
    if old_parent is None:
        raise DomainError("cannot_move_root", "顶级组织不能移动。")
    require_scope(actor, old_parent)
    require_scope(actor, new_parent)
    if new_parent.path.startswith(node.path):
        raise DomainError("move_into_self", "不能移动到自身或其下级之下。")
    if old_parent.pk == new_parent.pk:
        raise DomainError("same_parent", "已在该上级之下。")
    if not new_parent.is_active:
        raise DomainError("inactive_parent", f"「{new_parent.name}」已撤销或合并。")
    _check_child_kind(new_parent, node.kind)
    _unique_sibling_name(new_parent, node.name, exclude=node)
    old_path = node.path
    Node.objects.move(node, new_parent, pos="last-child")
    node.refresh_from_db()
    new_path = node.path
    # Audit entries follow the subtree, so the new parent's admins see its history.
    AuditLog.objects.filter(node_path__startswith=old_path).update(
        node_path=Concat(Value(new_path), Substr("node_path", len(old_path) + 1))
    )
    renumbered = {}
    if node.is_team:
        tier_delta = max(0, new_parent.team.tier + 1 - node.team.tier) if new_parent.is_team else 0
        deepest = Team.objects.filter(node__path__startswith=new_path).order_by("-tier").values_list("tier", flat=True)[0]
        if deepest + tier_delta > len(tier_names_for(new_parent)):
            raise DomainError("bad_tier", f"移到「{new_parent.name}」下后，层级将低于最基层的{tier_names_for(new_parent)[-1]}，不能移动。")
        if tier_delta:
            Team.objects.filter(node__path__startswith=new_path).update(tier=F("tier") + tier_delta)
        node.team.refresh_from_db()
        renumbered = _renumber_subtree(node, _next_team_number(new_parent))
    audit.record(
        actor,
        "node.moved",
        target=node,
        node_path=new_path,
        summary=f"由「{old_parent.name}」移至「{new_parent.name}」",
        detail={"from": old_parent.pk, "to": new_parent.pk, "renumbered": renumbered},
    )
    return node


@transaction.atomic
def node_dissolve(*, actor, node: Node, reason: str) -> Node:
    """撤销: the node stays in the tree with its history, but takes no new members, children or filings."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请填写撤销原因。", field="reason")
    parent = Node.objects.get_parent(node)
    require_scope(actor, parent if parent is not None else node)
    node = _lock(node)
    if not node.is_active:
        raise DomainError("not_active", "该组织已撤销或合并。")
    active_children = Node.objects.get_children(node).filter(status=NodeStatus.ACTIVE)
    if active_children.exists():
        names = "、".join(active_children.values_list("name", flat=True)[:5])
        raise DomainError("has_children", f"请先撤销、合并或移走下级：{names}。")
    node.status = NodeStatus.DISSOLVED
    node.save(update_fields=["status"])
    if node.is_team:
        hooks.run_dissolve(node, actor)
        counter_add(node.pk, teams=-1)
    audit.record(
        actor, "node.dissolved", target=node, node_path=node.path, summary=f"撤销：{reason}", detail={"reason": reason}
    )
    return node


@transaction.atomic
def node_delete(*, actor, node: Node) -> None:
    """Only an empty node created by mistake may be deleted; anything that holds data is dissolved instead."""
    parent = Node.objects.get_parent(node)
    require_scope(actor, parent if parent is not None else node)
    node = _lock(node)
    if Node.objects.get_children(node).exists():
        raise DomainError("has_children", f"「{node.name}」下还有下级组织或队伍，不能删除。")
    held = hooks.data_held(node)
    if RoleAssignment.objects.filter(node=node).exists():
        held.append("账号角色")
    if ReportingYear.objects.filter(node=node).exists() or (node.is_team and node.team.annual_reports.exists()):
        held.append("年报")
    if node.is_team and node.team.filing_status == FilingStatus.FILED:
        held.append("备案档案")
    if held:
        raise DomainError(
            "holds_data",
            f"「{node.name}」仍有数据（{'、'.join(held)}），不能删除。如已不再使用，请改为「撤销」，历史记录将被保留。",
        )
    path, name = node.path, node.name
    audit.record(
        actor, "node.deleted", target=node, node_path=parent.path if parent else path, summary=f"删除空组织「{name}」"
    )
    node.delete()


# ---- teams ----------------------------------------------------------------------------------------------------

TEAM_FIELDS = [
    "unit_name",
    "level",
    "founded_on",
    "leader_name",
    "leader_position",
    "leader_phone",
    "leader_wechat",
    "phone",
    "email",
    "address",
    "latitude",
    "longitude",
    "service_categories",
    "other_category",
    "service_times",
    "service_features",
    "awards",
    "is_registered",
    "credit_code",
    "rules",
]


def _check_tier(parent: Node, tier: int | None) -> int:
    allowed, default = tier_choices(parent)
    if not allowed:
        raise DomainError("lowest_tier", f"「{parent.name}」已是最基层的{tier_names_for(parent)[-1]}，不能再设下级队伍。")
    if tier is None:
        return default
    if tier not in allowed:
        names = tier_names_for(parent)
        options = "、".join(names[t - 1] for t in allowed)
        raise DomainError("bad_tier", f"在「{parent.name}」下只能登记为：{options}。", field="tier")
    return tier


def _next_team_number(parent: Node) -> str:
    if parent.is_team:
        prefix = parent.team.team_number
        width = 2
    else:
        coded = [n for n in parent.breadcrumb() if n.code]
        prefix = coded[-1].code if coded else "JG"
        width = 3
    seq = Sequence.allocate(f"team-number:{prefix}")[0]
    return f"{prefix}-{seq:0{width}d}"


def _clean_team_data(data: dict) -> dict:
    cleaned = {key: data.get(key) for key in TEAM_FIELDS if key in data}
    for key in (
        "unit_name",
        "leader_name",
        "leader_position",
        "leader_wechat",
        "email",
        "address",
        "other_category",
        "service_features",
        "awards",
        "rules",
    ):
        if key in cleaned:
            cleaned[key] = (
                clean_text(cleaned[key])
                if key not in ("service_features", "awards", "rules")
                else (cleaned[key] or "").strip()
            )
    for key in ("leader_phone", "phone"):
        if cleaned.get(key):
            cleaned[key] = normalise_contact_phone(cleaned[key])
            if not is_contact_phone(cleaned[key]):
                raise DomainError("bad_phone", "联系电话格式不正确（手机11位，或带区号的固定电话）。", field=key)
    if cleaned.get("is_registered"):
        try:
            cleaned["credit_code"] = validate_credit_code(cleaned.get("credit_code") or "")
        except IdNumberError as exc:
            raise DomainError("bad_credit_code", str(exc), field="credit_code") from None
    elif "is_registered" in cleaned:
        cleaned["credit_code"] = ""
    if "other" in (cleaned.get("service_categories") or []) and not cleaned.get("other_category"):
        raise DomainError("required", "选择「其他」类别时请填写具体内容。", field="other_category")
    if cleaned.get("founded_on") and cleaned["founded_on"] > timezone.localdate():
        raise DomainError("bad_date", "成立时间不能晚于今天。", field="founded_on")
    return cleaned


def _save_backbone(team: Team, backbone: list[dict] | None) -> None:
    if backbone is None:
        return
    team.backbone.all().delete()
    rows = []
    for index, item in enumerate(backbone):
        name = clean_text(item.get("name"))
        if not name:
            continue
        phone = normalise_contact_phone(item.get("phone") or "")
        if phone and not is_contact_phone(phone):
            raise DomainError("bad_phone", f"骨干「{name}」的联系电话格式不正确。", field="backbone")
        rows.append(
            BackboneMember(
                team=team,
                name=name,
                position=clean_text(item.get("position")),
                phone=phone,
                work_unit=clean_text(item.get("work_unit")),
                email=clean_text(item.get("email")),
                sort_order=index,
            )
        )
    BackboneMember.objects.bulk_create(rows)


@transaction.atomic
def team_create(
    *, actor, parent: Node, name: str, data: dict, backbone: list[dict] | None = None, tier: int | None = None
) -> Team:
    """Register a team under a federation node or a higher team. It starts as a draft of its filing."""
    require_scope(actor, parent)
    parent = _lock(parent)
    if not parent.is_active:
        raise DomainError("inactive_parent", f"「{parent.name}」已撤销或合并，不能再设立下级队伍。")
    name = clean_text(name)
    if not name:
        raise DomainError("required", "请填写队伍名称。", field="name")
    _unique_sibling_name(parent, name)
    cleaned = _clean_team_data(data)
    tier = _check_tier(parent, tier)
    node = Node.objects.add_child(parent, {"name": name, "kind": NodeKind.TEAM})
    team = Team(node=node, team_number=_next_team_number(parent), tier=tier, **cleaned)
    team.full_clean(exclude=["node"])
    team.save()
    _save_backbone(team, backbone)
    NodeCounter.objects.create(node=node, teams=1)
    audit.record(
        actor, "team.created", target=node, node_path=node.path, summary=f"登记队伍「{name}」，编号 {team.team_number}"
    )
    return team


@transaction.atomic
def team_update(
    *,
    actor,
    team: Team,
    name: str | None = None,
    data: dict,
    backbone: list[dict] | None = None,
    tier: int | None = None,
) -> Team:
    require_scope(actor, team.node)
    Node.objects.select_for_update().filter(pk=team.pk).first()
    team = Team.objects.select_for_update().select_related("node").get(pk=team.pk)
    changed = []
    if name is not None and clean_text(name) != team.node.name:
        _unique_sibling_name(Node.objects.get_parent(team.node), clean_text(name), exclude=team.node)
        changed.append(f"名称：{team.node.name} → {clean_text(name)}")
        team.node.name = clean_text(name)
        team.node.save(update_fields=["name"])
    cleaned = _clean_team_data(data)
    for key, value in cleaned.items():
        if getattr(team, key) != value:
            changed.append(Team._meta.get_field(key).verbose_name)
            setattr(team, key, value)
    if tier is not None and tier != team.tier:
        parent = Node.objects.get_parent(team.node)
        _check_tier(parent, tier)
        child_tiers = Team.objects.filter(node__path__startswith=team.node.path, node__depth=team.node.depth + 1)
        if child_tiers.filter(tier__lte=tier).exists():
            raise DomainError("bad_tier", "下级队伍的层级须低于本队，请先调整下级队伍。", field="tier")
        names = tier_names_for(parent)
        changed.append(f"层级：{names[min(team.tier, len(names)) - 1]} → {names[tier - 1]}")
        team.tier = tier
    team.save()
    _save_backbone(team, backbone)
    if changed or backbone is not None:
        audit.record(
            actor,
            "team.updated",
            target=team.node,
            node_path=team.node.path,
            summary="修改登记信息：" + "、".join(str(c) for c in changed)[:400] if changed else "修改骨干信息",
            detail={"filing_status": team.filing_status},
        )
    return team


@transaction.atomic
def team_merge(*, actor, source: Team, target: Team, reason: str) -> Team:
    """Merge `source` into `target`: members and sub-teams move over, `source` is kept as merged history."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "请填写合并原因。", field="reason")
    if source.pk == target.pk:
        raise DomainError("same_team", "不能与自身合并。")
    require_scope(actor, source.node)
    require_scope(actor, target.node)
    src = _lock(source.node)
    dst = _lock(target.node)
    if not (src.is_active and dst.is_active):
        raise DomainError("not_active", "已撤销或合并的队伍不能再合并。")
    if dst.path.startswith(src.path):
        raise DomainError("merge_into_child", "不能并入自己的下级队伍。")
    for child in list(Node.objects.get_children(src).filter(status=NodeStatus.ACTIVE)):
        node_move(actor=actor, node=child, new_parent=dst)
    src.refresh_from_db()
    hooks.run_merge(src, dst, actor)
    src.status = NodeStatus.MERGED
    src.merged_into = dst
    src.save(update_fields=["status", "merged_into"])
    counter_add(src.pk, teams=-1)
    audit.record(
        actor,
        "team.merged",
        target=src,
        node_path=src.path,
        summary=f"并入「{dst.name}」：{reason}",
        detail={"into": dst.pk, "reason": reason},
    )
    audit.record(
        actor,
        "team.merged_in",
        target=dst,
        node_path=dst.path,
        summary=f"「{src.name}」并入本队：{reason}",
        detail={"from": src.pk},
    )
    return Team.objects.get(pk=dst.pk)


# ---- filing (备案) ---------------------------------------------------------------------------------------------

REQUIRED_FOR_FILING = [
    ("leader_name", "负责人姓名"),
    ("leader_phone", "负责人联系电话"),
    ("unit_name", "所属单位"),
    ("founded_on", "成立时间"),
]


def filing_problems(team: Team) -> list[str]:
    """What stops a team from being filed, in words a cadre understands."""
    problems = [f"未填写{label}" for field, label in REQUIRED_FOR_FILING if not getattr(team, field)]
    if not team.service_categories:
        problems.append("未选择志愿服务类别")
    if not team.service_times:
        problems.append("未选择志愿服务时间")
    if team.is_squad() and team.member_count < settings.SQUAD_MIN_MEMBERS:
        problems.append(
            f"{team.tier_name()}成员不足 {settings.SQUAD_MIN_MEMBERS} 人（当前 {team.member_count} 人），未达到组建标准"
        )
    if not team.node.is_active:
        problems.append("队伍已撤销或合并")
    return problems


def _locked_team(team: Team) -> Team:
    Node.objects.select_for_update().filter(pk=team.pk).first()
    return Team.objects.select_for_update().select_related("node").get(pk=team.pk)


@transaction.atomic
def team_submit(*, actor, team: Team) -> Team:
    require_scope(actor, team.node)
    team = _locked_team(team)
    if team.filing_status not in (FilingStatus.DRAFT, FilingStatus.RETURNED):
        raise DomainError("bad_state", f"当前状态为「{team.get_filing_status_display()}」，不能提交备案。")
    problems = filing_problems(team)
    if problems:
        raise DomainError("not_ready", "暂不能提交备案：" + "；".join(problems) + "。", detail={"problems": problems})
    team.filing_status = FilingStatus.SUBMITTED
    team.submitted_at = timezone.now()
    team.filing_note = ""
    team.save(update_fields=["filing_status", "submitted_at", "filing_note"])
    audit.record(actor, "team.filing_submitted", target=team.node, node_path=team.node.path, summary="提交备案")
    return team


def _archive_number(filing_node: Node) -> str:
    federation = federation_ancestor(filing_node)
    coded = [n for n in federation.breadcrumb() if n.code] if federation else []
    prefix = coded[-1].code if coded else "JG"
    year = timezone.localdate().year
    seq = Sequence.allocate(f"archive:{prefix}:{year}")[0]
    return f"{prefix}-{year}-{seq:05d}"


@transaction.atomic
def team_file(*, actor, team: Team) -> Team:
    """备案 by the level above: the team gets its archive number."""
    require_scope(actor, team.node, from_above=True)
    team = _locked_team(team)
    if team.filing_status != FilingStatus.SUBMITTED:
        raise DomainError("bad_state", f"当前状态为「{team.get_filing_status_display()}」，只有待备案的队伍可以备案。")
    problems = filing_problems(team)
    if problems:
        raise DomainError("not_ready", "不能备案：" + "；".join(problems) + "。", detail={"problems": problems})
    filing_node = Node.objects.get_parent(team.node)
    team.filing_status = FilingStatus.FILED
    team.filed_at = timezone.now()
    team.filed_by_node = filing_node
    if not team.archive_number:
        team.archive_number = _archive_number(filing_node)
    team.save(update_fields=["filing_status", "filed_at", "filed_by_node", "archive_number"])
    audit.record(
        actor,
        "team.filed",
        target=team.node,
        node_path=team.node.path,
        summary=f"准予备案，档案编号 {team.archive_number}",
    )
    return team


@transaction.atomic
def team_return(*, actor, team: Team, reason: str) -> Team:
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "退回时请写明原因，便于队伍修改。", field="reason")
    require_scope(actor, team.node, from_above=True)
    team = _locked_team(team)
    if team.filing_status != FilingStatus.SUBMITTED:
        raise DomainError("bad_state", "只有待备案的队伍可以退回。")
    team.filing_status = FilingStatus.RETURNED
    team.filing_note = reason
    team.save(update_fields=["filing_status", "filing_note"])
    audit.record(
        actor,
        "team.filing_returned",
        target=team.node,
        node_path=team.node.path,
        summary=f"退回：{reason}",
        detail={"reason": reason},
    )
    return team


# ---- yearly report (年报) --------------------------------------------------------------------------------------


@transaction.atomic
def reporting_year_open(*, actor, node: Node, year: int, deadline: datetime.date) -> ReportingYear:
    require_scope(actor, node)
    if node.is_team:
        raise DomainError("bad_node", "年报由妇联组织发起。")
    this_year = timezone.localdate().year
    if not (2000 <= year <= this_year):
        raise DomainError("bad_year", f"年度应在 2000 至 {this_year} 之间。", field="year")
    if deadline < timezone.localdate():
        raise DomainError("bad_deadline", "截止日期不能早于今天。", field="deadline")
    if ReportingYear.objects.filter(node=node, year=year).exists():
        raise DomainError("duplicate", f"「{node.name}」已发起 {year} 年度年报。", field="year")
    reporting = ReportingYear.objects.create(node=node, year=year, deadline=deadline, opened_by=actor)
    audit.record(
        actor,
        "report.year_opened",
        target=node,
        node_path=node.path,
        summary=f"发起 {year} 年度年报，截止 {deadline:%Y-%m-%d}",
    )
    return reporting


REPORT_FIELDS = ["new_members", "activity_count", "service_hours", "people_served", "highlights"]


@transaction.atomic
def annual_report_save(*, actor, reporting_year: ReportingYear, team: Team, data: dict) -> AnnualReport:
    require_scope(actor, team.node)
    if not team.node.path.startswith(reporting_year.node.path):
        raise DomainError("not_in_year", "该队伍不在此次年报范围内。")
    if reporting_year.closed_at:
        raise DomainError("closed", "本年度年报已结束。")
    report, _ = AnnualReport.objects.select_for_update().get_or_create(reporting_year=reporting_year, team=team)
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise DomainError("bad_state", "年报已提交，不能再修改。")
    for key in REPORT_FIELDS:
        if key in data:
            value = data[key]
            if key != "highlights" and (value is None or value < 0):
                raise DomainError("bad_number", "数字不能为负数。", field=key)
            setattr(report, key, value if key != "highlights" else (value or "").strip())
    report.member_count = team.member_count
    report.save()
    audit.record(
        actor, "report.saved", target=team.node, node_path=team.node.path, summary=f"填写 {reporting_year.year} 年报"
    )
    return report


@transaction.atomic
def annual_report_submit(*, actor, report: AnnualReport) -> AnnualReport:
    report = AnnualReport.objects.select_for_update().select_related("team__node", "reporting_year").get(pk=report.pk)
    require_scope(actor, report.team.node)
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise DomainError("bad_state", "年报已提交。")
    if not report.highlights:
        raise DomainError("required", "请填写本年度工作亮点。", field="highlights")
    report.member_count = Team.objects.get(pk=report.team_id).member_count
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = actor
    report.return_reason = ""
    report.save()
    audit.record(
        actor,
        "report.submitted",
        target=report.team.node,
        node_path=report.team.node.path,
        summary=f"提交 {report.reporting_year.year} 年报",
    )
    return report


@transaction.atomic
def annual_report_confirm(*, actor, report: AnnualReport) -> AnnualReport:
    report = AnnualReport.objects.select_for_update().select_related("team__node", "reporting_year").get(pk=report.pk)
    require_scope(actor, report.team.node, from_above=True)
    if report.status != ReportStatus.SUBMITTED:
        raise DomainError("bad_state", "只有已提交的年报可以确认。")
    report.status = ReportStatus.CONFIRMED
    report.confirmed_at = timezone.now()
    report.confirmed_by = actor
    report.save()
    audit.record(
        actor,
        "report.confirmed",
        target=report.team.node,
        node_path=report.team.node.path,
        summary=f"确认 {report.reporting_year.year} 年报",
    )
    return report


@transaction.atomic
def annual_report_return(*, actor, report: AnnualReport, reason: str) -> AnnualReport:
    reason = clean_text(reason)
    if not reason:
        raise DomainError("required", "退回时请写明原因。", field="reason")
    report = AnnualReport.objects.select_for_update().select_related("team__node", "reporting_year").get(pk=report.pk)
    require_scope(actor, report.team.node, from_above=True)
    if report.status != ReportStatus.SUBMITTED:
        raise DomainError("bad_state", "只有已提交的年报可以退回。")
    report.status = ReportStatus.RETURNED
    report.return_reason = reason
    report.save()
    audit.record(
        actor,
        "report.returned",
        target=report.team.node,
        node_path=report.team.node.path,
        summary=f"退回 {report.reporting_year.year} 年报：{reason}",
    )
    return report


# ---- roles and accounts ---------------------------------------------------------------------------------------


def _check_role_node(actor, role: str, node: Node, personal_data: bool) -> None:
    scope = get_scope(actor)
    if role not in Role.values:
        raise DomainError("bad_role", "角色无效。")
    if role == Role.PLATFORM_ADMIN:
        if not scope.platform:
            raise PermissionDeniedError("只有平台管理员可以授予平台管理员角色。")
        if node.depth != 1:
            raise DomainError("bad_node", "平台管理员角色须设在顶级组织。")
    elif role == Role.TEAM_LEADER:
        if not node.is_team:
            raise DomainError("bad_node", "队长角色只能设在队伍上。")
    elif node.is_team:
        raise DomainError("bad_node", "妇联角色只能设在妇联组织上。")
    require_scope(actor, node)
    if personal_data and not scope.covers(node.path, "personal"):
        raise PermissionDeniedError("您本人没有查看完整个人信息的权限，不能授予他人。")


@transaction.atomic
def role_grant(*, actor, user, role: str, node: Node, personal_data: bool = False) -> RoleAssignment:
    _check_role_node(actor, role, node, personal_data)
    if not node.is_active:
        raise DomainError("not_active", "不能在已撤销的组织上授予角色。")
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user, role=role, node=node, personal_data=personal_data, granted_by=actor
            )
    except IntegrityError:
        raise DomainError("duplicate", f"{user} 已是「{node.name}」的{Role(role).label}。") from None
    reset_scope(user)
    audit.record(
        actor,
        "role.granted",
        target=user,
        node_path=node.path,
        summary=f"授予 {user} 「{node.name}」{assignment.get_role_display()}"
        + ("（含完整个人信息查看权限）" if personal_data else ""),
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    assignment = RoleAssignment.objects.select_for_update().select_related("node", "user").get(pk=assignment.pk)
    require_scope(actor, assignment.node)
    if assignment.revoked_at:
        raise DomainError("already_revoked", "该角色已撤销。")
    if assignment.user_id == actor.pk and assignment.role != Role.TEAM_LEADER:
        raise DomainError("self_revoke", "不能撤销自己的管理员角色，请由上级办理。")
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["revoked_at"])
    audit.record(
        actor,
        "role.revoked",
        target=assignment.user,
        node_path=assignment.node.path,
        summary=f"撤销 {assignment.user} 「{assignment.node.name}」{assignment.get_role_display()}",
    )


def temporary_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def account_create(
    *, actor, username: str, display_name: str, phone: str, role: str, node: Node, personal_data: bool = False
) -> tuple[User, str]:
    """A staff or leader account with its first role. Returns the temporary password to hand over once."""
    username = clean_text(username)
    display_name = clean_text(display_name)
    if not username or not display_name:
        raise DomainError("required", "请填写用户名和姓名。")
    phone = normalise_phone(phone) if phone else ""
    if phone and not is_mobile(phone):
        raise DomainError("bad_phone", "手机号格式不正确。", field="phone")
    _check_role_node(actor, role, node, personal_data)
    if User.objects.filter(username=username).exists():
        raise DomainError("duplicate", "用户名已被使用。", field="username")
    if phone and User.objects.filter(phone=phone).exists():
        raise DomainError("duplicate", "该手机号已绑定其他账号。", field="phone")
    password = temporary_password()
    user = User.objects.create_user(
        username=username, password=password, display_name=display_name, phone=phone or None, must_change_password=True
    )
    role_grant(actor=actor, user=user, role=role, node=node, personal_data=personal_data)
    audit.record(
        actor, "account.created", target=user, node_path=node.path, summary=f"创建账号 {username}（{display_name}）"
    )
    return user, password


def anchor_paths(user) -> tuple[list[str], list[str]]:
    """Where a user belongs: (paths of her staff roles, paths of her volunteer home and teams)."""
    staff = list(RoleAssignment.objects.current().filter(user=user).values_list("node__path", flat=True))
    volunteer_paths: list[str] = []
    for func in _volunteer_anchor_providers:
        volunteer_paths.extend(func(user))
    return staff, volunteer_paths


_volunteer_anchor_providers: list = []


def register_anchor_provider(func):
    _volunteer_anchor_providers.append(func)
    return func


def can_reset_password(actor, user) -> bool:
    if actor.pk == user.pk:
        return False
    scope = get_scope(actor)
    if scope.platform:
        return True
    if user.is_superuser:
        return False
    staff, volunteer = anchor_paths(user)
    if not staff and not volunteer:
        return False
    # Staff are reset by the level above them; a volunteer by the admins of her community or teams.
    return all(scope.covers_strictly_below(p, "change") for p in staff) and (
        not volunteer or any(scope.covers(p, "change") for p in volunteer) or bool(staff)
    )


@transaction.atomic
def password_reset(*, actor, user) -> str:
    if not can_reset_password(actor, user):
        raise PermissionDeniedError("只能由上级管理员重置密码。")
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    from axes.utils import reset as axes_reset

    axes_reset(username=user.username)
    if user.phone:
        axes_reset(username=user.phone)
    staff, volunteer = anchor_paths(user)
    audit.record(
        actor,
        "account.password_reset",
        target=user,
        node_path=(staff or volunteer or [""])[0],
        summary=f"重置 {user} 的密码",
    )
    return password


@transaction.atomic
def account_set_active(*, actor, user, active: bool) -> None:
    if not can_reset_password(actor, user):
        raise PermissionDeniedError("只能由上级管理员停用或启用账号。")
    user.is_active = active
    user.save(update_fields=["is_active"])
    staff, volunteer = anchor_paths(user)
    audit.record(
        actor,
        "account.activated" if active else "account.deactivated",
        target=user,
        node_path=(staff or volunteer or [""])[0],
        summary=("启用" if active else "停用") + f"账号 {user}",
    )


# ---- counters -------------------------------------------------------------------------------------------------

_counter_sources: list = []


def register_counter_source(func):
    """func() -> {node_id: {"volunteers": n, "members": n}} computed from the source tables."""
    _counter_sources.append(func)
    return func


def rebuild_counters(*, fix: bool = True) -> list[dict]:
    """Recompute every node's figures from the source tables; return (and optionally fix) the differences."""
    truth: dict[int, dict] = {}
    for node_id, kind, status in Node.objects.values_list("id", "kind", "status"):
        teams = 1 if kind == NodeKind.TEAM and status == NodeStatus.ACTIVE else 0
        truth[node_id] = {"volunteers": 0, "members": 0, "teams": teams}
    for source in _counter_sources:
        for node_id, figures in source().items():
            truth.setdefault(node_id, {"volunteers": 0, "members": 0, "teams": 0}).update(figures)
    current = {c.node_id: c for c in NodeCounter.objects.all()}
    diffs = []
    with transaction.atomic():
        for node_id, figures in truth.items():
            row = current.get(node_id)
            have = {"volunteers": row.volunteers, "members": row.members, "teams": row.teams} if row else None
            if have != figures:
                diffs.append({"node_id": node_id, "cached": have, "actual": figures})
                if fix:
                    NodeCounter.objects.update_or_create(node_id=node_id, defaults=figures)
    return diffs
