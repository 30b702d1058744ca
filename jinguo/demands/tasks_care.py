"""The care-visit reminder sweep as a django-tasks task: it loads nothing itself and calls the service.

How it runs periodically: `manage.py care_sweep --schedule` (run by `make run` before the worker starts) queues the
task once; each run queues the next one INTERVAL later (`run_after`, which the database backend supports), so the
task worker sends the reminders without cron. Queuing is skipped when a run is already waiting, so starting
`make run` again does not start a second chain. On a backend that cannot defer, use cron with `manage.py care_sweep`.
The sweep itself is idempotent (one reminder per pairing per overdue period), so an extra run sends nothing twice.
"""

import datetime

from django.utils import timezone
from django_tasks import task

from . import services_care

# Visits are due by the day: an hourly check is more than enough.
INTERVAL = datetime.timedelta(hours=1)


def sweep_waiting() -> bool:
    """Is a run already queued? Only the database backend can tell; elsewhere assume not."""
    backend = care_sweep_task.get_backend()
    if not type(backend).__module__.startswith("django_tasks_db"):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=care_sweep_task.module_path, status="READY").exists()


def schedule_sweep(*, delay: datetime.timedelta = datetime.timedelta(0)) -> bool:
    """Queue the next run unless one is waiting; returns whether it queued one."""
    if not care_sweep_task.get_backend().supports_defer or sweep_waiting():
        return False
    care_sweep_task.using(run_after=timezone.now() + delay).enqueue(reschedule=True)
    return True


@task()
def care_sweep_task(reschedule: bool = False) -> int:
    try:
        return services_care.care_sweep(now=timezone.now())
    finally:
        # Even when this run failed, the next one is queued: one bad pairing must not stop the reminders.
        if reschedule:
            schedule_sweep(delay=INTERVAL)
