"""A bounded schemathesis run over ``/openapi.json``, on every store backend.

Every operation of the document is fuzzed with schemathesis's generated requests, positive and
negative, from a fixed seed, a bounded number of examples each and a wall-clock budget for the
whole run (shared out between the operations still to run: a slow machine runs a prefix of the
same examples). The caller is an admin of a tenant seeded with a catalog, a public and a private
app, versions with artifacts and team users; half of the examples name what the seed holds
(names, ids, object keys, signed links) so that lookups hit and what lies past them is checked
too. The checks: no server error, except the original's deliberate 500s with their exact bodies;
every status is documented; every body has the documented shape.

Marked ``fuzz``: ``pytest -m "not fuzz"`` leaves it out of a quick loop.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from faynosync.app import create_app
from faynosync.core import gojson
from tests.support.api import API_KEY

pytestmark = pytest.mark.fuzz

SEED = 20240613
# Examples per operation and generation mode, and the budget of the whole run in seconds.
EXAMPLES = {"sqlite": 25, "mongo": 8}
BUDGET = {"sqlite": 40.0, "mongo": 20.0}
# Past its share of the budget an operation stops, having run this many examples per mode.
MIN_EXAMPLES = 3
REQUEST_TIMEOUT = 10.0

# --- the original's deliberate 500s: the exact bodies allowed, by operation ---------------------

HEX = "[0-9a-f]{24}"
CONVERSION = (
    r"\(ConversionFailure\) Failed to parse number '[^']*' in \$convert with no onError "
    r"value: [^\"]*"
)
DUPLICATE_KEY = r"write exception: write errors: \[E11000 duplicate key error collection: .*\]"
NO_ACCESS = "you don't have access to this (app|channel|platform|architecture)"
UPLOAD_FAILED = "failed to upload file to S3"
LOGO_FAILED = "failed to upload logo to S3"


def _errors(*messages: str) -> list[str]:
    return [f'{{"error":"{message}"}}' for message in messages]


def _refusals(what: str, *reasons: str) -> list[str]:
    return [f'{{"details":"{reason}","error":"failed to delete {what}"}}' for reason in reasons]


def _catalog(label: str, plural: str, *more: str) -> dict[str, list[str]]:
    not_allowed = f"as it's not in your allowed {plural} list"
    return {
        f"POST /{label}/create": _errors(f"{label} with this name already exists", *more),
        f"POST /{label}/update": _errors(
            f"{label} not found",
            f"you don't have permission to update this {label}",
            f"you don't have permission to update this {label} {not_allowed}",
            DUPLICATE_KEY,
            *more,
        ),
        f"DELETE /{label}/delete": _refusals(
            label,
            rf'no document found with ID ObjectID\(\\"{HEX}\\"\)',
            f"you don't have permission to delete this {label}",
            f"you don't have permission to delete this {label} {not_allowed}",
            "you can't delete this item because it is related to other items",
        ),
    }


ALLOWED_500: dict[str, list[str]] = {
    **_catalog("channel", "channels"),
    **_catalog("platform", "platforms"),
    **_catalog("arch", "archs"),
    **_catalog("app", "apps", LOGO_FAILED),
    "POST /upload": _errors(
        r"no results found\. Please check your files\.",
        "app_name not found in apps_meta collection or you don't have permission to access it",
        "app with this name, version, platform, architecture and extension already exists",
        NO_ACCESS,
        UPLOAD_FAILED,
    ),
    "POST /apps/update": _errors(
        "(app_name|channel_name|platform_name|arch_id) not found in apps_meta collection",
        "app with this parameters doesn't exist",
        "updating the channel is not allowed",
        NO_ACCESS,
        UPLOAD_FAILED,
    ),
    "DELETE /apps/delete": [
        f'{{"details":"{reason}","error":"failed to delete specific version of app"}}'
        for reason in (
            rf'no app found with ID ObjectID\(\\"{HEX}\\"\)',
            "you don't have permission to delete this item",
        )
    ],
    "GET /search": _errors(
        "you don't have permission to access (any apps|this app)",
        "(app_name|channel|platform|arch) not found in apps_meta collection",
        CONVERSION,
    ),
    "GET /": _errors(CONVERSION),
    "GET /apps/latest": _errors("(app_name|channel) not found in apps_meta collection", CONVERSION),
    "GET /download": _errors("Failed to generate pre-signed URL"),
    "POST /user/update": _errors("Failed to update team user"),
}


def documented_server_error(ctx: Any, response: Any, case: Any) -> None:
    """schemathesis's not_a_server_error, the original's deliberate 500s (exact bodies) aside."""
    if response.status_code < 500:
        return
    body = response.content.decode("utf-8", errors="replace")
    allowed = ALLOWED_500.get(case.operation.label, [])
    if response.status_code == 500 and any(re.fullmatch(p, body) for p in allowed):
        return
    raise AssertionError(f"Server error {response.status_code}: {body[:300]}")


CHECKS = [documented_server_error, status_code_conformance, response_schema_conformance]

# --- the seed -----------------------------------------------------------------------------------

ADMIN, PASSWORD = "admin", "password"
APP, PRIVATE_APP = "fuzzapp", "fuzzprivate"
PLATFORMS = {
    "linux": [{"type": "manual", "default": True}],
    "windows": [
        {"type": "squirrel_windows", "default": True},
        {"type": "manual", "default": False},
    ],
    "macos": [
        {"type": "squirrel_darwin", "default": True},
        {"type": "electron-builder", "default": False},
        {"type": "tauri", "default": False},
        {"type": "sparkle", "default": False},
    ],
}
# File parts (schemathesis names a part "file" plus the extension its first bytes tell).
ZIP = b"PK\x03\x04 a zip"
PNG = b"\x89PNG\r\n\x1a\n a png"
PLAIN = b"no extension"


@dataclass
class Seed:
    headers: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)  # by operation: what its "id" names
    public_keys: list[str] = field(default_factory=list)
    private_keys: list[str] = field(default_factory=list)
    signed: dict[str, str] = field(default_factory=dict)  # a signed link's query


def _ok(response: requests.Response) -> Any:
    assert response.status_code == 200, (response.request.url, response.text)
    return response.json()


def plant(client: Any) -> Seed:
    """An admin with a catalog, a public and a private app, versions and team users."""
    signup = {"username": ADMIN, "password": PASSWORD, "api_key": API_KEY}
    _ok(client.post("/signup", json=signup))
    token = _ok(client.post("/login", json={"username": ADMIN, "password": PASSWORD}))["token"]
    seed = Seed(headers={"Authorization": f"Bearer {token}"})
    headers = seed.headers
    seed.ids["POST /admin/update"] = _ok(client.get("/whoami", headers=headers))["id"]

    def create(kind: str, name: str, **extra: Any) -> str:
        body = _ok(client.post(f"/{kind}/create", json={kind: name, **extra}, headers=headers))
        return str(next(iter(body.values())))

    def app(name: str, **extra: str) -> str:
        parts = [("data", (None, gojson.dumps({"app": name, **extra}))), ("file", ("a.png", PNG))]
        return str(
            _ok(client.post("/app/create", files=parts, headers=headers))["createAppResult.Created"]
        )

    def upload(data: dict[str, Any], *files: str) -> str:
        parts: list[Any] = [("data", (None, gojson.dumps(data)))]
        parts += [("file", (name, name.encode())) for name in files]
        return str(
            _ok(client.post("/upload", files=parts, headers=headers))["uploadResult.Uploaded"]
        )

    create("channel", "nightly")
    for name, updaters in PLATFORMS.items():
        create("platform", name, updaters=updaters)
    create("arch", "amd64")
    for kind in ("channel", "platform", "arch"):
        seed.ids[f"POST /{kind}/update"] = create(kind, f"spare{kind}1")
        seed.ids[f"DELETE /{kind}/delete"] = create(kind, f"spare{kind}2")
    app(APP)
    app(PRIVATE_APP, private="true")
    seed.ids["POST /app/update"] = app("spareapp1")
    seed.ids["DELETE /app/delete"] = app("spareapp2")

    base = {"app_name": APP, "channel": "nightly", "arch": "amd64", "publish": True}
    latest = {**base, "version": "1.0.0", "changelog": "### Changelog"}
    version_id = upload({**latest, "platform": "linux"}, "a.zip", "a.tar.gz", "LICENSE")
    seed.ids["POST /apps/update"] = seed.ids["POST /artifact/delete"] = version_id
    windows = {**latest, "platform": "windows", "updater": "squirrel_windows"}
    upload(windows, "RELEASES", "a-1.0.0-full.nupkg")
    macos = {**latest, "platform": "macos", "updater": "electron-builder", "signature": "c2ln"}
    upload(macos, "latest-mac.yml", "a.zip")
    upload({**base, "platform": "linux", "version": "0.9.0", "intermediate": True}, "a.zip")
    seed.ids["DELETE /apps/delete"] = upload({**base, "platform": "linux", "version": "0.1"}, "a")
    upload({**base, "app_name": PRIVATE_APP, "platform": "linux", "version": "1.0.0"}, "p.zip")

    for name in (APP, PRIVATE_APP):
        found = _ok(client.get("/search", params={"app_name": name}, headers=headers))["items"]
        for link in (artifact["link"] for item in found for artifact in item["Artifacts"]):
            parts = urlsplit(link)
            if name == APP:
                seed.public_keys.append(parts.path.split("/objects/public/", 1)[1])
            else:
                seed.private_keys.append(parse_qs(parts.query)["key"][0])
    signed = _ok(client.get("/download", params={"key": seed.private_keys[0]}, headers=headers))
    seed.signed = {k: v[0] for k, v in parse_qs(urlsplit(signed["download_url"]).query).items()}

    for name in ("fuzzteam1", "fuzzteam2"):
        user = {"username": name, "password": PASSWORD, "permissions": {"apps": {"upload": True}}}
        _ok(client.post("/user/create", json=user, headers=headers))
    users = _ok(client.get("/users/list", headers=headers))["users"]
    seed.ids["POST /user/update"], seed.ids["DELETE /user/delete"] = (u["id"] for u in users)
    return seed


# --- anchored examples: generated ones naming what the seed holds --------------------------------


def choices(seed: Seed, label: str) -> dict[str, list[Any]]:
    """The values each input name may take in an anchored example of operation ``label``."""
    values: dict[str, list[Any]] = {
        "owner": [ADMIN],
        "app_name": [APP, PRIVATE_APP],
        "app": [APP, PRIVATE_APP],
        "channel": ["nightly"],
        "platform": list(PLATFORMS),
        "arch": ["amd64"],
        "updater": [
            "manual",
            "squirrel_windows",
            "squirrel_darwin",
            "electron-builder",
            "tauri",
            "sparkle",
        ],
        "package": ["zip", "gz", "nupkg", "yml", "no-extension"],
        "version": ["0.1", "0.9.0", "1.0.0", "1.0", "2.0.0", "1.0.0-1", "0.5"],
        "range": ["week", "month"],
        "key": seed.private_keys,
        "bucket": ["public", "private"],
        "public_key": seed.public_keys,
        "signed": [True, False],
        "file": [[ZIP], [ZIP, PNG], [PLAIN], []],
    }
    if label in seed.ids:
        values["id"] = [seed.ids[label]]
    if label == "POST /admin/update":
        values["username"] = [ADMIN]
    if label in ("POST /apps/update", "POST /artifact/delete"):
        values.update(app_name=[APP], version=["1.0.0"])
    return values


def _inputs(operation: Any) -> tuple[set[str], set[str], set[str], set[str]]:
    """The path, query, body (a form's ``data``) and form field names an operation declares."""
    raw = operation.definition.raw
    parameters = raw.get("parameters", [])
    path = {p["name"] for p in parameters if p.get("in") == "path"}
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    body: set[str] = set()
    form: set[str] = set()
    for media in raw.get("requestBody", {}).get("content", {}).values():
        properties = media.get("schema", {}).get("properties", {})
        if "data" in properties:
            body |= set(properties["data"].get("properties", {}))
            form |= set(properties)
        else:
            body |= set(properties)
    return path, query, body, form


def anchor(case: Any, chosen: dict[str, Any], seed: Seed) -> Any:
    """Put the chosen seed values in ``case`` wherever its operation declares such a name."""
    path, query, body, form = _inputs(case.operation)
    for name in sorted(chosen.keys() & path):
        case.path_parameters[name] = chosen[name]
    if query:
        named = {n: chosen[n] for n in sorted(chosen.keys() & query)}
        case.query = {**(case.query or {}), **named}
    if "bucket" in path:  # /objects: a key of that bucket, a signed link or a generated one
        private = chosen["bucket"] == "private"
        case.path_parameters["key"] = chosen["key" if private else "public_key"]
        if private and chosen["signed"]:
            case.query = {**(case.query or {}), **seed.signed}
    if isinstance(case.body, dict):
        data = case.body.get("data")
        fields: dict[str, Any] = data if isinstance(data, dict) else case.body
        for name in sorted(chosen.keys() & body):
            fields[name] = chosen[name]
        if "file" in form:
            case.body["file"] = chosen["file"]
    return case


def cases(operation: Any, mode: Any, seed: Seed) -> st.SearchStrategy[Any]:
    """Generated examples, and as many naming the seed's data."""
    generated = operation.as_strategy(generation_mode=mode)
    picks = st.fixed_dictionaries(
        {name: st.sampled_from(v) for name, v in choices(seed, operation.label).items() if v}
    )
    anchored = st.tuples(generated, picks).map(lambda pair: anchor(pair[0], pair[1], seed))
    return st.one_of(generated, anchored)


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Report:
    failures: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    unrun: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def text(found: dict[tuple[str, ...], list[str]]) -> str:
        lines = []
        for key, examples in sorted(found.items()):
            lines.append(f"{' | '.join(key)}  ({len(examples)} examples), e.g.:")
            lines.append(f"    {examples[0]}")
        return "\n".join(lines)

    def summary(self) -> str:
        lines = [
            f"  {label}: {dict(sorted(counted.items()))}"
            + (f", {self.unrun[label]} examples left (budget)" if self.unrun[label] else "")
            for label, counted in self.statuses.items()
        ]
        return "\n".join(lines)


def modes(operation: Any) -> list[schemathesis.GenerationMode]:
    """Positive data, and negative data where there is room for it: a body, a query, a token
    (schemathesis finds none in plain path parameters, after seconds of trying)."""
    raw = operation.definition.raw
    inputs = [p for p in raw.get("parameters", []) if p.get("in") != "path"]
    negatable = inputs or "requestBody" in raw or "security" in raw
    negative = [schemathesis.GenerationMode.NEGATIVE] if negatable else []
    return [schemathesis.GenerationMode.POSITIVE, *negative]


class OutOfTime(Exception):
    """Ends an operation's examples once its share of the budget is spent."""


def check(case: Any, seed: Seed, report: Report) -> None:
    """Send one example and check its answer; what fails goes to ``report``."""
    label = case.operation.label
    try:
        response = case.call(headers=seed.headers, timeout=REQUEST_TIMEOUT)
    except Exception as exc:  # out of the app: a server would answer an empty 500
        key: tuple[str, ...] = (label, type(exc).__name__, str(exc)[:200])
        report.failures.setdefault(key, []).append(case.as_curl_command(headers=seed.headers))
        return
    report.statuses[label][response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=seed.headers)
    except FailureGroup as group:
        curl = case.as_curl_command(headers=seed.headers)
        body = response.content[:300].decode("utf-8", errors="replace")
        for failure in group.exceptions:
            detail = failure.message.splitlines()[0][:200] if failure.message else ""
            key = (label, failure.title, str(response.status_code), detail)
            found = f"{curl}\n    -> {response.status_code} {body}"
            report.failures.setdefault(key, []).append(found)


def fuzz(
    operation: Any, mode: Any, seed: Seed, examples: int, deadline: float, report: Report
) -> None:
    """``examples`` examples of one operation and mode, fewer past ``deadline``."""
    done = 0

    @fixed_seed(SEED)
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=cases(operation, mode, seed))
    def run(case: Any) -> None:
        nonlocal done
        if done >= MIN_EXAMPLES and time.monotonic() > deadline:
            raise OutOfTime
        done += 1
        check(case, seed, report)

    try:
        run()
    except OutOfTime:
        report.unrun[operation.label] += examples - done
    except Unsatisfiable:
        pass  # no negative example for this operation


