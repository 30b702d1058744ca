"""Forms of the delivery and evaluation pages. The rules live in services_delivery / services_feedback; these only
shape the input."""

from django import forms

from jinguo.activities.choices import CHECK_DIRECTIONS
from jinguo.activities.views.checkin_forms import DATETIME_FORMATS, PositionForm

from .choices import ComplaintStatus, EvaluationReview
from .services_delivery import PHOTO_MAX_COUNT
from .services_feedback import COMMENT_MAX, COMPLAINT_MAX, RATING_WORDS


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CheckForm(PositionForm):
    """Her own check-in or check-out on her phone: which one, and her position when the browser gave it."""

    action = forms.ChoiceField(choices=CHECK_DIRECTIONS, widget=forms.HiddenInput)


class RosterForm(forms.Form):
    """The leader ticks members: check in or out, now or at a time he gives (after the fact)."""

    action = forms.ChoiceField(choices=CHECK_DIRECTIONS)
    volunteer = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "请至少勾选一名队员。"})
    at = forms.DateTimeField(
        label="时间", required=False, input_formats=DATETIME_FORMATS, widget=_DateTimeInput(),
        help_text="留空为现在；事后补记时填写实际签到或签退的时间",
    )

    def __init__(self, *args, volunteers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].choices = [(v.pk, v.name) for v in volunteers]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (type by content, size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class CloseOutForm(forms.Form):
    summary = forms.CharField(
        label="服务情况", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "服务内容、时长、对象情况、需要社区跟进的事项等"}),
    )
    photos = MultipleFileField(
        label="现场照片", required=False,
        help_text=f"最多 {PHOTO_MAX_COUNT} 张，每张不超过 8 MB，支持 JPG、PNG、WebP。拍摄时请尊重服务对象意愿，避免拍到面部和门牌。",
    )


class LookupForm(forms.Form):
    """Step one of the resident's evaluation: her tracking code and her phone."""

    tracking_code = forms.CharField(
        label="查询码", max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "class": "jg-big-input"}),
        help_text="提交需求时拿到的查询码（短信或纸条上）",
        error_messages={"required": "请填写查询码。"},
    )
    phone = forms.CharField(
        label="手机号", max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "class": "jg-big-input"}),
        help_text="提交需求时留的手机号",
        error_messages={"required": "请填写手机号。"},
    )


class RatingForm(LookupForm):
    """Step two: the stars (five big tiles, no script needed) and a comment; her code and phone ride along hidden."""

    rating = forms.TypedChoiceField(
        label="您对这次服务满意吗？", coerce=int, choices=[(n, RATING_WORDS[n]) for n in range(5, 0, -1)],
        widget=forms.RadioSelect, error_messages={"required": "请点一下星星，选择满意程度。"},
    )
    comment = forms.CharField(
        label="还想说点什么（可以不填）", required=False, max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "jg-big-input"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tracking_code"].widget = forms.HiddenInput()
        self.fields["phone"].widget = forms.HiddenInput()


class ReviewForm(forms.Form):
    review = forms.ChoiceField(
        label="复核结果", choices=[(EvaluationReview.CONFIRMED, "属实"), (EvaluationReview.QUERIED, "有疑问")]
    )
    note = forms.CharField(label="复核意见", required=False, max_length=300)


class ComplaintForm(forms.Form):
    complainant = forms.CharField(label="投诉人", max_length=50, help_text="如：本人、家属（写明关系）")
    text = forms.CharField(label="投诉内容", max_length=COMPLAINT_MAX, widget=forms.Textarea(attrs={"rows": 4}))


class ComplaintHandleForm(forms.Form):
    note = forms.CharField(label="受理说明", required=False, max_length=300)


class ConcludeForm(forms.Form):
    conclusion = forms.CharField(
        label="处理结果", max_length=COMPLAINT_MAX, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写处理结果。"},
    )


class ComplaintFilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *ComplaintStatus.choices])


class EvaluationFilterForm(forms.Form):
    review = forms.ChoiceField(label="复核", required=False, choices=[("", "全部"), *EvaluationReview.choices])
    rating = forms.TypedChoiceField(
        label="评分", required=False, coerce=int, empty_value=None,
        choices=[("", "全部"), *((n, f"{n} 星") for n in range(1, 6))],
    )
