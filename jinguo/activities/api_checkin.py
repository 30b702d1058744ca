"""REST API for check-in and check-out (F6): `/api/v1/attendance/` and `/api/v1/declarations/`.

Her own check-in or check-out posts the QR token (or the scan pass the scan page gave her) or the 6-digit code, from
her browser session or with an API token; the leader checks people in or out from the roster; a check-in without a
position waits for the leader's confirmation; hours she declares herself wait for his approval. Every write calls
`activities.checkin`, which locks her sign-up (or attendance) row: a repeated scan creates nothing new.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from jinguo.core.api import ScopedViewSetMixin
from jinguo.core.errors import DomainError
from jinguo.volunteers.api import ReasonSerializer, VolunteerRefSerializer
from jinguo.volunteers.models import Volunteer

from . import checkin, choices, qr
from .api import ActivityRefSerializer, ShiftRefSerializer, own_volunteer
from .models import Activity, Attendance, HoursDeclaration, Shift, SignUp

# ---- attendance ----------------------------------------------------------------------------------------------------


class AttendanceSerializer(serializers.ModelSerializer):
    activity = ActivityRefSerializer(read_only=True)
    shift = ShiftRefSerializer(read_only=True)
    volunteer = VolunteerRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    in_method_display = serializers.CharField(source="get_in_method_display", read_only=True)
    out_method_display = serializers.CharField(source="get_out_method_display", read_only=True)
    recorded_by = serializers.CharField(
        source="recorded_by.display_name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="由他人代为签到或签退时的记录人（R27）",
    )

    class Meta:
        model = Attendance
        fields = [
            "id", "activity", "shift", "volunteer", "status", "status_display", "check_in_at", "check_out_at",
            "in_method", "in_method_display", "out_method", "out_method_display", "in_distance_m", "out_distance_m",
            "recorded_by", "review_reason", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class CheckSerializer(serializers.Serializer):
    """Her own check-in or check-out: the QR token (or the scan pass the scan page gave her), or the 6-digit code
    with the activity it belongs to."""

    token = serializers.CharField(
        max_length=400, required=False, allow_blank=True, help_text="二维码中的令牌或扫码凭证"
    )
    code = serializers.CharField(max_length=12, required=False, allow_blank=True, help_text="6 位数字签到码")
    activity = serializers.IntegerField(required=False, help_text="活动 id（使用数字签到码时必填）")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("token"):
            return attrs
        if not attrs.get("code"):
            raise serializers.ValidationError({"token": ["请扫描二维码，或输入 6 位数字签到码。"]})
        if not attrs.get("activity"):
            raise serializers.ValidationError({"activity": ["使用数字签到码时请指明活动。"]})
        return attrs


class CheckResultSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="false 表示重复扫码，未作任何改动")
    message = serializers.CharField(help_text="给本人（或队长）看的结果说明")
    level = serializers.CharField(help_text="success / info / warning")
    attendance = AttendanceSerializer()
    record = serializers.IntegerField(allow_null=True, help_text="签退时写入的服务记录 id")


class RosterSerializer(serializers.Serializer):
    shift = serializers.PrimaryKeyRelatedField(queryset=Shift.objects.none(), help_text="班次 id")
    volunteers = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=500, help_text="志愿者 id（须已报名该班次）"
    )
    purpose = serializers.ChoiceField(choices=choices.CHECK_DIRECTIONS)
    at_shift_time = serializers.BooleanField(
        default=False, help_text="true：按班次开始（签到）或结束（签退）时间记录，用于事后补登名单"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        staff = Activity.objects.restrict(request.user, "view").values("pk") if request else []
        self.fields["shift"].queryset = Shift.objects.filter(activity_id__in=staff).select_related("activity")


class RosterOutcomeSerializer(serializers.Serializer):
    volunteer = VolunteerRefSerializer()
    ok = serializers.BooleanField()
    message = serializers.CharField()


def _check_result(result: checkin.CheckResult, code: int = status.HTTP_200_OK) -> Response:
    # The service's own objects (activity, shift and volunteer attached): no second round trip on the hot path.
    body = {
        "created": result.created,
        "message": result.message,
        "level": result.level,
        "attendance": AttendanceSerializer(result.attendance).data,
        "record": getattr(result.record, "pk", None),
    }
    return Response(body, status=code)


class AttendanceFilter(django_filters.FilterSet):
    activity = django_filters.NumberFilter(field_name="activity_id", label="活动 id")
    shift = django_filters.NumberFilter(field_name="shift_id", label="班次 id")
    volunteer = django_filters.NumberFilter(field_name="volunteer_id", label="志愿者 id")
    status = django_filters.ChoiceFilter(choices=choices.AttendanceStatus.choices, label="状态")

    class Meta:
        model = Attendance
        fields = ["activity", "shift", "volunteer", "status"]


ATTENDANCE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="签到记录 id")
CHECK_DESCRIPTION = (
    "志愿者本人{label}：提交队长屏幕上二维码中的令牌（token，约一分钟内有效），或 6 位数字{label}码及活动 id。"
    "活动设置了签到范围时须提交本人位置（latitude、longitude），超出范围返回 400；未提供位置时{label}待队长确认。"
    "重复提交不会重复记录（created 为 false）。"
)


@extend_schema(tags=["签到签退"])
@extend_schema_view(
    list=extend_schema(summary="签到记录列表", description="本组织及下级组织活动的签到记录；志愿者本人看到自己的。"),
    retrieve=extend_schema(summary="签到记录详情", parameters=[ATTENDANCE_ID]),
)
class AttendanceViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """签到与签退：本人扫码或输入签到码；队长按名单签到签退；队长确认无位置的签到。"""

    serializer_class = AttendanceSerializer
    filterset_class = AttendanceFilter

    def base_queryset(self):
        return Attendance.objects.select_related("activity", "shift", "volunteer", "recorded_by").order_by(
            "-created_at", "-id"
        )

    def _own_check(self, request, service) -> Response:
        form = CheckSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        volunteer = own_volunteer(request)
        if volunteer is None:
            raise DomainError("not_volunteer", "请先注册成为志愿者。")
        if data.get("token"):
            scan = qr.read_proof(data["token"], user_id=request.user.pk)
            activity_id, method, proof = scan.activity_id, choices.CheckMethod.QR, data["token"]
        else:
            activity_id, method, proof = data["activity"], choices.CheckMethod.CODE, data["code"]
        # Only an activity she signed up for (what `.restrict()` shows a volunteer); anything else is "not found".
        # One indexed query: this is the path a whole crowd takes at once when the leader shows the QR code.
        activity = Activity.objects.filter(pk=activity_id, signups__volunteer=volunteer).first()
        if activity is None:
            raise NotFound("未找到该活动，或您没有报名。")
        result = service(
            actor=request.user,
            activity=activity,
            volunteer=volunteer,
            method=method,
            token=proof,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
        )
        return _check_result(result, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        summary="本人签到",
        description=CHECK_DESCRIPTION.format(label="签到"),
        request=CheckSerializer,
        responses={201: CheckResultSerializer, 200: CheckResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="check-in")
    def check_in(self, request):
        """本人扫码或输入签到码签到。"""
        return self._own_check(request, checkin.check_in)

    @extend_schema(
        summary="本人签退",
        description=CHECK_DESCRIPTION.format(label="签退") + "签退后按班次内的在场时间写入服务记录。",
        request=CheckSerializer,
        responses={201: CheckResultSerializer, 200: CheckResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="check-out")
    def check_out(self, request):
        """本人扫码或输入签退码签退。"""
        return self._own_check(request, checkin.check_out)

    @extend_schema(
        summary="按名单签到或签退",
        description="队长为已录用的志愿者签到或签退（记为他人代录，R27）。每人单独处理：一人被拒不影响其他人，结果逐人列出。",
        request=RosterSerializer,
        responses=RosterOutcomeSerializer(many=True),
    )
    @action(detail=False, methods=["post"])
    def roster(self, request):
        """队长按名单签到或签退。"""
        form = RosterSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        shift = data["shift"]
        wanted = set(data["volunteers"])
        people = list(Volunteer.objects.filter(pk__in=wanted, signups__shift=shift).distinct())
        if len(people) != len(wanted):
            raise serializers.ValidationError({"volunteers": ["有志愿者没有报名该班次。"]})
        outcomes = checkin.roster_check(
            actor=request.user,
            shift=shift,
            volunteers=people,
            purpose=data["purpose"],
            at_shift_time=data["at_shift_time"],
        )
        return Response(RosterOutcomeSerializer(outcomes, many=True).data)

    @extend_schema(
        summary="确认在场",
        description="队长确认未提供位置的签到或签退：签到转为正常；已签退的写入服务记录。",
        parameters=[ATTENDANCE_ID],
        request=None,
        responses=CheckResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """队长确认待确认的签到。"""
        return _check_result(checkin.attendance_confirm(actor=request.user, attendance=self.get_object()))

    @extend_schema(
        summary="不予确认",
        description="队长未见到本人在场：该签到不计入服务时长，并通知本人原因。",
        parameters=[ATTENDANCE_ID],
        request=ReasonSerializer,
        responses=AttendanceSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """队长不予确认待确认的签到，须写明原因。"""
        attendance = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        attendance = checkin.attendance_reject(
            actor=request.user, attendance=attendance, reason=form.validated_data["reason"]
        )
        attendance = self.base_queryset().get(pk=attendance.pk)
        return Response(AttendanceSerializer(attendance).data)


# ---- self-declared hours -------------------------------------------------------------------------------------------


class DeclarationSerializer(serializers.ModelSerializer):
    activity = ActivityRefSerializer(read_only=True)
    shift = ShiftRefSerializer(read_only=True)
    volunteer = VolunteerRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = HoursDeclaration
        fields = ["id", "activity", "shift", "volunteer", "start_at", "end_at", "note", "status", "status_display",
                  "decided_at", "decision_note", "created_at"]  # fmt: skip
        read_only_fields = fields


class DeclarationCreateSerializer(serializers.Serializer):
    signup = serializers.PrimaryKeyRelatedField(queryset=SignUp.objects.none(), help_text="本人已录用的报名 id")
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=300, help_text="说明（如：忘记扫码签退）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user_id = request.user.pk if request else None
        self.fields["signup"].queryset = SignUp.objects.filter(volunteer__user_id=user_id)


class DeclarationFilter(django_filters.FilterSet):
    activity = django_filters.NumberFilter(field_name="activity_id", label="活动 id")
    status = django_filters.ChoiceFilter(choices=choices.DeclarationStatus.choices, label="状态")

    class Meta:
        model = HoursDeclaration
        fields = ["activity", "status"]


DECLARATION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="申报 id")


@extend_schema(tags=["签到签退"])
@extend_schema_view(
    list=extend_schema(summary="时长申报列表", description="本组织及下级组织活动的时长申报；志愿者本人看到自己的。"),
    retrieve=extend_schema(summary="时长申报详情", parameters=[DECLARATION_ID]),
)
class DeclarationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """本人申报服务时长（忘记扫码等），队长审核。"""

    serializer_class = DeclarationSerializer
    filterset_class = DeclarationFilter

    def base_queryset(self):
        return HoursDeclaration.objects.select_related("activity", "shift", "volunteer").order_by("-created_at", "-id")

    def _respond(self, declaration, code=status.HTTP_200_OK) -> Response:
        return Response(DeclarationSerializer(self.base_queryset().get(pk=declaration.pk)).data, status=code)

    @extend_schema(
        summary="申报服务时长",
        description="志愿者本人为已录用的班次申报实际服务时间，由队长审核；通过后记入服务记录并标明为本人申报（R27）。",
        request=DeclarationCreateSerializer,
        responses={201: DeclarationSerializer},
    )
    def create(self, request):
        form = DeclarationCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        declaration = checkin.declaration_create(
            actor=request.user, signup=data["signup"], start_at=data["start_at"], end_at=data["end_at"],
            note=data["note"],
        )  # fmt: skip
        return self._respond(declaration, status.HTTP_201_CREATED)

    @extend_schema(summary="通过申报", parameters=[DECLARATION_ID], request=None, responses=CheckResultSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """队长通过申报，写入服务记录。"""
        return _check_result(checkin.declaration_approve(actor=request.user, declaration=self.get_object()))

    @extend_schema(
        summary="不通过申报", parameters=[DECLARATION_ID], request=ReasonSerializer, responses=DeclarationSerializer
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """队长不通过申报，须写明原因。"""
        declaration = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        declaration = checkin.declaration_reject(
            actor=request.user, declaration=declaration, reason=form.validated_data["reason"]
        )
        return self._respond(declaration)
