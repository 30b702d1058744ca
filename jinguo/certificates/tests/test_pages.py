"""The certificate pages: staff list, issue and revoke; downloads (audited for staff); her own page on a phone;
the public verification page (masked, valid or revoked, nothing for a wrong code); the batch job with its zip."""

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from jinguo.certificates import services
from jinguo.certificates.models import Certificate, CertificateStatus
from jinguo.core import progress
from jinguo.core.models import AuditLog, Job

from .pdftext import text_of

OUTSIDERS = ("outsider_admin", "outsider_leader", "nobody")


@pytest.fixture
def certificate(world, served):
    volunteer, _records = served
    return services.certificate_issue(actor=world.leader, volunteer=volunteer, issuer=world.team.node)


def logged_in(client, user):
    client.force_login(user)
    return client


# ---- staff ----------------------------------------------------------------------------------------------------


def test_the_list_shows_certificates_in_scope_only(client, world, certificate):
    page = logged_in(client, world.district_admin).get(reverse("certificates:list")).content.decode()
    assert certificate.number in page
    assert "甄证明" in page
    for who in OUTSIDERS[:2]:
        client.force_login(getattr(world, who))
        page = client.get(reverse("certificates:list")).content.decode()
        assert certificate.number not in page
        assert "甄证明" not in page
        assert "还没有出具过志愿服务记录证明" in page
    client.force_login(world.nobody)
    assert client.get(reverse("certificates:list")).status_code == 404


def test_the_list_filters(client, world, certificate):
    client = logged_in(client, world.district_admin)
    url = reverse("certificates:list")
    assert certificate.number in client.get(url, {"q": certificate.number}).content.decode()
    assert certificate.number in client.get(url, {"q": "甄证明"}).content.decode()
    assert certificate.number in client.get(url, {"q": certificate.short_code.lower()}).content.decode()
    page = client.get(url, {"status": "revoked"}).content.decode()
    assert certificate.number not in page
    assert "没有符合条件的证明" in page


def test_staff_issue_from_the_page(client, world, served):
    volunteer, _records = served
    client = logged_in(client, world.leader)
    response = client.post(reverse("certificates:issue"), {"volunteer": volunteer.number, "issuer": world.team.node.pk})
    certificate = Certificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:detail", args=[certificate.pk])
    page = client.get(response["Location"]).content.decode()
    assert certificate.number in page
    assert volunteer.id_number_masked in page
    assert volunteer.decrypt_id_number() not in page
    assert "代录" in page


