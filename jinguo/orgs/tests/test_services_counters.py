"""manage.py rebuild_counters: recompute the node figures, report drift, --check for CI."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jinguo.orgs.models import NodeCounter


def run(*args) -> str:
    out = StringIO()
    call_command("rebuild_counters", *args, stdout=out)
    return out.getvalue()


def test_no_drift(world, member):
    assert run("--check") == "统计数字与源数据一致。\n"


def test_check_reports_drift_and_changes_nothing(world, member):
    NodeCounter.objects.filter(node_id=world.team.pk).update(members=7)
    NodeCounter.objects.filter(node_id=world.community.pk).update(volunteers=0)
    with pytest.raises(CommandError) as excinfo:
        call_command("rebuild_counters", "--check")
    assert excinfo.value.returncode == 1
    assert str(excinfo.value) == "2 个节点的统计数字与源数据不一致（未修改）。"
    assert NodeCounter.objects.get(node_id=world.team.pk).members == 7


def test_fix_repairs_and_lists_what_was_wrong(world, member):
    NodeCounter.objects.filter(node_id=world.team.pk).update(members=7)
    NodeCounter.objects.filter(node_id=world.street.pk).delete()
    out = run()
    assert f"思明区巾帼服务队（#{world.team.pk}）：在队成员 7 → 1\n" in out
    assert f"筼筜街道（#{world.street.pk}）：登记志愿者 无 → 0；在队成员 无 → 0；队伍 无 → 0\n" in out
    assert out.endswith("已修正 2 个节点的统计数字。\n")
    assert NodeCounter.objects.get(node_id=world.team.pk).members == 1
    assert run("--check") == "统计数字与源数据一致。\n"
