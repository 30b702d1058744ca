from django import forms

from ..choices import NodeStatus
from ..models import Node

MAX_CHOICES = 500


class ParentChoiceField(forms.ModelChoiceField):
    top_depth = 1

    def label_from_instance(self, obj):
        indent = "　" * max(0, obj.depth - self.top_depth)
        number = getattr(getattr(obj, "team", None), "team_number", "") if obj.is_team else ""
        return f"{indent}{obj.name}" + (f"（{number}）" if number else "")


class TeamImportForm(forms.Form):
    parent = ParentChoiceField(
        queryset=Node.objects.none(),
        label="导入到（上级组织或队伍）",
        empty_label="请选择",
        help_text="表中“上级队伍”留空的队伍都设在这里。",
    )
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        help_text="请使用本页提供的模板填写；一次最多 5000 支队伍。",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = Node.objects.restrict(user, "change").filter(status=NodeStatus.ACTIVE).select_related("team")
        self.nodes = nodes
        field = self.fields["parent"]
        if nodes[: MAX_CHOICES + 1].count() > MAX_CHOICES:
            self.fields["parent"] = forms.CharField(
                label="导入到（上级组织或队伍）",
                max_length=64,
                help_text="请输入上级队伍编号，或妇联组织的行政区划代码。",
            )
        else:
            field.queryset = nodes.order_by("path")
            first = nodes.order_by("depth").first()
            field.top_depth = first.depth if first else 1

    def clean_parent(self):
        value = self.cleaned_data["parent"]
        if isinstance(value, Node):
            return value
        text = value.strip().upper()
        node = self.nodes.filter(team__team_number=text).first() or self.nodes.filter(code=text).first()
        if node is None:
            raise forms.ValidationError("没有找到该编号的组织或队伍，或不在您的管理范围内。")
        return node
