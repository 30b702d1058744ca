"""QR check-in burst (issue 3, section 8): gunicorn with 2 workers on PostgreSQL, a load generator on loopback.

    python -m bench.checkin_load OUT.json [--volunteers 20000] [--rate 500] [--seconds 20] [--concurrency 32]

1. Prepare (bulk inserts into the benchmark database, bench/generate.py's data set): a published activity with a
   geofence and one shift open for check-in now, N confirmed sign-ups of N distinct active volunteers, a login
   for each (a user, and a session row as the login page would have left it) and a CSRF cookie.
2. Start gunicorn as the Procfile does (`gunicorn config.wsgi -w 2`, sync workers) with bench.settings
   (DEBUG off, PostgreSQL) on a free port of 127.0.0.1.
3. Load: a pure-Python asyncio client on raw sockets posts `POST /api/v1/attendance/check-in/` for distinct
   volunteers, each with her session cookie, the QR token of the current window (as her phone read it from the
   leader's screen) and a position inside the fence; one new connection per check-in, as phones make them.
   - capacity: a closed loop of `--concurrency` clients for `--seconds`: how many check-ins per second the server
     completes at most, and their latency;
   - sustained: an open loop that starts `--rate` check-ins per second for `--seconds`, latency measured from the
     moment each one was due (so a server that falls behind shows it in p99, no coordinated omission).
4. Check: every response 201 with a new attendance, and the database holds exactly one Attendance per volunteer.
The activity, its sign-ups and attendances are removed afterwards (the users and sessions stay for the next run).
"""

import argparse
import asyncio
import datetime
import json
import math
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/attendance/check-in/"
TITLE = "压测：扫码签到"
USER_PREFIX = "bench_checkin_"
# A point in 厦门 and a fence around it; each volunteer posts a position a few metres away.
LAT, LNG, FENCE_M = 24.479834, 118.089425, 300


def log(message: str) -> None:
    print(f"[checkin] {message}", flush=True)


# ---- prepare --------------------------------------------------------------------------------------------------


