"""The service-record ledger at scale (issue 3, section 8): 10,000,000 ServiceRecord rows and the hours roll-up.

    python -m bench.hours generate [--records 10000000] [--seed S] [--json OUT]   COPY the ledger, derive the caches
    python -m bench.hours measure OUT.json                                          time the roll-ups, check the caches

The ledger is written as the services would have left it, only faster: for each active volunteer of the data set
(bench/generate.py) a skewed number of records on distinct days of the last three years (no overlaps, R15),
organised by one of her teams (85 %) or by her community, street or district federation (15 %); QR and code
check-ins, roster entries and late entries (R27 marks the latter two `entered_by_other`); 2.5 % held for review and
1 % rejected (R28); and 1 % of the entries corrected by a later correction entry (append-only: the correction names
the entry, the entry points to its correction, `hours_delta` is new minus old).

The caches (`VolunteerHours`, `NodeHours`) and the star levels are then computed in SQL from those rows, i.e. by
the definition `ledger.rebuild_hours` checks (current entries, counted ones only, per calendar year of the service
date); the measurement checks that they agree with the ledger, in SQL over all rows and with `rebuild_hours` itself.
"""

import argparse
import datetime
import io
import json
import os
import random
import sys
import time
from decimal import Decimal

from bench.generate import Table, drop_secondary, text
from bench.measure import explain_sql, maxrss_mib, queries_of, timed

MARKER = "bench:records"
RECORDS = 10_000_000
YEARS_BACK = 3
TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai has had no DST since 1991
CORRECTION_SHARE = 0.01
METHODS = ["qr"] * 70 + ["code"] * 10 + ["roster"] * 15 + ["import"] * 5
SELF = {"qr", "code"}
CONTENTS = ["关爱空巢老人入户走访", "社区普法宣传", "家庭教育公益讲座", "邻里守望巡逻", "儿童课后托管陪伴",
            "文明交通劝导", "垃圾分类指导", "困难妇女帮扶探访"]  # fmt: skip
HOLD = "同一账号短时间内录入大量记录"


def log(message: str) -> None:
    print(f"[hours] {message}", flush=True)


def records_in_db() -> int:
    from jinguo.core.models import Sequence

    row = Sequence.objects.filter(name=MARKER).first()
    return row.value if row else 0


# ---- generate -------------------------------------------------------------------------------------------------


def _people(cursor):
    """(volunteer id, [her active teams], [community, street, district node ids]) of every active volunteer."""
    cursor.execute("SELECT id, path FROM orgs_node WHERE kind IN ('community', 'street', 'district')")
    by_path = {path: pk for pk, path in cursor.fetchall()}
    cursor.execute(
        "SELECT v.id, n.path, coalesce(array_agg(m.team_id) FILTER (WHERE m.team_id IS NOT NULL), '{}') "
        "FROM volunteers_volunteer v JOIN orgs_node n ON n.id = v.home_node_id "
        "LEFT JOIN volunteers_membership m ON m.volunteer_id = v.id AND m.status = 'active' "
        "WHERE v.status = 'active' GROUP BY v.id, n.path ORDER BY v.id"
    )
    people = []
    for vid, path, teams in cursor.fetchall():
        federation = [by_path[p] for p in (path, path[:-4], path[:-8]) if p in by_path]
        people.append((vid, list(teams), federation))
    return people


