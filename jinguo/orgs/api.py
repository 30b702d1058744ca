"""REST API for the org tree and the volunteer teams: `/api/v1/nodes/`, `/api/v1/teams/`.

Reads go through `.restrict(user, "view")`; every write calls a service in `orgs.services`, which checks the
caller's "change" scope (or acts "from above" for filing) and writes the audit entry.
"""

import django_filters
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.core.api import ScopedViewSetMixin

from . import choices, services
from .models import Node, Team
from .selectors import subtree_counts

# ---- helpers --------------------------------------------------------------------------------------------------


def visible_nodes(request):
    """Nodes the caller may see: the choices for every node filter and every node given as input."""
    if request is None:
        return Node.objects.none()
    return Node.objects.restrict(request.user, "view")


def visible_teams(request):
    return visible_nodes(request).filter(kind=choices.NodeKind.TEAM)


def with_parent_id(queryset):
    """Annotate each node with its parent's id in the same query (the parent's path is the path minus a step)."""
    parent_path = Substr(OuterRef("path"), 1, (OuterRef("depth") - 1) * Node.steplen)
    return queryset.annotate(parent_id=Subquery(Node.objects.filter(path=parent_path).values("pk")[:1]))


class TierNames:
    """The team tier names that apply to many teams at once, from one query (instead of one per team)."""

    def __init__(self):
        self._settings = None

    def for_node(self, node: Node) -> list[str]:
        if self._settings is None:
            from django.conf import settings

            self._default = list(settings.TEAM_TIER_NAMES)
            self._settings = dict(Node.objects.exclude(team_tier_names="").values_list("path", "team_tier_names"))
        for depth in range(node.depth, 0, -1):
            setting = self._settings.get(node.path[: depth * Node.steplen])
            if setting:
                return [n.strip() for n in setting.split(",") if n.strip()]
        return self._default


@extend_schema_field(OpenApiTypes.INT)
class NodeIdFilter(django_filters.ModelChoiceFilter):
    """A node given by id, among the nodes the caller can see (others are "not a valid choice")."""


# ---- nodes ----------------------------------------------------------------------------------------------------


class NodeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True, help_text="上级组织的 id")

    class Meta:
        model = Node
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "code",
            "status",
            "status_display",
            "parent",
            "depth",
            "team_tier_names",
            "requires_publish_approval",
            "created_at",
        ]
        read_only_fields = fields


class NodeFiguresSerializer(serializers.Serializer):
    teams = serializers.IntegerField(help_text="下辖队伍数（含本级）")
    volunteers = serializers.IntegerField(help_text="登记在下辖社区的志愿者人数")
    members = serializers.IntegerField(help_text="下辖队伍的在队成员人次")


class NodeDetailSerializer(NodeSerializer):
    figures = serializers.SerializerMethodField()

    class Meta(NodeSerializer.Meta):
        fields = [*NodeSerializer.Meta.fields, "figures"]
        read_only_fields = fields

    @extend_schema_field(NodeFiguresSerializer)
    def get_figures(self, node) -> dict:
        return subtree_counts(node)


class NodeFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=choices.NodeKind.choices, label="类型")
    code = django_filters.CharFilter(label="行政区划代码（精确匹配）")
    status = django_filters.ChoiceFilter(choices=choices.NodeStatus.choices, label="状态")
    parent = NodeIdFilter(queryset=visible_nodes, method="filter_parent", label="上级组织 id：只列出它的直接下级")
    under = NodeIdFilter(queryset=visible_nodes, method="filter_under", label="组织 id：列出它的全部下级（含自身）")
    q = django_filters.CharFilter(field_name="name", lookup_expr="contains", label="名称包含")

    class Meta:
        model = Node
        fields = ["kind", "code", "status"]

    def filter_parent(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path, depth=value.depth + 1)

    def filter_under(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path)


@extend_schema(tags=["组织"])
@extend_schema_view(
    list=extend_schema(summary="组织列表", description="您数据范围内的妇联组织和队伍节点，按组织树顺序。"),
    retrieve=extend_schema(summary="组织详情", description="含下辖队伍数、志愿者人数等汇总数字。"),
)
class NodeViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """组织树节点（妇联组织与队伍）。只读；新建、更名、移动在网页端办理。"""

    filterset_class = NodeFilter
    ordering_fields = ["path", "name"]

    def base_queryset(self):
        return with_parent_id(Node.objects.all()).order_by("path")

    def get_serializer_class(self):
        return NodeDetailSerializer if self.action == "retrieve" else NodeSerializer


# ---- teams ----------------------------------------------------------------------------------------------------


class BackboneSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, help_text="姓名")
    position = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="职务")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, help_text="联系电话")
    work_unit = serializers.CharField(max_length=120, required=False, allow_blank=True, help_text="工作单位")
    email = serializers.EmailField(required=False, allow_blank=True, help_text="邮箱")


