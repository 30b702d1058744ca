"""The supply-and-demand part of the demo data set (issue 4: 点单 → 派单 → 接单 → 评估, service menus, 结对), in
思明区 for the demo accounts `sm_admin`, `leader` (陈丽华) and `volunteer` (林晓燕). Used by `seed_demo`.

Everything is played through the services of `jinguo.demands` at the moment it happened (`clock_at`), so the time
limits, the ledger's rules and the cached figures are what real use produces:
- the leader's team publishes service menus; a resident orders from one;
- needs in every state: waiting for review, rejected with a reason, open, open for claiming (抢单), dispatched by a
  rule and waiting for the leader's answer, accepted (flagged 空巢/独居老人: its details are masked for those not
  serving it, R23), delivered and waiting for the requester's rating (her tracking code is printed by
  `demo_accounts`), rated and reviewed, rated low with a complaint being handled, and one nobody accepted in time
  (reminded and escalated to its street by the sweep);
- two care recipients: a many-to-one pairing led by 林晓燕 with a past visit (its service records in the ledger),
  and a one-to-one pairing whose visit is overdue.
Service records come out counted: the volunteers confirmed their registrations and each record is entered the day
it happened, by check-in and check-out or by the leader's roster.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from jinguo.core import synthetic
from jinguo.demands import services_care, services_delivery, services_dispatch, services_feedback, services_needs
from jinguo.demands.care_models import CareCategory, PairingFrequency, PairingKind
from jinguo.demands.choices import EvaluationReview, NeedStatus
from jinguo.demands.models import Need
from jinguo.volunteers.choices import MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Volunteer

# The resident whose need waits for her rating: `demo_accounts` prints its tracking code with this phone.
DEMO_RESIDENT_PHONE = "13900002026"
MENU_TEAM = "思明区巾帼志愿服务队"
SQUAD = "湖滨社区关爱空巢老人小队"
HUBIN = ("24.480000", "118.090000")  # where her phone says she is at 湖滨社区 (the activities' point)


def demo_resident_need() -> Need | None:
    """The demo need that waits for the resident's rating (for `demo_accounts`)."""
    return Need.objects.filter(requester_phone=DEMO_RESIDENT_PHONE, status=NeedStatus.DELIVERED).first()


