"""Sparkle at API level 2.1 (delta §5.3): uploads checked against their appcast, stored under
``sparkle/``, each channel's appcast made again after every change of a public app; the
generic JSON on /checkVersion. At 1.4.6: the stub and the electron-builder layout, as before
(docs/behaviour.md#sparkle-appcasts)."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from faynosync import objects
from faynosync.store.models import Kind, Version, VersionFilter
from faynosync.updaters import appcast
from tests.support.api import (
    admin_headers,
    assert_error,
    create,
    create_app,
    data_files,
    running,
    upload,
)
from tests.support.consistency import assert_consistent
from tests.support.env import Env
from tests.support.storage import read_object, storage_overrides, stored_objects

NS = appcast.SPARKLE_NS
S = f"{{{NS}}}"
KEY = "sparkle/admin/myapp/mac/arm64/appcast.stable.xml"
SIGNATURE = (
    "pHWbZ0u4m7sBo+4bYq3C6gpDoj/QgNG0PWw+QBhC2DYVI3HKrE0f1PoQxa0dUbYFb6ncdXwF2n9IJoRWNvJhCg=="
)
DELTA_SIGNATURE = "Zm9v+/ZGVsdGE="


def item(version: str, build: str, *, extra: str = "") -> str:
    """An item as generate_appcast writes it, with a delta from the previous build."""
    return f"""
        <item>
            <title>{version}</title>
            <pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate>
            <sparkle:version>{build}</sparkle:version>
            <sparkle:shortVersionString>{version}</sparkle:shortVersionString>
            <sparkle:channel>beta</sparkle:channel>
            <sparkle:minimumSystemVersion>11.0</sparkle:minimumSystemVersion>
            <dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">CI</dc:creator>
            <x:unknown xmlns:x="urn:example:unknown" x:flag="on">kept</x:unknown>
            <description><![CDATA[<p>From the appcast</p>]]></description>{extra}
            <enclosure url="https://example.com/dl/MyApp%20{version}.zip" length="1234"
                type="application/octet-stream" sparkle:edSignature="{SIGNATURE}"/>
            <sparkle:deltas>
                <enclosure url="https://example.com/dl/MyApp{build}-100.delta"
                    sparkle:version="{build}" sparkle:deltaFrom="100" length="10"
                    type="application/octet-stream" sparkle:edSignature="{DELTA_SIGNATURE}"/>
            </sparkle:deltas>
        </item>"""


def feed(*items: str) -> bytes:
    return (
        '<?xml version="1.0" standalone="yes"?>\n'
        f'<rss xmlns:sparkle="{NS}" version="2.0"><channel><title>MyApp</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def release_files(version: str, build: str) -> list[tuple[str, bytes]]:
    return [
        ("appcast-beta.xml", feed(item(version, build))),
        (f"MyApp {version}.zip", b"zip " + version.encode()),
        (f"MyApp{build}-100.delta", b"delta " + build.encode()),
    ]


def release_data(version: str, **extra: Any) -> dict[str, Any]:
    return {
        "app_name": extra.pop("app_name", "myapp"),
        "version": version,
        "channel": "stable",
        "platform": "mac",
        "arch": "arm64",
        "updater": "sparkle",
        "publish": True,
        **extra,
    }


@dataclass
class Tenant:
    app: FastAPI
    client: httpx.AsyncClient
    headers: dict[str, str]
    level: str
    kind: str

    @property
    def settings(self) -> Any:
        return self.app.state.settings

    async def upload(self, version: str, build: str, **extra: Any) -> httpx.Response:
        data = release_data(version, **extra)
        return await upload(self.client, self.headers, data, *release_files(version, build))

    async def versions(self, app_name: str = "myapp") -> list[Version]:
        store = self.app.state.store
        meta = await store.meta.get_by_name(Kind.APP, app_name, "admin")
        found, _ = await store.versions.search(
            VersionFilter(owner="admin", app_id=meta.id), skip=0, limit=100
        )
        return list(found)

    async def version_id(self, version: str) -> str:
        return next(v.id for v in await self.versions() if v.version == version)

    async def edit(self, version: str, **fields: Any) -> httpx.Response:
        data = {
            "id": await self.version_id(version),
            "app_name": "myapp",
            "version": version,
            "channel": "stable",
            **fields,
        }
        return await self.client.post("/apps/update", files=data_files(data), headers=self.headers)

    def appcast(self) -> ET.Element:
        """The made appcast, parsed by a strict parser."""
        body = read_object(self.settings, "public", KEY)
        assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        root = ET.fromstring(body)
        assert root.tag == "rss" and root.get("version") == "2.0"
        assert f'xmlns:sparkle="{NS}"'.encode() in body
        channel = root.find("channel")
        assert channel is not None and channel.findtext("title") == "myapp"
        return channel

    def items(self) -> list[ET.Element]:
        return self.appcast().findall("item")

    async def consistent(self) -> None:
        """Every link has its object, every object a link (fsck)."""
        env = Env(self.app, self.client, self.app.state.settings, self.kind)
        await assert_consistent(env, ["admin"])

    def builds(self) -> list[str]:
        return [str(i.findtext(f"{S}version")) for i in self.items()]


AT_2_1 = [
    pytest.param(("2.1", "local"), id="2.1-local"),
    pytest.param(("2.1", "minio"), id="2.1-minio", marks=pytest.mark.s3),
]
at_2_1 = pytest.mark.parametrize("tenant", AT_2_1, indirect=True)
"""Runs the test at API level 2.1 only."""


@pytest.fixture(params=[pytest.param(("1.4.6", "local"), id="1.4.6-local"), *AT_2_1])
async def tenant(settings_factory, request) -> AsyncIterator[Tenant]:
    """A public app ``myapp`` and a private ``secret``, a ``sparkle`` platform ``mac``."""
    level, storage = request.param
    settings = settings_factory(FAYNOSYNC_API_LEVEL=level, **storage_overrides(storage, request))
    async with running(settings) as (app, client):
        headers = await admin_headers(client)
        await create_app(client, headers, "myapp")
        await create_app(client, headers, "secret", private="true")
        await create(client, headers, "channel", "stable")
        await create(client, headers, "arch", "arm64")
        updaters = [{"type": "sparkle", "default": True}]
        await create(client, headers, "platform", "mac", updaters=updaters)
        yield Tenant(app, client, headers, level, storage)


async def test_an_upload_keeps_each_item_and_makes_the_appcast(tenant):
    response = await tenant.upload("1.1.0", "110")
    assert response.status_code == 200, response.text
    (version,) = await tenant.versions()
    keys = sorted(tenant.app.state.links.key_of(a.link, private=False) for a in version.artifacts)
    if tenant.level == "1.4.6":
        assert all(k.startswith("electron-builder/myapp-admin/1.1.0/") for k in keys)
        assert all("sparkle" not in a.extra for a in version.artifacts)
        assert ("public", KEY) not in stored_objects(tenant.settings)
        return
    assert keys == [
        "sparkle/admin/myapp/mac/arm64/MyApp 1.1.0.zip",
        "sparkle/admin/myapp/mac/arm64/MyApp110-100.delta",
        KEY,
    ]
    blocks = {a.package: a.extra.get("sparkle") for a in version.artifacts}
    assert blocks[".xml"] is None
    assert blocks[".delta"] == {"file_name": "MyApp110-100.delta", "kind": "delta"}
    full = blocks[".zip"]
    assert list(full) == ["file_name", "kind", "sparkle_version", "raw_item"]
    assert (full["file_name"], full["kind"], full["sparkle_version"]) == (
        "MyApp 1.1.0.zip",
        "full",
        "110",
    )
    assert f'sparkle:edSignature="{SIGNATURE}"' in full["raw_item"]
    assert (
        "<x:unknown" in full["raw_item"]
        and "<![CDATA[<p>From the appcast</p>]]>" in (full["raw_item"])
    )

    (made,) = tenant.items()
    links = {a.package: a.link for a in version.artifacts}
    enclosure = made.find("enclosure")
    assert enclosure is not None
    assert enclosure.attrib == {
        "url": links[".zip"],
        "length": "1234",
        "type": "application/octet-stream",
        f"{S}edSignature": SIGNATURE,
    }
    delta = made.find(f"{S}deltas/enclosure")
    assert delta is not None
    assert delta.get("url") == links[".delta"]
    assert delta.get(f"{S}edSignature") == DELTA_SIGNATURE
    assert made.findtext(f"{S}shortVersionString") == "1.1.0"
    assert made.find(f"{S}channel") is None
    assert made.find(f"{S}criticalUpdate") is None
    assert made.findtext("{urn:example:unknown}unknown") == "kept"
    assert made.findtext("{http://purl.org/dc/elements/1.1/}creator") == "CI"
    # An empty changelog keeps the appcast's description.
    assert made.findtext("description") == "<p>From the appcast</p>"
    when = parsedate_to_datetime(str(made.findtext("pubDate")))
    assert when == version.updated_at.replace(microsecond=0)
    await tenant.consistent()
    # Signatures come back byte for byte.
    body = read_object(tenant.settings, "public", KEY)
    assert body.count(f'sparkle:edSignature="{SIGNATURE}"'.encode()) == 1
    # The stored link of the appcast artifact serves the made appcast.
    assert links[".xml"].endswith("appcast.stable.xml")


@at_2_1
async def test_the_appcast_follows_every_change(tenant):
    assert (await tenant.upload("1.0.0", "100")).status_code == 200
    assert (await tenant.upload("1.2.0", "120", publish=False)).status_code == 200
    assert (await tenant.upload("1.10.0", "1100")).status_code == 200
    assert tenant.builds() == ["1100", "100"]

    # Publish, critical and a changelog: the item comes, flagged, with the notes as HTML.
    response = await tenant.edit("1.2.0", publish=True, critical=True, changelog="# New\n*x*")
    assert response.status_code == 200, response.text
    assert tenant.builds() == ["1100", "120", "100"]
    made = tenant.items()[1]
    assert made.find(f"{S}criticalUpdate") is not None
    (description,) = made.findall("description")
    assert description.text == "<h1>New</h1>\n<p><em>x</em></p>\n"
    assert b"<![CDATA[<h1>New</h1>" in read_object(tenant.settings, "public", KEY)

    # Not critical any more: the flag goes; unpublished: the item goes.
    assert (await tenant.edit("1.2.0", publish=True)).status_code == 200
    assert tenant.items()[1].find(f"{S}criticalUpdate") is None
    assert (await tenant.edit("1.10.0")).status_code == 200
    assert tenant.builds() == ["120", "100"]

    # An artifact delete of the full archive takes the item out.
    version = next(v for v in await tenant.versions() if v.version == "1.2.0")
    index = next(i for i, a in enumerate(version.artifacts) if a.package == ".zip")
    data = {
        "id": version.id,
        "app_name": "myapp",
        "version": "1.2.0",
        "artifacts_to_delete": [str(index)],
    }
    response = await tenant.client.post(
        "/artifact/delete", files=data_files(data), headers=tenant.headers
    )
    assert response.json() == {"deleteSpecificArtifactResult": True}
    assert tenant.builds() == ["100"]
    await tenant.consistent()

    # Deleting the versions listed leaves an appcast without items while a version holds it,
    # then none.
    for name in ("1.0.0", "1.2.0"):
        version_id = await tenant.version_id(name)
        response = await tenant.client.delete(
            f"/apps/delete?id={version_id}", headers=tenant.headers
        )
        assert response.status_code == 200, response.text
    assert tenant.items() == []
    version_id = await tenant.version_id("1.10.0")
    response = await tenant.client.delete(f"/apps/delete?id={version_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert stored_objects(tenant.settings) == set()
    await tenant.consistent()


@at_2_1
async def test_a_private_apps_appcast_is_not_made_in_the_public_bucket(tenant):
    response = await tenant.upload("1.0.0", "100", app_name="secret")
    assert response.status_code == 200, response.text
    objects = stored_objects(tenant.settings)
    assert ("private", "sparkle/admin/secret/mac/arm64/appcast.stable.xml") in objects
    assert all(bucket == "private" for bucket, _ in objects)
    await tenant.consistent()


async def test_check_version_answers_the_generic_json_at_2_1(tenant):
    assert (await tenant.upload("1.1.0", "110")).status_code == 200
    query = {
        "app_name": "myapp",
        "version": "1.0.0",
        "channel": "stable",
        "platform": "mac",
        "arch": "arm64",
        "owner": "admin",
    }
    response = await tenant.client.get("/checkVersion", params=query)
    assert response.status_code == 200
    if tenant.level == "1.4.6":
        assert response.content == b'{"status":"test_stub","updater":"sparkle"}'
        return
    body = response.json()
    links = {a.package: a.link for v in await tenant.versions() for a in v.artifacts}
    assert body["update_available"] is True
    assert body["update_url_zip"] == links[".zip"]
    assert body["update_url_xml"] == links[".xml"]
    assert body["update_url_delta"] == links[".delta"]


@at_2_1
async def test_a_second_release_shares_the_appcast_key(tenant):
    for version, build in (("1.0.0", "100"), ("1.1.0", "110")):
        response = await tenant.upload(version, build)
        assert response.status_code == 200, response.text
    appcast_links = {
        a.link for v in await tenant.versions() for a in v.artifacts if a.package == ".xml"
    }
    assert len(appcast_links) == 1
    assert tenant.builds() == ["110", "100"]
    # The same archive name in another version would change that version's bytes.
    data = release_data("1.2.0")
    files = [("appcast.xml", feed(item("1.0.0", "100"))), ("MyApp 1.0.0.zip", b"other")]
    response = await upload(tenant.client, tenant.headers, data, *files)
    assert response.status_code == 409
    assert tenant.builds() == ["110", "100"]


# --- refusals ---------------------------------------------------------------------------------

LOL = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss><channel><item><title>&lol3;</title><enclosure url="http://x/a.zip"/></item></channel></rss>"""
XXE_FILE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&x;</title><enclosure url="http://x/a.zip"/></item></channel></rss>"""
XXE_NETWORK = b"""<!-- hi --><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x"> %p;]>
<rss/>"""
NO_DTD = "invalid sparkle appcast: DOCTYPE and entity declarations are not allowed"
ONE = (
    '<rss><channel><item><title>{}</title><enclosure url="http://x/a.zip"/></item></channel></rss>'
)


@at_2_1
@pytest.mark.parametrize(
    ("body", "error"),
    [
        (LOL, NO_DTD),
        (XXE_FILE, NO_DTD),
        (XXE_NETWORK, NO_DTD),
        (
            b"<rss><channel>"
            + b'<item><enclosure url="http://x/a.zip"/></item>' * 1001
            + b"</channel></rss>",
            "invalid sparkle appcast: more than 1000 items",
        ),
        (
            ONE.format("&#xD800;").encode(),
            "invalid sparkle appcast: xmlParseCharRef: invalid xmlChar value 55296, line 1, "
            "column 36",
        ),
        (
            ONE.format("\ud800").encode("utf-8", "surrogatepass"),
            "invalid sparkle appcast: not UTF-8 text",
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?>'
            + ONE.format("\xe9t\xe9").encode("latin-1"),
            "invalid sparkle appcast: not UTF-8 text",
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?>' + ONE.format("summer").encode(),
            "invalid sparkle appcast: not UTF-8 text",
        ),
        (ONE.format("x").encode("utf-16"), "invalid sparkle appcast: not UTF-8 text"),
        (b" \n", "sparkle appcast is empty"),
        (b"<rss><channel><item/></channel></rss>", "sparkle appcast has no items with enclosures"),
        (
            b"<rss>",
            "invalid sparkle appcast: Premature end of data in tag rss line 1, line 1, column 6",
        ),
        (
            b"<rss>" + b"<a>" * 300 + b"</a>" * 300 + b"</rss>",
            "invalid sparkle appcast: Excessive depth in document: 256, use XML_PARSE_HUGE "
            "option, line 1, column 773",
        ),
    ],
    ids=[
        "billion-laughs",
        "xxe-file",
        "xxe-network",
        "thousands-of-items",
        "lone-surrogate-reference",
        "lone-surrogate-bytes",
        "latin-1",
        "declared-latin-1",
        "utf-16",
        "empty",
        "no-enclosure",
        "truncated",
        "deep",
    ],
)
async def test_hostile_appcasts_are_refused_and_nothing_is_kept(tenant, body, error):
    files = [("appcast.xml", body), ("a.zip", b"zip")]
    response = await upload(tenant.client, tenant.headers, release_data("1.0.0"), *files)
    assert_error(response, 400, error)
    assert await tenant.versions() == []
    assert stored_objects(tenant.settings) == set()


@at_2_1
async def test_an_appcast_over_the_size_bound_is_refused(tenant, monkeypatch):
    monkeypatch.setattr(appcast, "MAX_BYTES", 100)
    response = await tenant.upload("1.0.0", "100")
    assert_error(response, 400, "invalid sparkle appcast: larger than 0 MiB")


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([("a.zip", b"z")], appcast.APPCAST_COUNT),
        (
            [("appcast.xml", b"x"), ("APPCAST-2.XML", b"y"), ("a.zip", b"z")],
            appcast.APPCAST_COUNT,
        ),
        ([("appcast.xml", feed(item("1.0.0", "100"))), ("a.pkg", b"z")], appcast.NO_ARCHIVE),
        (
            [
                ("appcast.xml", feed(item("1.0.0", "100"))),
                ("MyApp 1.0.0.zip", b"z"),
                ("b.tar.gz", b"z"),
                ("c.delta", b"d"),
            ],
            "sparkle appcast has no matching <enclosure> for uploaded file(s): b.tar.gz, c.delta. "
            "Regenerate the appcast so it includes an item/enclosure for every uploaded archive "
            "and delta before uploading",
        ),
    ],
    ids=["no-appcast", "two-appcasts", "no-archive", "unmatched"],
)
async def test_uploads_the_appcast_does_not_describe_are_refused(tenant, files, error):
    response = await upload(tenant.client, tenant.headers, release_data("1.0.0"), *files)
    if tenant.level == "1.4.6":
        assert response.status_code == 200, response.text
        return
    assert_error(response, 400, error)
    assert "\\u003cenclosure\\u003e" in response.text or "<" not in error
    assert await tenant.versions() == []
    assert stored_objects(tenant.settings) == set()


@at_2_1
async def test_a_sparkle_prefixed_updater_is_only_checked_by_name(tenant):
    data = release_data("1.0.0", updater="sparkle_beta")
    files = [("appcast.xml", b"not xml"), ("a.zip", b"z")]
    response = await upload(tenant.client, tenant.headers, data, *files)
    assert response.status_code == 200, response.text
    (version,) = await tenant.versions()
    assert all("sparkle" not in a.extra for a in version.artifacts)


@at_2_1
async def test_an_edit_naming_sparkle_needs_its_files(tenant):
    assert (await tenant.upload("1.0.0", "100")).status_code == 200
    response = await tenant.edit("1.0.0", updater="sparkle", platform="mac", arch="arm64")
    assert_error(response, 400, appcast.APPCAST_COUNT)
    # With files, the new archive gets its item and the appcast shows it.
    data = {
        "id": await tenant.version_id("1.0.0"),
        "app_name": "myapp",
        "version": "1.0.0",
        "channel": "stable",
        "platform": "mac",
        "arch": "arm64",
        "updater": "sparkle",
        "publish": True,
    }
    files = [
        ("appcast.xml", feed(item("1.0.0", "100"), item("1.0.0-b", "99"))),
        ("MyApp 1.0.0-b.tar.xz", b"tar"),
    ]
    response = await tenant.client.post(
        "/apps/update", files=data_files(data, *files), headers=tenant.headers
    )
    assert_error(
        response,
        400,
        "sparkle appcast has no matching <enclosure> for uploaded file(s): MyApp 1.0.0-b.tar.xz. "
        "Regenerate the appcast so it includes an item/enclosure for every uploaded archive "
        "and delta before uploading",
    )
    body = feed(item("1.0.0", "100")).replace(b"MyApp%201.0.0.zip", b"MyApp%201.0.0.tar.xz")
    files = [("appcast.xml", body), ("MyApp 1.0.0.tar.xz", b"tar")]
    response = await tenant.client.post(
        "/apps/update", files=data_files(data, *files), headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    (version,) = await tenant.versions()
    tar = next(a for a in version.artifacts if a.package == ".xz")
    assert tar.extra["sparkle"]["file_name"] == "MyApp 1.0.0.tar.xz"
    enclosure = tenant.items()[0].find("enclosure")
    assert enclosure is not None
    assert enclosure.get("url") == tar.link


# --- channels, other updaters, rollouts, concurrency ------------------------------------------


@at_2_1
async def test_each_channel_has_its_appcast(tenant):
    await create(tenant.client, tenant.headers, "channel", "beta")
    assert (await tenant.upload("1.0.0", "100")).status_code == 200
    response = await tenant.upload("1.1.0", "110", channel="beta")
    assert response.status_code == 200, response.text
    assert tenant.builds() == ["100"]
    beta = read_object(tenant.settings, "public", KEY.replace("stable", "beta"))
    (made,) = ET.fromstring(beta).findall("channel/item")
    assert made.findtext(f"{S}version") == "110"
    await tenant.consistent()


@at_2_1
async def test_other_updaters_are_unchanged_at_2_1(tenant):
    await create(tenant.client, tenant.headers, "platform", "linux")
    data = {**release_data("1.0.0", platform="linux"), "updater": "manual"}
    response = await upload(tenant.client, tenant.headers, data, ("appcast.xml", b"<x"))
    assert response.status_code == 200, response.text
    (version,) = await tenant.versions()
    (artifact,) = version.artifacts
    assert artifact.extra == {}
    assert tenant.app.state.links.key_of(artifact.link, private=False) == (
        "myapp-admin/stable/linux/arm64/myapp-1.0.0.xml"
    )
    assert {k for _, k in stored_objects(tenant.settings)} == {
        "myapp-admin/stable/linux/arm64/myapp-1.0.0.xml"
    }


@at_2_1
async def test_the_generic_answer_carries_the_rollout_at_2_1(tenant):
    assert (await tenant.upload("1.1.0", "110", rollout=40)).status_code == 200
    query = {
        "app_name": "myapp",
        "version": "1.0.0",
        "channel": "stable",
        "platform": "mac",
        "arch": "arm64",
        "owner": "admin",
    }
    body = (await tenant.client.get("/checkVersion", params=query)).json()
    assert body["rollout"]["percent"] == 40


@at_2_1
async def test_concurrent_changes_leave_the_last_state(tenant):
    for version, build in (("1.0.0", "100"), ("1.1.0", "110"), ("1.2.0", "120")):
        assert (await tenant.upload(version, build)).status_code == 200
    edits = [
        tenant.edit("1.0.0", publish=False),
        tenant.edit("1.1.0", publish=True, critical=True),
        tenant.edit("1.2.0", publish=False),
    ]
    responses = await asyncio.gather(*edits)
    assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
    assert tenant.builds() == ["110"]
    assert tenant.items()[0].find(f"{S}criticalUpdate") is not None
    await tenant.consistent()


@at_2_1
async def test_an_appcast_another_request_holds_is_left_to_it(tenant, monkeypatch):
    assert (await tenant.upload("1.0.0", "100")).status_code == 200
    store = tenant.app.state.store
    until = datetime.now(UTC) + timedelta(seconds=60)
    assert await store.claims.acquire(KEY, "another-request", until)
    monkeypatch.setattr(objects, "GENERATED_WAIT", 0.2)
    assert (await tenant.edit("1.0.0", publish=True, critical=True)).status_code == 200
    assert tenant.items()[0].find(f"{S}criticalUpdate") is None  # not made meanwhile
    await store.claims.release(KEY, "another-request")
    assert (await tenant.edit("1.0.0", publish=True, critical=True)).status_code == 200
    assert tenant.items()[0].find(f"{S}criticalUpdate") is not None


@at_2_1
async def test_an_appcast_key_held_by_another_apps_version_is_not_written(tenant):
    assert (await tenant.upload("1.0.0", "100")).status_code == 200
    store = tenant.app.state.store
    # The app is renamed and another takes its name: the old versions keep their links.
    old = await store.meta.get_by_name(Kind.APP, "myapp", "admin")
    old.name = "renamed"
    await store.meta.update(old)
    before = read_object(tenant.settings, "public", KEY)
    await create_app(tenant.client, tenant.headers, "myapp")
    response = await tenant.upload("2.0.0", "200")
    assert response.status_code == 409
    assert read_object(tenant.settings, "public", KEY) == before


@at_2_1
async def test_hostile_file_names_are_refused_cleanly(tenant):
    boundary = "sparkle-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'.encode()
        + json.dumps(release_data("1.0.0")).encode()
        + b"\r\n"
    ]
    body = feed(item("1.0.0", "100"))
    for quoted, content in (("appcast.xml", body), ("%ED%A0%80.zip", b"z"), ("..", b"d")):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f"filename*=UTF-8''{quoted}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    response = await tenant.client.post(
        "/upload",
        content=b"".join(parts) + f"--{boundary}--\r\n".encode(),
        headers={**tenant.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    # Each byte of the ill-formed UTF-8 name is read as U+FFFD, as Go reads it.
    assert_error(response, 400, appcast.UNMATCHED.format("\ufffd" * 3 + ".zip"))
    assert await tenant.versions() == []
    assert stored_objects(tenant.settings) == set()


@at_2_1
async def test_no_appcast_is_kept_once_no_version_holds_it(tenant):
    assert (await tenant.upload("1.0.0", "100")).status_code == 200
    (version,) = await tenant.versions()
    index = next(i for i, a in enumerate(version.artifacts) if a.package == ".xml")
    data = {
        "id": version.id,
        "app_name": "myapp",
        "version": "1.0.0",
        "artifacts_to_delete": [str(index)],
    }
    response = await tenant.client.post(
        "/artifact/delete", files=data_files(data), headers=tenant.headers
    )
    assert response.json() == {"deleteSpecificArtifactResult": True}
    assert ("public", KEY) not in stored_objects(tenant.settings)
    # An edit of the version does not bring it back: nothing would hold it.
    assert (await tenant.edit("1.0.0", publish=True, critical=True)).status_code == 200
    assert ("public", KEY) not in stored_objects(tenant.settings)
    await tenant.consistent()


@at_2_1
async def test_items_a_v2_1_server_stored_are_made_into_the_appcast(tenant):
    """FaynoSync v2.1.0 stores an item as etree writes it: the ``sparkle:`` prefix without its
    declaration (the rss element had it)."""
    assert (await tenant.upload("1.0.0", "100")).status_code == 200
    (version,) = await tenant.versions()
    full = next(a for a in version.artifacts if a.package == ".zip")
    full.extra["sparkle"]["raw_item"] = (
        "<item><title>1.0.0</title><sparkle:version>100</sparkle:version>"
        f'<enclosure url="https://example.com/dl/MyApp%201.0.0.zip" length="9" '
        f'sparkle:edSignature="{SIGNATURE}"/></item>'
    )
    await tenant.app.state.store.versions.save(version)
    assert (await tenant.edit("1.0.0", publish=True)).status_code == 200
    (made,) = tenant.items()
    enclosure = made.find("enclosure")
    assert enclosure is not None
    assert (enclosure.get("url"), enclosure.get(f"{S}edSignature")) == (full.link, SIGNATURE)
