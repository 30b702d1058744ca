"""REST API for volunteers and memberships: `/api/v1/volunteers/`, `/api/v1/memberships/`.

Volunteers are shown masked (ID number and phone); the full ID number comes only from the `reveal_id` action,
which needs the personal-data right and is audited. Registrations entered through the API are staff entries and
stay 待本人确认 until she confirms them herself (R25). Every write calls a service in `volunteers.services`.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.core.api import ScopedViewSetMixin
from jinguo.core.ids import ID_TYPES
from jinguo.core.masking import mask_phone
from jinguo.orgs.api import NodeIdFilter, visible_nodes, visible_teams
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES, NodeKind, NodeStatus
from jinguo.orgs.models import Node

from . import choices, services
from .models import Membership, Volunteer
from .selectors import SORTS, search_volunteers

# ---- volunteers -----------------------------------------------------------------------------------------------


class NodeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class VolunteerTeamSerializer(serializers.Serializer):
    membership = serializers.IntegerField(source="pk", help_text="成员关系 id")
    team = serializers.IntegerField(source="team_id", help_text="队伍 id")
    team_name = serializers.CharField(source="team.name")
    status = serializers.CharField(help_text="applied 申请中 / active 在队")
    joined_at = serializers.DateTimeField(allow_null=True)


class VolunteerSerializer(serializers.ModelSerializer):
    """A volunteer as a roster shows her: ID number and phone masked (R3)."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True, help_text="证件号码（已脱敏）")
    id_type_display = serializers.CharField(source="id_type_label", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True, help_text="手机号（已脱敏）")
    age = serializers.SerializerMethodField(help_text="年龄（周岁）")
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_confirmed = serializers.BooleanField(read_only=True, help_text="本人已确认（待本人确认的不能计时、不能出证）")
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    categories = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="服务类别代码")
    availability = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="可服务时间代码")
    honours = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="荣誉代码")
    force_type_display = serializers.CharField(source="get_force_type_display", read_only=True)
    home_node = NodeRefSerializer(read_only=True, help_text="居住地（所属社区）")
    emergency_contact_phone = serializers.SerializerMethodField(help_text="紧急联系人电话（已脱敏）")
    teams = serializers.SerializerMethodField(help_text="所在或申请中的队伍（仅您范围内的队伍）")

    class Meta:
        model = Volunteer
        fields = [
            "id",
            "number",
            "name",
            "sex",
            "sex_display",
            "age",
            "id_type",
            "id_type_display",
            "id_number",
            "phone",
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
            "force_type_display",
            "honours",
            "honours_other",
            "home_node",
            "emergency_contact_name",
            "emergency_contact_phone",
            "status",
            "status_display",
            "is_confirmed",
            "source",
            "source_display",
            "created_at",
            "confirmed_at",
            "teams",
        ]
        read_only_fields = fields

    def get_age(self, volunteer) -> int | None:
        # The age, not the birth date: the masked ID number hides the birth date on purpose.
        return volunteer.age()

    def get_emergency_contact_phone(self, volunteer) -> str:
        return mask_phone(volunteer.emergency_contact_phone)

    @extend_schema_field(VolunteerTeamSerializer(many=True))
    def get_teams(self, volunteer) -> list:
        memberships = getattr(volunteer, "visible_memberships", None)
        if memberships is None:
            request = self.context.get("request")
            memberships = (
                Membership.objects.restrict(request.user if request else None)
                .open()
                .filter(volunteer=volunteer)
                .select_related("team")
            )
        return VolunteerTeamSerializer(memberships, many=True).data


class GuardianSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, help_text="监护人姓名")
    phone = serializers.CharField(max_length=20, help_text="监护人手机号")
    relation = serializers.CharField(max_length=20, required=False, allow_blank=True, help_text="与本人关系")


