from django.db import models


class NodeKind(models.TextChoices):
    NATIONAL = "national", "全国"
    PROVINCE = "province", "省（自治区、直辖市）"
    CITY = "city", "市（地、州）"
    DISTRICT = "district", "区（县、市）"
    STREET = "street", "街道（乡镇）"
    COMMUNITY = "community", "社区（村）"
    TEAM = "team", "志愿服务队伍"


# Federation levels from the top; a child is always of a lower level than its parent.
FEDERATION_ORDER = [
    NodeKind.NATIONAL,
    NodeKind.PROVINCE,
    NodeKind.CITY,
    NodeKind.DISTRICT,
    NodeKind.STREET,
    NodeKind.COMMUNITY,
]
FEDERATION_LABELS = {
    NodeKind.NATIONAL: "全国妇联",
    NodeKind.PROVINCE: "省妇联",
    NodeKind.CITY: "市妇联",
    NodeKind.DISTRICT: "区县妇联",
    NodeKind.STREET: "街道（乡镇）妇联",
    NodeKind.COMMUNITY: "社区（村）妇联",
}


class NodeStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    DISSOLVED = "dissolved", "已撤销"
    MERGED = "merged", "已合并"


class TeamLevel(models.TextChoices):
    NATIONAL = "national", "全国级"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区（县）级"
    STREET = "street", "街道（乡镇）级"
    COMMUNITY = "community", "社区（村）级"
    UNIT = "unit", "机关/单位"


class FilingStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待备案"
    FILED = "filed", "已备案"
    RETURNED = "returned", "已退回"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "待确认"
    CONFIRMED = "confirmed", "已确认"
    RETURNED = "returned", "已退回"


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", "平台管理员"
    FEDERATION_ADMIN = "federation_admin", "妇联管理员"
    FEDERATION_STAFF = "federation_staff", "妇联工作人员（只读）"
    TEAM_LEADER = "team_leader", "队长"


# The ten categories of the Pingdingshan form (seed 003 annex), plus 其他 with text. Codes are stable: never
# reorder or reuse them, they are stored in teams, volunteers and bit masks.
SERVICE_CATEGORIES = [
    ("tech", "巾帼科技培训"),
    ("legal", "巾帼法律维权"),
    ("health", "巾帼卫生保健"),
    ("culture", "巾帼文化宣传"),
    ("care", "巾帼爱心帮扶"),
    ("green", "巾帼护绿环保"),
    ("family", "巾帼家庭教育"),
    ("drugs", "巾帼禁毒防艾"),
    ("business", "巾帼创业指导"),
    ("etiquette", "巾帼文明礼仪"),
    ("other", "其他"),
]
SERVICE_CATEGORY_LABELS = dict(SERVICE_CATEGORIES)

SERVICE_TIMES = [("weekday", "工作日"), ("weekend", "双休日"), ("holiday", "节假日")]
SERVICE_TIME_LABELS = dict(SERVICE_TIMES)


def labels(codes, table) -> str:
    mapping = dict(table)
    return "、".join(mapping.get(code, code) for code in codes or [])
