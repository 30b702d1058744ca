"""REST API for service-record certificates (F7, R18): `/api/v1/certificates/`.

The issuing node's subtree manages its certificates; she sees her own. A certificate is a snapshot: it is issued
(by staff, or by herself from an organiser she served with), downloaded as a PDF, revoked and reissued, never
changed. A batch for a whole node runs as a job (`/jobs/<id>/` shows its progress and the zip).
"""

import django_filters
from django.db.models import Q
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.core import audit
from jinguo.core.api import ScopedViewSetMixin
from jinguo.hours.models import ServiceRecord
from jinguo.orgs.api import NodeIdFilter, visible_nodes
from jinguo.orgs.choices import NodeStatus
from jinguo.orgs.models import Node
from jinguo.volunteers.api import NodeRefSerializer, ReasonSerializer, VolunteerRefSerializer
from jinguo.volunteers.models import Volunteer

from . import pdf, services, tasks
from .models import Certificate, CertificateStatus


class CertificateSerializer(serializers.ModelSerializer):
    volunteer = VolunteerRefSerializer(read_only=True)
    issuer = NodeRefSerializer(read_only=True, help_text="出具单位")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    replaced_by = serializers.IntegerField(source="replaced_by_id", read_only=True, allow_null=True,
                                           help_text="作废后重新出具的证明 id")  # fmt: skip
    verify_url = serializers.SerializerMethodField(help_text="公开查验页面（证明上的二维码指向它）")

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "short_code",
            "volunteer",
            "issuer",
            "period_start",
            "period_end",
            "total_hours",
            "status",
            "status_display",
            "issued_at",
            "revoked_at",
            "revoke_reason",
            "replaced_by",
            "verify_url",
        ]
        read_only_fields = fields

    def get_verify_url(self, certificate) -> str:
        request = self.context.get("request")
        return services.verify_url(certificate.short_code, request.build_absolute_uri("/") if request else None)


class CertificateFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CertificateStatus.choices, label="状态")
    volunteer = django_filters.NumberFilter(field_name="volunteer_id", label="志愿者 id")
    issuer = NodeIdFilter(queryset=visible_nodes, method="filter_issuer", label="出具单位 id（含下级）")
    number = django_filters.CharFilter(label="证明编号")

    class Meta:
        model = Certificate
        fields = ["status", "volunteer", "number"]

    def filter_issuer(self, queryset, name, value):
        return queryset.filter(issuer__path__startswith=value.path)


class IssueSerializer(serializers.Serializer):
    volunteer = serializers.PrimaryKeyRelatedField(
        queryset=Volunteer.objects.none(), required=False, help_text="志愿者 id（本人申请时可不填）"
    )
    issuer = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="出具单位 id")
    period_start = serializers.DateField(
        required=False, allow_null=True, help_text="服务起始日期（不填为最早一条记录）"
    )
    period_end = serializers.DateField(required=False, allow_null=True, help_text="服务截止日期（不填为今天）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = request.user if request else None
        self.fields["volunteer"].queryset = Volunteer.objects.restrict(user, "view")
        # Staff name a node in their scope; she names an organiser she served with.
        served = ServiceRecord.objects.filter(volunteer__user_id=getattr(user, "pk", None)).values("organiser_id")
        self.fields["issuer"].queryset = Node.objects.filter(
            Q(pk__in=visible_nodes(request).values("pk")) | Q(pk__in=served)
        )

    def validate(self, attrs):
        if attrs.get("volunteer") is None:
            request = self.context.get("request")
            own = Volunteer.objects.filter(user_id=request.user.pk).first() if request else None
            if own is None:
                raise serializers.ValidationError({"volunteer": ["请选择志愿者。"]})
            attrs["volunteer"] = own
        return attrs


class BatchSerializer(serializers.Serializer):
    node = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="出具单位 id：其下全部记录")
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    who = serializers.ChoiceField(choices=tasks.WHO_CHOICES, default="all", help_text="出具对象")
    min_hours = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=0, required=False, allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = visible_nodes(self.context.get("request")).filter(status=NodeStatus.ACTIVE)


class BatchJobSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text="任务 id")
    title = serializers.CharField()
    status = serializers.CharField()
    detail_url = serializers.CharField(help_text="任务页面：进度条，完成后下载 zip")


