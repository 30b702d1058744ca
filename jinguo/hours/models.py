from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jinguo.activities.choices import CheckMethod
from jinguo.activities.models import Activity, Attendance
from jinguo.core.scope import ScopedQuerySet, path_q
from jinguo.orgs.models import Node
from jinguo.volunteers.models import Volunteer


class RecordStatus(models.TextChoices):
    VERIFIED = "verified", "有效"
    HELD = "held", "暂缓计入"  # R25 (not yet confirmed by her) or R28 (flagged for review): not counted yet
    REJECTED = "rejected", "不予计入"


class RecordKind(models.TextChoices):
    ENTRY = "entry", "记录"
    CORRECTION = "correction", "更正"


class ServiceRecordQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """The organiser's subtree records and sees them; she sees every record under her name (R27)."""
        q = path_q("organiser__path", scope.paths(action))
        if action == "view" and scope.user_id is not None:
            own = Q(volunteer__user_id=scope.user_id)
            q = own if q is None else q | own
        return q

    def counted(self):
        return self.filter(status=RecordStatus.VERIFIED)

    def current(self):
        """Entries as they stand: an entry superseded by a correction is replaced by that correction."""
        return self.filter(superseded_by__isnull=True)


class ServiceRecord(models.Model):
    """One entry of the service-record ledger (R13-R17). Append-only: never edited, never deleted.

    A correction is a new entry with `kind=correction` that names the entry it corrects (`corrects`) and carries
    the record as it should be; its `hours_delta` is the difference, so that every total is a plain SUM over the
    ledger. The corrected entry gets `superseded_by` (the one pointer that is written later, so that the current
    state of each record is one indexed filter). `status` is the workflow of a held record (R25/R28) and is
    audited; hours and times never change once written."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="service_records")
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="records")
    attendance = models.ForeignKey(
        Attendance, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    organiser = models.ForeignKey(
        Node, verbose_name="组织（记录）单位", on_delete=models.PROTECT, related_name="service_records"
    )
    service_date = models.DateField("服务日期")
    start_at = models.DateTimeField("开始时间")
    end_at = models.DateTimeField("结束时间")
    hours = models.DecimalField("服务时长（小时）", max_digits=6, decimal_places=2)
    # What this entry adds to every total: `hours` for an entry; new minus old for a correction.
    hours_delta = models.DecimalField(max_digits=7, decimal_places=2)
    place = models.CharField("服务地点", max_length=200, blank=True)
    content = models.CharField("服务内容", max_length=300, blank=True)
    evaluation = models.CharField("组织方评价", max_length=300, blank=True)
    method = models.CharField("记录方式", max_length=12, choices=CheckMethod.choices)
    # R27: true unless the time comes from her own check-in (QR or code): shown on her records and certificates.
    entered_by_other = models.BooleanField("他人代录", default=False)
    kind = models.CharField("类型", max_length=10, choices=RecordKind.choices, default=RecordKind.ENTRY)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections", verbose_name="更正的记录"
    )
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="已被更正为"
    )
    reason = models.CharField("更正原因", max_length=300, blank=True)
    status = models.CharField("状态", max_length=10, choices=RecordStatus.choices, default=RecordStatus.VERIFIED)
    hold_reason = models.CharField("暂缓原因", max_length=300, blank=True)
    flags = models.JSONField("异常提示", default=list, blank=True)  # R28 codes, e.g. ["burst", "late_entry"]
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)

    objects = ServiceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "服务记录"
        verbose_name_plural = "服务记录"
        ordering = ["-start_at", "-id"]
        indexes = [
            models.Index(fields=["volunteer", "start_at"], name="record_volunteer_start"),
            models.Index(fields=["organiser", "service_date"], name="record_organiser_date"),
            models.Index(fields=["activity"], name="record_activity"),
            models.Index(fields=["recorded_by", "recorded_at"], name="record_recorder_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")) | Q(hours=0), name="record_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="record_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer.name} {self.service_date} {self.hours}h"


class CorrectionStatus(models.TextChoices):
    OPEN = "open", "待处理"
    ACCEPTED = "accepted", "已更正"
    REJECTED = "rejected", "未采纳"


class CorrectionKind(models.TextChoices):
    ERROR = "error", "记录有误"
    OMISSION = "omission", "漏记"


class CorrectionRequestQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        q = path_q("organiser__path", scope.paths(action))
        if scope.user_id is not None:
            own = Q(volunteer__user_id=scope.user_id)
            q = own if q is None else q | own
        return q


class CorrectionRequest(models.Model):
    """R16: she reports an error or an omission; the organising team checks and corrects, or says why not."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="correction_requests")
    kind = models.CharField("类型", max_length=10, choices=CorrectionKind.choices)
    record = models.ForeignKey(
        ServiceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="correction_requests"
    )
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organiser = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    proposed_start = models.DateTimeField("应为开始时间")
    proposed_end = models.DateTimeField("应为结束时间")
    reason = models.CharField("说明", max_length=500)
    status = models.CharField("状态", max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("处理意见", max_length=300, blank=True)
    result = models.ForeignKey(ServiceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("提出时间", default=timezone.now)

    objects = CorrectionRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "更正申请"
        verbose_name_plural = "更正申请"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.volunteer.name} {self.get_kind_display()}"


class VolunteerHours(models.Model):
    """Cache: her counted hours per year, from the ledger. `manage.py rebuild_hours` recomputes and compares."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="hours_by_year")
    year = models.PositiveSmallIntegerField()
    hours = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    records = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["volunteer", "year"], name="volunteer_hours_year")]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.year}: {self.hours}"


class NodeHours(models.Model):
    """Cache: counted hours recorded by one organising node per year; subtree totals are a SUM over a path prefix
    (the same pattern as NodeCounter), so a national roll-up reads one row per node, not ten million records."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="hours_by_year")
    year = models.PositiveSmallIntegerField()
    hours = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    records = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "year"], name="node_hours_year")]

    def __str__(self) -> str:
        return f"{self.node_id} {self.year}: {self.hours}"


class StarChangeQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        q = path_q("volunteer__home_node__path", scope.paths(action))
        if scope.user_id is not None:
            own = Q(volunteer__user_id=scope.user_id)
            q = own if q is None else q | own
        return q


class StarChange(models.Model):
    """Each promotion, and each demotion after a correction (R19), with the date and the hours at that moment.
    Her current level is the latest change's `to_level` (0 when there is none)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="star_changes")
    from_level = models.PositiveSmallIntegerField()
    to_level = models.PositiveSmallIntegerField()
    total_hours = models.DecimalField("当时累计时长", max_digits=9, decimal_places=2)
    changed_at = models.DateTimeField(default=timezone.now)
    record = models.ForeignKey(ServiceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = StarChangeQuerySet.as_manager()

    class Meta:
        verbose_name = "星级变动"
        verbose_name_plural = "星级变动"
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.volunteer_id}: {self.from_level}★ → {self.to_level}★"