def test_the_issue_form_keeps_input_and_shows_the_refusal(client, world, make_volunteer, add_record):
    pending = make_volunteer(team=world.team.node, confirm=False, name="蔺未确认")
    add_record(pending, world.team.node, 2, method="roster", actor=world.leader)
    client = logged_in(client, world.leader)
    response = client.post(
        reverse("certificates:issue"),
        {"volunteer": pending.number, "issuer": world.team.node.pk, "period_start": "2026-01-01"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "蔺未确认尚未本人确认登记信息，不能出具志愿服务记录证明。" in page
    assert f'value="{pending.number}"' in page
    assert 'value="2026-01-01"' in page
    assert Certificate.objects.count() == 0


def test_outsiders_cannot_issue_for_our_team_or_find_our_volunteer(client, world, make_volunteer, add_record):
    ours = make_volunteer(team=world.team.node, name="甄本区")
    add_record(ours, world.team.node, 2)
    client = logged_in(client, world.outsider_admin)
    response = client.post(reverse("certificates:issue"), {"volunteer": ours.number, "issuer": world.team.node.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "在您的管理范围内没有找到该志愿者" in page
    assert "甄本区" not in page
    assert "选择一个有效的选项" in page  # our team is not among the issuers she may pick
    for name in ("甄本区", ours.number):  # by name, by number: not found either way
        response = client.post(reverse("certificates:issue"), {"volunteer": name, "issuer": world.other_district.pk})
        assert "在您的管理范围内没有找到该志愿者" in response.content.decode()
    assert Certificate.objects.count() == 0


def test_detail_revoke_and_reissue(client, world, certificate):
    client = logged_in(client, world.district_admin)
    detail = reverse("certificates:detail", args=[certificate.pk])
    assert "作废证明" in client.get(detail).content.decode()
    response = client.post(reverse("certificates:revoke", args=[certificate.pk]), {"reason": "出具单位有误"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    page = client.get(detail).content.decode()
    assert "本证明已于" in page
    assert "出具单位有误" in page
    assert "重新出具" in page
    response = client.post(reverse("certificates:reissue", args=[certificate.pk]))
    certificate.refresh_from_db()
    assert response["Location"] == reverse("certificates:detail", args=[certificate.replaced_by_id])


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_and_change_nothing(client, world, certificate, who):
    client = logged_in(client, getattr(world, who))
    for name in ("certificates:detail", "certificates:download"):
        assert client.get(reverse(name, args=[certificate.pk])).status_code == 404
    assert client.post(reverse("certificates:revoke", args=[certificate.pk]), {"reason": "越权"}).status_code == 404
    assert client.post(reverse("certificates:reissue", args=[certificate.pk])).status_code == 404
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    assert not AuditLog.objects.filter(action__in=["certificate.downloaded", "certificate.revoked"]).exists()


def test_read_only_staff_see_but_cannot_revoke(client, world, certificate):
    client = logged_in(client, world.district_staff)
    page = client.get(reverse("certificates:detail", args=[certificate.pk])).content.decode()
    assert certificate.number in page
    assert "作废证明" not in page
    assert client.post(reverse("certificates:revoke", args=[certificate.pk]), {"reason": "只读"}).status_code == 404
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_downloads_by_staff_are_audited_hers_are_not(client, world, served, certificate):
    volunteer, _records = served
    response = logged_in(client, world.district_admin).get(reverse("certificates:download", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "甄证明" in text_of(response.content)
    entry = AuditLog.objects.get(action="certificate.downloaded")
    assert (entry.actor, entry.node_path) == (world.district_admin, world.team.node.path)

    client.force_login(volunteer.user)
    response = client.get(reverse("certificates:download", args=[certificate.pk]))
    assert response.status_code == 200
    assert AuditLog.objects.filter(action="certificate.downloaded").count() == 1


# ---- her own page -------------------------------------------------------------------------------------------


def test_she_issues_and_downloads_her_own_on_her_phone(client, world, served):
    volunteer, _records = served
    client = logged_in(client, volunteer.user)
    page = client.get(reverse("certificates:mine")).content.decode()
    assert "jg-mobile" in page
    assert "思明区巾帼服务队（6 小时）" in page
    assert "湖里区巾帼服务队（4 小时）" in page
    assert "还没有出具过证明" in page
    response = client.post(reverse("certificates:mine"), {"issuer": world.team.node.pk, "year": ""})
    certificate = Certificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:mine") + f"#c{certificate.pk}"
    assert certificate.snapshot["self_service"] is True
    page = client.get(reverse("certificates:mine")).content.decode()
    assert certificate.number in page
    assert reverse("certificates:download", args=[certificate.pk]) in page
    # a second click gives the same certificate, not a new number
    client.post(reverse("certificates:mine"), {"issuer": world.team.node.pk, "year": ""})
    assert Certificate.objects.count() == 1


def test_she_cannot_pick_an_organiser_she_did_not_serve_with(client, world, served):
    volunteer, _records = served
    client = logged_in(client, volunteer.user)
    response = client.post(reverse("certificates:mine"), {"issuer": world.district.pk, "year": ""})
    assert response.status_code == 200
    assert Certificate.objects.count() == 0


def test_a_pending_volunteer_sees_why_she_cannot_have_one(client, world, make_volunteer, add_record):
    from jinguo.volunteers import services as volunteer_services

    pending = make_volunteer(team=world.team.node, confirm=False, name="蔺未确认")
    add_record(pending, world.team.node, 2, method="roster", actor=world.leader)
    user = volunteer_services.volunteer_confirm(
        volunteer=pending, phone=pending.phone, password="Passw0rd!2026", consents=["personal", "sensitive"]
    ).user
    # confirmed now: her held record is counted (R25) and she may ask
    client = logged_in(client, user)
    page = client.get(reverse("certificates:mine")).content.decode()
    assert "思明区巾帼服务队（2 小时）" in page


# ---- public verification ------------------------------------------------------------------------------------


def test_the_verification_page_shows_masked_facts_of_a_valid_certificate(client, world, served, certificate):
    volunteer, _records = served
    response = client.get(reverse("certificate_verify", args=[certificate.short_code]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "有效" in page
    assert "甄*明" in page
    assert volunteer.number[:4] + "****" + volunteer.number[-4:] in page
    assert certificate.number in page
    assert "思明区巾帼服务队" in page
    assert "8 小时" in page
    assert "4 条" in page
    for secret in (
        volunteer.name,
        volunteer.number,
        volunteer.id_number_masked,
        volunteer.decrypt_id_number(),
        volunteer.phone,
        volunteer.phone_masked,
    ):
        assert secret not in page
    # typed from paper: lower case, with the hyphen
    code = certificate.short_code
    response = client.get(reverse("certificate_verify_start"), {"code": f"{code[:4].lower()}-{code[4:]}"})
    assert response["Location"] == reverse("certificate_verify", args=[code])


def test_the_verification_page_shows_a_revoked_certificate_and_its_replacement(client, world, served, certificate):
    services.certificate_revoke(actor=world.leader, certificate=certificate, reason="甄证明本人要求更正")
    replacement = services.certificate_reissue(actor=world.leader, certificate=certificate)
    page = client.get(reverse("certificate_verify", args=[certificate.short_code])).content.decode()
    assert "已作废" in page
    assert replacement.number in page
    assert "甄证明本人要求更正" not in page  # a reason typed by hand is not published


def test_a_wrong_code_reveals_nothing(client, world, certificate):
    response = client.get(reverse("certificate_verify", args=["ZZZZ9999"]))
    page = response.content.decode()
    assert response.status_code == 404
    assert "未找到该证明" in page
    assert "ZZZZ9999" not in page
    assert certificate.number not in page


# ---- batch ----------------------------------------------------------------------------------------------------


def test_a_batch_makes_a_zip_with_one_pdf_per_eligible_volunteer(
    client, world, make_volunteer, add_record, served, django_capture_on_commit_callbacks
):
    volunteer, _records = served
    others = [make_volunteer(team=world.team.node, name=name) for name in ("甄批一", "甄批二")]
    for offset, person in enumerate(others):
        add_record(person, world.subteam.node, 2 + offset)
    pending = make_volunteer(team=world.team.node, confirm=False, name="蔺未确认")
    add_record(pending, world.team.node, 2, method="roster", actor=world.leader)  # held: not eligible (R25)
    services.issuer_profile_save(
        actor=world.district_admin, node=world.district, person_in_charge="陈主席", contact_phone="05922345678"
    )
    client = logged_in(client, world.district_admin)
    assert client.get(reverse("certificates:batch")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certificates:batch"), {"node": world.district.pk, "who": "all"})
    job = Job.objects.get(kind="certificate_batch")
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.report["issued"] == 3
    assert job.report["reused"] == 0
    assert job.report["skipped_count"] == 0
    assert progress.get_progress("job", job.pk) == {"done": 3, "total": 3, "stage": "已全部完成"}

    with zipfile.ZipFile(Path(job.result_path)) as archive:
        names = archive.namelist()
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert len(pdfs) == 3
        assert "证明清单.csv" in names
        certificates = Certificate.objects.filter(issuer=world.district).order_by("pk")
        assert sorted(pdfs) == sorted(f"{c.number}-{c.volunteer.name}.pdf" for c in certificates)
        text = text_of(archive.read(f"{certificates[0].number}-{certificates[0].volunteer.name}.pdf"))
        assert certificates[0].volunteer.name in text
        manifest = list(csv.reader(io.StringIO(archive.read("证明清单.csv").decode("utf-8-sig"))))
    assert manifest[0][:3] == ["证明编号", "姓名", "志愿者编号"]
    assert {row[1] for row in manifest[1:]} == {"甄证明", "甄批一", "甄批二"}
    assert all("********" in row[3] for row in manifest[1:])  # masked ID numbers only

    page = client.get(job.get_absolute_url()).content.decode()
    assert "新出具" in page
    assert job.result_name in page
    response = client.get(reverse("job_download", args=[job.pk]))
    assert response.status_code == 200
    assert AuditLog.objects.filter(action="export.downloaded", node_path=world.district.path).count() == 1
    assert AuditLog.objects.filter(action="certificate.issued").count() == 3
    assert AuditLog.objects.filter(action="certificate.batch_issued").count() == 1

    # a second batch for the same facts mints no new numbers
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certificates:batch"), {"node": world.district.pk, "who": "all"})
    second = Job.objects.filter(kind="certificate_batch").latest("created_at")
    assert (second.report["issued"], second.report["reused"]) == (0, 3)
    assert Certificate.objects.count() == 3
    assert volunteer.certificates.count() == 1


def test_a_batch_refuses_nodes_out_of_scope_and_empty_selections(client, world, served):
    client = logged_in(client, world.outsider_admin)
    response = client.post(reverse("certificates:batch"), {"node": world.district.pk, "who": "all"})
    assert response.status_code == 200
    assert not Job.objects.exists()
    client.force_login(world.leader)
    response = client.post(
        reverse("certificates:batch"), {"node": world.team.node.pk, "who": "all", "min_hours": "100"}
    )
    assert "没有可出具证明的志愿者" in response.content.decode()
    assert not Job.objects.exists()
