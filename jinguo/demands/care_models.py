"""Care pairings (结对, F9): long-term one-to-one or many-to-one pairings of volunteers with care recipients
(空巢/独居老人, 留守/流动儿童, 困难妇女 …), their visit plan and the visit logs, each visit a service record.

A recipient belongs to her community node; staff above it see her through data scope, a team through the pairings
it is responsible for, a volunteer through the pairings she is in. Her full phone, address and notes are a further
restriction (R23) applied by `selectors_care.can_see_details`, on top of the row scope here.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jinguo.core.masking import mask_phone
from jinguo.core.scope import ScopedQuerySet, path_q
from jinguo.hours.models import ServiceRecord
from jinguo.orgs.models import Node
from jinguo.volunteers.choices import Sex
from jinguo.volunteers.models import Volunteer

__all__ = [
    "CareCategory",
    "CarePairing",
    "CarePairingQuerySet",
    "CareRecipient",
    "CareRecipientQuerySet",
    "PairingFrequency",
    "PairingKind",
    "PairingMember",
    "PairingStatus",
    "VisitAttendance",
    "VisitLog",
    "VisitLogQuerySet",
]


class CareCategory(models.TextChoices):
    EMPTY_NEST = "empty_nest", "空巢老人"
    LIVING_ALONE = "alone", "独居老人"
    LEFT_BEHIND = "left_behind", "留守儿童"
    MIGRANT_CHILD = "migrant_child", "流动儿童"
    HARDSHIP = "hardship", "困难妇女"
    DISABILITY = "disability", "残疾人家庭"
    OTHER = "other", "其他"


class PairingKind(models.TextChoices):
    ONE_TO_ONE = "one", "一对一"
    MANY_TO_ONE = "many", "多对一"


class PairingFrequency(models.TextChoices):
    WEEKLY = "weekly", "每周一次"
    BIWEEKLY = "biweekly", "每两周一次"
    MONTHLY = "monthly", "每月一次"
    EVERY_N_DAYS = "days", "每隔若干天"


class PairingStatus(models.TextChoices):
    ACTIVE = "active", "结对中"
    ENDED = "ended", "已结束"


def _or(q, more):
    if more is None:
        return q
    return more if q is None else q | more


def _pairing_paths_q(prefix: str, paths) -> Q | None:
    """Rows reached through a pairing: the recipient's community subtree or the responsible team/node's subtree."""
    return _or(path_q(f"{prefix}recipient__node__path", paths), path_q(f"{prefix}organiser__path", paths))


class CareRecipientQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """Staff of her community and above; for viewing also the team/node responsible for one of her pairings
        and the volunteers currently paired with her. Only community staff and above change her record."""
        paths = scope.paths(action)
        q = path_q("node__path", paths)
        if action == "change":
            return q
        via_team = path_q("organiser__path", paths)
        if via_team is not None:
            q = _or(q, Q(pk__in=CarePairing._base_manager.filter(via_team).values("recipient_id")))
        if scope.user_id is not None:
            mine = PairingMember._base_manager.filter(
                volunteer__user_id=scope.user_id, left_at__isnull=True
            ).values("recipient_id")
            q = _or(q, Q(pk__in=mine))
        return q


class CareRecipient(models.Model):
    """A person the federation cares for through pairings (结对帮扶对象). Personal data: R23."""

    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField("出生年份", null=True, blank=True)
    category = models.CharField("对象类别", max_length=16, choices=CareCategory.choices)
    other_category = models.CharField("其他类别说明", max_length=60, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("居住地址", max_length=200)
    node = models.ForeignKey(
        Node, verbose_name="所在社区（村）", on_delete=models.PROTECT, related_name="care_recipients"
    )
    guardian_name = models.CharField("监护人/联系人", max_length=50, blank=True)
    guardian_relation = models.CharField("与本人关系", max_length=20, blank=True)
    guardian_phone = models.CharField("监护人/联系人电话", max_length=20, blank=True)
    notes = models.TextField("健康及家庭情况", blank=True)
    # Consent to be served (PIPL 13, 29): who gave it (she herself or her guardian) and when; required on entry.
    consent_by = models.CharField("同意人", max_length=50)
    consent_relation = models.CharField("同意人身份", max_length=20, default="本人", help_text="本人，或与本人的关系")
    consent_at = models.DateTimeField("同意时间")
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField("在册", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CareRecipientQuerySet.as_manager()

    class Meta:
        verbose_name = "结对帮扶对象"
        verbose_name_plural = "结对帮扶对象"
        ordering = ["node__path", "name", "id"]
        indexes = [models.Index(fields=["node", "category"], name="care_recipient_node_cat")]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def name_masked(self) -> str:
        return (self.name[:1] + "*" * max(len(self.name) - 1, 1)) if self.name else ""

    def age(self, on: datetime.date | None = None) -> int | None:
        if not self.birth_year:
            return None
        return (on or timezone.localdate()).year - self.birth_year


class CarePairingQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """Staff of the recipient's community and above, the responsible team (its leader) and the levels above
        it; the paired volunteers see (not change) their own pairings."""
        q = _pairing_paths_q("", scope.paths(action))
        if action == "view" and scope.user_id is not None:
            q = _or(q, Q(pk__in=PairingMember._base_manager.filter(volunteer__user_id=scope.user_id).values("pairing_id")))
        return q

    def active(self):
        return self.filter(status=PairingStatus.ACTIVE)


class CarePairing(models.Model):
    """One pairing of volunteers with a recipient, with its visit plan (走访计划)."""

    recipient = models.ForeignKey(CareRecipient, on_delete=models.PROTECT, related_name="pairings")
    kind = models.CharField("结对方式", max_length=8, choices=PairingKind.choices)
    volunteers = models.ManyToManyField(Volunteer, through="PairingMember", related_name="care_pairings")
    # The team (or, without one, the federation node) responsible: it organises the visits and records the hours.
    organiser = models.ForeignKey(
        Node, verbose_name="负责队伍/组织", on_delete=models.PROTECT, related_name="care_pairings"
    )
    start_date = models.DateField("结对日期")
    frequency = models.CharField("走访频次", max_length=10, choices=PairingFrequency.choices)
    interval_days = models.PositiveSmallIntegerField("间隔天数", null=True, blank=True, help_text="频次为“每隔若干天”时填写")
    plan_note = models.CharField("走访计划说明", max_length=300, blank=True, help_text="如：每周六上午上门，陪同就医")
    status = models.CharField("状态", max_length=8, choices=PairingStatus.choices, default=PairingStatus.ACTIVE)
    end_reason = models.CharField("结束原因", max_length=300, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    last_visit_at = models.DateTimeField("最近走访", null=True, blank=True)
    # Kept by the services (creation, each visit): the day by which the next visit is due, so that overdue lists
    # and the reminder sweep are one indexed range query instead of date arithmetic per row.
    next_due = models.DateField("下次应访日期", null=True, blank=True)
    # The due date whose overdue reminder was sent: one reminder per overdue period (the sweep is idempotent).
    reminded_due = models.DateField("已提醒的应访日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects = CarePairingQuerySet.as_manager()

    class Meta:
        verbose_name = "结对"
        verbose_name_plural = "结对"
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["status", "organiser"], name="care_pairing_status_org"),
            models.Index(fields=["status", "next_due"], name="care_pairing_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(frequency="days") | Q(interval_days__gte=1), name="care_pairing_days_needs_interval"
            ),
            models.CheckConstraint(
                condition=Q(status="active") | ~Q(end_reason=""), name="care_pairing_ended_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient.name} 结对（{self.get_kind_display()}）"

    @property
    def period_days(self) -> int:
        return {
            PairingFrequency.WEEKLY: 7,
            PairingFrequency.BIWEEKLY: 14,
            PairingFrequency.MONTHLY: 30,
        }.get(self.frequency, self.interval_days or 30)

    @property
    def frequency_label(self) -> str:
        if self.frequency == PairingFrequency.EVERY_N_DAYS:
            return f"每 {self.interval_days} 天一次"
        return self.get_frequency_display()

    @property
    def is_active(self) -> bool:
        return self.status == PairingStatus.ACTIVE


class PairingMember(models.Model):
    """A volunteer in a pairing; one lead (负责人) among the current members. `recipient` repeats the pairing's so
    that the database refuses the same volunteer paired twice with one recipient."""

    pairing = models.ForeignKey(CarePairing, on_delete=models.CASCADE, related_name="members")
    recipient = models.ForeignKey(CareRecipient, on_delete=models.PROTECT, related_name="+")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="care_memberships")
    is_lead = models.BooleanField("负责人", default=False)
    joined_at = models.DateTimeField("加入时间", default=timezone.now)
    left_at = models.DateTimeField("退出时间", null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "结对志愿者"
        verbose_name_plural = "结对志愿者"
        ordering = ["-is_lead", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "volunteer"], condition=Q(left_at__isnull=True), name="care_member_once_per_recipient"
            ),
            models.UniqueConstraint(
                fields=["pairing"], condition=Q(is_lead=True, left_at__isnull=True), name="care_member_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.volunteer_id}"


class VisitLogQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        q = _pairing_paths_q("pairing__", scope.paths(action))
        if action == "view" and scope.user_id is not None:
            q = _or(
                q,
                Q(pairing_id__in=PairingMember._base_manager.filter(volunteer__user_id=scope.user_id).values("pairing_id")),
            )
        return q


class VisitLog(models.Model):
    """One visit (走访) to the recipient. Each volunteer present gets a service record in the ledger."""

    pairing = models.ForeignKey(CarePairing, on_delete=models.PROTECT, related_name="visits")
    volunteers = models.ManyToManyField(Volunteer, through="VisitAttendance", related_name="care_visits")
    start_at = models.DateTimeField("开始时间")
    end_at = models.DateTimeField("结束时间")
    content = models.TextField("走访内容")
    situation = models.TextField("对象近况", blank=True)
    follow_up_needed = models.BooleanField("需要跟进", default=False)
    follow_up_note = models.CharField("跟进事项", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("填报时间", default=timezone.now)
    # A phone on a weak network may submit the form twice: the second submission returns the first log.
    idempotency_key = models.CharField(max_length=64, blank=True)

    objects = VisitLogQuerySet.as_manager()

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-start_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=models.F("start_at")), name="care_visit_end_after_start"),
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=~Q(idempotency_key=""), name="care_visit_idempotency_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pairing.recipient.name} {timezone.localtime(self.start_at):%Y-%m-%d}"


class VisitAttendance(models.Model):
    """A volunteer present at a visit and the service record written for her."""

    visit = models.ForeignKey(VisitLog, on_delete=models.CASCADE, related_name="attendances")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="+")
    record = models.OneToOneField(
        ServiceRecord, on_delete=models.PROTECT, related_name="care_visit", verbose_name="服务记录"
    )

    class Meta:
        verbose_name = "走访志愿者"
        verbose_name_plural = "走访志愿者"
        constraints = [
            models.UniqueConstraint(fields=["visit", "volunteer"], name="care_visit_volunteer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.volunteer_id}"
