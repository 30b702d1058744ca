"""The large data set for the benchmarks, written to PostgreSQL with COPY.

A national tree shaped like the real one (1 national, 31 provinces with their real codes, ~330 cities, ~2,800
districts/counties, three streets per district, three communities per street), the teams of every city and
district (总队 → 服务队 → 分队 → 小队), N synthetic volunteers (default 1,000,000) with valid-format ID numbers
encrypted with AES-GCM and unique blind-index hashes, ~1.2 memberships per volunteer, and NodeCounter rows that
agree with them (checked with `orgs.services.rebuild_counters(fix=False)` at the end).

Reproducible: everything but the AES-GCM nonces comes from `random.Random(seed)`.
Secondary indexes and constraints are dropped for the load and rebuilt afterwards (one sort per index instead of
a million random insertions), which is what a bulk load into PostgreSQL should do.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.generate [--volunteers N] [--seed S]
"""

import argparse
import datetime
import io
import json
import random
import sys
import tempfile
import time

PROVINCE_CODES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53,
                  54, 61, 62, 63, 64, 65]  # fmt: skip
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
TABLES = ["orgs_node", "orgs_team", "orgs_nodecounter", "volunteers_volunteer", "volunteers_membership"]
DATASET_MARKER = "bench:dataset"

SKILLS = ["法律咨询", "心理疏导", "家庭教育", "医疗护理", "文艺表演", "摄影摄像", "手工编织", "电脑培训", "应急救护",
          "手语", "烹饪", "书法绘画", "财务会计", "直播电商"]  # fmt: skip
WORK_UNITS = ["社区居委会", "街道办事处", "医院", "小学", "律师事务所", "银行", "超市", "自由职业", "退休", "幼儿园"]
EDUCATIONS = ["初中", "高中/中专", "大专", "本科", "本科", "硕士研究生"]
POLITICAL = ["群众", "群众", "中共党员", "中共党员", "共青团员"]
FORCE_TYPES = ["main", "main", "main", "leading", "professional", "backbone", "social"]


def step(n: int) -> str:
    """Treebeard's materialised-path step: n in base 36, zero-padded to 4 characters."""
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
    return out.rjust(STEPLEN, "0")


