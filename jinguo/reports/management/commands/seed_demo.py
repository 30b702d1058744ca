"""`manage.py seed_demo [--once] [--volunteers N]`: the demo data set that `make run` loads.

Two real federation trees (厦门市 with its six districts, 平顶山市 with its ten counties and districts; streets,
towns, communities and villages are public place names), the two seed alliances with their tiers (鹭岛巾帼志愿联盟,
平顶山市巾帼志愿服务总队), teams in every filing state, an open yearly report, and a few hundred volunteers who
are entirely synthetic (`jinguo.core.synthetic`: invented names, ID numbers with a valid check character).

The service-hour loop in 思明区, for the demo accounts `leader` (陈丽华) and `volunteer` (林晓燕): three activities
that finished in the past weeks, with sign-ups, check-ins by code and by roster, a no-show and the service records
they produced (counted: the volunteers confirmed their registrations, R25); three upcoming ones (one in two shifts
with a waitlist, one risky with an insurance policy and sign-ups waiting for the leader, one open to everyone);
and a 志愿服务记录证明 issued to 林晓燕 that verifies at /v/<code>/.

Supply and demand in 思明区 (`_demo_demands`): service menus, needs in every state from 待审核 to 已评价 (one with a
complaint, one flagged 空巢/独居老人, one overdue and escalated), a dispatch rule, and two care pairings (结对), one
led by 林晓燕 with a past visit, one with its visit overdue.

Everything is written through the services, so counters, numbers and the audit trail are what real use produces.
The demo accounts share one published password: they exist only here, never in settings, and the command
refuses to run under production settings.
"""

import contextlib
import datetime
import os
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from stdnum.cn import uscc

from jinguo.activities import checkin, qr
from jinguo.activities import services as activity_services
from jinguo.activities.choices import ApprovalMode, Audience, Campaign, CheckMethod
from jinguo.activities.models import Activity, SignUp
from jinguo.certificates import services as certificate_services
from jinguo.certificates.models import Certificate
from jinguo.core import synthetic
from jinguo.hours.models import ServiceRecord
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import NodeKind, Role
from jinguo.orgs.models import Node, ReportingYear, Team
from jinguo.volunteers import services as vol_services
from jinguo.volunteers.choices import HONOURS, MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Membership, Volunteer

from ._demo_demands import DemandsDemo

User = get_user_model()

DEMO_PASSWORD = "Jinguo@2026"  # noqa: S105 - published on purpose: demo data only
DEMO_VOLUNTEER_PHONE = "13800002026"

# username, display name, role, where. `demo_accounts` prints this table; the README lists it.
DEMO_ACCOUNTS = [
    ("admin", "平台管理员", "平台管理员（超级用户）", "全平台"),
    ("xm_admin", "厦门市妇联管理员", "妇联管理员（可查看完整个人信息）", "厦门市妇联"),
    ("sm_admin", "思明区妇联管理员", "妇联管理员", "思明区妇联"),
    ("pds_admin", "平顶山市妇联管理员", "妇联管理员", "平顶山市妇联"),
    ("leader", "陈丽华", "队长（服务队）", "思明区巾帼志愿服务队"),
    ("volunteer", "林晓燕", f"志愿者（也可用手机号 {DEMO_VOLUNTEER_PHONE} 登录）", "本人"),
    ("staff", "思明区妇联工作人员", "妇联工作人员（只读）", "思明区妇联"),
]

# ---- the federation trees: (district node name, GB/T 2260 code, [(street or town, [communities or villages])]) --

# fmt: off
XIAMEN = [
    ("思明区妇联", "350203", [
        ("筼筜街道", ["湖滨社区", "金榜社区", "南湖社区"]),
        ("莲前街道", ["前埔北社区", "瑞景社区"]),
        ("中华街道", ["中华社区", "霞溪社区"]),
        ("鹭江街道", ["海岸社区", "大同社区"]),
    ]),
    ("海沧区妇联", "350205", [
        ("海沧街道", ["海虹社区", "海发社区"]),
        ("新阳街道", ["新阳社区", "祥露社区"]),
        ("嵩屿街道", ["石塘社区", "海农社区"]),
    ]),
    ("湖里区妇联", "350206", [
        ("湖里街道", ["塘边社区", "湖里社区"]),
        ("殿前街道", ["高殿社区", "殿前社区"]),
        ("禾山街道", ["枋湖社区", "后埔社区"]),
        ("金山街道", ["金山社区", "金湖社区"]),
    ]),
    ("集美区妇联", "350211", [
        ("集美街道", ["岑西社区", "孙厝社区"]),
        ("侨英街道", ["叶厝社区", "兑山社区"]),
        ("杏林街道", ["杏北社区", "杏西社区"]),
        ("灌口镇", ["灌口社区", "双岭村"]),
    ]),
    ("同安区妇联", "350212", [
        ("大同街道", ["东山社区", "碧岳社区"]),
        ("祥平街道", ["祥平社区", "阳翟社区"]),
        ("五显镇", ["五显村", "三秀山村"]),
    ]),
    ("翔安区妇联", "350213", [
        ("新店街道", ["新店社区", "洪前社区"]),
        ("马巷街道", ["马巷社区", "巷北社区"]),
        ("大嶝街道", ["大嶝社区", "田墘社区"]),
    ]),
]

