"""The dispatch recommender (派单推荐): rank the teams or volunteers who could serve a need, and say why.

    rank_candidates(need, kind="team" | "volunteer", user=None, limit=20) -> list[Candidate]

Each candidate's score is a transparent weighted sum: every factor below is a number from 0 to 1, multiplied by its
weight in `WEIGHTS` (the weights add up to 100, so a score reads as points out of 100), and every factor adds a
short Chinese reason to the candidate, so the dispatcher sees why one ranks above another.

    category      1 when the need's category is one of the provider's (volunteer: `categories_mask` bit; team:
                  `service_categories`), else 0.
    skills        keywords of the provider (volunteer: `skills`; team: its menu items' titles and the short phrases
                  of `service_features`) found in the need's description: 1 for a whole keyword, 0.5 when at least
                  half of a keyword's two-character pieces occur, else 0.
    distance      org-tree distance between the need's node and the provider: the deepest federation node they
                  share. Volunteer: her home node and each team she serves in (the nearest counts); team: its place
                  in the tree (a team under a street is that street's). Same community 1, street 0.75, district
                  0.5, city 0.25, province 0.1, further 0.
    map           both the need and the team have a map point: 1 / (1 + km / 5) (haversine); otherwise 0.5, the
                  value of 5 km, so an unknown distance counts as an average one (volunteers have no map point).
    availability  the need's preferred date is a working day, a weekend or a public holiday (fixed-date holidays
                  only, see `FIXED_HOLIDAYS`): 1 when the provider serves then (volunteer: `availability_mask`; team:
                  `service_times`), 0 when not, 0.3 when she left her times blank, 0.5 when the need has no date.
    load          needs in hand (`ProviderStats.open_count`): 1 / (1 + open).
    rating        Bayesian average toward `RATING_PRIOR` (4.0) with the weight of `RATING_PRIOR_COUNT` (5)
                  ratings, mapped from 1–5 to 0–1: one 5-star rating gives 4.17, not 5, so it cannot outrank a
                  provider rated 4.8 twelve times.
    experience    services done (`ProviderStats.done_count`; full at 20 for a volunteer, 50 for a team, on a log
                  scale) and, for a volunteer, her counted hours (`hours.VolunteerHours`, full at 200 h): half each.

Who is a candidate: volunteers whose status is active (confirmed by herself, not frozen or withdrawn: R25) and
filed (已备案) active teams, in the need's city (services are delivered in person); a provider who declined this
need is left out. Data scope: with `user`, only providers that user may see (the volunteers
`Volunteer.objects.restrict(user)` returns: registered in her subtree or serving in a team of it; the teams of her
subtree); with `user=None` (the system, e.g. an automatic dispatch rule), the need's district subtree.

Speed at a million volunteers: candidates are narrowed in SQL ring by ring, from the need's community outwards
(community, street, district, city). The nodes of all rings are read first in one query (a path-prefix range on
the tree's path index); then, per ring, volunteers by home node id (the (home_node, id) index) and by membership of
the ring's teams (the (team, status) index), filtered by status and the category bit, with a LIMIT, until
`POOL_LIMIT` are found; only when fewer than `limit` share the category are the nearest others added. Node ids,
not a path pattern joined to the volunteers: PostgreSQL cannot estimate how many nodes a prefix matches and then
scans the whole volunteer table. Only that bounded pool is read in full (figures and hours joined in one query) and
scored in Python. Ties within the last ring read are cut arbitrarily: the pool is the nearest `POOL_LIMIT`, not the
best of a whole city. No index was added for this: see docs/benchmarks.md (g).
"""

import datetime
import math
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.expressions import RawSQL

from jinguo.activities.selectors import haversine_m
from jinguo.core.scope import get_scope, minimal_paths, path_q
from jinguo.hours.models import VolunteerHours
from jinguo.orgs.choices import (
    SERVICE_CATEGORIES,
    SERVICE_CATEGORY_LABELS,
    SERVICE_TIME_LABELS,
    SERVICE_TIMES,
    FilingStatus,
    NodeKind,
    NodeStatus,
)
from jinguo.orgs.models import Node, Team
from jinguo.volunteers.choices import MembershipStatus, VolunteerStatus
from jinguo.volunteers.models import Membership, Volunteer

from .choices import AssignmentStatus
from .models import Assignment, MenuItem, Need

