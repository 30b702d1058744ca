"""The care-visit reminder sweep as a django-tasks task: it loads nothing itself and calls the service.

Run it periodically: from cron with `manage.py care_sweep`, or let the task worker run it every hour by enqueuing
it once with `manage.py care_sweep --schedule` (each run then queues the next one, when the backend can defer).
"""

import datetime

from django.utils import timezone
from django_tasks import default_task_backend, task

from . import services_care

INTERVAL = datetime.timedelta(hours=1)


@task()
def care_sweep_task(reschedule: bool = False) -> int:
    sent = services_care.care_sweep(now=timezone.now())
    if reschedule and default_task_backend.supports_defer:
        care_sweep_task.using(run_after=timezone.now() + INTERVAL).enqueue(reschedule=True)
    return sent
