"""(g) 派单推荐: `demands.recommend.rank_candidates` for needs in different districts and categories, on the
million-volunteer data set.

    python -m bench.recommend prepare           provider figures and team map points (once; marker in core_sequence)
    python -m bench.recommend measure OUT.json  p50/p95 per candidate kind and dispatcher, EXPLAIN of the slowest SQL

`prepare` adds what the recommender reads beyond the generator's tables, reproducibly (`setseed`): ProviderStats
for one volunteer in ten and half of the teams (in hand 0–3, done 0–40, 0–15 ratings), and a map point for every
team near a point of its city (needs get one too, so the haversine path runs). It touches no table another
measurement reads. VolunteerHours is whatever (d) left (empty when (d) has not run): the query runs either way.

`measure` picks NEEDS communities in as many districts (seeded), gives them the eleven categories in turn (巾帼…
and 其他, which no generated volunteer has: the recommender then reads every ring up to the city and fills up with
other categories, its slowest path) and preferred dates (Saturday, Wednesday, 国庆节, none), and ranks candidates
as each dispatcher would: the system (an automatic rule: the need's district), the district's admin, the city's
admin, and a platform admin (everything in scope). Each (kind, dispatcher) row: two warm-up calls, then every need
RUNS_PER_NEED times; the first call for a need meets its district's pages cold, as a dispatcher would.
"""

import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from bench.measure import explain_sql, percentiles

MARKER = "bench:recommend"
NEEDS = 40
RUNS_PER_NEED = 5
SEED = 20261205
TARGET_P95_MS = 100
DATES = [datetime.date(2026, 12, 12), datetime.date(2026, 12, 9), datetime.date(2026, 10, 1), None]
DESCRIPTIONS = ["独居老人需要上门陪伴聊天，懂心理疏导更好", "想咨询离婚财产和抚养权的法律问题", "孩子放学后没人辅导作业，需要家庭教育指导",
                "老人行动不便，想请人上门理发、打扫卫生", "社区想办一场防诈骗和禁毒宣传"]  # fmt: skip


def prepared() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM core_sequence WHERE name = %s", [MARKER])
        return cursor.fetchone() is not None