PINGDINGSHAN = [
    ("新华区妇联", "410402", [
        ("西市场街道", ["西市场社区", "光华社区"]),
        ("中兴路街道", ["中兴路社区", "建新社区"]),
        ("焦店镇", ["焦店村", "孙庄村"]),
    ]),
    ("卫东区妇联", "410403", [
        ("东安路街道", ["东安路社区", "矿工路社区"]),
        ("优越路街道", ["优越路社区", "光华路社区"]),
        ("建设路街道", ["建设路社区", "五一路社区"]),
    ]),
    ("石龙区妇联", "410404", [("龙河街道", ["龙河社区", "夏庄村"]), ("高庄街道", ["高庄社区", "人和村"])]),
    ("湛河区妇联", "410411", [
        ("马庄街道", ["马庄社区", "张庄村"]),
        ("南环路街道", ["南环路社区", "联盟路社区"]),
        ("曹镇乡", ["曹镇村", "柳林村"]),
    ]),
    ("宝丰县妇联", "410421", [
        ("城关镇", ["东大街社区", "西大街社区"]),
        ("周庄镇", ["马街村", "周庄村"]),
        ("杨庄镇", ["杨庄村", "马川村"]),
    ]),
    ("叶县妇联", "410422", [("昆阳街道", ["文化路社区", "南大街社区"]), ("仙台镇", ["仙台村", "李庄村"])]),
    ("鲁山县妇联", "410423", [("琴台街道", ["琴台社区", "东关社区"]), ("下汤镇", ["下汤村", "林楼村"])]),
    ("郏县妇联", "410425", [("龙山街道", ["龙山社区", "东关社区"]), ("堂街镇", ["临沣寨村", "堂街村"])]),
    ("舞钢市妇联", "410481", [("垭口街道", ["垭口社区", "朱兰社区"]), ("寺坡街道", ["寺坡社区", "张庄社区"])]),
    ("汝州市妇联", "410482", [
        ("煤山街道", ["煤山社区", "向阳社区"]),
        ("风穴路街道", ["风穴路社区", "望嵩社区"]),
        ("临汝镇", ["临汝村", "东营村"]),
    ]),
]
# fmt: on


# ---- the teams ------------------------------------------------------------------------------------------------


@dataclass
class T:
    """One demo team: where its members live (`area`, a federation node name), and how far its filing got."""

    name: str
    state: str = "filed"  # draft / submitted / filed / returned
    members: int = 5  # active members placed in it when volunteers are registered
    categories: list[str] = field(default_factory=lambda: ["care"])
    features: str = ""
    area: str = ""  # blank: the parent's area
    return_reason: str = ""
    registered: bool = False  # a registered social organisation with a 统一社会信用代码
    children: list["T"] = field(default_factory=list)


# fmt: off
XIAMEN_TEAMS = {
    "厦门市妇联": [
        T("厦门市巾帼志愿服务总队", members=6, categories=["care", "culture"],
          features="“鹭岛巾帼志愿联盟”一级组织，设在市妇联宣传部，统筹指导全市巾帼志愿服务。", children=[
            T("市妇联法律维权巾帼志愿服务队", members=8, categories=["legal"],
              features="婚姻家庭纠纷调解、反家暴法律咨询、妇女儿童维权热线值守。", children=[
                T("法律维权巾帼志愿服务思明分队", members=5, categories=["legal"], area="思明区妇联", children=[
                    T("思明区婚姻家庭调解小队", members=6, categories=["legal", "family"],
                      features="社区婚姻家庭纠纷调解，每周六上午驻点。"),
                ]),
            ]),
            T("三八红旗集体志愿服务队", state="submitted", members=10, categories=["care", "culture"],
              features="全国、省、市级“三八红旗集体”联合组建，开展关爱空巢老人和留守儿童活动。"),
            T("巾帼文明岗志愿服务队", state="returned", members=7, categories=["etiquette"],
              return_reason="请补充负责人职务和服务特色，并核对成立时间后重新提交。"),
            T("市妇联机关巾帼志愿服务队", state="draft", members=5, categories=["care", "culture"]),
            T("厦门市巾帼家庭服务中心志愿服务队", members=6, categories=["family", "health"], registered=True,
              features="女性社会组织，提供家庭教育指导和母婴保健咨询。"),
        ]),
    ],
    "思明区妇联": [
        T("思明区巾帼志愿服务队", members=8, categories=["care", "legal", "family"],
          features="思明区妇联牵头，覆盖全区街道、社区的巾帼志愿服务。", children=[
            T("筼筜街道巾帼志愿服务分队", members=6, area="筼筜街道", children=[
                T("湖滨社区关爱空巢老人小队", members=8, categories=["care", "health"],
                  features="结对辖区空巢老人，每周上门探访、代购代办。"),
                T("金榜社区文明礼仪小队", state="submitted", members=6, categories=["etiquette"]),
            ]),
            T("莲前街道巾帼志愿服务分队", state="submitted", members=5, area="莲前街道", children=[
                T("前埔北社区家庭教育小队", state="draft", members=3, categories=["family"],
                  features="筹建中：家庭教育讲座和亲子阅读。"),
                T("瑞景社区护绿环保小队", state="returned", members=5, categories=["green"],
                  return_reason="小队成员名单与登记表不一致，请核对后重新提交。"),
            ]),
        ]),
        T("思明区三八红旗手巾帼志愿服务队", state="draft", members=4, categories=["culture", "tech"]),
    ],
    "湖里区妇联": [
        T("湖里区巾帼志愿服务队", members=6, children=[
            T("殿前街道巾帼志愿服务分队", state="submitted", members=5, area="殿前街道", children=[
                T("高殿社区护绿环保小队", members=6, categories=["green"]),
            ]),
        ]),
    ],
    "集美区妇联": [
        T("集美区巾帼志愿服务队", members=5, categories=["culture"], children=[
            T("侨英街道巾帼志愿服务分队", state="draft", members=4, area="侨英街道"),
        ]),
    ],
    "海沧区妇联": [T("海沧区巾帼志愿服务队", state="submitted", members=5, categories=["green", "care"])],
    "同安区妇联": [T("同安区巾帼志愿服务队", members=5, categories=["tech", "business"])],
    "翔安区妇联": [T("翔安区巾帼志愿服务队", state="draft", members=3, categories=["care"])],
}

