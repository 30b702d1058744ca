"""Forms of the care pages (结对). They collect and show input; the rules live in services_care, whose DomainError
is shown on the field it names (`apply_domain_error`), with the user's input kept."""

import datetime
import re
import uuid

from django import forms
from django.utils import timezone

from jinguo.activities.forms import NodeChoiceField, _date_widget, apply_domain_error, node_field, scope_nodes
from jinguo.orgs.choices import NodeKind
from jinguo.volunteers.models import Volunteer

from .care_models import CareCategory, CareRecipient, PairingFrequency, PairingKind, PairingStatus

__all__ = ["apply_domain_error"]

_SPLIT = re.compile(r"[\s,，、;；]+")


def _time_widget():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class RecipientFilterForm(forms.Form):
    q = forms.CharField(label="姓名", required=False, widget=forms.TextInput(attrs={"placeholder": "对象姓名"}))
    category = forms.ChoiceField(label="对象类别", required=False, choices=[("", "全部类别"), *CareCategory.choices])
    paired = forms.ChoiceField(
        label="结对情况", required=False, choices=[("", "全部"), ("yes", "结对中"), ("no", "尚未结对")]
    )


class RecipientForm(forms.ModelForm):
    """A care recipient's record and her consent to be served (who gave it, when)."""

    class Meta:
        model = CareRecipient
        fields = [
            "node", "name", "sex", "birth_year", "category", "other_category", "phone", "address", "guardian_name",
            "guardian_relation", "guardian_phone", "notes", "consent_by", "consent_relation", "consent_at", "is_active",
        ]  # fmt: skip
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3, "placeholder": "健康状况、家庭情况、需要注意的事项"}),
            "consent_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        help_texts = {
            "consent_by": "同意接受结对帮扶的人：本人，或其监护人（未成年人、无法自行决定者）",
            "consent_at": "留空为现在",
            "is_active": "对象搬离、去世或不再需要帮扶时取消勾选（须先结束其结对）",
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = scope_nodes(user).filter(kind=NodeKind.COMMUNITY)
        self.fields["node"] = NodeChoiceField(
            queryset=nodes, label="所在社区（村）", empty_label="请选择",
            base_depth=nodes.first().depth if nodes.exists() else 1,
        )
        self.fields["consent_at"].required = False
        if self.instance.pk is None:
            del self.fields["is_active"]  # a new recipient is on the roll
        self.fields["consent_by"].required = True
        self.fields["sex"].choices = [("", "未填"), *self.fields["sex"].choices[1:]]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "node"}
        data["consent_at"] = data.get("consent_at") or timezone.now()
        return data


class PairingForm(forms.Form):
    organiser = forms.Field(label="负责队伍/组织")
    kind = forms.ChoiceField(label="结对方式", choices=PairingKind.choices, widget=forms.RadioSelect,
                             initial=PairingKind.ONE_TO_ONE)
    volunteer_numbers = forms.CharField(
        label="结对志愿者编号", max_length=500,
        help_text="填写志愿者编号，多人用空格或逗号分隔；第一位为负责人（可在下方另行指定）",
    )
    lead_number = forms.CharField(label="负责人编号", required=False, max_length=20, help_text="留空则第一位为负责人")
    start_date = forms.DateField(label="结对日期", widget=_date_widget())
    frequency = forms.ChoiceField(label="走访频次", choices=PairingFrequency.choices, initial=PairingFrequency.WEEKLY)
    interval_days = forms.IntegerField(label="间隔天数", required=False, min_value=1, max_value=365,
                                       help_text="频次选“每隔若干天”时填写")
    plan_note = forms.CharField(label="走访计划说明", required=False, max_length=300,
                                widget=forms.TextInput(attrs={"placeholder": "如：每周六上午上门，陪同就医"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["organiser"] = node_field(user, label="负责队伍/组织",
                                              help_text="由其组织走访、记录志愿者的服务时长")
        self.fields["start_date"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        numbers = [n for n in _SPLIT.split((data.get("volunteer_numbers") or "").strip()) if n]
        if not numbers and "volunteer_numbers" in data:
            self.add_error("volunteer_numbers", "请填写结对志愿者的编号。")
            return data
        found = {v.number: v for v in Volunteer.objects.restrict(self.user, "view").filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            self.add_error("volunteer_numbers", f"找不到编号为 {'、'.join(missing)} 的志愿者（或不在您的管理范围内）。")
            return data
        data["volunteers"] = [found[n] for n in dict.fromkeys(numbers)]
        lead = (data.get("lead_number") or "").strip()
        if lead and lead not in found:
            self.add_error("lead_number", "负责人须是上面填写的志愿者之一。")
        data["lead"] = found.get(lead) if lead else data["volunteers"][0]
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label="结束原因", max_length=300,
                             widget=forms.TextInput(attrs={"placeholder": "如：对象已搬离本社区、已入住养老机构"}))


class AddVolunteerForm(forms.Form):
    number = forms.CharField(label="志愿者编号", max_length=20)
    make_lead = forms.BooleanField(label="设为负责人", required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        volunteer = Volunteer.objects.restrict(self.user, "view").filter(number=number).first()
        if volunteer is None:
            raise forms.ValidationError("找不到该编号的志愿者（或不在您的管理范围内）。")
        self.volunteer = volunteer
        return number


class PairingFilterForm(forms.Form):
    q = forms.CharField(label="对象姓名", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *PairingStatus.choices])
    overdue = forms.BooleanField(label="只看走访逾期", required=False)


class VisitLogForm(forms.Form):
    """On her phone: who went, when, what was done, how she is, whether someone must follow up."""

    volunteers = forms.MultipleChoiceField(label="参加走访的志愿者", widget=forms.CheckboxSelectMultiple)
    day = forms.DateField(label="走访日期", widget=_date_widget())
    start = forms.TimeField(label="开始时间", widget=_time_widget())
    end = forms.TimeField(label="结束时间", widget=_time_widget())
    content = forms.CharField(label="走访内容", widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：上门陪伴聊天，帮助打扫卫生"}))
    situation = forms.CharField(label="对象近况", required=False,
                                widget=forms.Textarea(attrs={"rows": 2, "placeholder": "身体、情绪、生活上的变化"}))
    follow_up_needed = forms.BooleanField(label="需要社区或队伍跟进", required=False)
    follow_up_note = forms.CharField(label="跟进事项", required=False, max_length=300)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, members=(), me=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(m.volunteer_id): m.volunteer for m in members}
        self.fields["volunteers"].choices = [
            (str(m.volunteer_id), m.volunteer.name + ("（负责人）" if m.is_lead else "")) for m in members
        ]
        if not self.is_bound:
            self.fields["volunteers"].initial = [str(me.pk)] if me is not None else []
            self.fields["day"].initial = timezone.localdate()
            self.fields["idempotency_key"].initial = uuid.uuid4().hex

    def times(self) -> tuple[datetime.datetime, datetime.datetime]:
        tz = timezone.get_current_timezone()
        day = self.cleaned_data["day"]
        return (
            datetime.datetime.combine(day, self.cleaned_data["start"], tz),
            datetime.datetime.combine(day, self.cleaned_data["end"], tz),
        )

    def chosen(self) -> list[Volunteer]:
        return [self.members[pk] for pk in self.cleaned_data["volunteers"] if pk in self.members]
