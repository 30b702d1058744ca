"""Scope-coverage registry of the volunteer pages (every volunteers:* URL except the import and roster-export
ones, which their own registry lists). See tests/routes.py for the Route fields and tests/test_scope_coverage.py
for the `extra` keys.

Targets lie inside 思明区. Staff lists and forms without an object in the URL are each user's own (her scope only);
the phone flows (register, confirm, claim) are public and guarded by a phone proved in the session; "me" pages show
whoever is logged in her own record.
"""

from django.core import signing

from tests.routes import Route

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的内容"
OWN_RECORD = "本人的页面：每个登录用户看到的都是自己的志愿者档案（没有档案的看到提示）"
CARD_SALT = "jinguo.volunteers.card"  # as in views.common.CARD_SALT


def district_names(t) -> list[str]:
    return [t.district.name, t.street.name, t.community.name, t.team.name, t.subteam.name]


def team_names(t) -> list[str]:
    return [t.team.name, t.subteam.name]


def her_user(t):
    return t.volunteer.user


def staff_registration(t) -> dict:
    """An outsider tries to register someone into our team and community (a fresh person, so that an echo of the
    typed input is not mistaken for a leak)."""
    return {
        "name": "越权录入",
        "id_type": "resident",
        "id_number": "350203199001010026",
        "phone": "13912349999",
        "team": t.team.pk,
        "home_node": t.community.pk,
        "skills": "家政",
        "categories": ["care"],
        "availability": ["weekday"],
    }


def edit_data(t) -> dict:
    return {
        "name": "被越权改名",
        "id_type": "resident",
        "home_node": t.community.pk,
        "skills": "越权修改",
        "categories": ["care"],
        "availability": ["weekday"],
    }


def outsider_card_token(t) -> dict:
    # The card check shows the holder's volunteer number by design (it is printed on her card). The entry points at
    # the outsider volunteer's card, so the leak check proves it shows nothing of anyone else, and her own ID number
    # and phone are listed as secrets below (not her name: logged in, she sees it in the navbar; the masked name on
    # the card is checked in test_ui_me).
    return {"token": signing.Signer(salt=CARD_SALT).sign(t.outsider_volunteer.number)}


def outsider_card_secrets(t) -> list[str]:
    v = t.outsider_volunteer
    return [v.decrypt_id_number(), v.id_number_masked, v.phone, v.phone_masked]


ROUTES = [
    # ---- staff: search, registration, records
    Route("volunteers:list", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route(
        "volunteers:create",
        methods=("GET", "POST"),
        data=staff_registration,
        secrets=team_names,
        extra={"outsider_ok": "登记表单：只能登记到本人管辖的队伍和地区"},
    ),
    Route("volunteers:detail", kwargs=lambda t: {"pk": t.volunteer.pk}),
    Route(
        "volunteers:edit",
        kwargs=lambda t: {"pk": t.volunteer.pk},
        methods=("GET", "POST"),
        data=edit_data,
    ),
    Route("volunteers:reveal_id", kwargs=lambda t: {"pk": t.volunteer.pk}, methods=("POST",)),
    # ---- team rosters and memberships
    Route("volunteers:team_roster", kwargs=lambda t: {"pk": t.team.pk}, secrets=team_names),
    Route(
        "volunteers:roster_add",
        kwargs=lambda t: {"pk": t.team.pk},
        methods=("POST",),
        data=lambda t: {"volunteer_number": t.applicant.number, "phone": t.applicant.phone},
    ),
    Route("volunteers:membership_approve", kwargs=lambda t: {"pk": t.application.pk}, methods=("POST",)),
    Route(
        "volunteers:membership_reject",
        kwargs=lambda t: {"pk": t.application.pk},
        methods=("POST",),
        data=lambda t: {"reason": "越权拒绝"},
    ),
    Route(
        "volunteers:membership_remove",
        kwargs=lambda t: {"pk": t.membership.pk},
        methods=("POST",),
        data=lambda t: {"reason": "越权移出"},
    ),
    Route(
        "volunteers:membership_backbone",
        kwargs=lambda t: {"pk": t.membership.pk},
        methods=("POST",),
        data=lambda t: {"backbone": "1"},
    ),
    # ---- identity disputes
    Route("volunteers:dispute_list", secrets=district_names, extra={"outsider_ok": OWN_SCOPE}),
    Route(
        "volunteers:dispute_detail",
        kwargs=lambda t: {"pk": t.dispute.pk},
        methods=("GET", "POST"),
        data=lambda t: {"upheld": "1", "resolution": "越权处理"},
        secrets=lambda t: [t.dispute.claimant_phone, t.dispute.reason],
    ),
    # ---- her own registration, confirmation (R25) and claim (R26): public, the phone is proved by a code
    Route("volunteers:register", public="注册第一步：任何人都可以用手机验证码开始注册"),
    Route("volunteers:register_details", public="注册第二步：只对在本会话中验证过手机号的人开放"),
    Route("volunteers:claim", public="证件号码被占用申诉：任何人验证手机号后可以提出"),
    Route("volunteers:confirm_start", public="确认登记第一步：任何人都可以用手机验证码开始"),
    Route("volunteers:confirm_list", public="只列出本会话中验证过的手机号名下的待确认登记"),
    Route(
        "volunteers:confirm_record",
        kwargs=lambda t: {"pk": t.pending_volunteer.pk},
        public="只对本会话中验证过该登记手机号的人开放，否则转到第一步",
    ),
    Route(
        "volunteers:confirm_deny",
        kwargs=lambda t: {"pk": t.pending_volunteer.pk},
        methods=("GET", "POST"),
        data=lambda t: {"reason": "冒充否认"},
        public="只对本会话中验证过该登记手机号的人开放，否则转到第一步",
    ),
    Route("volunteers:region_options", public="居住地级联选择：只含妇联组织名称（公开信息），不含队伍和个人"),
    Route("volunteers:id_check", public="证件号码格式提示：只检查格式和出生日期，不查询是否已登记"),
    # ---- her own pages
    Route("volunteers:me", extra={"outsider_ok": OWN_RECORD, "owner": her_user}),
    Route("volunteers:me_card", extra={"outsider_ok": OWN_RECORD, "owner": her_user}),
    Route("volunteers:me_edit", extra={"outsider_ok": OWN_RECORD, "owner": her_user}),
    Route("volunteers:me_consent", extra={"outsider_ok": OWN_RECORD, "owner": her_user}),
    Route(
        "volunteers:me_export",
        methods=("POST",),
        # Each logged-in volunteer downloads her own record, and the download is audited: an audit entry is the
        # one change it makes, so it is listed as public (only the leak check applies).
        public="本人数据下载：只能下载登录者本人的档案，每次下载记入审计日志",
    ),
    Route("volunteers:membership_leave", kwargs=lambda t: {"pk": t.membership.pk}, methods=("POST",)),
    Route("volunteers:team_search", extra={"outsider_ok": "队伍目录：公开招募的队伍，对所有登录用户相同"}),
    Route(
        "volunteers:team_apply",
        # Any volunteer may ask to join any team (teams recruit in public). The entry points at team_b, which the
        # outsider volunteer is already in, so that no outsider's request can add a row.
        kwargs=lambda t: {"pk": t.team_b.pk},
        methods=("POST",),
        extra={"outsider_ok": "申请加入公开招募的队伍：只能以本人身份申请"},
    ),
    Route(
        "volunteers:card_check",
        kwargs=outsider_card_token,
        secrets=outsider_card_secrets,
        public="志愿者证扫码核验：只显示隐去部分的姓名、编号、状态和队伍；签名防止遍历编号",
    ),
]
