"""Forms of the org tree, team registration, filing, yearly reports and accounts.

Forms only shape input; the rules live in `services`. A DomainError raised by a service is put back on the field
it names (`attach_error`), so the user keeps what she typed.
"""

import datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from jinguo.core.errors import DomainError
from jinguo.core.scope import get_scope

from .choices import (
    FEDERATION_ORDER,
    SERVICE_CATEGORIES,
    SERVICE_TIMES,
    FilingStatus,
    NodeStatus,
    ReportStatus,
    Role,
    TeamLevel,
)
from .models import Node

# ---- picking a node -------------------------------------------------------------------------------------------

PICKER_LIMIT = 50

PICKER_PURPOSES = {
    # purpose: (action, what kind of node)
    "parent": ("change", "any"),  # new parent of a move, parent of a new team
    "team": ("change", "team"),  # merge target
    "federation": ("change", "federation"),  # where a reporting year is opened
    "role": ("change", "any"),  # where a role is granted
    "region": ("view", "federation"),  # list filter
}


def picker_queryset(user, purpose: str, exclude: Node | None = None):
    """The nodes a user may pick for a purpose: always through her data scope."""
    action, kind = PICKER_PURPOSES[purpose]
    qs = Node.objects.restrict(user, action).filter(status=NodeStatus.ACTIVE)
    if kind == "team":
        qs = qs.teams()
    elif kind == "federation":
        qs = qs.federations()
    if exclude is not None:
        qs = qs.exclude(path__startswith=exclude.path)
    return qs


def node_labels(nodes) -> list[tuple[int, str]]:
    """Option labels that tell apart nodes of the same name: "湖滨社区 · 筼筜街道"."""
    nodes = list(nodes)
    parent_paths = {n.path[: -Node.steplen] for n in nodes if n.depth > 1}
    parents = dict(Node.objects.filter(path__in=parent_paths).values_list("path", "name"))
    labels = []
    for node in nodes:
        label = node.name
        parent = parents.get(node.path[: -Node.steplen])
        if parent:
            label += f" · {parent}"
        if node.status != NodeStatus.ACTIVE:
            label += f"（{node.get_status_display()}）"
        labels.append((node.pk, label))
    return labels


def search_nodes(qs, text: str):
    text = (text or "").strip()
    if text:
        qs = qs.filter(name__contains=text) if not text.isdigit() else qs.filter(code__startswith=text)
    return qs.order_by("path")[:PICKER_LIMIT]


class NodePickerField(forms.ModelChoiceField):
    """A node chosen from the user's scope. Only a few options are rendered; a search box fetches more."""

    def __init__(self, *, purpose: str, **kwargs):
        kwargs.setdefault("empty_label", "—— 请选择 ——")
        super().__init__(queryset=Node.objects.none(), **kwargs)
        self.purpose = purpose
        self.widget.attrs["data-picker"] = purpose
        self.exclude_pk = None

    def setup(self, user, *, exclude: Node | None = None, selected=None) -> None:
        self.queryset = picker_queryset(user, self.purpose, exclude)
        self.exclude_pk = exclude.pk if exclude is not None else None
        shown = list(search_nodes(self.queryset, ""))
        if selected:
            chosen = self.queryset.filter(pk=selected).first()
            if chosen is not None and chosen not in shown:
                shown.insert(0, chosen)
        self.widget.choices = [("", self.empty_label), *node_labels(shown)]


def attach_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it concerns, or above the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _selected(form, name):
    if form.is_bound:
        return form.data.get(form.add_prefix(name)) or None
    value = form.initial.get(name)
    return getattr(value, "pk", value)


# ---- federation nodes -----------------------------------------------------------------------------------------


