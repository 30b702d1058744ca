"""The dispatch recommender: each factor moves a candidate up or down, every reason is Chinese, the pool respects data
scope, and only confirmed volunteers and filed teams are proposed."""

import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jinguo.demands import recommend
from jinguo.demands.choices import AssigneeKind, AssignmentMode, AssignmentStatus, NeedSource, NeedStatus
from jinguo.demands.models import Assignment, MenuItem, Need, ProviderStats
from jinguo.demands.recommend import WEIGHTS, Candidate, bayesian_rating, day_kind, rank_candidates
from jinguo.hours.models import VolunteerHours
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import FilingStatus, NodeKind
from jinguo.orgs.models import Team
from jinguo.volunteers import services as volunteer_services
from jinguo.volunteers.choices import VolunteerStatus
from jinguo.volunteers.models import Volunteer

SATURDAY = datetime.date(2026, 12, 12)
WEDNESDAY = datetime.date(2026, 12, 9)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
_numbers = itertools.count(1)


def make_need(world, *, category="legal", node=None, description="家中老人需要上门帮助", **extra) -> Need:
    n = next(_numbers)
    fields = {
        "number": f"XQ2026{n:06d}",
        "tracking_code": f"T{n:07d}",
        "category": category,
        "description": description,
        "node": node or world.community,
        "address": "湖滨南路 1 号",
        "requester_name": "陈阿姨",
        "requester_phone": "13905921234",
        "source": NeedSource.PROXY,
        "status": NeedStatus.OPEN,
        "preferred_date": SATURDAY,
    }
    fields.update(extra)
    return Need.objects.create(**fields)


def volunteers_of(need, user=None, **kwargs) -> list[Candidate]:
    return rank_candidates(need, kind="volunteer", user=user, **kwargs)


def ids(candidates) -> list[int]:
    return [c.volunteer.pk if c.volunteer else c.team.pk for c in candidates]


def by_id(candidates) -> dict[int, Candidate]:
    return {c.volunteer.pk if c.volunteer else c.team.pk: c for c in candidates}


def file_teams(*teams) -> None:
    # Filing itself (backbone, forms, the level above's review) is tested in orgs; here a team only needs the state.
    Team.objects.filter(pk__in=[t.pk for t in teams]).update(filing_status=FilingStatus.FILED)


@pytest.fixture
def same(make_volunteer):
    """A volunteer who differs from the others only in what a test passes."""

    def make(**overrides):
        overrides.setdefault("categories", ["legal"])
        overrides.setdefault("availability", ["weekend"])
        overrides.setdefault("skills", "唱歌")
        return make_volunteer(**overrides)

    return make


@pytest.fixture
def places(world):
    """Another community in the same street, and a community in another street of the same district."""
    root = world.root_user
    create = org_services.node_create
    neighbour = create(actor=root, parent=world.street, name="莲花社区", kind=NodeKind.COMMUNITY)
    far_street = create(actor=root, parent=world.district, name="嘉莲街道", kind=NodeKind.STREET)
    far_community = create(actor=root, parent=far_street, name="仙岳社区", kind=NodeKind.COMMUNITY)
    return type("Places", (), {"neighbour": neighbour, "far_street": far_street, "far_community": far_community})


# ---- each factor matters ---------------------------------------------------------------------------------------


def test_category_match_ranks_above_a_nearer_provider_of_another_category(world, same, places):
    matching = same(categories=["legal"], home=places.far_community)
    other = same(categories=["green"])  # same community as the need, but another category
    need = make_need(world, category="legal")

    result = volunteers_of(need)

    assert ids(result) == [matching.pk, other.pk]
    assert "服务类别匹配：巾帼法律维权" in result[0].reasons
    assert "服务类别不含：巾帼法律维权" in result[1].reasons


def test_tree_distance_orders_community_street_district(world, same, places):
    far = same(home=places.far_community)
    near = same(home=world.community)
    street = same(home=places.neighbour)
    need = make_need(world)

    result = volunteers_of(need)

    assert ids(result) == [near.pk, street.pk, far.pk]
    assert [c.reasons[1] for c in result] == ["同一社区", "同一街道", "同一区县"]
    assert result[0].score - result[1].score == pytest.approx(WEIGHTS["distance"] * 0.25, abs=0.11)


def test_a_team_she_serves_in_brings_her_near(world, same, places):
    """She lives in 湖里区 but serves in 湖滨小队 of 思明区: as near as the district, and named with her team."""
    member = same(home=world.other_community, team=world.subteam.node)
    outside = same(home=world.other_community)
    need = make_need(world)

    result = by_id(volunteers_of(need, user=world.city_admin))

    assert "同一区县（所在队伍：湖滨小队）" in result[member.pk].reasons
    assert "同一市" in result[outside.pk].reasons
    assert result[member.pk].score > result[outside.pk].score


