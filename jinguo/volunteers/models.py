import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jinguo.core import crypto
from jinguo.core.ids import ID_TYPE_LABELS, ID_TYPE_RESIDENT, ID_TYPES, age_on
from jinguo.core.masking import mask_phone
from jinguo.core.scope import ScopedQuerySet, path_q
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES
from jinguo.orgs.models import Node

from . import choices
from .bitmask import from_mask


class VolunteerQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        """In scope: registered in the user's subtree, or applying to / serving in a team of it, or herself.

        Written as `id IN (… UNION …)`, not as an OR of conditions: each branch is then an index range scan (node
        paths, then volunteers by home node, memberships by team), and PostgreSQL joins the few thousand ids of a
        district to the table instead of scanning a million rows to test an OR with a correlated subquery.
        """
        paths = scope.paths(action)
        branches = []
        home = path_q("home_node__path", paths)
        if home is not None:
            branches.append(self.model._base_manager.filter(home).values("pk"))
            branches.append(
                Membership._base_manager.filter(
                    path_q("team__path", paths), status__in=choices.OPEN_MEMBERSHIP
                ).values("volunteer_id")
            )
        if scope.user_id is not None:
            branches.append(self.model._base_manager.filter(user_id=scope.user_id).values("pk"))
        if not branches:
            return None
        ids = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
        return Q(pk__in=ids)

    def in_rosters(self):
        """Those who appear in rosters: not withdrawn (pending ones appear, marked unconfirmed: R25)."""
        return self.exclude(status=choices.VolunteerStatus.WITHDRAWN)


