"""Scope-coverage registry of the care pages (demands:care_*). See tests/routes.py for the Route fields and
tests/test_scope_coverage.py for the `extra` keys. The targets are built in targets_care.py."""

import datetime

from django.utils import timezone

from tests.routes import Route

from .targets_care import care_secrets

OWN_SCOPE = "每个工作人员只看到本人管辖范围内的内容"
OWN_FORM = "表单只能选择本人管辖范围内的社区"
OWN_PAGE = "本人的页面：每个登录用户看到的都是自己的结对"


def recipient(t) -> dict:
    return {"pk": t.care_recipient.pk}


def pairing(t) -> dict:
    return {"pk": t.care_pairing.pk}


def member(t) -> dict:
    return {"pk": t.care_pairing.pk, "volunteer_pk": t.server.pk}


def recipient_data(t) -> dict:
    return {"node": t.community.pk, "name": "越权登记", "category": "other", "other_category": "越权",
            "phone": "13912349999", "address": "越权地址", "consent_by": "越权", "consent_relation": "本人"}


def pairing_data(t) -> dict:
    return {"organiser": t.team.pk, "kind": "one", "volunteer_numbers": t.applicant.number,
            "start_date": timezone.localdate().isoformat(), "frequency": "weekly"}


def visit_data(t) -> dict:
    day = timezone.localdate() - datetime.timedelta(days=3)
    return {"volunteers": [str(t.server.pk)], "day": day.isoformat(), "start": "09:00", "end": "10:00",
            "content": "越权走访", "idempotency_key": "outsider-visit"}


ROUTES = [
    Route("demands:care_recipient_list", secrets=care_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("demands:care_recipient_create", methods=("GET", "POST"), data=recipient_data, secrets=care_secrets,
          extra={"outsider_ok": OWN_FORM}),
    Route("demands:care_recipient_detail", recipient, secrets=care_secrets),
    Route("demands:care_recipient_edit", recipient, methods=("GET", "POST"), data=recipient_data,
          secrets=care_secrets, extra={"owner": "care_staff"}),
    Route("demands:care_pairing_create", recipient, methods=("GET", "POST"), data=pairing_data,
          secrets=care_secrets),
    Route("demands:care_pairing_list", secrets=care_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("demands:care_overdue", secrets=care_secrets, extra={"outsider_ok": OWN_SCOPE}),
    Route("demands:care_pairing_detail", pairing, secrets=care_secrets),
    Route("demands:care_pairing_end", pairing, methods=("POST",), data=lambda t: {"reason": "越权结束"},
          secrets=care_secrets),
    Route("demands:care_pairing_add_volunteer", pairing, methods=("POST",),
          data=lambda t: {"number": t.applicant.number, "make_lead": "on"}, secrets=care_secrets),
    Route("demands:care_pairing_remove_volunteer", member, methods=("POST",), data=lambda t: {"reason": "越权"},
          secrets=care_secrets),
    Route("demands:care_pairing_set_lead", member, methods=("POST",), secrets=care_secrets),
    Route("demands:care_mine", secrets=care_secrets, extra={"outsider_ok": OWN_PAGE}),
    Route("demands:care_visit_create", pairing, methods=("GET", "POST"), data=visit_data, secrets=care_secrets),
]