def test_load_ranks_the_busier_volunteer_lower(world, same):
    busy = same()
    free = same()
    ProviderStats.objects.create(volunteer=busy, open_count=3)
    need = make_need(world)

    result = volunteers_of(need)

    assert ids(result) == [free.pk, busy.pk]
    assert "在办 3 单" in result[1].reasons
    assert "暂无在办" in result[0].reasons
    assert result[0].score - result[1].score == pytest.approx(WEIGHTS["load"] * 0.75, abs=0.11)


def test_rating_is_smoothed_so_one_five_star_rating_does_not_dominate(world, same):
    once = same()
    proven = same()
    unrated = same()
    ProviderStats.objects.create(volunteer=once, rating_sum=5, rating_count=1)
    ProviderStats.objects.create(volunteer=proven, rating_sum=58, rating_count=12)  # 4.83 on average
    need = make_need(world)

    result = volunteers_of(need)

    # The raw averages would put `once` (5.0) first; toward 4.0 with five ratings' weight: 4.17 < 4.59.
    assert bayesian_rating(5, 1) == pytest.approx(25 / 6)
    assert bayesian_rating(58, 12) == pytest.approx(78 / 17)
    assert ids(result) == [proven.pk, once.pk, unrated.pk]
    assert "评分 4.8（12 次）" in result[0].reasons
    assert "评分 5.0（1 次）" in result[1].reasons
    assert "暂无评分（按 4.0 计）" in result[2].reasons


def test_availability_follows_the_preferred_date(world, same):
    weekday = same(availability=["weekday"])
    weekend = same(availability=["weekend"])
    blank = same(availability=[])

    on_saturday = volunteers_of(make_need(world, preferred_date=SATURDAY))
    on_wednesday = volunteers_of(make_need(world, preferred_date=WEDNESDAY))

    assert ids(on_saturday) == [weekend.pk, blank.pk, weekday.pk]
    assert ids(on_wednesday) == [weekday.pk, blank.pk, weekend.pk]
    assert "可服务时间：双休日" in on_saturday[0].reasons
    assert "未填写可服务时间" in on_saturday[1].reasons
    assert "可服务时间不含双休日" in on_saturday[2].reasons
    assert "可服务时间：工作日" in on_wednesday[0].reasons


def test_day_kind_knows_fixed_public_holidays():
    assert day_kind(datetime.date(2026, 10, 1)) == "holiday"  # a Thursday, 国庆节
    assert day_kind(datetime.date(2026, 5, 2)) == "holiday"
    assert day_kind(SATURDAY) == "weekend"
    assert day_kind(WEDNESDAY) == "weekday"


def test_skills_found_in_the_description_rank_higher(world, same):
    plain = same(skills="唱歌")
    skilled = same(skills="心理疏导、法律咨询")
    need = make_need(world, description="独居老人情绪低落，希望有人上门心理疏导")

    result = volunteers_of(need)

    assert ids(result) == [skilled.pk, plain.pk]
    assert "技能相符：心理疏导" in result[0].reasons
    assert not any(r.startswith("技能") for r in result[1].reasons)


def test_experience_services_done_and_counted_hours(world, same):
    new = same()
    done = same()
    served = same()
    ProviderStats.objects.create(volunteer=done, done_count=10)
    VolunteerHours.objects.create(volunteer=served, year=2025, hours=Decimal("80.5"), records=12)
    VolunteerHours.objects.create(volunteer=served, year=2026, hours=Decimal("40"), records=6)
    need = make_need(world)

    result = by_id(volunteers_of(need))

    assert "已完成 10 单" in result[done.pk].reasons
    assert "累计服务 120.5 小时" in result[served.pk].reasons
    assert result[done.pk].score > result[new.pk].score
    assert result[served.pk].score > result[new.pk].score


def test_score_is_the_documented_weighted_sum(world, same):
    """Category, skills, same community, weekend, nothing in hand: the rest is each factor's documented neutral."""
    volunteer = same(skills="法律咨询")
    need = make_need(world, description="需要法律咨询")

    [candidate] = volunteers_of(need)

    expected = (
        WEIGHTS["category"] + WEIGHTS["skills"] + WEIGHTS["distance"] + WEIGHTS["map"] * 0.5
        + WEIGHTS["availability"] + WEIGHTS["load"] + WEIGHTS["rating"] * 0.75
    )  # fmt: skip
    assert candidate.volunteer == volunteer
    assert candidate.score == pytest.approx(round(expected, 1))
    assert sum(WEIGHTS.values()) == 100


