"""REST API for activities, shifts, sign-ups and insurance policies (issue 3: F5, R10).

    /api/v1/activities/           staff: activities organised in their subtree; a volunteer: those she may join or
                                  signed up for. Draft create/update, publish (or submit for approval, R30),
                                  approve/reject, withdraw, cancel, archive; `open`: what she may join, filtered.
    /api/v1/shifts/               the shifts of those activities (edited with the activity)
    /api/v1/signups/              she signs up (Idempotency-Key header: a retry returns the first sign-up) and
                                  cancels; the leader approves, rejects, cancels and marks no-shows; `mine`
    /api/v1/attendance/, /api/v1/declarations/: check-in and check-out, in api_checkin.py
    /api/v1/insurance-policies/   accident-insurance policies held in the caller's subtree (R10)

Reads go through `.restrict(user, action)` (what a volunteer may browse: `selectors.visible_activities`, which is
`.restrict()` plus the audience rules). Every write calls a service of `activities.services`, which checks the
caller's scope and raises DomainError (400) or PermissionDeniedError (403).
Objects given by id in a request body are looked up among those the caller can see: others are "invalid" (400),
never "forbidden", so that their existence is not revealed.
"""

import django_filters
from django.db import transaction
from django.db.models import Count, Q, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.core.api import ScopedViewSetMixin
from jinguo.orgs.api import NodeIdFilter, visible_nodes
from jinguo.orgs.choices import SERVICE_CATEGORIES, NodeStatus
from jinguo.orgs.models import Node
from jinguo.volunteers.api import NodeRefSerializer, ReasonSerializer, VolunteerRefSerializer
from jinguo.volunteers.models import Volunteer

from . import choices, selectors, services
from .models import Activity, InsurancePolicy, Shift, SignUp


def own_volunteer(request) -> Volunteer | None:
    return Volunteer.objects.filter(user_id=request.user.pk).first() if request.user.is_authenticated else None


class ActivityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ShiftRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="原因（可选）")


# ---- activities ----------------------------------------------------------------------------------------------------


class ShiftSerializer(serializers.ModelSerializer):
    activity = serializers.IntegerField(source="activity_id", read_only=True, help_text="活动 id")

    class Meta:
        model = Shift
        fields = ["id", "activity", "name", "start_at", "end_at", "capacity"]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    organiser = NodeRefSerializer(read_only=True, help_text="组织单位（只有它为本活动记录服务时长，R14）")
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    phase = serializers.CharField(read_only=True, help_text="upcoming 未开始 / in_progress 进行中 / finished 已结束")
    phase_display = serializers.CharField(source="get_phase_display", read_only=True)
    audience_display = serializers.CharField(source="get_audience_display", read_only=True)
    approval_mode_display = serializers.CharField(source="get_approval_mode_display", read_only=True)
    campaign_display = serializers.CharField(source="get_campaign_display", read_only=True)
    shifts = ShiftSerializer(many=True, read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id", "title", "organiser", "category", "category_display", "content", "address", "latitude",
            "longitude", "geofence_m", "service_site", "start_at", "end_at", "capacity", "skills_required",
            "qualification", "min_age", "max_age", "approval_mode", "approval_mode_display", "signup_deadline",
            "cancel_cutoff_hours", "risk_statement", "protection", "is_risky", "audience", "audience_display",
            "campaign", "campaign_display", "status", "status_display", "phase", "phase_display", "approval_note",
            "cancel_reason", "created_at", "published_at", "shifts",
        ]  # fmt: skip
        read_only_fields = fields


class ShiftWriteSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True, help_text="已有班次的 id（修改时）；新班次不填")
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text="班次名称")
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, help_text="人数")


