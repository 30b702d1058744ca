"""Recompute the pre-aggregated node figures from the source tables and report any drift.

manage.py rebuild_counters           # fix the counters, list what was wrong
manage.py rebuild_counters --check   # change nothing; exit 1 when a counter differs (for CI and monitoring)
"""

from django.core.management.base import BaseCommand, CommandError

from jinguo.orgs.models import Node
from jinguo.orgs.services import rebuild_counters

FIGURES = (("volunteers", "登记志愿者"), ("members", "在队成员"), ("teams", "队伍"))


class Command(BaseCommand):
    help = "从源数据重新计算各节点的统计数字，列出并修正差异；--check 只检查不修改，有差异时退出码为 1。"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只检查，不修改；有差异时以退出码 1 结束")

    def handle(self, *args, check: bool = False, **options):
        diffs = rebuild_counters(fix=not check)
        names = dict(Node.objects.filter(pk__in=[d["node_id"] for d in diffs]).values_list("pk", "name"))
        for diff in diffs:
            cached = diff["cached"]
            parts = []
            for key, label in FIGURES:
                have = cached[key] if cached else "无"
                actual = diff["actual"][key]
                if have != actual:
                    parts.append(f"{label} {have} → {actual}")
            self.stdout.write(
                f"{names.get(diff['node_id'], diff['node_id'])}（#{diff['node_id']}）：{'；'.join(parts)}"
            )
        if not diffs:
            self.stdout.write(self.style.SUCCESS("统计数字与源数据一致。"))
            return
        if check:
            raise CommandError(f"{len(diffs)} 个节点的统计数字与源数据不一致（未修改）。", returncode=1)
        self.stdout.write(self.style.WARNING(f"已修正 {len(diffs)} 个节点的统计数字。"))
