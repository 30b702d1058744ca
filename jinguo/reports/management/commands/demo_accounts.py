"""`manage.py demo_accounts`: print the demo accounts that `seed_demo` created (used by `make run`)."""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from ._demo_demands import DEMO_RESIDENT_PHONE, demo_resident_need
from .seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def account_table() -> list[str]:
    """The table as lines, listing only the accounts of this database that still have the demo password."""
    users = get_user_model().objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS], is_active=True)
    present = {u.username for u in users if u.check_password(DEMO_PASSWORD)}
    rows = [("账号", "角色", "管理范围")] + [(u, role, where) for u, _n, role, where in DEMO_ACCOUNTS if u in present]
    if len(rows) == 1:
        return ["当前数据库中没有演示账号（运行 python manage.py seed_demo 载入演示数据）。"]
    widths = [max(_width(row[i]) for row in rows) + 2 for i in range(3)]
    lines = [f"演示账号（统一密码 {DEMO_PASSWORD}，仅用于演示数据）："]
    lines += ["  " + "".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    need = demo_resident_need()
    if need is not None:  # the resident's side needs no account: her tracking code and phone
        lines.append(
            f"居民演示（无需登录）：/demands/help/status/ 或 /demands/rate/，查询码 {need.tracking_code}，"
            f"手机号 {DEMO_RESIDENT_PHONE}"
        )
    return lines


class Command(BaseCommand):
    help = "列出演示账号及其统一密码。"

    def handle(self, *args, **options):
        for line in account_table():
            self.stdout.write(line)
