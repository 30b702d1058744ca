"""Certificates (issue 3, section 8): milliseconds per PDF, and the batch of 1,000.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jinguo_bench DJANGO_SETTINGS_MODULE=bench.settings \
        python -m bench.certificates [--batch 1000] [--json OUT]
    DJANGO_SETTINGS_MODULE=config.settings.test python -m bench.certificates      (SQLite: nothing to set up)

It works in a throw-away database made the way the test runner makes one (`test_<name>`, dropped at the end), so it
never touches the benchmark data set or real data. What it measures, after warm-up runs:
    render   pdf.render_pdf of one snapshot with 1, 5, 20 and 60 records: wall-clock and CPU milliseconds
    issue    services.certificate_issue + the PDF, for one volunteer with 20 counted records (the page's work)
    batch    the certificate_batch job (tasks.run_certificate_batch through core.jobs) for N volunteers with 5
             records each: issue each certificate (one transaction and audit entry each), draw its PDF, write the zip
and prints a table (markdown) for docs/benchmarks.md.
"""

import argparse
import datetime
import json
import math
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

WARMUP = 3
RUNS = int(os.environ.get("BENCH_RUNS", "50"))
RECORDS_PER_VOLUNTEER = 5
PASSWORD = "Bench!2026-pw"  # noqa: S105  synthetic accounts in a throw-away database
CONTENTS = [
    "关爱空巢老人入户走访",
    "社区普法宣传",
    "家庭教育公益讲座",
    "邻里守望巡逻",
    "儿童课后托管陪伴",
    "文明交通劝导",
    "垃圾分类指导",
    "困难妇女帮扶探访",
]


def stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "runs": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[math.ceil(0.95 * len(ordered)) - 1] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def timed(func, runs: int = RUNS) -> dict:
    for _ in range(WARMUP):
        func()
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    result = stats(wall)
    result["cpu_p50_ms"] = round(statistics.median(cpu) * 1000, 1)
    return result


def sample_snapshot(records: int) -> dict:
    rng = random.Random(records)
    rows = []
    for i in range(records):
        method_self = rng.random() < 0.8
        rows.append(
            {
                "date": f"2026-{1 + i % 11:02d}-{1 + i % 27:02d}",
                "start": "09:00",
                "end": "11:30",
                "hours": "2.50",
                "activity": rng.choice(CONTENTS),
                "content": "",
                "organiser": rng.choice(["思明区巾帼服务队", "湖滨小队", "厦门市巾帼志愿服务总队"]),
                "method": "扫码签到" if method_self else "队长名单签到",
                "entered_by_other": not method_self,
                "mark": "" if method_self else "代录",
            }
        )
    return {
        "version": 1,
        "title": "志愿服务记录证明",
        "number": "JGZM2026000001",
        "short_code": "ABCD2345",
        "issued_on": "2026-11-23",
        "name": "张晓丽",
        "volunteer_number": "JG2600000001",
        "id_type": "居民身份证",
        "id_number_masked": "350203********002X",
        "period_start": "2026-01-01",
        "period_end": "2026-11-23",
        "total_hours": f"{2.5 * records:.2f}",
        "record_count": records,
        "records": rows,
        "includes_subtree": True,
        "issuer": {
            "name": "思明区巾帼服务队",
            "person_in_charge": "林秀英",
            "handler": "王芳",
            "contact": "0592-1234567",
            "seal_text": "",
        },
        "self_service": False,
        "verify_url": "https://zyfw.example.cn/v/ABCD2345/",
    }


# ---- a small world in the throw-away database -------------------------------------------------------------------


def build_tree():
    """A district with a community and a team (with its registration) and the team's leader."""
    from django.contrib.auth import get_user_model

    from jinguo.orgs import services as org_services
    from jinguo.orgs.choices import NodeKind, Role

    User = get_user_model()
    root = User.objects.create_superuser(username="bench-root", password=PASSWORD, display_name="平台")
    create = org_services.node_create
    national = create(actor=root, parent=None, name="全国妇联", kind=NodeKind.NATIONAL)
    province = create(actor=root, parent=national, name="福建省妇联", kind=NodeKind.PROVINCE, code="350000")
    city = create(actor=root, parent=province, name="厦门市妇联", kind=NodeKind.CITY, code="350200")
    district = create(actor=root, parent=city, name="思明区妇联", kind=NodeKind.DISTRICT, code="350203")
    community = create(actor=root, parent=district, name="湖滨社区", kind=NodeKind.COMMUNITY)
    team = org_services.team_create(
        actor=root,
        parent=district,
        name="思明区巾帼服务队",
        tier=1,
        data={"leader_name": "林秀英", "leader_phone": "13905920001", "unit_name": "思明区妇联"},
    )
    leader = User.objects.create_user(username="bench-leader", password=PASSWORD, display_name="王芳")
    org_services.role_grant(actor=root, user=leader, role=Role.TEAM_LEADER, node=team.node)
    return root, community, team.node, leader


