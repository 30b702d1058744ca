import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from .scope import ScopedQuerySet, path_q


class User(AbstractUser):
    """A login: staff, team leaders and volunteers alike; what they may do comes from their role assignments."""

    phone = models.CharField("手机号", max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField("姓名", max_length=50, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class AuditLogQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        # Entries without a node (logins, platform settings) are for platform admins only.
        return path_q("node_path", scope.paths("change"))


class AuditLog(models.Model):
    """One thing somebody did, or saw, that must be accountable later. Never edited, never deleted."""

    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    target_type = models.CharField("对象类型", max_length=64, blank=True)
    target_id = models.CharField("对象编号", max_length=64, blank=True)
    target_repr = models.CharField("对象", max_length=200, blank=True)
    # The org-tree path the entry belongs to, so that admins see the entries of their own subtree.
    node_path = models.CharField("所属组织路径", max_length=255, blank=True, db_index=True)
    summary = models.CharField("说明", max_length=500, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class Sequence(models.Model):
    """A named counter for numbers people read (volunteer numbers, archive numbers); allocated in blocks."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

    @classmethod
    def allocate(cls, name: str, count: int = 1) -> range:
        """Reserve `count` consecutive values; returns them. Runs in the caller's transaction."""
        with transaction.atomic():
            cls.objects.get_or_create(name=name)
            row = cls.objects.select_for_update().get(name=name)
            start = row.value + 1
            row.value += count
            row.save(update_fields=["value"])
        return range(start, start + count)


class ApiToken(models.Model):
    """A token for the REST API. Only a hash is stored; the token is shown once when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        key = "jg_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[3:11], key_hash=cls.hash_key(key))
        return token, key


class SmsCode(models.Model):
    """A one-time code sent to a phone to prove the person holds it. Only a hash of the code is kept."""

    phone = models.CharField(max_length=20, db_index=True)
    purpose = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.phone}"


class JobQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        # A job, its report and its result file belong to whoever started it.
        if scope.user_id is None:
            return None
        return Q(user_id=scope.user_id)


class Job(models.Model):
    """Long work done by the task worker (imports, exports): its state, report and result file."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "处理中"
        READY = "ready", "待确认"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"
        CANCELLED = "cancelled", "已取消"

    FINISHED = (Status.READY, Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    kind = models.CharField("类型", max_length=40)
    title = models.CharField("名称", max_length=200)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="jobs")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    input_name = models.CharField("上传文件名", max_length=255, blank=True)
    input_path = models.CharField(max_length=500, blank=True)
    result_path = models.CharField(max_length=500, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("job_detail", args=[self.pk])


class NotificationQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        # A message is its recipient's alone.
        if scope.user_id is None:
            return None
        return Q(user_id=scope.user_id)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message. E-mail and SMS copies go out through core.notify's channels."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField("标题", max_length=120)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title