WEIGHTS = {
    "category": 30.0,
    "skills": 8.0,
    "distance": 20.0,
    "map": 6.0,
    "availability": 10.0,
    "load": 10.0,
    "rating": 10.0,
    "experience": 6.0,
}
POOL_LIMIT = 200
TREE_SCORES = {
    NodeKind.COMMUNITY: 1.0,
    NodeKind.STREET: 0.75,
    NodeKind.DISTRICT: 0.5,
    NodeKind.CITY: 0.25,
    NodeKind.PROVINCE: 0.1,
}
TREE_LABELS = {
    NodeKind.COMMUNITY: "同一社区",
    NodeKind.STREET: "同一街道",
    NodeKind.DISTRICT: "同一区县",
    NodeKind.CITY: "同一市",
    NodeKind.PROVINCE: "同一省",
}
MAP_HALF_KM = 5.0
RATING_PRIOR = 4.0
RATING_PRIOR_COUNT = 5
DONE_FULL = {"volunteer": 20, "team": 50}
HOURS_FULL = 200
# Public holidays on fixed dates (元旦, 劳动节, 国庆节). The lunar ones (春节, 清明, 端午, 中秋) move every year and
# the platform keeps no holiday calendar yet: on those dates the need counts as a working day or a weekend.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (5, 3), (10, 1), (10, 2), (10, 3), (10, 4), (10, 5), (10, 6), (10, 7)}
KINDS = ("team", "volunteer")

_CATEGORY_BITS = {code: 1 << i for i, (code, _label) in enumerate(SERVICE_CATEGORIES)}
_TIME_BITS = {code: 1 << i for i, (code, _label) in enumerate(SERVICE_TIMES)}
_SPLIT = re.compile(r"[\s,，、;；/|。.!！?？:：()（）\"“”]+")


@dataclass
class Candidate:
    """One provider the need could be dispatched to: a team (its node) or a volunteer, her score and the reasons."""

    team: Node | None
    volunteer: Volunteer | None
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Profile:
    """What the scoring reads about one provider, fetched for the whole pool at once."""

    pk: int
    categories: set[str]
    keywords: list[str]
    anchors: list[tuple[str, str]]  # (path, team name or "") of where she is in the tree
    times: set[str]
    latitude: object = None
    longitude: object = None
    open_count: int = 0
    done_count: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    hours: float = 0.0


def rank_candidates(need: Need, *, kind: str = "team", user=None, limit: int = 20) -> list[Candidate]:
    """The best `limit` providers of `kind` for `need`, best first, each with its score and reasons."""
    if kind not in KINDS:
        raise ValueError(f"unknown candidate kind {kind!r}")
    node = need.node
    ancestors = {n.depth: n for n in node.breadcrumb()}
    rings = _Rings(_rings(node, ancestors, system=user is None), _scope_paths(user))
    if kind == "volunteer":
        profiles = _volunteer_profiles(_volunteer_pool(need, rings, limit))
    else:
        profiles = _team_profiles(_team_pool(need, rings, limit))
    declined = set(
        Assignment.objects.filter(need_id=need.pk, status=AssignmentStatus.DECLINED).values_list(
            "team_id" if kind == "team" else "volunteer_id", flat=True
        )
    ) if need.pk else set()
    scored = []
    context = _NeedContext(need, ancestors, kind)
    for profile in profiles:
        if profile.pk in declined:
            continue
        score, tree, reasons = context.score(profile)
        scored.append((score, tree, profile.pk, reasons))
    scored.sort(key=lambda row: (-row[0], -row[1], row[2]))
    top = scored[:limit]
    ids = [row[2] for row in top]
    if kind == "volunteer":
        objects = Volunteer.objects.select_related("home_node").in_bulk(ids)
        return [Candidate(team=None, volunteer=objects[pk], score=score, reasons=reasons)
                for score, _tree, pk, reasons in top]  # fmt: skip
    objects = Node.objects.select_related("team").in_bulk(ids)
    return [Candidate(team=objects[pk], volunteer=None, score=score, reasons=reasons)
            for score, _tree, pk, reasons in top]  # fmt: skip


# ---- narrowing in SQL -------------------------------------------------------------------------------------------


def _rings(node: Node, ancestors: dict[int, Node], *, system: bool) -> list[str]:
    """Path prefixes from the need's own node outwards, up to its city (services are delivered in person: nobody
    from another city is proposed); the system, acting for nobody in particular, stays in the need's district."""
    outermost = NodeKind.DISTRICT if system else NodeKind.CITY
    floors = [depth for depth, n in ancestors.items() if n.kind == outermost]
    floor = floors[0] if floors else node.depth
    return [node.path[: depth * Node.steplen] for depth in range(node.depth, floor - 1, -1)]


