"""REST API plumbing shared by every app: errors, scoped viewsets, paging; and the import-job status endpoint.

Every API error has the same shape, `{"code": ..., "detail": "中文说明"}`, so that a client can branch on the
code and show the detail:
- DomainError (a service refused) -> 400, with `field` when the error belongs to one input field;
- PermissionDeniedError (a known object the caller may see but not change) -> 403;
- an object that does not exist or lies outside the caller's data scope -> 404 (never reveal existence);
- invalid input -> 400 with code "invalid" and the per-field messages in `errors`.
"""

from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import progress
from .errors import DomainError, PermissionDeniedError
from .models import Job
from .paging import CappedPaginator


def exception_handler(exc, context):
    if isinstance(exc, PermissionDeniedError):
        return Response({"code": exc.code, "detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        if exc.detail:
            body["extra"] = exc.detail
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到，或不在您的数据范围内。")
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"code": "invalid", "detail": _first_message(errors) or "提交的数据有误。", "errors": errors}
    elif isinstance(response.data, dict) and "code" not in response.data:
        codes = exc.get_codes()
        response.data["code"] = codes if isinstance(codes, str) else "error"
    return response


def _first_message(errors) -> str:
    """The first message of a (nested) DRF error structure, for the `detail` a client shows."""
    if isinstance(errors, dict):
        for value in errors.values():
            found = _first_message(value)
            if found:
                return found
        return ""
    if isinstance(errors, list):
        for value in errors:
            found = _first_message(value)
            if found:
                return found
        return ""
    return str(errors)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer jg_…` (core.api_auth.TokenAuthentication) in the OpenAPI schema."""

    target_class = "jinguo.core.api_auth.TokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "jg_…",
            "description": "在「API 令牌」页面（/account/tokens/）创建令牌，请求时加请求头 Authorization: Bearer jg_…",
        }


class CappedPagination(PageNumberPagination):
    """Page numbers with a total counted only up to 10,000 (`count_capped` says when there are more)."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count if not paginator.capped else paginator.cap,
                "count_capped": paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "为 true 时，实际总数超过 count（只数到 10000 条）。",
        }
        response["required"] = [*response.get("required", []), "count_capped"]
        return response


class ScopedViewSetMixin:
    """get_queryset goes through `.restrict(user, action)`: the one data-scope mechanism.

    Objects are looked up in the caller's "view" scope, for reads and writes alike: what she cannot see is 404.
    A write on an object she can see is then decided by the service, which checks the "change" (or "personal")
    scope itself and raises PermissionDeniedError -> 403. A viewset that must look objects up in another scope
    sets `write_lookup_action`.
    """

    write_lookup_action = "view"
    renderer_classes = [JSONRenderer]  # no browsable API: its forms would list related objects unrestricted
    pagination_class = CappedPagination

    def scope_action(self) -> str:
        if self.request.method in SAFE_METHODS:
            return "view"
        return self.write_lookup_action

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular inspecting the view, no user
            return self.base_queryset().none()
        return self.base_queryset().restrict(self.request.user, self.scope_action())

    def base_queryset(self):
        raise NotImplementedError


# ---- import jobs ---------------------------------------------------------------------------------------------

IMPORT_KINDS = ("volunteer_import", "team_import")


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="已处理")
    total = serializers.IntegerField(help_text="总数（0 表示尚未知道）")
    stage = serializers.CharField(help_text="当前阶段")
    percent = serializers.IntegerField(help_text="百分比 0-100")


class ImportJobSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    progress = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField(help_text="处理报告中的汇总数字（如总行数、有效行数、错误行数）")
    detail_url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="网页上的任务页面")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "status_display",
            "progress",
            "summary",
            "error",
            "input_name",
            "created_at",
            "started_at",
            "finished_at",
            "detail_url",
        ]
        read_only_fields = fields

    @extend_schema_field(JobProgressSerializer)
    def get_progress(self, job) -> dict:
        state = progress.get_progress("job", job.pk)
        if job.is_finished and not state.get("total"):
            state = {"done": 1, "total": 1, "stage": ""}
        return {
            "done": int(state.get("done") or 0),
            "total": int(state.get("total") or 0),
            "stage": state.get("stage") or "",
            "percent": 100 if job.is_finished else progress.percent(state),
        }

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_summary(self, job) -> dict:
        # Only the report's figures: its row-level parts quote the uploaded file (names, ID numbers) and are
        # shown on the job's own page, not handed out through the API.
        return {
            key: value
            for key, value in (job.report or {}).items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }


@extend_schema(tags=["导入任务"])
@extend_schema_view(
    list=extend_schema(summary="我的导入任务", description="本人发起的志愿者、队伍批量导入任务，最新的在前。"),
    retrieve=extend_schema(summary="导入任务状态", description="状态、进度与报告汇总。只能查看本人发起的任务。"),
)
class ImportJobViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """批量导入任务（只读）：状态、进度、报告汇总。"""

    serializer_class = ImportJobSerializer
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at"]

    def base_queryset(self):
        return Job.objects.filter(kind__in=IMPORT_KINDS).order_by("-created_at", "-id")
