"""Tenant isolation, route by route, generated from the application's route table.

Alice is an admin with an app (private), a channel, a platform, an arch, a published version,
a stored object and a team user. The intruders: Mallory, another admin whose tenant has the
same names; Eve, Alice's team user without any permission; Trudy, Alice's team user with every
flag but empty allowed lists; Alice's own API token for her other app (ci); and a caller
without a token. For every route of the app, each
intruder calls it on Alice's things. Afterwards Alice's data and objects must be as they were,
and (but on the public update-check routes) the answer must not show anything of Alice's the
intruder did not already send.

A route added to the app without an entry in ``CALLS`` fails ``test_every_route_is_covered``:
decide how an intruder would call it, and the matrix checks it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from faynosync import app as application
from faynosync.core import gotime
from faynosync.core.ids import new_id
from faynosync.store.models import (
    AppPermissions,
    GroupFilter,
    Kind,
    ReportGroup,
    ReportKey,
    ReportSubject,
    ResourcePermissions,
    VersionFilter,
)
from tests.support.api import (
    API_KEY,
    API_URL,
    JWT_SECRET,
    admin_headers,
    bearer,
    create,
    create_app,
    data_files,
    login,
    make_settings,
    route_table,
    running,
    upload,
)
from tests.support.factories import add_team_user
from tests.support.services import MONGO_SKIP_REASON, with_database
from tests.support.storage import stored_objects

KINDS = (Kind.APP, Kind.CHANNEL, Kind.PLATFORM, Kind.ARCH)
KEY = "testapp-alice/nightly/universalPlatform/universalArch/testapp-1.0.dmg"
GROUP = "a1" * 32  # Alice's report group


@dataclass
class Alice:
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def secrets(self) -> list[str]:
        return [*self.ids.values(), "testapp-alice", "alicebob", GROUP, "rpk_" + "a" * 64]

    def secrets_for(self, intruder: str) -> list[str]:
        """What the intruder must not read. Alice's API token for her other app reads, as
        FaynoSync's tokens do, her name and id and her channel, platform and arch lists."""
        if intruder != "ci":
            return self.secrets
        tenant_wide = {self.ids[k] for k in ("alice", "channel", "platform", "arch")}
        return [s for s in self.secrets if s not in tenant_wide]


Call = Callable[[Alice], dict[str, Any]]


def json_body(method: str, path: str, body: Callable[[Alice], Any]) -> Call:
    return lambda a: {"method": method, "url": path, "json": body(a)}


def query(method: str, path: str, params: Callable[[Alice], dict[str, str]]) -> Call:
    return lambda a: {"method": method, "url": path, "params": params(a)}


def form(path: str, data: Callable[[Alice], dict[str, Any]], *files: tuple[str, bytes]) -> Call:
    return lambda a: {"method": "POST", "url": path, "files": data_files(data(a), *files)}


def target(a: Alice, **extra: Any) -> dict[str, Any]:
    return {
        "app_name": "testapp",
        "version": "1.0",
        "channel": "nightly",
        "platform": "universalPlatform",
        "arch": "universalArch",
        **extra,
    }


UPDATERS = [{"type": "manual", "default": True}]
CHECK = {
    "app_name": "testapp",
    "version": "0.1",
    "channel": "nightly",
    "platform": "universalPlatform",
    "arch": "universalArch",
    "owner": "alice",
}

