"""/api/v1/certificates/: staff issue (once per set of facts), she asks for her own, the PDF downloads, revoke and
reissue, and the batch runs as a job; the public verification page agrees."""

import io
import json
import zipfile

from django.test import Client
from django.urls import reverse

from jinguo.certificates.models import Certificate
from jinguo.core.models import AuditLog, Job


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(user, url, payload=None):
    return client_for(user).post(url, json.dumps(payload or {}), content_type="application/json")


def issue(user, t, **extra):
    return post(user, "/api/v1/certificates/", {"volunteer": t.volunteer.pk, "issuer": t.team.pk, **extra})


def test_staff_issue_once_for_the_same_facts(targets):
    t = targets
    response = issue(t.leader, t)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["total_hours"], body["issuer"]["id"], body["volunteer"]["id"]) == (
        "valid", "3.00", t.team.pk, t.volunteer.pk
    )  # fmt: skip
    assert body["verify_url"] == "http://testserver" + reverse("certificate_verify", args=[body["short_code"]])
    again = issue(t.leader, t)
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    assert Certificate.objects.filter(volunteer=t.volunteer).count() == 2  # the fixture's and this one


def test_outsiders_and_read_only_staff_cannot_issue(targets):
    t = targets
    before = Certificate.objects.count()
    assert issue(t.outsider_admin, t).json()["code"] == "invalid"
    assert issue(t.district_staff, t).status_code == 403
    # A pending volunteer (R25): no certificate until she confirms herself.
    response = post(t.leader, "/api/v1/certificates/", {"volunteer": t.pending_volunteer.pk, "issuer": t.team.pk})
    assert (response.status_code, response.json()["code"]) == (400, "not_confirmed")
    assert Certificate.objects.count() == before


def test_she_asks_for_her_own_and_downloads_the_pdf(targets):
    t = targets
    response = post(t.volunteer.user, "/api/v1/certificates/", {"issuer": t.team.pk})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    download = client_for(t.volunteer.user).get(f"/api/v1/certificates/{pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    assert "attachment" in download["Content-Disposition"]
    assert not AuditLog.objects.filter(action="certificate.downloaded").exists()  # her own: nothing to account for
    staff = client_for(t.leader).get(f"/api/v1/certificates/{pk}/download/")
    assert staff.content.startswith(b"%PDF-")
    assert AuditLog.objects.filter(action="certificate.downloaded", actor=t.leader).count() == 1
    assert client_for(t.outsider_admin).get(f"/api/v1/certificates/{pk}/download/").status_code == 404
    # She cannot ask an organiser she never served with.
    response = post(t.volunteer.user, "/api/v1/certificates/", {"issuer": t.team_b.pk})
    assert response.json()["code"] == "invalid"


def test_revoke_and_reissue(targets):
    t = targets
    pk = issue(t.leader, t).json()["id"]
    url = f"/api/v1/certificates/{pk}/"
    assert post(t.outsider_leader, url + "revoke/", {"reason": "越权"}).status_code == 404
    assert post(t.volunteer.user, url + "revoke/", {"reason": "不想要了"}).status_code == 403
    assert Certificate.objects.get(pk=pk).status == "valid"
    response = post(t.leader, url + "revoke/", {"reason": "信息有误"})
    assert (response.json()["status"], response.json()["revoke_reason"]) == ("revoked", "信息有误")
    page = client_for(None).get(reverse("certificate_verify", args=[Certificate.objects.get(pk=pk).short_code]))
    assert "已作废" in page.content.decode()
    response = post(t.leader, url + "reissue/")
    assert response.status_code == 201, response.content
    new = response.json()
    assert (new["status"], new["total_hours"]) == ("valid", "3.00")
    assert client_for(t.leader).get(url).json()["replaced_by"] == new["id"]


def test_the_batch_runs_as_a_job_with_a_zip(targets, django_capture_on_commit_callbacks):
    t = targets
    assert post(t.outsider_admin, "/api/v1/certificates/batch/", {"node": t.team.pk}).json()["code"] == "invalid"
    with django_capture_on_commit_callbacks(execute=True):  # the job starts once the request's transaction commits
        response = post(t.leader, "/api/v1/certificates/batch/", {"node": t.team.pk})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["detail_url"]) == ("queued", f"/jobs/{body['job']}/")
    job = Job.objects.get(pk=body["job"])
    assert (job.user, job.status) == (t.leader, "succeeded")
    with zipfile.ZipFile(io.BytesIO(open(job.result_path, "rb").read())) as archive:
        pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    # The team's members with counted hours: t.volunteer (its activity) and t.server (issue 4's home visit and
    # care visit, both organised by the team).
    assert sorted(name.split("-", 1)[1] for name in pdfs) == sorted([f"{t.volunteer.name}.pdf", f"{t.server.name}.pdf"])
