"""The team import's job phases, run by the task worker: they load the job and call the services."""

from jinguo.core import jobs
from jinguo.core.models import Job

from ..models import Node
from . import services
from .base import load_full_report, remove_input, store_result

KIND = "team_import"


def _parent(job: Job) -> Node:
    return Node.objects.get(pk=job.params["parent_id"])


@jobs.register(KIND, "validate")
def validate(job: Job, report) -> None:
    try:
        result = services.validate_file(
            job.input_path, actor=job.user, parent=_parent(job), progress=report, file_name=job.input_name
        )
    except Exception:
        remove_input(job)
        raise
    if result.valid_rows:
        store_result(job, result, status=Job.Status.READY)
    else:
        store_result(job, result, status=Job.Status.FAILED)
        job.error = "文件中没有可导入的有效行，未导入任何队伍。请按下面列出的问题修改后重新上传。"
        remove_input(job)


@jobs.register(KIND, "commit")
def commit(job: Job, report) -> None:
    preview = load_full_report(job)
    try:
        result = services.commit_file(
            job.input_path,
            actor=job.user,
            parent=_parent(job),
            only_valid=bool(job.params.get("only_valid")),
            expected_valid_rows=preview.valid_rows if preview else [],
            progress=report,
            file_name=job.input_name,
        )
    finally:
        remove_input(job)
    store_result(job, result)