# How an intruder calls each route on Alice's things. Public routes are marked: their answers
# are Alice's published updates by design, so only "nothing changed" is checked there.
CALLS: dict[tuple[str, str], tuple[Call, bool]] = {
    ("GET", "/health"): (query("GET", "/health", lambda a: {}), True),
    ("GET", "/update/{owner}/{app}/{channel}/{platform}/{arch}/{version}/RELEASES"): (
        query(
            "GET",
            "/update/alice/testapp/nightly/universalPlatform/universalArch/0.1/RELEASES",
            lambda a: {},
        ),
        True,
    ),
    ("GET", "/checkVersion"): (query("GET", "/checkVersion", lambda a: CHECK), True),
    ("GET", "/apps/latest"): (
        query(
            "GET",
            "/apps/latest",
            lambda a: {"app_name": "testapp", "channel": "nightly", "owner": "alice"},
        ),
        True,
    ),
    ("POST", "/signup"): (
        json_body(
            "POST", "/signup", lambda a: {"username": "alice", "password": "x", "api_key": "wrong"}
        ),
        False,
    ),
    ("POST", "/login"): (
        json_body("POST", "/login", lambda a: {"username": "alice", "password": "guess"}),
        False,
    ),
    ("GET", "/download"): (query("GET", "/download", lambda a: {"key": KEY}), False),
    ("GET", "/whoami"): (query("GET", "/whoami", lambda a: {}), False),
    ("POST", "/admin/update"): (
        json_body(
            "POST",
            "/admin/update",
            lambda a: {"id": a.ids["alice"], "username": "alice", "password": "pwned"},
        ),
        False,
    ),
    ("POST", "/upload"): (form("/upload", lambda a: target(a), ("x.exe", b"evil")), False),
    ("POST", "/apps/update"): (
        form(
            "/apps/update", lambda a: target(a, id=a.ids["version"], publish=False), ("x.zip", b"e")
        ),
        False,
    ),
    ("DELETE", "/apps/delete"): (
        query("DELETE", "/apps/delete", lambda a: {"id": a.ids["version"]}),
        False,
    ),
    ("GET", "/search"): (query("GET", "/search", lambda a: {"app_name": "testapp"}), False),
    ("POST", "/artifact/delete"): (
        form(
            "/artifact/delete",
            lambda a: {
                "id": a.ids["version"],
                "app_name": "testapp",
                "version": "1.0",
                "artifacts_to_delete": ["0"],
            },
        ),
        False,
    ),
    ("GET", "/"): (query("GET", "/", lambda a: {}), False),
    ("POST", "/token/create"): (
        json_body(
            "POST", "/token/create", lambda a: {"name": "planted", "allowed_apps": [a.ids["app"]]}
        ),
        False,
    ),
    ("GET", "/token/list"): (query("GET", "/token/list", lambda a: {}), False),
    ("DELETE", "/token/delete"): (
        json_body("DELETE", "/token/delete", lambda a: {"id": a.ids["token"]}),
        False,
    ),
    ("GET", "/report-keys/list"): (query("GET", "/report-keys/list", lambda a: {}), False),
    ("POST", "/report-keys/regenerate"): (
        json_body("POST", "/report-keys/regenerate", lambda a: {"app_id": a.ids["app"]}),
        False,
    ),
    ("POST", "/reports/ingest"): (
        lambda a: {
            "method": "POST",
            "url": "/reports/ingest",
            "json": {
                "application": {"name": "testapp", "version": "1.0", "channel": "nightly"},
                "system": {"platform": "windows", "arch": "amd64"},
                "event": {"type": "crash", "reason": "planted"},
            },
        },
        False,
    ),
    ("GET", "/reports/groups"): (query("GET", "/reports/groups", lambda a: {}), False),
    ("GET", "/reports/groups/{groupHash}/blobs"): (
        query("GET", "/reports/groups/" + GROUP + "/blobs", lambda a: {}),
        False,
    ),
    ("PATCH", "/reports/groups/{groupHash}"): (
        json_body("PATCH", "/reports/groups/" + GROUP, lambda a: {"status": "muted"}),
        False,
    ),
    ("DELETE", "/reports/groups/{groupHash}"): (
        query("DELETE", "/reports/groups/" + GROUP, lambda a: {}),
        False,
    ),
    ("GET", "/telemetry"): (
        query("GET", "/telemetry", lambda a: {"range": "week", "apps": "testapp"}),
        False,
    ),
    ("GET", "/telemetry/beacon"): (
        query("GET", "/telemetry/beacon", lambda a: {**CHECK, "is_latest": "true"}),
        True,
    ),
    ("GET", "/objects/{bucket}/{key:path}"): (
        query("GET", f"/objects/private/{KEY}", lambda a: {}),
        True,
    ),
    ("GET", "/velopack/{owner}/{app}/{platform}/{arch}/{feed:path}"): (
        query(
            "GET",
            "/velopack/alice/testapp/universalPlatform/universalArch/releases.nightly.json",
            lambda a: {},
        ),
        True,
    ),
}


