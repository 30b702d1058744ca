"""The volunteer import's job phases, run by the task worker: they load the job and call the services."""

from jinguo.core import jobs
from jinguo.core.models import Job
from jinguo.orgs.imports.base import load_full_report, remove_input, store_result
from jinguo.orgs.models import Node

from . import services

KIND = "volunteer_import"
PREPARED = "prepared-rows.pickle"


def _team(job: Job) -> Node:
    return Node.objects.get(pk=job.params["team_id"])


@jobs.register(KIND, "validate")
def validate(job: Job, report) -> None:
    try:
        result = services.validate_file(
            job.input_path,
            actor=job.user,
            team=_team(job),
            progress=report,
            file_name=job.input_name,
            keep_to=jobs.job_dir(job) / PREPARED,
        )
    except Exception:
        remove_input(job)
        raise
    # The digest of the prepared rows lives in the database: the commit trusts the saved file only if it matches.
    job.params = {**job.params, "prepared_digest": result.prepared_digest}
    if result.valid_rows:
        store_result(job, result, status=Job.Status.READY)
    else:
        store_result(job, result, status=Job.Status.FAILED)
        job.error = "文件中没有可导入的有效行，未导入任何数据。请按下面列出的问题修改后重新上传。"
        remove_input(job)


@jobs.register(KIND, "commit")
def commit(job: Job, report) -> None:
    preview = load_full_report(job)
    try:
        result = services.commit_file(
            job.input_path,
            actor=job.user,
            team=_team(job),
            only_valid=bool(job.params.get("only_valid")),
            expected_valid_rows=preview.valid_rows if preview else [],
            progress=report,
            file_name=job.input_name,
            prepared=jobs.job_dir(job) / PREPARED,
            prepared_digest=job.params.get("prepared_digest", ""),
        )
    finally:
        remove_input(job)
    store_result(job, result)
    job.save(update_fields=["report"])
    # After the commit, from the same task: a big import does not keep the page waiting for the SMS gateway.
    sent = services.send_invitations(result.created_ids, progress=report)
    job.report = {**job.report, "sms_sent": sent}
