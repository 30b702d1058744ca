"""REST API of dispatch (派单 / 接单).

    /api/v1/assignments/            staff: the assignments of needs in their subtree; a team's leader: her team's;
                                    a volunteer: her own. accept, decline (reason), withdraw (staff, reason),
                                    confirm-offer / reject-offer (staff, on a provider's 申请接单)
    /api/v1/dispatch/{need}/candidates/   staff: the recommender's ranked teams or volunteers, with reasons
    /api/v1/dispatch/{need}/dispatch/     staff: dispatch to a team or a volunteer
    /api/v1/dispatch/{need}/take/         a volunteer, or a leader for her team: 抢单 on a claimable need (one
                                          winner), 申请接单 on another open need of her area (staff confirm)
    /api/v1/dispatch-rules/         automatic dispatch rules of the caller's subtree

Reads go through `.restrict(user, action)`; every write calls a service of `services_dispatch`, which checks scope
and raises DomainError (400) or PermissionDeniedError (403). Objects named in a body are looked up among those the
caller can see: others are "invalid" (400), never "forbidden".
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jinguo.core.api import ScopedViewSetMixin
from jinguo.core.scope import get_scope, path_q
from jinguo.orgs.choices import NodeKind
from jinguo.orgs.models import Node
from jinguo.volunteers.api import NodeRefSerializer, ReasonSerializer
from jinguo.volunteers.models import Volunteer

from . import services_dispatch as services
from .choices import SERVICE_CATEGORIES, Urgency
from .models import Assignment, DispatchRule, Need

ASSIGNMENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="派单 id")
NEED_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="需求 id")


class NeedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="需求编号")
    category = serializers.CharField()
    community = serializers.CharField(source="node.name", help_text="所在社区（村）")
    public_summary = serializers.CharField(help_text="公开摘要（不含姓名、电话、门牌号）")
    status = serializers.CharField()


class ProviderRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AssignmentSerializer(serializers.ModelSerializer):
    need = NeedRefSerializer(read_only=True)
    team = NodeRefSerializer(read_only=True, allow_null=True)
    volunteer = ProviderRefSerializer(read_only=True, allow_null=True)
    mode_display = serializers.CharField(source="get_mode_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id", "need", "assignee_kind", "team", "volunteer", "mode", "mode_display", "status", "status_display",
            "reason", "score", "rank_reasons", "offered_at", "respond_by", "responded_at", "completed_at",
        ]  # fmt: skip
        read_only_fields = fields


class AssignmentViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """派单：工作人员派出、撤回，队长或志愿者本人接单、拒单。"""

    serializer_class = AssignmentSerializer
    filterset_fields = ["status", "mode", "assignee_kind"]

    def base_queryset(self):
        return Assignment.objects.select_related("need__node", "team", "volunteer").order_by("-offered_at", "-id")

    def _respond(self, assignment: Assignment) -> Response:
        assignment = self.base_queryset().get(pk=assignment.pk)
        return Response(AssignmentSerializer(assignment, context=self.get_serializer_context()).data)

    def _reason(self, request) -> str:
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return form.validated_data["reason"]

    @extend_schema(summary="接单", parameters=[ASSIGNMENT_ID], request=None, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """被派单队伍的队长或志愿者本人接单；重复提交不会重复接单。"""
        return self._respond(services.assignment_accept(actor=request.user, assignment=self.get_object()))

    @extend_schema(summary="拒单", parameters=[ASSIGNMENT_ID], request=ReasonSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """拒单须写明原因；需求回到待派单。"""
        assignment = self.get_object()
        reason = self._reason(request)
        return self._respond(services.assignment_decline(actor=request.user, assignment=assignment, reason=reason))

    @extend_schema(summary="撤回派单", parameters=[ASSIGNMENT_ID], request=ReasonSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """服务开始前，派单单位撤回（须写明原因）。"""
        assignment = self.get_object()
        reason = self._reason(request)
        return self._respond(services.assignment_withdraw(actor=request.user, assignment=assignment, reason=reason))

    @extend_schema(summary="确认接单申请", parameters=[ASSIGNMENT_ID], request=None, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-offer")
    def confirm_offer(self, request, pk=None):
        """工作人员确认志愿者或队伍的接单申请。"""
        return self._respond(services.assignment_confirm_offer(actor=request.user, assignment=self.get_object()))

    @extend_schema(
        summary="婉拒接单申请", parameters=[ASSIGNMENT_ID], request=ReasonSerializer, responses=AssignmentSerializer
    )
    @action(detail=True, methods=["post"], url_path="reject-offer")
    def reject_offer(self, request, pk=None):
        """工作人员婉拒接单申请（原因告知申请人），需求回到待派单。"""
        assignment = self.get_object()
        reason = self._reason(request)
        return self._respond(
            services.assignment_reject_offer(actor=request.user, assignment=assignment, reason=reason)
        )


# ---- dispatching a need ---------------------------------------------------------------------------------------------


class CandidateSerializer(serializers.Serializer):
    team = NodeRefSerializer(allow_null=True)
    volunteer = ProviderRefSerializer(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField(), help_text="排名理由")


class DispatchWriteSerializer(serializers.Serializer):
    team = serializers.IntegerField(required=False, help_text="队伍 id（与 volunteer 二选一）")
    volunteer = serializers.IntegerField(required=False, help_text="志愿者 id")
    score = serializers.FloatField(required=False, allow_null=True, help_text="推荐得分（来自 candidates）")
    reasons = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=12)


class TakeSerializer(serializers.Serializer):
    team = serializers.IntegerField(required=False, help_text="代表本人担任队长的队伍接单时填写")


def _needs_of_her_area(user):
    """The needs of the area whose open needs she is shown (part A's rule), whatever their state now: the one who
    comes second to a claim is told it is taken, not that it does not exist."""
    from .selectors import service_area_paths

    paths = service_area_paths(user) if user.is_authenticated else []
    if paths is None:
        return Need.objects.all()
    q = path_q("node__path", paths)
    return Need.objects.filter(q) if q is not None else Need.objects.none()


class NeedDispatchViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """一条需求的派单：推荐对象、派单，以及志愿者或队伍抢单/申请接单。"""

    serializer_class = AssignmentSerializer
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self):
        return Need.objects.select_related("node")

    def _staff_need(self) -> Need:
        need = self.get_object()
        if not get_scope(self.request.user).covers(need.node.path, "view"):
            raise Http404
        return need

    @extend_schema(
        summary="推荐接单对象",
        parameters=[NEED_ID, OpenApiParameter("kind", str, enum=["team", "volunteer"], description="对象类型")],
        responses=CandidateSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def candidates(self, request, pk=None):
        """按服务类别与技能、距离、可服务时间、在办数量、评分与经验排序，每个对象附排名理由。"""
        need = self._staff_need()
        kind = request.query_params.get("kind", "team")
        if kind not in ("team", "volunteer"):
            raise serializers.ValidationError({"kind": ["只能是 team 或 volunteer。"]})
        if not services.can_dispatch(request.user, need):
            return Response([])
        from .recommend import rank_candidates

        ranked = rank_candidates(need, kind=kind, user=request.user, limit=20)
        rows = [{"team": c.team, "volunteer": c.volunteer, "score": c.score, "reasons": c.reasons} for c in ranked]
        return Response(CandidateSerializer(rows, many=True).data)

    @extend_schema(summary="派单", parameters=[NEED_ID], request=DispatchWriteSerializer,
                   responses={201: AssignmentSerializer})  # fmt: skip
    @action(detail=True, methods=["post"], url_path="dispatch")
    def assign(self, request, pk=None):
        """把待派单的需求派给一支队伍或一名志愿者（须在本人管辖范围内）。"""
        need = self._staff_need()
        form = DispatchWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        team = volunteer = None
        if data.get("team") is not None:
            team = Node.objects.restrict(request.user, "view").filter(pk=data["team"], kind=NodeKind.TEAM).first()
            if team is None:
                raise serializers.ValidationError({"team": ["队伍不存在或不在您的管理范围内。"]})
        if data.get("volunteer") is not None:
            volunteer = Volunteer.objects.restrict(request.user, "view").filter(pk=data["volunteer"]).first()
            if volunteer is None:
                raise serializers.ValidationError({"volunteer": ["志愿者不存在或不在您的管理范围内。"]})
        assignment = services.need_dispatch(actor=request.user, need=need, team=team, volunteer=volunteer,
                                            score=data.get("score"), reasons=data.get("reasons"))  # fmt: skip
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="抢单 / 申请接单", parameters=[NEED_ID], request=TakeSerializer,
                   responses={201: AssignmentSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """开放认领的需求：先到先得，只有一人（一队）成功，其余提示“已被其他志愿者/队伍接单”；其他待派单需求：提交申请，
        由工作人员确认。只能承接本人所在区域的需求。"""
        need = get_object_or_404(_needs_of_her_area(request.user), pk=pk)
        form = TakeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        team = None
        if form.validated_data.get("team") is not None:
            team = Node.objects.filter(pk=form.validated_data["team"], kind=NodeKind.TEAM).first()
            if team is None or not services.leads_team(request.user, team):
                raise serializers.ValidationError({"team": ["只能代表您担任队长的队伍接单。"]})
        assignment = services.need_offer(actor=request.user, need=need, team=team)
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


# ---- rules ----------------------------------------------------------------------------------------------------------


class DispatchRuleSerializer(serializers.ModelSerializer):
    node = NodeRefSerializer(read_only=True)
    team = NodeRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = DispatchRule
        fields = ["id", "node", "category", "urgency", "team", "is_active", "created_at"]
        read_only_fields = fields


class DispatchRuleWriteSerializer(serializers.Serializer):
    node = serializers.IntegerField(required=False, help_text="适用范围（妇联组织 id）")
    category = serializers.ChoiceField(choices=[("", "全部"), *SERVICE_CATEGORIES], required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=[("", "全部"), *Urgency.choices], required=False, allow_blank=True)
    team = serializers.IntegerField(required=False, allow_null=True, help_text="派给队伍 id；留空派给推荐第一")
    is_active = serializers.BooleanField(required=False)

    def rule_data(self, user) -> dict:
        data = dict(self.validated_data)
        visible = Node.objects.restrict(user, "view")
        if "node" in data:
            data["node"] = visible.filter(pk=data["node"]).first()
            if data["node"] is None:
                raise serializers.ValidationError({"node": ["组织不存在或不在您的管理范围内。"]})
        if data.get("team") is not None:
            data["team"] = visible.filter(pk=data["team"], kind=NodeKind.TEAM).first()
            if data["team"] is None:
                raise serializers.ValidationError({"team": ["队伍不存在或不在您的管理范围内。"]})
        return data


class DispatchRuleViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """自动派单规则：需求审核通过时按最具体的一条启用规则自动派单。"""

    serializer_class = DispatchRuleSerializer
    filterset_fields = ["is_active", "category", "urgency"]

    def base_queryset(self):
        return DispatchRule.objects.select_related("node", "team").order_by("node__path", "id")

    def _respond(self, rule, code=status.HTTP_200_OK) -> Response:
        return Response(DispatchRuleSerializer(self.base_queryset().get(pk=rule.pk)).data, status=code)

    @extend_schema(request=DispatchRuleWriteSerializer, responses={201: DispatchRuleSerializer})
    def create(self, request):
        form = DispatchRuleWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.rule_data(request.user)
        if data.get("node") is None:
            raise serializers.ValidationError({"node": ["请选择规则适用的妇联组织。"]})
        return self._respond(services.rule_create(actor=request.user, data=data), status.HTTP_201_CREATED)

    @extend_schema(request=DispatchRuleWriteSerializer, responses=DispatchRuleSerializer)
    def partial_update(self, request, pk=None):
        rule = self.get_object()
        form = DispatchRuleWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        return self._respond(services.rule_update(actor=request.user, rule=rule, data=form.rule_data(request.user)))


def register(router) -> None:
    """Register this part's viewsets on the /api/v1/ router."""
    router.register("assignments", AssignmentViewSet, basename="assignment")
    router.register("dispatch", NeedDispatchViewSet, basename="need-dispatch")
    router.register("dispatch-rules", DispatchRuleViewSet, basename="dispatch-rule")