def text(value) -> str:
    """A value in COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return r"\\x" + bytes(value).hex()
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Table:
    """COPY rows into a model's table: the generator gives `columns`, the other columns get their defaults."""

    def __init__(self, model, columns: list[str], now: datetime.datetime):
        from django.db import models

        self.table = model._meta.db_table
        fields = {f.column: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{self.table}: no columns {unknown}")
        rest = [f for c, f in fields.items() if c not in columns]
        tail = []
        for f in rest:
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif isinstance(f, models.CharField | models.TextField):
                value = ""
            elif isinstance(f, models.DateTimeField):
                value = now
            else:
                raise ValueError(f"{self.table}.{f.column} needs a value from the generator")
            tail.append(text(value))
        self.columns = [*columns, *(f.column for f in rest)]
        self.tail = ("\t" + "\t".join(tail)) if tail else ""

    def line(self, values: str) -> str:
        """`values`: the generator's columns, already in text format and tab-joined."""
        return values + self.tail + "\n"

    def copy(self, cursor, source) -> None:
        """COPY from an iterable of text chunks (or a file object)."""
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
            if hasattr(source, "read"):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            else:
                for chunk in source:
                    copy.write(chunk)


def drop_secondary(cursor, table: str) -> list[str]:
    """Drop every index and constraint but the primary key; return the statements that recreate them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype <> 'p'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
        "WHERE indrelid = %s::regclass AND NOT indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)",
        [table],
    )
    indexes = cursor.fetchall()
    restore = [definition for _name, definition in indexes]
    # Unique and check constraints first, foreign keys last (they are validated when added back).
    for name, definition, _kind in sorted(constraints, key=lambda c: c[2] == "f"):
        restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for name, _definition, _kind in constraints:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return restore


class Generator:
    def __init__(self, *, volunteers: int, seed: int, out=sys.stdout):
        from django.utils import timezone

        self.total = volunteers
        self.seed = seed
        self.rng = random.Random(seed)
        self.out = out
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        self.node_rows: list[tuple] = []  # (id, path, depth, numchild, name, kind, code, tiers)
        self.team_rows: list[tuple] = []  # (node_id, number, tier, filing_status, unit, archive)
        self.counters: dict[int, list[int]] = {}  # node id -> [volunteers, members, teams]
        self.communities: list[tuple[int, str, int]] = []  # (node id, district code, district index)
        self.district_teams: list[list[int]] = []  # per district: [服务队, 分队, 分队, 小队 × 4]
        self.city_teams: list[list[int]] = []  # per city: [总队, 服务队 × 3]
        self.district_city: list[int] = []
        self.district_weight: list[float] = []

    def log(self, message: str) -> None:
        print(f"[generate] {message}", file=self.out, flush=True)

    # -- the tree -------------------------------------------------------------------------------------------------
    def _node(self, parent: tuple | None, name: str, kind: str, code: str = "", tiers: str = "") -> tuple:
        node_id = len(self.node_rows) + 1
        if parent is None:
            path, depth = step(1), 1
        else:
            parent[3][0] += 1  # numchild
            path, depth = parent[1] + step(parent[3][0]), parent[2] + 1
        row = (node_id, path, depth, [0], name, kind, code, tiers)
        self.node_rows.append(row)
        self.counters[node_id] = [0, 0, 1 if kind == "team" else 0]
        return row

    def _team(self, parent: tuple, name: str, number: str, tier: int, unit: str) -> tuple:
        node = self._node(parent, name, "team")
        filing = self.rng.choice(["filed", "filed", "filed", "submitted", "draft", "returned"])
        self.team_rows.append((node[0], number, tier, filing, unit))
        return node

    def build_tree(self) -> None:
        rng = self.rng
        national = self._node(None, "全国妇联", "national")
        for p_index, pcode in enumerate(PROVINCE_CODES, 1):
            province = self._node(national, f"省妇联{p_index:02d}", "province", f"{pcode}0000")
            for c in range(1, rng.randint(8, 13) + 1):
                ccode = f"{pcode}{c:02d}00"
                city = self._node(province, f"市妇联{pcode}{c:02d}", "city", ccode, "总队,服务队,分队,小队")
                city_index = len(self.city_teams)
                top = self._team(city, f"{ccode}巾帼志愿服务总队", f"{ccode}-001", 1, city[4])
                services = [
                    self._team(top, f"{ccode}巾帼志愿服务队{s}", f"{ccode}-001-{s:02d}", 2, city[4]) for s in (1, 2, 3)
                ]
                self.city_teams.append([top[0]] + [s[0] for s in services])
                for d in range(1, rng.randint(5, 12) + 1):
                    dcode = f"{pcode}{c:02d}{d:02d}"
                    district = self._node(city, f"区县妇联{dcode}", "district", dcode, "服务队,分队,小队")
                    d_index = len(self.district_teams)
                    self.district_city.append(city_index)
                    self.district_weight.append(rng.lognormvariate(0, 0.6))
                    streets = []
                    for s in range(1, 4):
                        street = self._node(district, f"街道{dcode}{s:02d}", "street")
                        streets.append(street)
                        for m in range(1, 4):
                            community = self._node(street, f"社区{dcode}{s:02d}{m:02d}", "community")
                            self.communities.append((community[0], dcode, d_index))
                    unit = district[4]
                    service = self._team(district, f"{dcode}巾帼志愿服务队", f"{dcode}-001", 1, unit)
                    teams = [service[0]]
                    squads = []
                    for b in (1, 2):
                        branch = self._team(service, f"{streets[b - 1][4]}分队", f"{dcode}-001-{b:02d}", 2, unit)
                        teams.append(branch[0])
                        for q in (1, 2):
                            squad = self._team(
                                branch, f"{streets[b - 1][4]}第{q}小队", f"{dcode}-001-{b:02d}-{q:02d}", 3, unit
                            )
                            squads.append(squad[0])
                    self.district_teams.append(teams + squads)
        self.log(f"tree: {len(self.node_rows):,} nodes, {len(self.team_rows):,} teams, "
                 f"{len(self.communities):,} communities, {len(self.district_teams):,} districts")  # fmt: skip

    def copy_tree(self, cursor) -> None:
        from jinguo.orgs.models import Node, Team

        nodes = Table(Node, ["id", "path", "depth", "numchild", "name", "kind", "code", "team_tier_names",
                             "created_at"], self.now)  # fmt: skip
        created = text(self.now)
        nodes.copy(cursor, (
            nodes.line(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3][0]}\t{r[4]}\t{r[5]}\t{r[6]}\t{r[7]}\t{created}")
            for r in self.node_rows
        ))  # fmt: skip
        teams = Table(Team, ["node_id", "team_number", "tier", "filing_status", "unit_name", "archive_number",
                             "leader_name", "leader_phone", "founded_on", "service_categories", "service_times",
                             "updated_at"], self.now)  # fmt: skip
        teams.copy(cursor, (
            teams.line(
                f"{node_id}\t{number}\t{tier}\t{filing}\t{unit}\t"
                + (f"A{number}" if filing == "filed" else r"\N")
                + f'\t队长\t13900000000\t2018-03-08\t["care"]\t["weekend"]\t{created}'
            )
            for node_id, number, tier, filing, unit in self.team_rows
        ))  # fmt: skip

    # -- volunteers and memberships -------------------------------------------------------------------------------
    def volunteers(self, cursor, membership_file) -> None:
        from jinguo.core import crypto, synthetic
        from jinguo.core.ids import make_resident_id
        from jinguo.core.masking import mask_id_number
        from jinguo.volunteers.models import Membership, Volunteer
        from jinguo.volunteers.services import id_hash, name_initials

        rng = self.rng
        table = Table(Volunteer, [
            "id", "number", "name", "name_initials", "id_type", "id_number_enc", "id_number_hash",
            "id_number_masked", "birth_date", "sex", "phone", "phone_last4", "ethnicity", "political_status",
            "education", "work_unit", "occupation", "skills", "categories_mask", "availability_mask", "force_type",
            "honours_mask", "home_node_id", "address", "status", "source", "registered_via_id", "created_at",
            "confirmed_at", "updated_at",
        ], self.now)  # fmt: skip
        mtable = Table(Membership, ["id", "volunteer_id", "team_id", "status", "is_backbone", "applied_at",
                                    "joined_at", "ended_at", "note", "created_at"], self.now)  # fmt: skip
        self.membership_table = mtable
        initials = {ch: name_initials(ch) for ch in synthetic.SURNAMES + synthetic.FEMALE_GIVEN + synthetic.MALE_GIVEN}
        # Districts weighted (some are much bigger than others), communities uniform within a district.
        by_district: list[list[int]] = [[] for _ in self.district_teams]
        for index, (_node, _code, d_index) in enumerate(self.communities):
            by_district[d_index].append(index)
        cumulative, total = [], 0.0
        for weight in self.district_weight:
            total += weight
            cumulative.append(total)
        import bisect

        year = self.today.year % 100
        seen: set[str] = set()
        membership_id = 0
        buffer = io.StringIO()
        started = time.monotonic()
        encrypt = crypto.encrypt
        statuses = ["active"] * 85 + ["pending"] * 12 + ["withdrawn"] * 3
        day = 86400

        def chunks():
            nonlocal membership_id, buffer
            for vid in range(1, self.total + 1):
                d_index = bisect.bisect_left(cumulative, rng.random() * total)
                community_index = rng.choice(by_district[d_index])
                home, dcode, _ = self.communities[community_index]
                sex = "M" if rng.random() < 0.1 else "F"
                born = synthetic.birth_date(rng, 18, 75, today=self.today)
                while True:
                    number = make_resident_id(dcode, born, rng.randrange(0, 499) * 2 + (1 if sex == "M" else 0))
                    if number not in seen:
                        seen.add(number)
                        break
                    born -= datetime.timedelta(days=1)
                name = synthetic.name(rng, sex)
                phone = synthetic.mobile(rng)
                status = rng.choice(statuses)
                created = self.now - datetime.timedelta(seconds=rng.randrange(4 * 365 * day))
                confirmed = created + datetime.timedelta(days=rng.randint(0, 20)) if status != "pending" else None
                categories = 0
                for bit in rng.sample(range(10), rng.randint(1, 3)):
                    categories |= 1 << bit
                force = rng.choice(FORCE_TYPES)
                honours = (1 << rng.randrange(8)) if (force == "backbone" or rng.random() < 0.05) else 0
                teams = self.district_teams[d_index]
                buffer.write(table.line("\t".join((
                    str(vid), f"JG{year:02d}{vid:08d}", name, "".join(initials[c] for c in name), "resident",
                    text(encrypt(number)), id_hash("resident", number), mask_id_number(number), born.isoformat(), sex,
                    phone, phone[-4:], "汉族", rng.choice(POLITICAL), rng.choice(EDUCATIONS), rng.choice(WORK_UNITS),
                    "", rng.choice(SKILLS), str(categories), str(rng.randint(1, 7)), force, str(honours), str(home),
                    "", status, rng.choice(("staff", "self", "import")), str(teams[0]), text(created),
                    text(confirmed), text(created),
                ))))  # fmt: skip
                if status != "withdrawn":
                    self.counters[home][0] += 1
                # Memberships: nine in ten in a team of their district, three in ten in a second one.
                joined = []
                if rng.random() < 0.9:
                    joined.append(rng.choice(teams[3:] * 7 + teams[1:3] * 2 + teams[:1]))
                if rng.random() < 0.3:
                    second = rng.choice(teams + self.city_teams[self.district_city[d_index]])
                    if second not in joined:
                        joined.append(second)
                for team in joined:
                    membership_id += 1
                    if status == "withdrawn":
                        state = "left"
                    else:
                        state = rng.choices(("active", "applied", "left"), (92, 4, 4))[0]
                    if state == "active":
                        self.counters[team][1] += 1
                    ended = text(created + datetime.timedelta(days=200)) if state == "left" else r"\N"
                    joined_at = text(created) if state != "applied" else r"\N"
                    membership_file.write(mtable.line(
                        f"{membership_id}\t{vid}\t{team}\t{state}\t{'t' if rng.random() < 0.05 else 'f'}\t"
                        f"{text(created)}\t{joined_at}\t{ended}\t\t{text(created)}"
                    ))  # fmt: skip
                if vid % 50_000 == 0:
                    yield buffer.getvalue()
                    buffer = io.StringIO()
                    if vid % 200_000 == 0:
                        rate = vid / (time.monotonic() - started)
                        self.log(f"volunteers: {vid:,} ({rate:,.0f}/s)")
            yield buffer.getvalue()

        table.copy(cursor, chunks())
        self.memberships = membership_id

    def counters_copy(self, cursor) -> None:
        from jinguo.orgs.models import NodeCounter

        table = Table(NodeCounter, ["node_id", "volunteers", "members", "teams"], self.now)
        table.copy(cursor, (table.line(f"{k}\t{v[0]}\t{v[1]}\t{v[2]}") for k, v in self.counters.items()))

    def run(self) -> dict:
        from django.db import connection, transaction

        from jinguo.core.models import Sequence

        started = time.monotonic()
        self.build_tree()
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
            restore = []
            for table in TABLES:
                restore += drop_secondary(cursor, table)
            self.copy_tree(raw)
            with tempfile.TemporaryFile("w+", encoding="utf-8") as memberships:
                self.volunteers(raw, memberships)
                memberships.seek(0)
                self.membership_table.copy(raw, memberships)
            self.counters_copy(raw)
            loaded = time.monotonic()
            self.log(f"loaded in {loaded - started:.0f} s; rebuilding {len(restore)} indexes and constraints")
            for statement in restore:
                cursor.execute(statement)
            for table in ("orgs_node", "volunteers_volunteer", "volunteers_membership"):
                cursor.execute(  # our own constant table names
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
            Sequence.objects.update_or_create(name="volunteer-number", defaults={"value": self.total})
            Sequence.objects.update_or_create(name=DATASET_MARKER, defaults={"value": self.total})
            # Data sets built on these volunteers (bench/hours.py's ledger) went with them (TRUNCATE … CASCADE).
            Sequence.objects.filter(name__startswith="bench:").exclude(name=DATASET_MARKER).delete()
            self.log(f"indexes rebuilt in {time.monotonic() - loaded:.0f} s")
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
        elapsed = time.monotonic() - started
        summary = {
            "nodes": len(self.node_rows),
            "teams": len(self.team_rows),
            "communities": len(self.communities),
            "districts": len(self.district_teams),
            "cities": len(self.city_teams),
            "volunteers": self.total,
            "memberships": self.memberships,
            "seed": self.seed,
            "seconds": round(elapsed, 1),
        }
        self.log(f"done in {elapsed:.0f} s: {summary}")
        return summary


def check_counters() -> list:
    from jinguo.orgs.services import rebuild_counters

    return rebuild_counters(fix=False)


def summary_from_db(seed: int) -> dict:
    """The size of a data set already in the database (when it was built without a summary file)."""
    from jinguo.orgs.models import Node, Team
    from jinguo.volunteers.models import Membership, Volunteer

    return {
        "nodes": Node.objects.count(),
        "teams": Team.objects.count(),
        "communities": Node.objects.filter(kind="community").count(),
        "districts": Node.objects.filter(kind="district").count(),
        "cities": Node.objects.filter(kind="city").count(),
        "volunteers": Volunteer.objects.count(),
        "memberships": Membership.objects.count(),
        "seed": seed,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--json", help="write the summary here")
    parser.add_argument("--verify-only", action="store_true", help="describe and check the data set, build nothing")
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.verify_only:
        summary = summary_from_db(args.seed)
    else:
        summary = Generator(volunteers=args.volunteers, seed=args.seed).run()
    started = time.monotonic()
    drift = check_counters()
    summary["counter_drift"] = len(drift)
    summary["counter_check_seconds"] = round(time.monotonic() - started, 1)
    print(f"[generate] rebuild_counters(fix=False): {len(drift)} differences", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh)
    if drift:
        sys.exit(f"counter drift: {drift[:5]}")


if __name__ == "__main__":
    main()
