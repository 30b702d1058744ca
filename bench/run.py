"""`make bench`: build the large data set on PostgreSQL if it is missing, measure, write docs/benchmarks.md.

    python bench/run.py [--volunteers 1000000] [--seed 20261123] [--rebuild] [--only a,b,c]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jinguo_bench) names a database this command may drop and
recreate: never point it at real data. The figures replace the part of docs/benchmarks.md between the
`bench:results` markers; the analysis written by people around it stays.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
WORK = ROOT / "var" / "bench"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
TARGETS = {"import_rows_per_s": 5000, "import_peak_mib": 1024, "search_p95_ms": 100, "counts_p95_ms": 50}
# Issue 3: (d) hours roll-up, (e) QR check-in burst, (f) certificates.
TARGETS.update({"hours_ms": 100, "checkin_per_s": 500, "checkin_p99_ms": 100, "certificate_ms": 50})
ISSUE3 = (("d", "hours"), ("e", "checkin"), ("f", "certificates"))

sys.path.insert(0, str(ROOT))
from bench import recommend as issue4  # noqa: E402
from bench.settings import DATABASE_URL  # noqa: E402  (needs the project root on sys.path)

ENV = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": DATABASE_URL, "PYTHONPATH": str(ROOT)}


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def python(*args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=ENV, check=True)


def connect(dbname: str | None = None):
    import psycopg

    url = urlparse(DATABASE_URL)
    if dbname:
        url = url._replace(path="/" + dbname)
    return psycopg.connect(urlunparse(url), autocommit=True)


def ensure_database(rebuild: bool) -> None:
    from psycopg import sql

    name = urlparse(DATABASE_URL).path.lstrip("/")
    with connect("postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            log(f"dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    python("manage.py", "migrate", "--noinput", "-v", "0")


def dataset_size() -> int:
    with connect() as conn:
        row = conn.execute("SELECT value FROM core_sequence WHERE name = 'bench:dataset'").fetchone()
    return row[0] if row else 0


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))  # fmt: skip
    with connect() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit")
        }
    import django

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kib / 2**20, 1),
        "cpu": cpu,
        "postgresql": version,
        "pg_settings": settings,
        "python": platform.python_version(),
        "django": django.get_version(),
        "commit": commit.stdout.strip() or "unknown",
    }


def load(values) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


def verdict(ok: bool) -> str:
    return "达标" if ok else "**未达标**"


def render(info: dict, dataset: dict, results: dict, command: str, took: float, issue3: dict | None = None) -> str:
    lines = [START, ""]
    lines += [
        f"测量时间：{info['when']}；命令：`{command}`（用时 {took / 60:.0f} 分钟）；代码版本 `{info['commit']}`。",
        "",
        f"机器：{info['nproc']} 核（`nproc`），内存 {info['ram_gib']} GiB，CPU {info['cpu']}；"
        f"PostgreSQL {info['postgresql']}（默认配置：shared_buffers {info['pg_settings']['shared_buffers']}，"
        f"work_mem {info['pg_settings']['work_mem']}，random_page_cost {info['pg_settings']['random_page_cost']}，"
        f"jit {info['pg_settings']['jit']}）；Python {info['python']}，Django {info['django']}。"
        f"测量开始与结束时系统 1/5/15 分钟平均负载：{load(info['load'][0])}；{load(info['load'][1])}"
        "（同一台机器上还有其他进程在运行，负载高于核数时计时会偏长）。",
        "",
        f"数据集（`bench/generate.py`，种子 {dataset.get('seed')}）：组织节点 {dataset.get('nodes', 0):,} 个"
        f"（其中队伍 {dataset.get('teams', 0):,} 支，市 {dataset.get('cities', 0)} 个，区县 {dataset.get('districts', 0):,} 个，"
        f"社区 {dataset.get('communities', 0):,} 个），志愿者 {dataset.get('volunteers', 0):,} 名，"
        f"队伍成员关系 {dataset.get('memberships', 0):,} 条；NodeCounter 与源数据核对差异 "
        f"{dataset.get('counter_drift', '未核对')} 处。"
        + (f"生成用时 {dataset['seconds']:.0f} 秒。" if dataset.get("seconds") else ""),
        "",
        "| 指标 | 目标 | 实测 | 结论 |",
        "|---|---|---|---|",
    ]
    a, b, c = results.get("import"), results.get("search"), results.get("counts")
    if a:
        lines.append(
            f"| (a) 导入 {a['rows']:,} 行 xlsx（检查 + 导入，端到端） | ≥ {TARGETS['import_rows_per_s']:,} 行/秒，"
            f"峰值内存 < 1 GiB | {a['rows_per_s']:,} 行/秒，峰值 RSS {a['peak_rss_mib']} MiB | "
            f"{verdict(a['rows_per_s'] >= TARGETS['import_rows_per_s'] and a['peak_rss_mib'] < TARGETS['import_peak_mib'])} |"
        )
    if b:
        worst_page = max(r["page"]["p95_ms"] for r in b["rows"])
        worst_search = max(r["search"]["p95_ms"] for r in b["rows"])
        missed = sum(1 for r in b["rows"] if r["page"]["p95_ms"] > TARGETS["search_p95_ms"])
        lines.append(
            f"| (b) 花名册检索 + 页面渲染，{dataset.get('volunteers', 0):,} 名志愿者 | 常用筛选 p95 ≤ "
            f"{TARGETS['search_p95_ms']} ms | 页面 p95 最差 {worst_page:.0f} ms，检索 p95 最差 {worst_search:.0f} ms；"
            f"{len(b['rows']) - missed}/{len(b['rows'])} 项达标 | {verdict(missed == 0)} |"
        )
    if c:
        worst = max(v["p95_ms"] for v in c.values())
        lines.append(
            f"| (c) 任一节点下级的成员数、队伍数 | ≤ {TARGETS['counts_p95_ms']} ms | p95 最差 {worst:.1f} ms | "
            f"{verdict(worst <= TARGETS['counts_p95_ms'])} |"
        )
    if a:
        lines += [
            "",
            "### (a) 批量导入",
            "",
            f"文件 {a['file_mib']} MiB，{a['rows']:,} 行（其中 {a['bad_rows']} 行有问题：校验位错误或已登记），"
            f"导入「{a['district']}」下的「{a['team']}」，按预览结果仅导入有效行（`validate_file(keep_to=…)` "
            f"检查并保存已校验、已加密的行，再 `commit_file(only_valid=True, prepared=…)` 复核文件哈希、数据库查重后写入，"
            f"与页面上的操作相同）。",
            "",
            "| 阶段 | 用时 | 行/秒 |",
            "|---|---|---|",
            f"| 检查（预览：解析、校验、查重、加密） `validate_file` | {a['validate_s']} s | {a['validate_rows_per_s']:,} |",
            f"| 导入（复核查重 + 写入） `commit_file` | {a['commit_s']} s | {a['commit_rows_per_s']:,} |",
            f"| 端到端 | {a['total_s']} s | {a['rows_per_s']:,} |",
            "",
            f"新建志愿者 {a['created']:,} 名；进程峰值内存（`getrusage` maxrss）{a['peak_rss_mib']} MiB，"
            f"开始导入前 {a['baseline_rss_mib']} MiB。测量后导入的数据已删除，计数已还原。",
        ]
    if b:
        subj = b["subjects"]
        lines += [
            "",
            "### (b) 花名册检索",
            "",
            f"区县管理员管辖「{subj['district']['name']}」（登记志愿者 {subj['district']['volunteers']:,} 名），"
            f"市管理员管辖「{subj['city']['name']}」（{subj['city']['volunteers']:,} 名）：数据集中志愿者最多的市和区县。"
            f"「页面」为 Django 测试客户端 GET `{b['url']}`（中间件、表单、分页计数、模板渲染全部在内）；"
            f"「检索」为 `search_volunteers(...).order_by(最新登记)[:20]` 求值。各 {RUNS_LABEL}。",
            "",
            "| 角色 | 筛选 | 命中 | 页面 p50 | 页面 p95 | 检索 p50 | 检索 p95 | 结论 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in b["rows"]:
            role = "区县管理员" if r["role"] == "district_admin" else "市管理员"
            matches = f"{r['matches']:,}" if r["matches"] <= 10000 else "10000+"
            lines.append(
                f"| {role} | {r['filter']} | {matches} | {r['page']['p50_ms']} | {r['page']['p95_ms']} | "
                f"{r['search']['p50_ms']} | {r['search']['p95_ms']} | "
                f"{verdict(r['page']['p95_ms'] <= TARGETS['search_p95_ms'])} |"
            )
    if c:
        lines += [
            "",
            "### (c) 下级汇总（`orgs.selectors.subtree_counts`）",
            "",
            "| 节点 | 类型 | 志愿者 | 成员关系 | 队伍 | p50 ms | p95 ms | 结论 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for v in c.values():
            lines.append(
                f"| {v['name']} | {v['kind']} | {v['volunteers']:,} | {v['members']:,} | {v['teams']:,} | "
                f"{v['p50_ms']} | {v['p95_ms']} | {verdict(v['p95_ms'] <= TARGETS['counts_p95_ms'])} |"
            )
    misses = []
    if b:
        misses += [r for r in b["rows"] if r["page"]["p95_ms"] > TARGETS["search_p95_ms"]]
    if misses:
        lines += ["", "### 未达标项中最慢的三个查询（EXPLAIN ANALYZE，测量时保存）", ""]
        for r in sorted(misses, key=lambda r: -r["slowest_queries"][0]["ms"])[:3]:
            query = r["slowest_queries"][0]
            sql = re.sub(r"^SELECT (.{200,}?) FROM ", "SELECT … FROM ", query["sql"])
            role = "区县管理员" if r["role"] == "district_admin" else "市管理员"
            plan = "\n".join(query["plan"].splitlines()[:40])
            lines += [
                f"{role} · {r['filter']}：页面最慢的查询 {query['ms']} ms",
                "",
                "```sql",
                sql[:2000],
                "```",
                "```",
                plan,
                "```",
                "",
            ]
    lines += render_issue3(results, issue3)
    lines += ["", END]
    return "\n".join(lines)


def _ms(row: dict) -> str:
    return f"{row['p50_ms']} / {row['p95_ms']}"


def _checkin_rows(e: dict) -> list[tuple[str, dict]]:
    """(label, figures) per load phase and server configuration of the check-in measurement."""
    runs = e.get("runs") or [{"threads": e.get("threads", 1), "capacity": e["capacity"], "open_loop": [e["sustained"]]}]
    rows = []
    for run in runs:
        server = "同步进程" if run["threads"] <= 1 else f"gthread {run['threads']} 线程"
        rows.append((f"{server}：满负荷，{e['concurrency']} 并发", run["capacity"]))
        for row in run["open_loop"]:
            rows.append((f"{server}：按 {row.get('rate', e['rate']):g} 次/秒发起", row))
    return rows


def render_issue3(results: dict, meta: dict | None = None) -> list[str]:
    """The service-hour loop's figures: (d) hours roll-up, (e) QR check-in burst, (f) certificates. `meta`: the run
    that measured them, when it is not the one the page's header describes."""
    d, e, f = results.get("hours"), results.get("checkin"), results.get("certificates")
    if not (d or e or f):
        return []
    lines = ["", "## 第 3 期：服务时长闭环", ""]
    if meta:
        info = meta["info"]
        lines += [
            f"测量时间：{info['when']}；命令：`{meta['command']}`（用时 {meta['took'] / 60:.0f} 分钟）；代码版本 "
            f"`{info['commit']}`；测量开始与结束时平均负载 {load(info['load'][0])}；{load(info['load'][1])}。"
            "机器与 PostgreSQL 配置同上。",
            "",
        ]
    lines += ["| 指标 | 目标 | 实测 | 结论 |", "|---|---|---|---|"]
    if d:
        worst = max(r["cached"]["p95_ms"] for r in d["rows"] if r["key"] in ("root", "district"))
        lines.append(
            f"| (d) 全国、区县的服务时长汇总，{d['records']:,} 条服务记录 | ≤ {TARGETS['hours_ms']} ms | "
            f"p95 最差 {worst} ms | {verdict(worst <= TARGETS['hours_ms'])} |"
        )
    if e:
        s = e["sustained"]
        ok = s["per_second"] >= TARGETS["checkin_per_s"] * 0.98 and s["p99_ms"] <= TARGETS["checkin_p99_ms"]
        held = [(row["per_second"], label) for label, row in _checkin_rows(e)
                if "发起" in label and row["p99_ms"] <= TARGETS["checkin_p99_ms"]]  # fmt: skip
        best = f"；p99 ≤ {TARGETS['checkin_p99_ms']} ms 时最高 {max(held)[0]} 次/秒（{max(held)[1]}）" if held else ""
        lines.append(
            f"| (e) 扫码签到高峰：gunicorn {e['workers']} 个进程，PostgreSQL | ≥ {TARGETS['checkin_per_s']} 次/秒，"
            f"p99 ≤ {TARGETS['checkin_p99_ms']} ms | 按 {e['rate']:.0f} 次/秒发起：完成 {s['per_second']} 次/秒，"
            f"p99 {s['p99_ms']:,} ms；满负荷 {e['capacity']['per_second']} 次/秒{best} | {verdict(ok)} |"
        )
    if f:
        worst = max(r["p95_ms"] for r in f["render"].values())
        b = f["batch"]
        lines.append(
            f"| (f) 证明 PDF；批量出具 {b['issued']:,} 份 | 每份 ≤ {TARGETS['certificate_ms']} ms；批量作为任务 | "
            f"每份 p95 最差 {worst} ms；批量 {b['seconds']} s（每份 {b['ms_per_certificate']} ms） | "
            f"{verdict(worst <= TARGETS['certificate_ms'])} |"
        )
    if d:
        lines += [
            "",
            "### (d) 服务时长汇总（`hours.ledger.subtree_hours`，读 `NodeHours` 缓存）",
            "",
            f"服务记录 {d['records']:,} 条（`bench/hours.py` 用 COPY 生成，见下文）。「缓存」为 `subtree_hours(node)`，"
            "「当年」为 `subtree_hours(node, year)`，「直接求和」为对台账现行、已计入记录的 SUM（不用缓存，作对照）。"
            "各节点为记录最多的省、市、区县。",
            "",
            "| 节点 | 类型 | 已计入时长 | 记录数 | 缓存 p50 / p95 ms | 当年 p50 / p95 ms | 直接求和 p50 / p95 ms | 两者一致 | 结论 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in d["rows"]:
            lines.append(
                f"| {r['name']} | {r['kind']} | {float(r['hours']):,.1f} | {r['records']:,} | {_ms(r['cached'])} | "
                f"{_ms(r['cached_year'])} | {_ms(r['direct'])} | {'是' if r['agrees'] else '**否**'} | "
                f"{verdict(r['cached']['p95_ms'] <= TARGETS['hours_ms'])} |"
            )
        check = d.get("sql_check", {})
        lines += [
            "",
            f"缓存与台账核对（SQL，全部行）：NodeHours 差异 {check.get('node', {}).get('differences', '未核对')} 处"
            f"（{check.get('node', {}).get('seconds', '-')} 秒），VolunteerHours 差异 "
            f"{check.get('volunteer', {}).get('differences', '未核对')} 处（{check.get('volunteer', {}).get('seconds', '-')} 秒）。",
        ]
        rebuild = d.get("rebuild")
        if rebuild:
            lines.append(
                f"`ledger.rebuild_hours(fix=False)`：差异 {rebuild['differences']} 处，用时 {rebuild['seconds']} 秒，"
                f"进程峰值内存 {rebuild['peak_rss_mib']:,} MiB。"
            )
        meta = d.get("dataset") or {}
        if meta:
            lines.append(
                f"数据：条目 {meta.get('entries', 0):,} 条、更正 {meta.get('corrections', 0):,} 条，暂缓计入 "
                f"{meta.get('held', 0):,} 条、不予计入 {meta.get('rejected', 0):,} 条；有记录的志愿者 "
                f"{meta.get('volunteers', 0):,} 名；NodeHours {meta.get('node_hours_rows', 0):,} 行，VolunteerHours "
                f"{meta.get('volunteer_hours_rows', 0):,} 行；表和索引 {meta.get('table_gib', '-')} GiB；生成用时 "
                f"{meta.get('seconds', '-')} 秒（COPY {meta.get('copy_s', '-')} 秒，建索引 {meta.get('index_s', '-')} 秒，"
                f"SQL 计算缓存 {meta.get('caches_s', '-')} 秒）。"
            )
    if e:
        lines += [
            "",
            "### (e) 扫码签到高峰（`bench/checkin_load.py`）",
            "",
            f"`gunicorn config.wsgi -w {e['workers']}`（同 Procfile：同步进程；另测每进程 gthread 多线程作对照），"
            f"bench.settings（DEBUG 关闭），PostgreSQL。压测程序（Python asyncio 原始套接字，同一台机器）为 "
            f"{e['volunteers']:,} 名不同的志愿者 `POST /api/v1/attendance/check-in/`：各用本人会话 Cookie、当前窗口的二维码令牌"
            "和围栏内的位置，每次新建连接（同手机）。「满负荷」为闭环（固定并发数，答完即发下一个）；「持续」为开环"
            "（按固定速率发起，时延从应发时刻算起）：先按目标速率，再按满负荷的一半和八成。"
            "二维码令牌约一分钟有效：排队超过一分钟的请求得到 400（二维码已过期）。",
            "",
            "| 场景 | 请求 | 成功（201） | 其他状态 | 完成 次/秒 | p50 ms | p90 ms | p99 ms | 每个请求 CPU ms：gunicorn / PostgreSQL / 压测程序 | 整机 CPU |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, row in _checkin_rows(e):
            other = "、".join(f"{k}：{v:,}" for k, v in row["statuses"].items() if k != "201")
            cpu = row.get("cpu", {})
            lines.append(
                f"| {label} | {row['requests']:,} | {row['ok']:,} | {other or '无'} | {row['per_second']} | "
                f"{row['p50_ms']:,} | {row['p90_ms']:,} | {row['p99_ms']:,} | "
                f"{cpu.get('gunicorn', {}).get('ms_per_checkin', '-')} / {cpu.get('postgresql', {}).get('ms_per_checkin', '-')}"
                f" / {cpu.get('load_generator', {}).get('ms_per_checkin', '-')} | {cpu.get('cores_busy', '-')} 核 |"
            )
        db = e["database"]
        lines += [
            "",
            f"核对：签到记录 {db['attendances']:,} 条，应为 {db['expected']:,} 条，重复 {db['duplicates']} 条。"
            f"一次签到执行 {e['queries']['queries']} 条 SQL。测量前后平均负载 {load(e['load'][0])}；{load(e['load'][1])}。",
        ]
    if f:
        lines += [
            "",
            "### (f) 志愿服务记录证明（`bench/certificates.py`）",
            "",
            "| 内容 | p50 ms | p95 ms | 最大 ms | CPU p50 ms | 说明 |",
            "|---|---|---|---|---|---|",
        ]
        for records, r in f["render"].items():
            lines.append(
                f"| 由快照生成 PDF，{records} 条记录 | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
                f"{r.get('cpu_p50_ms', '-')} | {r.get('pages', '-')} 页，{r.get('bytes', 0) / 1024:.0f} KiB |"
            )
        r = f["issue"]
        lines.append(
            f"| 出具 + PDF，20 条记录（同样内容再次申请：沿用原证明） | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
            f"{r.get('cpu_p50_ms', '-')} | 首次出具 {r.get('first_ms', '-')} ms，{r.get('queries_first', '-')} 条 SQL |"
        )
        b = f["batch"]
        lines += [
            "",
            f"批量出具（任务）：{b['volunteers']:,} 名志愿者，出具 {b['issued']:,} 份，用时 {b['seconds']} 秒"
            f"（CPU {b['cpu_seconds']} 秒），每份 {b['ms_per_certificate']} ms，zip {b['zip_mib']} MiB。",
        ]
    return lines


RUNS_LABEL = f"预热 2 次后测 {os.environ.get('BENCH_RUNS', '30')} 次"


def write_doc(section: str) -> None:
    if DOC.exists():
        text = DOC.read_text()
        if START in text and END in text:
            head, rest = text.split(START, 1)
            _old, tail = rest.split(END, 1)
            DOC.write_text(head + section + tail)
            return
    DOC.write_text("# 性能基准\n\n" + section + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="巾帼志愿服务平台性能基准（PostgreSQL）")
    parser.add_argument("--volunteers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the data set")
    parser.add_argument(
        "--only",
        default="c,b,a,d,e,f,g",
        help="which measurements: a (import), b (search), c (counts), d (hours roll-up), e (check-in), f (certificates),"
        " g (dispatch recommender)",
    )
    parser.add_argument("--records", type=int, default=10_000_000, help="service records for (d)")
    parser.add_argument("--render-only", action="store_true", help="rewrite the page from the last run's results")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    meta_file = WORK / "run.json"
    if args.render_only:
        meta = json.loads(meta_file.read_text())
    else:
        meta = measure(args)
        meta_file.write_text(json.dumps(meta, ensure_ascii=False))
    dataset = json.loads((WORK / "dataset.json").read_text())
    if set(meta["measured"]) - {"recommend"} or list(WORK.glob("run-issue*.json")):
        write_doc(render_parts(meta, dataset))
    if "recommend" in meta["measured"]:  # (g) keeps its own markers, below the issue 2 and 3 figures
        issue4.write_doc(DOC, meta, WORK)
    log(f"wrote {DOC.relative_to(ROOT)}")


def measure(args) -> dict:
    """Build what is missing, run the measurements; the results land in var/bench/*.json."""
    started = time.monotonic()
    log(f"database {DATABASE_URL}")
    ensure_database(args.rebuild)
    dataset_file = WORK / "dataset.json"
    if dataset_size() != args.volunteers:
        log(f"building the data set: {args.volunteers:,} volunteers (a few minutes)")
        python("-m", "bench.generate", "--volunteers", str(args.volunteers), "--seed", str(args.seed),
               "--json", str(dataset_file))  # fmt: skip
    elif not dataset_file.exists():
        log("data set present; describing it and checking its counters")
        python("-m", "bench.generate", "--verify-only", "--seed", str(args.seed), "--json", str(dataset_file))
    else:
        log("data set present")
    load_before = os.getloadavg()
    measured = []
    for key, name in (("c", "counts"), ("b", "search"), ("a", "import")):
        if key not in args.only.split(","):
            continue
        out = WORK / f"{name}.json"
        if name == "import":
            xlsx = WORK / "import-100000.xlsx"
            if not xlsx.exists():
                log("writing the 100,000-row import file")
                python("-m", "bench.measure", "importfile", str(xlsx))
            log("measuring (a) import")
            python("-m", "bench.measure", "import", str(out), str(xlsx))
        else:
            log(f"measuring ({key}) {name}")
            python("-m", "bench.measure", name, str(out))
        measured.append(name)
    measured += measure_issue3(args)
    if "g" in args.only.split(","):
        measured += issue4.run(python, WORK, log)
    info = machine()
    info["load"] = (load_before, os.getloadavg())
    info["when"] = f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    command = "make bench" + (f"  # python bench/run.py {' '.join(sys.argv[1:])}" if sys.argv[1:] else "")
    return {"info": info, "command": command, "took": time.monotonic() - started, "measured": measured}


ISSUE2_NAMES = ("counts", "search", "import")


def render_parts(meta: dict, dataset: dict) -> str:
    """The page from the latest run of each part: `make bench BENCH_ARGS=--only=d,e,f` re-measures issue 3 and keeps
    the issue-2 figures (and their header) as they were, and the other way round."""
    parts = {}
    for part, names in (("issue2", ISSUE2_NAMES), ("issue3", tuple(n for _k, n in ISSUE3))):
        measured = [n for n in meta["measured"] if n in names]
        path = WORK / f"run-{part}.json"
        if measured:
            path.write_text(json.dumps({**meta, "measured": measured}, ensure_ascii=False))
        parts[part] = json.loads(path.read_text()) if path.exists() else None
    issue2, issue3 = parts["issue2"], parts["issue3"]
    results = {}
    for part in (issue2, issue3):
        for name in part["measured"] if part else []:
            results[name] = json.loads((WORK / f"{name}.json").read_text())
    head = issue2 or issue3
    return render(head["info"], dataset, results, head["command"], head["took"], issue3 if issue2 else None)


def records_size() -> int:
    with connect() as conn:
        row = conn.execute("SELECT value FROM core_sequence WHERE name = 'bench:records'").fetchone()
    return row[0] if row else 0


def measure_issue3(args) -> list[str]:
    """(d) the 10M-record ledger (built once, like the volunteers), (e) the check-in burst, (f) certificates."""
    measured = []
    only = args.only.split(",")
    for key, name in ISSUE3:
        if key not in only:
            continue
        out = WORK / f"{name}.json"
        if name == "hours":
            dataset = WORK / "hours_dataset.json"
            if records_size() != args.records or not dataset.exists():
                log(f"building the ledger: {args.records:,} service records (a few minutes)")
                python("-m", "bench.hours", "generate", str(dataset), "--records", str(args.records))
            log("measuring (d) hours roll-up")
            python("-m", "bench.hours", "measure", str(out))
            result = json.loads(out.read_text())
            result["dataset"] = json.loads(dataset.read_text())
            out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
        elif name == "checkin":
            log("measuring (e) QR check-in burst")
            python("-m", "bench.checkin_load", str(out))
        else:
            log("measuring (f) certificates")
            python("-m", "bench.certificates", "--json", str(out))
        measured.append(name)
    return measured


if __name__ == "__main__":
    main()