def generate(*, records: int, seed: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from jinguo.core.models import Sequence
    from jinguo.hours.models import ServiceRecord

    rng = random.Random(seed)
    started = time.monotonic()
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=365 * YEARS_BACK)
    span = (today - first_day).days  # the days before today: a record is never in the future
    now = timezone.now().replace(microsecond=0)
    columns = ["id", "volunteer_id", "organiser_id", "service_date", "start_at", "end_at", "hours", "hours_delta",
               "place", "content", "method", "entered_by_other", "kind", "corrects_id", "superseded_by_id", "reason",
               "status", "hold_reason", "recorded_at"]  # fmt: skip
    table = Table(ServiceRecord, columns, now)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        people = _people(cursor)
        log(f"{len(people):,} active volunteers; writing {records:,} records")
        # One pass over the volunteers, so that no one is drawn twice (her days are distinct within one draw):
        # aim a tenth above the total and stop at it.
        mean = 1.1 * records / len(people)
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("TRUNCATE hours_servicerecord, hours_volunteerhours, hours_nodehours, hours_starchange CASCADE")
        cursor.execute("UPDATE volunteers_volunteer SET star_level = 0 WHERE star_level <> 0")
        restore = drop_secondary(cursor, "hours_servicerecord")
        counts = {"entries": 0, "corrections": 0, "held": 0, "rejected": 0, "volunteers": 0}  # volunteers with records

        def rows():
            next_id = 1
            reported = [0]
            buffer = io.StringIO()
            order = list(range(len(people)))
            rng.shuffle(order)
            for index in order:  # one pass (see `mean`)
                vid, teams, federation = people[index]
                # Skewed: most serve a few times, some very often (mean `mean`, at most one record a day).
                n = min(int(rng.expovariate(1 / mean)) + 1, 300, records - next_id + 1)
                if n <= 0:
                    yield buffer.getvalue()
                    return
                counts["volunteers"] += 1
                for offset in rng.sample(range(span), n):
                    if next_id > records:
                        break
                    day = first_day + datetime.timedelta(days=offset)
                    start = datetime.datetime(day.year, day.month, day.day, rng.randint(8, 17),
                                              rng.choice((0, 30)), tzinfo=TZ)  # fmt: skip
                    halves = rng.randint(1, 8)
                    end = start + datetime.timedelta(minutes=30 * halves)
                    hours = Decimal(halves) / 2
                    if teams and rng.random() < 0.85:
                        organiser = rng.choice(teams)
                    else:
                        organiser = rng.choice(federation)
                    method = rng.choice(METHODS)
                    late = method in ("import", "roster") and rng.random() < 0.5
                    recorded = end + datetime.timedelta(
                        minutes=rng.randint(1, 30), days=rng.randint(1, 6) if late else 0
                    )
                    roll = rng.random()
                    status, hold = "verified", ""
                    if roll < 0.025:
                        status, hold = "held", HOLD
                        counts["held"] += 1
                    elif roll < 0.035:
                        status, hold = "rejected", HOLD
                        counts["rejected"] += 1
                    content = rng.choice(CONTENTS)
                    corrected = status != "rejected" and next_id < records and rng.random() < CORRECTION_SHARE
                    entry_id = next_id
                    buffer.write(table.line("\t".join((
                        str(entry_id), str(vid), str(organiser), day.isoformat(), text(start), text(end),
                        str(hours), str(hours), "", content, method, "f" if method in SELF else "t", "entry",
                        r"\N", str(entry_id + 1) if corrected else r"\N", "", status, hold, text(recorded),
                    ))))  # fmt: skip
                    counts["entries"] += 1
                    next_id += 1
                    if corrected:
                        new_halves = max(1, halves + rng.choice((-1, 1)))
                        new_hours = Decimal(new_halves) / 2
                        buffer.write(table.line("\t".join((
                            str(next_id), str(vid), str(organiser), day.isoformat(), text(start),
                            text(start + datetime.timedelta(minutes=30 * new_halves)), str(new_hours),
                            str(new_hours - hours), "", content, "correction", "t", "correction", str(entry_id),
                            r"\N", "签退时间有误，本人申请更正", status, hold,
                            text(recorded + datetime.timedelta(days=7)),
                        ))))  # fmt: skip
                        counts["corrections"] += 1
                        next_id += 1
                if buffer.tell() > 1 << 23:
                    yield buffer.getvalue()
                    buffer = io.StringIO()
                    if next_id // 1_000_000 != reported[0]:
                        reported[0] = next_id // 1_000_000
                        rate = next_id / (time.monotonic() - started)
                        log(f"records: {next_id - 1:,} ({rate:,.0f}/s)")
                if next_id > records:
                    yield buffer.getvalue()
                    return
            raise RuntimeError(f"only {next_id - 1:,} records from one pass over the volunteers")

        table.copy(raw, rows())
        loaded = time.monotonic()
        log(f"copied in {loaded - started:.0f} s; rebuilding {len(restore)} indexes and constraints")
        for statement in restore:
            cursor.execute(statement)
        cursor.execute("SELECT setval(pg_get_serial_sequence('hours_servicerecord', 'id'), %s)", [records])
        indexed = time.monotonic()
        log(f"indexes rebuilt in {indexed - loaded:.0f} s; deriving the caches in SQL")
        derive_caches(cursor)
        Sequence.objects.update_or_create(name=MARKER, defaults={"value": records})
        cached = time.monotonic()
    with connection.cursor() as cursor:
        for name in ("hours_servicerecord", "hours_volunteerhours", "hours_nodehours", "volunteers_volunteer"):
            cursor.execute(f"VACUUM ANALYZE {name}")
        cursor.execute("SELECT count(*) FROM hours_nodehours")
        node_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM hours_volunteerhours")
        volunteer_rows = cursor.fetchone()[0]
        cursor.execute("SELECT pg_total_relation_size('hours_servicerecord')")
        size = cursor.fetchone()[0]
    summary = {
        "records": records,
        **counts,
        "node_hours_rows": node_rows,
        "volunteer_hours_rows": volunteer_rows,
        "table_gib": round(size / 2**30, 2),
        "copy_s": round(loaded - started),
        "index_s": round(indexed - loaded),
        "caches_s": round(cached - indexed),
        "seconds": round(time.monotonic() - started),
        "seed": seed,
    }
    log(f"done: {summary}")
    return summary