def prepare() -> dict:
    from django.db import connection, transaction

    if prepared():
        print("[recommend] provider figures and team points present", flush=True)
        return {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.20261205)")
        cursor.execute("DELETE FROM demands_providerstats")
        cursor.execute(
            """
            INSERT INTO demands_providerstats (volunteer_id, open_count, done_count, rating_sum, rating_count)
            SELECT id, o, d, CASE WHEN n = 0 THEN 0 ELSE n * 3 + floor(random() * (n * 2 + 1))::int END, n
            FROM (SELECT id, floor(random() * 4)::int AS o, floor(random() * 41)::int AS d,
                         floor(random() * 16)::int AS n
                  FROM volunteers_volunteer WHERE id % 10 = 3) v
            """
        )
        volunteers = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO demands_providerstats (team_id, open_count, done_count, rating_sum, rating_count)
            SELECT node_id, o, d, CASE WHEN n = 0 THEN 0 ELSE n * 3 + floor(random() * (n * 2 + 1))::int END, n
            FROM (SELECT node_id, floor(random() * 6)::int AS o, floor(random() * 120)::int AS d,
                         floor(random() * 30)::int AS n
                  FROM orgs_team WHERE node_id % 2 = 0) t
            """
        )
        teams = cursor.rowcount
        # A point per city (from its path), teams scattered within ~20 km of it.
        cursor.execute(
            """
            UPDATE orgs_team t SET
                latitude = round((21 + (abs(hashtext(substr(n.path, 1, 12))) % 2000) / 100.0
                                  + (random() - 0.5) * 0.3)::numeric, 6),
                longitude = round((100 + (abs(hashtext(substr(n.path, 1, 12) || 'lng')) % 2200) / 100.0
                                   + (random() - 0.5) * 0.3)::numeric, 6)
            FROM orgs_node n WHERE n.id = t.node_id
            """
        )
        cursor.execute("INSERT INTO core_sequence (name, value) VALUES (%s, 1)", [MARKER])
    with connection.cursor() as cursor:
        for table in ("demands_providerstats", "orgs_team"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    result = {"volunteer_stats": volunteers, "team_stats": teams, "seconds": round(time.perf_counter() - started, 1)}
    print(f"[recommend] prepared {result}", flush=True)
    return result


def city_point(path: str) -> tuple:
    """The need's map point: near its city's point, computed as `prepare` did for the teams."""
    from decimal import Decimal

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 21 + (abs(hashtext(%s)) %% 2000) / 100.0, 100 + (abs(hashtext(%s || 'lng')) %% 2200) / 100.0",
            [path[:12], path[:12]],
        )
        lat, lng = cursor.fetchone()
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def admin_for(node, role_name: str):
    from django.contrib.auth import get_user_model

    from jinguo.orgs.choices import Role
    from jinguo.orgs.models import RoleAssignment

    user, _ = get_user_model().objects.get_or_create(username=f"bench_rec_{role_name}_{node.pk}",
                                                     defaults={"display_name": f"{node.name}管理员"})  # fmt: skip
    if not RoleAssignment.objects.filter(user=user, node=node, revoked_at=None).exists():
        RoleAssignment.objects.create(user=user, role=Role.FEDERATION_ADMIN, node=node)
    return user


def subjects() -> list[dict]:
    """NEEDS unsaved needs, one per district, with their dispatchers."""
    from django.contrib.auth import get_user_model

    from jinguo.demands.models import Need
    from jinguo.orgs.choices import SERVICE_CATEGORIES, NodeKind
    from jinguo.orgs.models import Node

    rng = random.Random(SEED)
    communities = list(Node.objects.filter(kind=NodeKind.COMMUNITY).order_by("path").values_list("pk", "path"))
    by_district: dict[str, list[int]] = {}
    for pk, path in communities:
        by_district.setdefault(path[:16], []).append(pk)
    districts = rng.sample(sorted(by_district), NEEDS)
    platform, _ = get_user_model().objects.get_or_create(
        username="bench_rec_platform", defaults={"display_name": "平台管理员", "is_superuser": True}
    )
    codes = [code for code, _label in SERVICE_CATEGORIES]
    rows = []
    for index, district_path in enumerate(districts):
        node = Node.objects.get(pk=rng.choice(by_district[district_path]))
        district = Node.objects.get(path=district_path)
        city = Node.objects.get(path=district_path[:12])
        lat, lng = city_point(node.path)
        need = Need(
            number=f"BENCH{index:04d}", tracking_code=f"B{index:06d}", category=codes[index % len(codes)],
            description=DESCRIPTIONS[index % len(DESCRIPTIONS)], node=node, address="bench",
            latitude=lat, longitude=lng, preferred_date=DATES[index % len(DATES)],
            requester_name="bench", requester_phone="13900000000", source="proxy",
        )  # fmt: skip
        rows.append({
            "need": need,
            "users": {"system": None, "district_admin": admin_for(district, "d"), "city_admin": admin_for(city, "c"),
                      "platform_admin": platform},
        })  # fmt: skip
    return rows


SCOPES = {"system": "系统（自动派单规则，需求所在区县）", "district_admin": "区县管理员", "city_admin": "市管理员",
          "platform_admin": "平台管理员（全部范围）"}  # fmt: skip
KIND_LABELS = {"volunteer": "志愿者", "team": "队伍"}


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a PostgreSQL backend on this machine, from /proc (10 ms ticks: summed over a
    row's 200 calls, not per call). Parallel workers' CPU is not included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(out: Path) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jinguo.core.scope import get_scope
    from jinguo.demands.recommend import POOL_LIMIT, WEIGHTS, rank_candidates
    from jinguo.volunteers.models import Volunteer

    needs = subjects()
    rows, slowest = [], []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for kind in ("volunteer", "team"):
        for scope in SCOPES:
            first = needs[0]
            for _ in range(2):
                rank_candidates(first["need"], kind=kind, user=first["users"][scope])
            samples, per_category, queries, returned = [], {}, [], []
            cpu_started = (time.process_time(), backend_cpu(backend))
            for subject in needs:
                need, user = subject["need"], subject["users"][scope]
                if user is not None:
                    get_scope(user)  # resolved once per request by the middleware, not by the recommender
                for run in range(RUNS_PER_NEED):
                    connection.queries_log.clear()  # the log keeps 9,000 queries; the capture indexes into it
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        result = rank_candidates(need, kind=kind, user=user)
                        elapsed = time.perf_counter() - started
                    samples.append(elapsed)
                    per_category.setdefault(need.category, []).append(elapsed)
                    if run == 0:
                        queries.append(len(captured))
                        returned.append(len(result))
                        for q in captured.captured_queries:
                            slowest.append((float(q["time"]) * 1000, q["sql"], kind, scope, need.category))
            calls = len(samples)
            cpu = {"python_ms": round((time.process_time() - cpu_started[0]) * 1000 / calls, 1),
                   "postgresql_ms": round((backend_cpu(backend) - cpu_started[1]) * 1000 / calls, 1)}  # fmt: skip
            row = {"kind": kind, "scope": scope, **percentiles(samples), "cpu": cpu,
                   "queries_max": max(queries), "returned_min": min(returned),
                   "slowest_category": max(per_category, key=lambda c: statistics.median(per_category[c]))}  # fmt: skip
            rows.append(row)
            print(f"[recommend] {kind} {scope}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
                  f"max {row['max_ms']} ms, ≤ {row['queries_max']} queries, CPU {cpu}", flush=True)  # fmt: skip
    slowest.sort(reverse=True)
    plans = []
    for ms, sql, kind, scope, category in slowest[:2]:
        plans.append({"ms": round(ms, 1), "sql": sql, "kind": kind, "scope": scope, "category": category,
                      "plan": explain_sql(sql)})  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM demands_providerstats")
        stats_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM hours_volunteerhours")
        hours_rows = cursor.fetchone()[0]
    result = {
        "needs": NEEDS,
        "runs_per_need": RUNS_PER_NEED,
        "volunteers": Volunteer.objects.count(),
        "provider_stats_rows": stats_rows,
        "volunteer_hours_rows": hours_rows,
        "pool_limit": POOL_LIMIT,
        "weights": WEIGHTS,
        "rows": rows,
        "slowest_queries": plans,
        "target_p95_ms": TARGET_P95_MS,
    }
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


# ---- bench/run.py: (g) is measured and written on its own -------------------------------------------------------

START, END = "<!-- bench:g:start -->", "<!-- bench:g:end -->"


def run(python, work: Path, log) -> list[str]:
    """Called by bench/run.py for `--only=…,g`: prepare once, measure in a fresh process."""
    log("preparing (g) provider figures and team map points")
    python("-m", "bench.recommend", "prepare")
    log("measuring (g) dispatch recommender")
    python("-m", "bench.recommend", "measure", str(work / "recommend.json"))
    return ["recommend"]


def render(meta: dict, g: dict) -> str:
    info = meta["info"]
    worst = max(r["p95_ms"] for r in g["rows"])
    met = worst <= g["target_p95_ms"]
    lines = [
        START,
        "",
        f"测量时间：{info['when']}；命令：`make bench BENCH_ARGS=--only=g`（`python bench/run.py --only=g`，用时 "
        f"{meta['took'] / 60:.0f} 分钟）；代码版本 `{info['commit']}`。机器：{info['nproc']} 核，内存 {info['ram_gib']} GiB，"
        f"CPU {info['cpu']}；PostgreSQL {info['postgresql']}（shared_buffers {info['pg_settings']['shared_buffers']}，"
        f"work_mem {info['pg_settings']['work_mem']}，jit {info['pg_settings']['jit']}）；Python {info['python']}，"
        f"Django {info['django']}。测量开始与结束时平均负载 {' / '.join(f'{v:.1f}' for v in info['load'][0])}；"
        f"{' / '.join(f'{v:.1f}' for v in info['load'][1])}（同一台机器上还有其他工程师在跑测试）。",
        "",
        f"数据：志愿者 {g['volunteers']:,} 名（`bench/generate.py`），ProviderStats {g['provider_stats_rows']:,} 行"
        f"（`bench/recommend.py prepare`），VolunteerHours {g['volunteer_hours_rows']:,} 行。{g['needs']} 条需求，各在不同区县的社区，"
        f"服务类别轮换 11 类（含无人登记的「其他」），每条每种派单人测 {g['runs_per_need']} 次（另预热 2 次），"
        f"共 {g['needs'] * g['runs_per_need']} 次/行；候选池上限 {g['pool_limit']}，返回前 20 名。",
        "",
        "| 指标 | 目标 | 实测 | 结论 |",
        "|---|---|---|---|",
        f"| (g) 派单推荐 `rank_candidates`，{g['volunteers']:,} 名志愿者 | p95 ≤ {g['target_p95_ms']} ms | "
        f"p95 最差 {worst} ms | {'达标' if met else '**未达标**'} |",
        "",
        "| 候选 | 派单人（范围） | p50 ms | p95 ms | 最大 ms | 每次 CPU ms：Python / PostgreSQL | SQL 条数（最多） | 最慢的类别 | 结论 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    from jinguo.orgs.choices import SERVICE_CATEGORY_LABELS

    for r in g["rows"]:
        lines.append(
            f"| {KIND_LABELS[r['kind']]} | {SCOPES[r['scope']]} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
            f"{r['cpu']['python_ms']} / {r['cpu']['postgresql_ms']} | {r['queries_max']} | {SERVICE_CATEGORY_LABELS.get(r['slowest_category'], r['slowest_category'])} | "
            f"{'达标' if r['p95_ms'] <= g['target_p95_ms'] else '**未达标**'} |"
        )
    lines += ["", "测量中最慢的两条 SQL 及其计划（EXPLAIN ANALYZE，在全部计时结束后执行）：", ""]
    for q in g["slowest_queries"]:
        plan = "\n".join(q["plan"].splitlines()[:30])
        lines += [
            f"{KIND_LABELS[q['kind']]} · {SCOPES[q['scope']]} · {SERVICE_CATEGORY_LABELS.get(q['category'], q['category'])}："
            f"测量中 {q['ms']} ms",
            "",
            "```sql",
            q["sql"][:1500],
            "```",
            "```",
            plan,
            "```",
            "",
        ]
    lines.append(END)
    return "\n".join(lines)


def write_doc(doc: Path, meta: dict, work: Path) -> None:
    """Replace the part of docs/benchmarks.md between the (g) markers; the text around it stays."""
    path = work / "recommend.json"
    if not path.exists():
        return
    section = render(meta, json.loads(path.read_text()))
    text = doc.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _old, tail = rest.split(END, 1)
        doc.write_text(head + section + tail)
    else:
        doc.write_text(text.rstrip("\n") + "\n\n## 第 4 期：派单推荐\n\n" + section + "\n")


def main() -> None:
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "prepare":
        prepare()
    elif command == "measure":
        measure(Path(args[0]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