PINGDINGSHAN_TEAMS = {
    "平顶山市妇联": [
        T("平顶山市巾帼志愿服务总队", members=5, categories=["care", "etiquette"],
          features="设在市妇联，队长由市妇联主管领导兼任；各县（市、区）妇联、市直机关妇委会组建分队。", children=[
            T("市直机关巾帼志愿服务分队", members=6, categories=["etiquette", "culture"], children=[
                T("市妇联机关家庭教育小队", members=6, categories=["family"]),
            ]),
            T("卫东区巾帼志愿服务分队", members=5, area="卫东区妇联", children=[
                T("卫东区东安路街道文明礼仪小队", members=7, categories=["etiquette"], area="东安路街道",
                  features="文明礼仪进社区、进校园，公交站点文明劝导。"),
                T("卫东区优越路街道爱心帮扶小队", state="submitted", members=6, area="优越路街道"),
                T("卫东区建设路街道禁毒防艾小队", state="draft", members=3, categories=["drugs"], area="建设路街道",
                  features="筹建中：禁毒防艾宣传。"),
            ]),
            T("新华区巾帼志愿服务分队", members=4, area="新华区妇联", children=[
                T("新华区西市场街道法律维权小队", members=6, categories=["legal"], area="西市场街道"),
            ]),
            T("湛河区巾帼志愿服务分队", state="submitted", members=4, area="湛河区妇联", children=[
                T("湛河区马庄街道卫生保健小队", state="submitted", members=5, categories=["health"], area="马庄街道"),
            ]),
            T("宝丰县巾帼志愿服务分队", members=4, area="宝丰县妇联", children=[
                T("宝丰县周庄镇巾帼科技培训小队", members=6, categories=["tech", "business"], area="周庄镇",
                  features="马街书会期间开展巾帼科技培训和电商直播指导。"),
                T("宝丰县城关镇文化宣传小队", state="returned", members=5, categories=["culture"], area="城关镇",
                  return_reason="服务类别与服务特色描述不一致，请修改。"),
            ]),
            T("叶县巾帼志愿服务分队", state="draft", members=3, area="叶县妇联", children=[
                T("叶县昆阳街道家庭教育小队", state="draft", members=5, categories=["family"], area="昆阳街道"),
            ]),
            T("鲁山县巾帼志愿服务分队", members=4, area="鲁山县妇联", children=[
                T("鲁山县下汤镇护绿环保小队", members=5, categories=["green"], area="下汤镇"),
            ]),
            T("郏县巾帼志愿服务分队", state="submitted", members=3, area="郏县妇联", children=[
                T("郏县堂街镇创业指导小队", state="draft", members=4, categories=["business"], area="堂街镇"),
            ]),
            T("舞钢市巾帼志愿服务分队", state="draft", members=3, area="舞钢市妇联"),
            T("汝州市巾帼志愿服务分队", members=4, area="汝州市妇联", children=[
                T("汝州市煤山街道爱心帮扶小队", members=5, categories=["care"], area="煤山街道"),
            ]),
            T("石龙区巾帼志愿服务分队", state="draft", members=2, area="石龙区妇联"),
        ]),
    ],
}

SKILLS = ["法律咨询", "心理疏导", "家庭教育", "医疗护理", "文艺表演", "摄影摄像", "手工编织", "电脑培训", "应急救护",
          "手语", "烹饪", "书法绘画", "财务会计", "直播电商", "中医推拿", "英语翻译"]
WORK_UNITS = ["社区居委会", "街道办事处", "市第一医院", "实验小学", "区人民法院", "律师事务所", "银行网点", "超市",
              "自由职业", "退休", "家政服务公司", "幼儿园", "电商企业", "村委会"]
OCCUPATIONS = ["社区工作者", "教师", "医生", "护士", "律师", "会计", "个体经营者", "退休人员", "公司职员", "农民",
               "学生", "公务员"]
EDUCATIONS = ["初中", "高中/中专", "大专", "本科", "本科", "硕士研究生"]
POLITICAL = ["群众", "群众", "中共党员", "中共党员", "共青团员", "民主党派"]
FORCE_TYPES = ["main", "main", "main", "leading", "professional", "backbone", "social"]
CATEGORY_CODES = ["tech", "legal", "health", "culture", "care", "green", "family", "drugs", "business", "etiquette"]
TIMES = ["weekday", "weekend", "holiday"]
# fmt: on


# ---- the service-hour loop --------------------------------------------------------------------------------------


