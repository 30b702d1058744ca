"""Send the overdue care-visit reminders (结对走访逾期提醒). Safe to run as often as you like: a pairing is reminded
once per overdue period.

manage.py care_sweep              # run the sweep now (e.g. from cron, hourly)
manage.py care_sweep --schedule   # queue it in the task worker, which then runs it every hour (`make run` does this)
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from jinguo.demands import services_care
from jinguo.demands.tasks_care import schedule_sweep


class Command(BaseCommand):
    help = "发送结对走访逾期提醒（同一逾期周期只提醒一次）；--schedule 交给任务进程每小时执行。"

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="放入任务队列，由任务进程每小时执行一次")

    def handle(self, *args, schedule: bool = False, **options):
        if schedule:
            if schedule_sweep():
                self.stdout.write("已加入任务队列：任务进程将每小时检查一次逾期走访。")
            else:
                self.stdout.write("未加入：已有一次检查在排队，或当前任务后端不支持定时（请用 cron 运行 care_sweep）。")
            return
        sent = services_care.care_sweep(now=timezone.now())
        self.stdout.write(f"已发送 {sent} 个结对的走访逾期提醒。")