def _catalog_calls(kind: str) -> None:
    extra = {"updaters": UPDATERS} if kind == "platform" else {}
    CALLS[("POST", f"/{kind}/create")] = (
        json_body("POST", f"/{kind}/create", lambda a: {kind: "intruded", **extra}),
        False,
    )
    CALLS[("GET", f"/{kind}/list")] = (query("GET", f"/{kind}/list", lambda a: {}), False)
    CALLS[("DELETE", f"/{kind}/delete")] = (
        query("DELETE", f"/{kind}/delete", lambda a: {"id": a.ids[kind]}),
        False,
    )
    CALLS[("POST", f"/{kind}/update")] = (
        json_body(
            "POST", f"/{kind}/update", lambda a: {"id": a.ids[kind], kind: "renamed", **extra}
        ),
        False,
    )


for _kind in ("channel", "platform", "arch"):
    _catalog_calls(_kind)
CALLS.update(
    {
        ("POST", "/app/create"): (form("/app/create", lambda a: {"app": "intruded"}), False),
        ("GET", "/app/list"): (query("GET", "/app/list", lambda a: {}), False),
        ("POST", "/app/update"): (
            form("/app/update", lambda a: {"id": a.ids["app"], "app": "renamed"}),
            False,
        ),
        ("DELETE", "/app/delete"): (
            query("DELETE", "/app/delete", lambda a: {"id": a.ids["app"]}),
            False,
        ),
        ("POST", "/user/create"): (
            json_body("POST", "/user/create", lambda a: {"username": "planted", "password": "x"}),
            False,
        ),
        ("POST", "/user/update"): (
            json_body(
                "POST",
                "/user/update",
                lambda a: {
                    "id": a.ids["bob"],
                    "username": "alicebob",
                    "password": "pwned",
                    "permissions": {"apps": {"delete": True}},
                },
            ),
            False,
        ),
        ("GET", "/users/list"): (query("GET", "/users/list", lambda a: {}), False),
        ("DELETE", "/user/delete"): (
            lambda a: {"method": "DELETE", "url": "/user/delete", "json": {"id": a.ids["bob"]}},
            False,
        ),
    }
)
# FastAPI's own documentation routes: public and about the API, not about tenants.
DOCS = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


def test_every_route_is_covered():
    app = application.create_app(make_settings(REPORTS_ENABLED="true"))
    missing = route_table(app) - set(CALLS) - DOCS
    assert not missing, f"routes without an isolation entry: {sorted(missing)}"


async def snapshot(app, settings) -> Any:
    store = app.state.store
    metas = {kind: await store.meta.list(kind, "alice") for kind in KINDS}
    versions, _ = await store.versions.search(VersionFilter(owner="alice"), skip=0, limit=100)
    users = await store.team_users.list_by_owner("alice")
    admin = await store.admins.get_by_username("alice")
    objects = {obj for obj in stored_objects(settings) if "-alice/" in obj[1]}
    tokens = [  # last_used_at moves with every use of a token
        (t.id, t.name, t.token_hash, t.allowed_apps, t.expires_at)
        for t in await store.api_tokens.list("alice")
    ]
    groups, _ = await store.reports.groups(GroupFilter(owner="alice"), skip=0, limit=100)
    keys = await store.reports.keys("alice", None)
    return metas, versions, users, admin, objects, tokens, groups, keys


