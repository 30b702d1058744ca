"""Forms of dispatch: the overview's filters, a reason (decline, withdraw, turn an offer down), a dispatch rule."""

from django import forms

from jinguo.activities.forms import NODE_CHOICES_LIMIT, NodeChoiceField
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import Node

from .choices import SERVICE_CATEGORIES, Urgency
from .models import DispatchRule

SHOW_CHOICES = [
    ("waiting", "全部待接单"),
    ("open", "待派单"),
    ("dispatched", "已派待接"),
    ("overdue", "已超时"),
    ("escalated", "已上报"),
    ("accepted", "已接单/服务中"),
]


class OverviewFilterForm(forms.Form):
    show = forms.ChoiceField(label="范围", choices=SHOW_CHOICES, required=False)
    category = forms.ChoiceField(label="服务类别", choices=[("", "全部类别"), *SERVICE_CATEGORIES], required=False)
    urgency = forms.ChoiceField(label="紧急程度", choices=[("", "全部"), *Urgency.choices], required=False)
    q = forms.CharField(label="需求编号", max_length=30, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


def _nodes(user, action: str, *, teams: bool):
    qs = Node.objects.restrict(user, action).active().order_by("path")
    qs = qs.filter(kind=NodeKind.TEAM) if teams else qs.exclude(kind=NodeKind.TEAM)
    return qs.filter(pk__in=list(qs.values_list("pk", flat=True)[:NODE_CHOICES_LIMIT]))


class DispatchRuleForm(forms.ModelForm):
    """The node and team lists hold only what lies in her scope; the service checks again."""

    class Meta:
        model = DispatchRule
        fields = ["node", "category", "urgency", "team", "is_active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = _nodes(user, "change", teams=False)
        first = nodes.first()
        self.fields["node"] = NodeChoiceField(
            queryset=nodes, label="适用范围", empty_label="请选择", base_depth=first.depth if first else 1,
            help_text="此组织（含下级社区）审核通过的需求适用本规则",
        )  # fmt: skip
        self.fields["team"] = forms.ModelChoiceField(
            queryset=_nodes(user, "view", teams=True), label="派给队伍", required=False,
            empty_label="（不指定：派给推荐排名第一的队伍）",
        )  # fmt: skip
        self.fields["category"].choices = [("", "全部类别"), *SERVICE_CATEGORIES]
        self.fields["urgency"].choices = [("", "全部"), *Urgency.choices]

    def rule_data(self) -> dict:
        return {key: self.cleaned_data.get(key) for key in self.Meta.fields}
