"""Shared fixtures: a small org tree with an owner, a member and an outsider for every role (healthchecks-style).

    全国妇联
    └── 福建省妇联 (350000)
        └── 厦门市妇联 (350200)               city_admin (admin, personal data)
            ├── 厦门市巾帼志愿服务总队         (tier 1)
            ├── 思明区妇联 (350203)           district_admin (admin), district_staff (read-only)
            │   └── 筼筜街道 → 湖滨社区
            │   └── 思明区巾帼服务队 (team)      leader     ─ └── 湖滨小队 (sub-team)
            └── 湖里区妇联 (350206)           outsider_admin (sibling district)
                └── 殿前街道 → 高殿社区
                └── 湖里区巾帼服务队 (team_b)   outsider_leader
"""

import datetime
import random
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from jinguo.core import synthetic
from jinguo.core.sms import MemorySmsBackend
from jinguo.orgs import services as org_services
from jinguo.orgs.choices import NodeKind, Role

TEAM_DATA = {
    "unit_name": "思明区妇联",
    "level": "district",
    "founded_on": datetime.date(2016, 11, 25),
    "leader_name": "林秀英",
    "leader_position": "主席",
    "leader_phone": "13905920001",
    "service_categories": ["legal", "care"],
    "service_times": ["weekend"],
}


@pytest.fixture(autouse=True)
def _clear_outbox():
    MemorySmsBackend.outbox.clear()
    yield
    MemorySmsBackend.outbox.clear()


def make_user(username: str, **extra):
    User = get_user_model()
    return User.objects.create_user(username=username, password="Passw0rd!2026", display_name=username, **extra)


@pytest.fixture
def root_user(db):
    User = get_user_model()
    return User.objects.create_superuser(username="root", password="Passw0rd!2026", display_name="平台管理员")


@pytest.fixture
def world(db, root_user):
    """The tree and its people. Every test that checks scope uses it."""
    w = SimpleNamespace(root_user=root_user)
    create = org_services.node_create
    w.national = create(actor=root_user, parent=None, name="全国妇联", kind=NodeKind.NATIONAL)
    w.province = create(actor=root_user, parent=w.national, name="福建省妇联", kind=NodeKind.PROVINCE, code="350000")
    w.city = create(
        actor=root_user, parent=w.province, name="厦门市妇联", kind=NodeKind.CITY, code="350200",
        team_tier_names="总队,服务队,分队,小队",
    )
    w.district = create(actor=root_user, parent=w.city, name="思明区妇联", kind=NodeKind.DISTRICT, code="350203")
    w.street = create(actor=root_user, parent=w.district, name="筼筜街道", kind=NodeKind.STREET)
    w.community = create(actor=root_user, parent=w.street, name="湖滨社区", kind=NodeKind.COMMUNITY)
    w.other_district = create(actor=root_user, parent=w.city, name="湖里区妇联", kind=NodeKind.DISTRICT, code="350206")
    w.other_street = create(actor=root_user, parent=w.other_district, name="殿前街道", kind=NodeKind.STREET)
    w.other_community = create(actor=root_user, parent=w.other_street, name="高殿社区", kind=NodeKind.COMMUNITY)

    # tier=1 on purpose: the fixture's teams are a 总队 with a 服务队 below it (the default at a district is 服务队).
    w.team = org_services.team_create(actor=root_user, parent=w.district, name="思明区巾帼服务队", data=TEAM_DATA, tier=1)
    w.subteam = org_services.team_create(actor=root_user, parent=w.team.node, name="湖滨小队", data=TEAM_DATA)
    w.team_b = org_services.team_create(
        actor=root_user, parent=w.other_district, name="湖里区巾帼服务队", data={**TEAM_DATA, "unit_name": "湖里区妇联"},
        tier=1,
    )

    def grant(username, role, node, personal=False):
        user = make_user(username)
        org_services.role_grant(actor=root_user, user=user, role=role, node=node, personal_data=personal)
        return user

    w.city_admin = grant("city_admin", Role.FEDERATION_ADMIN, w.city, personal=True)
    w.district_admin = grant("district_admin", Role.FEDERATION_ADMIN, w.district)
    w.district_staff = grant("district_staff", Role.FEDERATION_STAFF, w.district)
    w.leader = grant("leader", Role.TEAM_LEADER, w.team.node)
    w.outsider_admin = grant("outsider_admin", Role.FEDERATION_ADMIN, w.other_district)
    w.outsider_leader = grant("outsider_leader", Role.TEAM_LEADER, w.team_b.node)
    w.nobody = make_user("nobody")
    return w


_rng = random.Random(20261123)


def volunteer_raw(**overrides) -> dict:
    """A valid registration with a synthetic person."""
    sex = overrides.pop("sex", "F")
    born = overrides.pop("born", synthetic.birth_date(_rng, 20, 60))
    raw = {
        "name": synthetic.name(_rng, sex),
        "id_type": "resident",
        "id_number": synthetic.id_number(_rng, "350203", born, sex),
        "phone": synthetic.mobile(_rng),
        "ethnicity": "汉族",
        "political_status": "群众",
        "education": "本科",
        "skills": "法律咨询",
        "categories": ["legal"],
        "availability": ["weekend"],
        "force_type": "main",
    }
    raw.update(overrides)
    return raw


@pytest.fixture
def make_volunteer(world):
    """Register a volunteer by staff and, unless confirm=False, have her confirm (with an account)."""
    from jinguo.volunteers import services

    def make(team=None, home=None, confirm=True, **overrides):
        raw = volunteer_raw(**overrides)
        volunteer = services.volunteer_create_by_staff(
            actor=world.root_user, raw=raw, home_node=home or world.community, team=team, notify=False
        )
        if confirm:
            volunteer = services.volunteer_confirm(
                volunteer=volunteer, phone=volunteer.phone, password="Passw0rd!2026",
                consents=["personal", "sensitive"],
            )
        volunteer.refresh_from_db()
        return volunteer

    return make


@pytest.fixture
def member(world, make_volunteer):
    """A confirmed volunteer in the district's team, with a login."""
    return make_volunteer(team=world.team.node)
