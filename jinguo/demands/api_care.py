"""REST API: care pairings (结对, F9).

    /api/v1/care-recipients/   recipients in the caller's scope (community staff and above; the responsible team;
                               the volunteers paired with her). Full phone, address, guardian and notes only for
                               those `selectors_care.can_see_details` allows (R23), each full view audited; others
                               get a masked name and phone. Create and update by her community's staff or above.
    /api/v1/care-pairings/     pairings: create, end (reason required), add/remove a volunteer, set the lead;
                               `mine`: the caller's own current pairings with the next visit due.
    /api/v1/care-visits/       visit logs; create writes one service record per volunteer present through the
                               hours ledger (Idempotency-Key header: a retry returns the first log).

Every write calls a service of `services_care` (DomainError -> 400, PermissionDeniedError -> 403). Objects given by
id in a request body are looked up among those the caller can see: others are "invalid" (400).
"""

import django_filters
from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.core.api import ScopedViewSetMixin
from jinguo.orgs.api import NodeIdFilter, visible_nodes
from jinguo.orgs.choices import NodeStatus
from jinguo.orgs.models import Node
from jinguo.volunteers.api import NodeRefSerializer, ReasonSerializer, VolunteerRefSerializer
from jinguo.volunteers.models import Volunteer

from . import selectors_care as selectors
from . import services_care as services
from .care_models import (
    CareCategory,
    CarePairing,
    CareRecipient,
    PairingFrequency,
    PairingKind,
    PairingMember,
    PairingStatus,
    VisitLog,
)

PRIVATE_FIELDS = ("phone", "address", "guardian_name", "guardian_relation", "guardian_phone", "notes")


def _visible_volunteers(request):
    if request is None:
        return Volunteer.objects.none()
    return Volunteer.objects.restrict(request.user, "view")


# ---- recipients ---------------------------------------------------------------------------------------------------


class CareRecipientSerializer(serializers.ModelSerializer):
    """Masked unless the caller may see her details (`details` says which)."""

    node = NodeRefSerializer(read_only=True, help_text="所在社区（村）")
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    details = serializers.SerializerMethodField(help_text="为 true 时返回完整电话、地址、监护人和情况说明（R23）")
    name = serializers.SerializerMethodField(help_text="姓名（无权查看详情时为脱敏姓名）")
    phone = serializers.SerializerMethodField(help_text="联系电话（无权查看详情时为脱敏号码）")

    class Meta:
        model = CareRecipient
        fields = [
            "id", "name", "sex", "birth_year", "category", "category_display", "other_category", "node", "phone",
            "details", "address", "guardian_name", "guardian_relation", "guardian_phone", "notes", "consent_by",
            "consent_relation", "consent_at", "is_active", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _details(self, recipient) -> bool:
        request = self.context.get("request")
        return selectors.can_see_details(request.user if request else None, recipient)

    def get_details(self, recipient) -> bool:
        return self._details(recipient)

    def get_name(self, recipient) -> str:
        return recipient.name if self._details(recipient) else recipient.name_masked

    def get_phone(self, recipient) -> str:
        return recipient.phone if self._details(recipient) else recipient.phone_masked

    def to_representation(self, recipient):
        data = super().to_representation(recipient)
        if not data["details"]:
            for key in (*PRIVATE_FIELDS[1:], "consent_by"):
                data[key] = None
        return data


class CareRecipientWriteSerializer(serializers.Serializer):
    node = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), required=False, help_text="所在社区（村）id")
    name = serializers.CharField(max_length=50, required=False)
    sex = serializers.ChoiceField(choices=[("", "未填"), ("F", "女"), ("M", "男")], required=False)
    birth_year = serializers.IntegerField(required=False, allow_null=True)
    category = serializers.ChoiceField(choices=CareCategory.choices, required=False)
    other_category = serializers.CharField(max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False)
    guardian_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    guardian_relation = serializers.CharField(max_length=20, required=False, allow_blank=True)
    guardian_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    consent_by = serializers.CharField(max_length=50, required=False, help_text="同意接受帮扶的人（本人或监护人）")
    consent_relation = serializers.CharField(max_length=20, required=False, help_text="本人，或与本人的关系")
    consent_at = serializers.DateTimeField(required=False, help_text="同意时间，不填为现在")
    is_active = serializers.BooleanField(required=False, help_text="在册；设为 false 前须先结束其结对")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = visible_nodes(self.context.get("request")).filter(status=NodeStatus.ACTIVE)

    def service_data(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k != "node"}


class CareRecipientFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=CareCategory.choices, label="对象类别")
    node = NodeIdFilter(queryset=visible_nodes, method="filter_node", label="组织 id（含下级）")

    class Meta:
        model = CareRecipient
        fields = ["category", "is_active"]

    def filter_node(self, queryset, name, value):
        return queryset.filter(node__path__startswith=value.path)


RECIPIENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="结对对象 id")


@extend_schema(tags=["结对帮扶"])
@extend_schema_view(
    list=extend_schema(summary="结对对象列表", description="本社区及下级、负责结对的队伍、结对志愿者可见；无权查看详情时姓名电话脱敏（R23）。"),
    retrieve=extend_schema(summary="结对对象详情", parameters=[RECIPIENT_ID]),
    create=extend_schema(
        summary="登记结对对象", request=CareRecipientWriteSerializer, responses={201: CareRecipientSerializer},
        description="对象所在社区（村）及以上妇联登记，须写明同意接受帮扶的人和时间。",
    ),
    partial_update=extend_schema(
        summary="修改结对对象", parameters=[RECIPIENT_ID], request=CareRecipientWriteSerializer,
        responses=CareRecipientSerializer,
    ),
)
class CareRecipientViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """结对帮扶对象。"""

    serializer_class = CareRecipientSerializer
    filterset_class = CareRecipientFilter
    ordering_fields = ["created_at", "name"]

    def base_queryset(self):
        return CareRecipient.objects.select_related("node").order_by("node__path", "name", "id")

    def retrieve(self, request, pk=None):
        recipient = self.get_object()
        if selectors.can_see_details(request.user, recipient):
            selectors.record_full_view(request.user, recipient, "接口")
        return Response(self.get_serializer(recipient).data)

    def _respond(self, recipient, code=status.HTTP_200_OK):
        recipient = CareRecipient.objects.select_related("node").get(pk=recipient.pk)
        return Response(CareRecipientSerializer(recipient, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        form = CareRecipientWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        node = form.validated_data.get("node")
        if node is None:
            raise serializers.ValidationError({"node": ["请选择对象所在的社区（村）。"]})
        recipient = services.recipient_create(actor=request.user, node=node, data=form.service_data())
        return self._respond(recipient, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        recipient = self.get_object()
        form = CareRecipientWriteSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        recipient = services.recipient_update(
            actor=request.user, recipient=recipient, data=form.service_data(), node=form.validated_data.get("node")
        )
        return self._respond(recipient)


# ---- pairings -----------------------------------------------------------------------------------------------------


class PairingMemberSerializer(serializers.Serializer):
    volunteer = VolunteerRefSerializer(read_only=True)
    is_lead = serializers.BooleanField(help_text="负责人")
    joined_at = serializers.DateTimeField()


class RecipientRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="姓名（无权查看详情时为脱敏姓名）")
    category = serializers.CharField()


class CarePairingSerializer(serializers.ModelSerializer):
    recipient = serializers.SerializerMethodField()
    organiser = NodeRefSerializer(read_only=True, help_text="负责的队伍或组织（由其记录走访时长）")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    frequency_display = serializers.CharField(source="frequency_label", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    members = serializers.SerializerMethodField(help_text="当前结对志愿者")
    overdue = serializers.SerializerMethodField(help_text="走访已逾期（超过应访日期及宽限天数）")

    class Meta:
        model = CarePairing
        fields = [
            "id", "recipient", "kind", "kind_display", "organiser", "members", "start_date", "frequency",
            "interval_days", "frequency_display", "plan_note", "status", "status_display", "last_visit_at",
            "next_due", "overdue", "end_reason", "ended_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(RecipientRefSerializer)
    def get_recipient(self, pairing) -> dict:
        request = self.context.get("request")
        recipient = pairing.recipient
        details = selectors.can_see_details(request.user if request else None, recipient)
        return {"id": recipient.pk, "name": recipient.name if details else recipient.name_masked,
                "category": recipient.category}

    @extend_schema_field(PairingMemberSerializer(many=True))
    def get_members(self, pairing) -> list:
        members = getattr(pairing, "current_members", None)
        if members is None:
            members = pairing.members.filter(left_at__isnull=True).select_related("volunteer")
        return PairingMemberSerializer(members, many=True).data

    def get_overdue(self, pairing) -> bool:
        return selectors.is_overdue(pairing)


class CarePairingCreateSerializer(serializers.Serializer):
    recipient = serializers.PrimaryKeyRelatedField(queryset=CareRecipient.objects.none(), help_text="结对对象 id")
    organiser = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="负责的队伍或组织 id")
    kind = serializers.ChoiceField(choices=PairingKind.choices)
    volunteers = serializers.PrimaryKeyRelatedField(queryset=Volunteer.objects.none(), many=True, help_text="结对志愿者 id")
    lead = serializers.PrimaryKeyRelatedField(queryset=Volunteer.objects.none(), required=False, help_text="负责人（志愿者 id），一人时可不填")
    start_date = serializers.DateField()
    frequency = serializers.ChoiceField(choices=PairingFrequency.choices)
    interval_days = serializers.IntegerField(required=False, allow_null=True, help_text="频次为 days 时的间隔天数")
    plan_note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["recipient"].queryset = (
            CareRecipient.objects.restrict(request.user, "view") if request else CareRecipient.objects.none()
        )
        self.fields["organiser"].queryset = visible_nodes(request).filter(status=NodeStatus.ACTIVE)
        self.fields["volunteers"].child_relation.queryset = _visible_volunteers(request)
        self.fields["lead"].queryset = _visible_volunteers(request)


class VolunteerInputSerializer(serializers.Serializer):
    volunteer = serializers.PrimaryKeyRelatedField(queryset=Volunteer.objects.none(), help_text="志愿者 id")
    make_lead = serializers.BooleanField(required=False, default=False, help_text="设为负责人（仅加入时）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = _visible_volunteers(self.context.get("request"))


class CarePairingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PairingStatus.choices, label="状态")
    recipient = django_filters.NumberFilter(field_name="recipient_id", label="结对对象 id")
    organiser = NodeIdFilter(queryset=visible_nodes, method="filter_organiser", label="负责队伍/组织 id（含下级）")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="只看走访逾期")

    class Meta:
        model = CarePairing
        fields = ["status", "kind"]

    def filter_organiser(self, queryset, name, value):
        return queryset.filter(organiser__path__startswith=value.path)

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status=PairingStatus.ACTIVE, next_due__lt=selectors.overdue_since(timezone.localdate()))


PAIRING_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="结对 id")


