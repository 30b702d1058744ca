"""Import volunteers from an xlsx file into a team, exactly as the web import does (preview, then commit).

    manage.py import_volunteers 名单.xlsx --team 350203-001 [--dry-run] [--only-valid] [--as USERNAME]

Prints every bad row (row, column, reason) and exits with status 1 when it refuses: a hostile file, an unknown
team, or bad rows without --only-valid. Imported volunteers are 待本人确认 and are sent an SMS invitation (R25).
"""

from django.core.management.base import BaseCommand, CommandError

from jinguo.core.text import clean_compact
from jinguo.orgs.imports import cli
from jinguo.orgs.models import Team
from jinguo.volunteers.imports import services


class Command(BaseCommand):
    help = "从 Excel 批量导入志愿者到指定队伍：先检查并列出每个问题行，再在一个事务中全部导入或全部不导入。"

    def add_arguments(self, parser):
        cli.add_common_arguments(parser)
        parser.add_argument("--team", required=True, help="队伍编号，如 350203-001")

    def handle(self, *args, file, team, dry_run=False, only_valid=False, username=None, **options):
        actor = cli.resolve_actor(username)
        found = Team.objects.select_related("node").filter(team_number=clean_compact(team).upper()).first()
        if found is None:
            raise CommandError(f"队伍编号「{team}」不存在。")
        node = found.node
        cli.run(
            self,
            validate=lambda: services.validate_file(file, actor=actor, team=node),
            commit=lambda expected: services.commit_file(
                file, actor=actor, team=node, only_valid=only_valid, expected_valid_rows=expected
            ),
            dry_run=dry_run,
            only_valid=only_valid,
            noun="名志愿者（待本人确认）",
            after_commit=lambda result: f"已向 {services.send_invitations(result.created_ids)} 人发送确认短信。",
        )
