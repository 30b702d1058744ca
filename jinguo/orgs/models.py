from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from jinguo.core.scope import ScopedQuerySet, path_q

from . import choices


class NodeQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    def scope_q(self, scope, action):
        return path_q("path", scope.paths(action))

    def active(self):
        return self.filter(status=choices.NodeStatus.ACTIVE)

    def federations(self):
        return self.exclude(kind=choices.NodeKind.TEAM)

    def teams(self):
        return self.filter(kind=choices.NodeKind.TEAM)

    def subtree(self, node: "Node"):
        return self.filter(path__startswith=node.path)


class NodeManager(MP_NodeManager.from_queryset(NodeQuerySet)):
    def get_queryset(self):
        return NodeQuerySet(self.model, using=self._db).order_by("path")


class Node(MP_Node):
    """A federation node (全国 … 社区/村) or a volunteer team: one tree, so one path prefix scopes both."""

    name = models.CharField("名称", max_length=120)
    kind = models.CharField("类型", max_length=16, choices=choices.NodeKind.choices, db_index=True)
    code = models.CharField("行政区划代码", max_length=12, blank=True, help_text="GB/T 2260，街道、社区可留空")
    status = models.CharField(
        "状态", max_length=12, choices=choices.NodeStatus.choices, default=choices.NodeStatus.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self", verbose_name="并入", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The deployment's names for the team tiers below this node, top first, comma-separated; blank inherits.
    team_tier_names = models.CharField(
        "队伍层级名称",
        max_length=100,
        blank=True,
        help_text="自上而下，以逗号分隔，如：总队,服务队,分队,小队；留空则沿用上级设置",
    )
    # A node may require that activities and projects published below it are approved first (R30).
    requires_publish_approval = models.BooleanField("下级发布须审核", default=False)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    steplen = 4
    objects = NodeManager()

    class Meta:
        verbose_name = "组织节点"
        verbose_name_plural = "组织节点"
        # No extra index on path: treebeard's unique path column already gets Django's LIKE-pattern index on
        # PostgreSQL (varchar_pattern_ops), which serves every subtree filter `path LIKE 'prefix%'`.

    def __str__(self) -> str:
        return self.name

    @property
    def is_team(self) -> bool:
        return self.kind == choices.NodeKind.TEAM

    @property
    def is_active(self) -> bool:
        return self.status == choices.NodeStatus.ACTIVE

    def ancestor_paths(self) -> list[str]:
        return [self.path[: i * self.steplen] for i in range(1, self.depth)]

    def ancestors_list(self) -> list["Node"]:
        """Ancestors from the root down, in one query."""
        paths = self.ancestor_paths()
        if not paths:
            return []
        return list(Node.objects.filter(path__in=paths).order_by("depth"))

    def breadcrumb(self) -> list["Node"]:
        return [*self.ancestors_list(), self]


class TeamQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return path_q("node__path", scope.paths(action))


class Team(models.Model):
    """A volunteer team's registration (登记表): the union of the Xiamen and Pingdingshan forms."""

    node = models.OneToOneField(Node, primary_key=True, on_delete=models.CASCADE, related_name="team")
    team_number = models.CharField("队伍编号", max_length=64, unique=True)
    archive_number = models.CharField("档案编号", max_length=64, unique=True, null=True, blank=True)
    tier = models.PositiveSmallIntegerField("层级", default=1, help_text="1 为总队，向下递增")
    unit_name = models.CharField("所属单位", max_length=120, blank=True)
    level = models.CharField("队伍级别", max_length=16, choices=choices.TeamLevel.choices, blank=True)
    founded_on = models.DateField("成立（组建）时间", null=True, blank=True)
    leader_name = models.CharField("负责人（领队）姓名", max_length=50, blank=True)
    leader_position = models.CharField("负责人职务", max_length=50, blank=True)
    leader_phone = models.CharField("负责人联系电话", max_length=20, blank=True)
    leader_wechat = models.CharField("负责人（领队）微信号", max_length=50, blank=True)
    phone = models.CharField("队伍联系电话", max_length=20, blank=True)
    email = models.EmailField("邮箱", blank=True)
    address = models.CharField("联系地址", max_length=200, blank=True)
    # Where the team is based: the dispatch recommender measures the distance to a need's map point from here.
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    service_categories = models.JSONField("志愿服务类别", default=list, blank=True)
    other_category = models.CharField("其他类别说明", max_length=100, blank=True)
    service_times = models.JSONField("志愿服务时间", default=list, blank=True)
    service_features = models.TextField("服务特色", blank=True)
    awards = models.TextField("获奖情况", blank=True)
    is_registered = models.BooleanField("已在民政部门登记为社会组织", default=False)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    rules = models.TextField("队伍章程/管理制度", blank=True)
    filing_status = models.CharField(
        "备案状态", max_length=12, choices=choices.FilingStatus.choices, default=choices.FilingStatus.DRAFT
    )
    filing_note = models.CharField("退回原因", max_length=500, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    filed_at = models.DateTimeField("备案时间", null=True, blank=True)
    filed_by_node = models.ForeignKey(
        Node, verbose_name="备案单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = "志愿服务队伍"
        verbose_name_plural = "志愿服务队伍"
        constraints = [
            models.CheckConstraint(
                condition=Q(is_registered=False) | ~Q(credit_code=""),
                name="orgs_team_registered_needs_credit_code",
                violation_error_message="已登记的社会组织须填写统一社会信用代码",
            )
        ]

    def __str__(self) -> str:
        return self.node.name

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def member_count(self) -> int:
        """From the roster, via the node's pre-aggregated counter."""
        counter = getattr(self.node, "counter", None)
        return counter.members if counter is not None else 0

    def tier_name(self) -> str:
        from .selectors import tier_names_for

        names = tier_names_for(self.node)
        return names[min(self.tier, len(names)) - 1]

    def is_squad(self) -> bool:
        from .selectors import tier_names_for

        return self.tier >= len(tier_names_for(self.node))

    def below_standard(self) -> bool:
        return self.is_squad() and self.member_count < settings.SQUAD_MIN_MEMBERS


class BackboneMember(models.Model):
    """主要骨干 on the Xiamen form: people who carry the team, not necessarily registered volunteers."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="backbone")
    name = models.CharField("姓名", max_length=50)
    position = models.CharField("职务", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    work_unit = models.CharField("工作单位", max_length=120, blank=True)
    email = models.EmailField("邮箱", blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "主要骨干"
        verbose_name_plural = "主要骨干"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class RoleAssignmentQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        # Seeing and managing who holds which role is an administrator's business.
        return path_q("node__path", scope.paths("change"))

    def current(self):
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """(user, role, node): the only source of a staff member's or leader's rights."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField("角色", max_length=24, choices=choices.Role.choices)
    node = models.ForeignKey(Node, verbose_name="组织", on_delete=models.PROTECT, related_name="role_assignments")
    personal_data = models.BooleanField("可查看完整个人信息", default=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "角色分配"
        verbose_name_plural = "角色分配"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "node"],
                condition=Q(revoked_at__isnull=True),
                name="orgs_role_unique_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node}"


class NodeCounter(models.Model):
    """Pre-aggregated figures of one node (not its subtree): subtree figures are a SUM over a path prefix.

    Kept current by the services that change them; `manage.py rebuild_counters` recomputes and reports drift.
    """

    node = models.OneToOneField(Node, primary_key=True, on_delete=models.CASCADE, related_name="counter")
    volunteers = models.IntegerField("登记在此的志愿者", default=0)
    members = models.IntegerField("在队成员（人次）", default=0)
    teams = models.IntegerField("队伍数", default=0)

    class Meta:
        verbose_name = "节点统计"
        verbose_name_plural = "节点统计"

    def __str__(self) -> str:
        return f"{self.node_id}: {self.volunteers}/{self.members}/{self.teams}"


class ReportingYearQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        # A team in scope sees the reporting years that cover it (opened at its ancestors).
        q = path_q("node__path", scope.paths(action))
        for path in scope.paths(action):
            ancestors = [path[:i] for i in range(Node.steplen, len(path) + 1, Node.steplen)]
            term = Q(node__path__in=ancestors)
            q = term if q is None else q | term
        return q


class ReportingYear(models.Model):
    """A federation node opens the yearly report (年报) for every team in its subtree."""

    node = models.ForeignKey(Node, verbose_name="发起组织", on_delete=models.PROTECT, related_name="reporting_years")
    year = models.PositiveSmallIntegerField("年度")
    deadline = models.DateField("截止日期")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ReportingYearQuerySet.as_manager()

    class Meta:
        verbose_name = "年报年度"
        verbose_name_plural = "年报年度"
        constraints = [models.UniqueConstraint(fields=["node", "year"], name="orgs_reporting_year_unique")]
        ordering = ["-year", "node__path"]

    def __str__(self) -> str:
        return f"{self.node} {self.year}年度年报"


class AnnualReportQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return path_q("team__node__path", scope.paths(action))


class AnnualReport(models.Model):
    """One team's yearly report: members, activities, hours and highlights, confirmed by the level above."""

    reporting_year = models.ForeignKey(ReportingYear, on_delete=models.PROTECT, related_name="reports")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="annual_reports")
    member_count = models.PositiveIntegerField("年末成员人数", default=0)
    new_members = models.PositiveIntegerField("本年新增成员", default=0)
    activity_count = models.PositiveIntegerField("开展活动次数", default=0)
    service_hours = models.DecimalField("服务总时长（小时）", max_digits=12, decimal_places=1, default=0)
    people_served = models.PositiveIntegerField("服务人次", default=0)
    highlights = models.TextField("工作亮点", blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=choices.ReportStatus.choices, default=choices.ReportStatus.DRAFT
    )
    return_reason = models.CharField("退回原因", max_length=500, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = AnnualReportQuerySet.as_manager()

    class Meta:
        verbose_name = "年度报告"
        verbose_name_plural = "年度报告"
        constraints = [models.UniqueConstraint(fields=["reporting_year", "team"], name="orgs_annual_report_unique")]

    def __str__(self) -> str:
        return f"{self.team} {self.reporting_year.year}年报"
