"""What the tests check after races and faults: every link has its object, every object a link."""

from __future__ import annotations

from faynosync.fsck.check import check
from faynosync.storage.keys import key_from_private_link
from faynosync.storage.staging import staging_dir
from faynosync.store.models import Kind, VersionFilter
from tests.support.env import Env
from tests.support.storage import stored_objects


async def referenced(env: Env, owners: list[str]) -> set[tuple[str, str | None]]:
    """(bucket, key) of every artifact and logo the owners' documents hold."""
    found: set[tuple[str, str | None]] = set()
    for owner in owners:
        versions, _ = await env.store.versions.search(
            VersionFilter(owner=owner), skip=0, limit=10**6
        )
        for version in versions:
            for artifact in version.artifacts:
                key = key_from_private_link(
                    artifact.link,
                    query_escaped=env.settings.api_level.private_links_query_escaped,
                )
                bucket = "private" if key is not None else "public"
                found.add((bucket, key or env.storage.public_key(artifact.link)))
        for app in await env.store.meta.list(Kind.APP, owner, limit=10**6):
            if app.logo:
                found.add(("public", env.storage.public_key(app.logo)))
    return found


async def assert_consistent(env: Env, owners: list[str]) -> None:
    """No dangling link, no orphan object, nothing staged: by the server's own consistency
    check (``faynosync fsck``), and by a count of this test's own."""
    report = await check(env.store, env.storage, staging=staging_dir(env.settings), grace=0)
    assert report.clean, report.problems
    held = await referenced(env, owners)
    stored = stored_objects(env.settings)
    assert held - stored == set(), "links without their object"
    assert stored - held == set(), "objects no document holds"
