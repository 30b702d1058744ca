"""Supply and demand (F8): needs (点单), service menus, dispatch (派单), acceptance and claims (接单), delivery,
evaluation (评估) and complaints.

Nothing here carries a price (R11: those served are never charged). A need belongs to the community (or village)
node that reviews it (R8); staff above see it through data scope, a team or volunteer through the assignment that
makes them its provider. Details of a need flagged as concerning a vulnerable person (R23) are a further
restriction applied by `selectors.can_see_details`, on top of the row scope here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jinguo.activities.choices import CheckMethod
from jinguo.core.masking import mask_phone
from jinguo.core.scope import ScopedQuerySet, path_q
from jinguo.hours.models import ServiceRecord
from jinguo.orgs.models import Node
from jinguo.volunteers.bitmask import from_mask
from jinguo.volunteers.models import Volunteer

from . import choices
from .choices import SERVICE_CATEGORIES, VULNERABLE_FLAGS


def _or(q, more):
    return more if q is None else q | more


class NeedQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """Staff of the need's node and every level above; the team that serves it (its leader and the levels above
        the team); the volunteer it is assigned to; the resident who posted it (view only)."""
        paths = scope.paths(action)
        q = path_q("node__path", paths)
        team_q = path_q("team__path", paths)
        if team_q is not None:
            served = Assignment.objects.filter(team_q, status__in=choices.SERVED_OR_LIVE).values("need_id")
            q = _or(q, Q(pk__in=served))
        if scope.user_id is not None:
            mine = Assignment.objects.filter(
                volunteer__user_id=scope.user_id, status__in=choices.SERVED_OR_LIVE
            ).values("need_id")
            q = _or(q, Q(pk__in=mine))
            if action == "view":
                q = _or(q, Q(requester_user_id=scope.user_id))
        return q

    def active(self):
        return self.filter(status__in=choices.ACTIVE_STATUSES)


class Need(models.Model):
    """A resident's or family's request for a service (点单), posted by her or entered for her by community staff."""

    number = models.CharField("需求编号", max_length=24, unique=True)
    # A short code the resident keeps (on paper, in an SMS) to look her need up without an account.
    tracking_code = models.CharField("查询码", max_length=12, unique=True)
    category = models.CharField("服务类别", max_length=16, choices=SERVICE_CATEGORIES)
    other_category = models.CharField("其他类别说明", max_length=60, blank=True)
    description = models.TextField("需求描述")
    node = models.ForeignKey(
        Node, verbose_name="所在社区（村）", on_delete=models.PROTECT, related_name="needs",
        help_text="由该社区（村）妇联审核受理",
    )
    address = models.CharField("服务地址", max_length=200)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    preferred_date = models.DateField("希望服务日期", null=True, blank=True)
    preferred_time = models.CharField("希望服务时间", max_length=60, blank=True, help_text="如：周六上午、工作日下午")
    urgency = models.CharField("紧急程度", max_length=10, choices=choices.Urgency.choices, default=choices.Urgency.NORMAL)
    requester_name = models.CharField("联系人", max_length=50)
    requester_phone = models.CharField("联系电话", max_length=20)
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs_posted"
    )
    vulnerable_mask = models.IntegerField("特殊群体标记", default=0)
    source = models.CharField("来源", max_length=8, choices=choices.NeedSource.choices)
    menu_item = models.ForeignKey(
        "MenuItem", null=True, blank=True, on_delete=models.PROTECT, related_name="orders", verbose_name="点单菜单"
    )
    # Volunteers and teams in scope may offer to take it; with claim mode, the first to claim gets it (抢单).
    claimable = models.BooleanField("开放认领（抢单）", default=False)
    # What volunteers browsing open needs see: no name, no phone, no house number.
    public_summary = models.CharField("公开摘要", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=choices.NeedStatus.choices, default=choices.NeedStatus.SUBMITTED
    )
    reject_reason = models.CharField("不予受理原因", max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    # Time limits (DEMAND_ACCEPT_HOURS by urgency): when nobody has accepted by then, remind, then escalate.
    accept_deadline = models.DateTimeField("接单时限", null=True, blank=True)
    reminded_at = models.DateTimeField("提醒时间", null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField("上报级数", default=0)
    escalated_to = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.PROTECT, related_name="escalated_needs", verbose_name="已上报至"
    )
    escalated_at = models.DateTimeField("上报时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("提交时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = "服务需求"
        verbose_name_plural = "服务需求"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["node", "status"], name="need_node_status"),
            models.Index(fields=["status", "accept_deadline"], name="need_status_deadline"),
            models.Index(fields=["escalated_to", "status"], name="need_escalated_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(vulnerable_mask__gte=0), name="need_vulnerable_mask_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_category_display()}"

    @property
    def vulnerable_flags(self) -> list[str]:
        return from_mask(self.vulnerable_mask, VULNERABLE_FLAGS)

    @property
    def is_sensitive(self) -> bool:
        return self.vulnerable_mask != 0

    @property
    def requester_phone_masked(self) -> str:
        return mask_phone(self.requester_phone)


class MenuItemQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """Managed by the team's subtree; residents browse active items through `selectors.menu_for(node)`."""
        return path_q("team__path", scope.paths(action))

    def active(self):
        return self.filter(is_active=True)


