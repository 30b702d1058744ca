from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jinguo.core.scope import ScopedQuerySet, path_q
from jinguo.orgs.models import Node
from jinguo.volunteers.models import Volunteer


class CertificateStatus(models.TextChoices):
    VALID = "valid", "有效"
    REVOKED = "revoked", "已作废"


class CertificateQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """The issuing node's subtree manages its certificates; she sees her own."""
        q = path_q("issuer__path", scope.paths(action))
        if action == "view" and scope.user_id is not None:
            own = Q(volunteer__user_id=scope.user_id)
            q = own if q is None else q | own
        return q


class Certificate(models.Model):
    """A 志愿服务记录证明 (F7, R18): a snapshot of the facts at issue, never changed afterwards.

    The PDF is rendered from `snapshot` alone, so it is the same document every time it is downloaded. A later
    correction of a record revokes the certificate and a new one is issued (`replaced_by`)."""

    number = models.CharField("证明编号", max_length=32)
    short_code = models.CharField("查验码", max_length=12)
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="certificates")
    issuer = models.ForeignKey(Node, verbose_name="出具单位", on_delete=models.PROTECT, related_name="certificates")
    period_start = models.DateField("服务起始日期")
    period_end = models.DateField("服务截止日期")
    total_hours = models.DecimalField("服务总时长", max_digits=9, decimal_places=2, default=Decimal("0"))
    record_ids = models.JSONField("所含记录", default=list)
    snapshot = models.JSONField("证明内容快照", default=dict)
    status = models.CharField("状态", max_length=8, choices=CertificateStatus.choices, default=CertificateStatus.VALID)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField("出具时间", default=timezone.now)
    revoked_at = models.DateTimeField("作废时间", null=True, blank=True)
    revoke_reason = models.CharField("作废原因", max_length=300, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="替代证明"
    )

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = "志愿服务记录证明"
        verbose_name_plural = "志愿服务记录证明"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="certificate_number_unique"),
            models.UniqueConstraint(fields=["short_code"], name="certificate_short_code_unique"),
        ]
        indexes = [models.Index(fields=["volunteer", "status"], name="certificate_volunteer_status")]

    def __str__(self) -> str:
        return self.number


class IssuerProfileQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return path_q("node__path", scope.paths(action))


class IssuerProfile(models.Model):
    """What an issuing node prints on its certificates (R18): person in charge, handler, contact, seal text.

    A team falls back to its registration (leader_name, phone); a federation node must fill this in before it
    issues. Edited by the node's own administrators."""

    node = models.OneToOneField(
        Node, primary_key=True, on_delete=models.CASCADE, related_name="issuer_profile", verbose_name="出具单位"
    )
    person_in_charge = models.CharField("负责人", max_length=50, blank=True)
    handler = models.CharField(
        "经办人",
        max_length=50,
        blank=True,
        help_text="志愿者本人在线申请出具时印在证明上的经办人；工作人员出具时为其本人",
    )
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    seal_text = models.CharField("印章文字", max_length=60, blank=True, help_text="印在盖章框内，留空则为单位名称")
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = IssuerProfileQuerySet.as_manager()

    class Meta:
        verbose_name = "证明落款设置"
        verbose_name_plural = "证明落款设置"

    def __str__(self) -> str:
        return f"{self.node.name} 证明落款"