class ActivityWriteSerializer(serializers.Serializer):
    """The recruitment notice's fields (R7). Only the fields sent are changed (PATCH)."""

    organiser = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.none(), required=False, help_text="组织单位 id（仅新建时）：妇联组织或队伍"
    )
    title = serializers.CharField(max_length=120, required=False)
    category = serializers.ChoiceField(choices=SERVICE_CATEGORIES, required=False)
    content = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    geofence_m = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text="签到范围（米）")
    service_site = serializers.CharField(max_length=120, required=False, allow_blank=True, help_text="服务对象/服务点")
    start_at = serializers.DateTimeField(required=False)
    end_at = serializers.DateTimeField(required=False)
    capacity = serializers.IntegerField(min_value=1, required=False, help_text="招募人数（有多个班次时为各班次之和）")
    skills_required = serializers.CharField(max_length=200, required=False, allow_blank=True)
    qualification = serializers.CharField(max_length=100, required=False, allow_blank=True)
    min_age = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)
    max_age = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True)
    approval_mode = serializers.ChoiceField(choices=choices.ApprovalMode.choices, required=False)
    signup_deadline = serializers.DateTimeField(required=False)
    cancel_cutoff_hours = serializers.IntegerField(min_value=0, max_value=720, required=False)
    risk_statement = serializers.CharField(required=False, allow_blank=True, help_text="可能的风险（发布前必填，R7）")
    protection = serializers.CharField(required=False, allow_blank=True, help_text="安全保障措施（发布前必填）")
    is_risky = serializers.BooleanField(required=False, help_text="有一定危险性：参加者须有意外保险（R10）")
    audience = serializers.ChoiceField(choices=choices.Audience.choices, required=False)
    campaign = serializers.ChoiceField(choices=choices.Campaign.choices, required=False, allow_blank=True)
    shifts = ShiftWriteSerializer(many=True, required=False, help_text="班次；不填则整个活动为一个班次")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Among the nodes the caller can see; the service then requires the "change" scope over it (403).
        self.fields["organiser"].queryset = visible_nodes(self.context.get("request")).filter(status=NodeStatus.ACTIVE)

    def data_for(self, activity: Activity | None = None) -> tuple[dict, list[dict] | None]:
        """(fields, shifts) for the service: on update, what was not sent keeps its current value."""
        sent = {k: v for k, v in self.validated_data.items() if k in services.ACTIVITY_FIELDS}
        shifts = self.validated_data.get("shifts")
        if activity is None:
            return sent, shifts
        data = {key: getattr(activity, key) for key in services.ACTIVITY_FIELDS} | sent
        if shifts is None:
            current = list(activity.shifts.order_by("start_at", "id"))
            # One shift follows the activity's own times and headcount; several are kept as they are.
            if len(current) > 1:
                shifts = [
                    {"id": s.pk, "name": s.name, "start_at": s.start_at, "end_at": s.end_at, "capacity": s.capacity}
                    for s in current
                ]
        return data, shifts


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="审核意见（可选）")


class ActivityFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=choices.ActivityStatus.choices, label="状态")
    category = django_filters.ChoiceFilter(choices=SERVICE_CATEGORIES, label="服务类别")
    campaign = django_filters.ChoiceFilter(choices=choices.Campaign.choices[1:], label="主题活动")
    audience = django_filters.ChoiceFilter(choices=choices.Audience.choices, label="招募范围")
    organiser = NodeIdFilter(queryset=visible_nodes, method="filter_organiser", label="组织单位 id（含下级）")
    date_from = django_filters.DateFilter(field_name="end_at", lookup_expr="date__gte", label="日期起（结束不早于）")
    date_to = django_filters.DateFilter(field_name="start_at", lookup_expr="date__lte", label="日期止（开始不晚于）")
    q = django_filters.CharFilter(method="filter_q", label="名称或地点包含")

    class Meta:
        model = Activity
        fields = ["status", "category", "campaign", "audience"]

    def filter_organiser(self, queryset, name, value):
        return queryset.filter(organiser__path__startswith=value.path)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(title__contains=value) | Q(address__contains=value)) if value else queryset


class OpenActivitySerializer(ActivitySerializer):
    distance_m = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="距您所在位置（米），未标注地点为空"
    )

    class Meta(ActivitySerializer.Meta):
        fields = [*ActivitySerializer.Meta.fields, "distance_m"]
        read_only_fields = fields


class OpenQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=SERVICE_CATEGORIES, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    team = serializers.IntegerField(required=False, help_text="组织队伍 id（含下级队伍）")
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False)
    within_km = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, required=False)


