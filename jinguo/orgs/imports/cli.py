"""What import_volunteers and import_teams share: who acts, the printed report, the exit status.

The command refuses (exit status 1, nothing written) on a hostile file, an unknown target, or bad rows without
--only-valid; --dry-run checks and reports without writing anything.
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jinguo.core.errors import DomainError

from .base import ImportReport


def add_common_arguments(parser) -> None:
    parser.add_argument("file", help="Excel 文件（.xlsx），按下载的模板填写")
    parser.add_argument("--dry-run", action="store_true", help="只检查并列出问题，不写入任何数据")
    parser.add_argument("--only-valid", action="store_true", help="有问题的行跳过，只导入有效行")
    parser.add_argument("--as", dest="username", help="以该账号的身份和管理范围导入（默认：第一个平台超级管理员）")


def resolve_actor(username: str | None):
    User = get_user_model()
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"账号「{username}」不存在或已停用。")
        return user
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError("没有可用的超级管理员账号，请用 --as 指定执行导入的账号。")
    return user


def run(
    command: BaseCommand,
    *,
    validate: Callable[[], ImportReport],
    commit: Callable[[list[int]], ImportReport],
    dry_run: bool,
    only_valid: bool,
    noun: str,
    after_commit: Callable[[ImportReport], str] | None = None,
) -> None:
    out = command.stdout
    try:
        report = validate()
    except DomainError as exc:
        raise CommandError(f"{exc.message}未导入任何数据。") from None
    for line in report.text_lines():
        out.write(line)
    if not report.valid_rows:
        raise CommandError("没有可导入的有效行，未导入任何数据。")
    if report.errors and not only_valid:
        raise CommandError(
            f"有 {len(report.bad_rows)} 行存在问题，未导入任何数据。请修改后重新导入，或加 --only-valid 只导入有效行。"
        )
    if dry_run:
        out.write(command.style.SUCCESS(f"试运行：可导入 {len(report.valid_rows)} 行，未写入任何数据。"))
        return
    try:
        result = commit(report.valid_rows)
    except DomainError as exc:
        raise CommandError(exc.message) from None
    for notice in result.notices:
        out.write(f"提示：{notice}")
    message = f"已导入 {result.created} {noun}。"
    if after_commit is not None:
        message += after_commit(result)
    out.write(command.style.SUCCESS(message))