def add_members(root, community, team_node, leader, count: int, records_each: int, rng: random.Random) -> list:
    """`count` confirmed members (through the services: encrypted ID numbers, memberships, consents) and their
    counted records, written in bulk as the ledger would have left them (bench/hours.py does the same by COPY)."""
    from decimal import Decimal

    from django.utils import timezone

    from jinguo.core import synthetic
    from jinguo.core.errors import DomainError
    from jinguo.hours.models import ServiceRecord
    from jinguo.volunteers import services as volunteer_services

    people = []
    while len(people) < count:
        born = synthetic.birth_date(rng, 20, 60)
        raw = {
            "name": synthetic.name(rng, "F"),
            "id_type": "resident",
            "id_number": synthetic.id_number(rng, "350203", born, "F"),
            "phone": synthetic.mobile(rng),
            "categories": ["care"],
            "availability": ["weekend"],
        }
        try:
            v = volunteer_services.volunteer_create_by_staff(
                actor=root, raw=raw, home_node=community, team=team_node, notify=False
            )
        except DomainError:  # a synthetic duplicate (ID number or phone): draw another person
            continue
        people.append(
            volunteer_services.volunteer_confirm(
                volunteer=v, phone=v.phone, password=PASSWORD, consents=["personal", "sensitive"]
            )
        )
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    rows = []
    for v in people:
        for d in rng.sample(range(2, 300), records_each):
            day = today - datetime.timedelta(days=d)
            start = datetime.datetime.combine(day, datetime.time(9, 0), tz)
            hours = Decimal(rng.choice(["1.50", "2.00", "2.50", "3.00"]))
            self_scan = rng.random() < 0.8
            rows.append(
                ServiceRecord(
                    volunteer=v,
                    organiser=team_node,
                    service_date=day,
                    start_at=start,
                    end_at=start + datetime.timedelta(hours=float(hours)),
                    hours=hours,
                    hours_delta=hours,
                    content=rng.choice(CONTENTS),
                    method="qr" if self_scan else "roster",
                    entered_by_other=not self_scan,
                    status="verified",
                    recorded_by=None if self_scan else leader,
                )
            )
    ServiceRecord.objects.bulk_create(rows, batch_size=2000)
    return people


def measure(batch: int) -> dict:
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from jinguo.certificates import pdf, services, tasks
    from jinguo.core import jobs
    from jinguo.core.models import Job

    results = {"render": {}}
    pdf.ensure_font()
    reverse("certificate_verify", args=["ABCD2345"])  # load the URLconf once, as a running web process has
    for records in (1, 5, 20, 60):
        snap = sample_snapshot(records)
        data = pdf.render_pdf(snap)
        pages = len(re.findall(rb"/Type /Page\b", data))
        results["render"][records] = {
            **timed(lambda snap=snap: pdf.render_pdf(snap)),
            "bytes": len(data),
            "pages": pages,
        }
        print(f"render {records:>2} records: {results['render'][records]}", flush=True)

    rng = random.Random(20261123)
    t0 = time.perf_counter()
    # Setting up people is not what is measured: a fast hasher for their passwords.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        root, community, team, leader = build_tree()
        (one,) = add_members(root, community, team, leader, 1, 20, rng)
    print(f"world for the single issue built in {time.perf_counter() - t0:.1f} s", flush=True)

    def issue_and_render():
        certificate, _created = services.certificate_issue_or_reuse(actor=leader, volunteer=one, issuer=team)
        return pdf.render_certificate(certificate)

    with CaptureQueriesContext(connection) as ctx:
        w0 = time.perf_counter()
        issue_and_render()
        first_ms = round((time.perf_counter() - w0) * 1000, 1)
    # The timed runs find the same facts and reuse the certificate: the page's work minus two inserts.
    results["issue"] = {
        **timed(issue_and_render, runs=min(RUNS, 30)),
        "first_ms": first_ms,
        "queries_first": len(ctx.captured_queries),
    }
    print(f"issue + render: {results['issue']}", flush=True)

    t0 = time.perf_counter()
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        add_members(root, community, team, leader, batch, RECORDS_PER_VOLUNTEER, rng)
    print(f"{batch} volunteers x {RECORDS_PER_VOLUNTEER} records built in {time.perf_counter() - t0:.1f} s", flush=True)

    t0, c0 = time.perf_counter(), time.process_time()
    job = tasks.certificate_batch_start(actor=leader, node=team, period_start=None, period_end=None)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    job.refresh_from_db()
    if job.status != Job.Status.SUCCEEDED:
        raise SystemExit(f"batch failed: {job.error}")
    size = Path(job.result_path).stat().st_size
    results["batch"] = {
        "volunteers": job.report["total"],
        "issued": job.report["issued"],
        "reused": job.report["reused"],
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "ms_per_certificate": round(wall * 1000 / max(1, job.report["total"]), 1),
        "zip_mib": round(size / 2**20, 1),
    }
    print(f"batch: {results['batch']}", flush=True)
    jobs.remove_files(job)
    return results


def table(results: dict, meta: dict) -> str:
    lines = [
        f"Certificates — {meta['database']}, {meta['cpu']}, Python {meta['python']}, {meta['date']}",
        "",
        "| what | p50 ms | p95 ms | max ms | CPU p50 ms | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for records, r in results["render"].items():
        lines.append(
            f"| PDF from a snapshot, {records} record{'s' if records != 1 else ''} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['max_ms']} | {r['cpu_p50_ms']} | {r['pages']} page(s), {r['bytes'] / 1024:.0f} KiB, {r['runs']} runs |"
        )
    r = results["issue"]
    lines.append(
        f"| issue + PDF, 20 records (same facts again: reused) | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} "
        f"| {r['cpu_p50_ms']} | first issue {r['first_ms']} ms with {r['queries_first']} queries; {r['runs']} runs |"
    )
    b = results["batch"]
    lines += [
        "",
        f"Batch job: {b['volunteers']} volunteers ({RECORDS_PER_VOLUNTEER} records each), {b['issued']} issued: "
        f"{b['seconds']} s wall ({b['cpu_seconds']} s CPU), {b['ms_per_certificate']} ms per certificate, "
        f"zip {b['zip_mib']} MiB.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=1000, help="volunteers in the batch (default 1000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        results = measure(args.batch)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    meta = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "cpu": f"{cpu} ({os.cpu_count()} cores)",
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }
    print()
    print(table(results, meta))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, **results}, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