class NodeCreateForm(forms.Form):
    name = forms.CharField(label="名称", max_length=120, help_text="如：思明区妇联、筼筜街道妇联、湖滨社区妇联")
    kind = forms.ChoiceField(label="层级")
    code = forms.CharField(
        label="行政区划代码（GB/T 2260）",
        max_length=12,
        required=False,
        help_text="区县及以上 6 位；街道 9 位、社区 12 位，可留空",
    )

    def __init__(self, *args, parent: Node, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = FEDERATION_ORDER[FEDERATION_ORDER.index(parent.kind) + 1 :]
        self.fields["kind"].choices = [(k.value, k.label) for k in allowed]
        if allowed and not self.is_bound:
            self.initial.setdefault("kind", allowed[0].value)


class NodeEditForm(forms.Form):
    name = forms.CharField(label="名称", max_length=120)
    code = forms.CharField(label="行政区划代码（GB/T 2260）", max_length=12, required=False)
    team_tier_names = forms.CharField(
        label="本级以下队伍层级名称",
        max_length=100,
        required=False,
        help_text="自上而下以逗号分隔，如 厦门：总队,服务队,分队；平顶山：总队,分队,小队。留空则沿用上级设置。"
        "最末一级为基本单位（小队），须有 5 名以上成员方可备案。",
    )
    requires_publish_approval = forms.BooleanField(label="下级队伍发布活动、项目须经本级审核", required=False)

    def __init__(self, *args, node: Node, **kwargs):
        super().__init__(*args, **kwargs)
        if node.is_team:
            del self.fields["code"]


class MoveForm(forms.Form):
    new_parent = NodePickerField(purpose="parent", label="移至（新的上级）")

    def __init__(self, *args, user, node: Node, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].setup(user, exclude=node, selected=_selected(self, "new_parent"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label: str = "原因", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


# ---- teams ----------------------------------------------------------------------------------------------------


class TeamForm(forms.Form):
    """The registration form: every field of the Xiamen (seed 002 annex 1) and Pingdingshan (seed 003) forms."""

    name = forms.CharField(label="队伍名称", max_length=120, help_text="小队可用「所属单位名称 + 服务内容和特色」命名")
    tier = forms.TypedChoiceField(label="队伍层级", coerce=int, required=False, empty_value=None, help_text="按本地的队伍架构选择；下级队伍的层级须低于上级队伍")
    unit_name = forms.CharField(label="所属单位（单位名称）", max_length=120, required=False)
    level = forms.ChoiceField(label="队伍级别", choices=[("", "—— 请选择 ——"), *TeamLevel.choices], required=False)
    founded_on = forms.DateField(
        label="成立（组建）时间", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    leader_name = forms.CharField(label="负责人（领队）姓名", max_length=50, required=False)
    leader_position = forms.CharField(label="负责人职务", max_length=50, required=False)
    leader_phone = forms.CharField(label="负责人联系电话", max_length=20, required=False)
    leader_wechat = forms.CharField(label="领队微信号", max_length=50, required=False)
    phone = forms.CharField(label="队伍联系电话", max_length=20, required=False)
    email = forms.EmailField(label="邮箱", required=False, error_messages={"invalid": "请输入有效的邮箱地址。"})
    address = forms.CharField(label="联系地址", max_length=200, required=False)
    latitude = forms.DecimalField(
        label="驻地纬度", required=False, min_value=-90, max_value=90, max_digits=9, decimal_places=6,
        help_text="可选，如 24.479800；填写后派单推荐可按距离排序",
    )
    longitude = forms.DecimalField(
        label="驻地经度", required=False, min_value=-180, max_value=180, max_digits=9, decimal_places=6,
        help_text="可选，如 118.089400，与纬度同时填写",
    )
    service_categories = forms.MultipleChoiceField(
        label="志愿服务类别", choices=SERVICE_CATEGORIES, required=False, widget=forms.CheckboxSelectMultiple
    )
    other_category = forms.CharField(label="其他类别（选择「其他」时填写）", max_length=100, required=False)
    service_times = forms.MultipleChoiceField(
        label="志愿服务时间", choices=SERVICE_TIMES, required=False, widget=forms.CheckboxSelectMultiple
    )
    service_features = forms.CharField(label="服务特色", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    awards = forms.CharField(label="获奖情况", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_registered = forms.BooleanField(label="已在民政部门登记为社会组织", required=False)
    credit_code = forms.CharField(
        label="统一社会信用代码", max_length=18, required=False, help_text="已登记的社会组织必填，18 位"
    )
    rules = forms.CharField(label="队伍章程 / 管理制度", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, tier_options: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tier_options

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", "纬度和经度须同时填写，或都不填。")
        return data

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("name")
        data.pop("tier")
        return data


class BackboneForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, required=False)
    position = forms.CharField(label="职务", max_length=50, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    work_unit = forms.CharField(label="工作单位", max_length=120, required=False)
    email = forms.EmailField(label="邮箱", required=False, error_messages={"invalid": "邮箱格式不正确。"})

    def clean(self):
        data = super().clean()
        others = [data.get(k) for k in ("position", "phone", "work_unit", "email")]
        if any(others) and not (data.get("name") or "").strip():
            self.add_error("name", "请填写姓名。")
        return data


BackboneFormSet = forms.formset_factory(BackboneForm, extra=0, max_num=50, absolute_max=50)
BACKBONE_MIN_ROWS = 5


def backbone_formset(data=None, initial=None, add_row=False):
    """Five rows as on the paper form; "增加一行" adds one more and keeps what was typed."""
    if data is not None:
        if add_row:
            data = data.copy()
            key = "backbone-TOTAL_FORMS"
            data[key] = str(min(int(data.get(key) or 0) + 1, 50))
        return BackboneFormSet(data, prefix="backbone")
    initial = list(initial or [])
    formset = BackboneFormSet(initial=initial, prefix="backbone")
    formset.extra = max(BACKBONE_MIN_ROWS - len(initial), 1)
    return formset


def backbone_rows(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data.get("name")]


class MergeForm(forms.Form):
    target = NodePickerField(purpose="team", label="并入哪支队伍")
    reason = forms.CharField(label="合并原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, node: Node, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].setup(user, exclude=node, selected=_selected(self, "target"))


TEAM_SORTS = {
    "number": ("team_number",),
    "name": ("node__name", "team_number"),
    "-founded": ("-founded_on", "team_number"),
    "-members": ("-node__counter__members", "team_number"),
    "-updated": ("-updated_at", "team_number"),
}
TEAM_SORT_LABELS = [
    ("number", "按队伍编号"),
    ("name", "按名称"),
    ("-founded", "成立时间（新→旧）"),
    ("-members", "成员人数（多→少）"),
    ("-updated", "最近更新"),
]


class TeamFilterForm(forms.Form):
    """The same GET parameters as the statistics export (orgs:team_export): q, tier, filing_status, category,
    region."""

    q = forms.CharField(label="关键词", required=False, widget=forms.TextInput(attrs={"placeholder": "名称或编号"}))
    tier = forms.TypedChoiceField(label="层级", required=False, coerce=int, empty_value=None)
    filing_status = forms.ChoiceField(label="备案状态", required=False, choices=[("", "全部"), *FilingStatus.choices])
    category = forms.ChoiceField(label="服务类别", required=False, choices=[("", "全部"), *SERVICE_CATEGORIES])
    region = NodePickerField(purpose="region", label="所在地区", required=False, empty_label="全部")
    below_standard = forms.BooleanField(label="仅看未达标小队", required=False)
    status = forms.ChoiceField(
        label="队伍状态",
        required=False,
        choices=[("", "正常"), ("dissolved", "已撤销"), ("merged", "已合并"), ("all", "全部")],
    )
    sort = forms.ChoiceField(label="排序", required=False, choices=TEAM_SORT_LABELS)

    def __init__(self, *args, user, tier_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", "全部"), *[(i + 1, name) for i, name in enumerate(tier_names)]]
        self.fields["region"].setup(user, selected=_selected(self, "region"))


class FilingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "待备案"), ("returned", "已退回"), ("filed", "已备案"), ("all", "全部")],
    )
    q = forms.CharField(label="关键词", required=False, widget=forms.TextInput(attrs={"placeholder": "名称或编号"}))


# ---- yearly report (年报) --------------------------------------------------------------------------------------


class ReportingYearForm(forms.Form):
    node = NodePickerField(purpose="federation", label="发起单位")
    year = forms.IntegerField(label="年度", validators=[MinValueValidator(2000)])
    deadline = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].validators.append(MaxValueValidator(today.year))
        if not self.is_bound:
            self.initial.setdefault("year", today.year - 1 if today.month < 7 else today.year)
            self.initial.setdefault("deadline", today + datetime.timedelta(days=30))
        self.fields["node"].setup(user, selected=_selected(self, "node"))


class AnnualReportForm(forms.Form):
    new_members = forms.IntegerField(label="本年新增成员（人）", min_value=0, initial=0)
    activity_count = forms.IntegerField(label="开展活动次数", min_value=0, initial=0)
    service_hours = forms.DecimalField(
        label="服务总时长（小时）", min_value=0, max_digits=12, decimal_places=1, initial=0
    )
    people_served = forms.IntegerField(label="服务人次", min_value=0, initial=0)
    highlights = forms.CharField(
        label="工作亮点",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="提交时必填：本年度的特色活动、典型事迹、获得的表彰等",
    )


REPORT_FILTERS = [
    ("", "全部"),
    ("unsubmitted", "未报送"),
    ("none", "未填报"),
    (ReportStatus.DRAFT, ReportStatus.DRAFT.label),
    (ReportStatus.SUBMITTED, ReportStatus.SUBMITTED.label),
    (ReportStatus.CONFIRMED, ReportStatus.CONFIRMED.label),
    (ReportStatus.RETURNED, ReportStatus.RETURNED.label),
]


# ---- accounts -------------------------------------------------------------------------------------------------


def _role_choices(user) -> list[tuple[str, str]]:
    scope = get_scope(user)
    return [(value, label) for value, label in Role.choices if value != Role.PLATFORM_ADMIN or scope.platform]


class AccountCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, help_text="登录用，字母、数字或拼音，如 siming_admin")
    display_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, required=False, help_text="可用手机号登录；可留空")
    role = forms.ChoiceField(label="角色")
    node = NodePickerField(purpose="role", label="所在组织或队伍")
    personal_data = forms.BooleanField(label="可查看完整个人信息（身份证号、手机号）", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(user)
        self.fields["node"].setup(user, selected=_selected(self, "node"))
        if not get_scope(user).platform and not get_scope(user).personal_paths:
            del self.fields["personal_data"]


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label="角色")
    node = NodePickerField(purpose="role", label="所在组织或队伍")
    personal_data = forms.BooleanField(label="可查看完整个人信息", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(user)
        self.fields["node"].setup(user, selected=_selected(self, "node"))
        if not get_scope(user).platform and not get_scope(user).personal_paths:
            del self.fields["personal_data"]


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label="关键词", required=False, widget=forms.TextInput(attrs={"placeholder": "姓名、用户名或手机号"})
    )
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部"), *Role.choices])
    active = forms.ChoiceField(label="账号状态", required=False, choices=[("", "全部"), ("1", "正常"), ("0", "已停用")])
