"""Forms of the activity pages. They collect and show input; the rules live in the services, whose DomainError is
shown on the field it names (`apply_domain_error`), with the user's input kept."""

import uuid

from django import forms

from jinguo.orgs.choices import SERVICE_CATEGORIES
from jinguo.orgs.models import Node

from .choices import OPEN_SIGNUP, ActivityStatus, Campaign, SignUpStatus
from .models import Activity

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
NODE_CHOICES_LIMIT = 2000


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_domain_error(form: forms.Form, exc, aliases: dict | None = None) -> None:
    """Show a service's DomainError on the field it names (or on the form), keeping the user's input."""
    field = (aliases or {}).get(exc.field, exc.field)
    if field not in form.fields:
        field = None
    form.add_error(field, exc.message)


class NodeChoiceField(forms.ModelChoiceField):
    """A node of her scope, indented by depth so the tree shows in a plain select."""

    def __init__(self, *args, base_depth: int = 1, **kwargs):
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        indent = "\u3000" * max(0, obj.depth - self.base_depth)
        return f"{indent}{obj.name}"


def scope_nodes(user, action: str = "change"):
    return Node.objects.restrict(user, action).active().order_by("path")


def node_field(user, *, label: str, action: str = "change", required: bool = True, help_text: str = ""):
    nodes = scope_nodes(user, action)
    first = nodes.first()
    return NodeChoiceField(
        queryset=nodes.filter(pk__in=list(nodes.values_list("pk", flat=True)[:NODE_CHOICES_LIMIT])),
        label=label,
        required=required,
        help_text=help_text,
        empty_label="请选择",
        base_depth=first.depth if first else 1,
    )


class ActivityForm(forms.ModelForm):
    """Every field of a recruitment notice (R7). Risks and protection may be left for later in a draft."""

    class Meta:
        model = Activity
        fields = [
            "organiser", "title", "category", "content", "address", "service_site", "latitude", "longitude",
            "geofence_m", "start_at", "end_at", "capacity", "signup_deadline", "cancel_cutoff_hours", "approval_mode",
            "audience", "skills_required", "qualification", "min_age", "max_age", "risk_statement", "protection",
            "is_risky", "campaign",
        ]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 4}),
            "risk_statement": forms.Textarea(attrs={"rows": 3, "placeholder": "如：户外高温、交通安全、搬运重物……"}),
            "protection": forms.Textarea(attrs={"rows": 3, "placeholder": "如：配备饮用水和急救包、购买意外保险、安排领队……"}),
            "start_at": _datetime_widget(),
            "end_at": _datetime_widget(),
            "signup_deadline": _datetime_widget(),
            "latitude": forms.NumberInput(attrs={"step": "0.000001", "placeholder": "如 24.479800", "data-geo-lat": ""}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001", "placeholder": "如 118.089400",
                                                  "data-geo-lng": ""}),
            "service_site": forms.TextInput(attrs={"placeholder": "如：湖滨社区敬老院、湖滨社区独居老人"}),
        }
        help_texts = {
            "service_site": "同一服务对象（服务点）每天最多安排的活动数有限制，避免同一对象一天内被重复服务。",
            "capacity": "设置了班次时，招募人数为各班次人数之和。",
            "risk_statement": "发布前必须填写（可先保存草稿）。",
            "protection": "发布前必须填写（可先保存草稿）。",
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"] = node_field(user, label="组织单位")
        if self.instance.pk:
            # The organiser does not change after creation: hours and scope hang on it (R14).
            del self.fields["organiser"]
        for name in ("risk_statement", "protection"):
            self.fields[name].required = False
        self.fields["campaign"].required = False
        self.fields["category"].choices = [("", "请选择"), *SERVICE_CATEGORIES]
        self.fields["capacity"].required = False
        self.fields["latitude"].label = "纬度（可选）"
        self.fields["longitude"].label = "经度（可选）"
        self.fields["start_at"].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        self.fields["end_at"].input_formats = self.fields["start_at"].input_formats
        self.fields["signup_deadline"].input_formats = self.fields["start_at"].input_formats

    def _post_clean(self):
        # The model's own validation (blank risk statement, constraints) is the services' business: a draft may
        # lack a risk statement, and the services say why something is refused, on the right field.
        pass

    def activity_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "organiser"}
        data["campaign"] = data.get("campaign") or ""
        return data


class ShiftForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label="班次名称", max_length=60, required=False,
                           widget=forms.TextInput(attrs={"placeholder": "如：上午班"}))
    start_at = forms.DateTimeField(label="开始时间", required=False, widget=_datetime_widget(),
                                   input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"])
    end_at = forms.DateTimeField(label="结束时间", required=False, widget=_datetime_widget(),
                                 input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"])
    capacity = forms.IntegerField(label="人数", min_value=1, required=False)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(k) for k in ("name", "start_at", "end_at", "capacity"))


ShiftFormSet = forms.formset_factory(ShiftForm, extra=2, can_delete=True, max_num=20)


def shift_rows(formset) -> list[dict]:
    rows = []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE") or form.is_blank():
            continue
        rows.append({k: form.cleaned_data.get(k) for k in ("id", "name", "start_at", "end_at", "capacity")})
    return rows


def shift_initial(activity: Activity) -> list[dict]:
    shifts = list(activity.shifts.order_by("start_at", "id"))
    if len(shifts) == 1 and not shifts[0].name:
        return []  # the automatic whole-activity shift: no shifts of her own
    return [{"id": s.pk, "name": s.name, "start_at": s.start_at, "end_at": s.end_at, "capacity": s.capacity}
            for s in shifts]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300)


