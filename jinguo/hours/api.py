"""REST API for the service-record ledger (R13-R17, R19, R27): `/api/v1/records/`, `/api/v1/correction-requests/`,
`/api/v1/star-distribution/`.

Records are read through `ServiceRecord.objects.restrict(user, "view")`: the organiser's subtree sees them, and she
sees every record under her name (R27, with who recorded it and how). The ledger is append-only: there is no
update or delete; a correction, a release or a rejection is an action that calls `hours.ledger`, which appends.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.activities import selectors as activity_selectors
from jinguo.activities.api import ActivityRefSerializer
from jinguo.activities.models import Activity
from jinguo.core.api import ScopedViewSetMixin
from jinguo.orgs.api import NodeIdFilter, visible_nodes
from jinguo.orgs.models import Node
from jinguo.volunteers.api import NodeRefSerializer, ReasonSerializer, VolunteerRefSerializer

from . import ledger, selectors, services
from .models import CorrectionKind, CorrectionRequest, CorrectionStatus, RecordStatus, ServiceRecord

# ---- records -------------------------------------------------------------------------------------------------------


class ServiceRecordSerializer(serializers.ModelSerializer):
    volunteer = VolunteerRefSerializer(read_only=True)
    activity = ActivityRefSerializer(read_only=True, allow_null=True)
    organiser = NodeRefSerializer(read_only=True, help_text="组织（记录）单位")
    method_display = serializers.CharField(source="get_method_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    corrects = serializers.IntegerField(
        source="corrects_id", read_only=True, allow_null=True, help_text="更正的记录 id"
    )
    superseded_by = serializers.IntegerField(
        source="superseded_by_id", read_only=True, allow_null=True, help_text="已被此更正记录取代（为空表示现行有效）"
    )
    recorded_by = serializers.CharField(
        source="recorded_by.display_name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="记录人（本人扫码、输入签到码时是她本人；为空表示系统）",
    )

    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "volunteer",
            "activity",
            "organiser",
            "service_date",
            "start_at",
            "end_at",
            "hours",
            "hours_delta",
            "place",
            "content",
            "evaluation",
            "method",
            "method_display",
            "entered_by_other",
            "kind",
            "kind_display",
            "corrects",
            "superseded_by",
            "reason",
            "status",
            "status_display",
            "hold_reason",
            "flags",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class ServiceRecordFilter(django_filters.FilterSet):
    volunteer = django_filters.NumberFilter(field_name="volunteer_id", label="志愿者 id")
    activity = django_filters.NumberFilter(field_name="activity_id", label="活动 id")
    organiser = NodeIdFilter(queryset=visible_nodes, method="filter_organiser", label="组织单位 id（含下级）")
    status = django_filters.ChoiceFilter(choices=RecordStatus.choices, label="状态")
    current = django_filters.BooleanFilter(method="filter_current", label="只看现行记录（未被更正取代的）")
    date_from = django_filters.DateFilter(field_name="service_date", lookup_expr="gte", label="服务日期起")
    date_to = django_filters.DateFilter(field_name="service_date", lookup_expr="lte", label="服务日期止")

    class Meta:
        model = ServiceRecord
        fields = ["volunteer", "activity", "status"]

    def filter_organiser(self, queryset, name, value):
        return queryset.filter(organiser__path__startswith=value.path)

    def filter_current(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(superseded_by__isnull=value)


class CorrectSerializer(serializers.Serializer):
    start_at = serializers.DateTimeField(help_text="应为开始时间")
    end_at = serializers.DateTimeField(help_text="应为结束时间（与开始时间相同表示该记录不计时长）")
    reason = serializers.CharField(max_length=300, help_text="更正原因")
    evaluation = serializers.CharField(max_length=300, required=False, help_text="组织方评价（不填则沿用原评价）")


RECORD_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="服务记录 id")


@extend_schema(tags=["服务记录"])
@extend_schema_view(
    list=extend_schema(
        summary="服务记录列表",
        description="本组织及下级组织记录的服务时长；志愿者本人看到自己名下的全部记录（含记录人和记录方式，R27）。"
        "记录只增不改：更正是一条新记录，原记录的 superseded_by 指向它。",
    ),
    retrieve=extend_schema(summary="服务记录详情", parameters=[RECORD_ID]),
)
class ServiceRecordViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """服务记录台账（只增不改）：更正、审核暂缓计入的记录。"""

    serializer_class = ServiceRecordSerializer
    filterset_class = ServiceRecordFilter
    ordering_fields = ["start_at", "recorded_at"]

    def base_queryset(self):
        return ServiceRecord.objects.select_related("volunteer", "activity", "organiser", "recorded_by").order_by(
            "-start_at", "-id"
        )

    def _respond(self, record, code=status.HTTP_200_OK) -> Response:
        return Response(ServiceRecordSerializer(self.base_queryset().get(pk=record.pk)).data, status=code)

    @extend_schema(
        summary="更正记录",
        description="组织单位更正一条现行记录：追加一条更正记录（写明原因和更正人），原记录保留并指向它；"
        "据此出具的证明自动作废（R18）。返回新的更正记录。",
        parameters=[RECORD_ID],
        request=CorrectSerializer,
        responses={201: ServiceRecordSerializer},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """组织单位更正记录（追加更正记录）。"""
        record = self.get_object()
        form = CorrectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        new = ledger.record_correct(
            actor=request.user,
            record=record,
            start_at=data["start_at"],
            end_at=data["end_at"],
            reason=data["reason"],
            evaluation=data.get("evaluation"),
        )
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(
        summary="审核通过（计入时长）",
        description="暂缓计入的记录（超过每日上限、异常提示等）由组织单位的上级审核后计入；不能审核自己录入的记录。",
        parameters=[RECORD_ID],
        request=None,
        responses=ServiceRecordSerializer,
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """上级审核通过暂缓计入的记录。"""
        return self._respond(ledger.record_release(actor=request.user, record=self.get_object()))

    @extend_schema(
        summary="不予计入",
        description="上级审核暂缓计入的记录，认定不予计入，须写明原因。",
        parameters=[RECORD_ID],
        request=ReasonSerializer,
        responses=ServiceRecordSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """上级不予计入暂缓的记录。"""
        record = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = ledger.record_reject(actor=request.user, record=record, reason=form.validated_data["reason"])
        return self._respond(record)


# ---- correction requests -------------------------------------------------------------------------------------------


class CorrectionRequestSerializer(serializers.ModelSerializer):
    volunteer = VolunteerRefSerializer(read_only=True)
    organiser = NodeRefSerializer(read_only=True, help_text="处理单位（记录的组织单位）")
    activity = ActivityRefSerializer(read_only=True, allow_null=True)
    record = serializers.IntegerField(source="record_id", read_only=True, allow_null=True, help_text="有误的记录 id")
    result = serializers.IntegerField(source="result_id", read_only=True, allow_null=True, help_text="更正后的记录 id")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = CorrectionRequest
        fields = [
            "id",
            "volunteer",
            "kind",
            "kind_display",
            "record",
            "activity",
            "organiser",
            "proposed_start",
            "proposed_end",
            "reason",
            "status",
            "status_display",
            "decided_at",
            "decision_note",
            "result",
            "created_at",
        ]
        read_only_fields = fields


class CorrectionRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CorrectionStatus.choices, label="状态")
    kind = django_filters.ChoiceFilter(choices=CorrectionKind.choices, label="类型")
    volunteer = django_filters.NumberFilter(field_name="volunteer_id", label="志愿者 id")

    class Meta:
        model = CorrectionRequest
        fields = ["status", "kind", "volunteer"]


class CorrectionRequestCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CorrectionKind.choices, help_text="error 记录有误 / omission 漏记")
    record = serializers.PrimaryKeyRelatedField(
        queryset=ServiceRecord.objects.none(), required=False, allow_null=True, help_text="有误的记录 id（记录有误时）"
    )
    activity = serializers.PrimaryKeyRelatedField(
        queryset=Activity.objects.none(), required=False, allow_null=True, help_text="漏记的活动 id（漏记时）"
    )
    proposed_start = serializers.DateTimeField(help_text="应为开始时间")
    proposed_end = serializers.DateTimeField(help_text="应为结束时间")
    reason = serializers.CharField(max_length=500, help_text="说明情况")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user_id = request.user.pk if request else None
        # Her own records, and the activities she can see (the service checks she signed up for it).
        self.fields["record"].queryset = ServiceRecord.objects.filter(volunteer__user_id=user_id)
        self.fields["activity"].queryset = (
            activity_selectors.visible_activities(request.user) if request else Activity.objects.none()
        )


class DecisionNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="处理意见")


class RejectNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, help_text="不采纳的原因（会告知本人）")


CORRECTION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="更正申请 id")


@extend_schema(tags=["服务记录"])
@extend_schema_view(
    list=extend_schema(
        summary="更正申请列表", description="本组织及下级组织待处理和已处理的更正申请；志愿者本人看到自己的。"
    ),
    retrieve=extend_schema(summary="更正申请详情", parameters=[CORRECTION_ID]),
)
class CorrectionRequestViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """更正申请（R16）：志愿者对记录有误或漏记提出申请，组织单位更正或说明不采纳的原因。"""

    serializer_class = CorrectionRequestSerializer
    filterset_class = CorrectionRequestFilter

    def base_queryset(self):
        return CorrectionRequest.objects.select_related("volunteer", "organiser", "activity").order_by(
            "-created_at", "-id"
        )

    def _respond(self, request_obj, code=status.HTTP_200_OK) -> Response:
        return Response(CorrectionRequestSerializer(self.base_queryset().get(pk=request_obj.pk)).data, status=code)

    @extend_schema(
        summary="申请更正",
        description="志愿者本人对自己的记录提出更正（记录有误），或对参加过的活动申请补记（漏记），由组织单位处理。",
        request=CorrectionRequestCreateSerializer,
        responses={201: CorrectionRequestSerializer},
    )
    def create(self, request):
        form = CorrectionRequestCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        created = services.correction_request_create(
            actor=request.user,
            kind=data["kind"],
            proposed_start=data["proposed_start"],
            proposed_end=data["proposed_end"],
            reason=data["reason"],
            record=data.get("record"),
            activity=data.get("activity"),
        )
        return self._respond(created, status.HTTP_201_CREATED)

    @extend_schema(
        summary="采纳并更正",
        description="组织单位按申请更正记录（或补记漏记的时长），并通知本人。返回处理后的申请，result 为新记录 id。",
        parameters=[CORRECTION_ID],
        request=DecisionNoteSerializer,
        responses=CorrectionRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """组织单位采纳申请。"""
        obj = self.get_object()
        form = DecisionNoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.correction_request_accept(actor=request.user, request=obj, note=form.validated_data.get("note", ""))
        return self._respond(obj)

    @extend_schema(
        summary="不采纳",
        description="组织单位不采纳申请，须写明原因（会通知本人）。",
        parameters=[CORRECTION_ID],
        request=RejectNoteSerializer,
        responses=CorrectionRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """组织单位不采纳申请。"""
        obj = self.get_object()
        form = RejectNoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.correction_request_reject(actor=request.user, request=obj, note=form.validated_data["note"])
        return self._respond(obj)


# ---- star levels ---------------------------------------------------------------------------------------------------


class StarLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text="星级（0 表示尚未评星）")
    threshold = serializers.IntegerField(help_text="达到该星级所需的已计入时长（小时）")
    count = serializers.IntegerField(help_text="人数")


class StarDistributionSerializer(serializers.Serializer):
    node = NodeRefSerializer(allow_null=True, help_text="统计范围（为空表示您的全部数据范围）")
    total = serializers.IntegerField(help_text="志愿者总人数")
    levels = StarLevelSerializer(many=True)


class StarQuerySerializer(serializers.Serializer):
    node = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.none(), required=False, help_text="组织或队伍 id：登记在其下或为其下队伍成员的志愿者"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = visible_nodes(self.context.get("request"))


@extend_schema(tags=["服务记录"])
class StarDistributionViewSet(viewsets.ViewSet):
    """星级分布（R19）：按已计入时长评定的星级人数。"""

    renderer_classes = ScopedViewSetMixin.renderer_classes

    @extend_schema(
        summary="星级分布",
        description="您数据范围内的志愿者按星级的人数（星级由已计入的服务时长评定，默认 100/300/600/1000/1500 小时）。"
        "可用 node 限定为某组织或队伍。",
        parameters=[StarQuerySerializer],
        responses=StarDistributionSerializer,
    )
    def list(self, request):
        form = StarQuerySerializer(data=request.query_params, context={"request": request})
        form.is_valid(raise_exception=True)
        node = form.validated_data.get("node")
        # star_distribution starts from Volunteer.objects.restrict(user, "view").
        levels = selectors.star_distribution(request.user, node=node)
        body = {
            "node": {"id": node.pk, "name": node.name} if node else None,
            "total": sum(row["count"] for row in levels),
            "levels": levels,
        }
        return Response(StarDistributionSerializer(body).data)
