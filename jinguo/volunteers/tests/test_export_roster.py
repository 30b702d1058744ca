"""Roster export: the list's filters, masked by default, full numbers only with the right over every row, no
formula injection, audited when made and when downloaded."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jinguo.core.errors import PermissionDeniedError
from jinguo.core.models import AuditLog, Job
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import Role
from jinguo.volunteers import exports


@pytest.fixture
def people(world, make_volunteer):
    """Two in 思明区 (one in the team, one in the sub-team), one in 湖里区."""
    a = make_volunteer(team=world.team.node, name="甄一", phone="13912340101", skills="=cmd|' /C calc'!A0")
    b = make_volunteer(team=world.subteam.node, name="甄二", phone="13912340102", confirm=False)
    c = make_volunteer(team=world.team_b.node, home=world.other_community, name="邬三", phone="13912340103")
    return a, b, c


def rows_of(job: Job) -> list[list]:
    ws = load_workbook(job.result_path)["志愿者名册"]
    return [[c.value for c in row] for row in ws.iter_rows()]


def run_export(client, data: dict, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("volunteers:roster_export"), {"confirm": "1", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.filter(kind="volunteer_export").latest("created_at")
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job


def test_masked_by_default_scoped_and_formula_safe(client, world, people, django_capture_on_commit_callbacks):
    a, _b, _c = people
    client.force_login(world.district_admin)
    job = run_export(client, {}, django_capture_on_commit_callbacks)
    rows = rows_of(job)
    assert rows[0][:7] == ["志愿者编号", "姓名", "性别", "出生日期", "证件类型", "证件号码", "手机号"]
    body = {row[1]: row for row in rows[1:]}
    assert set(body) == {"甄一", "甄二"}  # 湖里区's volunteer is outside the district admin's scope
    full_id = a.decrypt_id_number()
    assert body["甄一"][5] == full_id[:6] + "********" + full_id[-4:]
    assert body["甄一"][6] == "139****0101"
    assert body["甄一"][12] == "'=cmd|' /C calc'!A0"  # a formula arrives as text
    assert body["甄一"][18] == "思明区巾帼服务队"
    assert body["甄二"][21] == "待本人确认"
    assert body["甄二"][18] == "湖滨小队"
    assert job.report == {"count": 2, "full": False}
    entry = AuditLog.objects.get(action="volunteer.roster_exported")
    assert entry.summary == "导出志愿者名册 2 人（证件号和手机号已隐去部分）"
    assert entry.detail == {"count": 2, "filters": {}, "full": False}
    assert entry.node_path == world.district.path
    content = Path(job.result_path).read_bytes()
    assert full_id.encode() not in content

    response = client.get(reverse("job_download", args=[job.pk]))
    assert response.status_code == 200
    assert AuditLog.objects.filter(action="export.downloaded", actor=world.district_admin).count() == 1


def test_filters_follow_the_roster_list(client, world, people, django_capture_on_commit_callbacks):
    client.force_login(world.district_admin)
    job = run_export(client, {"team": world.subteam.node.pk}, django_capture_on_commit_callbacks)
    assert [row[1] for row in rows_of(job)[1:]] == ["甄二"]
    job = run_export(client, {"q": "甄一", "status": "active"}, django_capture_on_commit_callbacks)
    assert [row[1] for row in rows_of(job)[1:]] == ["甄一"]
    assert AuditLog.objects.filter(action="volunteer.roster_exported").latest("created_at").detail["filters"] == {
        "q": "甄一",
        "status": "active",
    }


def test_full_numbers_only_with_the_personal_right_over_every_row(
    client, world, people, django_capture_on_commit_callbacks
):
    a, _b, c = people
    # city_admin holds the personal-data right over the whole city.
    client.force_login(world.city_admin)
    job = run_export(client, {"full": "1"}, django_capture_on_commit_callbacks)
    body = {row[1]: row for row in rows_of(job)[1:]}
    assert set(body) == {"甄一", "甄二", "邬三"}
    assert body["甄一"][5] == a.decrypt_id_number()
    assert body["甄一"][6] == "13912340101"
    assert body["邬三"][5] == c.decrypt_id_number()
    assert job.title == "导出志愿者名册（含完整证件号和手机号）"
    assert (
        AuditLog.objects.get(action="volunteer.roster_exported").summary
        == "导出志愿者名册 3 人（含完整证件号和手机号）"
    )

    # The district admin has no personal-data right: refused, not silently masked, and no job.
    client.force_login(world.district_admin)
    before = Job.objects.count()
    response = client.post(reverse("volunteers:roster_export"), {"confirm": "1", "full": "1"})
    assert response.status_code == 200
    assert "您没有查看其中部分志愿者完整证件号和手机号的权限" in response.content.decode()
    assert Job.objects.count() == before
    with pytest.raises(PermissionDeniedError):
        exports.roster_export_start(actor=world.district_admin, filters={}, full=True)


def test_personal_right_over_part_of_the_rows_is_not_enough(world, people):
    from conftest import make_user

    # She sees the whole district (read-only) but holds the personal-data right over the sub-team only.
    staff = make_user("partial_personal")
    org_services.role_grant(actor=world.root_user, user=staff, role=Role.FEDERATION_STAFF, node=world.district)
    org_services.role_grant(
        actor=world.root_user, user=staff, role=Role.TEAM_LEADER, node=world.subteam.node, personal_data=True
    )
    job = exports.roster_export_start(actor=staff, filters={"team": str(world.subteam.node.pk)}, full=True)
    assert job.params["full"] is True
    with pytest.raises(PermissionDeniedError):
        exports.roster_export_start(actor=staff, filters={}, full=True)
    assert exports.roster_export_start(actor=staff, filters={}, full=False).params["full"] is False


def test_confirmation_page_shows_filters_and_count(client, world, people):
    client.force_login(world.district_admin)
    page = client.get(reverse("volunteers:roster_export"), {"team": world.team.node.pk, "sex": "F"}).content.decode()
    assert "思明区巾帼服务队" in page
    assert "共 <strong>2</strong> 人" in page
    assert f'name="team" value="{world.team.node.pk}"' in page
    assert "含完整证件号和手机号" not in page  # no personal-data right, no such option
    # The roster page posts its filters without `confirm`: the confirmation page comes first, nothing is queued.
    response = client.post(reverse("volunteers:roster_export"), {"q": "甄一"})
    assert response.status_code == 200
    assert "共 <strong>1</strong> 人" in response.content.decode()
    assert not Job.objects.filter(kind="volunteer_export").exists()


@pytest.mark.parametrize("who", ["nobody"])
def test_users_without_a_staff_role_cannot_export(client, world, people, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("volunteers:roster_export")).status_code == 403
    assert client.post(reverse("volunteers:roster_export"), {"confirm": "1"}).status_code == 403
    assert not Job.objects.filter(kind="volunteer_export").exists()


def test_a_volunteer_cannot_export(client, world, people):
    client.force_login(people[0].user)
    assert client.post(reverse("volunteers:roster_export"), {"confirm": "1"}).status_code == 403
    assert not Job.objects.filter(kind="volunteer_export").exists()


def test_outsiders_see_nothing_of_ours(client, world, people, django_capture_on_commit_callbacks):
    client.force_login(world.outsider_admin)
    job = run_export(client, {}, django_capture_on_commit_callbacks)
    assert [row[1] for row in rows_of(job)[1:]] == ["邬三"]
    # A team of another district in the filters is refused, not widened.
    response = client.post(reverse("volunteers:roster_export"), {"confirm": "1", "team": world.team.node.pk})
    assert response.status_code == 200
    assert "筛选条件无效" in response.content.decode()
    # Another user's export job is not reachable.
    client.force_login(world.outsider_leader)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 404


def test_progress_is_reported(world, people, monkeypatch, django_capture_on_commit_callbacks):
    from jinguo.core import progress

    monkeypatch.setattr(exports, "CHUNK", 1)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.roster_export_start(actor=world.city_admin, filters={}, full=False)
    job.refresh_from_db()
    assert progress.get_progress("job", job.pk) == {"done": 3, "total": 3, "stage": "名册已生成"}
    assert io.BytesIO(Path(job.result_path).read_bytes()).getbuffer().nbytes > 0
