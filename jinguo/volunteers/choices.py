from django.db import models

from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES

__all__ = ["SERVICE_CATEGORIES", "SERVICE_TIMES"]


class VolunteerStatus(models.TextChoices):
    PENDING = "pending", "待本人确认"
    ACTIVE = "active", "在册"
    FROZEN = "frozen", "已冻结（本人否认）"
    WITHDRAWN = "withdrawn", "已退出"


class Source(models.TextChoices):
    SELF = "self", "本人注册"
    STAFF = "staff", "工作人员录入"
    IMPORT = "import", "批量导入"


class Sex(models.TextChoices):
    FEMALE = "F", "女"
    MALE = "M", "男"


class ForceType(models.TextChoices):
    """The five forces of seed 004 item 4."""

    MAIN = "main", "主体力量"  # women in general
    LEADING = "leading", "主导力量"  # federation cadres and executive committee members
    PROFESSIONAL = "professional", "专业力量"
    BACKBONE = "backbone", "骨干力量"  # 三八红旗手, 最美家庭 …
    SOCIAL = "social", "社会力量"


POLITICAL_STATUS = [
    "中共党员",
    "中共预备党员",
    "共青团员",
    "民主党派",
    "无党派人士",
    "群众",
]

EDUCATION = ["小学及以下", "初中", "高中/中专", "大专", "本科", "硕士研究生", "博士研究生"]

# The 56 ethnic groups (GB/T 3304) and a catch-all.
ETHNICITIES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "其他",
]

# Honours that make a woman part of the backbone force (seed 004 item 4, seed 002 二(六)). Codes are stable.
HONOURS = [
    ("sanba", "三八红旗手"),
    ("jianggong", "巾帼建功标兵"),
    ("wenminggang", "巾帼文明岗成员"),
    ("weiquan", "维护妇女儿童权益先进个人"),
    ("zhifu", "致富女带头人"),
    ("zuimei", "最美家庭"),
    ("wuhao", "五好家庭"),
    ("youxiu", "优秀志愿者"),
    ("other", "其他荣誉"),
]
HONOUR_LABELS = dict(HONOURS)


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", "申请中"
    ACTIVE = "active", "在队"
    REJECTED = "rejected", "未通过"
    LEFT = "left", "已退出"
    REMOVED = "removed", "已移出"


OPEN_MEMBERSHIP = (MembershipStatus.APPLIED, MembershipStatus.ACTIVE)


class ConsentKind(models.TextChoices):
    PERSONAL = "personal", "个人信息处理"
    SENSITIVE = "sensitive", "敏感个人信息（身份证号码）"
    SHARING = "sharing", "向全国志愿服务信息系统报送"
    GUARDIAN = "guardian", "监护人同意"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "待处理"
    UPHELD = "upheld", "已核实，归还本人"
    REJECTED = "rejected", "已驳回"


class DisputeKind(models.TextChoices):
    NOT_ME = "not_me", "本人否认登记"
    CLAIM = "claim", "身份证号被他人占用"


AGE_BANDS = [
    ("u18", "18岁以下", 0, 17),
    ("18-35", "18-35岁", 18, 35),
    ("36-45", "36-45岁", 36, 45),
    ("46-60", "46-60岁", 46, 60),
    ("60+", "60岁以上", 61, 150),
]