ACTIVITY_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="活动 id")


@extend_schema(tags=["志愿服务活动"])
@extend_schema_view(
    list=extend_schema(
        summary="活动列表",
        description="工作人员：本组织及下级组织的活动；志愿者：可报名的活动和本人报名过的活动。"
        "可按状态、类别、主题活动、组织单位、日期筛选。",
    ),
    retrieve=extend_schema(summary="活动详情", description="含班次。", parameters=[ACTIVITY_ID]),
    create=extend_schema(
        summary="新建活动（草稿）",
        description="在您管理的组织或队伍下新建活动草稿；发布前须写明风险和保障措施（R7）。",
        request=ActivityWriteSerializer,
        responses={201: ActivitySerializer},
    ),
    partial_update=extend_schema(
        summary="修改活动",
        description="修改草稿，或尚未结束的已发布活动（会重新检查发布条件和同一服务对象每日上限，R29）。"
        "只修改提交的字段；提交 shifts 时整体替换班次。",
        parameters=[ACTIVITY_ID],
        request=ActivityWriteSerializer,
        responses=ActivitySerializer,
    ),
)
class ActivityViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """志愿服务活动（招募公告）：新建、修改、发布、审核、取消、归档。"""

    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    ordering_fields = ["start_at", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        # `.restrict(user, "view")` plus, for a volunteer, the published activities whose audience includes her;
        # writes look the activity up the same way and the service decides (403 when she may only see it).
        return (
            selectors.visible_activities(self.request.user)
            .select_related("organiser")
            .prefetch_related("shifts")
            .order_by("-start_at", "-id")
        )

    def _respond(self, activity: Activity, code=status.HTTP_200_OK) -> Response:
        activity = Activity.objects.select_related("organiser").prefetch_related("shifts").get(pk=activity.pk)
        return Response(ActivitySerializer(activity, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        form = ActivityWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        organiser = form.validated_data.get("organiser")
        if organiser is None:
            raise serializers.ValidationError({"organiser": ["请选择组织单位。"]})
        data, shifts = form.data_for()
        activity = services.activity_create(actor=request.user, organiser=organiser, data=data, shifts=shifts)
        return self._respond(activity, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        activity = self.get_object()
        form = ActivityWriteSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        if "organiser" in form.validated_data:
            raise serializers.ValidationError({"organiser": ["组织单位不能修改。"]})
        data, shifts = form.data_for(activity)
        activity = services.activity_update(actor=request.user, activity=activity, data=data, shifts=shifts)
        return self._respond(activity)

    @extend_schema(
        summary="发布活动",
        description="发布草稿。上级要求审核时（R30）转为「待上级审核」，审核单位的管理员会收到通知。",
        parameters=[ACTIVITY_ID],
        request=None,
        responses=ActivitySerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """发布，或提交上级审核。"""
        return self._respond(services.activity_publish(actor=request.user, activity=self.get_object()))

    @extend_schema(
        summary="审核通过并发布", parameters=[ACTIVITY_ID], request=NoteSerializer, responses=ActivitySerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """审核单位的管理员通过待审核的活动（R30）。"""
        activity = self.get_object()
        form = NoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        note = form.validated_data.get("note", "")
        return self._respond(services.activity_approve(actor=request.user, activity=activity, note=note))

    @extend_schema(summary="退回活动", parameters=[ACTIVITY_ID], request=ReasonSerializer, responses=ActivitySerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """审核单位退回待审核的活动（回到草稿），须写明原因。"""
        activity = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reason = form.validated_data["reason"]
        return self._respond(services.activity_reject(actor=request.user, activity=activity, reason=reason))

    @extend_schema(summary="撤回审核", parameters=[ACTIVITY_ID], request=None, responses=ActivitySerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """组织单位撤回待审核的活动，以便修改。"""
        return self._respond(services.activity_withdraw(actor=request.user, activity=self.get_object()))

    @extend_schema(
        summary="取消活动",
        description="取消尚未结束的活动；所有已报名的志愿者会收到站内通知和短信。",
        parameters=[ACTIVITY_ID],
        request=ReasonSerializer,
        responses=ActivitySerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """取消活动，须写明原因。"""
        activity = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reason = form.validated_data["reason"]
        return self._respond(services.activity_cancel(actor=request.user, activity=activity, reason=reason))

    @extend_schema(summary="归档活动", parameters=[ACTIVITY_ID], request=None, responses=ActivitySerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """归档已结束的活动。"""
        return self._respond(services.activity_archive(actor=request.user, activity=self.get_object()))

    @extend_schema(
        summary="可报名的活动",
        description="志愿者本人可以报名的活动（招募范围包括她、报名未截止），可按类别、日期、队伍筛选；"
        "给出 lat、lng 时按距离由近到远排列（within_km 限定距离）。最多返回 500 条。",
        parameters=[OpenQuerySerializer],
        responses=OpenActivitySerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def open(self, request):
        """志愿者本人可报名的活动。"""
        volunteer = own_volunteer(request)
        form = OpenQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        if volunteer is None:
            return Response([])
        data = form.validated_data
        team = None
        if data.get("team") is not None:
            team = Node.objects.filter(pk=data["team"], kind="team").first()
            if team is None:
                raise serializers.ValidationError({"team": ["队伍不存在。"]})
        near = (data["lat"], data["lng"]) if "lat" in data and "lng" in data else None
        rows = selectors.browse(
            volunteer,
            category=data.get("category", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            team=team,
            near=near,
            within_km=data.get("within_km"),
        )
        prefetch_related_objects(rows, "shifts")
        return Response(OpenActivitySerializer(rows, many=True, context=self.get_serializer_context()).data)


# ---- shifts --------------------------------------------------------------------------------------------------------


class ShiftFilter(django_filters.FilterSet):
    activity = django_filters.NumberFilter(field_name="activity_id", label="活动 id")

    class Meta:
        model = Shift
        fields = ["activity"]


@extend_schema(tags=["志愿服务活动"])
@extend_schema_view(
    list=extend_schema(summary="班次列表", description="您可以查看的活动的班次；班次随活动一同新建和修改。"),
    retrieve=extend_schema(summary="班次详情"),
)
class ShiftViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """活动的班次（时间段及人数）。"""

    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Shift.objects.none()
        visible = selectors.visible_activities(self.request.user).values("pk")
        return Shift.objects.filter(activity_id__in=visible).order_by("start_at", "id")


# ---- sign-ups ------------------------------------------------------------------------------------------------------


class SignUpSerializer(serializers.ModelSerializer):
    activity = ActivityRefSerializer(read_only=True)
    shift = ShiftRefSerializer(read_only=True)
    volunteer = VolunteerRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = SignUp
        fields = ["id", "activity", "shift", "volunteer", "status", "status_display", "created_at", "decided_at",
                  "note", "no_show"]  # fmt: skip
        read_only_fields = fields


class SignUpCreateSerializer(serializers.Serializer):
    shift = serializers.PrimaryKeyRelatedField(queryset=Shift.objects.none(), help_text="要报名的班次 id")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        visible = selectors.visible_activities(request.user).values("pk") if request else []
        self.fields["shift"].queryset = Shift.objects.filter(activity_id__in=visible)


class NoShowSerializer(serializers.Serializer):
    no_show = serializers.BooleanField(default=True, help_text="true 标记缺席；false 撤销标记")


class SignUpFilter(django_filters.FilterSet):
    activity = django_filters.NumberFilter(field_name="activity_id", label="活动 id")
    shift = django_filters.NumberFilter(field_name="shift_id", label="班次 id")
    volunteer = django_filters.NumberFilter(field_name="volunteer_id", label="志愿者 id")
    status = django_filters.ChoiceFilter(choices=choices.SignUpStatus.choices, label="状态")

    class Meta:
        model = SignUp
        fields = ["activity", "shift", "volunteer", "status"]


SIGNUP_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="报名 id")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="客户端生成的唯一值（最长 64 字符）。网络超时后用同一个值重试，不会重复报名，返回第一次的结果（200）。",
)


@extend_schema(tags=["报名"])
@extend_schema_view(
    list=extend_schema(summary="报名列表", description="本组织及下级组织活动的报名；志愿者本人看到自己的。"),
    retrieve=extend_schema(summary="报名详情", parameters=[SIGNUP_ID]),
)
class SignUpViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """活动报名：报名、取消、录用、不录用、候补自动递补、标记缺席。"""

    serializer_class = SignUpSerializer
    filterset_class = SignUpFilter

    def base_queryset(self):
        return SignUp.objects.select_related("activity", "shift", "volunteer").order_by("-created_at", "-id")

    def _respond(self, signup: SignUp, code=status.HTTP_200_OK) -> Response:
        signup = SignUp.objects.select_related("activity", "shift", "volunteer").get(pk=signup.pk)
        return Response(SignUpSerializer(signup).data, status=code)

    @extend_schema(
        summary="报名",
        description="志愿者本人报名一个班次。名额已满时进入候补（有人取消时按顺序自动递补并通知）；"
        "「队长审核后录用」的活动先为待审核。年龄、资质（R9）、监护人同意、意外保险（R10）、时间冲突不符时返回 400 并说明原因。",
        parameters=[IDEMPOTENCY_KEY],
        request=SignUpCreateSerializer,
        responses={201: SignUpSerializer, 200: SignUpSerializer},
    )
    def create(self, request):
        form = SignUpCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        key = (request.headers.get("Idempotency-Key") or "").strip()[:64]
        volunteer = own_volunteer(request)
        with transaction.atomic():
            replay = False
            if key and volunteer is not None:
                # Her row, locked first as the service locks it: retries sent at the same moment queue here, so
                # the answer (201 made now, 200 made before) is right for each of them.
                list(Volunteer.objects.select_for_update().filter(pk=volunteer.pk).values_list("pk", flat=True))
                replay = SignUp.objects.filter(volunteer=volunteer, idempotency_key=key).exists()
            signup = services.signup_create(actor=request.user, shift=form.validated_data["shift"], idempotency_key=key)
        return self._respond(signup, status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(
        summary="我的报名",
        description="志愿者本人的全部报名，最新的在前。",
        responses=SignUpSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def mine(self, request):
        """本人的报名。"""
        volunteer = own_volunteer(request)
        rows = selectors.signups_of(volunteer).order_by("-created_at", "-id") if volunteer else SignUp.objects.none()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SignUpSerializer(page, many=True).data)

    @extend_schema(
        summary="取消报名",
        description="本人在取消截止时间前取消；组织单位可取消任何人的报名（须写明原因，会通知本人）。空出的名额由候补自动递补。",
        parameters=[SIGNUP_ID],
        request=OptionalReasonSerializer,
        responses=SignUpSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """取消报名。"""
        signup = self.get_object()
        form = OptionalReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reason = form.validated_data.get("reason", "")
        return self._respond(services.signup_cancel(actor=request.user, signup=signup, reason=reason))

    @extend_schema(summary="录用", parameters=[SIGNUP_ID], request=None, responses=SignUpSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """队长录用待审核的报名。"""
        return self._respond(services.signup_approve(actor=request.user, signup=self.get_object()))

    @extend_schema(summary="不录用", parameters=[SIGNUP_ID], request=ReasonSerializer, responses=SignUpSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """队长不录用待审核或候补中的报名，须写明原因。"""
        signup = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reason = form.validated_data["reason"]
        return self._respond(services.signup_reject(actor=request.user, signup=signup, reason=reason))

    @extend_schema(summary="标记缺席", parameters=[SIGNUP_ID], request=NoShowSerializer, responses=SignUpSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        """班次结束后，标记已录用但未到场（无签到记录）的志愿者缺席，或撤销标记。"""
        signup = self.get_object()
        form = NoShowSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        flag = form.validated_data["no_show"]
        return self._respond(services.signup_mark_no_show(actor=request.user, signup=signup, no_show=flag))


# ---- insurance policies --------------------------------------------------------------------------------------------


class InsurancePolicySerializer(serializers.ModelSerializer):
    holder = NodeRefSerializer(read_only=True, help_text="投保单位")
    insured_count = serializers.IntegerField(source="n_insured", read_only=True, help_text="被保险人数")

    class Meta:
        model = InsurancePolicy
        fields = ["id", "holder", "insurer", "policy_number", "starts_on", "ends_on", "insured_count", "note",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class InsurancePolicyWriteSerializer(serializers.Serializer):
    holder = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.none(), required=False, help_text="投保单位 id（仅新建时）"
    )
    insurer = serializers.CharField(max_length=100, required=False)
    policy_number = serializers.CharField(max_length=60, required=False)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    volunteers = serializers.PrimaryKeyRelatedField(
        queryset=Volunteer.objects.none(), many=True, required=False, help_text="被保险的志愿者 id（新建时）"
    )
    add = serializers.PrimaryKeyRelatedField(
        queryset=Volunteer.objects.none(), many=True, required=False, help_text="新增被保险人 id（修改时）"
    )
    remove = serializers.PrimaryKeyRelatedField(
        queryset=Volunteer.objects.none(), many=True, required=False, help_text="移除被保险人 id（修改时）"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["holder"].queryset = visible_nodes(request).filter(status=NodeStatus.ACTIVE)
        people = Volunteer.objects.restrict(request.user, "view") if request else Volunteer.objects.none()
        for name in ("volunteers", "add", "remove"):
            self.fields[name].child_relation.queryset = people

    def policy_data(self) -> dict:
        keys = ("insurer", "policy_number", "starts_on", "ends_on", "note")
        return {k: v for k, v in self.validated_data.items() if k in keys}


class InsurancePolicyFilter(django_filters.FilterSet):
    holder = NodeIdFilter(queryset=visible_nodes, method="filter_holder", label="投保单位 id（含下级）")
    covers_on = django_filters.DateFilter(method="filter_covers_on", label="保险期间包含此日期")
    volunteer = django_filters.NumberFilter(field_name="volunteers", label="被保险志愿者 id")

    class Meta:
        model = InsurancePolicy
        fields = []

    def filter_holder(self, queryset, name, value):
        return queryset.filter(holder__path__startswith=value.path)

    def filter_covers_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)


POLICY_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="保单 id")


@extend_schema(tags=["意外保险"])
@extend_schema_view(
    list=extend_schema(summary="保单列表", description="本组织及下级组织投保的志愿者意外保险（R10）。"),
    retrieve=extend_schema(summary="保单详情", parameters=[POLICY_ID]),
    create=extend_schema(
        summary="登记保单",
        description="登记为志愿者购买的意外保险：保险公司、保单号、保险期间、被保险人。有危险性的活动据此检查报名者是否有保险（R10）。",
        request=InsurancePolicyWriteSerializer,
        responses={201: InsurancePolicySerializer},
    ),
    partial_update=extend_schema(
        summary="修改保单",
        description="更正保单信息，或新增、移除被保险人（add、remove）。",
        parameters=[POLICY_ID],
        request=InsurancePolicyWriteSerializer,
        responses=InsurancePolicySerializer,
    ),
)
class InsurancePolicyViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """志愿者意外保险保单（R10）。"""

    serializer_class = InsurancePolicySerializer
    filterset_class = InsurancePolicyFilter

    def base_queryset(self):
        return (
            InsurancePolicy.objects.select_related("holder")
            .annotate(n_insured=Count("volunteers"))
            .order_by("-starts_on", "-id")
        )

    def _respond(self, policy, code=status.HTTP_200_OK) -> Response:
        return Response(InsurancePolicySerializer(self.base_queryset().get(pk=policy.pk)).data, status=code)

    def create(self, request):
        form = InsurancePolicyWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        policy = services.policy_create(
            actor=request.user,
            holder=data.get("holder"),
            data=form.policy_data(),
            volunteers=data.get("volunteers", []),
        )
        return self._respond(policy, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        policy = self.get_object()
        form = InsurancePolicyWriteSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        if "holder" in form.validated_data:
            raise serializers.ValidationError({"holder": ["投保单位不能修改。"]})
        data = form.validated_data
        policy = services.policy_update(
            actor=request.user, policy=policy, data=form.policy_data(), add=data.get("add", []),
            remove=data.get("remove", []),
        )  # fmt: skip
        return self._respond(policy)
