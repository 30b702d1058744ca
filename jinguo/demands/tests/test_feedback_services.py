"""Evaluation once per need (by the requester or by staff for her), its review, complaints to a conclusion, and the
provider figures they feed. Needs are posted, dispatched and accepted through parts A and B's services and served
through the delivery services (see test_delivery_services)."""

import pytest
from django.contrib.auth import get_user_model

from jinguo.core.errors import DomainError, PermissionDeniedError
from jinguo.core.models import AuditLog, Notification

from .. import services_delivery as delivery
from .. import services_feedback as feedback
from .. import stats
from ..choices import ComplaintStatus, EvaluationReview, NeedStatus
from ..models import Complaint, Evaluation, ProviderStats
from .test_delivery_services import _visit, accept, make_need


@pytest.fixture
def delivered(world, member):
    need = make_need(world)
    accept(need, team=world.team.node)
    _visit(need, member)
    delivery.closeout_submit(actor=world.leader, need=need, summary="服务完成")
    need.refresh_from_db()
    return need


# ---- evaluation -------------------------------------------------------------------------------------------------


def test_she_rates_with_her_phone_once(delivered, world):
    evaluation = feedback.evaluation_submit(
        actor=None, need=delivered, rating="5", comment="小姑娘很耐心", phone="138 1234 5678"
    )
    assert (evaluation.rating, evaluation.comment, evaluation.by_requester, evaluation.entered_by) == (
        5, "小姑娘很耐心", True, None
    )
    delivered.refresh_from_db()
    assert delivered.status == NeedStatus.EVALUATED
    assert delivered.closed_at is not None
    figures = ProviderStats.objects.get(team=world.team.node)
    assert (figures.rating_sum, figures.rating_count, figures.rating) == (5, 1, 5.0)
    assert stats.rebuild_provider_stats(fix=False) == []

    with pytest.raises(DomainError) as caught:
        feedback.evaluation_submit(actor=None, need=delivered, rating=1, phone="13812345678")
    assert caught.value.code == "already_evaluated"
    assert caught.value.message == "这项服务已经评价过了，每项服务只能评价一次。"
    assert Evaluation.objects.count() == 1
    assert ProviderStats.objects.get(team=world.team.node).rating_count == 1


def test_a_wrong_phone_cannot_rate(delivered):
    with pytest.raises(PermissionDeniedError):
        feedback.evaluation_submit(actor=None, need=delivered, rating=1, phone="13900000000")
    assert not Evaluation.objects.exists()


def test_she_rates_from_her_account(world, member):
    resident = get_user_model().objects.create_user(username="resident", password="Passw0rd!2026")
    need = make_need(world, requester_user=resident)
    accept(need, team=world.team.node)
    _visit(need, member)
    delivery.closeout_submit(actor=world.leader, need=need, summary="服务完成")
    assert Notification.objects.filter(user=resident, title="服务已完成，请评价").count() == 1
    evaluation = feedback.evaluation_submit(actor=resident, need=need, rating=4)
    assert (evaluation.by_requester, evaluation.entered_by) == (True, resident)


def test_staff_rate_for_her_and_outsiders_cannot(delivered, world):
    with pytest.raises(PermissionDeniedError):
        feedback.evaluation_submit(actor=world.outsider_admin, need=delivered, rating=5, by_requester=False)
    with pytest.raises(PermissionDeniedError):
        feedback.evaluation_submit(actor=world.leader, need=delivered, rating=5, by_requester=False)
    evaluation = feedback.evaluation_submit(
        actor=world.district_admin, need=delivered, rating=3, comment="电话回访，老人说还行", by_requester=False
    )
    assert (evaluation.by_requester, evaluation.entered_by) == (False, world.district_admin)
    assert AuditLog.objects.filter(action="evaluation.created", summary__contains="工作人员代为").count() == 1


@pytest.mark.parametrize("rating", [0, 6, "", "五", None])
def test_a_rating_outside_one_to_five_is_refused(delivered, rating):
    with pytest.raises(DomainError) as caught:
        feedback.evaluation_submit(actor=None, need=delivered, rating=rating, phone="13812345678")
    assert caught.value.message == "请选择 1 到 5 颗星。"
    assert not Evaluation.objects.exists()


def test_a_need_not_yet_delivered_cannot_be_rated(world, member):
    need = make_need(world)
    accept(need, team=world.team.node)
    with pytest.raises(DomainError) as caught:
        feedback.evaluation_submit(actor=None, need=need, rating=5, phone="13812345678")
    assert caught.value.code == "not_delivered"
    assert not Evaluation.objects.exists()


