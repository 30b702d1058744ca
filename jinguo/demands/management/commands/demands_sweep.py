"""Keep the dispatch time limits (接单时限): reminders at the limit, expiry of unanswered offers and escalation to
the level above. Safe to run as often as you like: what was sent is recorded on each need.

manage.py demands_sweep              # run the sweep now (e.g. from cron, every few minutes)
manage.py demands_sweep --schedule   # queue it in the task worker, which then runs it every ten minutes
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from jinguo.demands import services_dispatch
from jinguo.demands.tasks import INTERVAL, schedule_sweep


class Command(BaseCommand):
    help = "检查派单接单时限：到时提醒、超时未接退回、逐级上报（可重复执行，不会重复发送）；--schedule 交给任务进程定时执行。"

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="放入任务队列，由任务进程定时执行")

    def handle(self, *args, schedule: bool = False, **options):
        if schedule:
            minutes = int(INTERVAL.total_seconds() // 60)
            if schedule_sweep():
                self.stdout.write(f"已加入任务队列：任务进程将每 {minutes} 分钟检查一次接单时限。")
            else:
                self.stdout.write("任务队列中已有待执行的接单时限检查（或当前任务后端不支持定时），未重复加入。")
            return
        counts = services_dispatch.sweep(now=timezone.now())
        self.stdout.write(
            f"接单时限检查完成：提醒 {counts['reminded']} 条，超时退回 {counts['expired']} 条，上报 {counts['escalated']} 条。"
        )
