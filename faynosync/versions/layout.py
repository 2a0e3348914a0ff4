"""Where an artifact is stored: FaynoSync's object keys per updater.

See docs/behaviour.md#object-keys.
"""

from __future__ import annotations

from faynosync.storage.keys import extension
from faynosync.updaters import velopack
from faynosync.versions import sparkle


def artifact_key(
    *,
    updater: str,
    app: str,
    owner: str,
    version: str,
    channel: str,
    platform: str,
    arch: str,
    filename: str,
    appcasts: bool = False,
) -> str:
    """The object key of an uploaded file; empty channel/platform/arch segments are left out.

    The layout is chosen by the exact updater name: ``squirrel_windows`` keeps the original file
    name under the version, ``electron-builder`` and (sic) ``sparkle`` likewise under an
    ``electron-builder/`` prefix; anything else is ``{app}-{version}{ext}``. With ``appcasts``
    (API level 2.1), ``sparkle`` has v2.1's layout (:func:`faynosync.versions.sparkle.key`).
    """
    if appcasts and updater == "sparkle":
        return sparkle.key(
            owner=owner, app=app, channel=channel, platform=platform, arch=arch, filename=filename
        )
    if updater == "velopack":
        return velopack.object_key(
            app=app, owner=owner, version=version, platform=platform, arch=arch, filename=filename
        )
    scope = [s for s in (channel, platform, arch) if s]
    if updater == "squirrel_windows":
        return "/".join(["squirrel_windows", f"{app}-{owner}", version, *scope, filename])
    if updater in ("electron-builder", "sparkle"):
        return "/".join(["electron-builder", f"{app}-{owner}", version, *scope, filename])
    return "/".join([f"{app}-{owner}", *scope, f"{app}-{version}{extension(filename)}"])