class VolunteerCreateSerializer(serializers.Serializer):
    """A registration entered by staff from a paper form. The rules (R1, R2) are checked by the service."""

    name = serializers.CharField(max_length=50, help_text="真实姓名")
    id_type = serializers.ChoiceField(
        choices=ID_TYPES,
        required=False,
        help_text="证件类型，默认居民身份证",
    )
    id_number = serializers.CharField(max_length=30, help_text="证件号码（校验位、出生日期会被检查）")
    phone = serializers.CharField(max_length=20, help_text="本人手机号：确认邀请会发到这个号码")
    ethnicity = serializers.CharField(max_length=16, required=False, allow_blank=True)
    political_status = serializers.CharField(max_length=16, required=False, allow_blank=True)
    education = serializers.CharField(max_length=16, required=False, allow_blank=True)
    work_unit = serializers.CharField(max_length=120, required=False, allow_blank=True)
    occupation = serializers.CharField(max_length=60, required=False, allow_blank=True)
    skills = serializers.CharField(max_length=300, required=False, allow_blank=True)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=SERVICE_CATEGORIES), required=False, help_text="服务类别代码"
    )
    other_category = serializers.CharField(max_length=60, required=False, allow_blank=True)
    availability = serializers.ListField(
        child=serializers.ChoiceField(choices=SERVICE_TIMES), required=False, help_text="可服务时间代码"
    )
    force_type = serializers.ChoiceField(choices=choices.ForceType.choices, required=False, allow_blank=True)
    honours = serializers.ListField(
        child=serializers.ChoiceField(choices=choices.HONOURS), required=False, help_text="荣誉代码"
    )
    honours_other = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emergency_contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    emergency_contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    wechat_id = serializers.CharField(max_length=50, required=False, allow_blank=True)
    home_node = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.none(), help_text="居住地：社区（村）或街道（乡镇）的 id"
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.none(), required=False, allow_null=True, help_text="同时加入的队伍 id（可选）"
    )
    guardian = GuardianSerializer(required=False, help_text="未满 14 周岁时必填")

    NOT_RAW = ("home_node", "team", "guardian")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Where she lives is a place, not data in anyone's scope: any active federation node may be named,
        # as long as the registering team is the caller's. Without a team, the home must be in her scope.
        self.fields["home_node"].queryset = Node.objects.exclude(kind=NodeKind.TEAM).filter(status=NodeStatus.ACTIVE)
        self.fields["team"].queryset = visible_teams(request).filter(status=NodeStatus.ACTIVE)

    def validate(self, attrs):
        request = self.context.get("request")
        if not attrs.get("team") and not visible_nodes(request).filter(pk=attrs["home_node"].pk).exists():
            raise serializers.ValidationError({"home_node": ["所选居住地不在您的管理范围内；请同时选择登记队伍。"]})
        return attrs

    def raw(self) -> dict:
        return {key: value for key, value in self.validated_data.items() if key not in self.NOT_RAW}


class RevealedIdSerializer(serializers.Serializer):
    id_type = serializers.CharField()
    id_number = serializers.CharField(help_text="完整证件号码")


class VolunteerFilter(django_filters.FilterSet):
    """The roster search of `selectors.search_volunteers`, parameter for parameter."""

    q = django_filters.CharFilter(method="search", label="姓名、拼音首字母（如 zxl）、手机尾号 4 位或志愿者编号")
    team = NodeIdFilter(queryset=visible_teams, method="search", label="队伍 id（含下级队伍）")
    region = NodeIdFilter(queryset=visible_nodes, method="search", label="居住地所在组织 id（含下级）")
    categories = django_filters.MultipleChoiceFilter(
        choices=SERVICE_CATEGORIES, method="search", label="服务类别（任一）"
    )
    skill = django_filters.CharFilter(method="search", label="技能特长包含")
    force_type = django_filters.ChoiceFilter(choices=choices.ForceType.choices, method="search", label="力量类型")
    honours = django_filters.MultipleChoiceFilter(choices=choices.HONOURS, method="search", label="荣誉（任一）")
    age_band = django_filters.ChoiceFilter(
        choices=[(code, label) for code, label, _low, _high in choices.AGE_BANDS], method="search", label="年龄段"
    )
    status = django_filters.ChoiceFilter(
        choices=choices.VolunteerStatus.choices, method="search", label="状态（默认列出除已退出外的全部）"
    )
    sex = django_filters.ChoiceFilter(choices=choices.Sex.choices, method="search", label="性别")
    sort = django_filters.ChoiceFilter(
        choices=[("recent", "最新登记"), ("name", "姓名"), ("number", "编号"), ("age", "年龄")],
        method="search",
        label="排序",
    )

    class Meta:
        model = Volunteer
        fields = []

    def search(self, queryset, name, value):
        return queryset  # all parameters are applied together in filter_queryset

    def filter_queryset(self, queryset):
        # search_volunteers starts from Volunteer.objects.restrict(user, "view") itself: the same scope as the
        # viewset's queryset, with the roster's filters on top.
        data = self.form.cleaned_data
        results = search_volunteers(
            self.request.user,
            q=data.get("q") or "",
            team=data.get("team"),
            region=data.get("region"),
            categories=data.get("categories") or None,
            skill=data.get("skill") or "",
            force_type=data.get("force_type") or "",
            honours=data.get("honours") or None,
            age_band=data.get("age_band") or "",
            status=data.get("status") or "",
            sex=data.get("sex") or "",
        )
        return results.order_by(*SORTS[data.get("sort") or "recent"])