# ---- teams ------------------------------------------------------------------------------------------------------


@pytest.fixture
def street_team(world):
    team = org_services.team_create(
        actor=world.root_user, parent=world.street, name="筼筜巾帼帮扶队", tier=2,
        data={"service_categories": ["care"], "service_times": ["weekend"], "service_features": "助老、陪伴",
              "latitude": Decimal("24.480000"), "longitude": Decimal("118.100000")},
    )  # fmt: skip
    file_teams(team)
    return team


def test_teams_ranked_by_category_tree_and_map_distance(world, street_team):
    file_teams(world.team, world.subteam, world.team_b)
    draft = org_services.team_create(
        actor=world.root_user, parent=world.street, name="未备案队", tier=2, data={"service_categories": ["care"]}
    )
    need = make_need(
        world, category="care", description="独居老人需要陪伴",
        latitude=Decimal("24.490000"), longitude=Decimal("118.100000"),
    )  # fmt: skip

    result = rank_candidates(need, kind="team")
    reasons = by_id(result)

    assert ids(result)[0] == street_team.pk
    assert reasons[street_team.pk].reasons[:3] == ["服务类别匹配：巾帼爱心帮扶", "技能相符：陪伴", "同一街道（距离约 1.1 公里）"]
    assert draft.pk not in reasons
    assert world.team_b.pk not in reasons  # the system looks in the need's district only
    assert {world.team.pk, world.subteam.pk} <= set(reasons)
    assert all(c.volunteer is None and c.team.team.filing_status == FilingStatus.FILED for c in result)


def test_map_point_breaks_a_tie_between_teams_in_the_same_place(world):
    data = {"service_categories": ["care"], "service_times": ["weekend"]}
    near = org_services.team_create(
        actor=world.root_user, parent=world.district, name="近队", tier=1,
        data={**data, "latitude": Decimal("24.480000"), "longitude": Decimal("118.090000")},
    )  # fmt: skip
    far = org_services.team_create(
        actor=world.root_user, parent=world.district, name="远队", tier=1,
        data={**data, "latitude": Decimal("24.750000"), "longitude": Decimal("118.090000")},
    )  # fmt: skip
    unknown = org_services.team_create(actor=world.root_user, parent=world.district, name="无坐标队", tier=1, data=data)
    file_teams(near, far, unknown)
    need = make_need(world, category="care", latitude=Decimal("24.485000"), longitude=Decimal("118.090000"))

    result = rank_candidates(need, kind="team")

    assert ids(result) == [near.pk, unknown.pk, far.pk]
    assert "同一区县（距离约 556 米）" in result[0].reasons
    assert "同一区县" in result[1].reasons
    assert "同一区县（距离约 29.5 公里）" in result[2].reasons


def test_team_menu_items_count_as_skills_and_load_counts(world):
    data = {"service_categories": ["care"], "service_times": ["weekend"]}
    barber = org_services.team_create(actor=world.root_user, parent=world.district, name="理发队", tier=1, data=data)
    busy = org_services.team_create(actor=world.root_user, parent=world.district, name="忙碌队", tier=1, data=data)
    idle = org_services.team_create(actor=world.root_user, parent=world.district, name="空闲队", tier=1, data=data)
    file_teams(barber, busy, idle)
    MenuItem.objects.create(team=barber.node, category="care", title="上门理发", content="为老人理发", area=world.district)
    ProviderStats.objects.create(team=busy.node, open_count=4)
    need = make_need(world, category="care", description="行动不便，想请人上门理发")

    result = rank_candidates(need, kind="team")

    assert ids(result) == [barber.pk, idle.pk, busy.pk]
    assert "技能相符：上门理发" in result[0].reasons
    assert "在办 4 单" in result[2].reasons


# ---- who may appear ---------------------------------------------------------------------------------------------


def test_unconfirmed_frozen_and_withdrawn_volunteers_never_appear(world, same, root_user):
    confirmed = same()
    pending = same(confirm=False)
    frozen = same(confirm=False)
    volunteer_services.volunteer_deny(volunteer=frozen, phone=frozen.phone, reason="不是我本人")
    withdrawn = same()
    Volunteer.objects.filter(pk=withdrawn.pk).update(status=VolunteerStatus.WITHDRAWN)
    assert Volunteer.objects.get(pk=frozen.pk).status == VolunteerStatus.FROZEN

    for category in ("legal", "business"):  # matching, and the fill-up with other categories
        need = make_need(world, category=category)
        for user in (None, root_user, world.district_admin):
            assert ids(volunteers_of(need, user=user, limit=50)) == [confirmed.pk]
    assert {pending.pk, frozen.pk, withdrawn.pk}.isdisjoint(Volunteer.objects.filter(status="active").values_list("pk", flat=True))