class TeamSerializer(serializers.ModelSerializer):
    """A team as its registration form (登记表) shows it."""

    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(source="node.name", read_only=True)
    node_status = serializers.CharField(source="node.status", read_only=True, help_text="active / dissolved / merged")
    parent = serializers.SerializerMethodField(help_text="上级组织或上级队伍的 id")
    tier_name = serializers.SerializerMethodField(help_text="层级名称，如 总队、服务队、分队、小队")
    member_count = serializers.IntegerField(read_only=True, help_text="在队成员人数（来自花名册）")
    below_standard = serializers.SerializerMethodField(help_text="小队成员不足 5 人时为 true")
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    filing_status_display = serializers.CharField(source="get_filing_status_display", read_only=True)
    backbone = BackboneSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "node_status",
            "parent",
            "team_number",
            "archive_number",
            "tier",
            "tier_name",
            "member_count",
            "below_standard",
            "unit_name",
            "level",
            "level_display",
            "founded_on",
            "leader_name",
            "leader_position",
            "leader_phone",
            "leader_wechat",
            "phone",
            "email",
            "address",
            "latitude",
            "longitude",
            "service_categories",
            "other_category",
            "service_times",
            "service_features",
            "awards",
            "is_registered",
            "credit_code",
            "rules",
            "filing_status",
            "filing_status_display",
            "filing_note",
            "submitted_at",
            "filed_at",
            "backbone",
            "updated_at",
        ]
        read_only_fields = fields

    def _tier_names(self, team) -> list[str]:
        tiers = self.context.get("tier_names")
        if tiers is None:
            tiers = self.context["tier_names"] = TierNames()
        return tiers.for_node(team.node)

    def get_parent(self, team) -> int | None:
        return getattr(team, "parent_node_id", None)

    def get_tier_name(self, team) -> str:
        names = self._tier_names(team)
        return names[min(team.tier, len(names)) - 1]

    def get_below_standard(self, team) -> bool:
        from django.conf import settings

        return team.tier >= len(self._tier_names(team)) and team.member_count < settings.SQUAD_MIN_MEMBERS


class TeamWriteSerializer(serializers.Serializer):
    """The registration form's fields. Only the fields sent are changed (PATCH); lists replace what was there."""

    name = serializers.CharField(max_length=120, required=False, help_text="队伍名称（新建时必填）")
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.none(), required=False, help_text="上级妇联组织或上级队伍的 id（仅新建时）"
    )
    tier = serializers.IntegerField(
        min_value=1, required=False, help_text="层级：1 为总队，向下递增；新建时不填则按所在层级取默认值"
    )
    unit_name = serializers.CharField(max_length=120, required=False, allow_blank=True, help_text="所属单位")
    level = serializers.ChoiceField(choices=choices.TeamLevel.choices, required=False, allow_blank=True)
    founded_on = serializers.DateField(required=False, allow_null=True, help_text="成立（组建）时间")
    leader_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    leader_position = serializers.CharField(max_length=50, required=False, allow_blank=True)
    leader_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    leader_wechat = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True,
        help_text="驻地纬度（可选，与经度同时填写；派单推荐按距离排序）",
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True,
        help_text="驻地经度",
    )
    service_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=choices.SERVICE_CATEGORIES), required=False, help_text="志愿服务类别"
    )
    other_category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    service_times = serializers.ListField(
        child=serializers.ChoiceField(choices=choices.SERVICE_TIMES), required=False, help_text="志愿服务时间"
    )
    service_features = serializers.CharField(required=False, allow_blank=True)
    awards = serializers.CharField(required=False, allow_blank=True)
    is_registered = serializers.BooleanField(required=False, help_text="已在民政部门登记为社会组织")
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, help_text="统一社会信用代码")
    rules = serializers.CharField(required=False, allow_blank=True)
    backbone = BackboneSerializer(many=True, required=False, help_text="主要骨干；提交时整体替换")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A parent is picked among the nodes the caller can see (others are "invalid", never "forbidden", so
        # that their existence is not revealed); the service then requires the "change" scope over it (403).
        self.fields["parent"].queryset = visible_nodes(self.context.get("request")).filter(
            status=choices.NodeStatus.ACTIVE
        )

    def validate(self, attrs):
        if ("latitude" in attrs or "longitude" in attrs) and (
            (attrs.get("latitude") is None) != (attrs.get("longitude") is None)
        ):
            raise serializers.ValidationError({"longitude": "纬度和经度须同时填写，或都不填。"})
        return attrs

    def team_data(self) -> dict:
        return {key: value for key, value in self.validated_data.items() if key in services.TEAM_FIELDS}

    def tier_kwargs(self) -> dict:
        """The tier only when one was sent: otherwise the service applies its default (or keeps the team's)."""
        return {"tier": self.validated_data["tier"]} if "tier" in self.validated_data else {}


class TeamReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="退回原因，队伍据此修改")


