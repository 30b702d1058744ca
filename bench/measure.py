"""The measurements, each run in its own process so that its peak memory is its own:

    python -m bench.measure counts     OUT.json   (c) subtree_counts: root, a province, a city, a district, a community
    python -m bench.measure search     OUT.json   (b) roster page render and search_volunteers(...)[:20], common filters
    python -m bench.measure importfile FILE.xlsx  writes the 100,000-row volunteer xlsx for (a)
    python -m bench.measure import     OUT.json FILE.xlsx   (a) validate_file + commit_file, then removes the rows

`bench/run.py` calls them and writes docs/benchmarks.md. Timings are wall-clock inside this process (the Django test
client runs the whole request: middleware, view, queries, template), after two warm-up runs.
"""

import datetime
import json
import math
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
WARMUP = 2
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
IMPORT_BAD_ROWS = 100  # wrong check character
IMPORT_DUPLICATE_ROWS = 100  # people already registered
# 厦门 and 平顶山 districts (GB/T 2260): the ID numbers in the import file are of people born there.
IMPORT_REGIONS = ["350203", "350205", "350206", "350211", "350212", "350213", "410402", "410403", "410404", "410411",
                  "410421", "410422", "410423", "410425", "410481", "410482"]  # fmt: skip


def percentiles(samples: list[float]) -> dict:
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
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def queries_of(func) -> list[tuple[float, str]]:
    """The SQL statements `func` runs, slowest first (duration in ms, SQL with its parameters inlined)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        func()
    return sorted(((float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries), reverse=True)


def explain_sql(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


# ---- the subjects: the biggest city, its biggest district, and users who administer them ------------------------


def subjects() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from jinguo.orgs.choices import NodeKind, Role
    from jinguo.orgs.models import Node, RoleAssignment

    def biggest(depth: int, prefix: str = "") -> Node:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT substr(n.path, 1, %s) AS p, sum(c.volunteers) FROM orgs_nodecounter c "
                "JOIN orgs_node n ON n.id = c.node_id WHERE n.path LIKE %s AND n.depth >= %s "
                "GROUP BY p ORDER BY 2 DESC, p LIMIT 1",
                [depth * Node.steplen, prefix + "%", depth],
            )
            path = cursor.fetchone()[0]
        return Node.objects.get(path=path)

    city = biggest(3)
    district = biggest(4, city.path)
    User = get_user_model()
    users = {}
    for username, node in (("bench_city_admin", city), ("bench_district_admin", district)):
        user, _ = User.objects.get_or_create(username=username, defaults={"display_name": username})
        if not RoleAssignment.objects.filter(user=user, node=node, revoked_at=None).exists():
            RoleAssignment.objects.create(user=user, role=Role.FEDERATION_ADMIN, node=node)
        users[username] = user
    return {
        "root": Node.objects.get(depth=1),
        "province": Node.objects.get(path=city.path[: 2 * Node.steplen]),
        "city": city,
        "district": district,
        "community": Node.objects.filter(path__startswith=district.path, kind=NodeKind.COMMUNITY)
        .order_by("path")
        .first(),
        "city_admin": users["bench_city_admin"],
        "district_admin": users["bench_district_admin"],
    }


def describe(node) -> dict:
    from jinguo.orgs.selectors import subtree_counts

    return {"id": node.pk, "name": node.name, "kind": node.get_kind_display(), **subtree_counts(node)}


# ---- (c) subtree counts -----------------------------------------------------------------------------------------


def measure_counts() -> dict:
    from jinguo.orgs.selectors import subtree_counts

    s = subjects()
    results = {}
    for key in ("root", "province", "city", "district", "community"):
        node = s[key]
        results[key] = {**describe(node), **timed(lambda node=node: subtree_counts(node))}
        (_ms, sql), *_ = queries_of(lambda node=node: subtree_counts(node))
        results[key]["plan"] = explain_sql(sql)
        print(f"[counts] {key}: p95 {results[key]['p95_ms']} ms", flush=True)
    return results


# ---- (b) roster search and page render --------------------------------------------------------------------------


def filters_for(s: dict) -> list[tuple[str, dict, dict]]:
    """(label, query parameters of the page, search_volunteers kwargs) for the common filters."""
    from jinguo.orgs.models import Node
    from jinguo.volunteers.models import Volunteer

    district = s["district"]
    sample = Volunteer.objects.filter(home_node__path__startswith=district.path).order_by("id")[5]
    keyword = sample.name[:2]
    team = Node.objects.filter(path__startswith=district.path, kind="team").order_by("path").first()
    return [
        ("无筛选", {}, {}),
        (f"姓名关键词「{keyword}」", {"q": keyword}, {"q": keyword}),
        (f"拼音首字母「{sample.name_initials}」", {"q": sample.name_initials}, {"q": sample.name_initials}),
        (f"手机尾号「{sample.phone_last4}」", {"q": sample.phone_last4}, {"q": sample.phone_last4}),
        (f"队伍「{team.name}」及下级", {"team": team.pk}, {"team": team}),
        ("服务类别：巾帼法律维权", {"category": "legal"}, {"categories": ["legal"]}),
        ("状态：待本人确认", {"status": "pending"}, {"status": "pending"}),
        ("年龄段：36-45岁", {"age_band": "36-45"}, {"age_band": "36-45"}),
    ]


def measure_search() -> dict:
    from django.test import Client
    from django.urls import reverse

    from jinguo.core.paging import COUNT_CAP
    from jinguo.volunteers.selectors import SORTS, search_volunteers

    s = subjects()
    url = reverse("volunteers:list")
    results = {"url": url, "subjects": {k: describe(s[k]) for k in ("city", "district")}, "rows": []}
    for role in ("district_admin", "city_admin"):
        user = s[role]
        client = Client()
        client.force_login(user)
        for label, params, kwargs in filters_for(s):

            def page(params=params, client=client):
                response = client.get(url, params)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} {params}: HTTP {response.status_code}")

            def search(kwargs=kwargs, user=user):
                return list(search_volunteers(user, **kwargs).order_by(*SORTS["recent"])[:20])

            row = {
                "role": role,
                "filter": label,
                "params": {k: str(v) for k, v in params.items()},
                "matches": search_volunteers(user, **kwargs)[: COUNT_CAP + 1].count(),
                "page": timed(page),
                "search": timed(search),
            }
            slowest = queries_of(page)[:2]
            row["slowest_queries"] = [{"ms": round(ms, 1), "sql": sql, "plan": explain_sql(sql)} for ms, sql in slowest]
            results["rows"].append(row)
            print(
                f"[search] {role} {label}: page p50/p95 {row['page']['p50_ms']}/{row['page']['p95_ms']} ms, "
                f"search p50/p95 {row['search']['p50_ms']}/{row['search']['p95_ms']} ms",
                flush=True,
            )
    return results


# ---- (a) import -------------------------------------------------------------------------------------------------


def import_subject():
    """The biggest district's top team: the import goes into it, residents of the district's communities."""
    from jinguo.orgs.models import Node

    s = subjects()
    district = s["district"]
    team = Node.objects.filter(path__startswith=district.path, kind="team").order_by("path").first()
    return s["district_admin"], district, team


def write_import_file(path: Path, seed: int = 20261124) -> None:
    """The template's columns, filled in as people do; a few bad rows and people already registered."""
    from openpyxl import Workbook
    from stdnum.cn import ric

    from jinguo.core import synthetic
    from jinguo.core.ids import make_resident_id
    from jinguo.orgs.models import Node
    from jinguo.volunteers.imports.columns import HEADERS, SHEET_TITLE
    from jinguo.volunteers.models import Volunteer

    _actor, district, _team = import_subject()
    rng = random.Random(seed)
    communities = list(
        Node.objects.filter(path__startswith=district.path, kind="community").values_list("name", flat=True)
    )
    registered = []  # people already registered, with region codes python-stdnum can look up
    for volunteer in Volunteer.objects.order_by("id").iterator():
        number = volunteer.decrypt_id_number()
        try:
            ric.get_birth_place(number)
        except Exception:  # noqa: S112 - stdnum raises KeyError for some unknown codes
            continue
        registered.append(number)
        if len(registered) == IMPORT_DUPLICATE_ROWS:
            break
    columns = ["name", "id_type", "id_number", "phone", "ethnicity", "political_status", "education", "skills",
               "categories", "availability", "force_type", "residence"]  # fmt: skip
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.append([HEADERS[c] for c in columns])
    today = datetime.date.today()
    seen: set[str] = set()
    bad_every = IMPORT_ROWS // IMPORT_BAD_ROWS
    for index in range(IMPORT_ROWS):
        sex = "M" if rng.random() < 0.1 else "F"
        while True:
            # Real region codes; serials 998 (women) and 999 (men), which bench/generate.py never uses, so only
            # the planted duplicates collide with registered volunteers.
            born = synthetic.birth_date(rng, 18, 70, today=today)
            number = make_resident_id(rng.choice(IMPORT_REGIONS), born, 999 if sex == "M" else 998)
            if number not in seen:
                seen.add(number)
                break
        if index % bad_every == 7:
            number = number[:17] + ("0" if number[17] != "0" else "1")  # wrong check character
        elif index % bad_every == 11 and registered:
            number = registered.pop()
        sheet.append([
            synthetic.name(rng, sex), "居民身份证", number, synthetic.mobile(rng), "汉族", "群众", "本科", "家庭教育",
            "巾帼爱心帮扶、巾帼家庭教育", "双休日", "主体力量", rng.choice(communities),
        ])  # fmt: skip
    workbook.save(path)


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_import(path: Path) -> dict:
    from django.db import connection, transaction
    from django.db.models import Count

    from jinguo.orgs.services import counter_add
    from jinguo.volunteers.imports.services import commit_file, validate_file
    from jinguo.volunteers.models import Membership, Volunteer

    actor, district, team = import_subject()
    baseline = maxrss_mib()
    started = time.perf_counter()
    # As the import page does: the preview keeps the rows it checked, the commit inserts them (file read once).
    keep = path.with_name("prepared-rows.pickle")
    preview = validate_file(path, actor=actor, team=team, keep_to=keep)
    validated = time.perf_counter()
    report = commit_file(
        path,
        actor=actor,
        team=team,
        only_valid=True,
        expected_valid_rows=preview.valid_rows,
        prepared=keep,
        prepared_digest=preview.prepared_digest,
    )
    keep.unlink(missing_ok=True)
    committed = time.perf_counter()
    peak = maxrss_mib()
    rows = preview.rows
    result = {
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "rows": rows,
        "valid_rows": len(preview.valid_rows),
        "bad_rows": len({row for row, _c, _m in preview.errors}),
        "created": report.created,
        "validate_s": round(validated - started, 1),
        "commit_s": round(committed - validated, 1),
        "total_s": round(committed - started, 1),
        "rows_per_s": round(rows / (committed - started)),
        "validate_rows_per_s": round(rows / (validated - started)),
        "commit_rows_per_s": round(rows / (committed - validated)),
        "baseline_rss_mib": round(baseline),
        "peak_rss_mib": round(peak),
        "team": team.name,
        "district": district.name,
    }
    # Put the data set back as it was: the rows just imported go, with their counter contributions.
    ids = report.created_ids
    with transaction.atomic():
        for row in Volunteer.objects.filter(pk__in=ids).values("home_node_id").annotate(n=Count("id")):
            counter_add(row["home_node_id"], volunteers=-row["n"])
        members = Membership.objects.filter(volunteer_id__in=ids, status="active")
        for row in members.values("team_id").annotate(n=Count("id")):
            counter_add(row["team_id"], members=-row["n"])
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM volunteers_membership WHERE volunteer_id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM volunteers_volunteer WHERE id = ANY(%s)", [ids])
    # 100,000 dead rows are below autovacuum's threshold on a 1M-row table, and they slow every later search
    # (index entries to skip, visibility map cleared): clean up now.
    with connection.cursor() as cursor:
        for table in ("volunteers_volunteer", "volunteers_membership", "orgs_nodecounter"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return result


def main() -> None:
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "importfile":
        write_import_file(Path(args[0]))
        return
    if command == "counts":
        result = measure_counts()
    elif command == "search":
        result = measure_search()
    elif command == "import":
        result = measure_import(Path(args[1]))
    else:
        raise SystemExit(f"unknown measurement {command!r}")
    Path(args[0]).write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