def prepare(n: int) -> dict:
    """The activity, shift, sign-ups, users and sessions; returns what the load generator needs."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.utils import timezone

    from jinguo.activities.models import Activity, Shift, SignUp
    from jinguo.orgs.models import Node

    User = get_user_model()
    started = time.monotonic()
    cleanup()
    now = timezone.now()
    team = Node.objects.filter(kind="team", depth__gte=4).order_by("path").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM volunteers_volunteer WHERE status = 'active' ORDER BY id LIMIT %s", [n]
        )  # the same people every run: their logins are made once
        volunteer_ids = [row[0] for row in cursor.fetchall()]
    if len(volunteer_ids) < n:
        raise SystemExit(f"only {len(volunteer_ids)} active volunteers in the data set")
    backend = settings.AUTHENTICATION_BACKENDS[-1]
    with transaction.atomic():
        existing = dict(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", "pk"))
        missing = [vid for vid in volunteer_ids if f"{USER_PREFIX}{vid}" not in existing]
        User.objects.bulk_create(
            [
                User(username=f"{USER_PREFIX}{vid}", display_name=f"压测{vid}", password=make_password(None))
                for vid in missing
            ],
            batch_size=5000,
        )
        users = {
            int(u.username[len(USER_PREFIX) :]): u
            for u in User.objects.filter(username__startswith=USER_PREFIX).only("pk", "username", "password")
        }
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE volunteers_volunteer v SET user_id = u.id FROM core_user u "
                "WHERE u.username = %s || v.id::text AND v.id = ANY(%s) AND v.user_id IS DISTINCT FROM u.id",
                [USER_PREFIX, volunteer_ids],
            )
        # One login each, as the login view leaves it: the session row and its cookie.
        Session.objects.filter(session_data__startswith="bench").delete()
        Session.objects.filter(expire_date__lt=now).delete()
        store = SessionStore()
        sessions, cookies = [], []
        expire = now + datetime.timedelta(days=1)
        for vid in volunteer_ids:
            user = users[vid]
            key = secrets.token_hex(16)
            data = store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: backend,
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                }
            )
            sessions.append(Session(session_key=key, session_data=data, expire_date=expire))
            cookies.append(key)
        Session.objects.bulk_create(sessions, batch_size=5000)

        activity = Activity.objects.create(
            organiser=team, title=TITLE, category="care", content="压测", address="压测地点", latitude=LAT,
            longitude=LNG, geofence_m=FENCE_M, start_at=now - datetime.timedelta(minutes=5),
            end_at=now + datetime.timedelta(hours=4), capacity=n, signup_deadline=now,
            risk_statement="无", protection="无", audience="public", status="published", published_at=now,
        )  # fmt: skip
        shift = Shift.objects.create(activity=activity, start_at=activity.start_at, end_at=activity.end_at, capacity=n)
        SignUp.objects.bulk_create(
            [SignUp(activity=activity, shift=shift, volunteer_id=vid, status="confirmed", decided_at=now)
             for vid in volunteer_ids],
            batch_size=5000,
        )  # fmt: skip
    with connection.cursor() as cursor:
        for table in ("django_session", "core_user", "activities_signup", "activities_attendance"):
            cursor.execute(f"ANALYZE {table}")
    log(f"prepared {n:,} sign-ups and logins in {time.monotonic() - started:.0f} s (activity {activity.pk})")
    return {"activity": activity.pk, "shift": shift.pk, "cookies": cookies, "volunteers": volunteer_ids}


def cleanup() -> None:
    """Remove earlier runs' activities (attendances, sign-ups, their audit entries stay: the log is append-only)."""
    from django.db import transaction

    from jinguo.activities.models import Activity, Attendance, Shift, SignUp

    with transaction.atomic():
        old = list(Activity.objects.filter(title=TITLE).values_list("pk", flat=True))
        if old:
            Attendance.objects.filter(activity_id__in=old).delete()
            SignUp.objects.filter(activity_id__in=old).delete()
            Shift.objects.filter(activity_id__in=old).delete()
            Activity.objects.filter(pk__in=old).delete()