class DemandsDemo:
    """Builds the issue-4 demo on top of a `DemoBuilder` that has built the trees, teams, volunteers and accounts."""

    def __init__(self, builder, clock_at):
        self.b = builder
        self.clock_at = clock_at
        self.now = timezone.now()
        self.resident = AnonymousUser()  # she posts and rates on the public pages, without an account
        self.sm_admin, self.leader = builder.users["sm_admin"], builder.users["leader"]
        self.team = builder.teams[MENU_TEAM].node
        self.squad = builder.teams[SQUAD].node
        self.me = Volunteer.objects.select_related("user").get(user__username="volunteer")

    # -- helpers --------------------------------------------------------------------------------------------------
    def community(self, street: str, name: str):
        return self.b.nodes[f"{street}/{name}"]

    def ago(self, **delta) -> datetime.datetime:
        return self.now - datetime.timedelta(**delta)

    def at(self, day: int, hhmm: str) -> datetime.datetime:
        return self.b.at(day, hhmm)

    def members(self, team, *, exclude=()) -> list[Volunteer]:
        """Active members of the team itself who confirmed their registration and have an account."""
        return list(
            Volunteer.objects.filter(
                status=VolunteerStatus.ACTIVE,
                user__isnull=False,
                memberships__team=team,
                memberships__status=MembershipStatus.ACTIVE,
            )
            .exclude(pk__in=[v.pk for v in exclude])
            .select_related("user")
            .distinct()
            .order_by("pk")
        )

    def post(self, when, *, street, community, data, proxy=False, **review) -> Need:
        """She posts (on the help page, her phone proved by its SMS code) or staff enter it for her; `review`
        (`at=`, `accept=`, `reason=`, `claimable=`) is the community's answer (R8)."""
        data = {"requester_name": synthetic_name(self.b), "requester_phone": self.b.phone(), **data}
        with self.clock_at(when):
            need = services_needs.need_create(
                actor=self.sm_admin if proxy else self.resident,
                data=data,
                node=self.community(street, community),
                proxy=proxy,
                phone_proved=not proxy,
            )
        if review:
            with self.clock_at(review.pop("at")):
                need = services_needs.need_review(actor=self.sm_admin, need=need, **review)
        return need

    def dispatch_and_accept(self, need: Need, *, when, accepted, team=None, volunteer=None):
        with self.clock_at(when):
            assignment = services_dispatch.need_dispatch(actor=self.sm_admin, need=need, team=team, volunteer=volunteer)
        with self.clock_at(accepted):
            actor = self.leader if team is not None else volunteer.user
            return services_dispatch.assignment_accept(actor=actor, assignment=assignment)

    def roster(self, need: Need, crew: list[Volunteer], *, day: int, start: str, end: str, summary: str) -> None:
        """The leader ticks who served on the list the same evening, then closes the need out."""
        with self.clock_at(self.at(day, end) + datetime.timedelta(minutes=40)):
            services_delivery.delivery_roster(
                actor=self.leader, need=need, volunteers=crew, purpose="in", at=self.at(day, start)
            )
            outcomes = services_delivery.delivery_roster(
                actor=self.leader, need=need, volunteers=crew, purpose="out", at=self.at(day, end)
            )
            failed = [o.message for o in outcomes if not o.ok]
            if failed:  # the demo must show served needs, not a refusal swallowed by the roster
                raise RuntimeError("；".join(failed))
            services_delivery.closeout_submit(actor=self.leader, need=need, summary=summary)

    # -- the parts ------------------------------------------------------------------------------------------------
    def build_menus(self) -> dict:
        siming = self.b.nodes["思明区妇联"]
        items = {}
        with self.clock_at(self.at(-30, "10:00")):
            for key, team, data in (
                ("care", self.team, {
                    "category": "care", "title": "独居老人代购代办",
                    "content": "为行动不便的独居、空巢老人代购生活用品和药品，代办缴费等事务。",
                    "area": siming, "service_times": ["weekday", "weekend"], "time_note": "工作日和周末白天",
                    "monthly_capacity": 20,
                }),
                ("legal", self.team, {
                    "category": "legal", "title": "婚姻家庭纠纷调解咨询",
                    "content": "律师、调解员志愿者上门或电话解答婚姻家庭法律问题，协助调解家庭纠纷。",
                    "area": siming, "service_times": ["weekend"], "time_note": "每周六上午 9:00–11:30",
                    "monthly_capacity": 8,
                }),
                ("family", self.team, {
                    "category": "family", "title": "家庭教育指导（亲子沟通）",
                    "content": "家庭教育志愿者上门或在妇女之家为家长提供亲子沟通、作业习惯等方面的指导。",
                    "area": siming, "service_times": ["weekday", "weekend"], "time_note": "工作日晚上、周末",
                    "monthly_capacity": 10,
                }),
                ("visit", self.squad, {
                    "category": "care", "title": "空巢老人上门陪伴探访",
                    "content": "两人一组上门陪老人聊天、测量血压，了解老人的生活需要。",
                    "area": self.b.nodes["筼筜街道"], "service_times": ["weekend"], "time_note": "每周六上午",
                    "monthly_capacity": 12,
                }),
            ):
                items[key] = services_needs.menu_item_create(actor=self.leader, team=team, data=data)
        return items

    def build_needs(self, menus: dict) -> dict:
        b, needs = self.b, {}
        with self.clock_at(self.at(-20, "09:00")):
            # Legal needs of 思明区 go straight to the leader's team (it runs the legal-aid stand).
            services_dispatch.rule_create(
                actor=self.sm_admin,
                data={"node": b.nodes["思明区妇联"], "category": "legal", "team": self.team, "is_active": True},
            )

        # Rated 5 and reviewed: ordered from the menu by a mother, served by two members on a Saturday afternoon.
        with self.clock_at(self.at(-16, "19:20")):
            need = services_needs.menu_order(
                actor=self.resident, item=menus["family"], node=self.community("筼筜街道", "南湖社区"),
                phone_proved=True,
                data={
                    "description": "孩子上初二，最近不愿和家里说话、作业拖拉，想请家庭教育老师上门指导一下。",
                    "address": "南湖社区南湖路 6 号 502 室", "preferred_date": b.today - datetime.timedelta(days=13),
                    "preferred_time": "周末下午", "requester_name": synthetic_name(b), "requester_phone": b.phone(),
                },
            )
        with self.clock_at(self.at(-15, "09:10")):
            need = services_needs.need_review(actor=self.sm_admin, need=need, accept=True)
        self.dispatch_and_accept(need, team=self.team, when=self.at(-15, "09:20"), accepted=self.at(-15, "12:05"))
        crew = self.members(self.team)
        self.roster(need, crew[:2], day=-13, start="14:00", end="16:00",
                    summary="两名志愿者上门与家长、孩子分别谈话，约定每天固定作业时间，推荐了亲子沟通读本。")
        with self.clock_at(self.at(-12, "10:15")):
            evaluation = services_feedback.evaluation_submit(
                actor=self.resident, need=need, rating=5, phone=need.requester_phone,
                comment="老师很耐心，孩子愿意听，谢谢妇联！",
            )
        with self.clock_at(self.at(-11, "09:00")):
            services_feedback.evaluation_review(actor=self.sm_admin, evaluation=evaluation, review=EvaluationReview.CONFIRMED)
        needs["evaluated"] = need

        # Rated 2 by staff for her over the phone, and her complaint, taken in hand by the district.
        need = self.post(
            self.at(-10, "09:30"), street="筼筜街道", community="金榜社区", proxy=True,
            data={
                "category": "care", "description": "老人下周二要到医院复查，子女在外地，需要有人陪同挂号、取药。",
                "address": "金榜社区金榜路 18 号 301 室", "preferred_date": b.today - datetime.timedelta(days=8),
                "preferred_time": "上午",
            },
            at=self.at(-10, "10:00"), accept=True,
        )
        self.dispatch_and_accept(need, team=self.team, when=self.at(-10, "10:10"), accepted=self.at(-10, "15:00"))
        self.roster(need, crew[2:4], day=-8, start="09:00", end="11:30",
                    summary="陪同老人到医院复查，代为挂号、取药，送老人回家。")
        with self.clock_at(self.at(-7, "15:30")):
            services_feedback.evaluation_submit(
                actor=self.sm_admin, need=need, rating=2, by_requester=False,
                comment="老人电话反映：志愿者迟到近四十分钟，差点错过复查时间。",
            )
            complaint = services_feedback.complaint_create(
                actor=self.resident, need=need, phone=need.requester_phone,
                text="约好 8 点半到，志愿者 9 点多才来，也没有提前打电话说明，差点耽误复查。",
            )
        with self.clock_at(self.at(-6, "09:00")):
            services_feedback.complaint_handle(
                actor=self.sm_admin, complaint=complaint, note="已联系队长了解情况，正在核实。"
            )
        needs["complaint"] = need

        # Delivered by 林晓燕 herself, waiting for the resident's rating (her tracking code is printed).
        need = self.post(
            self.at(-5, "08:40"), street="筼筜街道", community="湖滨社区",
            data={
                "category": "care", "description": "家里老人腿脚不方便，想请人帮忙到超市买米、油和日用品，送到家里。",
                "address": "湖滨社区湖滨一里 3 号楼 402 室", "preferred_date": b.today - datetime.timedelta(days=3),
                "preferred_time": "上午", "requester_name": "王阿姨", "requester_phone": DEMO_RESIDENT_PHONE,
            },
            at=self.at(-5, "09:30"), accept=True,
        )
        self.dispatch_and_accept(need, volunteer=self.me, when=self.at(-5, "09:40"), accepted=self.at(-5, "12:10"))
        here = {"latitude": Decimal(HUBIN[0]), "longitude": Decimal(HUBIN[1])}
        with self.clock_at(self.at(-3, "09:02")):
            services_delivery.delivery_check_in(actor=self.me.user, need=need, volunteer=self.me, **here)
        with self.clock_at(self.at(-3, "10:48")):
            services_delivery.delivery_check_out(actor=self.me.user, need=need, volunteer=self.me, **here)
            services_delivery.closeout_submit(
                actor=self.me.user, need=need,
                summary="到超市代购大米、食用油和日用品，送货上门并帮老人整理好，老人很满意。",
            )
        needs["delivered"] = need

        # Accepted, not served yet: an old woman living alone (R23: her details reach only those serving her).
        need = self.post(
            self.at(-2, "10:00"), street="筼筜街道", community="湖滨社区", proxy=True,
            data={
                "category": "care", "description": "独居老人，子女在国外，近来行动不便，希望每周有人上门帮忙打扫、陪伴说话。",
                "address": "湖滨社区湖滨二里 7 号楼 101 室", "preferred_date": b.today + datetime.timedelta(days=2),
                "preferred_time": "周六上午", "vulnerable_flags": ["elderly_alone"],
            },
            at=self.at(-2, "10:30"), accept=True,
            public_summary="湖滨社区一位独居老人需要每周上门打扫、陪伴（周六上午）",
        )
        self.dispatch_and_accept(need, team=self.squad, when=self.at(-2, "11:00"), accepted=self.ago(hours=20))
        needs["accepted"] = need

        # Nobody accepted in time: open for four and a half days (the sweep below reminds and escalates it).
        needs["overdue"] = self.post(
            self.ago(days=4, hours=14), street="中华街道", community="霞溪社区", proxy=True,
            data={
                "category": "health", "description": "老人患糖尿病，想请懂医护的志愿者上门讲讲饮食和用药注意事项。",
                "address": "霞溪社区霞溪路 22 号 203 室", "preferred_time": "工作日上午",
            },
            at=self.ago(days=4, hours=12), accept=True,
        )
        # Open, waiting for dispatch; and one open for claiming (抢单) by volunteers of 思明区.
        needs["open"] = self.post(
            self.ago(hours=26), street="莲前街道", community="瑞景社区",
            data={
                "category": "family", "description": "孩子上小学三年级，放学后没人辅导作业，想找志愿者每周辅导两次。",
                "address": "瑞景社区瑞景新村 15 号 602 室", "preferred_time": "工作日傍晚",
            },
            at=self.ago(hours=20), accept=True,
        )
        needs["claimable"] = self.post(
            self.ago(hours=5), street="筼筜街道", community="湖滨社区",
            data={
                "category": "tech", "description": "想学用智能手机和外地的孩子视频通话，还想学手机挂号。",
                "address": "湖滨社区湖滨四里 9 号 205 室", "preferred_date": b.today + datetime.timedelta(days=3),
                "preferred_time": "下午",
            },
            at=self.ago(hours=2), accept=True, claimable=True,
            public_summary="湖滨社区一位老人想学用智能手机视频通话、手机挂号（下午）",
        )
        # Dispatched by the legal rule the moment it was accepted: the leader has not answered yet.
        needs["dispatched"] = self.post(
            self.ago(hours=6), street="筼筜街道", community="金榜社区",
            data={
                "category": "legal", "description": "和丈夫因为房子的事闹离婚，想咨询一下财产怎么分、孩子抚养权的问题。",
                "address": "金榜社区金榜公园北门附近", "preferred_time": "周末",
            },
            at=self.ago(hours=3), accept=True,
        )
        # Rejected with a reason that reached her (R8), and one waiting for review.
        needs["rejected"] = self.post(
            self.at(-6, "20:10"), street="鹭江街道", community="大同社区",
            data={
                "category": "other", "other_category": "楼道维修", "description": "楼道的灯坏了一个月，楼上还漏水，希望有人来修。",
                "address": "大同社区大同路 108 号", "preferred_time": "",
            },
            at=self.at(-5, "09:00"), accept=False,
            reason="您反映的是楼道照明和漏水维修，属于物业服务范围，社区已转告小区物业服务中心，请直接与物业联系。",
        )
        needs["submitted"] = self.post(
            self.ago(minutes=90), street="筼筜街道", community="南湖社区",
            data={
                "category": "health", "description": "母亲中风后在家康复，想请人教一教在家怎么做康复训练。",
                "address": "南湖社区南湖路 30 号 1101 室", "preferred_time": "周末上午", "urgency": "urgent",
            },
        )
        return needs

    def build_care(self) -> dict:
        b, hubin = self.b, self.community("筼筜街道", "湖滨社区")
        partner, *others = self.members(self.squad, exclude=[self.me])
        elder_name, child_name, grandma = synthetic_name(b), synthetic_name(b, "M"), synthetic_name(b)
        with self.clock_at(self.at(-31, "10:00")):
            elder = services_care.recipient_create(actor=self.sm_admin, node=hubin, data={
                "name": elder_name, "sex": "F", "birth_year": b.today.year - 81, "category": CareCategory.EMPTY_NEST,
                "phone": b.phone(), "address": "湖滨社区湖滨一里 5 号楼 203 室",
                "notes": "女儿在外地工作；高血压，每天服药；耳朵有些背，说话要大声。",
                "consent_by": elder_name, "consent_relation": "本人",
            })
            child = services_care.recipient_create(actor=self.sm_admin, node=hubin, data={
                "name": child_name, "sex": "M", "birth_year": b.today.year - 9, "category": CareCategory.LEFT_BEHIND,
                "address": "湖滨社区湖滨三里 12 号 405 室", "guardian_name": grandma, "guardian_relation": "祖母",
                "guardian_phone": b.phone(), "notes": "父母在外省务工，与祖母同住；数学跟不上，喜欢画画。",
                "consent_by": grandma, "consent_relation": "祖母",
            })
        # The child's pairing started a month ago, fortnightly, and nobody has visited yet: overdue.
        with self.clock_at(self.at(-30, "10:30")):
            lapsed = services_care.pairing_create(
                actor=self.sm_admin, recipient=child, organiser=self.squad, kind=PairingKind.ONE_TO_ONE,
                volunteers=[others[0]], start_date=b.today - datetime.timedelta(days=30),
                frequency=PairingFrequency.BIWEEKLY, plan_note="每两周上门一次，辅导作业、陪伴阅读。",
            )
        # 林晓燕 leads the weekly visits to the old woman; she logged the last one herself the same morning.
        with self.clock_at(self.at(-12, "10:00")):
            pairing = services_care.pairing_create(
                actor=self.sm_admin, recipient=elder, organiser=self.squad, kind=PairingKind.MANY_TO_ONE,
                volunteers=[self.me, partner], lead=self.me, start_date=b.today - datetime.timedelta(days=12),
                frequency=PairingFrequency.WEEKLY, plan_note="每周六上午上门探访：陪伴聊天、测量血压、代购生活用品。",
            )
        with self.clock_at(self.at(-6, "11:20")):
            services_care.visit_log_create(
                actor=self.me.user, pairing=pairing, volunteers=[self.me, partner],
                start_at=self.at(-6, "09:30"), end_at=self.at(-6, "11:00"),
                content="陪老人聊天，测量血压 138/85，代购了降压药和蔬菜。", situation="精神不错，血压平稳，最近睡眠不太好。",
            )
        return {"pairing": pairing, "lapsed": lapsed}

    def build(self) -> dict:
        menus = self.build_menus()
        needs = self.build_needs(menus)
        care = self.build_care()
        # What the task worker does every few minutes: remind and escalate overdue needs and visits.
        services_dispatch.sweep()
        services_care.care_sweep()
        siming = self.b.nodes["思明区妇联"].path
        count = Need.objects.filter(node__path__startswith=siming).count()
        self.b.out.write(
            f"  供需对接：服务菜单 {len(menus)} 项，需求 {count} 条，结对 {len(care)} 对"
            f"（待评价需求的查询码 {needs['delivered'].tracking_code}，手机号 {DEMO_RESIDENT_PHONE}）。"
        )
        return {"menus": menus, "needs": needs, "care": care}


def synthetic_name(builder, sex: str = "F") -> str:
    return synthetic.name(builder.rng, sex)
