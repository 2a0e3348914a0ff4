"""The consistency check on both store backends and both storage kinds, through the data a
running server wrote: orphans, dangling and unreadable links, partial writes, the grace period,
and the report logged at start."""

from __future__ import annotations

import io
import logging
import os
import time

from faynosync.core.lockedfiles import create_locked
from faynosync.fsck.check import Problem, check
from faynosync.storage.keys import private_link
from faynosync.storage.staging import create_staged
from tests.support.api import running
from tests.support.factories import LOGO_KEY, PRIVATE_KEY, PUBLIC_KEY
from tests.support.storage import s3_client, s3_endpoint, stored_objects

HOUR = 3600.0


async def run(env, *, grace=HOUR, **options):
    return await check(env.store, env.storage, staging=env.staging, grace=grace, **options)


def shown(report):
    return sorted((f.problem, f.where, f.key, f.young, f.removed) for f in report.findings)


async def leave_partial_write(env) -> tuple[str, str, bool]:
    """What a write killed half-way leaves: (bucket, key, young)."""
    if env.kind == "local":
        root = env.settings.FAYNOSYNC_DATA_DIR / "objects" / "public"
        fd, path = create_locked(root / "pubapp-other", ".upload-")
        os.write(fd, b"half")
        os.close(fd)
        return "public", path.relative_to(root).as_posix(), True
    client = s3_client(s3_endpoint(env.settings))
    bucket = env.settings.S3_BUCKET_NAME
    upload = client.create_multipart_upload(Bucket=bucket, Key="pubapp-other/big.bin")
    client.upload_part(
        Bucket=bucket,
        Key="pubapp-other/big.bin",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"x",
    )
    return "public", "pubapp-other/big.bin", False  # moto dates every upload 2010-11-10


def stale_staged_file(env):
    path, lock = create_staged(env.staging)
    os.write(lock, b"half an upload")
    os.close(lock)
    return path


async def artifact_version(env, link_part: str):
    async for artifact in env.store.versions.artifact_links():
        if link_part in artifact.link:
            return await env.store.versions.get(artifact.version_id)
    raise AssertionError(link_part)


async def test_what_a_server_wrote_is_consistent(env):
    report = await run(env)
    assert report.clean and report.findings == []
    assert (report.objects, report.links) == (3, 3)  # two artifacts and a logo


async def test_orphans_dangling_links_and_partial_writes(env):
    await env.storage.put("testapp-admin/stray.bin", io.BytesIO(b"stray"), private=True)
    await env.storage.delete(PUBLIC_KEY, private=False)  # its version still links it
    bucket, partial, partial_young = await leave_partial_write(env)
    staged = stale_staged_file(env)

    report = await run(env)
    assert not report.clean
    assert shown(report) == sorted(
        [
            (Problem.ORPHAN, "private", "testapp-admin/stray.bin", True, False),
            (Problem.DANGLING, "public", PUBLIC_KEY, False, False),
            (Problem.PARTIAL, bucket, partial, partial_young, False),
            (Problem.PARTIAL, "staging", staged.name, True, False),
        ]
    )
    (dangling,) = [f for f in report.findings if f.problem is Problem.DANGLING]
    version = await artifact_version(env, "pubapp-0.0.1.137")
    assert dangling.holder == f"version {version.id} of app pubapp (owner other)"
    (orphan,) = [f for f in report.findings if f.problem is Problem.ORPHAN]
    assert orphan.size == 5 and abs(orphan.modified - time.time()) < 60

    # Within the grace period (an upload in flight stores its object first): kept.
    report = await run(env, remove=True)
    assert ("private", "testapp-admin/stray.bin") in stored_objects(env.settings)
    assert staged.exists()
    assert not any(f.removed for f in report.findings if f.young)

    # Past it, orphans and partial writes go; a dangling link is only reported.
    report = await run(env, remove=True, now=time.time() + 2 * HOUR)
    assert [f.removed for f in report.findings if f.problem is not Problem.DANGLING] == [True] * (
        len(report.findings) - 1
    )
    assert stored_objects(env.settings) == {("private", PRIVATE_KEY), ("public", LOGO_KEY)}
    assert not staged.exists()
    report = await run(env, now=time.time() + 2 * HOUR)
    assert shown(report) == [(Problem.DANGLING, "public", PUBLIC_KEY, False, False)]


async def test_orphans_are_kept_while_a_link_is_unreadable(env):
    version = await artifact_version(env, "testapp-0.0.1.137")
    version.artifacts[0].link = "ftp://elsewhere/testapp.dmg"
    await env.store.versions.save(version)
    report = await run(env, remove=True, now=time.time() + 2 * HOUR)
    assert shown(report) == [
        (Problem.ORPHAN, "private", PRIVATE_KEY, False, False),
        (Problem.UNREADABLE, "private", "ftp://elsewhere/testapp.dmg", False, False),
    ]
    assert "unreadable" in report.orphans_kept
    assert ("private", PRIVATE_KEY) in stored_objects(env.settings)

    # A link made under another API_URL (FaynoSync's, or this server's before) still counts.
    version.artifacts[0].link = private_link("https://updates.example.com", PRIVATE_KEY)
    await env.store.versions.save(version)
    report = await run(env, remove=True, now=time.time() + 2 * HOUR)
    assert report.clean and report.findings == []


async def test_the_report_at_start_logs_orphans_with_their_keys(env, caplog):
    await env.storage.put("testapp-admin/stray.bin", io.BytesIO(b"stray"), private=True)
    settings = env.settings.model_copy(
        update={"FAYNOSYNC_ORPHAN_GRACE": 0.0, "FAYNOSYNC_START_CHECK_DELAY": 0.0}
    )
    with caplog.at_level(logging.INFO, logger="faynosync.fsck"):
        async with running(settings) as (app, client):
            assert (await client.get("/health")).status_code == 200
            report = await app.state.consistency
    assert [(f.problem, f.key) for f in report.findings] == [
        (Problem.ORPHAN, "testapp-admin/stray.bin")
    ]
    (record,) = [r for r in caplog.records if r.name == "faynosync.fsck.report"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        "consistency check: 4 objects, 3 links checked; 1 orphan: "
        "orphan private testapp-admin/stray.bin (`faynosync fsck` lists them;"
    )


async def test_a_failing_report_at_start_is_logged_and_start_goes_on(settings_factory, caplog):
    # Every storage call fails.
    settings = settings_factory(STORAGE_DRIVER="gcp", FAYNOSYNC_START_CHECK_DELAY=0.0)
    with caplog.at_level(logging.INFO, logger="faynosync.fsck"):
        async with running(settings) as (app, client):
            assert (await client.get("/health")).status_code == 200
            assert await app.state.consistency is None
    assert "consistency check failed" in caplog.text
    assert "unknown storage driver: gcp" in caplog.text


async def test_the_report_at_start_waits_and_can_be_turned_off(settings_factory):
    async with running(settings_factory()) as (app, client):
        assert (await client.get("/health")).status_code == 200
        assert not app.state.consistency.done()  # 10 s after start, by default
    assert app.state.consistency.cancelled()  # a stop does not wait for it
    async with running(settings_factory(FAYNOSYNC_START_CHECK_DELAY=-1.0)) as (app, _):
        assert app.state.consistency is None