def test_an_outsiders_pool_excludes_other_districts(world, same):
    here = same(home=world.community)
    member_here = same(home=world.community, team=world.subteam.node)
    there = same(home=world.other_community)
    file_teams(world.team, world.subteam, world.team_b)
    need = make_need(world, category="legal")

    outsider = volunteers_of(need, user=world.outsider_admin)
    admin = volunteers_of(need, user=world.district_admin)
    city = volunteers_of(need, user=world.city_admin)

    assert ids(outsider) == [there.pk]
    assert set(ids(admin)) == {here.pk, member_here.pk}
    assert set(ids(city)) == {here.pk, member_here.pk, there.pk}
    for user, result in ((world.outsider_admin, outsider), (world.district_admin, admin), (world.city_admin, city)):
        assert set(ids(result)) <= set(Volunteer.objects.restrict(user).values_list("pk", flat=True))
    assert ids(rank_candidates(need, kind="team", user=world.outsider_admin)) == [world.team_b.pk]
    assert ids(rank_candidates(need, kind="team", user=world.outsider_leader)) == [world.team_b.pk]
    assert volunteers_of(need, user=world.nobody) == []
    assert rank_candidates(need, kind="team", user=world.nobody) == []


def test_a_leader_sees_the_volunteers_of_her_team_only(world, same):
    member = same(home=world.other_community, team=world.team.node)
    same(home=world.community)  # not in her team
    need = make_need(world)

    assert ids(volunteers_of(need, user=world.leader)) == [member.pk]


def test_a_provider_who_declined_the_need_is_left_out(world, same):
    declined = same()
    other = same()
    need = make_need(world)
    Assignment.objects.create(
        need=need, assignee_kind=AssigneeKind.VOLUNTEER, volunteer=declined, mode=AssignmentMode.DISPATCH,
        status=AssignmentStatus.DECLINED, reason="这周末不在厦门",
    )  # fmt: skip

    assert ids(volunteers_of(need)) == [other.pk]


def test_other_categories_fill_in_when_too_few_match(world, same):
    legal = same(categories=["legal"])
    need = make_need(world, category="business")

    [candidate] = volunteers_of(need)

    assert candidate.volunteer == legal
    assert "服务类别不含：巾帼创业指导" in candidate.reasons


def test_the_pool_is_the_nearest_rings(world, same, places, monkeypatch):
    """With room for two, the need's own community fills the pool before anyone further away is read."""
    near = {same(home=world.community).pk for _ in range(2)}
    for _ in range(2):
        same(home=places.far_community)
    monkeypatch.setattr(recommend, "POOL_LIMIT", 2)

    assert set(ids(volunteers_of(make_need(world), limit=2))) == near


def test_limit_and_reasons_are_chinese(world, same):
    for _ in range(4):
        same()
    result = volunteers_of(make_need(world), limit=3)

    assert len(result) == 3
    for candidate in result:
        assert candidate.reasons
        assert all(CHINESE.search(reason) for reason in candidate.reasons)


def test_queries_do_not_grow_with_the_pool(world, same, places):
    need = make_need(world)

    def count():
        with CaptureQueriesContext(connection) as queries:
            volunteers_of(need, user=world.district_admin)
        return len(queries)

    same(home=places.far_community)
    count()  # her scope, once per request
    few = count()
    for home in (world.community, places.neighbour, places.far_community) * 3:
        same(home=home, team=world.subteam.node)
    assert count() == few


def test_unknown_kind_is_refused(world):
    with pytest.raises(ValueError, match="unknown candidate kind"):
        rank_candidates(make_need(world), kind="person")


def test_team_form_takes_a_map_point_both_or_neither(world):
    from jinguo.orgs.forms import TeamForm

    def form(**point):
        return TeamForm(data={"name": world.team.name, "tier": "1", **point}, tier_options=[(1, "总队")])

    only_latitude = form(latitude="24.480000")
    assert not only_latitude.is_valid()
    assert only_latitude.errors["longitude"] == ["纬度和经度须同时填写，或都不填。"]
    assert not form(latitude="91", longitude="118.1").is_valid()
    both = form(latitude="24.480000", longitude="118.100000")
    assert both.is_valid(), both.errors
    org_services.team_update(actor=world.root_user, team=world.team, data=both.service_data())
    world.team.refresh_from_db()
    assert (world.team.latitude, world.team.longitude) == (Decimal("24.480000"), Decimal("118.100000"))
