"""Forms of part A: the resident's 适老化 form (radio tiles, no dropdowns), staff proxy entry, review, cancel,
service menus, the staff list's filters, the status lookup. No price anywhere (R11)."""

from django import forms

from jinguo.core.text import clean_compact
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES, NodeKind, NodeStatus
from jinguo.orgs.models import Node

from .choices import VULNERABLE_FLAGS, NeedSource, NeedStatus, Urgency
from .models import MenuItem
from .selectors import menu_area_choices

# The resident's tiles: plain words and an icon for each service (codes of SERVICE_CATEGORIES).
CATEGORY_TILES = [
    ("care", "生活帮扶", "上门探望、买菜做饭、陪同就医", "heart-pulse"),
    ("health", "健康保健", "量血压、健康咨询、康复帮助", "bandaid"),
    ("legal", "法律帮助", "家庭纠纷、维权咨询", "shield-check"),
    ("family", "家庭教育", "孩子学习、亲子关系", "house-heart"),
    ("tech", "学用手机", "教用手机、电脑和网上办事", "phone"),
    ("business", "就业创业", "找工作、学技能、创业指导", "briefcase"),
    ("culture", "文化活动", "读书、文艺、陪伴聊天", "book"),
    ("green", "环境卫生", "清扫整理、垃圾分类", "tree"),
    ("drugs", "禁毒防艾", "宣传咨询", "megaphone"),
    ("etiquette", "文明礼仪", "礼仪宣传、邻里和睦", "people"),
    ("other", "其他帮助", "以上都不是，说说您的需要", "three-dots"),
]
TILE_CODES = {code for code, *_ in CATEGORY_TILES}
PREFERRED_TIMES = [("尽快", "越快越好"), ("工作日白天", "工作日白天"), ("周末", "周末"), ("时间都可以", "时间都可以")]

PHONE_ATTRS = {"inputmode": "numeric", "autocomplete": "tel", "placeholder": "11 位手机号"}
CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "6 位数字"}


def apply_domain_error(form: forms.Form, exc, aliases: dict | None = None) -> None:
    """Show a service's DomainError on the field it names (or on the form), keeping her input."""
    field = (aliases or {}).get(exc.field, exc.field)
    if field not in form.fields:
        field = None
    form.add_error(field, exc.message)


def community_label(node: Node) -> str:
    """湖滨社区（筼筜街道 · 思明区妇联）: enough to tell two communities of the same name apart."""
    names = [a.name for a in node.ancestors_list()[-2:]]
    return f"{node.name}（{' · '.join(names)}）" if names else node.name


class CommunityMixin(forms.Form):
    """Her community, typed as a name (a dropdown of thousands is no use on an old phone): one match is taken,
    several are offered as large radio tiles (`community`), none is an error in plain words."""

    community_name = forms.CharField(
        label="您住在哪个社区（村）", max_length=60, required=False,
        widget=forms.TextInput(attrs={"placeholder": "例如：湖滨社区"}),
    )
    community = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, fixed_community: Node | None = None, check_community: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_community = fixed_community
        self.check_community = check_community
        self.candidates: list[tuple[int, str]] = []
        if fixed_community is not None:
            del self.fields["community_name"]

    def clean_community_node(self, cleaned: dict) -> None:
        if not self.check_community:
            return
        base = Node.objects.filter(kind=NodeKind.COMMUNITY, status=NodeStatus.ACTIVE)
        if self.fixed_community is not None:
            cleaned["node"] = self.fixed_community
            return
        pk = cleaned.get("community")
        if pk:
            node = base.filter(pk=pk).first()
            if node is not None:
                cleaned["node"] = node
                return
        name = (cleaned.get("community_name") or "").strip()
        if not name:
            self.add_error("community_name", "请填写您所在的社区（村）名称。")
            return
        matches = list(base.filter(name=name)[:11]) or list(base.filter(name__contains=name)[:11])
        if len(matches) == 1:
            cleaned["node"] = matches[0]
        elif not matches:
            self.add_error("community_name", "没有找到这个社区（村），请核对名称，或请社区工作人员帮您登记。")
        elif len(matches) > 10:
            self.add_error("community_name", "找到的社区太多，请把名称写完整一些。")
        else:
            self.candidates = [(n.pk, community_label(n)) for n in matches]
            self.add_error("community_name", "有几个名称相近的社区，请在下面点选您的社区。")