CERTIFICATE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="证明 id")


@extend_schema(tags=["志愿服务记录证明"])
@extend_schema_view(
    list=extend_schema(
        summary="证明列表", description="本组织及下级组织出具的志愿服务记录证明；志愿者本人看到自己的。"
    ),
    retrieve=extend_schema(summary="证明详情", parameters=[CERTIFICATE_ID]),
    create=extend_schema(
        summary="出具证明",
        description="根据已计入的服务记录出具志愿服务记录证明（免费）：工作人员为其范围内的志愿者出具；"
        "志愿者本人可向为她记录过时长的组织单位申请。同一期间、同样记录的有效证明已存在时返回它（200），不重复编号。"
        "本人尚未确认登记的不能出具（R25）。",
        request=IssueSerializer,
        responses={201: CertificateSerializer, 200: CertificateSerializer},
    ),
)
class CertificateViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """志愿服务记录证明：出具、批量出具、下载 PDF、作废、重新出具。"""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter

    def base_queryset(self):
        return Certificate.objects.select_related("volunteer", "issuer").order_by("-issued_at", "-id")

    def _respond(self, certificate, code=status.HTTP_200_OK) -> Response:
        certificate = self.base_queryset().get(pk=certificate.pk)
        return Response(self.get_serializer(certificate).data, status=code)

    def _base_url(self) -> str:
        return self.request.build_absolute_uri("/")

    def create(self, request):
        form = IssueSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        certificate, created = services.certificate_issue_or_reuse(
            actor=request.user,
            volunteer=data["volunteer"],
            issuer=data["issuer"],
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            base_url=self._base_url(),
        )
        return self._respond(certificate, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="下载 PDF",
        description="证明的 PDF（内容为出具时的快照；已作废的证明带作废标记）。工作人员下载他人的证明会留痕。",
        parameters=[CERTIFICATE_ID],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF 文件")},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """下载证明 PDF。"""
        certificate = self.get_object()
        content = pdf.render_certificate(certificate)
        if certificate.volunteer.user_id != request.user.pk:
            # Someone else's certificate carries her (masked) personal data: accountable, as on the web page.
            audit.record(
                request.user,
                "certificate.downloaded",
                target=certificate,
                node_path=certificate.issuer.path,
                summary=f"下载{certificate.volunteer.name}的志愿服务记录证明 {certificate.number}（API）",
            )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, f"志愿服务记录证明-{certificate.number}.pdf")
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(
        summary="作废证明",
        description="出具单位（或其上级）作废证明，须写明原因；本人会收到通知。公开查验页面显示为已作废。",
        parameters=[CERTIFICATE_ID],
        request=ReasonSerializer,
        responses=CertificateSerializer,
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """作废证明。"""
        certificate = self.get_object()
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.certificate_revoke(actor=request.user, certificate=certificate, reason=form.validated_data["reason"])
        return self._respond(certificate)

    @extend_schema(
        summary="重新出具",
        description="为已作废的证明按现有记录重新出具一份（同一志愿者、出具单位和期间），原证明指向新证明。",
        parameters=[CERTIFICATE_ID],
        request=None,
        responses={201: CertificateSerializer},
    )
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        """重新出具已作废的证明。"""
        new = services.certificate_reissue(actor=request.user, certificate=self.get_object(), base_url=self._base_url())
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(
        summary="批量出具",
        description="为某单位及其下属单位在期间内有已计入服务记录的志愿者批量出具证明。作为后台任务运行："
        "返回任务 id 和任务页面地址，页面显示进度，完成后下载全部 PDF 的 zip。",
        request=BatchSerializer,
        responses={202: BatchJobSerializer},
    )
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """批量出具证明（后台任务）。"""
        form = BatchSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        job = tasks.certificate_batch_start(
            actor=request.user,
            node=data["node"],
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            who=data["who"],
            min_hours=data.get("min_hours"),
            base_url=self._base_url(),
        )
        job.refresh_from_db()
        body = {"job": job.pk, "title": job.title, "status": job.status, "detail_url": job.get_absolute_url()}
        return Response(body, status=status.HTTP_202_ACCEPTED)
