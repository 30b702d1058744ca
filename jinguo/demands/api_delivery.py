"""REST API: delivery and evaluation (part C of issue 4).

    /api/v1/deliveries/     visits (check-in → check-out) to the needs in the caller's scope or that she serves;
                            check_in / check_out: the volunteer herself; roster: the team's leader for members
    /api/v1/closeouts/      close-out reports; create (multipart: summary + photos) by the provider
    /api/v1/evaluations/    ratings of the needs in scope; create: the requester (her account) or staff for her;
                            review: federation staff of the need's node
    /api/v1/complaints/     complaints; create (the requester or staff for her), handle, conclude

Every write calls services_delivery / services_feedback. A need given by id that the caller neither sees nor serves
is "not found" (404).
"""

import django_filters
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from jinguo.activities.choices import CHECK_DIRECTIONS
from jinguo.core.api import ScopedViewSetMixin
from jinguo.core.errors import DomainError
from jinguo.core.scope import get_scope
from jinguo.volunteers.api import VolunteerRefSerializer
from jinguo.volunteers.models import Volunteer

from . import services_delivery as delivery
from . import services_feedback as feedback
from .choices import ComplaintStatus, EvaluationReview
from .models import CloseOut, Complaint, Delivery, Evaluation, Need

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class ServedNeedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="需求编号")
    category = serializers.CharField()
    status = serializers.CharField()


def _need_in_scope(request, need_id) -> Need:
    """A need the caller sees through data scope, or serves (a member of the team it was given to)."""
    need = Need.objects.select_related("node").filter(pk=need_id).first()
    if need is None:
        raise Http404
    if Need.objects.restrict(request.user, "view").filter(pk=need.pk).exists():
        return need
    assignment = delivery.accepted_assignment(need)
    volunteer = Volunteer.objects.filter(user_id=request.user.pk).first()
    if assignment and volunteer and delivery.serving_volunteers(assignment).filter(pk=volunteer.pk).exists():
        return need
    raise Http404


# ---- deliveries -----------------------------------------------------------------------------------------------------


class DeliverySerializer(serializers.ModelSerializer):
    need = ServedNeedSerializer(read_only=True)
    volunteer = VolunteerRefSerializer(read_only=True)
    method_display = serializers.CharField(source="get_method_display", read_only=True)
    hours = serializers.DecimalField(source="record.hours", max_digits=6, decimal_places=2, read_only=True,
                                     allow_null=True, default=None, help_text="签退后记入的服务时长")
    record = serializers.IntegerField(source="record_id", read_only=True, allow_null=True, help_text="服务记录 id")
    recorded_by = serializers.CharField(source="recorded_by.display_name", read_only=True, allow_null=True,
                                        default=None, help_text="队长代为签到、签退时的记录人（R27）")

    class Meta:
        model = Delivery
        fields = ["id", "need", "assignment", "volunteer", "method", "method_display", "checked_in_at",
                  "checked_out_at", "record", "hours", "recorded_by"]
        read_only_fields = fields


class DeliveryCheckSerializer(serializers.Serializer):
    need = serializers.IntegerField(help_text="需求 id")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)


class DeliveryRosterSerializer(serializers.Serializer):
    need = serializers.IntegerField(help_text="需求 id")
    action = serializers.ChoiceField(choices=CHECK_DIRECTIONS)
    volunteers = serializers.ListField(child=serializers.IntegerField(), min_length=1, help_text="队员（志愿者 id）")
    at = serializers.DateTimeField(required=False, allow_null=True, help_text="实际时间；留空为现在")


class DeliveryCheckResultSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="false 表示重复操作，未作任何改动")
    message = serializers.CharField()
    level = serializers.CharField()
    delivery = DeliverySerializer()


class DeliveryRosterOutcomeSerializer(serializers.Serializer):
    volunteer = serializers.IntegerField(source="volunteer.pk")
    ok = serializers.BooleanField()
    message = serializers.CharField()


class DeliveryFilter(django_filters.FilterSet):
    need = django_filters.NumberFilter(field_name="need_id")
    volunteer = django_filters.NumberFilter(field_name="volunteer_id")
    open = django_filters.BooleanFilter(field_name="checked_out_at", lookup_expr="isnull", help_text="true：服务中")

    class Meta:
        model = Delivery
        fields = ["need", "volunteer", "open"]


