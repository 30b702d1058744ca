"""Running long work in the task worker, with progress the page can show (DESIGN principle 6).

An app registers a handler per job kind; the single task `run_job` looks the job up and calls it. A handler gets
the job and a `report(done, total, stage)` callback, and returns nothing; it raises DomainError to fail cleanly.
"""

import logging
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import progress
from .errors import DomainError
from .models import Job

logger = logging.getLogger("jinguo.jobs")
Handler = Callable[[Job, Callable[..., None]], None]
_handlers: dict[str, Handler] = {}


def register(kind: str, phase: str = "run"):
    def decorator(func: Handler) -> Handler:
        _handlers[f"{kind}:{phase}"] = func
        return func

    return decorator


def job_dir(job: Job) -> Path:
    path = Path(settings.PRIVATE_FILES_ROOT) / "jobs" / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(job: Job, uploaded) -> Path:
    """Keep an uploaded file under the job's private folder, under a name of our choosing."""
    target = job_dir(job) / f"input-{uuid.uuid4().hex}.xlsx"
    with target.open("wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    job.input_name = Path(uploaded.name).name[:255]
    job.input_path = str(target)
    job.save(update_fields=["input_name", "input_path"])
    return target


def start(job: Job, phase: str = "run") -> None:
    """Queue a phase of the job once the surrounding transaction has committed."""
    job.status = Job.Status.QUEUED
    job.save(update_fields=["status"])
    progress.set_progress("job", job.pk, done=0, total=0, stage="排队中")
    transaction.on_commit(lambda: run_job.enqueue(job.pk, phase))


@task()
def run_job(job_id: int, phase: str = "run") -> None:
    job = Job.objects.select_related("user").get(pk=job_id)
    handler = _handlers[f"{job.kind}:{phase}"]
    job.status = Job.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.error = ""
    job.save(update_fields=["status", "started_at", "error"])

    def report(done: int, total: int, stage: str = "") -> None:
        progress.set_progress("job", job.pk, done=done, total=total, stage=stage)

    try:
        handler(job, report)
    except DomainError as exc:
        job.status = Job.Status.FAILED
        job.error = exc.message
    except Exception:
        logger.exception("job %s (%s:%s) failed", job.pk, job.kind, phase)
        job.status = Job.Status.FAILED
        job.error = "处理过程中发生系统错误，已全部撤销，未写入任何数据。请稍后重试或联系管理员。"
    else:
        if job.status == Job.Status.RUNNING:
            job.status = Job.Status.SUCCEEDED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "report", "result_path", "result_name", "params"])


def remove_files(job: Job) -> None:
    shutil.rmtree(Path(settings.PRIVATE_FILES_ROOT) / "jobs" / str(job.pk), ignore_errors=True)
