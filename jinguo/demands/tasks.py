"""The dispatch time-limit sweep as a django-tasks task: it loads nothing itself and calls the service.

How it runs periodically: `manage.py demands_sweep --schedule` (run by `make run` before the worker starts) queues
the task once; each run queues the next one INTERVAL later (`run_after`, which the database backend supports), so
the task worker keeps the time limits without cron. Queuing is skipped when a run is already waiting, so starting
`make run` again does not start a second chain. On a backend that cannot defer, use cron with
`manage.py demands_sweep` instead.
"""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

from . import services_dispatch

logger = logging.getLogger("jinguo.demands")
# The shortest limit (紧急: 2 hours) is kept to within ten minutes.
INTERVAL = datetime.timedelta(minutes=10)


def sweep_waiting() -> bool:
    """Is a run already queued? Only the database backend can tell; elsewhere assume not."""
    backend = demands_sweep_task.get_backend()
    if not type(backend).__module__.startswith("django_tasks_db"):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=demands_sweep_task.module_path, status="READY").exists()


def schedule_sweep(*, delay: datetime.timedelta = datetime.timedelta(0)) -> bool:
    """Queue the next run unless one is waiting; returns whether it queued one."""
    if not demands_sweep_task.get_backend().supports_defer or sweep_waiting():
        return False
    demands_sweep_task.using(run_after=timezone.now() + delay).enqueue(reschedule=True)
    return True


@task()
def demands_sweep_task(reschedule: bool = False) -> dict:
    try:
        return services_dispatch.sweep(now=timezone.now())
    finally:
        # Even when this run failed, the next one is queued: one bad need must not stop the time limits.
        if reschedule:
            schedule_sweep(delay=INTERVAL)