@contextlib.contextmanager
def clock_at(moment: datetime.datetime):
    """Django's clock reads `moment` inside the block: the loop's past is played through the real services.

    The services check the time (no publishing once an activity has ended, no sign-up after the deadline, check-in
    only around the shift, no record of the future), so the finished activities are published, signed up for and
    checked in at the times those things happened. `django.utils.timezone.now` asks its module's `datetime` class
    for the time, and every service and every `default=timezone.now` field goes through it; only that reference is
    replaced, for this process and this block. (The check-in codes use the real clock, `time.time`: a code made
    here is read here a moment later.)"""

    class Replayed(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz is not None else timezone.make_naive(moment)

    with mock.patch.object(timezone, "datetime", Replayed):
        yield


@dataclass
class Outing:
    """One activity of the loop. Days are relative to today (negative: finished). Each shift: (name, start, end,
    places) with "HH:MM" times."""

    title: str
    category: str
    content: str
    address: str
    day: int
    shifts: list[tuple[str, str, str, int]]
    point: tuple[str, str] | None = None  # latitude, longitude of the place: self check-ins must be near it
    site: str = ""
    audience: str = Audience.TEAM
    approval: str = ApprovalMode.AUTO
    campaign: str = ""
    risky: bool = False
    skills: str = ""
    risks: str = "活动中注意交通安全和防暑防滑，听从队长安排。"
    protection: str = "队长全程在场并保持电话畅通，现场配备急救包。"


# fmt: off
HUBIN, JINBANG, YUNDANG_LAKE = ("24.480000", "118.090000"), ("24.476200", "118.101300"), ("24.486800", "118.098000")

FINISHED = [
    Outing("湖滨社区空巢老人上门探访", "care",
           "两人一组上门探访辖区空巢、独居老人：陪伴聊天、测量血压、代购生活用品，记下老人的需求。",
           "湖滨社区党群服务中心（集合）", -18, [("", "09:00", "11:30", 8)], point=HUBIN, site="湖滨社区空巢老人",
           risks="入户时注意防滑、防跌倒；不替老人保管钱物。",
           protection="两人一组同行，出发前培训入户礼仪；队长全程电话联络，现场配备急救包。"),
    Outing("反家暴法律知识进社区宣传", "legal",
           "在社区广场设咨询台，发放《反家庭暴力法》宣传册，解答婚姻家庭法律问题，登记需要后续帮助的居民。",
           "金榜社区文化广场", -11, [("", "14:30", "17:00", 8)], point=JINBANG, audience=Audience.SUBTREE,
           skills="有法律或调解经验者优先"),
    Outing("筼筜湖畔文明劝导与垃圾分类宣传", "green",
           "在湖畔步道劝导不文明行为，向游客和居民讲解垃圾分类，捡拾步道垃圾。",
           "筼筜湖白鹭洲公园东门", -4, [("", "09:00", "11:00", 6)], point=YUNDANG_LAKE),
]

UPCOMING = [
    Outing("学雷锋志愿服务：湖滨社区义诊与健康咨询", "health",
           "配合社区卫生服务站为居民量血压、测血糖，讲解慢病用药常识；志愿者负责引导、登记和秩序维护。",
           "湖滨社区卫生服务站门前广场", 5,
           [("上午场", "08:30", "11:30", 5), ("下午场", "14:00", "17:00", 5)], point=HUBIN,
           site="湖滨社区卫生服务站", audience=Audience.SUBTREE, campaign=Campaign.LEIFENG,
           skills="有医护经验者优先，无经验者负责引导登记"),
    Outing("筼筜湖岸线清洁与防溺水宣传", "green",
           "清理湖岸线和步道垃圾，向带孩子的家长发放防溺水宣传单。",
           "筼筜湖白鹭洲公园东门", 9, [("", "08:30", "11:30", 10)], point=YUNDANG_LAKE,
           approval=ApprovalMode.MANUAL, campaign=Campaign.VOLUNTEER, risky=True,
           risks="湖岸湿滑，有落水危险；户外高温，可能中暑。",
           protection="参加者均已投保意外险；现场配备救生圈、救生衣和急救包；不下水作业，队长每半小时清点人数。"),
    Outing("周末亲子阅读·家庭教育小课堂", "family",
           "带领社区亲子家庭共读绘本，穿插家庭教育小讲座；志愿者负责分组陪读和签到。",
           "湖滨社区妇女之家", 12, [("", "09:30", "11:30", 15)], point=HUBIN, audience=Audience.PUBLIC),
]
# fmt: on
LOOP_TEAM = "思明区巾帼志愿服务队"


@dataclass
class Plan:
    """One volunteer to register: where she lives, the team staff register her into, whether she confirms."""

    home: Node
    region_code: str
    team: Node | None
    confirm: bool


class DemoBuilder:
    def __init__(self, *, seed: int, volunteers: int, out):
        self.rng = random.Random(seed)
        self.total = volunteers
        self.out = out
        self.nodes: dict[str, Node] = {}  # federation nodes by name (unique within the demo tree)
        self.codes: dict[int, str] = {}  # node pk -> region code of its district
        self.teams: dict[str, Team] = {}
        self.specs: dict[str, T] = {}
        self.team_area: dict[str, str] = {}
        self.users: dict[str, object] = {}
        self.used_phones = {DEMO_VOLUNTEER_PHONE}
        self.used_ids: set[str] = set()
        self.password_hash = make_password(DEMO_PASSWORD)
        self.today = timezone.localdate()

    # -- helpers --------------------------------------------------------------------------------------------------
    def phone(self) -> str:
        while True:
            value = synthetic.mobile(self.rng)
            if value not in self.used_phones:
                self.used_phones.add(value)
                return value

    def communities_in(self, area: str) -> list[Node]:
        root = self.nodes[area]
        return [n for n in self.nodes.values() if n.kind == NodeKind.COMMUNITY and n.path.startswith(root.path)]

    def user(self, username: str, display_name: str, *, phone: str | None = None, superuser: bool = False):
        user = User(
            username=username,
            display_name=display_name,
            phone=phone,
            is_superuser=superuser,
            is_staff=superuser,
            password=self.password_hash,
        )
        user.save()
        self.users[username] = user
        return user

    # -- the trees ------------------------------------------------------------------------------------------------
    def build_tree(self) -> None:
        admin = self.user("admin", "平台管理员", superuser=True)
        create = org_services.node_create
        national = create(actor=admin, parent=None, name="全国妇联", kind=NodeKind.NATIONAL)
        # The tier names are set at the city; a team registered at a district takes the tier below the city's
        # 总队 by default (Xiamen's district 服务队, see orgs.selectors.tier_choices), sub-teams the tier below theirs.
        for province, pcode, city, ccode, tiers, districts in (
            ("福建省妇联", "350000", "厦门市妇联", "350200", "总队,服务队,分队,小队", XIAMEN),
            ("河南省妇联", "410000", "平顶山市妇联", "410400", "总队,分队,小队", PINGDINGSHAN),
        ):
            p = create(actor=admin, parent=national, name=province, kind=NodeKind.PROVINCE, code=pcode)
            c = create(actor=admin, parent=p, name=city, kind=NodeKind.CITY, code=ccode, team_tier_names=tiers)
            self.nodes.update({province: p, city: c})
            for district, dcode, streets in districts:
                d = create(actor=admin, parent=c, name=district, kind=NodeKind.DISTRICT, code=dcode)
                self.nodes[district] = d
                self.codes[d.pk] = dcode
                for street, communities in streets:
                    s = create(actor=admin, parent=d, name=street, kind=NodeKind.STREET)
                    self.nodes.setdefault(street, s)
                    for community in communities:
                        n = create(actor=admin, parent=s, name=community, kind=NodeKind.COMMUNITY)
                        self.nodes[f"{street}/{community}"] = n
                        self.codes[n.pk] = dcode

    def build_accounts(self) -> None:
        admin = self.users["admin"]
        for username, display, node_name, role, personal in (
            ("xm_admin", "厦门市妇联管理员", "厦门市妇联", Role.FEDERATION_ADMIN, True),
            ("sm_admin", "思明区妇联管理员", "思明区妇联", Role.FEDERATION_ADMIN, False),
            ("pds_admin", "平顶山市妇联管理员", "平顶山市妇联", Role.FEDERATION_ADMIN, False),
            ("staff", "思明区妇联工作人员", "思明区妇联", Role.FEDERATION_STAFF, False),
        ):
            user = self.user(username, display)
            org_services.role_grant(
                actor=admin, user=user, role=role, node=self.nodes[node_name], personal_data=personal
            )

    def team_data(self, spec: T, area: Node, unit: str, level: str, leader_name: str | None = None) -> dict:
        rng = self.rng
        area_code = "592" if area.path.startswith(self.nodes["厦门市妇联"].path) else "375"
        data = {
            "unit_name": unit,
            "level": level,
            "founded_on": datetime.date(
                rng.choice([2016, 2017, 2018, 2019, 2021, 2023]), rng.randint(1, 12), rng.randint(1, 28)
            ),
            "leader_name": leader_name or synthetic.name(rng),
            "leader_position": rng.choice(["主席", "副主席", "执委", "社区妇联主席", "队长"]),
            "leader_phone": self.phone(),
            "leader_wechat": f"jg{rng.randrange(10**6, 10**7)}",
            "phone": f"0{area_code}-{rng.randrange(2000000, 8999999)}",
            "address": f"{area.name}党群服务中心",
            "service_categories": spec.categories,
            "service_times": sorted(rng.sample(TIMES, rng.randint(1, 3)), key=TIMES.index),
            "service_features": spec.features or f"围绕{area.name}群众需求开展巾帼志愿服务。",
            "awards": rng.choice(["", "", "市级优秀巾帼志愿服务队", "区级巾帼文明岗"]),
        }
        if spec.registered:
            body = f"51350200{rng.randrange(10**8, 10**9)}"
            data.update({"is_registered": True, "credit_code": body + uscc.calc_check_digit(body)})
        if spec.state == "returned" and spec.return_reason.startswith("请补充负责人职务"):
            data["leader_position"] = ""
        return data

    def build_teams(self) -> None:
        city_admins = {"厦门市妇联": "xm_admin", "平顶山市妇联": "pds_admin"}
        for city, table in (("厦门市妇联", XIAMEN_TEAMS), ("平顶山市妇联", PINGDINGSHAN_TEAMS)):
            for federation_name, specs in table.items():
                actor = self.users["sm_admin" if federation_name == "思明区妇联" else city_admins[city]]
                parent = self.nodes[federation_name]
                for spec in specs:
                    self._team(spec, parent, actor, area=federation_name)

    def _team(self, spec: T, parent: Node, actor, *, area: str) -> None:
        area = spec.area or area
        area_node = self.nodes[area]
        level = {NodeKind.CITY: "city", NodeKind.DISTRICT: "district"}.get(area_node.kind, "street")
        unit_name = area_node.name if area_node.name.endswith("妇联") else f"{area_node.name}妇联"
        leader_name = "陈丽华" if spec.name == "思明区巾帼志愿服务队" else None
        data = self.team_data(spec, area_node, unit_name, level, leader_name)
        if parent.is_team:  # a sub-team is not older than its parent
            data["founded_on"] = max(data["founded_on"], parent.team.founded_on)
        team = org_services.team_create(
            actor=actor,
            parent=parent,
            name=spec.name,
            data=data,
            backbone=[
                {
                    "name": synthetic.name(self.rng),
                    "position": "骨干",
                    "phone": self.phone(),
                    "work_unit": self.rng.choice(WORK_UNITS),
                }
                for _ in range(self.rng.randint(1, 3))
            ],
        )
        self.teams[spec.name] = team
        self.specs[spec.name] = spec
        self.team_area[spec.name] = area
        for child in spec.children:
            self._team(child, team.node, actor, area=area)

    # -- volunteers -----------------------------------------------------------------------------------------------
    def plan_volunteers(self) -> list[Plan]:
        places = sum(spec.members for spec in self.specs.values())
        if self.total < places + 10:
            raise CommandError(f"--volunteers 至少为 {places + 10}（演示队伍共需 {places} 名队员）。")
        plans = []
        for name, spec in self.specs.items():
            homes = self.communities_in(self.team_area[name])
            for _ in range(spec.members):
                home = self.rng.choice(homes)
                plans.append(Plan(home, self.codes[home.pk], self.teams[name].node, True))
        # The rest live across both cities (more of them in 思明区) and have not joined a team yet.
        xiamen = self.communities_in("厦门市妇联")
        siming = self.communities_in("思明区妇联")
        pds = self.communities_in("平顶山市妇联")
        while len(plans) < self.total:
            home = self.rng.choice(self.rng.choice([xiamen, siming, pds, pds]))
            plans.append(Plan(home, self.codes[home.pk], None, True))
        self.rng.shuffle(plans)
        return plans

    def raw(self, plan: Plan) -> dict:
        rng = self.rng
        sex = "M" if rng.random() < 0.1 else "F"
        born = synthetic.birth_date(rng, 18, 72, today=self.today)
        while True:
            number = synthetic.id_number(rng, plan.region_code, born, sex)
            if number not in self.used_ids:
                self.used_ids.add(number)
                break
        phone = self.phone()
        honours = []
        force = rng.choice(FORCE_TYPES)
        if force == "backbone" or rng.random() < 0.08:
            honours = rng.sample([code for code, _ in HONOURS if code != "other"], rng.randint(1, 2))
        raw = {
            "name": synthetic.name(rng, sex),
            "id_type": "resident",
            "id_number": number,
            "phone": phone,
            "ethnicity": rng.choice(["汉族"] * 12 + ["回族", "畲族", "满族"]),
            "political_status": rng.choice(POLITICAL),
            "education": rng.choice(EDUCATIONS),
            "work_unit": rng.choice(WORK_UNITS),
            "occupation": rng.choice(OCCUPATIONS),
            "skills": "、".join(rng.sample(SKILLS, rng.randint(1, 3))),
            "categories": rng.sample(CATEGORY_CODES, rng.randint(1, 3)),
            "availability": rng.sample(TIMES, rng.randint(1, 3)),
            "force_type": force,
            "honours": honours,
            "address": f"{plan.home.name}{rng.randint(1, 60)}号",
            "emergency_contact_name": synthetic.name(rng, rng.choice("FM")),
            "emergency_contact_phone": self.phone(),
        }
        if rng.random() < 0.3:
            raw["wechat_id"] = f"jgzy_{rng.randrange(10**5, 10**6)}"
        return raw

    def registrar(self, plan: Plan):
        """Who types her paper form in: the leader for his own teams, otherwise the district or city admin."""
        if plan.team is not None and plan.team.path.startswith(self.teams["思明区巾帼志愿服务队"].node.path):
            return self.users["leader"]
        if plan.home.path.startswith(self.nodes["思明区妇联"].path) and plan.team is None:
            return self.users["sm_admin"]
        if plan.home.path.startswith(self.nodes["平顶山市妇联"].path):
            return self.users["pds_admin"]
        return self.users["xm_admin"]

    def build_volunteers(self) -> list[Volunteer]:
        leader = self.user("leader", "陈丽华", phone=self.phone())
        org_services.role_grant(
            actor=self.users["sm_admin"],
            user=leader,
            role=Role.TEAM_LEADER,
            node=self.teams["思明区巾帼志愿服务队"].node,
        )
        plans = self.plan_volunteers()
        # The demo volunteer: a confirmed member of a 思明区 小队, living in 湖滨社区; she takes one of its places.
        squad = self.teams["湖滨社区关爱空巢老人小队"].node
        me = Plan(self.nodes["筼筜街道/湖滨社区"], "350203", squad, True)
        plans[next(i for i, plan in enumerate(plans) if plan.team == squad)] = me
        # One in eight stays 待本人确认 (entered by staff, not yet confirmed by herself: R25). The first is a
        # record the leader entered, which the person named in it will deny (see build_dispute).
        siming = self.teams["思明区巾帼志愿服务队"].node
        pending = [next(plan for plan in plans if plan.team == siming)]
        pending += [plan for plan in plans if plan is not me and plan is not pending[0]][: len(plans) // 8 - 1]
        for plan in pending:
            plan.confirm = False
        created = []
        consents = ["personal", "sensitive", "sharing"]
        for index, plan in enumerate(plans):
            raw = self.raw(plan)
            if plan is me:
                raw.update({"name": "林晓燕", "phone": DEMO_VOLUNTEER_PHONE, "skills": "家庭教育、手工编织"})
            volunteer = vol_services.volunteer_create_by_staff(
                actor=self.registrar(plan), raw=raw, home_node=plan.home, team=plan.team, notify=False
            )
            if plan.confirm:
                if plan is me:
                    account = self.user("volunteer", "林晓燕", phone=DEMO_VOLUNTEER_PHONE)
                else:
                    account = self.user(volunteer.phone, volunteer.name, phone=volunteer.phone)
                volunteer = vol_services.volunteer_confirm(
                    volunteer=volunteer, phone=volunteer.phone, password=None, consents=consents, user=account
                )
            created.append(volunteer)
            if index and index % 100 == 0:
                self.out.write(f"  已登记志愿者 {index} 名……")
        return created

    def build_applications(self, volunteers: list[Volunteer]) -> None:
        """Confirmed volunteers ask to join a team near them; the 思明区 leader has accepted two of six so far."""
        siming_team = self.teams["思明区巾帼志愿服务队"].node
        siming = self.nodes["思明区妇联"].path
        members = set(Membership.objects.filter(team=siming_team).values_list("volunteer_id", flat=True))
        applicants = [
            v
            for v in volunteers
            if v.user_id
            and v.status == VolunteerStatus.ACTIVE
            and v.home_node.path.startswith(siming)
            and v.pk not in members
            and v.user.username != "volunteer"
        ][:6]
        for index, volunteer in enumerate(applicants):
            membership = vol_services.membership_apply(
                actor=volunteer.user, team=siming_team, note="希望参加周末的志愿服务活动。"
            )
            if index < 2:
                vol_services.membership_approve(actor=self.users["leader"], membership=membership)
        # Elsewhere, volunteers not yet in any team ask to join one that covers where they live.
        in_teams = set(Membership.objects.values_list("volunteer_id", flat=True))
        targets = [t.node for t in self.teams.values() if t.tier <= 2]
        teamless = [v for v in volunteers if v.user_id and v.status == VolunteerStatus.ACTIVE and v.pk not in in_teams]
        for volunteer in teamless[:30]:
            near = [t for t in targets if volunteer.home_node.path.startswith(self._federation_path(t))]
            if near:
                vol_services.membership_apply(
                    actor=volunteer.user, team=self.rng.choice(near), note="希望就近参加志愿服务。"
                )
        # The demo volunteer has also asked to join her street's 分队.
        me = Volunteer.objects.get(user__username="volunteer")
        vol_services.membership_apply(
            actor=me.user, team=self.teams["筼筜街道巾帼志愿服务分队"].node, note="想参加街道的家庭教育活动。"
        )

    def _federation_path(self, team_node: Node) -> str:
        area = self.nodes[self.team_area[team_node.name]]
        return area.path

    # -- filing, yearly report, a dispute -------------------------------------------------------------------------
    def filer_and_submitter(self, team: Team):
        path = team.node.path
        if path.startswith(self.nodes["思明区妇联"].path):
            leader_team = self.teams["思明区巾帼志愿服务队"].node.path
            submitter = self.users["leader"] if path.startswith(leader_team) else self.users["sm_admin"]
            return self.users["sm_admin"], submitter
        if path.startswith(self.nodes["厦门市妇联"].path):
            return self.users["xm_admin"], self.users["xm_admin"]
        return self.users["pds_admin"], self.users["pds_admin"]

    def build_filings(self) -> None:
        for name, team in self.teams.items():
            spec = self.specs[name]
            if spec.state == "draft":
                continue
            filer, submitter = self.filer_and_submitter(team)
            team = org_services.team_submit(actor=submitter, team=team)
            if spec.state == "filed":
                org_services.team_file(actor=filer, team=team)
            elif spec.state == "returned":
                org_services.team_return(actor=filer, team=team, reason=spec.return_reason)

    def build_reports(self) -> ReportingYear:
        xm = self.users["xm_admin"]
        year = org_services.reporting_year_open(
            actor=xm,
            node=self.nodes["厦门市妇联"],
            year=self.today.year,
            deadline=self.today + datetime.timedelta(days=45),
        )
        figures = {
            "思明区巾帼志愿服务队": ("confirmed", 1260.5, "开展“邻里守望·姐妹相助”主题活动，结对空巢老人 36 户。"),
            "筼筜街道巾帼志愿服务分队": ("submitted", 420.0, "湖滨片区每周六文明劝导，服务居民 800 余人次。"),
            "市妇联法律维权巾帼志愿服务队": ("returned", 980.0, "开展婚姻家庭纠纷调解 120 余次。"),
            "湖里区巾帼志愿服务队": ("draft", 300.0, ""),
        }
        for name, (state, hours, highlights) in figures.items():
            team = self.teams[name]
            filer, submitter = self.filer_and_submitter(team)
            data = {
                "new_members": self.rng.randint(3, 20),
                "activity_count": self.rng.randint(12, 60),
                "service_hours": hours,
                "people_served": self.rng.randint(300, 3000),
                "highlights": highlights,
            }
            report = org_services.annual_report_save(actor=submitter, reporting_year=year, team=team, data=data)
            if state == "draft":
                continue
            report = org_services.annual_report_submit(actor=submitter, report=report)
            if state == "confirmed":
                org_services.annual_report_confirm(actor=filer, report=report)
            elif state == "returned":
                org_services.annual_report_return(
                    actor=filer, report=report, reason="服务时长与活动记录不符，请核对后重新提交。"
                )
        return year

    def build_dispute(self) -> None:
        """One registration she says was never hers (R25): frozen, and reported to 思明区妇联, the level above."""
        volunteer = (
            Volunteer.objects.filter(
                status=VolunteerStatus.PENDING, registered_via=self.teams["思明区巾帼志愿服务队"].node
            )
            .order_by("pk")
            .first()
        )
        vol_services.volunteer_deny(
            volunteer=volunteer, phone=volunteer.phone, reason="我从未参加过这支队伍，也没有填写过登记表。"
        )

    # -- the service-hour loop -----------------------------------------------------------------------------------
    def at(self, day: int, hhmm: str) -> datetime.datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        date = self.today + datetime.timedelta(days=day)
        return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())

    def loop_people(self) -> list[Volunteer]:
        """林晓燕 and twelve other members of the leader's team or its sub-teams who confirmed their registration
        (hours of unconfirmed people are held, R25) and have an account to sign up with."""
        team = self.teams[LOOP_TEAM].node
        me = Volunteer.objects.select_related("user").get(user__username="volunteer")
        others = (
            Volunteer.objects.filter(
                status=VolunteerStatus.ACTIVE,
                user__isnull=False,
                memberships__status=MembershipStatus.ACTIVE,
                memberships__team__path__startswith=team.path,
            )
            .exclude(pk=me.pk)
            .distinct()
            .select_related("user")
            .order_by("pk")
        )
        return [me, *others[:12]]

    def publish(self, spec: Outing, *, published_at: datetime.datetime) -> Activity:
        leader, team = self.users["leader"], self.teams[LOOP_TEAM].node
        first, last = self.at(spec.day, spec.shifts[0][1]), self.at(spec.day, spec.shifts[-1][2])
        data = {
            "title": spec.title,
            "category": spec.category,
            "content": spec.content,
            "address": spec.address,
            "latitude": Decimal(spec.point[0]) if spec.point else None,
            "longitude": Decimal(spec.point[1]) if spec.point else None,
            "geofence_m": 500 if spec.point else None,
            "service_site": spec.site,
            "start_at": first,
            "end_at": last,
            "capacity": sum(row[3] for row in spec.shifts),
            "skills_required": spec.skills,
            "approval_mode": spec.approval,
            "signup_deadline": first - datetime.timedelta(hours=16),  # the evening before
            "risk_statement": spec.risks,
            "protection": spec.protection,
            "is_risky": spec.risky,
            "audience": spec.audience,
            "campaign": spec.campaign,
        }
        shifts = None
        if len(spec.shifts) > 1:
            shifts = [
                {"name": name, "start_at": self.at(spec.day, a), "end_at": self.at(spec.day, b), "capacity": places}
                for name, a, b, places in spec.shifts
            ]
        with clock_at(published_at):
            activity = activity_services.activity_create(actor=leader, organiser=team, data=data, shifts=shifts)
            return activity_services.activity_publish(actor=leader, activity=activity)

    def sign_up(self, activity: Activity, people: list[Volunteer], *, shift=None) -> list[SignUp]:
        """They sign up one after another, from two hours after the activity was published."""
        shift = shift or activity.shifts.get()
        signups = []
        for index, volunteer in enumerate(people):
            moment = activity.published_at + datetime.timedelta(hours=2 + 4 * index, minutes=self.rng.randint(0, 50))
            with clock_at(moment):
                signups.append(activity_services.signup_create(actor=volunteer.user, shift=shift))
        return signups

    def position(self, activity: Activity) -> dict:
        """Where her phone says she is: within about 100 m of the place (the geofence is 500 m)."""
        return {
            "latitude": str(activity.latitude + Decimal(self.rng.randint(-900, 900)) / 1_000_000),
            "longitude": str(activity.longitude + Decimal(self.rng.randint(-900, 900)) / 1_000_000),
        }

    def serve(self, activity: Activity, *, by_code, by_roster, absent=(), early=()) -> None:
        """The day itself: most check in and out with the code on the leader's screen (with their position), the
        leader ticks those without a phone on the roster after the shift (R27: marked as entered by someone else),
        and marks who never came."""
        leader, shift = self.users["leader"], activity.shifts.get()
        minutes = datetime.timedelta(minutes=1)
        for volunteer in by_code:
            with clock_at(shift.start_at - self.rng.randint(2, 15) * minutes):
                checkin.check_in(
                    actor=volunteer.user,
                    activity=activity,
                    volunteer=volunteer,
                    method=CheckMethod.CODE,
                    token=qr.numeric_code(activity.pk, qr.IN),
                    **self.position(activity),
                )
        for volunteer in by_code:
            leaving = (
                shift.end_at - 55 * minutes if volunteer in early else shift.end_at + self.rng.randint(1, 12) * minutes
            )
            with clock_at(leaving):
                checkin.check_out(
                    actor=volunteer.user,
                    activity=activity,
                    volunteer=volunteer,
                    method=CheckMethod.CODE,
                    token=qr.numeric_code(activity.pk, qr.OUT),
                    **self.position(activity),
                )
        with clock_at(shift.end_at + 25 * minutes):
            for volunteer in by_roster:
                checkin.check_in(
                    actor=leader,
                    activity=activity,
                    volunteer=volunteer,
                    method=CheckMethod.ROSTER,
                    shift=shift,
                    at=shift.start_at,
                )
                checkin.check_out(
                    actor=leader,
                    activity=activity,
                    volunteer=volunteer,
                    method=CheckMethod.ROSTER,
                    shift=shift,
                    at=shift.end_at,
                )
            for signup in SignUp.objects.filter(activity=activity, volunteer__in=list(absent)):
                activity_services.signup_mark_no_show(actor=leader, signup=signup)

    def build_service_loop(self) -> None:
        """F5-F7 in 思明区: the leader's team runs activities; 林晓燕 and twelve others serve; she gets a certificate."""
        leader, team = self.users["leader"], self.teams[LOOP_TEAM].node
        me, *p = self.loop_people()
        now = timezone.now()

        # Three activities of the past weeks, played at their own times: published eight days before, signed up for,
        # checked in on the day. Twenty counted records for twelve people.
        crews = [
            ([me, *p[0:7]], {"by_code": [me, *p[0:5]], "by_roster": [p[5]], "absent": [p[6]]}),
            (
                [me, p[2], p[5], *p[7:11]],
                {"by_code": [p[2], p[5], *p[7:10]], "by_roster": [me, p[10]], "early": [p[8]]},
            ),
            ([p[0], p[1], p[3], p[4], p[7], p[11]], {"by_code": [p[0], p[1], p[3], p[4], p[11]], "by_roster": [p[7]]}),
        ]
        for spec, (crew, days) in zip(FINISHED, crews, strict=True):
            activity = self.publish(spec, published_at=self.at(spec.day - 8, "10:00"))
            self.sign_up(activity, crew)
            self.serve(activity, **days)

        # The accident insurance the risky activity needs (R10), bought for the team's active volunteers.
        with clock_at(now - datetime.timedelta(days=3)):
            activity_services.policy_create(
                actor=leader,
                holder=team,
                volunteers=[me, *p],
                data={
                    "insurer": "鹭安财产保险股份有限公司厦门分公司",
                    "policy_number": f"PEAC{self.today.year}35020300128",
                    "starts_on": self.today - datetime.timedelta(days=20),
                    "ends_on": self.today + datetime.timedelta(days=344),
                    "note": "巾帼志愿者团体意外伤害保险（演示数据）",
                },
            )
        # Three upcoming ones, published two days ago: two shifts with a waitlist, a risky one the leader approves
        # sign-ups for (林晓燕's still waits), one open to every volunteer.
        published = now - datetime.timedelta(days=2)
        clinic, lakeside, reading = (self.publish(spec, published_at=published) for spec in UPCOMING)
        morning, afternoon = clinic.shifts.order_by("start_at")
        self.sign_up(clinic, [me, *p[0:5]], shift=morning)  # five places: the sixth waits
        self.sign_up(clinic, p[5:8], shift=afternoon)
        waiting = self.sign_up(lakeside, [*p[1:6], me])
        with clock_at(now - datetime.timedelta(hours=1)):
            for signup in waiting[:4]:
                activity_services.signup_approve(actor=leader, signup=signup)
        self.sign_up(reading, p[8:10])

        # Her certificate, issued by the team from her counted records (R14, R18).
        certificate_services.certificate_issue(actor=leader, volunteer=me, issuer=team)
        self.out.write(
            f"  服务时长闭环：活动 {Activity.objects.filter(organiser=team).count()} 个，"
            f"服务记录 {ServiceRecord.objects.filter(organiser=team).count()} 条，"
            f"证明 {Certificate.objects.filter(issuer=team).count()} 份。"
        )

    def build(self) -> None:
        self.build_tree()
        self.build_accounts()
        self.build_teams()
        volunteers = self.build_volunteers()
        self.build_applications(volunteers)
        self.build_filings()
        self.build_reports()
        self.build_dispute()
        self.build_service_loop()
        DemandsDemo(self, clock_at).build()


def demo_exists() -> bool:
    return User.objects.filter(username__in=[row[0] for row in DEMO_ACCOUNTS]).exists()


class Command(BaseCommand):
    help = "载入演示数据：厦门市、平顶山市的组织树、两个巾帼志愿联盟的队伍、合成的志愿者和演示账号。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="已有数据时什么也不做（make run 使用）")
        parser.add_argument("--volunteers", type=int, default=400, help="合成志愿者人数（默认 400）")
        parser.add_argument("--seed", type=int, default=2026, help="随机数种子（同一种子生成相同的数据）")

    def handle(self, *args, once: bool, volunteers: int, seed: int, **options):
        if os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production"):
            raise CommandError("生产环境不能载入演示数据（演示账号使用公开密码）。")
        if demo_exists() or Node.objects.exists():
            if once:
                self.stdout.write("数据库中已有数据，不再载入演示数据。")
                return
            raise CommandError("数据库中已有数据。演示数据只能载入空数据库；如只想在首次运行时载入，请加 --once。")
        started = time.monotonic()
        self.stdout.write("正在载入演示数据（全部为合成数据，不含真实人员信息）……")
        # The demo's residents and volunteers have invented phone numbers: the texts the services send them (review
        # answers, reminders) are kept in memory, not printed over the start-up output or sent to a gateway.
        with override_settings(SMS_BACKEND="jinguo.core.sms.MemorySmsBackend"), transaction.atomic():
            DemoBuilder(seed=seed, volunteers=volunteers, out=self.stdout).build()
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已载入：组织 {Node.objects.exclude(kind=NodeKind.TEAM).count()} 个，"
                f"队伍 {Team.objects.count()} 支，志愿者 {Volunteer.objects.count()} 名，"
                f"队伍成员关系 {Membership.objects.filter(status=MembershipStatus.ACTIVE).count()} 条"
                f"（用时 {time.monotonic() - started:.1f} 秒）。"
            )
        )
