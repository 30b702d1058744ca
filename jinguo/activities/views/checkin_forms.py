"""Forms of the check-in pages (kept beside their views: the activities app's forms.py is the publishing forms)."""

from django import forms

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PositionForm(forms.Form):
    """Her position, filled in by static/js/checkin.js from the browser's Geolocation API (empty when refused)."""

    latitude = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    geo_error = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def position(self) -> dict:
        data = self.cleaned_data
        return {"latitude": data.get("latitude") or None, "longitude": data.get("longitude") or None}


class ScanForm(PositionForm):
    proof = forms.CharField(max_length=400, widget=forms.HiddenInput)


class CodeForm(PositionForm):
    code = forms.CharField(
        label="签到码",
        max_length=6,
        min_length=6,
        help_text="队长屏幕上显示的 6 位数字（签到、签退各有一个，约每半分钟更换）",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}",
                   "placeholder": "6 位数字", "class": "jg-code-input", "autofocus": True}
        ),
        error_messages={"min_length": "请输入 6 位数字。", "required": "请输入签到码。"},
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        # Full-width digits typed on a Chinese keyboard are digits too.
        code = code.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if not code.isdigit():
            raise forms.ValidationError("请输入 6 位数字。")
        return code


class DeclarationForm(forms.Form):
    start_at = forms.DateTimeField(label="开始时间", input_formats=DATETIME_FORMATS, widget=_DateTimeInput())
    end_at = forms.DateTimeField(label="结束时间", input_formats=DATETIME_FORMATS, widget=_DateTimeInput())
    note = forms.CharField(
        label="情况说明",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：手机没电，未能扫码签到；现场由张队长安排在服务台"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300)


ROSTER_ACTIONS = {
    "in_now": ("in", False, "签到（现在）"),
    "in_shift": ("in", True, "按班次开始时间签到"),
    "out_now": ("out", False, "签退（现在）"),
    "out_shift": ("out", True, "按班次结束时间签退"),
}
