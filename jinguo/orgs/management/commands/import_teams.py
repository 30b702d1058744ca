"""Import volunteer teams from an xlsx file under a parent node, exactly as the web import does.

    manage.py import_teams 队伍.xlsx --parent 350203 [--dry-run] [--only-valid] [--as USERNAME]

--parent takes a node's administrative code, a team number, or a node id. Prints every bad row (row, column,
reason) and exits with status 1 when it refuses: a hostile file, an unknown parent, or bad rows without
--only-valid.
"""

from django.core.management.base import BaseCommand, CommandError

from jinguo.core.text import clean_compact
from jinguo.orgs.choices import NodeStatus
from jinguo.orgs.imports import cli, services
from jinguo.orgs.models import Node


def find_parent(value: str) -> Node:
    text = clean_compact(value).upper()
    by_code = list(Node.objects.filter(code=text, status=NodeStatus.ACTIVE)[:2]) if text else []
    if len(by_code) == 1:
        return by_code[0]
    if len(by_code) > 1:
        raise CommandError(f"行政区划代码「{text}」对应多个组织，请改用组织编号（id）。")
    node = Node.objects.filter(team__team_number=text).first()
    if node is None and text.isdigit():
        node = Node.objects.filter(pk=int(text)).first()
    if node is None:
        raise CommandError(f"上级组织「{value}」不存在（可填写行政区划代码、队伍编号或组织编号）。")
    return node


class Command(BaseCommand):
    help = "从 Excel 批量导入志愿服务队伍到指定上级组织：先检查并列出每个问题行，再在一个事务中全部导入或全部不导入。"

    def add_arguments(self, parser):
        cli.add_common_arguments(parser)
        parser.add_argument("--parent", required=True, help="上级组织：行政区划代码、队伍编号或组织编号（id）")

    def handle(self, *args, file, parent, dry_run=False, only_valid=False, username=None, **options):
        actor = cli.resolve_actor(username)
        node = find_parent(parent)
        cli.run(
            self,
            validate=lambda: services.validate_file(file, actor=actor, parent=node),
            commit=lambda expected: services.commit_file(
                file, actor=actor, parent=node, only_valid=only_valid, expected_valid_rows=expected
            ),
            dry_run=dry_run,
            only_valid=only_valid,
            noun="支队伍（草稿，待提交备案）",
        )
