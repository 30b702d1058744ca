"""The volunteer import template: its columns, drop-downs and instructions (seed 003 annex, issue section 6)."""

from itertools import combinations

from jinguo.core.ids import ID_TYPES
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES
from jinguo.orgs.imports.base import ImportColumn

from .. import choices

SHEET_TITLE = "志愿者信息"
RESIDENCE_HEADER = "所属社区（村）"
TEAM_HEADER = "加入队伍编号"


def _combinations(labels: list[str]) -> list[str]:
    """Every non-empty combination, for a drop-down on a multi-choice field with few options."""
    found = []
    for size in range(1, len(labels) + 1):
        found.extend("、".join(combo) for combo in combinations(labels, size))
    return found


CATEGORY_LABELS = [label for _code, label in SERVICE_CATEGORIES]
TIME_LABELS = [label for _code, label in SERVICE_TIMES]
HONOUR_LABELS = [label for _code, label in choices.HONOURS]

COLUMNS = [
    ImportColumn("name", "姓名", required=True, aliases=("真实姓名",), width=10),
    ImportColumn(
        "id_type",
        "证件类型",
        choices=[label for _code, label in ID_TYPES],
        width=16,
        note="留空视为居民身份证",
    ),
    ImportColumn(
        "id_number",
        "证件号码",
        required=True,
        aliases=("身份证号", "身份证号码", "公民身份号码"),
        text=True,
        width=22,
        note="居民身份证须为 18 位，末位可为 X；请保持“文本”格式，否则 Excel 会把末几位变成 0",
    ),
    ImportColumn(
        "phone",
        "手机号",
        required=True,
        aliases=("手机号码", "联系电话", "手机"),
        text=True,
        width=14,
        note="11 位手机号；导入后系统会向此号码发送短信，请本人确认登记",
    ),
    ImportColumn("ethnicity", "民族", choices=list(choices.ETHNICITIES), width=10),
    ImportColumn("political_status", "政治面貌", choices=list(choices.POLITICAL_STATUS), width=12),
    ImportColumn("education", "学历", aliases=("文化程度",), choices=list(choices.EDUCATION), width=12),
    ImportColumn("work_unit", "工作单位", width=20),
    ImportColumn("occupation", "职业", width=12),
    ImportColumn("skills", "技能特长", aliases=("特长",), width=18),
    ImportColumn(
        "categories",
        "服务类别",
        aliases=("志愿服务类别",),
        width=26,
        note="可填多项，用“、”分隔；可省略“巾帼”二字，如：法律维权、爱心帮扶；可选：" + "、".join(CATEGORY_LABELS),
    ),
    ImportColumn("other_category", "其他服务类别", width=14, note="服务类别选了“其他”时必填"),
    ImportColumn(
        "availability",
        "可服务时间",
        aliases=("服务时间", "志愿服务时间"),
        choices=_combinations(TIME_LABELS),
        width=18,
    ),
    ImportColumn(
        "force_type",
        "力量类型",
        choices=[label for _code, label in choices.ForceType.choices],
        width=12,
    ),
    ImportColumn(
        "honours",
        "荣誉",
        aliases=("所获荣誉",),
        choices=HONOUR_LABELS,
        width=18,
        note="可填多项，用“、”分隔",
    ),
    ImportColumn("honours_other", "其他荣誉", width=16, note="荣誉选了“其他荣誉”时填写具体名称"),
    ImportColumn(
        "residence",
        RESIDENCE_HEADER,
        aliases=("所属社区", "居住社区", "所在社区（村）", "居住地"),
        width=16,
        note="填写本队伍所在妇联辖区内的社区（村）或街道（乡镇）名称；有重名时写成“街道名/社区名”；"
        "留空则登记在队伍所属的妇联组织",
    ),
    ImportColumn("address", "居住地址", width=24),
    ImportColumn("emergency_contact_name", "紧急联系人", width=10),
    ImportColumn("emergency_contact_phone", "紧急联系人电话", text=True, width=14),
    ImportColumn("wechat_id", "微信号", width=14),
    ImportColumn(
        "team_number",
        TEAM_HEADER,
        aliases=("队伍编号",),
        text=True,
        width=16,
        note="留空则加入导入时选择的队伍；也可填写该队伍下级队伍的编号，直接加入下级队伍",
    ),
]
HEADERS = {column.key: column.header for column in COLUMNS}
LENIENT = ("honours",)

INSTRUCTIONS = [
    "巾帼志愿者批量导入模板 · 填写说明",
    "1. 请在第一个工作表「志愿者信息」中填写，一行一人，从第 2 行开始；不要修改第一行的列名，不要合并单元格。",
    "2. 带 * 的列为必填：姓名、证件号码、手机号。其余列可以留空，也可以删除不用的列。",
    "3. 证件号码、手机号两列已设为“文本”格式，请勿改为数字格式；从其他表格粘贴时请选择“只粘贴值”。",
    "4. 性别和出生日期由身份证号码自动得出，无需填写。未满 14 周岁的人员须由监护人同意，请勿批量导入。",
    "5. 有下拉列表的列请从列表中选择；服务类别、荣誉可填多项，用“、”分隔。",
    "6. 表中不能含有公式；全角数字、多余空格会被自动纠正。",
    "7. 上传后系统先检查并列出每一个有问题的行（行号、列名、原因），确认后才会导入；可以选择只导入没有问题的行。",
    "8. 导入的志愿者状态为“待本人确认”：系统会给本人发短信，本人确认后才正式在册；本人也可以选择“不是我本人”。",
    "9. 个人信息请妥善保管，导入完成后系统会删除上传的文件；请勿通过微信、邮件等渠道传播本表。",
]

EXAMPLE = [
    "张晓丽",
    "居民身份证",
    "350203199001010021（示例号码，请勿使用）",
    "13800000000",
    "汉族",
    "群众",
    "本科",
    "湖滨社区居委会",
    "社区工作者",
    "法律咨询",
    "巾帼法律维权、巾帼爱心帮扶",
    "",
    "双休日、节假日",
    "主体力量",
    "最美家庭",
    "",
    "湖滨社区",
    "湖滨南路 1 号",
    "李明",
    "13900000000",
    "",
    "",
]
