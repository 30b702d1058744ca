"""How the API is reached: session or `Bearer jg_…` token; the schema and the docs page; the import-job status."""

import json
import re

from django.test import Client
from django.utils import timezone

from jinguo.core import progress
from jinguo.core.models import ApiToken, AuditLog, Job


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


# ---- tokens ---------------------------------------------------------------------------------------------------


def test_token_is_made_on_the_tokens_page_shown_once_and_works(world):
    client = Client()
    client.force_login(world.district_admin)
    response = client.post("/account/tokens/", {"name": "区数据中心对接"})
    assert response.status_code == 200
    key = re.search(r"jg_[A-Za-z0-9_-]{40,}", response.content.decode()).group(0)
    token = ApiToken.objects.get(user=world.district_admin)
    assert token.name == "区数据中心对接"
    assert token.key_hash == ApiToken.hash_key(key)  # only the hash is kept
    # Shown once: the list afterwards has the prefix only.
    assert key not in client.get("/account/tokens/").content.decode()
    assert token.prefix in client.get("/account/tokens/").content.decode()

    response = Client().get("/api/v1/teams/", **bearer(key))
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["思明区巾帼服务队", "湖滨小队"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_token_has_the_same_scope_as_its_user(world):
    _token, key = ApiToken.issue(world.outsider_admin, "湖里区")
    response = Client().get(f"/api/v1/teams/{world.team.pk}/", **bearer(key))
    assert response.status_code == 404
    response = Client().get("/api/v1/teams/", **bearer(key))
    assert [row["name"] for row in response.json()["results"]] == ["湖里区巾帼服务队"]


def test_token_writes_need_no_csrf_and_go_through_services(world):
    _token, key = ApiToken.issue(world.leader, "队伍系统")
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/api/v1/teams/{world.team.pk}/submit/", **bearer(key))
    assert response.status_code == 200
    assert response.json()["filing_status"] == "submitted"
    assert AuditLog.objects.get(action="team.filing_submitted").actor == world.leader


def test_revoked_unknown_and_malformed_tokens_are_401(world):
    token, key = ApiToken.issue(world.district_admin, "旧系统")
    client = Client()
    client.force_login(world.district_admin)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    for header in (f"Bearer {key}", "Bearer jg_unknown", f"Bearer {key} extra"):
        response = Client().get("/api/v1/teams/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == "authentication_failed"


def test_token_of_a_deactivated_user_is_401(world):
    _token, key = ApiToken.issue(world.district_admin, "系统")
    world.district_admin.is_active = False
    world.district_admin.save(update_fields=["is_active"])
    response = Client().get("/api/v1/teams/", **bearer(key))
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌无效或已撤销。"


def test_someone_elses_token_cannot_be_revoked(world):
    token, key = ApiToken.issue(world.district_admin, "系统")
    client = Client()
    client.force_login(world.outsider_admin)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get("/api/v1/teams/", **bearer(key)).status_code == 200


def test_anonymous_is_401(world):
    response = Client().get("/api/v1/volunteers/")
    assert response.status_code == 401
    assert response.json() == {"detail": "身份认证信息未提供。", "code": "not_authenticated"}


# ---- session --------------------------------------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.leader)
    url = f"/api/v1/teams/{world.team.pk}/submit/"
    response = client.post(url)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/account/tokens/")  # a page with a form sets the cookie
    response = client.post(url, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 200


def test_the_api_answers_in_json_only(world):
    client = Client()
    client.force_login(world.district_admin)
    response = client.get("/api/v1/teams/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    response = client.get("/api/v1/")
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"nodes", "teams", "volunteers", "memberships", "import-jobs"} | {
        # the service-hour loop (issue 3)
        "activities", "shifts", "signups", "attendance", "declarations", "records", "correction-requests",
        "star-distribution", "certificates", "insurance-policies",
        # supply and demand, care pairings (issue 4)
        "needs", "menu-items", "assignments", "dispatch-rules", "deliveries", "closeouts", "evaluations",
        "complaints", "care-recipients", "care-pairings", "care-visits",
    }  # fmt: skip


def test_a_temporary_password_does_not_block_the_api(world):
    world.district_admin.must_change_password = True
    world.district_admin.save(update_fields=["must_change_password"])
    client = Client()
    client.force_login(world.district_admin)
    assert client.get("/api/v1/teams/").status_code == 200


# ---- schema and docs ------------------------------------------------------------------------------------------


def test_schema_is_served_to_logged_in_users(world):
    assert Client().get("/api/schema/").status_code == 401
    client = Client()
    client.force_login(world.nobody)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "巾帼志愿服务平台 API"
    paths = set(schema["paths"])
    assert {
        "/api/v1/nodes/",
        "/api/v1/teams/{id}/file/",
        "/api/v1/volunteers/{id}/reveal_id/",
        "/api/v1/memberships/apply/",
        "/api/v1/import-jobs/{id}/",
    } <= paths
    assert "/api/schema/" not in paths
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_docs_page_loads_everything_from_our_own_static_files(world):
    client = Client()
    client.force_login(world.nobody)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in sources
    assert "/static/css/api_docs.css" in sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    # No inline script or style: the Content-Security-Policy allows 'self' only.
    assert "<style" not in html
    assert not re.search(r"<script>(?!\s*</script>)", html)
    assert "style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# ---- import jobs ----------------------------------------------------------------------------------------------


def make_import(user, **fields) -> Job:
    defaults = {"kind": "volunteer_import", "title": "导入：名单", "status": Job.Status.RUNNING}
    return Job.objects.create(user=user, **{**defaults, **fields})


def test_import_jobs_are_the_callers_own_and_show_progress(world):
    job = make_import(world.district_admin, started_at=timezone.now())
    progress.set_progress("job", job.pk, done=150, total=600, stage="校验数据")
    make_import(world.outsider_admin)
    Job.objects.create(user=world.district_admin, kind="volunteer_export", title="导出")
    client = Client()
    client.force_login(world.district_admin)
    response = client.get("/api/v1/import-jobs/")
    assert [row["id"] for row in response.json()["results"]] == [job.pk]
    body = client.get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert body["status"] == "running"
    assert body["status_display"] == "处理中"
    assert body["progress"] == {"done": 150, "total": 600, "stage": "校验数据", "percent": 25}
    assert body["detail_url"] == f"/jobs/{job.pk}/"


def test_import_job_summary_has_figures_only(world):
    job = make_import(
        world.district_admin,
        status=Job.Status.READY,
        report={
            "total": 3,
            "valid": 2,
            "invalid": 1,
            "problems": [{"row": 3, "column": "证件号码", "value": "350203199001010021"}],
            "file": "名单.xlsx",
        },
    )
    client = Client()
    client.force_login(world.district_admin)
    body = client.get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert body["summary"] == {"total": 3, "valid": 2, "invalid": 1}
    assert body["progress"]["percent"] == 100
    assert "350203199001010021" not in json.dumps(body)


def test_someone_elses_import_job_is_404_even_for_her_superiors(world):
    job = make_import(world.district_admin)
    for user in (world.city_admin, world.outsider_admin, world.nobody):
        client = Client()
        client.force_login(user)
        assert client.get(f"/api/v1/import-jobs/{job.pk}/").status_code == 404
        assert client.get("/api/v1/import-jobs/").json()["results"] == []


def test_import_jobs_are_read_only(world):
    job = make_import(world.district_admin)
    client = Client()
    client.force_login(world.district_admin)
    assert client.post("/api/v1/import-jobs/", {}).status_code == 405
    assert client.delete(f"/api/v1/import-jobs/{job.pk}/").status_code == 405
    assert Job.objects.filter(pk=job.pk).exists()


def test_schema_builds_without_warnings(tmp_path):
    """Every component and enum has one clear name: a collision would make clients' generated code unstable (and
    fails `check --deploy` in CI)."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/needs/" in (tmp_path / "schema.yaml").read_text()
