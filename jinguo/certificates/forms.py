"""Forms of the certificate pages. They shape input; the rules live in `services` (and `tasks` for batches)."""

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone

from jinguo.core.errors import DomainError
from jinguo.hours.models import ServiceRecord
from jinguo.orgs.forms import NodePickerField
from jinguo.volunteers.models import Volunteer

from .models import CertificateStatus
from .tasks import WHO_CHOICES

DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def attach_error(form: forms.Form, exc: DomainError, aliases: dict | None = None) -> None:
    """A service's refusal on the field it names (or above the form); the user keeps what she typed."""
    field = (aliases or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def _selected(form: forms.Form, name: str):
    if form.is_bound:
        return form.data.get(form.add_prefix(name)) or None
    value = form.initial.get(name)
    return getattr(value, "pk", value)


class PeriodMixin(forms.Form):
    period_start = forms.DateField(
        label="服务起始日期", required=False, help_text="留空则从首条服务记录算起", **DATE_WIDGET
    )
    period_end = forms.DateField(label="服务截止日期", required=False, help_text="留空则截至今天", **DATE_WIDGET)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_start", "起始日期不能晚于截止日期。")
        if end and end > timezone.localdate():
            self.add_error("period_end", "截止日期不能晚于今天。")
        return data


def find_volunteer(user, text: str) -> Volunteer:
    """A volunteer the user may issue for: in her scope, or with service records organised in it. By volunteer
    number, or by name when the name is unique there."""
    text = (text or "").strip()
    in_scope = Q(pk__in=Volunteer.objects.restrict(user, "view").values("pk")) | Q(
        pk__in=ServiceRecord.objects.restrict(user, "change").values("volunteer_id")
    )
    if text.upper().startswith("JG") and text[2:].isdigit():
        found = list(Volunteer.objects.filter(in_scope, number=text.upper())[:1])
    else:
        found = list(Volunteer.objects.filter(in_scope, name=text).select_related("home_node")[:6])
    if not found:
        raise forms.ValidationError("在您的管理范围内没有找到该志愿者，请核对志愿者编号或姓名。")
    if len(found) > 1:
        listed = "；".join(f"{v.number}（{v.home_node.name}）" for v in found[:5])
        raise forms.ValidationError(f"有多位同名志愿者，请输入志愿者编号：{listed}")
    return found[0]


class IssueForm(PeriodMixin):
    """Staff issue one certificate for a volunteer."""

    volunteer = forms.CharField(
        label="志愿者",
        max_length=50,
        help_text="输入志愿者编号（JG 开头的 12 位编号）或姓名",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    issuer = NodePickerField(
        purpose="parent",
        label="出具单位",
        help_text="谁记录谁证明：证明只包含该单位及其下属队伍组织的、已计入的服务记录",
    )
    field_order = ["volunteer", "issuer", "period_start", "period_end"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["issuer"].setup(user, selected=_selected(self, "issuer"))

    def clean_volunteer(self):
        return find_volunteer(self.user, self.cleaned_data["volunteer"])


class BatchForm(PeriodMixin):
    node = NodePickerField(
        purpose="parent",
        label="出具单位",
        help_text="为在该单位及其下属队伍组织的活动中有已计入服务记录的志愿者，每人出具一份证明",
    )
    who = forms.ChoiceField(label="出具对象", choices=WHO_CHOICES, initial="all", widget=forms.RadioSelect)
    min_hours = forms.DecimalField(
        label="最低服务时长（小时）",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=1,
        help_text="留空则不限；如填 20，只为期间内累计满 20 小时的志愿者出具",
    )
    field_order = ["node", "period_start", "period_end", "who", "min_hours"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].setup(user, selected=_selected(self, "node"))
        if not self.is_bound:
            self.initial.setdefault("period_start", datetime.date(timezone.localdate().year, 1, 1))
            self.initial.setdefault("period_end", timezone.localdate())


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "如：服务记录有误，已重新出具"}),
    )


class FilterForm(forms.Form):
    q = forms.CharField(
        label="关键词",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "姓名、志愿者编号、证明编号或查验码"}),
    )
    issuer = NodePickerField(purpose="region", label="出具单位所在地区", required=False, empty_label="全部")
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *CertificateStatus.choices])
    year = forms.TypedChoiceField(label="出具年度", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].setup(user, selected=_selected(self, "issuer"))
        this_year = timezone.localdate().year
        self.fields["year"].choices = [("", "全部"), *[(y, f"{y}年") for y in range(this_year, this_year - 6, -1)]]


class MineIssueForm(forms.Form):
    """Her own certificate, on a phone: which organiser, which year (or all her service with it)."""

    issuer = forms.TypedChoiceField(label="出具单位", coerce=int)
    year = forms.TypedChoiceField(label="服务期间", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, options: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {o["node"].pk: o for o in options}
        self.fields["issuer"].choices = [
            (o["node"].pk, f"{o['node'].name}（{o['hours'].normalize():f} 小时）") for o in options
        ]
        years = sorted({y for o in options for y in o["years"]}, reverse=True)
        self.fields["year"].choices = [("", "全部服务记录"), *[(y, f"{y}年") for y in years]]

    def period(self) -> tuple[datetime.date | None, datetime.date | None]:
        year = self.cleaned_data.get("year")
        if not year:
            return None, None
        today = timezone.localdate()
        return datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), today)


class IssuerPickForm(forms.Form):
    issuer = NodePickerField(purpose="parent", label="单位或队伍")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].setup(user)


class IssuerProfileForm(forms.Form):
    person_in_charge = forms.CharField(label="负责人", max_length=50, help_text="印在证明上的单位负责人姓名")
    handler = forms.CharField(
        label="经办人（本人在线申请时）",
        max_length=50,
        required=False,
        help_text="志愿者本人在线申请出具时印在证明上的经办人；工作人员出具时印其本人姓名。留空则为负责人",
    )
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, required=False, help_text="供核实证明的电话，手机或座机（如 0592-1234567）"
    )
    seal_text = forms.CharField(
        label="印章文字", max_length=60, required=False, help_text="印在盖章框内，留空则为单位名称"
    )