class ResidentNeedForm(CommunityMixin):
    """Step two of her three: what she needs, where, how to reach her, and the SMS code."""

    category = forms.ChoiceField(choices=SERVICE_CATEGORIES, widget=forms.HiddenInput)
    other_category = forms.CharField(label="需要哪一类帮助", max_length=60, required=False)
    description = forms.CharField(
        label="需要什么帮助", max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "例如：家里老人腿脚不便，想请人每周陪同去医院"}),
    )
    address = forms.CharField(
        label="服务地址", max_length=200, required=False,
        widget=forms.TextInput(attrs={"placeholder": "小区、楼栋、门牌号"}),
    )
    preferred_time = forms.ChoiceField(
        label="希望什么时候", choices=PREFERRED_TIMES, required=False, initial="时间都可以", widget=forms.RadioSelect
    )
    urgency = forms.ChoiceField(
        label="着急吗", choices=Urgency.choices, initial=Urgency.NORMAL, required=False, widget=forms.RadioSelect
    )
    requester_name = forms.CharField(
        label="怎么称呼您", max_length=50, required=False, widget=forms.TextInput(attrs={"placeholder": "例如：王阿姨"})
    )
    requester_phone = forms.CharField(label="手机号", max_length=20, required=False, widget=forms.TextInput(PHONE_ATTRS))
    code = forms.CharField(label="短信验证码", max_length=6, required=False, widget=forms.TextInput(CODE_ATTRS))

    def clean_requester_phone(self):
        return clean_compact(self.cleaned_data.get("requester_phone"))

    def clean(self):
        cleaned = super().clean()
        self.clean_community_node(cleaned)
        return cleaned

    def need_data(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data.get("category"), "other_category": data.get("other_category"),
            "description": data.get("description"), "address": data.get("address"),
            "preferred_time": data.get("preferred_time"), "urgency": data.get("urgency") or Urgency.NORMAL,
            "requester_name": data.get("requester_name"), "requester_phone": data.get("requester_phone"),
        }


class ResidentOrderForm(ResidentNeedForm):
    """点单 from a menu: the item says the category; her words are optional."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].required = False
        self.fields["description"].label = "还有什么要说明的（可不填）"
        del self.fields["other_category"]


class CommunityLookupForm(CommunityMixin):
    """The menus page: which community is she in?"""

    def clean(self):
        cleaned = super().clean()
        self.clean_community_node(cleaned)
        return cleaned


class StatusLookupForm(forms.Form):
    tracking_code = forms.CharField(
        label="查询码", max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "8 位数字"})
    )
    phone = forms.CharField(label="登记时留的手机号", max_length=20, widget=forms.TextInput(PHONE_ATTRS))

    def clean_tracking_code(self):
        return clean_compact(self.cleaned_data["tracking_code"])


class ProxyNeedForm(forms.Form):
    """Community staff enter a need for a resident (phone call, visit, the service counter)."""

    node = forms.ModelChoiceField(label="所在社区（村）", queryset=Node.objects.none())
    category = forms.ChoiceField(label="服务类别", choices=SERVICE_CATEGORIES)
    other_category = forms.CharField(label="其他类别说明", max_length=60, required=False)
    description = forms.CharField(label="需求描述", max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label="服务地址", max_length=200)
    preferred_date = forms.DateField(label="希望服务日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    preferred_time = forms.CharField(label="希望服务时间", max_length=60, required=False,
                                     help_text="如：周六上午、工作日下午")
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    requester_name = forms.CharField(label="联系人", max_length=50)
    requester_phone = forms.CharField(label="联系电话", max_length=20, widget=forms.TextInput(PHONE_ATTRS))
    vulnerable_flags = forms.MultipleChoiceField(
        label="特殊群体标记", choices=VULNERABLE_FLAGS, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="勾选后，需求详情只有本社区、上一级妇联工作人员和服务者可见",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = (
            Node.objects.restrict(user, "change").filter(kind=NodeKind.COMMUNITY, status=NodeStatus.ACTIVE)
        )
        self.fields["node"].label_from_instance = community_label

    def need_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "node"}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "受理"), ("reject", "不予受理")], widget=forms.RadioSelect)
    public_summary = forms.CharField(
        label="公开摘要", max_length=200, required=False,
        help_text="志愿者浏览待接需求时看到的内容，不要写姓名、电话和门牌号",
    )
    claimable = forms.BooleanField(label="开放认领（抢单）", required=False)
    reason = forms.CharField(label="不予受理原因", max_length=300, required=False,
                             help_text="将通过短信告知需求人")


class CancelForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=300, required=False)


class NeedFilterForm(forms.Form):
    q = forms.CharField(label="编号/描述", required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *NeedStatus.choices], required=False)
    category = forms.ChoiceField(label="类别", choices=[("", "全部类别"), *SERVICE_CATEGORIES], required=False)
    urgency = forms.ChoiceField(label="紧急程度", choices=[("", "全部"), *Urgency.choices], required=False)
    source = forms.ChoiceField(label="来源", choices=[("", "全部来源"), *NeedSource.choices], required=False)
    sensitive = forms.BooleanField(label="仅特殊群体", required=False)
    date_from = forms.DateField(label="提交起", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="提交止", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class OpenNeedFilterForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=[("", "全部类别"), *SERVICE_CATEGORIES], required=False)
    urgency = forms.ChoiceField(label="紧急程度", choices=[("", "全部"), *Urgency.choices], required=False)


class MenuItemForm(forms.ModelForm):
    service_times = forms.MultipleChoiceField(
        label="服务时间", choices=SERVICE_TIMES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = MenuItem
        fields = ["team", "category", "title", "content", "area", "service_times", "time_note", "monthly_capacity"]
        widgets = {"content": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Node.objects.restrict(user, "change").teams().active()
        self.fields["area"].queryset = menu_area_choices(user)
        self.fields["area"].widget = forms.Select()
        if self.instance.pk:
            self.fields["team"].disabled = True
            self.fields["team"].queryset = Node.objects.filter(pk=self.instance.team_id)

    def menu_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "team"}