# ---- gunicorn -------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int, log_file: Path, threads: int = 1) -> subprocess.Popen:
    """As the Procfile runs it (sync workers); `threads` > 1 runs gthread workers instead, for comparison."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(ROOT)}
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-w", str(workers),
        "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log_file), "--backlog", "4096",
    ]  # fmt: skip
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /api/v1/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1."):
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode(errors="replace")[-2000:])


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


# ---- where the CPU goes ----------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postgres_pids(database: str) -> list[int]:
    """The PostgreSQL processes serving the benchmark database, and the WAL writer and checkpointer."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("postgres:") and (
            f" {database} " in cmdline
            or "walwriter" in cmdline
            or "checkpointer" in cmdline
            or "background writer" in cmdline
        ):
            pids.append(int(entry.name))
    return pids


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU seconds used by gunicorn (master and workers), PostgreSQL and this process between start and stop."""

    def __init__(self, server_pid: int, database: str):
        self.server_pid = server_pid
        self.database = database

    def sample(self) -> dict:
        import resource

        server = [self.server_pid, *_children(self.server_pid)]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "gunicorn": sum(_cpu_seconds(p) for p in server),
            "postgresql": sum(_cpu_seconds(p) for p in _postgres_pids(self.database)),
            "load_generator": usage.ru_utime + usage.ru_stime,
            "machine": _machine_busy(),
        }

    @staticmethod
    def difference(before: dict, after: dict, checkins: int, elapsed: float) -> dict:
        """CPU per request answered (refusals included: they cost the server too)."""
        out = {}
        for key in ("gunicorn", "postgresql", "load_generator"):
            used = after[key] - before[key]
            out[key] = {"cpu_s": round(used, 2), "ms_per_checkin": round(1000 * used / checkins, 2) if checkins else 0}
        busy = after["machine"][0] - before["machine"][0]
        total = after["machine"][1] - before["machine"][1]
        out["machine_busy_percent"] = round(100 * busy / total, 1) if total else 0
        out["cores_busy"] = round(busy / TICK / elapsed, 2) if elapsed else 0
        return out


# ---- the load generator ----------------------------------------------------------------------------------------


class Client:
    """Raw HTTP/1.1 over asyncio sockets: one connection per request (`Connection: close`), like a phone."""

    def __init__(self, port: int, activity_id: int, csrf: str):
        from jinguo.activities import qr

        self.port = port
        self.activity_id = activity_id
        self.csrf = csrf
        self.qr = qr
        self.rng = random.Random(7)

    def request(self, cookie: str) -> bytes:
        token = self.qr.make_token(self.activity_id, self.qr.IN)  # the current window, as the screen shows it
        body = json.dumps({
            "token": token,
            "latitude": round(LAT + self.rng.uniform(-0.0005, 0.0005), 6),
            "longitude": round(LNG + self.rng.uniform(-0.0005, 0.0005), 6),
        }).encode()  # fmt: skip
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCookie: sessionid={cookie}; csrftoken={self.csrf}\r\n"
            f"X-CSRFToken: {self.csrf}\r\nUser-Agent: jinguo-bench\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + body

    async def post(self, cookie: str) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(self.request(cookie))
            await writer.drain()
            response = await reader.read()  # the server closes the connection after the response
        finally:
            writer.close()
        line = response.split(b"\r\n", 1)[0].split()
        status = int(line[1]) if len(line) > 1 else 0
        if status == 201 and b'"created":true' not in response.replace(b" ", b""):
            status = -201  # a 201 that did not create: would be a bug
        return status


def summarise(latencies: list[float], statuses: dict, elapsed: float) -> dict:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000, 1) if ordered else 0.0

    ok = statuses.get(201, 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(elapsed, 2),
        "per_second": round(ok / elapsed, 1) if elapsed else 0,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else 0.0,
        "mean_ms": round(statistics.mean(ordered) * 1000, 1) if ordered else 0.0,
    }


async def closed_loop(client: Client, cookies: list[str], concurrency: int, seconds: float) -> dict:
    """`concurrency` clients, each starting the next check-in as soon as the last one answered."""
    queue = iter(cookies)
    latencies, statuses = [], {}
    stop_at = time.perf_counter() + seconds

    async def worker():
        while time.perf_counter() < stop_at:
            cookie = next(queue, None)
            if cookie is None:
                return
            started = time.perf_counter()
            try:
                status = await client.post(cookie)
            except OSError:
                status = 0
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarise(latencies, statuses, time.perf_counter() - started)


async def open_loop(client: Client, cookies: list[str], rate: float, seconds: float) -> dict:
    """Check-in i is due at start + i/rate whatever the server does; its latency counts from then."""
    total = min(len(cookies), int(rate * seconds))
    latencies, statuses = [], {}
    tasks = []
    started = time.perf_counter()

    async def one(cookie: str, due: float):
        try:
            status = await client.post(cookie)
        except OSError:
            status = 0
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1

    for i in range(total):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(cookies[i], due)))
    await asyncio.gather(*tasks)
    return summarise(latencies, statuses, time.perf_counter() - started)


# ---- check and measure ---------------------------------------------------------------------------------------------


def check_database(activity_id: int, expected: int) -> dict:
    from django.db.models import Count

    from jinguo.activities.models import Attendance

    rows = Attendance.objects.filter(activity_id=activity_id)
    duplicates = rows.values("volunteer_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {"attendances": rows.count(), "expected": expected, "duplicates": duplicates}


def queries_per_checkin(activity_id: int, cookie: str, csrf: str) -> dict:
    """The SQL one check-in runs (Django test client in this process, same settings), for the analysis."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    from jinguo.activities import qr

    client = TestClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = cookie
    client.cookies["csrftoken"] = csrf
    body = {"token": qr.make_token(activity_id, qr.IN), "latitude": LAT, "longitude": LNG}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(PATH, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    return {
        "status": response.status_code,
        "queries": len(captured.captured_queries),
        "sql": [q["sql"][:300] for q in captured.captured_queries],
    }


def run_config(args, data: dict, cookies: list[str], csrf: str, threads: int) -> dict:
    """One server configuration: warm-up, capacity (closed loop), the target rate, then rates the server can hold."""
    from django.db import connection

    port = free_port()
    access_log = ROOT / "var" / "bench" / f"checkin-access-{threads}.log"
    access_log.unlink(missing_ok=True)
    connection.close()  # gunicorn's workers open their own; this process keeps none idle in a transaction
    server = start_gunicorn(port, args.workers, access_log, threads)
    log(f"gunicorn -w {args.workers} (threads {threads}) on 127.0.0.1:{port} (pid {server.pid})")
    meter = CpuMeter(server.pid, connection.settings_dict["NAME"])
    client = Client(port, data["activity"], csrf)
    queue = iter(cookies)

    def take(n: int) -> list[str]:
        return [c for _, c in zip(range(n), queue, strict=False)]

    def measured(coroutine_factory, n: int) -> dict:
        batch = take(n)
        before = meter.sample()
        row = asyncio.run(coroutine_factory(batch))
        row["cpu"] = meter.difference(before, meter.sample(), row["requests"], row["seconds"])
        unused = batch[row["requests"] :]
        nonlocal queue
        queue = iter([*unused, *queue])
        return row

    result = {"threads": threads, "open_loop": []}
    try:
        # Warm-up: both workers get their database connection and load the code.
        result["warmup"] = asyncio.run(closed_loop(client, take(50), 2, 30))
        result["capacity"] = measured(
            lambda b: closed_loop(client, b, args.concurrency, args.seconds), int(2000 * args.seconds)
        )
        log(f"threads {threads}, capacity ({args.concurrency} clients): {result['capacity']}")
        capacity = max(1.0, result["capacity"]["per_second"])
        # The target rate, then rates around what the server completed: the highest with p99 within the target.
        for rate in (args.rate, round(capacity * 0.5, 1), round(capacity * 0.8, 1)):
            row = measured(lambda b, rate=rate: open_loop(client, b, rate, args.seconds), int(rate * args.seconds))
            row["rate"] = rate
            result["open_loop"].append(row)
            log(f"threads {threads}, open loop at {rate}/s: {row}")
    finally:
        stop(server)
    result["sustained"] = result["open_loop"][0]
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500, help="the target rate of the open loop")
    parser.add_argument("--seconds", type=float, default=10, help="length of each load phase")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", default="1,4", help="server configurations: 1 = sync workers (the Procfile), n > 1 = gthread"
    )
    args = parser.parse_args(argv)
    import django

    django.setup()

    data = prepare(args.volunteers)
    cookies, spare = data["cookies"][:-1], data["cookies"][-1]  # the spare one shows the SQL of one check-in
    csrf = secrets.token_hex(16)  # a 32-character CSRF secret: the cookie and the header carry the same one
    configs = [int(n) for n in args.threads.split(",")]
    load_before = os.getloadavg()
    runs = []
    for threads in configs:
        remaining = cookies[sum(r["sent"] for r in runs) :]
        run = run_config(args, data, remaining, csrf, threads)
        run["sent"] = 50 + run["capacity"]["requests"] + sum(r["requests"] for r in run["open_loop"])
        runs.append(run)
    load_after = os.getloadavg()
    ok = sum(r["warmup"]["ok"] + r["capacity"]["ok"] + sum(o["ok"] for o in r["open_loop"]) for r in runs)
    first = runs[0]
    result = {
        "volunteers": args.volunteers,
        "workers": args.workers,
        "threads": first["threads"],
        "concurrency": args.concurrency,
        "rate": args.rate,
        "seconds": args.seconds,
        "capacity": first["capacity"],
        "sustained": first["sustained"],
        "runs": runs,
        "database": check_database(data["activity"], ok),
        "load": [load_before, load_after],
    }
    result["queries"] = queries_per_checkin(data["activity"], spare, csrf)
    log(f"database: {result['database']}; one check-in runs {result['queries']['queries']} queries")
    cleanup()
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