class MenuItem(models.Model):
    """A service a team offers (服务菜单) that a resident can order directly. No price: R11."""

    team = models.ForeignKey(Node, verbose_name="服务队伍", on_delete=models.PROTECT, related_name="menu_items")
    category = models.CharField("服务类别", max_length=16, choices=SERVICE_CATEGORIES)
    title = models.CharField("服务项目", max_length=80)
    content = models.TextField("服务内容")
    area = models.ForeignKey(
        Node, verbose_name="服务范围", on_delete=models.PROTECT, related_name="+",
        help_text="此区域（含下级社区）的居民可以点单",
    )
    service_times = models.JSONField("服务时间", default=list, blank=True)  # codes of SERVICE_TIMES
    time_note = models.CharField("时间说明", max_length=100, blank=True, help_text="如：每周六上午 9:00–11:00")
    monthly_capacity = models.PositiveIntegerField("每月可接单数", default=10)
    is_active = models.BooleanField("上架", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("发布时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = MenuItemQuerySet.as_manager()

    class Meta:
        verbose_name = "服务菜单"
        verbose_name_plural = "服务菜单"
        ordering = ["category", "title", "id"]
        indexes = [models.Index(fields=["is_active", "category"], name="menu_active_category")]

    def __str__(self) -> str:
        return self.title


class AssignmentQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        paths = scope.paths(action)
        q = _or(path_q("need__node__path", paths), path_q("team__path", paths))
        if scope.user_id is not None:
            q = _or(q, Q(volunteer__user_id=scope.user_id))
        return q

    def live(self):
        return self.filter(status__in=choices.LIVE_ASSIGNMENT)


class Assignment(models.Model):
    """One offer of a need to a provider (a team or a volunteer), and her answer (派单 → 接单 / 拒单).

    At most one live (offered or accepted) assignment per need, enforced by the database: whatever the race between
    dispatchers and claimers, exactly one provider holds a need."""

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="assignments")
    assignee_kind = models.CharField("对象类型", max_length=10, choices=choices.AssigneeKind.choices)
    team = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments", verbose_name="队伍"
    )
    volunteer = models.ForeignKey(
        Volunteer, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments", verbose_name="志愿者"
    )
    mode = models.CharField("方式", max_length=10, choices=choices.AssignmentMode.choices)
    status = models.CharField("状态", max_length=10, choices=choices.AssignmentStatus.choices)
    reason = models.CharField("原因", max_length=300, blank=True, help_text="拒单、撤回的原因")
    score = models.FloatField("推荐得分", null=True, blank=True)
    rank_reasons = models.JSONField("推荐理由", default=list, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offered_at = models.DateTimeField("派单时间", default=timezone.now)
    respond_by = models.DateTimeField("接单时限", null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField("答复时间", null=True, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "派单"
        verbose_name_plural = "派单"
        ordering = ["-offered_at", "-id"]
        indexes = [
            models.Index(fields=["team", "status"], name="assignment_team_status"),
            models.Index(fields=["volunteer", "status"], name="assignment_volunteer_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["need"], condition=Q(status__in=["offered", "accepted"]), name="assignment_one_live_per_need"
            ),
            models.CheckConstraint(
                condition=(Q(assignee_kind="team", team__isnull=False, volunteer__isnull=True)
                           | Q(assignee_kind="volunteer", volunteer__isnull=False)),
                name="assignment_has_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need.number} → {self.assignee_name}"

    @property
    def assignee_name(self) -> str:
        return self.team.name if self.team_id else self.volunteer.name


class DeliveryQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        paths = scope.paths(action)
        q = _or(path_q("need__node__path", paths), path_q("assignment__team__path", paths))
        if scope.user_id is not None:
            q = _or(q, Q(volunteer__user_id=scope.user_id))
        return q


class Delivery(models.Model):
    """One volunteer's visit to serve an accepted need: checked in and out like an activity; the check-out writes
    her service record to the ledger (organiser: the team that accepted, or her home node for a volunteer)."""

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="deliveries")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="deliveries")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="deliveries")
    method = models.CharField("签到方式", max_length=12, choices=CheckMethod.choices)
    checked_in_at = models.DateTimeField("签到时间")
    in_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    in_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checked_out_at = models.DateTimeField("签退时间", null=True, blank=True)
    out_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    out_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    record = models.OneToOneField(
        ServiceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="delivery", verbose_name="服务记录"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = "上门服务签到"
        verbose_name_plural = "上门服务签到"
        ordering = ["-checked_in_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "volunteer"], condition=Q(checked_out_at__isnull=True),
                name="delivery_one_open_per_volunteer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need.number} {self.volunteer.name}"


class CloseOut(models.Model):
    """The provider's close-out report (结案报告), with photos."""

    need = models.OneToOneField(Need, on_delete=models.PROTECT, related_name="closeout")
    summary = models.TextField("服务情况")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)

    class Meta:
        verbose_name = "结案报告"
        verbose_name_plural = "结案报告"

    def __str__(self) -> str:
        return f"{self.need.number} 结案报告"


class CloseOutPhoto(models.Model):
    closeout = models.ForeignKey(CloseOut, on_delete=models.CASCADE, related_name="photos")
    # Served only through a view that checks the need's scope, never from MEDIA_URL.
    image = models.FileField("照片", upload_to="demands/closeout/%Y/%m/")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "结案照片"
        verbose_name_plural = "结案照片"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class Evaluation(models.Model):
    """评估: the requester (or staff for her) rates the service; the federation reviews the rating."""

    need = models.OneToOneField(Need, on_delete=models.PROTECT, related_name="evaluation")
    rating = models.PositiveSmallIntegerField("满意度（1–5）")
    comment = models.CharField("评价", max_length=500, blank=True)
    by_requester = models.BooleanField("本人评价", default=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("评价时间", default=timezone.now)
    review = models.CharField(
        "复核", max_length=10, choices=choices.EvaluationReview.choices, default=choices.EvaluationReview.PENDING
    )
    review_note = models.CharField("复核意见", max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)

    class Meta:
        verbose_name = "服务评价"
        verbose_name_plural = "服务评价"
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="evaluation_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.need.number} {self.rating}分"


class ComplaintQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        q = path_q("need__node__path", scope.paths(action))
        if action == "view" and scope.user_id is not None:
            q = _or(q, Q(need__requester_user_id=scope.user_id))
        return q


class Complaint(models.Model):
    """A complaint about a service, handled by the need's node to a conclusion."""

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="complaints")
    text = models.TextField("投诉内容")
    complainant = models.CharField("投诉人", max_length=50)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=choices.ComplaintStatus.choices, default=choices.ComplaintStatus.OPEN
    )
    conclusion = models.TextField("处理结果", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("投诉时间", default=timezone.now)
    concluded_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = "投诉"
        verbose_name_plural = "投诉"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.need.number} 投诉"


class DispatchRuleQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return path_q("node__path", scope.paths(action))


class DispatchRule(models.Model):
    """Automatic dispatch: when a need in the node's subtree is accepted for service and matches, it is offered at
    once to the named team, or to the recommender's first candidate when no team is named."""

    node = models.ForeignKey(Node, verbose_name="适用范围", on_delete=models.PROTECT, related_name="dispatch_rules")
    category = models.CharField("服务类别", max_length=16, choices=SERVICE_CATEGORIES, blank=True, help_text="留空为全部")
    urgency = models.CharField("紧急程度", max_length=10, choices=choices.Urgency.choices, blank=True, help_text="留空为全部")
    team = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="派给队伍",
        help_text="留空则派给推荐排名第一的队伍",
    )
    is_active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = DispatchRuleQuerySet.as_manager()

    class Meta:
        verbose_name = "自动派单规则"
        verbose_name_plural = "自动派单规则"
        ordering = ["node__path", "id"]

    def __str__(self) -> str:
        return f"{self.node.name} {self.get_category_display() or '全部类别'}"


class ProviderStats(models.Model):
    """Cached figures of one provider (a team or a volunteer) that the recommender reads: current load, services
    done, ratings. Maintained by the services in the same transaction as the change; `rebuild_provider_stats`
    recomputes them from the assignments and evaluations."""

    team = models.OneToOneField(Node, null=True, blank=True, on_delete=models.CASCADE, related_name="provider_stats")
    volunteer = models.OneToOneField(
        Volunteer, null=True, blank=True, on_delete=models.CASCADE, related_name="provider_stats"
    )
    open_count = models.IntegerField("在办", default=0)
    done_count = models.IntegerField("已完成", default=0)
    rating_sum = models.IntegerField(default=0)
    rating_count = models.IntegerField(default=0)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "服务统计"
        verbose_name_plural = "服务统计"
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False, volunteer__isnull=True) | Q(team__isnull=True, volunteer__isnull=False),
                name="provider_stats_one_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team or self.volunteer} 在办 {self.open_count}"

    @property
    def rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


from .care_models import *  # noqa: E402,F403
