"""The team import template: the registration fields of both seed forms (seed 002 annex 1, seed 003 annex)."""

from itertools import combinations

from ..choices import SERVICE_CATEGORIES, SERVICE_TIMES, TeamLevel
from .base import ImportColumn

SHEET_TITLE = "队伍信息"
YES_NO = ["是", "否"]


def _combinations(labels: list[str]) -> list[str]:
    found = []
    for size in range(1, len(labels) + 1):
        found.extend("、".join(combo) for combo in combinations(labels, size))
    return found


CATEGORY_LABELS = [label for _code, label in SERVICE_CATEGORIES]
TIME_LABELS = [label for _code, label in SERVICE_TIMES]

COLUMNS = [
    ImportColumn("name", "队伍名称", required=True, width=24, note="同一上级下不能重名；小队建议按“单位+服务特色”命名"),
    ImportColumn(
        "parent",
        "上级队伍",
        aliases=("上级队伍编号",),
        text=True,
        width=18,
        note="留空则设在导入时选择的组织之下；可填写已有队伍的编号，或本表中排在前面的队伍名称",
    ),
    ImportColumn(
        "tier",
        "层级",
        aliases=("队伍层级",),
        width=10,
        note="总队、服务队、分队、小队等（以本地设置的层级名称为准）；留空则按上级自动确定",
    ),
    ImportColumn("unit_name", "所属单位", aliases=("单位名称", "单位"), width=18),
    ImportColumn("level", "队伍级别", choices=[label for _code, label in TeamLevel.choices], width=14),
    ImportColumn("founded_on", "成立时间", aliases=("组建时间", "成立（组建）时间"), width=12, note="如 2016-11-25"),
    ImportColumn("leader_name", "负责人姓名", aliases=("领队姓名", "负责人"), width=10),
    ImportColumn("leader_position", "负责人职务", aliases=("职务", "领队职务"), width=10),
    ImportColumn("leader_phone", "负责人联系电话", aliases=("领队联系电话",), text=True, width=14),
    ImportColumn("leader_wechat", "领队微信号", aliases=("负责人微信号",), width=14),
    ImportColumn("phone", "队伍联系电话", aliases=("联系电话",), text=True, width=14, note="手机或带区号的固定电话"),
    ImportColumn("email", "邮箱", aliases=("电子邮箱",), width=18),
    ImportColumn("address", "联系地址", width=22),
    ImportColumn(
        "service_categories",
        "志愿服务类别",
        aliases=("服务类别",),
        width=26,
        note="可填多项，用“、”分隔；可省略“巾帼”二字；可选：" + "、".join(CATEGORY_LABELS),
    ),
    ImportColumn("other_category", "其他类别说明", width=14, note="服务类别选了“其他”时必填"),
    ImportColumn("service_times", "志愿服务时间", aliases=("服务时间",), choices=_combinations(TIME_LABELS), width=18),
    ImportColumn("service_features", "服务特色", width=24),
    ImportColumn("awards", "获奖情况", width=24),
    ImportColumn("is_registered", "已在民政部门登记", aliases=("是否登记为社会组织",), choices=YES_NO, width=10),
    ImportColumn(
        "credit_code", "统一社会信用代码", text=True, width=20, note="已在民政部门登记为社会组织的须填写（18 位）"
    ),
]
HEADERS = {column.key: column.header for column in COLUMNS}

INSTRUCTIONS = [
    "巾帼志愿服务队伍批量导入模板 · 填写说明",
    "1. 请在第一个工作表「队伍信息」中填写，一行一支队伍，从第 2 行开始；不要修改第一行的列名。",
    "2. 只有“队伍名称”必填；队伍编号由系统按上级自动生成，档案编号在备案时生成，均无需填写。",
    "3. 队伍默认设在导入时选择的组织（妇联或上级队伍）之下；要设为某支队伍的下级，请在“上级队伍”填写其编号，"
    "或本表中排在前面的队伍名称（例如先写总队，再写其下的服务队）。",
    "4. 有下拉列表的列请从列表中选择；服务类别可填多项，用“、”分隔。",
    "5. 表中不能含有公式；全角数字、多余空格会被自动纠正。",
    "6. 上传后系统先检查并列出每一个有问题的行，确认后才会导入；导入的队伍为“草稿”状态，补充信息后再提交备案。",
    "7. 主要骨干名单、队伍章程请在导入后到队伍页面补充。",
]

EXAMPLE = [
    "湖滨社区巾帼法律服务队",
    "",
    "小队",
    "湖滨社区妇联",
    "社区（村）级",
    "2016-11-25",
    "林秀英",
    "主席",
    "13905920001",
    "",
    "0592-2345678",
    "",
    "湖滨南路 1 号",
    "巾帼法律维权、巾帼爱心帮扶",
    "",
    "双休日、节假日",
    "法律咨询进社区",
    "",
    "否",
    "",
]