def _scope_paths(user) -> tuple[str, ...] | None:
    """The subtrees the user may see (None: everything). The same paths `Volunteer.objects.restrict` filters on."""
    if user is None:
        return None
    scope = get_scope(user)
    if scope.platform:
        return None
    return minimal_paths(scope.paths("view"))


def _within(ring: str, allowed: tuple[str, ...] | None) -> list[str]:
    """The parts of a ring's subtree inside the user's scope."""
    if allowed is None or any(ring.startswith(p) for p in allowed):
        return [ring]
    return [p for p in allowed if p.startswith(ring)]


def _among(field: str, ids: list[int]) -> Q:
    """`field IN ids`. On PostgreSQL the ids travel as one array: a query with hundreds of placeholders is too long for
    the driver's statement cache and costs more to split and bind than to run."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))})
    return Q(**{f"{field}__in": list(ids)})


class _Rings:
    """The node ids of each ring, nearest first, read in one query: federation nodes (where volunteers live) and
    active teams apart."""

    def __init__(self, rings: list[str], allowed):
        prefixes = _within(rings[-1], allowed)
        nodes = []
        if prefixes:
            nodes = list(Node.objects.filter(path_q("path", prefixes)).values_list("pk", "path", "kind", "status"))
        self.rings: list[tuple[list[int], list[int]]] = []
        seen: set[int] = set()
        for ring in rings:
            inside = tuple(_within(ring, allowed))
            places, teams = [], []
            for pk, path, kind, status in nodes:
                if pk in seen or not path.startswith(inside):
                    continue
                seen.add(pk)
                if kind != NodeKind.TEAM:
                    places.append(pk)
                elif status == NodeStatus.ACTIVE:
                    teams.append(pk)
            if places or teams:
                self.rings.append((places, teams))

    def walk(self, fetch, room: int, taken: list[int]) -> list[int]:
        """Ids from `fetch(places, teams, taken, room)`, ring by ring outwards, until `room` are found."""
        found: list[int] = []
        for places, teams in self.rings:
            found += fetch(places, teams, taken + found, room - len(found))
            if len(found) >= room:
                break
        return found


def _volunteer_pool(need: Need, rings: _Rings, limit: int) -> list[int]:
    bit = _CATEGORY_BITS.get(need.category, 0)

    def fetcher(matching: bool):
        def category(qs, prefix=""):
            qs = qs.alias(_hit=F(f"{prefix}categories_mask").bitand(bit))
            return qs.filter(_hit__gt=0) if matching else qs.filter(_hit=0)

        def fetch(places, teams, taken, room):
            ids: list[int] = []
            if places:
                # Rings do not overlap, so nobody found here was found by an inner ring's home query; only one who
                # serves in a team of an inner ring may come again, and is dropped (a large NOT IN costs more).
                homes = category(Volunteer.objects.filter(home_node_id__in=places, status=VolunteerStatus.ACTIVE))
                already = set(taken)
                ids = [pk for pk in homes.values_list("pk", flat=True)[:room] if pk not in already]
            if teams and len(ids) < room:
                # Those who live elsewhere but serve in a team here. No DISTINCT: PostgreSQL would read every
                # membership in volunteer order to produce it under a LIMIT; the rare duplicates go here.
                members = category(
                    Membership.objects.filter(
                        team_id__in=teams, status=MembershipStatus.ACTIVE, volunteer__status=VolunteerStatus.ACTIVE
                    ),
                    "volunteer__",
                )
                if taken or ids:
                    members = members.exclude(_among("volunteer_id", taken + ids))
                for volunteer_id in members.values_list("volunteer_id", flat=True)[: room - len(ids)]:
                    if volunteer_id not in ids:
                        ids.append(volunteer_id)
            return ids

        return fetch

    pool = rings.walk(fetcher(True), POOL_LIMIT, []) if bit else []
    if len(pool) < limit:
        pool += rings.walk(fetcher(False), limit - len(pool), pool)
    return pool


def _team_pool(need: Need, rings: _Rings, limit: int) -> list[dict]:
    # `"care"` with its quotes inside the JSON list's text: a lookup that works on SQLite and PostgreSQL alike.
    has_category = Q(service_categories__icontains=f'"{need.category}"')
    rows: dict[int, dict] = {}
    columns = ("node_id", "node__path", "service_categories", "service_times", "service_features", "other_category",
               "latitude", "longitude", *(f"node__provider_stats__{name}" for name in _STATS))  # fmt: skip

    def fetcher(matching: bool):
        def fetch(_places, teams, taken, room):
            if not teams:
                return []
            qs = Team.objects.filter(node_id__in=teams, filing_status=FilingStatus.FILED)
            qs = qs.filter(has_category if matching else ~has_category)
            if taken:
                qs = qs.exclude(_among("node_id", taken))
            fetched = list(qs.values(*columns)[:room])
            rows.update((row["node_id"], row) for row in fetched)
            return [row["node_id"] for row in fetched]

        return fetch

    pool = rings.walk(fetcher(True), POOL_LIMIT, [])
    if len(pool) < limit:
        rings.walk(fetcher(False), limit - len(pool), pool)
    return list(rows.values())


# ---- profiles of the pool ---------------------------------------------------------------------------------------


def _keywords(*texts: str) -> list[str]:
    words = []
    for text in texts:
        for word in _SPLIT.split(text or ""):
            if 2 <= len(word) <= 12 and word not in words:
                words.append(word)
    return words


_STATS = ("open_count", "done_count", "rating_sum", "rating_count")


def _stats(row: dict, prefix: str) -> dict:
    """The provider's cached figures from a LEFT JOIN to ProviderStats (None where she has no row yet)."""
    return {name: row[prefix + name] or 0 for name in _STATS}