async def build_world(app, client) -> tuple[Alice, dict[str, dict[str, str]]]:
    alice = Alice()
    headers = await admin_headers(client, "alice")
    alice.ids["alice"] = (await client.get("/whoami", headers=headers)).json()["id"]
    alice.ids["app"] = await create_app(client, headers, "testapp", private="true")
    for kind, name in (
        ("channel", "nightly"),
        ("platform", "universalPlatform"),
        ("arch", "universalArch"),
    ):
        alice.ids[kind] = await create(client, headers, kind, name)
    response = await upload(client, headers, target(alice, publish=True), ("app.dmg", b"dmg"))
    alice.ids["version"] = response.json()["uploadResult.Uploaded"]
    await client.post(
        "/user/create", json={"username": "alicebob", "password": "pw"}, headers=headers
    )
    alice.ids["bob"] = (await client.get("/users/list", headers=headers)).json()["users"][0]["id"]
    made = await client.post(
        "/token/create",
        json={"name": "deploy", "allowed_apps": [alice.ids["app"]]},
        headers=headers,
    )
    alice.ids["token"] = made.json()["id"]
    await app.state.store.reports.insert_key(
        ReportKey(
            id=new_id(),
            app_id=alice.ids["app"],
            owner="alice",
            key_value="rpk_" + "a" * 64,
            created_at=gotime.now(),
            updated_at=gotime.now(),
        )
    )
    now = gotime.now()
    await app.state.store.reports.record(
        ReportGroup(
            id=new_id(),
            group_hash=GROUP,
            app_id=alice.ids["app"],
            owner="alice",
            subject=ReportSubject("testapp", "1.0", "nightly", "windows", "amd64", "crash", "x"),
            status="open",
            count=1,
            first_seen=now,
            last_seen=now,
            details_stored=0,
            details_rejected=0,
            created_at=now,
            updated_at=now,
        )
    )
    other_app = await create_app(client, headers, "otherapp")
    made = await client.post(
        "/token/create", json={"name": "ci", "allowed_apps": [other_app]}, headers=headers
    )
    ci = bearer(made.json()["token"])

    mallory = await admin_headers(client, "mallory")
    await create_app(client, mallory, "testapp")
    for kind, name in (
        ("channel", "nightly"),
        ("platform", "universalPlatform"),
        ("arch", "universalArch"),
    ):
        await create(client, mallory, kind, name)
    await add_team_user(app, "eve", "pw", owner="alice")
    every: dict[str, Any] = {"create": True, "delete": True, "edit": True}
    await add_team_user(
        app,
        "trudy",
        "pw",
        owner="alice",
        apps=AppPermissions(**every, download=True, upload=True),
        channels=ResourcePermissions(**every),
        platforms=ResourcePermissions(**every),
        archs=ResourcePermissions(**every),
    )
    intruders = {
        "mallory": mallory,
        "eve": bearer(await login(client, "eve", "pw")),
        "trudy": bearer(await login(client, "trudy", "pw")),
        "nobody": {},
        "ci": ci,
    }
    return alice, intruders


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "mongo"])
async def env(request, tmp_path_factory):
    """One world per store backend for the whole module: every test leaves it as it was
    (that is what the tests check), so building it once keeps 290 cases quick."""
    mongodb_url = ""
    if request.param == "mongo":
        mongo_server_url = request.getfixturevalue("mongo_server_url")
        if mongo_server_url is None:
            pytest.skip(MONGO_SKIP_REASON)
        mongodb_url = with_database(
            mongo_server_url, f"faynosync_isolation_{uuid.uuid4().hex[:12]}"
        )
    settings = make_settings(
        FAYNOSYNC_DATA_DIR=tmp_path_factory.mktemp("isolation") / "data",
        JWT_SECRET=JWT_SECRET,
        API_KEY=API_KEY,
        API_URL=API_URL,
        MONGODB_URL=mongodb_url,
        REPORTS_ENABLED="true",
    )
    async with running(settings) as (app, client):
        alice, intruders = await build_world(app, client)
        yield app, client, settings, alice, intruders


# Trudy may create: her creations belong to Alice's tenant by design (and join her lists), so
# those cases are left out.
CREATES = {("POST", f"/{k}/create") for k in ("channel", "platform", "arch", "app")}


CASES = [
    (route, intruder)
    for route in sorted(CALLS)
    for intruder in ("mallory", "eve", "trudy", "nobody", "ci")
    if not (intruder == "trudy" and route in CREATES)
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("route", "intruder"), CASES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
async def test_intruders_neither_read_nor_change(env, route, intruder):
    app, client, settings, alice, intruders = env
    call, public = CALLS[route]
    request = call(alice)
    before = await snapshot(app, settings)
    response = await client.request(**request, headers=intruders[intruder])
    assert response.status_code < 500 or response.json().get("error"), response.text
    assert await snapshot(app, settings) == before, (route, intruder, response.text)
    if not public:
        sent = repr(request)
        leaked = [s for s in alice.secrets_for(intruder) if s in response.text and s not in sent]
        assert not leaked, (route, intruder, response.text)
