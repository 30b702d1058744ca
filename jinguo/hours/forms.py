"""Forms of the ledger pages: the records filter, a correction, a reason, her correction request."""

from django import forms
from django.db.models import Min

from jinguo.activities.choices import CheckMethod
from jinguo.orgs.choices import NodeKind, NodeStatus
from jinguo.orgs.models import Node
from jinguo.volunteers.forms import LimitedModelChoiceField

from .ledger import FLAG_TEXT
from .models import CorrectionStatus, RecordStatus

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _node_field(field, user, *, teams: bool, levels: int = 2):
    """Options of a node select: the user's visible subtree, a few levels below her top (any node in scope is still
    accepted, e.g. from a link)."""
    visible = Node.objects.restrict(user, "view").filter(status=NodeStatus.ACTIVE).order_by("path")
    nodes = visible.filter(kind=NodeKind.TEAM) if teams else visible
    field.queryset = nodes
    top = nodes.aggregate(top=Min("depth"))["top"] or 1
    field.options = nodes.filter(depth__lte=top + levels)
    field.label_from_instance = lambda n, top=top: "\u3000" * max(n.depth - top, 0) + n.name


class RecordFilterForm(forms.Form):
    node = LimitedModelChoiceField(
        label="组织单位（含下级）", queryset=Node.objects.none(), required=False, empty_label="全部"
    )
    q = forms.CharField(
        label="志愿者", required=False,
        widget=forms.TextInput(attrs={"placeholder": "姓名或志愿者编号", "type": "search"}),
    )
    date_from = forms.DateField(label="服务日期从", required=False, widget=DateInput())
    date_to = forms.DateField(label="至", required=False, widget=DateInput())
    method = forms.ChoiceField(label="记录方式", choices=[("", "全部方式"), *CheckMethod.choices], required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *RecordStatus.choices], required=False)
    flag = forms.ChoiceField(
        label="异常提示",
        choices=[("", "不限"), ("any", "有异常提示"), ("other", "他人代录"), *FLAG_TEXT.items()],
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _node_field(self.fields["node"], user, teams=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return data

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {key: data.get(key) for key in ("node", "q", "date_from", "date_to", "method", "status", "flag")}


class CorrectionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态", choices=[("", "全部"), *CorrectionStatus.choices], required=False, initial=CorrectionStatus.OPEN
    )


class StarFilterForm(forms.Form):
    node = LimitedModelChoiceField(label="范围", queryset=Node.objects.none(), required=False, empty_label="我的全部范围")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _node_field(self.fields["node"], user, teams=False)


class CorrectForm(forms.Form):
    start_at = forms.DateTimeField(label="应为开始时间", input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())
    end_at = forms.DateTimeField(
        label="应为结束时间", input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput(),
        help_text="开始与结束相同，表示这条记录不计时长（如：本人并未参加）",
    )
    evaluation = forms.CharField(label="组织方评价", max_length=300, required=False)
    reason = forms.CharField(
        label="更正原因", max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "如：签退时间记错，实际 11:30 离开"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300)


class DecisionForm(forms.Form):
    note = forms.CharField(label="处理意见", max_length=300, required=False)


class CorrectionRequestForm(forms.Form):
    """Her request: the times as they should be, and what happened."""

    proposed_start = forms.DateTimeField(
        label="实际开始时间", input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput()
    )
    proposed_end = forms.DateTimeField(label="实际结束时间", input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())
    reason = forms.CharField(
        label="情况说明", max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：签退时扫码失败，实际服务到 11:30，王队长可以证明"}),
    )