class TeamFilter(django_filters.FilterSet):
    filing_status = django_filters.ChoiceFilter(choices=choices.FilingStatus.choices, label="备案状态")
    level = django_filters.ChoiceFilter(choices=choices.TeamLevel.choices, label="队伍级别")
    tier = django_filters.NumberFilter(label="层级（1 为总队）")
    is_registered = django_filters.BooleanFilter(label="已登记为社会组织")
    status = django_filters.ChoiceFilter(
        field_name="node__status", choices=choices.NodeStatus.choices, label="状态（正常/已撤销/已合并）"
    )
    parent = NodeIdFilter(queryset=visible_nodes, method="filter_parent", label="上级组织或队伍 id：只列出直接下级队伍")
    under = NodeIdFilter(queryset=visible_nodes, method="filter_under", label="组织 id：列出其下全部队伍")
    q = django_filters.CharFilter(method="filter_q", label="名称包含，或队伍编号/档案编号")

    class Meta:
        model = Team
        fields = ["filing_status", "level", "tier", "is_registered"]

    def filter_parent(self, queryset, name, value):
        return queryset.filter(node__path__startswith=value.path, node__depth=value.depth + 1)

    def filter_under(self, queryset, name, value):
        return queryset.filter(node__path__startswith=value.path)

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(node__name__contains=value) | Q(team_number=value) | Q(archive_number=value))


def _team_response(request, team: Team, code: int = status.HTTP_200_OK) -> Response:
    team = TeamViewSet.annotated(Team.objects.filter(pk=team.pk)).get()
    return Response(TeamSerializer(team, context={"request": request}).data, status=code)


TEAM_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="队伍 id（即其组织节点 id）")


@extend_schema(tags=["队伍"])
@extend_schema_view(
    list=extend_schema(summary="队伍列表", description="您数据范围内的志愿服务队伍，可按备案状态、层级、上级等筛选。"),
    retrieve=extend_schema(summary="队伍详情（登记表）", parameters=[TEAM_ID]),
    create=extend_schema(
        summary="登记队伍",
        description="在上级妇联组织或上级队伍下登记一支队伍；新队伍为备案草稿。需要对上级的管理权限。",
        request=TeamWriteSerializer,
        responses={201: TeamSerializer},
    ),
    partial_update=extend_schema(
        summary="修改登记信息",
        description="只修改提交的字段；骨干名单提交时整体替换。需要对该队伍的管理权限。",
        parameters=[TEAM_ID],
        request=TeamWriteSerializer,
        responses=TeamSerializer,
    ),
)
class TeamViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """志愿服务队伍：登记、修改、提交备案、备案、退回。"""

    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    ordering_fields = ["team_number", "node__path", "updated_at"]

    @staticmethod
    def annotated(queryset):
        parent_path = Substr(OuterRef("node__path"), 1, (OuterRef("node__depth") - 1) * Node.steplen)
        return (
            queryset.select_related("node", "node__counter")
            .prefetch_related("backbone")
            .annotate(parent_node_id=Subquery(Node.objects.filter(path=parent_path).values("pk")[:1]))
        )

    def base_queryset(self):
        return self.annotated(Team.objects.all()).order_by("node__path")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tier_names"] = TierNames()
        return context

    def create(self, request):
        form = TeamWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        errors = {}
        if not form.validated_data.get("name"):
            errors["name"] = ["请填写队伍名称。"]
        if not form.validated_data.get("parent"):
            errors["parent"] = ["请选择上级组织或上级队伍。"]
        if errors:
            raise serializers.ValidationError(errors)
        team = services.team_create(
            actor=request.user,
            parent=form.validated_data["parent"],
            name=form.validated_data["name"],
            data=form.team_data(),
            backbone=form.validated_data.get("backbone"),
            **form.tier_kwargs(),
        )
        return _team_response(request, team, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        team = self.get_object()
        form = TeamWriteSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        if "parent" in form.validated_data:
            raise serializers.ValidationError({"parent": ["上级不能在此修改，请在网页端「移动」。"]})
        team = services.team_update(
            actor=request.user,
            team=team,
            name=form.validated_data.get("name"),
            data=form.team_data(),
            backbone=form.validated_data.get("backbone"),
            **form.tier_kwargs(),
        )
        return _team_response(request, team)

    @extend_schema(summary="提交备案", parameters=[TEAM_ID], request=None, responses=TeamSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """队伍提交备案：草稿或被退回的登记表交给上级审核。"""
        team = services.team_submit(actor=request.user, team=self.get_object())
        return _team_response(request, team)

    @extend_schema(summary="准予备案", parameters=[TEAM_ID], request=None, responses=TeamSerializer)
    @action(detail=True, methods=["post"], url_path="file")
    def file(self, request, pk=None):
        """上级准予备案，队伍获得档案编号。须由队伍的上级办理。"""
        team = services.team_file(actor=request.user, team=self.get_object())
        return _team_response(request, team)

    @extend_schema(summary="退回备案", parameters=[TEAM_ID], request=TeamReturnSerializer, responses=TeamSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_filing(self, request, pk=None):
        """上级退回备案申请，并写明原因。"""
        team = self.get_object()
        form = TeamReturnSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        team = services.team_return(actor=request.user, team=team, reason=form.validated_data["reason"])
        return _team_response(request, team)
