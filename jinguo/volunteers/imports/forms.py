from django import forms

from jinguo.orgs.choices import NodeKind, NodeStatus
from jinguo.orgs.models import Node

MAX_CHOICES = 500  # above this a select is unusable: the team is typed by its number instead


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        number = getattr(getattr(obj, "team", None), "team_number", "")
        return f"{obj.name}（{number}）" if number else obj.name


class VolunteerImportForm(forms.Form):
    team = TeamChoiceField(queryset=Node.objects.none(), label="导入到队伍", empty_label="请选择队伍")
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        help_text="请使用本页提供的模板填写；单个文件最多 20 万行。",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = (
            Node.objects.restrict(user, "change")
            .filter(kind=NodeKind.TEAM, status=NodeStatus.ACTIVE)
            .select_related("team")
            .order_by("path")
        )
        self.teams = teams
        if teams[: MAX_CHOICES + 1].count() > MAX_CHOICES:
            self.fields["team"] = forms.CharField(
                label="导入到队伍（队伍编号）", max_length=64, help_text="请输入队伍编号，如 350203-001。"
            )
        else:
            self.fields["team"].queryset = teams

    def clean_team(self):
        value = self.cleaned_data["team"]
        if isinstance(value, Node):
            return value
        node = self.teams.filter(team__team_number=value.strip().upper()).first()
        if node is None:
            raise forms.ValidationError("没有找到该编号的队伍，或不在您的管理范围内。")
        return node