@extend_schema(tags=["志愿者"])
@extend_schema_view(
    list=extend_schema(
        summary="志愿者查询",
        description="您数据范围内的志愿者（登记在您下辖社区、或在您下辖队伍中的），证件号码和手机号已脱敏。",
    ),
    retrieve=extend_schema(summary="志愿者详情（脱敏）"),
    create=extend_schema(
        summary="录入志愿者",
        description="工作人员根据纸质登记表录入。录入后状态为「待本人确认」，系统向本人手机发送确认邀请；"
        "本人确认前不能计时、不能出具证明（R25）。证件号码重复时返回 400，并说明已登记的单位。",
        request=VolunteerCreateSerializer,
        responses={201: VolunteerSerializer},
    ),
)
class VolunteerViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """志愿者：查询、详情（脱敏）、工作人员录入、查看完整证件号码（须授权，留痕）。"""

    serializer_class = VolunteerSerializer
    filterset_class = VolunteerFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]

    def base_queryset(self):
        return Volunteer.objects.select_related("home_node")

    def filter_queryset(self, queryset):
        # The roster filters are for the list; a volunteer's own URL finds her whatever her status.
        if self.action == "list":
            queryset = super().filter_queryset(queryset)
        # Her teams, as far as the caller may see them (an admin does not learn of teams outside her scope).
        visible = Membership.objects.restrict(self.request.user, "view").open().select_related("team")
        return queryset.prefetch_related(Prefetch("memberships", queryset=visible, to_attr="visible_memberships"))

    def create(self, request):
        form = VolunteerCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        volunteer = services.volunteer_create_by_staff(
            actor=request.user,
            raw=form.raw(),
            home_node=form.validated_data["home_node"],
            team=form.validated_data.get("team"),
            guardian=form.validated_data.get("guardian"),
        )
        volunteer = self.filter_queryset(self.get_queryset()).get(pk=volunteer.pk)
        return Response(self.get_serializer(volunteer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="查看完整证件号码",
        description="需要「查看完整个人信息」权限（或本人）。每次查看都记入审计日志。",
        request=None,
        responses=RevealedIdSerializer,
    )
    @action(detail=True, methods=["post"])
    def reveal_id(self, request, pk=None):
        """完整证件号码：须持有个人信息权限，每次查看留痕。"""
        volunteer = self.get_object()
        number = services.volunteer_reveal_id(actor=request.user, volunteer=volunteer)
        response = Response({"id_type": volunteer.id_type, "id_number": number})
        response["Cache-Control"] = "no-store"
        return response


# ---- memberships ----------------------------------------------------------------------------------------------


class VolunteerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="志愿者编号")
    name = serializers.CharField()
    status = serializers.CharField(help_text="pending 待本人确认 / active 在册 / frozen / withdrawn")


class MembershipSerializer(serializers.ModelSerializer):
    volunteer = VolunteerRefSerializer(read_only=True)
    team = NodeRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "volunteer",
            "team",
            "status",
            "status_display",
            "is_backbone",
            "applied_at",
            "joined_at",
            "ended_at",
            "note",
        ]
        read_only_fields = fields


class MembershipApplySerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="要加入的队伍 id")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="自我介绍或说明")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any active team may be asked to take her in: teams recruit in public (the team search page).
        self.fields["team"].queryset = Node.objects.filter(kind=NodeKind.TEAM, status=NodeStatus.ACTIVE)


class MembershipAddSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="队伍 id")
    volunteer_number = serializers.CharField(max_length=20, help_text="志愿者编号")
    phone = serializers.CharField(max_length=20, help_text="志愿者本人手机号（与编号一同核对）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = visible_teams(self.context.get("request")).filter(status=NodeStatus.ACTIVE)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="原因")


class MembershipFilter(django_filters.FilterSet):
    team = NodeIdFilter(queryset=visible_teams, label="队伍 id")
    volunteer = django_filters.NumberFilter(field_name="volunteer_id", label="志愿者 id")
    status = django_filters.ChoiceFilter(choices=choices.MembershipStatus.choices, label="状态")

    class Meta:
        model = Membership
        fields = ["team", "volunteer", "status"]


@extend_schema(tags=["成员关系"])
@extend_schema_view(
    list=extend_schema(
        summary="成员关系列表",
        description="您范围内队伍的成员与入队申请；志愿者本人看到自己的。可按队伍、志愿者、状态筛选。",
    ),
    retrieve=extend_schema(summary="成员关系详情"),
)
class MembershipViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """队伍成员：申请入队、审核、添加、移出、退出。记录从不删除，历史可查。"""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["created_at", "joined_at"]

    def base_queryset(self):
        return Membership.objects.select_related("volunteer", "team").order_by("-created_at", "-id")

    def _respond(self, membership, code=status.HTTP_200_OK):
        membership = Membership.objects.select_related("volunteer", "team").get(pk=membership.pk)
        return Response(MembershipSerializer(membership).data, status=code)

    @extend_schema(
        summary="申请加入队伍",
        description="志愿者本人申请加入一支队伍，由队长审核。须先确认本人的登记信息。",
        request=MembershipApplySerializer,
        responses={201: MembershipSerializer},
    )
    @action(detail=False, methods=["post"])
    def apply(self, request):
        """志愿者本人申请入队。"""
        form = MembershipApplySerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        membership = services.membership_apply(
            actor=request.user, team=form.validated_data["team"], note=form.validated_data.get("note", "")
        )
        return self._respond(membership, status.HTTP_201_CREATED)

    @extend_schema(
        summary="添加成员",
        description="队长或管理员凭志愿者编号和手机号把已登记的志愿者加入队伍。",
        request=MembershipAddSerializer,
        responses={201: MembershipSerializer},
    )
    @action(detail=False, methods=["post"])
    def add(self, request):
        """队长添加已登记的志愿者。"""
        form = MembershipAddSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        membership = services.membership_add(
            actor=request.user,
            team=form.validated_data["team"],
            volunteer_number=form.validated_data["volunteer_number"],
            phone=form.validated_data["phone"],
        )
        return self._respond(membership, status.HTTP_201_CREATED)

    @extend_schema(summary="同意入队申请", request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """队长同意入队申请。"""
        membership = services.membership_approve(actor=request.user, membership=self.get_object())
        return self._respond(membership)

    @extend_schema(summary="不同意入队申请", request=ReasonSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """队长不同意入队申请，须写明原因。"""
        membership = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        membership = services.membership_reject(
            actor=request.user, membership=membership, reason=form.validated_data["reason"]
        )
        return self._respond(membership)

    @extend_schema(summary="移出队伍", request=ReasonSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        """队长把成员移出队伍，须写明原因；记录保留。"""
        membership = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        membership = services.membership_remove(
            actor=request.user, membership=membership, reason=form.validated_data["reason"]
        )
        return self._respond(membership)

    @extend_schema(summary="本人退出队伍", request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """志愿者本人退出队伍或撤回申请。"""
        membership = services.membership_leave(actor=request.user, membership=self.get_object())
        return self._respond(membership)