class Volunteer(models.Model):
    """A registered volunteer: real name (R1), ID number encrypted at rest (R3), our own volunteer number."""

    number = models.CharField("志愿者编号", max_length=20)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="volunteer"
    )
    name = models.CharField("姓名", max_length=50)
    name_initials = models.CharField("姓名拼音首字母", max_length=50, db_index=True, blank=True)
    id_type = models.CharField("证件类型", max_length=16, choices=ID_TYPES, default=ID_TYPE_RESIDENT)
    id_number_enc = models.BinaryField("证件号码（密文）")
    id_number_hash = models.CharField("证件号码索引", max_length=64)
    id_number_masked = models.CharField("证件号码", max_length=24)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    sex = models.CharField("性别", max_length=1, choices=choices.Sex.choices, blank=True)
    phone = models.CharField("手机号", max_length=20)
    phone_last4 = models.CharField(max_length=4)
    ethnicity = models.CharField("民族", max_length=16, blank=True)
    political_status = models.CharField("政治面貌", max_length=16, blank=True)
    education = models.CharField("学历", max_length=16, blank=True)
    work_unit = models.CharField("工作单位", max_length=120, blank=True)
    occupation = models.CharField("职业", max_length=60, blank=True)
    skills = models.CharField("技能特长", max_length=300, blank=True)
    categories_mask = models.IntegerField("服务类别", default=0)
    other_category = models.CharField("其他服务类别", max_length=60, blank=True)
    availability_mask = models.IntegerField("可服务时间", default=0)
    force_type = models.CharField("力量类型", max_length=16, choices=choices.ForceType.choices, blank=True)
    honours_mask = models.IntegerField("荣誉", default=0)
    honours_other = models.CharField("其他荣誉", max_length=200, blank=True)
    home_node = models.ForeignKey(
        Node,
        verbose_name="居住地（所属社区）",
        on_delete=models.PROTECT,
        related_name="registered_volunteers",
        db_index=False,  # the (home_node, id) index serves
    )
    address = models.CharField("居住地址", max_length=200, blank=True)
    emergency_contact_name = models.CharField("紧急联系人", max_length=50, blank=True)
    emergency_contact_phone = models.CharField("紧急联系人电话", max_length=20, blank=True)
    wechat_id = models.CharField("微信号", max_length=50, blank=True)
    # Star level (R19) from counted hours only, kept current by the hours ledger; history in hours.StarChange.
    star_level = models.PositiveSmallIntegerField("星级", default=0)
    status = models.CharField(
        "状态",
        max_length=12,
        choices=choices.VolunteerStatus.choices,
        default=choices.VolunteerStatus.PENDING,
    )
    source = models.CharField("登记方式", max_length=8, choices=choices.Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # The team through which staff or an import registered her; a "this was not me" goes to the level above it.
    registered_via = models.ForeignKey(
        Node, verbose_name="登记单位", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    confirmed_at = models.DateTimeField("本人确认时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        verbose_name = "志愿者"
        verbose_name_plural = "志愿者"
        # Few indexes on purpose: every one is paid for on each insert (imports write 5,000+ rows a second).
        # Unique columns are constraints, not unique=True, so that PostgreSQL gets no extra LIKE-pattern index.
        constraints = [
            models.UniqueConstraint(fields=["number"], name="volunteer_number_unique"),
            models.UniqueConstraint(fields=["id_number_hash"], name="volunteer_id_hash_unique"),
        ]
        indexes = [
            # (home_node, id): the scope's "registered here" branch reads the index only. Status and categories
            # ride along (PostgreSQL INCLUDE) so that the dispatch recommender filters a city's volunteers by
            # category without visiting the table (bench (g): 1,852 heap blocks read for a rare category before).
            models.Index(fields=["home_node", "id"], include=["status", "categories_mask"], name="volunteer_home_id"),
            models.Index(fields=["-created_at", "-id"], name="volunteer_recent"),
            models.Index(fields=["phone"], name="volunteer_phone"),
            models.Index(fields=["phone_last4"], name="volunteer_phone_last4"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"

    # -- derived, for display ----------------------------------------------------------------------------------
    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def categories(self) -> list[str]:
        return from_mask(self.categories_mask, SERVICE_CATEGORIES)

    @property
    def availability(self) -> list[str]:
        return from_mask(self.availability_mask, SERVICE_TIMES)

    @property
    def honours(self) -> list[str]:
        return from_mask(self.honours_mask, choices.HONOURS)

    @property
    def id_type_label(self) -> str:
        return ID_TYPE_LABELS.get(self.id_type, self.id_type)

    def age(self, on: datetime.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, on or timezone.localdate())

    def is_minor(self) -> bool:
        age = self.age()
        return age is not None and age < 18

    @property
    def is_confirmed(self) -> bool:
        return self.status == choices.VolunteerStatus.ACTIVE

    def decrypt_id_number(self) -> str:
        """The full number. Callers must hold the personal-data right and audit the view (services do both)."""
        return crypto.decrypt(self.id_number_enc)


class MembershipQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        q = path_q("team__path", scope.paths(action))
        if scope.user_id is not None:
            own = Q(volunteer__user_id=scope.user_id)
            q = own if q is None else q | own
        return q

    def open(self):
        return self.filter(status__in=choices.OPEN_MEMBERSHIP)


class Membership(models.Model):
    """A volunteer in a team. Rows are never deleted: leaving closes one, rejoining opens a new one."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="memberships")
    team = models.ForeignKey(
        Node,
        verbose_name="队伍",
        on_delete=models.PROTECT,
        related_name="memberships",
        limit_choices_to={"kind": "team"},
    )
    status = models.CharField("状态", max_length=12, choices=choices.MembershipStatus.choices)
    is_backbone = models.BooleanField("骨干", default=False)
    applied_at = models.DateTimeField("申请时间", null=True, blank=True)
    joined_at = models.DateTimeField("入队时间", null=True, blank=True)
    ended_at = models.DateTimeField("离队时间", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = "队伍成员"
        verbose_name_plural = "队伍成员"
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "team"],
                condition=Q(status__in=["applied", "active"]),
                name="volunteers_one_open_membership",
                violation_error_message="该志愿者已在此队伍中或已提交申请",
            )
        ]
        indexes = [
            # INCLUDE volunteer (PostgreSQL): the scope's "member of a team here" branch reads the index only.
            models.Index(fields=["team", "status"], include=["volunteer"], name="membership_team_status"),
            models.Index(fields=["volunteer", "status"], name="membership_volunteer_status"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer.name} @ {self.team.name}"


class ConsentQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        q = path_q("volunteer__home_node__path", scope.paths(action))
        if scope.user_id is not None:
            own = Q(volunteer__user_id=scope.user_id)
            q = own if q is None else q | own
        return q


class Consent(models.Model):
    """A consent given (R5): what text version, when, through which channel; withdrawing keeps the row."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField("同意事项", max_length=12, choices=choices.ConsentKind.choices)
    version = models.CharField("文本版本", max_length=20)
    granted_at = models.DateTimeField("同意时间", default=timezone.now)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    guardian_name = models.CharField("监护人姓名", max_length=50, blank=True)
    guardian_phone = models.CharField("监护人电话", max_length=20, blank=True)
    guardian_relation = models.CharField("与本人关系", max_length=20, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = "知情同意"
        verbose_name_plural = "知情同意"
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.volunteer.name} {self.get_kind_display()} v{self.version}"


class DisputeQuerySet(ScopedQuerySet):
    def scope_q(self, scope, action):
        return path_q("handling_node__path", scope.paths(action))


class IdentityDispute(models.Model):
    """R25/R26: "this was not me", or "my ID number is already taken": handled by the level above."""

    kind = models.CharField("类型", max_length=8, choices=choices.DisputeKind.choices)
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="disputes")
    handling_node = models.ForeignKey(Node, verbose_name="处理单位", on_delete=models.PROTECT, related_name="+")
    claimant_name = models.CharField("申诉人", max_length=50)
    claimant_phone = models.CharField("申诉人手机（已验证）", max_length=20)
    reason = models.TextField("情况说明", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=choices.DisputeStatus.choices, default=choices.DisputeStatus.OPEN
    )
    resolution = models.TextField("处理意见", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("提出时间", default=timezone.now)
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        verbose_name = "身份申诉"
        verbose_name_plural = "身份申诉"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.volunteer.number}"