def test_the_tracking_code_and_phone_find_her_need(delivered):
    assert feedback.find_by_tracking(delivered.tracking_code.lower(), "+86 138-1234-5678") == delivered
    assert feedback.find_by_tracking(delivered.tracking_code, "13812345679") is None
    assert feedback.find_by_tracking("NOPE", "13812345678") is None


def test_federation_staff_review_an_evaluation(delivered, world):
    evaluation = feedback.evaluation_submit(actor=None, need=delivered, rating=1, phone="13812345678")
    with pytest.raises(PermissionDeniedError):
        feedback.evaluation_review(actor=world.outsider_admin, evaluation=evaluation, review="confirmed")
    with pytest.raises(PermissionDeniedError):
        feedback.evaluation_review(actor=world.leader, evaluation=evaluation, review="confirmed")
    with pytest.raises(DomainError) as caught:
        feedback.evaluation_review(actor=world.district_admin, evaluation=evaluation, review="queried")
    assert caught.value.message == "有疑问时请写明复核意见。"
    feedback.evaluation_review(actor=world.district_admin, evaluation=evaluation, review="queried", note="需电话核实")
    evaluation.refresh_from_db()
    assert (evaluation.review, evaluation.review_note, evaluation.reviewed_by) == (
        EvaluationReview.QUERIED, "需电话核实", world.district_admin
    )
    with pytest.raises(DomainError) as caught:
        feedback.evaluation_review(actor=world.district_admin, evaluation=evaluation, review="confirmed")
    assert caught.value.code == "reviewed"


# ---- complaints -------------------------------------------------------------------------------------------------


def test_a_complaint_is_recorded_handled_and_concluded(delivered, world):
    complaint = feedback.complaint_create(actor=None, need=delivered, text="志愿者迟到了一个小时", phone="13812345678")
    assert (complaint.status, complaint.complainant) == (ComplaintStatus.OPEN, "庞阿婆")
    with pytest.raises(PermissionDeniedError):
        feedback.complaint_handle(actor=world.outsider_admin, complaint=complaint)
    feedback.complaint_handle(actor=world.district_admin, complaint=complaint, note="已电话联系队长")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.handled_by) == (ComplaintStatus.HANDLING, world.district_admin)
    with pytest.raises(DomainError) as caught:
        feedback.complaint_conclude(actor=world.district_admin, complaint=complaint, conclusion="  ")
    assert caught.value.message == "请填写处理结果。"
    feedback.complaint_conclude(actor=world.district_admin, complaint=complaint, conclusion="已向老人致歉，队伍整改")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.conclusion) == (ComplaintStatus.CONCLUDED, "已向老人致歉，队伍整改")
    assert complaint.concluded_at is not None
    with pytest.raises(DomainError) as caught:
        feedback.complaint_conclude(actor=world.district_admin, complaint=complaint, conclusion="再结一次")
    assert caught.value.code == "concluded"
    actions = list(AuditLog.objects.filter(action__startswith="complaint.").values_list("action", flat=True))
    assert sorted(actions) == ["complaint.concluded", "complaint.created", "complaint.handling"]


def test_staff_record_a_complaint_for_her_and_outsiders_cannot(delivered, world):
    with pytest.raises(PermissionDeniedError):
        feedback.complaint_create(actor=world.outsider_admin, need=delivered, text="越权", complainant="某人",
                                  by_requester=False)
    with pytest.raises(PermissionDeniedError):
        feedback.complaint_create(actor=None, need=delivered, text="冒名", phone="13900000000")
    complaint = feedback.complaint_create(
        actor=world.district_admin, need=delivered, text="家属来电反映服务态度不好", complainant="庞阿婆的女儿",
        by_requester=False,
    )
    assert (complaint.complainant, complaint.entered_by) == ("庞阿婆的女儿", world.district_admin)
    assert Complaint.objects.count() == 1


def test_a_need_never_served_has_nothing_to_complain_about(world):
    need = make_need(world)
    with pytest.raises(DomainError) as caught:
        feedback.complaint_create(actor=None, need=need, text="没人来", phone="13812345678")
    assert caught.value.code == "not_served"


def test_provider_figures(delivered, world, member):
    feedback.evaluation_submit(actor=None, need=delivered, rating=4, phone="13812345678")
    feedback.complaint_create(actor=None, need=delivered, text="迟到", phone="13812345678")
    second = make_need(world)
    accept(second, team=world.team.node)
    figures = feedback.provider_figures(team=world.team.node)
    assert figures == {
        "name": "思明区巾帼服务队", "kind": "队伍", "done": 1, "in_hand": 1, "rating": 4.0, "rating_count": 1,
        "complaints": 1, "complaints_open": 1,
    }
    mine = feedback.provider_figures(volunteer=member)
    assert (mine["done"], mine["rating"], mine["complaints"]) == (0, None, 0)
