"""The job pages: the owner sees progress and downloads the result (audited); the file stays private."""

import os
from pathlib import Path

from django.conf import settings
from django.test import Client

from jinguo.core import progress
from jinguo.core.models import AuditLog, Job


def finished_job(user, tmp_name="result.csv", **fields) -> Job:
    job = Job.objects.create(
        kind="volunteer_export", title="名册导出", user=user, status=Job.Status.SUCCEEDED, **fields
    )
    folder = Path(settings.PRIVATE_FILES_ROOT) / "jobs" / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / tmp_name).write_text("编号,姓名\nJG2600000001,张三\n")
    job.result_path = str(folder / tmp_name)
    job.result_name = "名册.csv"
    job.save(update_fields=["result_path", "result_name"])
    return job


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_owner_downloads_and_it_is_audited(world):
    job = finished_job(world.district_admin, params={"node_path": world.district.path})
    response = client_for(world.district_admin).get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == "编号,姓名\nJG2600000001,张三\n"
    assert "attachment" in response["Content-Disposition"]
    entry = AuditLog.objects.get(action="export.downloaded")
    assert (entry.actor, entry.node_path, entry.summary) == (
        world.district_admin,
        world.district.path,
        "下载导出文件：名册.csv",
    )


def test_a_job_is_its_owners_only(world):
    job = finished_job(world.district_admin)
    for user in (world.city_admin, world.district_staff, world.outsider_admin, world.nobody):
        client = client_for(user)
        for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/progress/", f"/jobs/{job.pk}/download/"):
            assert client.get(url).status_code == 404, (user, url)
    assert not AuditLog.objects.filter(action="export.downloaded").exists()


def test_no_download_before_success_or_outside_the_private_folder(world, tmp_path):
    job = finished_job(world.district_admin)
    client = client_for(world.district_admin)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    outside = tmp_path / "secret.txt"
    outside.write_text("not for download")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, result_path=str(outside))
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    # A path that starts inside the private folder but climbs out of it.
    escape = Path(settings.PRIVATE_FILES_ROOT) / os.path.relpath(outside, settings.PRIVATE_FILES_ROOT)
    assert escape.exists()
    assert str(escape).startswith(str(settings.PRIVATE_FILES_ROOT))
    Job.objects.filter(pk=job.pk).update(result_path=str(escape))
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert not AuditLog.objects.filter(action="export.downloaded").exists()


def test_progress_fragment_shows_the_percentage_and_reloads_when_done(world):
    job = Job.objects.create(
        kind="volunteer_import", title="导入", user=world.district_admin, status=Job.Status.RUNNING
    )
    progress.set_progress("job", job.pk, done=30, total=120, stage="校验数据")
    client = client_for(world.district_admin)
    response = client.get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "25" in response.content.decode()
    assert "校验数据" in response.content.decode()
    assert "HX-Refresh" not in response
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    response = client.get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
