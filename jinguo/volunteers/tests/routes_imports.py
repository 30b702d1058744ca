"""Scope-coverage registry of the volunteer import and roster-export pages (see tests/routes.py).

Import jobs belong to whoever uploaded the file: everyone else gets 404, whatever their role. The upload form,
the blank template and the export confirmation page are each staff member's own (her teams, her scope).
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from jinguo.core import jobs
from jinguo.core.models import Job
from jinguo.orgs.imports.base import ImportReport, report_path
from tests.routes import Route

OWN_FORM = "上传表单：每个管理员只能选择本人管辖的队伍"
BLANK_TEMPLATE = "空白模板：对所有管理员相同，不含任何数据"
OWN_EXPORT = "导出确认页：每个工作人员只导出本人管辖范围内的志愿者"


def ready_import(t, kind: str = "volunteer_import") -> Job:
    """A previewed import of the district admin's, with its full report on disk (made once per test)."""
    attr = f"_ready_{kind}"
    if not hasattr(t, attr):
        job = Job.objects.create(
            kind=kind,
            title="导入：思明区名单（预览）",
            user=t.district_admin,
            status=Job.Status.READY,
            input_name="思明区名单（预览）.xlsx",
            params={"node_path": t.team.node.path, "team_id": t.team.node.pk, "parent_id": t.district.pk},
        )
        report = ImportReport(
            rows=2,
            valid_rows=[2],
            errors=[(3, "手机号", f"手机号「{t.volunteer.phone[:5]}」格式不正确（{t.volunteer.name}）")],
            file_name=job.input_name,
        )
        jobs.job_dir(job)
        report.save(report_path(job))
        job.report = report.summary()
        job.save(update_fields=["report"])
        setattr(t, attr, job)
    return getattr(t, attr)


def upload(t) -> dict:
    content = b"PK\x03\x04" + b"\x00" * 64
    return {"team": t.team.node.pk, "file": SimpleUploadedFile("越权上传.xlsx", content)}


def job_secrets(t) -> list[str]:
    job = ready_import(t)
    return [job.title, job.input_name, t.import_job.title, t.import_job.input_name]


ROUTES = [
    Route(
        "volunteers:import_start",
        methods=("GET", "POST"),
        data=upload,
        secrets=lambda t: [t.team.name, t.subteam.name, t.import_job.input_name],
        extra={"outsider_ok": OWN_FORM},
    ),
    Route("volunteers:import_template", extra={"outsider_ok": BLANK_TEMPLATE}),
    Route(
        "volunteers:import_commit",
        kwargs=lambda t: {"pk": t.import_job.pk},
        methods=("POST",),
        data=lambda t: {"only_valid": "1"},
        secrets=job_secrets,
    ),
    Route(
        "volunteers:import_cancel",
        kwargs=lambda t: {"pk": t.import_job.pk},
        methods=("POST",),
        secrets=job_secrets,
    ),
    Route("volunteers:import_problems", kwargs=lambda t: {"pk": ready_import(t).pk}, secrets=job_secrets),
    Route("volunteers:import_problems_xlsx", kwargs=lambda t: {"pk": ready_import(t).pk}, secrets=job_secrets),
    Route(
        "volunteers:roster_export",
        methods=("GET", "POST"),
        # Our team in the filters, the full numbers asked for: an outsider is refused and no job is made.
        data=lambda t: {"confirm": "1", "team": t.team.node.pk, "full": "1"},
        secrets=lambda t: [t.team.name, t.subteam.name],
        extra={"outsider_ok": OWN_EXPORT},
    ),
]