def _volunteer_profiles(pool: list[int]) -> list[_Profile]:
    if not pool:
        return []
    profiles: dict[int, _Profile] = {}
    hours = (
        VolunteerHours.objects.filter(volunteer_id=OuterRef("pk")).order_by().values("volunteer_id")
        .annotate(total=Sum("hours")).values("total")
    )  # fmt: skip
    rows = Volunteer.objects.filter(_among("pk", pool)).values(
        "pk", "skills", "other_category", "categories_mask", "availability_mask", "home_node__path",
        *(f"provider_stats__{name}" for name in _STATS), hours=Subquery(hours),
    )  # fmt: skip
    for row in rows:
        mask, times = row["categories_mask"], row["availability_mask"]
        profiles[row["pk"]] = _Profile(
            pk=row["pk"],
            categories={code for code, bit in _CATEGORY_BITS.items() if mask & bit},
            keywords=_keywords(row["skills"], row["other_category"]),
            anchors=[(row["home_node__path"], "")],
            times={code for code, bit in _TIME_BITS.items() if times & bit},
            hours=float(row["hours"] or 0),
            **_stats(row, "provider_stats__"),
        )
    teams = Membership.objects.filter(_among("volunteer_id", pool), status=MembershipStatus.ACTIVE).values_list(
        "volunteer_id", "team__path", "team__name"
    )
    for volunteer_id, path, name in teams:
        profiles[volunteer_id].anchors.append((path, name))
    return list(profiles.values())


def _team_profiles(rows: list[dict]) -> list[_Profile]:
    if not rows:
        return []
    profiles: dict[int, _Profile] = {}
    for row in rows:
        profiles[row["node_id"]] = _Profile(
            pk=row["node_id"],
            categories=set(row["service_categories"] or []),
            keywords=_keywords(row["other_category"], row["service_features"]),
            anchors=[(row["node__path"], "")],
            times=set(row["service_times"] or []),
            latitude=row["latitude"],
            longitude=row["longitude"],
            **_stats(row, "node__provider_stats__"),
        )
    menus = MenuItem.objects.filter(_among("team_id", list(profiles)), is_active=True).values_list("team_id", "title")
    for team_id, title in menus:
        profiles[team_id].keywords += [w for w in _keywords(title) if w not in profiles[team_id].keywords]
    return list(profiles.values())


# ---- scoring -----------------------------------------------------------------------------------------------------


def day_kind(date: datetime.date) -> str:
    """The SERVICE_TIMES code of a date: holiday, weekend or weekday."""
    if (date.month, date.day) in FIXED_HOLIDAYS:
        return "holiday"
    return "weekend" if date.weekday() >= 5 else "weekday"


def bayesian_rating(rating_sum: int, rating_count: int) -> float:
    return (RATING_PRIOR * RATING_PRIOR_COUNT + rating_sum) / (RATING_PRIOR_COUNT + rating_count)


