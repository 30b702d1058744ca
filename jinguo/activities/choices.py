from django.db import models


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PENDING = "pending", "待上级审核"  # R30: a node above requires approval before publishing
    PUBLISHED = "published", "已发布"
    CANCELLED = "cancelled", "已取消"
    ARCHIVED = "archived", "已归档"


class Phase(models.TextChoices):
    """What a published activity is doing now, from its times: 报名中 → 进行中 → 已结束."""

    UPCOMING = "upcoming", "未开始"
    IN_PROGRESS = "in_progress", "进行中"
    FINISHED = "finished", "已结束"


class Audience(models.TextChoices):
    SUBTREE = "subtree", "本组织及下级的志愿者"
    TEAM = "team", "仅本队成员"
    PUBLIC = "public", "所有志愿者（公开招募）"


class ApprovalMode(models.TextChoices):
    AUTO = "auto", "报名即录用"
    MANUAL = "manual", "队长审核后录用"


class Campaign(models.TextChoices):
    """Key dates (DOMAIN F5): activities are tagged so that campaigns can be seen, and spread (R29)."""

    NONE = "", "无"
    LEIFENG = "leifeng", "学雷锋日（3月5日）"
    WOMEN = "women", "三八国际妇女节（3月8日）"
    FAMILY = "family", "国际家庭日（5月15日）"
    CHILDREN = "children", "六一儿童节"
    CHONGYANG = "chongyang", "重阳节"
    VOLUNTEER = "volunteer", "国际志愿者日（12月5日）"
    NEWYEAR = "newyear", "元旦"
    SPRING = "spring", "春节"


class SignUpStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    CONFIRMED = "confirmed", "已录用"
    WAITLISTED = "waitlisted", "候补中"
    REJECTED = "rejected", "未录用"
    CANCELLED = "cancelled", "已取消"


# Sign-ups that hold (or wait for) a place.
OPEN_SIGNUP = (SignUpStatus.PENDING, SignUpStatus.CONFIRMED, SignUpStatus.WAITLISTED)
# Sign-ups that take a place out of the capacity.
HOLDING_SIGNUP = (SignUpStatus.PENDING, SignUpStatus.CONFIRMED)


class CheckMethod(models.TextChoices):
    """How time was recorded (R27: everything but her own scan is marked as entered by someone else)."""

    QR = "qr", "扫码签到"
    CODE = "code", "数字签到码"
    # Her own check-in on her phone at a home visit (上门服务): her login, and her position when she shares it.
    PHONE = "phone", "本人手机签到"
    ROSTER = "roster", "队长名单签到"
    DECLARED = "declared", "本人申报（队长审核）"
    CORRECTION = "correction", "更正"
    IMPORT = "import", "补录"


SELF_METHODS = (CheckMethod.QR, CheckMethod.CODE, CheckMethod.PHONE)

# Which end of a visit a scan, a code or a button records (the QR token's purpose, the check API's action).
CHECK_DIRECTIONS = [("in", "签到"), ("out", "签退")]


class AttendanceStatus(models.TextChoices):
    CHECKED_IN = "in", "已签到"
    CHECKED_OUT = "out", "已签退"
    REVIEW = "review", "待审核"  # held: the reason says why
    REJECTED = "rejected", "未通过"


class DeclarationStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"