@pytest.fixture
def served(settings_factory: Callable[..., Any]) -> Iterator[FastAPI]:
    """The app; schemathesis's ASGI transport runs its lifespan, stopped at the end."""
    app = create_app(settings_factory(ENABLE_TELEMETRY=True, REPORTS_ENABLED=True))
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()


def loaded(result: Ok[APIOperation] | Err[InvalidSchema]) -> APIOperation:
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def test_schemathesis_run(served: FastAPI, backend: str) -> None:
    """Every operation; the statuses it met are printed (see them with ``-rP``)."""
    began = time.monotonic()
    schema = schemathesis.openapi.from_asgi("/openapi.json", served)
    with asgi.get_client(cast(Any, served)) as client:
        seed = plant(client)
    print(f"loaded and seeded in {time.monotonic() - began:.1f}s")
    operations = [loaded(result) for result in schema.get_all_operations()]
    report = Report()
    start = time.monotonic()
    for index, operation in enumerate(operations):
        left = BUDGET[backend] - (time.monotonic() - start)
        deadline = time.monotonic() + max(left, 0.0) / (len(operations) - index)
        report.statuses[operation.label] = Counter()
        for mode in modes(operation):
            fuzz(operation, mode, seed, EXAMPLES[backend], deadline, report)
    print(f"{len(operations)} operations in {time.monotonic() - start:.1f}s:\n{report.summary()}")
    if report.failures:
        pytest.fail("schemathesis found:\n" + Report.text(report.failures), pytrace=False)