def _bigrams(word: str) -> list[str]:
    return [word[i : i + 2] for i in range(len(word) - 1)]


def _km_text(km: float) -> str:
    return f"距离约 {km * 1000:.0f} 米" if km < 1 else f"距离约 {km:.1f} 公里"


class _NeedContext:
    """What a need contributes to every candidate's score, computed once."""

    def __init__(self, need: Need, ancestors: dict[int, Node], kind: str):
        self.need = need
        self.kind = kind
        self.path = need.node.path
        self.ancestors = ancestors
        self.category_label = SERVICE_CATEGORY_LABELS.get(need.category, need.category)
        self.description = f"{need.description} {need.other_category}"
        self.day = day_kind(need.preferred_date) if need.preferred_date else None
        self.point = (need.latitude, need.longitude) if need.latitude is not None and need.longitude is not None else None

    def _tree(self, path: str) -> NodeKind | None:
        common = 0
        for a, b in zip(self.path, path, strict=False):
            if a != b:
                break
            common += 1
        node = self.ancestors.get(common // Node.steplen)
        return node.kind if node is not None else None

    def score(self, p: _Profile) -> tuple[float, float, list[str]]:
        factors: dict[str, float] = {}
        reasons: list[str] = []

        if self.need.category in p.categories:
            factors["category"] = 1.0
            reasons.append(f"服务类别匹配：{self.category_label}")
        else:
            factors["category"] = 0.0
            reasons.append(f"服务类别不含：{self.category_label}")

        whole = [w for w in p.keywords if w in self.description]
        partial = [
            w for w in p.keywords if w not in whole and len(w) >= 3
            and sum(b in self.description for b in _bigrams(w)) * 2 >= len(w) - 1
        ]  # fmt: skip
        factors["skills"] = 1.0 if whole else 0.5 if partial else 0.0
        if whole or partial:
            reasons.append(("技能相符：" if whole else "技能相近：") + "、".join((whole or partial)[:2]))

        best, via = None, ""
        for path, team_name in p.anchors:
            kind = self._tree(path)
            score = TREE_SCORES.get(kind, 0.0)
            if best is None or score > TREE_SCORES.get(best, 0.0):
                best, via = kind, team_name
        factors["distance"] = TREE_SCORES.get(best, 0.0)
        place = TREE_LABELS.get(best, "不在同一省")
        if via:
            place += f"（所在队伍：{via}）"

        if self.point and p.latitude is not None and p.longitude is not None:
            km = haversine_m(*self.point, p.latitude, p.longitude) / 1000
            factors["map"] = 1 / (1 + km / MAP_HALF_KM)
            place += f"（{_km_text(km)}）"
        else:
            factors["map"] = 0.5
        reasons.append(place)

        if self.day is None:
            factors["availability"] = 0.5
        elif not p.times:
            factors["availability"] = 0.3
            reasons.append("未填写可服务时间")
        elif self.day in p.times:
            factors["availability"] = 1.0
            reasons.append(f"可服务时间：{SERVICE_TIME_LABELS[self.day]}")
        else:
            factors["availability"] = 0.0
            reasons.append(f"可服务时间不含{SERVICE_TIME_LABELS[self.day]}")

        factors["load"] = 1 / (1 + max(p.open_count, 0))
        reasons.append(f"在办 {p.open_count} 单" if p.open_count > 0 else "暂无在办")

        smoothed = bayesian_rating(p.rating_sum, p.rating_count)
        factors["rating"] = (smoothed - 1) / 4
        if p.rating_count:
            reasons.append(f"评分 {p.rating_sum / p.rating_count:.1f}（{p.rating_count} 次）")
        else:
            reasons.append(f"暂无评分（按 {RATING_PRIOR:.1f} 计）")

        done = min(1.0, math.log1p(max(p.done_count, 0)) / math.log1p(DONE_FULL[self.kind]))
        if self.kind == "volunteer":
            hours = min(1.0, math.log1p(max(p.hours, 0)) / math.log1p(HOURS_FULL))
            factors["experience"] = (done + hours) / 2
        else:
            factors["experience"] = done
        if p.done_count:
            reasons.append(f"已完成 {p.done_count} 单")
        if p.hours:
            reasons.append(f"累计服务 {p.hours:g} 小时")

        total = sum(WEIGHTS[name] * value for name, value in factors.items())
        return round(total, 1), factors["distance"], reasons
