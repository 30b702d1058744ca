"""Scope-coverage targets: delivery and evaluation (part C of issue 4), all inside 思明区, built through the
services as they happen in life (posting and review: part A; dispatch and acceptance: part B).

    delivered_need    卜秘送's need at t.community, dispatched to world.team and accepted by its leader; t.server
                      served it five days ago (checked in and out herself: t.delivery, its record), the leader
                      closed it out with one photo (t.closeout_photo), 卜秘送 rated it with her phone
                      (t.evaluation, pending review) and the district admin recorded a complaint for her (t.complaint)
    serving_need      车秘访's need, accepted by world.team; t.server is checked in right now (t.open_delivery)
"""

import datetime
import io
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from jinguo.demands import services_delivery, services_dispatch, services_feedback, services_needs


def _need(t, name: str, phone: str, address: str):
    data = {
        "category": "care", "description": f"{name}行动不便，需要上门打扫和陪伴", "address": address,
        "preferred_time": "工作日上午", "urgency": "normal", "requester_name": name, "requester_phone": phone,
    }
    need = services_needs.need_create(actor=t.district_admin, node=t.community, proxy=True, data=data)
    need = services_needs.need_review(actor=t.district_admin, need=need, accept=True)
    assignment = services_dispatch.need_dispatch(actor=t.district_admin, need=need, team=t.team.node)
    services_dispatch.assignment_accept(actor=t.leader, assignment=assignment)
    need.refresh_from_db()
    return need


def _jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (210, 90, 140)).save(buffer, "JPEG")
    return SimpleUploadedFile("现场.jpg", buffer.getvalue(), content_type="image/jpeg")


def build(t) -> None:
    """Add this part's objects inside 思明区 to `t`."""
    start = (timezone.now() - datetime.timedelta(days=5)).replace(hour=1, minute=0, second=0, microsecond=0)
    need = _need(t, "卜秘送", "13912340201", "湖滨东路送达小区3号")
    her = {"actor": t.server.user, "need": need, "volunteer": t.server}
    with mock.patch("django.utils.timezone.now", return_value=start):
        services_delivery.delivery_check_in(**her)
    with mock.patch("django.utils.timezone.now", return_value=start + datetime.timedelta(hours=2)):
        result = services_delivery.delivery_check_out(**her)
    t.delivery = result.delivery
    closeout = services_delivery.closeout_submit(actor=t.leader, need=need, summary="卜秘送家打扫完毕", photos=[_jpeg()])
    t.closeout_photo = closeout.photos.get()
    need.refresh_from_db()
    t.evaluation = services_feedback.evaluation_submit(
        actor=None, need=need, rating=2, comment="甄秘密来晚了", phone=need.requester_phone
    )
    t.complaint = services_feedback.complaint_create(
        actor=t.district_admin, need=need, text="卜秘送反映服务时间太短", complainant="卜秘送的女儿", by_requester=False
    )
    need.refresh_from_db()
    t.delivered_need = need

    t.serving_need = _need(t, "车秘访", "13912340202", "湖滨西路来访小区4号")
    t.open_delivery = services_delivery.delivery_check_in(
        actor=t.server.user, need=t.serving_need, volunteer=t.server
    ).delivery


def delivery_secrets(t) -> list[str]:
    """Never shown to an outsider: the requesters' names, phones, addresses, descriptions, tracking codes, and
    what was said about the service."""
    found = []
    for need in (t.delivered_need, t.serving_need):
        found += [need.requester_name, need.requester_phone, need.requester_phone_masked, need.address,
                  need.description, need.tracking_code]
    return [*found, t.evaluation.comment, t.complaint.text, t.complaint.complainant, "卜秘送家打扫完毕"]


def rate_secrets(t) -> list[str]:
    """The same, less the tracking code the rating page's own request carries (it is echoed in its form)."""
    return [s for s in delivery_secrets(t) if s != t.delivered_need.tracking_code]