@extend_schema(tags=["上门服务"])
@extend_schema_view(
    list=extend_schema(summary="上门服务签到记录"),
    retrieve=extend_schema(summary="签到记录详情", parameters=[ID]),
)
class DeliveryViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """上门服务的签到、签退：志愿者本人，或接单队伍的队长按名单代为签到。"""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter

    def base_queryset(self):
        return Delivery.objects.select_related("need", "volunteer", "record", "recorded_by").order_by(
            "-checked_in_at", "-id"
        )

    def _check(self, request, service):
        form = DeliveryCheckSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        need = _need_in_scope(request, form.validated_data["need"])
        volunteer = Volunteer.objects.filter(user_id=request.user.pk).first()
        if volunteer is None:
            raise DomainError("not_volunteer", "只有志愿者本人可以签到、签退。")
        result = service(
            actor=request.user, need=need, volunteer=volunteer,
            latitude=form.validated_data.get("latitude"), longitude=form.validated_data.get("longitude"),
        )
        body = {"created": result.created, "message": result.message, "level": result.level,
                "delivery": DeliverySerializer(result.delivery).data}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(summary="本人签到", request=DeliveryCheckSerializer, responses=DeliveryCheckResultSerializer)
    @action(detail=False, methods=["post"], url_path="check-in")
    def check_in(self, request):
        """重复签到不会新建记录（created=false）。"""
        return self._check(request, delivery.delivery_check_in)

    @extend_schema(summary="本人签退", request=DeliveryCheckSerializer, responses=DeliveryCheckResultSerializer)
    @action(detail=False, methods=["post"], url_path="check-out")
    def check_out(self, request):
        """签退时写入服务记录（时长账本）；时间重叠等被拒绝时整个签退不生效。"""
        return self._check(request, delivery.delivery_check_out)

    @extend_schema(summary="队长名单签到、签退", request=DeliveryRosterSerializer, responses=DeliveryRosterOutcomeSerializer(many=True))
    @action(detail=False, methods=["post"])
    def roster(self, request):
        form = DeliveryRosterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        need = _need_in_scope(request, data["need"])
        assignment = delivery.accepted_assignment(need)
        if assignment is None or not delivery.can_lead(request.user, assignment):
            raise Http404
        members = {v.pk: v for v in delivery.serving_volunteers(assignment)}
        unknown = [pk for pk in data["volunteers"] if pk not in members]
        if unknown:
            raise DomainError("not_member", "名单中有不属于接单队伍的志愿者。", field="volunteers")
        outcomes = delivery.delivery_roster(
            actor=request.user, need=need, volunteers=[members[pk] for pk in data["volunteers"]],
            purpose=data["action"], at=data.get("at"),
        )
        return Response(DeliveryRosterOutcomeSerializer(outcomes, many=True).data)


# ---- close-outs -----------------------------------------------------------------------------------------------------


class CloseOutSerializer(serializers.ModelSerializer):
    need = ServedNeedSerializer(read_only=True)
    photos = serializers.SerializerMethodField(help_text="照片地址（仅有权查看需求详情者可以打开）")

    class Meta:
        model = CloseOut
        fields = ["id", "need", "summary", "submitted_at", "photos"]
        read_only_fields = fields

    def get_photos(self, closeout) -> list[str]:
        from django.urls import reverse

        return [reverse("demands:closeout_photo", args=[p.pk]) for p in closeout.photos.all()]


class CloseOutWriteSerializer(serializers.Serializer):
    need = serializers.IntegerField(help_text="需求 id")
    summary = serializers.CharField(max_length=2000)
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=delivery.PHOTO_MAX_COUNT,
                                   help_text="现场照片（JPG、PNG、WebP，每张不超过 8 MB）")


@extend_schema(tags=["上门服务"])
@extend_schema_view(
    list=extend_schema(summary="结案报告列表"),
    retrieve=extend_schema(summary="结案报告详情", parameters=[ID]),
    create=extend_schema(summary="提交结案报告", request={"multipart/form-data": CloseOutWriteSerializer},
                         responses={201: CloseOutSerializer}),
)
class CloseOutViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """结案报告：需求服务完成后由接单方提交（附现场照片），需求转为待评价。"""

    serializer_class = CloseOutSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CloseOut.objects.none()
        needs = Need.objects.restrict(self.request.user, "view").values("pk")
        return CloseOut.objects.filter(need__in=needs).select_related("need").prefetch_related("photos").order_by(
            "-submitted_at", "-id"
        )

    def create(self, request):
        form = CloseOutWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        need = _need_in_scope(request, form.validated_data["need"])
        closeout = delivery.closeout_submit(
            actor=request.user, need=need, summary=form.validated_data["summary"],
            photos=form.validated_data.get("photos", []),
        )
        return Response(CloseOutSerializer(closeout).data, status=status.HTTP_201_CREATED)


# ---- evaluations ----------------------------------------------------------------------------------------------------


class EvaluationSerializer(serializers.ModelSerializer):
    need = ServedNeedSerializer(read_only=True)
    review_display = serializers.CharField(source="get_review_display", read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "need", "rating", "comment", "by_requester", "created_at", "review", "review_display",
                  "review_note", "reviewed_at"]
        read_only_fields = fields


