from django.db import models

from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES

__all__ = ["SERVICE_CATEGORIES", "SERVICE_TIMES"]


class NeedStatus(models.TextChoices):
    """点单 → 审核 → 派单 → 接单 → 服务 → 评估 (R8: every need is answered, accepted or rejected with a reason)."""

    SUBMITTED = "submitted", "待审核"
    REJECTED = "rejected", "未受理"
    OPEN = "open", "待派单"
    DISPATCHED = "dispatched", "待接单"
    ACCEPTED = "accepted", "已接单"
    IN_SERVICE = "in_service", "服务中"
    DELIVERED = "delivered", "待评价"
    EVALUATED = "evaluated", "已评价"
    CANCELLED = "cancelled", "已撤销"


# States in which a need still waits for someone to act: the node's "open" list.
ACTIVE_STATUSES = (
    NeedStatus.SUBMITTED, NeedStatus.OPEN, NeedStatus.DISPATCHED, NeedStatus.ACCEPTED, NeedStatus.IN_SERVICE,
)


class Urgency(models.TextChoices):
    """How fast a need must be accepted; the time limits are the setting DEMAND_ACCEPT_HOURS."""

    NORMAL = "normal", "一般"
    URGENT = "urgent", "较急"
    CRITICAL = "critical", "紧急"


class NeedSource(models.TextChoices):
    SELF = "self", "本人提交"
    PROXY = "proxy", "社区代录"
    MENU = "menu", "菜单点单"


# R23: vulnerable-person flags. A need carrying any of them shows its details only to the node's staff and to
# whoever serves it. Codes are stable (stored as a bit mask): never reorder or reuse them.
VULNERABLE_FLAGS = [
    ("hardship", "困难妇女"),
    ("elderly_alone", "空巢/独居老人"),
    ("children", "留守/流动儿童"),
    ("disability", "残疾人家庭"),
    ("violence", "家暴"),
]
VULNERABLE_FLAG_LABELS = dict(VULNERABLE_FLAGS)


class AssigneeKind(models.TextChoices):
    TEAM = "team", "队伍"
    VOLUNTEER = "volunteer", "志愿者"


class AssignmentMode(models.TextChoices):
    DISPATCH = "dispatch", "派单"
    AUTO = "auto", "规则自动派单"
    CLAIM = "claim", "抢单"
    OFFER = "offer", "主动认领"


class AssignmentStatus(models.TextChoices):
    OFFERED = "offered", "待接单"
    ACCEPTED = "accepted", "已接单"
    DECLINED = "declined", "已拒单"
    EXPIRED = "expired", "超时未接"
    WITHDRAWN = "withdrawn", "已撤回"
    COMPLETED = "completed", "已完成"


LIVE_ASSIGNMENT = (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)


class ComplaintStatus(models.TextChoices):
    OPEN = "open", "待处理"
    HANDLING = "handling", "处理中"
    CONCLUDED = "concluded", "已办结"


class EvaluationReview(models.TextChoices):
    PENDING = "pending", "待复核"
    CONFIRMED = "confirmed", "已复核"
    QUERIED = "queried", "有疑问"


# Assignments that make a provider see the need: still live, or done (she keeps seeing what she served).
SERVED_OR_LIVE = (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED)
