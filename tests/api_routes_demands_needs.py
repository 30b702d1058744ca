"""Scope-coverage entries for part A's API (issue 4): needs and service menus. Same dicts as
tests/api_routes_service_hours.py (merged by tests/test_scope_coverage.py)."""

API_TARGETS = {
    "need": lambda t: t.submitted_need.pk,
    ("need", "cancel"): lambda t: t.need.pk,
    "menu-item": lambda t: t.menu_item.pk,
}

API_TARGET_IDS = {
    "need": lambda t: {t.need.pk, t.open_need.pk, t.submitted_need.pk},
    "menu-item": lambda t: {t.menu_item.pk},
}

API_LIST_QUERIES = {
    "need": lambda t: [
        {}, {"node": t.community.pk}, {"status": "submitted"}, {"number": t.need.number}, {"category": "care"},
    ],
    "menu-item": lambda t: [{}, {"team": t.team.pk}, {"category": "health"}],
}

API_WRITE_DATA = {
    ("need", "create"): lambda t: [
        {"node": t.community.pk, "category": "care", "description": "越权代录", "address": "越权地址",
         "requester_name": "越权", "requester_phone": "13800000001"},
        {"node": t.other_community.pk, "category": "care", "description": "越权代录", "address": "越权地址",
         "requester_name": "越权", "requester_phone": "bad"},
    ],
    ("need", "review"): lambda t: [{"accept": True}, {"accept": False, "reason": "越权退回"}],
    ("need", "cancel"): lambda t: [{"reason": "越权撤销"}],
    ("menu-item", "create"): lambda t: [
        {"team": t.team.pk, "category": "care", "title": "越权项目", "content": "越权", "area": t.district.pk,
         "monthly_capacity": 3},
    ],
    ("menu-item", "deactivate"): lambda t: [{}],
    ("menu-item", "partial_update"): lambda t: [{"title": "越权改名"}, {"monthly_capacity": 99}],
}

API_OWNER_SEES = {
    "need": lambda t: t.need.pk,
    ("need", "open"): lambda t: t.open_need.pk,
    "menu-item": lambda t: t.menu_item.pk,
}

DETAILED = {
    "demands.need": {"updated_at"},
    "demands.menuitem": {"updated_at"},
}
