"""Every URL and every API route, tried by outsiders: they get 403/404 (or the login page), see nothing of ours,
and change nothing (DESIGN principle 1, issue section 5).

The targets (tests/conftest.py) live in 思明区. The outsiders are:
    outsider_admin      the admin of the sibling district 湖里区
    outsider_leader     the leader of 湖里区's team
    outsider_volunteer  a confirmed volunteer of 湖里区's team, logged in
    nobody              a logged-in user without any role
    anonymous           not logged in
and the owner check makes sure the test cannot pass by everything being broken: world.district_admin (or the
route's own owner) does get the page.

Pages are listed in the registry (`jinguo/<app>/tests/routes*.py`, gathered by tests/routes.py). `Route.extra` keys
understood here:
    outsider_ok   "reason": a logged-in outsider may get 200 or 302 (a form or list that is her own, or the
                  same for everyone); the body is still searched for our secrets and nothing may change.
    owner         callable(targets) -> user, or the name of a targets attribute: who gets 200 (default
                  district_admin).
    owner_status  the status the owner gets on GET (default 200).
    owner_skip    "reason": no owner check for this route.
API routes are found from the router itself; each viewset needs its target in API_TARGETS below.
"""

import io
import json
import zipfile
from urllib.parse import unquote

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jinguo.core.models import AuditLog
from jinguo.volunteers.models import Membership
from tests.routes import Route, all_routes

SKIPPED_PREFIXES = ("django-admin/", "static/", "media/", "__debug__/")
API_NAMESPACE = "api"
OUTSIDERS = ("outsider_admin", "outsider_leader", "outsider_volunteer", "nobody", "anonymous")
LOGIN_ACTIONS = ("account.login", "account.logout", "auth.")


# ---- the URL resolver ---------------------------------------------------------------------------------------


