"""Forms of the volunteer pages. They collect and show input; the rules live in `validation.validate_volunteer`
(which every form runs, so a field shows its own message) and in the services."""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Min
from django.forms.models import ModelChoiceIterator
from django.urls import reverse
from django.utils import timezone

from jinguo.core.ids import ID_TYPES, age_on
from jinguo.core.scope import get_scope
from jinguo.core.text import clean_text, is_mobile, normalise_phone
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES, NodeKind, NodeStatus
from jinguo.orgs.models import Node

from . import choices, consent_texts
from .validation import validate_volunteer

HOME_KINDS = (NodeKind.STREET, NodeKind.COMMUNITY)
STAFF_GUARDIAN_LABEL = "监护人已在纸质登记表上签字同意"
STATUS_FILTER_CHOICES = [
    ("", "在册及待确认"),
    (choices.VolunteerStatus.PENDING, "待本人确认（未确认）"),
    (choices.VolunteerStatus.ACTIVE, "在册（已确认）"),
    (choices.VolunteerStatus.FROZEN, "已冻结（本人否认）"),
    (choices.VolunteerStatus.WITHDRAWN, "已退出"),
]
SORT_CHOICES = [("recent", "最近登记"), ("name", "姓名拼音"), ("number", "志愿者编号"), ("age", "年龄从大到小")]


def _blank(values, blank="请选择"):
    return [("", blank), *[(v, v) for v in values]]


def age_today(birth_date) -> int | None:
    if birth_date is None:
        return None
    return age_on(birth_date, timezone.localdate())


# ---- the cascading region picker (province -> city -> district -> street -> community) -----------------------


def _federations():
    return Node.objects.filter(status=NodeStatus.ACTIVE).exclude(kind=NodeKind.TEAM)


def place_name(node: Node) -> str:
    """A federation node as a place: 思明区妇联 -> 思明区 (people choose where they live, not an organisation)."""
    name = node.name
    return name[:-2] if name.endswith("妇联") and len(name) > 2 else name


def region_roots(mode: str, user=None) -> list[Node]:
    """Where the picker starts: the whole tree for the public, the federation nodes of her scope for staff."""
    if mode == "staff" and user is not None:
        scope = get_scope(user)
        if not scope.platform:
            return list(_federations().filter(path__in=scope.change_paths).order_by("path"))
    return list(_federations().filter(depth=1).order_by("path"))


def _children(node: Node) -> list[Node]:
    return list(_federations().filter(path__startswith=node.path, depth=node.depth + 1).order_by("path"))


def region_picker_context(name: str, value, mode: str, user=None, widget_id: str = "", home: bool = True) -> dict:
    """The chain of selects for a chosen node: each ancestor with its siblings, then the node's children.

    A level with a single option is chosen automatically (the national root, a one-district scope)."""
    roots = region_roots(mode, user)
    selected = None
    if value not in (None, ""):
        try:
            selected = _federations().filter(pk=int(value)).first()
        except (TypeError, ValueError):
            selected = None
    if selected is not None and not any(selected.path.startswith(r.path) for r in roots):
        selected = None
    chain = []  # the chosen node at each level, top down
    if selected is not None:
        ancestors = {n.path: n for n in selected.ancestors_list()}
        root = next(r for r in roots if selected.path.startswith(r.path))
        chain = [n for path, n in sorted(ancestors.items()) if path.startswith(root.path)] + [selected]
    levels = []
    options, parent, depth = roots, None, 0
    while options:
        chosen = chain[depth] if depth < len(chain) else None
        if chosen is None and len(options) == 1:
            chosen = options[0]
            chain.append(chosen)
        kind_label = NodeKind(options[0].kind).label.split("（")[0]
        levels.append(
            {
                "options": [(node.pk, place_name(node)) for node in options],
                "selected": chosen.pk if chosen else None,
                "chosen_name": place_name(chosen) if chosen else "",
                "parent": parent,
                "label": kind_label,
                # Leading levels without a choice to make (the national root, a one-province deployment, a
                # one-district scope) are shown as text, not as selects.
                "fixed": len(options) == 1 and all(level["fixed"] for level in levels),
            }
        )
        if chosen is None:
            break
        parent, depth = chosen.pk, depth + 1
        options = _children(chosen)
    final = chain[-1] if chain else None
    chose_something = any(not level["fixed"] and level["selected"] for level in levels)
    return {
        "home": home,
        "home_ok": final is not None and final.kind in HOME_KINDS,
        "show_chosen": final is not None and (final.kind in HOME_KINDS if home else chose_something),
        "fixed": [level["chosen_name"] for level in levels if level["fixed"]],
        "name": name,
        "mode": mode,
        "id": widget_id or f"id_{name}",
        "levels": levels,
        "value": final.pk if final else "",
        "chosen": final,
        "chosen_name": place_name(final) if final else "",
        "done": final is not None and final.kind == NodeKind.COMMUNITY,
    }


