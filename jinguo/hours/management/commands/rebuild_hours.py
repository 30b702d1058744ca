"""Recompute the hour caches (per volunteer and year, per organising node and year) and the star levels from the
service-record ledger, and report every difference.

manage.py rebuild_hours           # fix the caches, list what was wrong
manage.py rebuild_hours --check   # change nothing; exit 1 when a cache differs (for CI and monitoring)
"""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from jinguo.hours.ledger import rebuild_hours
from jinguo.orgs.models import Node
from jinguo.volunteers.models import Volunteer


def _pair(value) -> str:
    hours, records = value
    return f"{Decimal(hours):.2f} 小时 / {records} 条"


class Command(BaseCommand):
    help = "从服务记录重新计算志愿者和组织的时长汇总及星级，列出并修正差异；--check 只检查不修改，有差异时退出码为 1。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只检查，不修改；有差异时以退出码 1 结束")

    def handle(self, *args, check: bool = False, **options):
        diffs = rebuild_hours(fix=not check)
        volunteer_ids = {d["key"][0] for d in diffs if d["table"] == "volunteer"} | {
            d["key"] for d in diffs if d["table"] == "star"
        }
        volunteers = dict(Volunteer.objects.filter(pk__in=volunteer_ids).values_list("pk", "number"))
        nodes = dict(Node.objects.filter(pk__in={d["key"][0] for d in diffs if d["table"] == "node"}).values_list("pk", "name"))
        for diff in diffs:
            if diff["table"] == "volunteer":
                who, year = diff["key"]
                line = f"志愿者 {volunteers.get(who, who)} {year} 年：汇总 {_pair(diff['cached'])}，按记录应为 {_pair(diff['ledger'])}"
            elif diff["table"] == "node":
                node, year = diff["key"]
                line = f"组织 {nodes.get(node, node)}（#{node}）{year} 年：汇总 {_pair(diff['cached'])}，按记录应为 {_pair(diff['ledger'])}"
            else:
                line = f"志愿者 {volunteers.get(diff['key'], diff['key'])} 星级：现为 {diff['cached']} 星，按记录应为 {diff['ledger']} 星"
            self.stdout.write(line)
        if not diffs:
            self.stdout.write(self.style.SUCCESS("时长汇总和星级与服务记录一致。"))
            return
        if check:
            raise CommandError(f"{len(diffs)} 处时长汇总或星级与服务记录不一致（未修改）。", returncode=1)
        self.stdout.write(self.style.WARNING(f"已修正 {len(diffs)} 处时长汇总或星级。"))