class EvaluationWriteSerializer(serializers.Serializer):
    need = serializers.IntegerField(help_text="需求 id")
    rating = serializers.IntegerField(help_text="1–5 星")
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class EvaluationReviewSerializer(serializers.Serializer):
    review = serializers.ChoiceField(choices=[EvaluationReview.CONFIRMED, EvaluationReview.QUERIED])
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="有疑问时必填")


class EvaluationFilter(django_filters.FilterSet):
    review = django_filters.ChoiceFilter(choices=EvaluationReview.choices)
    rating = django_filters.NumberFilter()
    need = django_filters.NumberFilter(field_name="need_id")

    class Meta:
        model = Evaluation
        fields = ["review", "rating", "need"]


@extend_schema(tags=["服务评价"])
@extend_schema_view(
    list=extend_schema(summary="服务评价列表"),
    retrieve=extend_schema(summary="评价详情", parameters=[ID]),
    create=extend_schema(summary="评价服务", description="需求人本人（账号）评价，或工作人员代为录入；每个需求一次。",
                         request=EvaluationWriteSerializer, responses={201: EvaluationSerializer}),
)
class EvaluationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务评价（1–5 星）与妇联复核。"""

    serializer_class = EvaluationSerializer
    filterset_class = EvaluationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Evaluation.objects.none()
        needs = Need.objects.restrict(self.request.user, "view").values("pk")
        return Evaluation.objects.filter(need__in=needs).select_related("need").order_by("-created_at", "-id")

    def create(self, request):
        form = EvaluationWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        need = _need_in_scope(request, form.validated_data["need"])
        evaluation = feedback.evaluation_submit(
            actor=request.user, need=need, rating=form.validated_data["rating"],
            comment=form.validated_data.get("comment", ""), by_requester=need.requester_user_id == request.user.pk,
        )
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="复核评价", parameters=[ID], request=EvaluationReviewSerializer, responses=EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        evaluation = self.get_object()
        form = EvaluationReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        evaluation = feedback.evaluation_review(
            actor=request.user, evaluation=evaluation, review=form.validated_data["review"],
            note=form.validated_data.get("note", ""),
        )
        return Response(EvaluationSerializer(evaluation).data)


# ---- complaints -----------------------------------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    need = ServedNeedSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Complaint
        fields = ["id", "need", "text", "complainant", "status", "status_display", "conclusion", "created_at",
                  "concluded_at"]
        read_only_fields = fields


class ComplaintWriteSerializer(serializers.Serializer):
    need = serializers.IntegerField(help_text="需求 id")
    text = serializers.CharField(max_length=2000)
    complainant = serializers.CharField(max_length=50, required=False, allow_blank=True,
                                        help_text="工作人员代录时必填（如：本人、家属）")


class ComplaintNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ConclusionSerializer(serializers.Serializer):
    conclusion = serializers.CharField(max_length=2000)


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    need = django_filters.NumberFilter(field_name="need_id")

    class Meta:
        model = Complaint
        fields = ["status", "need"]


@extend_schema(tags=["服务评价"])
@extend_schema_view(
    list=extend_schema(summary="服务投诉列表"),
    retrieve=extend_schema(summary="投诉详情", parameters=[ID]),
    create=extend_schema(summary="登记投诉", request=ComplaintWriteSerializer, responses={201: ComplaintSerializer}),
)
class ComplaintViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务投诉：登记、受理、办结（写明处理结果）。"""

    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter

    def base_queryset(self):
        return Complaint.objects.select_related("need").order_by("-created_at", "-id")

    def create(self, request):
        form = ComplaintWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        need = _need_in_scope(request, form.validated_data["need"])
        by_requester = need.requester_user_id == request.user.pk
        if not by_requester and not get_scope(request.user).covers(need.node.path, "change"):
            raise Http404
        complaint = feedback.complaint_create(
            actor=request.user, need=need, text=form.validated_data["text"],
            complainant=form.validated_data.get("complainant", ""), by_requester=by_requester,
        )
        return Response(ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="受理投诉", parameters=[ID], request=ComplaintNoteSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        complaint = self.get_object()
        form = ComplaintNoteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        complaint = feedback.complaint_handle(actor=request.user, complaint=complaint,
                                              note=form.validated_data.get("note", ""))
        return Response(ComplaintSerializer(complaint).data)

    @extend_schema(summary="办结投诉", parameters=[ID], request=ConclusionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        complaint = self.get_object()
        form = ConclusionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        complaint = feedback.complaint_conclude(actor=request.user, complaint=complaint,
                                                conclusion=form.validated_data["conclusion"])
        return Response(ComplaintSerializer(complaint).data)


def register(router) -> None:
    """Register this part's viewsets on the /api/v1/ router."""
    router.register("deliveries", DeliveryViewSet, basename="delivery")
    router.register("closeouts", CloseOutViewSet, basename="closeout")
    router.register("evaluations", EvaluationViewSet, basename="evaluation")
    router.register("complaints", ComplaintViewSet, basename="complaint")