COUNTED = "FROM hours_servicerecord WHERE superseded_by_id IS NULL AND status = 'verified'"


def derive_caches(cursor) -> None:
    """The caches and star levels by their definition (what rebuild_hours recomputes), in SQL."""
    from django.conf import settings

    # Constant SQL text (no input reaches these f-strings).
    cursor.execute(
        "INSERT INTO hours_nodehours (node_id, year, hours, records) "  # noqa: S608
        f"SELECT organiser_id, extract(year FROM service_date)::int, sum(hours), count(*) {COUNTED} GROUP BY 1, 2"
    )
    cursor.execute(
        "INSERT INTO hours_volunteerhours (volunteer_id, year, hours, records) "  # noqa: S608
        f"SELECT volunteer_id, extract(year FROM service_date)::int, sum(hours), count(*) {COUNTED} GROUP BY 1, 2"
    )
    levels = " + ".join(f"(CASE WHEN t.total >= {int(h)} THEN 1 ELSE 0 END)" for h in settings.STAR_THRESHOLDS)
    cursor.execute(  # the thresholds are integers from the settings
        f"UPDATE volunteers_volunteer v SET star_level = {levels} "  # noqa: S608
        "FROM (SELECT volunteer_id, sum(hours) AS total FROM hours_volunteerhours GROUP BY 1) t "
        f"WHERE v.id = t.volunteer_id AND t.total >= {int(settings.STAR_THRESHOLDS[0])}"
    )
    # Her history says how she got there: one promotion per level, dated at the time of the data set.
    cursor.execute(
        "INSERT INTO hours_starchange (volunteer_id, from_level, to_level, total_hours, changed_at) "
        "SELECT v.id, 0, v.star_level, t.total, now() FROM volunteers_volunteer v "
        "JOIN (SELECT volunteer_id, sum(hours) AS total FROM hours_volunteerhours GROUP BY 1) t "
        "ON t.volunteer_id = v.id WHERE v.star_level > 0"
    )


# ---- measure --------------------------------------------------------------------------------------------------


def sql_check(cursor) -> dict:
    """Differences between the caches and the ledger, over every row (a FULL JOIN per cache)."""
    out = {}
    for name, key, table in (("node", "organiser_id", "hours_nodehours"),
                             ("volunteer", "volunteer_id", "hours_volunteerhours")):  # fmt: skip
        column = "node_id" if name == "node" else "volunteer_id"
        started = time.monotonic()
        cursor.execute(
            f"WITH ledger AS (SELECT {key} AS k, extract(year FROM service_date)::int AS y, sum(hours) AS h, "  # noqa: S608
            f"count(*) AS n {COUNTED} GROUP BY 1, 2) "
            f"SELECT count(*) FROM ledger FULL JOIN {table} c ON c.{column} = ledger.k AND c.year = ledger.y "
            "WHERE ledger.k IS NULL OR c.id IS NULL OR c.hours <> ledger.h OR c.records <> ledger.n"
        )
        out[name] = {"differences": cursor.fetchone()[0], "seconds": round(time.monotonic() - started, 1)}
    return out


