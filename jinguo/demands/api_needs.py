"""REST API: needs and service menus (part A of issue 4).

    /api/v1/needs/         staff: the needs of their subtree (a provider or the requester: what she serves or
                           posted); create = community staff entering a need for a resident (代录); review (R8):
                           accept, or reject with a reason that reaches her; cancel
    /api/v1/menu-items/    the service menus of the teams in the caller's subtree; create, deactivate

What a caller sees of the requester follows R23 (`selectors.Viewer`): full name, phone, address and description only
for the node's staff, the provider and platform administrators; masked for everyone else. No price field (R11).
Objects given by id in a body are looked up among those the caller can see: others are "invalid" (400).
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.core.api import ScopedViewSetMixin
from jinguo.orgs.api import NodeIdFilter, visible_nodes
from jinguo.orgs.choices import SERVICE_CATEGORIES, SERVICE_TIMES, NodeKind, NodeStatus
from jinguo.orgs.models import Node
from jinguo.volunteers.api import NodeRefSerializer

from . import selectors, services_needs
from .choices import VULNERABLE_FLAGS, NeedSource, NeedStatus, Urgency
from .models import MenuItem, Need

NEED_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="需求 id")
MENU_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="服务项目 id")


# ---- needs --------------------------------------------------------------------------------------------------------


class NeedSerializer(serializers.ModelSerializer):
    node = NodeRefSerializer(read_only=True, help_text="所在社区（村）")
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    urgency_display = serializers.CharField(source="get_urgency_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    details_visible = serializers.SerializerMethodField(help_text="是否可见联系人完整信息（R23）")
    requester_name = serializers.SerializerMethodField(help_text="联系人（无权查看时已遮蔽）")
    requester_phone = serializers.SerializerMethodField(help_text="联系电话（无权查看时已遮蔽）")
    address = serializers.SerializerMethodField(help_text="服务地址（无权查看时只到街道、社区）")
    description = serializers.SerializerMethodField(help_text="需求描述（无权查看时为公开摘要）")
    vulnerable_flags = serializers.SerializerMethodField(help_text="特殊群体标记")
    menu_item = serializers.IntegerField(source="menu_item_id", read_only=True, allow_null=True)

    class Meta:
        model = Need
        fields = [
            "id", "number", "category", "category_display", "other_category", "description", "node", "address",
            "preferred_date", "preferred_time", "urgency", "urgency_display", "requester_name", "requester_phone",
            "details_visible", "vulnerable_flags", "source", "source_display", "menu_item", "claimable",
            "public_summary", "status", "status_display", "reject_reason", "reviewed_at", "accept_deadline",
            "escalation_level", "created_at", "closed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _view(self, need):
        cache = self.context.setdefault("_views", {})
        if need.pk not in cache:
            viewer = self.context.get("viewer") or selectors.Viewer(self.context["request"].user)
            self.context["viewer"] = viewer
            cache[need.pk] = viewer.view(need)
        return cache[need.pk]

    def get_details_visible(self, need) -> bool:
        return self._view(need).full

    def get_requester_name(self, need) -> str:
        return self._view(need).name

    def get_requester_phone(self, need) -> str:
        return self._view(need).phone

    def get_address(self, need) -> str:
        return self._view(need).address

    def get_description(self, need) -> str:
        return self._view(need).description

    def get_vulnerable_flags(self, need) -> list[str]:
        return self._view(need).flags


class NeedWriteSerializer(serializers.Serializer):
    """A need entered by community staff for a resident (代录)."""

    node = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="所在社区（村）id")
    category = serializers.ChoiceField(choices=SERVICE_CATEGORIES)
    other_category = serializers.CharField(max_length=60, required=False, allow_blank=True)
    description = serializers.CharField(max_length=1000, allow_blank=True)
    address = serializers.CharField(max_length=200, allow_blank=True)
    preferred_date = serializers.DateField(required=False, allow_null=True)
    preferred_time = serializers.CharField(max_length=60, required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    requester_name = serializers.CharField(max_length=50, allow_blank=True)
    requester_phone = serializers.CharField(max_length=20, allow_blank=True)
    vulnerable_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=VULNERABLE_FLAGS), required=False, help_text="特殊群体标记（R23）"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = visible_nodes(self.context.get("request")).filter(
            kind=NodeKind.COMMUNITY, status=NodeStatus.ACTIVE
        )


class OpenNeedSerializer(serializers.Serializer):
    """An open need as volunteers see it: nothing personal."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    summary = serializers.CharField(help_text="公开摘要")
    category = serializers.CharField(help_text="服务类别")
    community = serializers.CharField(help_text="社区（村）")
    date = serializers.DateField(allow_null=True, help_text="希望服务日期")
    preferred_time = serializers.CharField()
    urgency = serializers.CharField()
    urgency_display = serializers.CharField()
    claimable = serializers.BooleanField(help_text="可抢单")
    created_at = serializers.DateTimeField()


class ReviewSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true 受理；false 不予受理（须填原因）")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="不予受理原因")
    public_summary = serializers.CharField(max_length=200, required=False, allow_blank=True)
    claimable = serializers.BooleanField(required=False, help_text="开放认领（抢单）")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, help_text="撤销原因")


class NeedFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=NeedStatus.choices)
    category = django_filters.ChoiceFilter(choices=SERVICE_CATEGORIES)
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    source = django_filters.ChoiceFilter(choices=NeedSource.choices)
    node = NodeIdFilter(queryset=visible_nodes, method="filter_node", help_text="组织 id（含下级）")
    number = django_filters.CharFilter(field_name="number")

    class Meta:
        model = Need
        fields = ["status", "category", "urgency", "source", "node", "number"]

    def filter_node(self, queryset, name, value):
        return queryset.filter(node__path__startswith=value.path) if value else queryset


@extend_schema(tags=["服务需求"])
@extend_schema_view(
    list=extend_schema(summary="需求列表", description="本组织及下级社区的服务需求；联系人信息按 R23 遮蔽。"),
    retrieve=extend_schema(summary="需求详情", parameters=[NEED_ID]),
    create=extend_schema(
        summary="代录需求", description="社区（村）及上级工作人员为居民登记需求，无需短信验证码。",
        request=NeedWriteSerializer, responses={201: NeedSerializer},
    ),
)
class NeedViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务需求：代录、审核（R8）、撤销。"""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter

    def base_queryset(self):
        return (
            Need.objects.select_related("node")
            .prefetch_related("assignments__volunteer")
            .order_by("-created_at", "-id")
        )

    def _respond(self, need, code=status.HTTP_200_OK):
        need = self.base_queryset().get(pk=need.pk)
        return Response(NeedSerializer(need, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        form = NeedWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        node = data.pop("node")
        need = services_needs.need_create(actor=request.user, data=data, node=node, proxy=True)
        return self._respond(need, status.HTTP_201_CREATED)

    @extend_schema(
        summary="待接需求（匿名）",
        description="志愿者和队伍可以申请承接的需求：本人所在区县、已审核受理、尚未派出。只含公开摘要、类别、社区、日期和"
        "紧急程度，不含任何联系人信息。申请接单见派单接口。",
        parameters=[OpenApiParameter("category", OpenApiTypes.STR), OpenApiParameter("urgency", OpenApiTypes.STR)],
        responses=OpenNeedSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def open(self, request):
        qs = selectors.open_needs_for(request.user).order_by("-created_at", "-id")
        for name in ("category", "urgency"):
            if request.query_params.get(name):
                qs = qs.filter(**{name: request.query_params[name]})
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(OpenNeedSerializer([selectors.anonymised(n) for n in page], many=True).data)

    @extend_schema(summary="审核需求（R8）", parameters=[NEED_ID], request=ReviewSerializer, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """受理（进入派单），或不予受理并说明原因（短信告知需求人）。"""
        need = self.get_object()
        form = ReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        need = services_needs.need_review(
            actor=request.user, need=need, accept=data["accept"], reason=data.get("reason", ""),
            public_summary=data.get("public_summary"), claimable=data.get("claimable"),
        )
        return self._respond(need)

    @extend_schema(summary="撤销需求", parameters=[NEED_ID], request=CancelSerializer, responses=NeedSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """服务开始前撤销（工作人员须写明原因）。"""
        need = self.get_object()
        form = CancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        need = services_needs.need_cancel(actor=request.user, need=need, reason=form.validated_data.get("reason", ""))
        return self._respond(need)


# ---- service menus --------------------------------------------------------------------------------------------------


class MenuItemSerializer(serializers.ModelSerializer):
    team = NodeRefSerializer(read_only=True)
    area = NodeRefSerializer(read_only=True, help_text="服务范围：此区域（含下级社区）的居民可以点单")
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = MenuItem
        fields = [
            "id", "team", "category", "category_display", "title", "content", "area", "service_times", "time_note",
            "monthly_capacity", "is_active", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class MenuItemWriteSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="队伍 id")
    category = serializers.ChoiceField(choices=SERVICE_CATEGORIES)
    title = serializers.CharField(max_length=80, allow_blank=True)
    content = serializers.CharField(allow_blank=True)
    area = serializers.PrimaryKeyRelatedField(queryset=Node.objects.none(), help_text="服务范围（组织 id）")
    service_times = serializers.ListField(child=serializers.ChoiceField(choices=SERVICE_TIMES), required=False)
    time_note = serializers.CharField(max_length=100, required=False, allow_blank=True)
    monthly_capacity = serializers.IntegerField(min_value=1, max_value=10000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = visible_nodes(self.context.get("request")).filter(status=NodeStatus.ACTIVE)
        self.fields["team"].queryset = nodes.filter(kind=NodeKind.TEAM)
        # The area is checked by the service (the team's district or below); any active federation node here.
        self.fields["area"].queryset = Node.objects.federations().active()


class MenuItemFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=SERVICE_CATEGORIES)
    team = NodeIdFilter(queryset=visible_nodes, method="filter_team", help_text="队伍 id（含下级队伍）")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = MenuItem
        fields = ["category", "team", "is_active"]

    def filter_team(self, queryset, name, value):
        return queryset.filter(team__path__startswith=value.path) if value else queryset


@extend_schema(tags=["服务菜单"])
@extend_schema_view(
    list=extend_schema(summary="服务菜单列表", description="本组织及下级队伍发布的服务项目。不设价格（R11）。"),
    retrieve=extend_schema(summary="服务项目详情", parameters=[MENU_ID]),
    create=extend_schema(summary="发布服务项目", request=MenuItemWriteSerializer, responses={201: MenuItemSerializer}),
)
class MenuItemViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务菜单：队伍发布可供居民点单的服务项目。"""

    serializer_class = MenuItemSerializer
    filterset_class = MenuItemFilter

    def base_queryset(self):
        return MenuItem.objects.select_related("team", "area").order_by("team__path", "category", "title", "id")

    def _respond(self, item, code=status.HTTP_200_OK):
        item = self.base_queryset().get(pk=item.pk)
        return Response(MenuItemSerializer(item, context=self.get_serializer_context()).data, status=code)

    def create(self, request):
        form = MenuItemWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        team = data.pop("team")
        return self._respond(services_needs.menu_item_create(actor=request.user, team=team, data=data), 201)

    @extend_schema(
        summary="修改服务项目", parameters=[MENU_ID], request=MenuItemWriteSerializer, responses=MenuItemSerializer
    )
    def partial_update(self, request, pk=None):
        item = self.get_object()
        form = MenuItemWriteSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        if "team" in form.validated_data:
            raise serializers.ValidationError({"team": ["队伍不能修改。"]})
        current = {
            "category": item.category, "title": item.title, "content": item.content, "area": item.area,
            "service_times": item.service_times, "time_note": item.time_note,
            "monthly_capacity": item.monthly_capacity,
        }
        data = {**current, **form.validated_data}
        return self._respond(services_needs.menu_item_update(actor=request.user, item=item, data=data))

    @extend_schema(summary="下架服务项目", parameters=[MENU_ID], request=None, responses=MenuItemSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """下架：不再接受新的点单，已有点单不受影响。"""
        return self._respond(services_needs.menu_item_deactivate(actor=request.user, item=self.get_object()))


def register(router) -> None:
    """Register this part's viewsets on the /api/v1/ router."""
    router.register("needs", NeedViewSet, basename="need")
    router.register("menu-items", MenuItemViewSet, basename="menu-item")