class RegionPickerWidget(forms.Widget):
    """Cascading selects refreshed by HTMX; the deepest choice travels in one hidden input."""

    template_name = "volunteers/widgets/region_picker.html"

    def __init__(self, mode: str = "public", attrs=None, home: bool = True):
        super().__init__(attrs)
        self.mode = mode
        self.home = home  # a residence must be a street or community; a search region may be anything
        self.user = None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["picker"] = region_picker_context(
            name, value, self.mode, self.user, widget_id=(attrs or {}).get("id", ""), home=self.home
        )
        return context

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class LimitedModelChoiceField(forms.ModelChoiceField):
    """Validates against the whole queryset but offers a bounded set of options: `options` (a narrower queryset,
    e.g. the upper levels of a national tree) or the first `limit` rows."""

    limit = 500
    options = None

    class iterator(ModelChoiceIterator):
        def _rows(self):
            rows = self.field.options if self.field.options is not None else self.queryset
            return rows[: self.field.limit]

        def __iter__(self):
            if self.field.empty_label is not None:
                yield ("", self.field.empty_label)
            for obj in self._rows():
                yield self.choice(obj)

        def __len__(self):
            return self._rows().count() + (self.field.empty_label is not None)

        def __bool__(self):
            return True


def apply_domain_error(form: forms.Form, exc, aliases: dict | None = None) -> None:
    """Show a service's DomainError on the field it names (or on the form), keeping the user's input."""
    field = (aliases or {}).get(exc.field, exc.field)
    if field not in form.fields:
        field = None
    form.add_error(field, exc.message)


class PhoneCodeForm(forms.Form):
    """Step one of registration, confirmation and claims: she proves she holds the phone."""

    phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel", "placeholder": "11 位手机号"}),
    )
    code = forms.CharField(
        label="短信验证码",
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "6 位数字"}
        ),
    )

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not is_mobile(phone):
            raise ValidationError("请输入正确的 11 位手机号。")
        return phone

    def clean_code(self):
        return clean_text(self.cleaned_data.get("code"))