def subjects() -> dict:
    """The root, and the province, city and district with the most counted hours (the biggest roll-ups)."""
    from django.db import connection

    from jinguo.orgs.models import Node

    def biggest(depth: int, prefix: str = "") -> Node:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT substr(n.path, 1, %s) AS p, sum(c.hours) FROM hours_nodehours c "
                "JOIN orgs_node n ON n.id = c.node_id WHERE n.path LIKE %s AND n.depth >= %s "
                "GROUP BY p ORDER BY 2 DESC, p LIMIT 1",
                [depth * Node.steplen, prefix + "%", depth],
            )
            return Node.objects.get(path=cursor.fetchone()[0])

    province = biggest(2)
    city = biggest(3, province.path)
    return {"root": Node.objects.get(depth=1), "province": province, "city": city,
            "district": biggest(4, city.path)}  # fmt: skip


def direct_sum(node) -> dict:
    """The same figure without the cache: a SUM over the ledger's current, counted entries in the subtree."""
    from django.db.models import Count, Sum

    from jinguo.hours.models import ServiceRecord

    qs = ServiceRecord.objects.current().counted()
    if node.depth > 1:
        qs = qs.filter(organiser__path__startswith=node.path)
    figures = qs.aggregate(hours=Sum("hours"), records=Count("id"))
    return {"hours": figures["hours"] or Decimal(0), "records": figures["records"]}


def measure() -> dict:
    from django.db import connection
    from django.utils import timezone

    from jinguo.hours import ledger

    runs = int(os.environ.get("BENCH_RUNS", "30"))
    direct_runs = int(os.environ.get("BENCH_DIRECT_RUNS", "3"))
    year = timezone.localdate().year
    result = {"records": records_in_db(), "rows": []}
    for key, node in subjects().items():
        cached = ledger.subtree_hours(node)
        direct = direct_sum(node)
        row = {
            "key": key,
            "name": node.name,
            "kind": node.get_kind_display(),
            "hours": str(cached["hours"]),
            "records": cached["records"],
            "agrees": cached == direct,
            "direct_hours": str(direct["hours"]),
            "cached": timed(lambda node=node: ledger.subtree_hours(node), runs),
            "cached_year": timed(lambda node=node: ledger.subtree_hours(node, year), runs),
            "direct": timed(lambda node=node: direct_sum(node), direct_runs),
        }
        (_ms, sql), *_ = queries_of(lambda node=node: ledger.subtree_hours(node))
        row["plan"] = explain_sql(sql)
        (_ms, sql), *_ = queries_of(lambda node=node: direct_sum(node))
        row["direct_plan"] = explain_sql(sql)
        result["rows"].append(row)
        log(f"{key} {node.name}: subtree_hours p50/p95 {row['cached']['p50_ms']}/{row['cached']['p95_ms']} ms, "
            f"direct SUM p50 {row['direct']['p50_ms']} ms, agrees {row['agrees']}")  # fmt: skip
    with connection.cursor() as cursor:
        result["sql_check"] = sql_check(cursor)
        log(f"caches against the ledger in SQL: {result['sql_check']}")
    if os.environ.get("BENCH_SKIP_REBUILD") != "1":
        started = time.monotonic()
        baseline = maxrss_mib()
        diffs = ledger.rebuild_hours(fix=False)
        result["rebuild"] = {
            "differences": len(diffs),
            "sample": [str(d) for d in diffs[:5]],
            "seconds": round(time.monotonic() - started, 1),
            "peak_rss_mib": round(maxrss_mib()),
            "baseline_rss_mib": round(baseline),
        }
        log(f"rebuild_hours(fix=False): {result['rebuild']}")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate", "measure"])
    parser.add_argument("out", nargs="?", help="write the summary or the results here (JSON)")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.command == "generate":
        result = generate(records=args.records, seed=args.seed)
    else:
        result = measure()
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, ensure_ascii=False, indent=1, default=str)


if __name__ == "__main__":
    sys.exit(main())
