"""Scope-coverage registry of the team import and team-statistics export pages (see tests/routes.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from jinguo.volunteers.tests.routes_imports import ready_import
from tests.routes import Route

OWN_FORM = "上传表单：每个管理员只能选择本人管辖的组织"
BLANK_TEMPLATE = "空白模板：对所有管理员相同，不含任何数据"
OWN_EXPORT = "导出确认页：每个工作人员只统计本人管辖范围内的队伍"


def team_job(t):
    return ready_import(t, "team_import")


def upload(t) -> dict:
    return {"parent": t.district.pk, "file": SimpleUploadedFile("越权上传.xlsx", b"PK\x03\x04" + b"\x00" * 64)}


def job_secrets(t) -> list[str]:
    job = team_job(t)
    return [job.title, job.input_name]


ROUTES = [
    Route(
        "orgs:team_import_start",
        methods=("GET", "POST"),
        data=upload,
        secrets=lambda t: [t.district.name, t.street.name, t.community.name, t.team.name, t.subteam.name],
        extra={"outsider_ok": OWN_FORM},
    ),
    Route("orgs:team_import_template", extra={"outsider_ok": BLANK_TEMPLATE}),
    Route(
        "orgs:team_import_commit",
        kwargs=lambda t: {"pk": team_job(t).pk},
        methods=("POST",),
        data=lambda t: {"only_valid": "1"},
        secrets=job_secrets,
    ),
    Route("orgs:team_import_cancel", kwargs=lambda t: {"pk": team_job(t).pk}, methods=("POST",), secrets=job_secrets),
    Route("orgs:team_import_problems", kwargs=lambda t: {"pk": team_job(t).pk}, secrets=job_secrets),
    Route("orgs:team_import_problems_xlsx", kwargs=lambda t: {"pk": team_job(t).pk}, secrets=job_secrets),
    Route(
        "orgs:team_export",
        methods=("GET", "POST"),
        # Our district as the region: an outsider's filter is refused and no job is made.
        data=lambda t: {"region": t.district.pk},
        secrets=lambda t: [t.team.name, t.subteam.name, t.team.team_number],
        extra={"outsider_ok": OWN_EXPORT},
    ),
]