@extend_schema(tags=["结对帮扶"])
@extend_schema_view(
    list=extend_schema(summary="结对列表", description="对象所在社区及以上、负责的队伍及以上可见；结对志愿者看到本人的结对。"),
    retrieve=extend_schema(summary="结对详情", parameters=[PAIRING_ID]),
    create=extend_schema(
        summary="新建结对", request=CarePairingCreateSerializer, responses={201: CarePairingSerializer},
        description="志愿者须已本人确认；同一志愿者不能与同一对象重复结对。",
    ),
)
class CarePairingViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """结对：新建、增减志愿者、指定负责人、结束。"""

    serializer_class = CarePairingSerializer
    filterset_class = CarePairingFilter
    ordering_fields = ["start_date", "next_due"]

    def base_queryset(self):
        return CarePairing.objects.select_related("recipient__node", "organiser").order_by("-start_date", "-id")

    def _respond(self, pairing, code=status.HTTP_200_OK):
        pairing = selectors.pairings_for(self.request.user).get(pk=pairing.pk)
        return Response(CarePairingSerializer(pairing, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        form = CarePairingCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        pairing = services.pairing_create(
            actor=request.user, recipient=data["recipient"], organiser=data["organiser"], kind=data["kind"],
            volunteers=data["volunteers"], lead=data.get("lead"), start_date=data["start_date"],
            frequency=data["frequency"], interval_days=data.get("interval_days"), plan_note=data.get("plan_note", ""),
        )  # fmt: skip
        return Response(
            CarePairingSerializer(
                CarePairing.objects.select_related("recipient__node", "organiser").get(pk=pairing.pk),
                context=self.get_serializer_context(),
            ).data,
            status=status.HTTP_201_CREATED,
        )

    def _volunteer(self, request):
        form = VolunteerInputSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        return form.validated_data["volunteer"], form.validated_data["make_lead"]

    @extend_schema(summary="结束结对", parameters=[PAIRING_ID], request=ReasonSerializer, responses=CarePairingSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """结束结对，须写明原因；结对志愿者会收到通知。"""
        pairing = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(services.pairing_end(actor=request.user, pairing=pairing, reason=form.validated_data["reason"]))

    @extend_schema(summary="增加结对志愿者", parameters=[PAIRING_ID], request=VolunteerInputSerializer,
                   responses=CarePairingSerializer)
    @action(detail=True, methods=["post"], url_path="add-volunteer")
    def add_volunteer(self, request, pk=None):
        """多对一结对增加一名志愿者（须已本人确认，且未与该对象结对）。"""
        pairing = self.get_object()
        volunteer, make_lead = self._volunteer(request)
        services.pairing_add_volunteer(actor=request.user, pairing=pairing, volunteer=volunteer, make_lead=make_lead)
        return self._respond(pairing)

    @extend_schema(summary="移出结对志愿者", parameters=[PAIRING_ID], request=VolunteerInputSerializer,
                   responses=CarePairingSerializer)
    @action(detail=True, methods=["post"], url_path="remove-volunteer")
    def remove_volunteer(self, request, pk=None):
        """移出一名志愿者（负责人须先更换，结对至少保留一人）。"""
        pairing = self.get_object()
        volunteer, _ = self._volunteer(request)
        services.pairing_remove_volunteer(actor=request.user, pairing=pairing, volunteer=volunteer)
        return self._respond(pairing)

    @extend_schema(summary="指定负责人", parameters=[PAIRING_ID], request=VolunteerInputSerializer,
                   responses=CarePairingSerializer)
    @action(detail=True, methods=["post"], url_path="set-lead")
    def set_lead(self, request, pk=None):
        pairing = self.get_object()
        volunteer, _ = self._volunteer(request)
        services.pairing_set_lead(actor=request.user, pairing=pairing, volunteer=volunteer)
        return self._respond(pairing)

    @extend_schema(summary="我的结对", description="本人当前的结对，按下次应访日期排序。", responses=CarePairingSerializer(many=True))
    @action(detail=False, methods=["get"])
    def mine(self, request):
        page = self.paginate_queryset(selectors.my_pairings(request.user))
        return self.get_paginated_response(CarePairingSerializer(page, many=True, context=self.get_serializer_context()).data)


# ---- visits -------------------------------------------------------------------------------------------------------


class VisitAttendanceSerializer(serializers.Serializer):
    volunteer = VolunteerRefSerializer(read_only=True)
    record = serializers.IntegerField(source="record_id", help_text="服务记录 id")
    hours = serializers.DecimalField(source="record.hours", max_digits=6, decimal_places=2, help_text="计入时长")


class VisitLogSerializer(serializers.ModelSerializer):
    pairing = serializers.IntegerField(source="pairing_id", read_only=True)
    attendances = VisitAttendanceSerializer(many=True, read_only=True)
    situation = serializers.SerializerMethodField(help_text="对象近况（仅有权查看对象详情者可见，R23）")

    class Meta:
        model = VisitLog
        fields = [
            "id", "pairing", "start_at", "end_at", "content", "situation", "follow_up_needed", "follow_up_note",
            "attendances", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_situation(self, visit) -> str | None:
        request = self.context.get("request")
        if selectors.can_see_details(request.user if request else None, visit.pairing.recipient):
            return visit.situation
        return None


class VisitLogCreateSerializer(serializers.Serializer):
    pairing = serializers.PrimaryKeyRelatedField(queryset=CarePairing.objects.none(), help_text="结对 id")
    volunteers = serializers.PrimaryKeyRelatedField(queryset=Volunteer.objects.none(), many=True, help_text="参加走访的志愿者 id")
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    content = serializers.CharField()
    situation = serializers.CharField(required=False, allow_blank=True)
    follow_up_needed = serializers.BooleanField(required=False, default=False)
    follow_up_note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["pairing"].queryset = (
            selectors.pairings_for(request.user) if request else CarePairing.objects.none()
        )
        # Among the current members of the pairings she can see (a paired volunteer does not otherwise "see" her
        # partners); the service then checks that each is in this pairing.
        members = PairingMember.objects.filter(
            pairing__in=self.fields["pairing"].queryset.values("pk"), left_at__isnull=True
        ).values("volunteer_id")
        self.fields["volunteers"].child_relation.queryset = Volunteer.objects.filter(pk__in=members)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="客户端生成的唯一值（最长 64 字符）。网络超时后用同一个值重试，不会重复记录，返回第一次的结果（200）。",
)


class VisitLogFilter(django_filters.FilterSet):
    pairing = django_filters.NumberFilter(field_name="pairing_id", label="结对 id")
    follow_up_needed = django_filters.BooleanFilter(label="需要跟进")

    class Meta:
        model = VisitLog
        fields = ["pairing", "follow_up_needed"]


@extend_schema(tags=["结对帮扶"])
@extend_schema_view(
    list=extend_schema(summary="走访记录列表"),
    retrieve=extend_schema(summary="走访记录详情", parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)]),
    create=extend_schema(
        summary="填写走访记录", parameters=[IDEMPOTENCY_KEY], request=VisitLogCreateSerializer,
        responses={201: VisitLogSerializer},
        description="每位参加走访的志愿者各记一条服务记录；与已有记录时间重叠等情况整体拒绝，不写入任何内容。",
    ),
)
class VisitLogViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """结对走访记录。"""

    serializer_class = VisitLogSerializer
    filterset_class = VisitLogFilter
    ordering_fields = ["start_at"]

    def base_queryset(self):
        return (
            VisitLog.objects.select_related("pairing__recipient__node")
            .prefetch_related("attendances__volunteer", "attendances__record")
            .order_by("-start_at", "-id")
        )

    def create(self, request):
        form = VisitLogCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        key = (request.headers.get("Idempotency-Key") or "").strip()[:64]
        with transaction.atomic():
            replay = False
            if key:
                # The pairing's row, locked first as the service locks it: retries sent at the same moment queue
                # here, so the answer (201 made now, 200 made before) is right for each of them.
                list(CarePairing.objects.select_for_update().filter(pk=data["pairing"].pk).values_list("pk", flat=True))
                replay = VisitLog.objects.filter(idempotency_key=key).exists()
            visit = services.visit_log_create(
                actor=request.user, pairing=data["pairing"], volunteers=data["volunteers"], start_at=data["start_at"],
                end_at=data["end_at"], content=data["content"], situation=data.get("situation", ""),
                follow_up_needed=data["follow_up_needed"], follow_up_note=data.get("follow_up_note", ""),
                idempotency_key=key,
            )  # fmt: skip
        visit = self.base_queryset().get(pk=visit.pk)
        return Response(
            VisitLogSerializer(visit, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED,
        )


def register(router) -> None:
    """Register this part's viewsets on the /api/v1/ router."""
    router.register("care-recipients", CareRecipientViewSet, basename="care-recipient")
    router.register("care-pairings", CarePairingViewSet, basename="care-pairing")
    router.register("care-visits", VisitLogViewSet, basename="care-visit")
