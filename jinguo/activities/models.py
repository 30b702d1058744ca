from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jinguo.core.scope import ScopedQuerySet, path_q
from jinguo.orgs.choices import SERVICE_CATEGORIES
from jinguo.orgs.models import Node
from jinguo.volunteers.models import Volunteer

from . import choices


def _with_self(q, scope, lookup: str):
    """Add "rows about herself" (a volunteer sees her own sign-ups and attendance) to a path filter."""
    if scope.user_id is None:
        return q
    own = Q(**{lookup: scope.user_id})
    return own if q is None else q | own


class ActivityQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """Staff see the activities organised in their subtree; a volunteer those she signed up for.

        Browsing what a volunteer may join is a different question, answered by `open_to(volunteer)`."""
        q = path_q("organiser__path", scope.paths(action))
        if action == "view" and scope.user_id is not None:
            own = Q(pk__in=SignUp.objects.filter(volunteer__user_id=scope.user_id).values("activity_id"))
            q = own if q is None else q | own
        return q

    def published(self):
        return self.filter(status=choices.ActivityStatus.PUBLISHED)


class Activity(models.Model):
    """A recruitment notice and the activity it recruits for (F5). R7: time, place, content, requirements,
    number of people, how to sign up, risks and protection are all stated before it can be published."""

    organiser = models.ForeignKey(
        Node, verbose_name="组织单位", on_delete=models.PROTECT, related_name="activities",
        help_text="谁组织谁记录：只有组织单位为本活动记录服务时长（R14）",
    )
    title = models.CharField("活动名称", max_length=120)
    category = models.CharField("服务类别", max_length=16, choices=SERVICE_CATEGORIES)
    content = models.TextField("服务内容")
    address = models.CharField("活动地点", max_length=200)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    geofence_m = models.PositiveIntegerField(
        "签到范围（米）", null=True, blank=True, help_text="填写后，扫码签到时须在活动地点此范围内；留空则不限"
    )
    # The place or person served, for the per-day cap on one site (R29): "XX敬老院", "湖滨社区独居老人".
    service_site = models.CharField("服务对象/服务点", max_length=120, blank=True)
    start_at = models.DateTimeField("开始时间")
    end_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("招募人数")
    skills_required = models.CharField("技能要求", max_length=200, blank=True)
    qualification = models.CharField(
        "资质要求", max_length=100, blank=True, help_text="如：急救员证、心理咨询师证（R9：仅持证志愿者可报名）"
    )
    min_age = models.PositiveSmallIntegerField("最低年龄", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("最高年龄", null=True, blank=True)
    approval_mode = models.CharField(
        "录用方式", max_length=8, choices=choices.ApprovalMode.choices, default=choices.ApprovalMode.AUTO
    )
    signup_deadline = models.DateTimeField("报名截止时间")
    cancel_cutoff_hours = models.PositiveSmallIntegerField(
        "取消报名截止（开始前小时数）", default=24, help_text="开始前这么多小时内不能再自行取消报名"
    )
    risk_statement = models.TextField("可能的风险")
    protection = models.TextField("安全保障措施")
    is_risky = models.BooleanField(
        "有一定危险性", default=False, help_text="勾选后，每位参加者须有覆盖活动日期的意外保险（R10）"
    )
    audience = models.CharField(
        "招募范围", max_length=8, choices=choices.Audience.choices, default=choices.Audience.SUBTREE
    )
    campaign = models.CharField("主题活动", max_length=12, choices=choices.Campaign.choices, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=choices.ActivityStatus.choices, default=choices.ActivityStatus.DRAFT
    )
    # R30: the node whose approval it waits for, and who gave it.
    approval_node = models.ForeignKey(
        Node, verbose_name="审核单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_note = models.CharField("审核意见", max_length=300, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = "志愿服务活动"
        verbose_name_plural = "志愿服务活动"
        ordering = ["-start_at", "-id"]
        indexes = [
            models.Index(fields=["organiser", "start_at"], name="activity_organiser_start"),
            models.Index(fields=["status", "start_at"], name="activity_status_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")), name="activity_ends_after_start",
                violation_error_message="结束时间应晚于开始时间",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def phase(self) -> str:
        now = timezone.now()
        if now < self.start_at:
            return choices.Phase.UPCOMING
        if now < self.end_at:
            return choices.Phase.IN_PROGRESS
        return choices.Phase.FINISHED

    def get_phase_display(self) -> str:
        return choices.Phase(self.phase).label


class Shift(models.Model):
    """A time slot with its own places. Every activity has at least one (the whole activity, by default)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="shifts")
    name = models.CharField("班次", max_length=60, blank=True)
    start_at = models.DateTimeField("开始时间")
    end_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("人数")

    class Meta:
        verbose_name = "班次"
        verbose_name_plural = "班次"
        ordering = ["start_at", "id"]

    def __str__(self) -> str:
        return self.name or f"{timezone.localtime(self.start_at):%m-%d %H:%M}"


class SignUpQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return _with_self(path_q("activity__organiser__path", scope.paths(action)), scope, "volunteer__user_id")

    def open(self):
        return self.filter(status__in=choices.OPEN_SIGNUP)


class SignUp(models.Model):
    """A volunteer's sign-up for a shift. Waitlisted ones move up by themselves when a place frees."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="signups")
    status = models.CharField("状态", max_length=12, choices=choices.SignUpStatus.choices)
    created_at = models.DateTimeField("报名时间", default=timezone.now)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("说明", max_length=300, blank=True)
    no_show = models.BooleanField("缺席", default=False)
    # A phone may send the same sign-up twice (a retry after a timeout): the key makes the second one a no-op.
    idempotency_key = models.CharField(max_length=64, blank=True)

    objects = SignUpQuerySet.as_manager()

    class Meta:
        verbose_name = "报名"
        verbose_name_plural = "报名"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "shift"],
                condition=Q(status__in=["pending", "confirmed", "waitlisted"]),
                name="signup_one_open_per_shift",
                violation_error_message="已报名该班次",
            ),
        ]
        indexes = [
            models.Index(fields=["shift", "status"], name="signup_shift_status"),
            models.Index(fields=["volunteer", "status"], name="signup_volunteer_status"),
            models.Index(fields=["activity", "status"], name="signup_activity_status"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer.name} → {self.activity.title}"


class InsurancePolicyQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return path_q("holder__path", scope.paths(action))


class InsurancePolicy(models.Model):
    """An accident-insurance policy bought for volunteers (R10, F12): who holds it, the period, who it covers.

    Kept here, above the activities that check it; the incentives app (F12) builds its pages on this record."""

    holder = models.ForeignKey(Node, verbose_name="投保单位", on_delete=models.PROTECT, related_name="policies")
    insurer = models.CharField("保险公司", max_length=100)
    policy_number = models.CharField("保单号", max_length=60)
    starts_on = models.DateField("保险起期")
    ends_on = models.DateField("保险止期")
    volunteers = models.ManyToManyField(Volunteer, verbose_name="被保险人", related_name="policies", blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = InsurancePolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "意外保险保单"
        verbose_name_plural = "意外保险保单"
        constraints = [
            models.UniqueConstraint(fields=["insurer", "policy_number"], name="policy_number_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="policy_period_valid",
                violation_error_message="保险止期不能早于起期",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer} {self.policy_number}"


class AttendanceQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return _with_self(path_q("activity__organiser__path", scope.paths(action)), scope, "volunteer__user_id")


class Attendance(models.Model):
    """Her presence at one shift: check-in, check-out, how each was recorded, where, and any hold (F6).

    Checking out turns it into a service record (hours app). One per volunteer and shift: a repeated scan finds
    this row and creates nothing new."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attendances")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="attendances")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="attendances")
    signup = models.ForeignKey(SignUp, null=True, blank=True, on_delete=models.PROTECT, related_name="attendances")
    status = models.CharField("状态", max_length=8, choices=choices.AttendanceStatus.choices)
    check_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    check_out_at = models.DateTimeField("签退时间", null=True, blank=True)
    in_method = models.CharField("签到方式", max_length=12, choices=choices.CheckMethod.choices, blank=True)
    out_method = models.CharField("签退方式", max_length=12, choices=choices.CheckMethod.choices, blank=True)
    in_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    in_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    in_distance_m = models.PositiveIntegerField("签到距离（米）", null=True, blank=True)
    out_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    out_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    out_distance_m = models.PositiveIntegerField("签退距离（米）", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="签到/签退由他人代为记录时的记录人（R27）",
    )
    review_reason = models.CharField("待审核原因", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = "签到记录"
        verbose_name_plural = "签到记录"
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "shift"], name="attendance_one_per_shift"),
        ]
        indexes = [models.Index(fields=["activity", "status"], name="attendance_activity_status")]

    def __str__(self) -> str:
        return f"{self.volunteer.name} @ {self.activity.title}"


class DeclarationQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return _with_self(path_q("activity__organiser__path", scope.paths(action)), scope, "volunteer__user_id")


class HoursDeclaration(models.Model):
    """Hours she declares herself (she forgot to scan, or served without a phone); the leader approves (F6)."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="declarations")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="declarations")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="declarations")
    start_at = models.DateTimeField("开始时间")
    end_at = models.DateTimeField("结束时间")
    note = models.CharField("说明", max_length=300)
    status = models.CharField(
        "状态", max_length=10, choices=choices.DeclarationStatus.choices, default=choices.DeclarationStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("审核意见", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = "时长申报"
        verbose_name_plural = "时长申报"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.volunteer.name} 申报 {self.activity.title}"


class QualificationQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return _with_self(path_q("volunteer__home_node__path", scope.paths(action)), scope, "volunteer__user_id")


class Qualification(models.Model):
    """A qualification she holds (急救员证, 心理咨询师证 …), checked by staff; R9: tasks that need one are open only
    to holders. A simple record now; the training app (F10) will add the ones it awards."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="qualifications")
    name = models.CharField("资质名称", max_length=100)
    certificate_number = models.CharField("证书编号", max_length=60, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        verbose_name = "资质"
        verbose_name_plural = "资质"

    def __str__(self) -> str:
        return f"{self.volunteer.name} {self.name}"