class ProfileFieldsForm(forms.Form):
    """The registration form's profile part (seed 003 annex, DOMAIN F3): everything but who she is."""

    ethnicity = forms.ChoiceField(label="民族", choices=_blank(choices.ETHNICITIES), required=False)
    political_status = forms.ChoiceField(label="政治面貌", choices=_blank(choices.POLITICAL_STATUS), required=False)
    education = forms.ChoiceField(label="学历", choices=_blank(choices.EDUCATION), required=False)
    work_unit = forms.CharField(label="工作单位", max_length=120, required=False)
    occupation = forms.CharField(label="职业", max_length=60, required=False)
    skills = forms.CharField(
        label="技能特长",
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "如：法律咨询、心理疏导、急救、摄影；暂无可填“热心服务”"}),
    )
    categories = forms.MultipleChoiceField(
        label="服务意向（服务类别，可多选）", choices=SERVICE_CATEGORIES, widget=forms.CheckboxSelectMultiple
    )
    other_category = forms.CharField(
        label="其他服务类别", max_length=60, required=False, help_text="选择「其他」时请填写具体内容"
    )
    availability = forms.MultipleChoiceField(
        label="可服务时间（可多选）", choices=SERVICE_TIMES, widget=forms.CheckboxSelectMultiple
    )
    force_type = forms.ChoiceField(
        label="力量类型", choices=[("", "请选择"), *choices.ForceType.choices], required=False
    )
    honours = forms.MultipleChoiceField(
        label="所获荣誉（可多选）", choices=choices.HONOURS, widget=forms.CheckboxSelectMultiple, required=False
    )
    honours_other = forms.CharField(label="其他荣誉", max_length=200, required=False)
    address = forms.CharField(label="居住地址", max_length=200, required=False, help_text="街道门牌，可不填到门牌号")
    emergency_contact_name = forms.CharField(label="紧急联系人", max_length=50, required=False)
    emergency_contact_phone = forms.CharField(
        label="紧急联系人电话", max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    wechat_id = forms.CharField(label="微信号（选填）", max_length=50, required=False)

    PROFILE_KEYS = (
        "ethnicity",
        "political_status",
        "education",
        "work_unit",
        "occupation",
        "skills",
        "categories",
        "other_category",
        "availability",
        "force_type",
        "honours",
        "honours_other",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "wechat_id",
    )
    IDENTITY_KEYS: tuple[str, ...] = ()

    def raw(self) -> dict:
        """The input as `validate_volunteer` and the services take it."""
        data = self.cleaned_data
        raw = {key: data.get(key) for key in (*self.IDENTITY_KEYS, *self.PROFILE_KEYS) if key in self.fields}
        return raw

    def _validate_raw(self, raw: dict, *, require_phone: bool = True, only: tuple[str, ...] | None = None):
        """Run the shared rules and put each message on its field; `only` limits which fields report."""
        result = validate_volunteer(raw, require_phone=require_phone)
        for field, message in result.errors:
            if only is not None and field not in only:
                continue
            if field in self.fields:
                if field not in self.errors:
                    self.add_error(field, message + "。")
            else:
                self.add_error(None, message + "。")
        return result


class IdentityMixin(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_type = forms.ChoiceField(label="证件类型", choices=ID_TYPES, initial="resident")
    id_number = forms.CharField(
        label="证件号码",
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        help_text="身份证号码加密保存，页面上只显示前 6 位和后 4 位。",
    )


def _live_id_check(form: forms.Form, context: str = "") -> None:
    """Feedback on the ID number while it is typed (format, birth date, age); the server's check decides."""
    url = reverse("volunteers:id_check") + (f"?ctx={context}" if context else "")
    common = {
        "hx-get": url,
        "hx-target": "#id-feedback",
        "hx-swap": "outerHTML",
        "hx-include": "[name=id_type],[name=id_number],[name^=guardian_]",
    }
    form.fields["id_number"].widget.attrs.update({**common, "hx-trigger": "input changed delay:500ms, change"})
    form.fields["id_type"].widget.attrs.update({**common, "hx-trigger": "change"})


class GuardianMixin(forms.Form):
    guardian_name = forms.CharField(label="监护人姓名", max_length=50, required=False)
    guardian_phone = forms.CharField(
        label="监护人手机号", max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    guardian_relation = forms.CharField(
        label="与本人关系", max_length=20, required=False, widget=forms.TextInput(attrs={"placeholder": "如：母亲"})
    )
    guardian_consent = forms.BooleanField(label=f"监护人同意：{consent_texts.TEXTS['guardian']}", required=False)

    def guardian(self) -> dict | None:
        data = self.cleaned_data
        if not (data.get("guardian_name") or data.get("guardian_phone")):
            return None
        return {
            "name": data.get("guardian_name"),
            "phone": data.get("guardian_phone"),
            "relation": data.get("guardian_relation"),
        }

    def _check_guardian(self, birth_date, *, required: bool) -> None:
        """Under 14 a guardian consents before any processing (R4); the birth date comes from the ID number."""
        from .services import GUARDIAN_AGE

        age = age_today(birth_date)
        if age is None or age >= GUARDIAN_AGE or not required:
            return
        data = self.cleaned_data
        if not clean_text(data.get("guardian_name")):
            self.add_error("guardian_name", "未满 14 周岁，须填写监护人姓名。")
        if not is_mobile(normalise_phone(data.get("guardian_phone"))):
            self.add_error("guardian_phone", "请填写监护人的 11 位手机号。")
        if not data.get("guardian_consent"):
            self.add_error("guardian_consent", "须由监护人阅读并勾选同意。")


class ConsentMixin(forms.Form):
    consent_personal = forms.BooleanField(label="我已阅读并同意《个人信息处理说明》", required=False)
    consent_sensitive = forms.BooleanField(label="我单独同意处理我的身份证件号码（敏感个人信息）", required=False)
    consent_sharing = forms.BooleanField(label="我同意向全国志愿服务信息系统报送我的信息（选填）", required=False)

    def consents(self) -> list[str]:
        data = self.cleaned_data
        kinds = []
        for kind in ("personal", "sensitive", "sharing"):
            if data.get(f"consent_{kind}"):
                kinds.append(kind)
        return kinds

    def _check_consents(self) -> None:
        data = self.cleaned_data
        if not data.get("consent_personal"):
            self.add_error("consent_personal", "请阅读并同意个人信息处理说明。")
        if not data.get("consent_sensitive"):
            self.add_error("consent_sensitive", "身份证件号码属于敏感个人信息，须单独同意。")


class PasswordMixin(forms.Form):
    password1 = forms.CharField(
        label="设置登录密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 8 位，不能全是数字；以后用手机号和这个密码登录。",
    )
    password2 = forms.CharField(
        label="再次输入密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def _check_password(self) -> None:
        one, two = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if one and two and one != two:
            self.add_error("password2", "两次输入的密码不一致。")
        elif one:
            try:
                validate_password(one)
            except ValidationError as exc:
                self.add_error("password1", exc)


def _home_field(mode: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="居住地（选到街道或社区）",
        queryset=Node.objects.filter(status=NodeStatus.ACTIVE).exclude(kind=NodeKind.TEAM),
        widget=RegionPickerWidget(mode=mode),
        error_messages={
            "required": "请选择居住地所在的街道（乡镇）或社区（村）。",
            "invalid_choice": "请重新选择居住地。",
        },
    )


def _check_home_kind(form: forms.Form) -> None:
    home = form.cleaned_data.get("home_node")
    if home is not None and home.kind not in HOME_KINDS:
        form.add_error("home_node", "请继续选择到街道（乡镇）或社区（村）。")


class SelfRegistrationForm(IdentityMixin, ProfileFieldsForm, GuardianMixin, ConsentMixin, PasswordMixin):
    """Step two of her own registration; the phone was proved in step one."""

    IDENTITY_KEYS = ("name", "id_type", "id_number")
    field_order = [
        "name",
        "id_type",
        "id_number",
        "ethnicity",
        "political_status",
        "education",
        "work_unit",
        "occupation",
        "home_node",
        "address",
        "skills",
        "categories",
        "other_category",
        "availability",
        "force_type",
        "honours",
        "honours_other",
        "emergency_contact_name",
        "emergency_contact_phone",
        "wechat_id",
    ]

    def __init__(self, *args, phone: str, **kwargs):
        self.phone = phone
        super().__init__(*args, **kwargs)
        self.fields["home_node"] = _home_field("public")
        self.order_fields(self.field_order)
        _live_id_check(self)
        self.birth_date = None

    def raw(self) -> dict:
        return {**super().raw(), "phone": self.phone}

    def clean(self):
        cleaned = super().clean()
        _check_home_kind(self)
        result = self._validate_raw(self.raw())
        self.birth_date = result.data.get("birth_date")
        self._check_guardian(self.birth_date, required=True)
        self._check_consents()
        self._check_password()
        return cleaned


class StaffVolunteerForm(IdentityMixin, ProfileFieldsForm, GuardianMixin):
    """Staff enter a registration from a paper form; it waits for her own confirmation (R25)."""

    IDENTITY_KEYS = ("name", "id_type", "id_number", "phone")
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text="系统会向这个号码发送确认短信，本人确认后登记才生效。",
    )
    team = forms.ModelChoiceField(
        label="加入队伍", queryset=Node.objects.none(), required=False, empty_label="不加入队伍"
    )

    field_order = [
        "name",
        "id_type",
        "id_number",
        "phone",
        "team",
        "home_node",
        "address",
        "ethnicity",
        "political_status",
        "education",
        "work_unit",
        "occupation",
        "skills",
        "categories",
        "other_category",
        "availability",
        "force_type",
        "honours",
        "honours_other",
        "emergency_contact_name",
        "emergency_contact_phone",
        "wechat_id",
    ]

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        scope = get_scope(user)
        teams = Node.objects.restrict(user, "change").filter(kind=NodeKind.TEAM, status=NodeStatus.ACTIVE)
        self.fields["team"].queryset = teams.order_by("path")
        self.fields["team"].label_from_instance = lambda node: "　" * max(node.depth - 4, 0) + node.name
        # Admins choose a home inside their own subtree; a leader (who holds no federation node) registers into
        # his team, and her home may be any community.
        self.federation_scope = (
            scope.platform or Node.objects.restrict(user, "change").exclude(kind=NodeKind.TEAM).exists()
        )
        self.fields["home_node"] = _home_field("staff" if self.federation_scope else "public")
        self.fields["home_node"].widget.user = user
        if not self.federation_scope:
            self.fields["team"].required = True
            self.fields["team"].empty_label = None
        self.fields["guardian_consent"].label = STAFF_GUARDIAN_LABEL
        self.order_fields(self.field_order)
        _live_id_check(self, "staff")
        self.birth_date = None

    def clean(self):
        cleaned = super().clean()
        _check_home_kind(self)
        home = cleaned.get("home_node")
        if home is not None and cleaned.get("team") is None:
            if not get_scope(self.user).covers(home.path, "change"):
                self.add_error("home_node", f"「{home.name}」不在您的管理范围内。")
        result = self._validate_raw(self.raw())
        self.birth_date = result.data.get("birth_date")
        self._check_guardian(self.birth_date, required=True)
        return cleaned


class StaffEditForm(ProfileFieldsForm):
    """Staff correct a record. Empty ID number and phone keep what is stored: nobody sees them in full here."""

    name = forms.CharField(label="姓名", max_length=50)
    id_type = forms.ChoiceField(label="证件类型", choices=ID_TYPES)
    id_number = forms.CharField(
        label="证件号码",
        max_length=24,
        required=False,
        help_text="不修改请留空。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        required=False,
        help_text="不修改请留空。",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    field_order = ["name", "id_type", "id_number", "phone", "home_node"]

    def __init__(self, *args, user, volunteer, **kwargs):
        self.user = user
        self.volunteer = volunteer
        super().__init__(*args, **kwargs)
        federation_scope = get_scope(user).covers(volunteer.home_node.path, "change")
        self.fields["home_node"] = _home_field("staff" if federation_scope else "public")
        self.fields["home_node"].widget.user = user
        self.fields["id_number"].widget.attrs["placeholder"] = f"当前：{volunteer.id_number_masked}"
        self.fields["phone"].widget.attrs["placeholder"] = f"当前：{volunteer.phone_masked}"
        self.order_fields(self.field_order)

    def raw(self) -> dict:
        data = self.cleaned_data
        raw = {key: data.get(key) for key in self.PROFILE_KEYS}
        raw["name"] = data.get("name")
        raw["id_type"] = data.get("id_type")
        for key in ("id_number", "phone"):
            if data.get(key):
                raw[key] = data[key]
        return raw

    def clean(self):
        cleaned = super().clean()
        _check_home_kind(self)
        raw = self.raw()
        only = ["name", *self.PROFILE_KEYS]
        only += [key for key in ("id_number", "phone") if key in raw]
        # What was left empty is not checked here; the service checks the merged record.
        self._validate_raw(raw, require_phone=False, only=tuple(only))
        return cleaned


class SelfEditForm(ProfileFieldsForm):
    """She corrects her own profile (PIPL 46); name, ID number and phone are corrected by staff."""

    field_order = ["home_node"]

    def __init__(self, *args, volunteer, **kwargs):
        self.volunteer = volunteer
        super().__init__(*args, **kwargs)
        self.fields["home_node"] = _home_field("public")
        self.order_fields(self.field_order)

    def clean(self):
        cleaned = super().clean()
        _check_home_kind(self)
        self._validate_raw(self.raw(), require_phone=False, only=self.PROFILE_KEYS)
        return cleaned


def profile_initial(volunteer) -> dict:
    """A record's profile as form input (multi-choice fields as code lists)."""
    initial = {key: getattr(volunteer, key) for key in ProfileFieldsForm.PROFILE_KEYS if hasattr(volunteer, key)}
    initial["categories"] = volunteer.categories
    initial["availability"] = volunteer.availability
    initial["honours"] = volunteer.honours
    initial["home_node"] = volunteer.home_node_id
    return initial


class ConfirmRecordForm(GuardianMixin, ConsentMixin, PasswordMixin):
    """She confirms a record staff entered for her (R25)."""

    def __init__(self, *args, volunteer, needs_password: bool, **kwargs):
        self.volunteer = volunteer
        super().__init__(*args, **kwargs)
        if not needs_password:
            del self.fields["password1"]
            del self.fields["password2"]
        self.needs_password = needs_password

    def clean(self):
        cleaned = super().clean()
        self._check_consents()
        self._check_guardian(self.volunteer.birth_date, required=True)
        if self.needs_password:
            self._check_password()
        return cleaned


class DenyForm(forms.Form):
    reason = forms.CharField(
        label="情况说明（选填）",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：我从未填写过登记表，也不认识登记单位"}),
    )


class ClaimForm(PhoneCodeForm):
    """R26: her ID number is already registered by someone else."""

    claimant_name = forms.CharField(label="您的姓名", max_length=50)
    id_type = forms.ChoiceField(label="证件类型", choices=ID_TYPES, initial="resident")
    id_number = forms.CharField(label="您的证件号码", max_length=24)
    reason = forms.CharField(
        label="情况说明",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "如：我从未在该社区登记过，登记的手机号也不是我的"}),
    )
    field_order = ["claimant_name", "id_type", "id_number", "phone", "code", "reason"]


class DisputeResolveForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label="处理结果",
        choices=[("1", "情况属实（支持申诉）"), ("0", "情况不属实（驳回申诉）")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(
        label="处理意见",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="将记入该志愿者的档案历史。",
    )


class RosterFilterForm(forms.Form):
    """The roster search (F4). The export view reads the posted filters with this same form."""

    q = forms.CharField(
        label="关键词",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "姓名/拼音首字母/手机尾号/编号", "type": "search"}),
    )
    team = LimitedModelChoiceField(label="队伍", queryset=Node.objects.none(), required=False, empty_label="全部队伍")
    region = LimitedModelChoiceField(label="地区", queryset=Node.objects.none(), required=False, empty_label="全部地区")
    category = forms.ChoiceField(label="服务类别", choices=[("", "全部类别"), *SERVICE_CATEGORIES], required=False)
    skill = forms.CharField(label="技能", required=False, widget=forms.TextInput(attrs={"placeholder": "技能关键词"}))
    force_type = forms.ChoiceField(
        label="力量类型", choices=[("", "全部力量类型"), *choices.ForceType.choices], required=False
    )
    honours = forms.ChoiceField(label="荣誉", choices=[("", "全部荣誉"), *choices.HONOURS], required=False)
    age_band = forms.ChoiceField(
        label="年龄段",
        choices=[("", "全部年龄"), *[(code, label) for code, label, _, _ in choices.AGE_BANDS]],
        required=False,
    )
    sex = forms.ChoiceField(label="性别", choices=[("", "全部性别"), *choices.Sex.choices], required=False)
    status = forms.ChoiceField(label="状态", choices=STATUS_FILTER_CHOICES, required=False)
    sort = forms.ChoiceField(label="排序", choices=SORT_CHOICES, required=False)

    # The selects offer this many levels below the top of the user's scope (a national admin gets provinces and
    # cities, a district admin streets and communities); any node in scope is still accepted, e.g. from a link.
    OPTION_LEVELS = 2

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = Node.objects.restrict(user, "view").filter(status=NodeStatus.ACTIVE).order_by("path")
        for name, nodes in (
            ("region", visible.exclude(kind=NodeKind.TEAM)),
            ("team", visible.filter(kind=NodeKind.TEAM)),
        ):
            field = self.fields[name]
            field.queryset = nodes
            top = nodes.aggregate(top=Min("depth"))["top"] or 1
            field.options = nodes.filter(depth__lte=top + self.OPTION_LEVELS)
            field.label_from_instance = lambda n, top=top: "\u3000" * max(n.depth - top, 0) + n.name

    def search_kwargs(self) -> dict:
        """Keyword arguments for `selectors.search_volunteers` (empty filters when the input is invalid)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q") or "",
            "team": data.get("team"),
            "region": data.get("region"),
            "categories": [data["category"]] if data.get("category") else None,
            "skill": data.get("skill") or "",
            "force_type": data.get("force_type") or "",
            "honours": [data["honours"]] if data.get("honours") else None,
            "age_band": data.get("age_band") or "",
            "status": data.get("status") or "",
            "sex": data.get("sex") or "",
        }

    def sort_key(self) -> str:
        if self.is_valid() and self.cleaned_data.get("sort"):
            return self.cleaned_data["sort"]
        return "recent"


class AddMemberForm(forms.Form):
    volunteer_number = forms.CharField(
        label="志愿者编号", max_length=20, widget=forms.TextInput(attrs={"placeholder": "如 JG2600000123"})
    )
    phone = forms.CharField(label="手机号", max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300)


class TeamSearchForm(forms.Form):
    q = forms.CharField(label="队伍名称", required=False, widget=forms.TextInput(attrs={"type": "search"}))
    region = forms.ModelChoiceField(
        label="所在地区",
        queryset=Node.objects.filter(status=NodeStatus.ACTIVE).exclude(kind=NodeKind.TEAM),
        required=False,
        widget=RegionPickerWidget(mode="public", home=False),
    )
    category = forms.ChoiceField(label="服务类别", choices=[("", "全部类别"), *SERVICE_CATEGORIES], required=False)


class WithdrawForm(forms.Form):
    kind = forms.ChoiceField(choices=[("sharing", "sharing"), ("personal", "personal")])