class SignUpForm(forms.Form):
    """Her sign-up: which shift, and a key that makes a retried POST return the same sign-up."""

    shift = forms.TypedChoiceField(label="班次", coerce=int)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, shifts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shift"].choices = [(s.pk, str(s)) for s in shifts]
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex


class BrowseForm(forms.Form):
    category = forms.ChoiceField(label="服务类别", required=False, choices=[("", "全部类别"), *SERVICE_CATEGORIES])
    date_from = forms.DateField(label="从", required=False, widget=_date_widget())
    date_to = forms.DateField(label="到", required=False, widget=_date_widget())
    team = forms.ModelChoiceField(label="组织队伍", required=False, queryset=Node.objects.none(), empty_label="全部队伍")
    lat = forms.DecimalField(label="纬度", required=False, min_value=-90, max_value=90, decimal_places=6,
                             widget=forms.HiddenInput(attrs={"data-geo-lat": ""}))
    lng = forms.DecimalField(label="经度", required=False, min_value=-180, max_value=180, decimal_places=6,
                             widget=forms.HiddenInput(attrs={"data-geo-lng": ""}))
    within_km = forms.ChoiceField(
        label="距离", required=False,
        choices=[("", "不限距离"), ("1", "1 公里内"), ("3", "3 公里内"), ("5", "5 公里内"), ("10", "10 公里内"),
                 ("30", "30 公里内")],
    )

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Node.objects.none()

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None):
            data["lat"] = data["lng"] = None
        return data


STATUS_FILTER = [("", "全部状态"), *ActivityStatus.choices]


class ActivityFilterForm(forms.Form):
    q = forms.CharField(label="关键词", required=False, widget=forms.TextInput(attrs={"placeholder": "活动名称/地点"}))
    status = forms.ChoiceField(label="状态", required=False, choices=STATUS_FILTER)
    category = forms.ChoiceField(label="服务类别", required=False, choices=[("", "全部类别"), *SERVICE_CATEGORIES])
    campaign = forms.ChoiceField(label="主题活动", required=False,
                                 choices=[("", "全部"), *[c for c in Campaign.choices if c[0]]])
    date_from = forms.DateField(label="开始日期从", required=False, widget=_date_widget())
    date_to = forms.DateField(label="到", required=False, widget=_date_widget())


class MessageForm(forms.Form):
    statuses = forms.MultipleChoiceField(
        label="发送给", widget=forms.CheckboxSelectMultiple,
        choices=[(s.value, s.label) for s in SignUpStatus if s in OPEN_SIGNUP], initial=[SignUpStatus.CONFIRMED],
    )
    shift = forms.TypedChoiceField(label="班次", required=False, coerce=int, empty_value=None)
    title = forms.CharField(label="标题", max_length=60, widget=forms.TextInput(attrs={"placeholder": "如：集合地点变更"}))
    body = forms.CharField(label="内容", max_length=500, widget=forms.Textarea(attrs={"rows": 4}))
    sms = forms.BooleanField(label="同时发送短信（内容会截短到一条短信的长度）", required=False)

    def __init__(self, *args, shifts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shift"].choices = [("", "全部班次"), *[(s.pk, str(s)) for s in shifts]]


class PolicyForm(forms.Form):
    holder = forms.ModelChoiceField(label="投保单位", queryset=Node.objects.none())
    insurer = forms.CharField(label="保险公司", max_length=100)
    policy_number = forms.CharField(label="保单号", max_length=60)
    starts_on = forms.DateField(label="保险起期", widget=_date_widget())
    ends_on = forms.DateField(label="保险止期", widget=_date_widget())
    note = forms.CharField(label="说明", max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": "如：团体意外险，每人保额 20 万元"}))

    def __init__(self, *args, user=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"] = node_field(user, label="投保单位")
        if editing:
            del self.fields["holder"]


class QualificationForm(forms.Form):
    name = forms.CharField(label="资质名称", max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": "如：急救员证", "list": "qualification-names"}))
    certificate_number = forms.CharField(label="证书编号", max_length=60, required=False)
    valid_until = forms.DateField(label="有效期至", required=False, widget=_date_widget(),
                                  help_text="长期有效的留空")


class SiteLoadForm(forms.Form):
    campaign = forms.ChoiceField(label="主题活动", required=False,
                                 choices=[("", "全部主题"), *[c for c in Campaign.choices if c[0]]])
    date_from = forms.DateField(label="日期从", required=False, widget=_date_widget())
    date_to = forms.DateField(label="到", required=False, widget=_date_widget())