def walk(patterns=None, prefix="", namespaces=()):
    """(full name, URL pattern text, callback) of every URL pattern; name is None for unnamed ones."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from walk(entry.url_patterns, text, inner)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            yield name, text, entry.callback


def project_routes():
    """Named routes outside the API router (which test_api_routes covers), minus django-admin and static."""
    found, unnamed = {}, []
    for name, text, callback in walk():
        if text.startswith(SKIPPED_PREFIXES):
            continue
        if name is None:
            unnamed.append(text)
        elif not name.startswith(API_NAMESPACE + ":"):
            found[name] = (text, callback)
    return found, unnamed


def api_routes():
    """(name, pattern, view class, {method: action}, basename, detail) of every route of the /api/v1/ router."""
    routes = []
    for name, text, callback in walk():
        if name is None or not name.startswith(API_NAMESPACE + ":"):
            continue
        initkwargs = getattr(callback, "initkwargs", {})
        actions = getattr(callback, "actions", None) or {"get": "root"}
        routes.append((name, text, callback.cls, actions, initkwargs.get("basename"), initkwargs.get("detail")))
    return routes


# ---- what must not leak, what must not change ----------------------------------------------------------------


def personal_secrets(t) -> list[str]:
    """Her name, volunteer number, ID number (full and masked) and phone (full and masked), for every target."""
    secrets = []
    for volunteer in (t.volunteer, t.pending_volunteer, t.applicant, t.denied_volunteer):
        secrets += [
            volunteer.name,
            volunteer.number,
            volunteer.id_number_masked,
            volunteer.decrypt_id_number(),
            volunteer.phone,
            volunteer.phone_masked,
        ]
    return secrets


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    parts = [raw.decode("utf-8", errors="replace")]
    if raw.startswith(b"PK"):  # an xlsx: the text is in the zipped XML parts
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                parts += [archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist()]
        except zipfile.BadZipFile:
            pass
    location = response.get("Location")
    if location:
        parts.append(unquote(location))
    return "\n".join(parts)


def leaks(text: str, secrets: list[str]) -> list[str]:
    """Each secret found, with a little context, in the text as sent or as JSON would escape it."""
    found = []
    for secret in dict.fromkeys(s for s in secrets if s):
        for form in (secret, json.dumps(secret)[1:-1]):
            at = text.find(form)
            if at >= 0:
                context = text[max(0, at - 60) : at + len(form) + 60].replace("\n", " ")
                found.append(f"{secret!r} in …{context}…")
                break
    return found


DETAILED = {
    # model label -> fields left out of the comparison (they change without anyone changing the data)
    "core.user": {"last_login"},
    "core.apitoken": {"last_used_at"},
    "core.job": set(),
    "orgs.node": set(),
    "orgs.team": set(),
    "orgs.roleassignment": set(),
    "orgs.reportingyear": set(),
    "orgs.annualreport": set(),
    "volunteers.volunteer": set(),
    "volunteers.membership": set(),
    "volunteers.identitydispute": set(),
    "volunteers.consent": set(),
}
NOT_COMPARED = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog", "core.auditlog"}


def snapshot() -> dict:
    """Every row of the tables that hold our targets (by pk), and the row count of every other table."""
    state = {}
    for model in apps.get_models():
        meta = model._meta
        label = meta.label_lower
        if label in NOT_COMPARED or meta.proxy or not meta.managed:
            continue
        manager = model._base_manager
        if label in DETAILED:
            fields = [f.attname for f in meta.concrete_fields if f.name not in DETAILED[label]]
            state[label] = {
                row["pk"]: {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()}
                for row in manager.values("pk", *fields)
            }
        else:
            state[label] = manager.count()
    audit = AuditLog.objects.all()
    for prefix in LOGIN_ACTIONS:
        audit = audit.exclude(action__startswith=prefix)
    state["core.auditlog"] = {pk: {"action": action} for pk, action in audit.values_list("pk", "action")}
    return state


def changes(before: dict, after: dict) -> list[str]:
    """What differs, said briefly: rows added or removed, and the fields that changed."""
    found = []
    for label, old in before.items():
        new = after.get(label)
        if old == new:
            continue
        if not isinstance(old, dict):
            found.append(f"{label}: {old} rows -> {new} rows")
            continue
        for pk in sorted(new.keys() - old.keys()):
            found.append(f"{label} #{pk} added {new[pk]}"[:300])
        for pk in sorted(old.keys() - new.keys()):
            found.append(f"{label} #{pk} deleted")
        for pk in sorted(old.keys() & new.keys()):
            diff = {k: (v, new[pk].get(k)) for k, v in old[pk].items() if new[pk].get(k) != v}
            if diff:
                found.append(f"{label} #{pk} " + ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in diff.items()))
    return found


# ---- people ---------------------------------------------------------------------------------------------------


def user_for(t, who: str):
    if who == "anonymous":
        return None
    if who == "outsider_volunteer":
        return t.outsider_volunteer.user
    return getattr(t, who)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and unquote(response["Location"]).startswith(reverse("login"))


def owner_of(route: Route, t):
    owner = route.extra.get("owner", "district_admin")
    return owner(t) if callable(owner) else getattr(t, owner)


# ---- (a) every route is registered ----------------------------------------------------------------------------


def test_every_route_is_registered_and_every_entry_exists():
    routes, unnamed = project_routes()
    registry = all_routes()
    missing = sorted(name for name in routes if name not in registry)
    stale = sorted(name for name in registry if name not in routes)
    problems = []
    if missing:
        problems.append(
            "URLs without a scope-coverage entry (add Route(...) to jinguo/<app>/tests/routes*.py):\n"
            + "\n".join(f"  {name}  ({routes[name][0]})" for name in missing)
        )
    if stale:
        problems.append("Registry entries for URL names that do not exist:\n" + "\n".join(f"  {n}" for n in stale))
    if unnamed:
        problems.append("URLs without a name cannot be covered; name them:\n" + "\n".join(f"  {u}" for u in unnamed))
    assert not problems, "\n".join(problems)


# ---- (b) every page, tried by every outsider ------------------------------------------------------------------

REGISTERED = sorted(all_routes().items())


def _check_outsider(route: Route, t, who: str, method: str, url: str, secrets: list[str], before: dict):
    """One request by one outsider. method "POST?" is a POST the route does not declare: refused or harmless."""
    user = user_for(t, who)
    client = client_for(user)
    undeclared = method == "POST?"
    data = route.data(t) if (method == "POST" and route.data) else {}
    response = client.post(url, data) if method.startswith("POST") else client.get(url)
    after = snapshot()
    where = f"{route.name} {method} {url} as {who}"
    problems = []
    status = response.status_code
    refused = (403, 404, 400, 405) if undeclared else (403, 404)
    if status >= 500:
        problems.append(f"{where}: server error {status}")
    elif route.public:
        pass  # anyone may open it; only leaks count
    elif user is None:
        if not (is_login_redirect(response) or status in (401, *refused)):
            problems.append(f"{where}: expected a redirect to the login page or 401/403/404, got {status}")
    elif status not in refused and not (route.extra.get("outsider_ok") and status in (200, 302)):
        problems.append(f"{where}: expected {' or '.join(map(str, refused))}, got {status}")
    for leak in leaks(body_text(response), secrets):
        problems.append(f"{where}: leaked {leak}")
    if not route.public:
        for change in changes(before, after):
            problems.append(f"{where}: changed {change}")
    return problems, after


@pytest.mark.parametrize(("name", "route"), REGISTERED, ids=[name for name, _ in REGISTERED])
def test_outsiders_get_nothing_and_the_owner_gets_the_page(name, route, targets):
    t = targets
    try:
        url = reverse(route.name, kwargs=route.kwargs(t) if route.kwargs else None)
    except Exception as exc:  # a wrong entry must say which one
        pytest.fail(f"{route.name}: cannot build its URL from the registry entry: {exc!r}")
    secrets = personal_secrets(t) + (list(route.secrets(t)) if route.secrets else [])
    problems = []
    # A page declared GET only is also sent an empty POST: whatever the view does with it, it changes nothing.
    methods = route.methods if "POST" in route.methods or route.public else (*route.methods, "POST?")
    state = snapshot()  # each request is compared with the state the previous one left
    for who in OUTSIDERS:
        for method in methods:
            found, state = _check_outsider(route, t, who, method, url, secrets, state)
            problems += found

    if not route.public and "GET" in route.methods and not route.extra.get("owner_skip"):
        owner = owner_of(route, t)
        expected = route.extra.get("owner_status", 200)
        response = client_for(owner).get(url)
        if response.status_code != expected:
            problems.append(
                f"{route.name} GET {url} as its owner {owner.username}: expected {expected}, got "
                f"{response.status_code} (mark the entry with extra owner/owner_status/owner_skip if that is right)"
            )
    assert not problems, "\n".join(problems)


# ---- (c) every API route, tried by every outsider -------------------------------------------------------------

# basename -> the target object's id (for detail routes); (basename, action) overrides it for one action.
API_TARGETS = {
    "node": lambda t: t.district.pk,
    "team": lambda t: t.team.pk,
    "volunteer": lambda t: t.volunteer.pk,
    "membership": lambda t: t.membership.pk,
    ("membership", "approve"): lambda t: t.application.pk,
    ("membership", "reject"): lambda t: t.application.pk,
    "import-job": lambda t: t.import_job.pk,
}
# basename -> ids that no outsider's list may contain
API_TARGET_IDS = {
    "node": lambda t: {t.district.pk, t.street.pk, t.community.pk, t.team.pk, t.subteam.pk},
    "team": lambda t: {t.team.pk, t.subteam.pk},
    "volunteer": lambda t: {t.volunteer.pk, t.pending_volunteer.pk, t.applicant.pk, t.denied_volunteer.pk},
    "membership": lambda t: set(
        Membership.objects.filter(team__path__startswith=t.district.path).values_list("pk", flat=True)
    ),
    "import-job": lambda t: {t.import_job.pk},
}
# basename -> list queries an outsider tries (filters that point at our objects must not open them up)
API_LIST_QUERIES = {
    "node": lambda t: [{}, {"parent": t.district.pk}, {"under": t.district.pk}, {"code": t.district.code}],
    "team": lambda t: [{}, {"under": t.district.pk}, {"parent": t.district.pk}, {"q": t.team.team_number}],
    "volunteer": lambda t: [
        {},
        {"q": t.volunteer.name},
        {"q": t.volunteer.phone[-4:]},
        {"q": t.volunteer.number},
        {"team": t.team.pk},
        {"region": t.district.pk},
        {"status": "pending"},
        {"status": "frozen"},
    ],
    "membership": lambda t: [{}, {"team": t.team.pk}, {"volunteer": t.volunteer.pk}, {"status": "applied"}],
    "import-job": lambda t: [{}, {"kind": "volunteer_import"}],
}
# (basename, action) -> request bodies an outsider sends; each must be refused and change nothing
API_WRITE_DATA = {
    ("team", "create"): lambda t: [
        {"parent": t.district.pk, "name": "越权登记的队伍", "unit_name": "越权"},
        {"parent": t.team.pk, "name": "越权登记的小队"},
    ],
    ("team", "partial_update"): lambda t: [{"name": "被越权改名", "leader_name": "越权者"}],
    ("team", "submit"): lambda t: [{}],
    ("team", "file"): lambda t: [{}],
    ("team", "return_filing"): lambda t: [{"reason": "越权退回"}],
    ("volunteer", "create"): lambda t: [
        {
            "name": "越权录入",
            "id_number": "350203199001010026",
            "phone": "13912349999",
            "home_node": t.community.pk,
            "team": t.team.pk,
        },
        {"name": "越权录入", "id_number": "350203199001010026", "phone": "13912349999", "home_node": t.community.pk},
    ],
    ("volunteer", "reveal_id"): lambda t: [{}],
    # Any volunteer may ask to join any team (teams recruit in public); what outsiders must not do is act for
    # someone else. Non-volunteers are refused; the outsider volunteer is already in team_b.
    ("membership", "apply"): lambda t: [{"team": t.team_b.pk}],
    ("membership", "add"): lambda t: [
        {"team": t.team.pk, "volunteer_number": t.applicant.number, "phone": t.applicant.phone},
        {"team": t.subteam.pk, "volunteer_number": t.volunteer.number, "phone": t.volunteer.phone},
    ],
    ("membership", "approve"): lambda t: [{}],
    ("membership", "reject"): lambda t: [{"reason": "越权"}],
    ("membership", "remove"): lambda t: [{"reason": "越权"}],
    ("membership", "leave"): lambda t: [{}],
}
# basename -> the object the owner must find in the list
API_OWNER_SEES = {
    "node": lambda t: t.district.pk,
    "team": lambda t: t.team.pk,
    "volunteer": lambda t: t.volunteer.pk,
    "membership": lambda t: t.membership.pk,
    "import-job": lambda t: t.import_job.pk,
}


def api_secrets(t) -> list[str]:
    names = [t.district.name, t.street.name, t.community.name, t.team.name, t.subteam.name]
    return personal_secrets(t) + names + [t.import_job.title, t.import_job.input_name]


REGISTRY_TABLES = ("API_TARGETS", "API_TARGET_IDS", "API_LIST_QUERIES", "API_WRITE_DATA", "API_OWNER_SEES", "DETAILED")


def _merge_api_registries() -> None:
    """Later issues list their API entries in tests/api_routes*.py (same dicts as above; see
    tests/api_routes_service_hours.py): merged here so that this module stays one list of rules."""
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).resolve().parent.glob("api_routes*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        for name in REGISTRY_TABLES:
            globals()[name].update(getattr(module, name, {}))


_merge_api_registries()
API = api_routes()


def test_every_api_route_has_a_target_and_data():
    problems = []
    for name, text, _cls, actions, basename, detail in API:
        if basename is None:
            continue  # the API root: a list of links
        if detail and basename not in API_TARGETS:
            problems.append(f"{name} ({text}): add its target to API_TARGETS in tests/test_scope_coverage.py")
        if basename not in API_TARGET_IDS or basename not in API_LIST_QUERIES or basename not in API_OWNER_SEES:
            problems.append(f"{name}: add {basename!r} to API_TARGET_IDS, API_LIST_QUERIES and API_OWNER_SEES")
        for method, action in actions.items():
            if method in ("get", "head", "options"):
                continue
            if (basename, action) not in API_WRITE_DATA:
                problems.append(f"{name} {method.upper()} ({action}): add its bodies to API_WRITE_DATA")
    assert not problems, "\n".join(problems)


def _api_call(client, method: str, url: str, payload=None):
    if method == "get":
        return client.get(url, payload or {})
    return client.generic(method.upper(), url, json.dumps(payload or {}), content_type="application/json")


def _result_ids(response) -> set:
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return {row.get("id") for row in rows if isinstance(row, dict)}


@pytest.mark.parametrize(
    ("name", "method", "action", "basename", "detail"),
    [
        (name, method, action, basename, detail)
        for name, _text, _cls, actions, basename, detail in API
        for method, action in actions.items()
        if method not in ("head", "options")
    ],
    ids=[
        f"{name}-{method}"
        for name, _t, _c, actions, _b, _d in API
        for method in actions
        if method not in ("head", "options")
    ],
)
def test_api_outsiders_get_nothing(name, method, action, basename, detail, targets):
    t = targets
    kwargs = {}
    if detail:
        target = API_TARGETS.get((basename, action)) or API_TARGETS[basename]
        kwargs = {"pk": target(t)}
    url = reverse(name, kwargs=kwargs or None)
    secrets = api_secrets(t)
    if method == "get" and basename is not None and not detail:
        payloads = API_LIST_QUERIES[basename](t)
    elif method == "get":
        payloads = [None]
    else:
        payloads = API_WRITE_DATA[(basename, action)](t)
    forbidden_ids = API_TARGET_IDS[basename](t) if basename else set()

    problems = []
    before = snapshot()
    for who in OUTSIDERS:
        user = user_for(t, who)
        for payload in payloads:
            client = client_for(user)
            response = _api_call(client, method, url, payload)
            after = snapshot()
            where = f"{name} {method.upper()} {url} {payload or ''} as {who}"
            status = response.status_code
            if user is None:
                ok = status in (401, 403)
            elif method == "get" and (basename is None or not detail):
                ok = status == 200 or (status == 400 and payload)  # a filter naming our node is "invalid"
            elif detail:
                ok = status in (403, 404)
            else:
                ok = status in (400, 403, 404)
            if not ok:
                problems.append(f"{where}: unexpected status {status}: {body_text(response)[:300]}")
            if status == 200 and method == "get" and not detail and basename is not None:
                seen = _result_ids(response) & forbidden_ids
                if seen:
                    problems.append(f"{where}: listed our objects {sorted(seen)}")
            for leak in leaks(body_text(response), secrets):
                problems.append(f"{where}: leaked {leak}")
            for change in changes(before, after):
                problems.append(f"{where}: changed {change}")
            before = after

    if method == "get" and basename is not None:
        # The owner check: the district's admin (owner of the jobs too) does get our objects.
        response = client_for(t.district_admin).get(url)
        if response.status_code != 200:
            problems.append(f"{name} GET {url} as district_admin: expected 200, got {response.status_code}")
        elif not detail:
            # A (basename, action) entry that gives None: the route answers with figures, not a list of objects.
            wanted = API_OWNER_SEES.get((basename, action), API_OWNER_SEES[basename])(t)
            if wanted is not None and wanted not in _result_ids(response):
                problems.append(f"{name} GET {url} as district_admin: the target is missing from the list")
    assert not problems, "\n".join(problems)
