"""API levels: which FaynoSync version the answers follow (``FAYNOSYNC_API_LEVEL``).

``1.4.6`` (the default) answers as FaynoSync v1.4.6, byte for byte; ``2.1`` as v2.1.0 where its
answers to the same routes changed (docs/compatibility.md#api-levels). Routes v2.1 added are
served at both levels. Each difference is a field here, read where its rule lives: one code
path per rule, the level as data.
"""

from __future__ import annotations

from dataclasses import dataclass

_V1_UPDATERS = (
    "manual",
    "squirrel_darwin",
    "squirrel_windows",
    "sparkle",
    "electron-builder",
    "tauri",
)


@dataclass(frozen=True)
class ApiLevel:
    name: str
    cors_methods: str
    """CORS ``Access-Control-Allow-Methods`` (v2.1 adds PATCH)."""
    check_dots: bool
    """/checkVersion and RELEASES read every ``-`` of ``version`` as ``.`` (v2.1, 1.6.1)."""
    check_hidden_packages: frozenset[str]
    """Extensions whose links /checkVersion leaves out (v2.1: ``.blockmap``, ``.nupkg``)."""
    releases_text: bool
    """``squirrel_windows`` answers a public app's RELEASES file, its package names made
    absolute URLs, instead of redirecting to it (v2.1, 1.6.3)."""
    search_tuf: bool
    """/search artifacts carry ``TufTaskID`` and ``TufSigned``."""
    search_rollout: bool
    """/search items carry ``RolloutPercent`` (a version with a rollout)."""
    rollout_always_stored: bool
    """A new version stores ``rollout_percent`` (100 unless asked) and ``rollout_seed``, as
    v2.1 does; otherwise only when a request asks for a rollout."""
    app_flags: bool
    """Apps have the ``tuf``, ``reports`` and ``cdn`` flags (forms, /app/list)."""
    app_update_not_found: bool
    """/app/update of a missing or another tenant's app: 404 ``app not found``."""
    edit_keys_of_admin: bool
    """/apps/update names new objects after the admin, also for a team user."""
    private_links_query_escaped: bool
    """Private /download links escape the key as a query value (space as ``+``)."""
    updater_types: tuple[str, ...]
    """The updaters a platform accepts, in the order the error message lists them."""
    telemetry_unions: bool
    """/telemetry counts a device once over a week or month (and across apps in a report of
    all apps), not once per app and day (v2.1, 1.5.12)."""
    repeatable_packages: frozenset[str] = frozenset()
    """Extensions a version may hold several artifacts of for one platform and arch (v2.1:
    ``.nupkg`` and ``.delta``, full and delta packages)."""
    sparkle_appcasts: bool = False
    """``sparkle`` as v2.1 has it (docs/behaviour.md#sparkle-appcasts): uploads checked against
    their appcast and stored under ``sparkle/``, each channel's appcast made from the published
    versions, checks answered the generic JSON instead of v1.4.6's stub."""


V1_4_6 = ApiLevel(
    name="1.4.6",
    cors_methods="POST, OPTIONS, GET, PUT, DELETE",
    check_dots=False,
    check_hidden_packages=frozenset(),
    releases_text=False,
    search_tuf=False,
    search_rollout=False,
    rollout_always_stored=False,
    app_flags=False,
    app_update_not_found=False,
    edit_keys_of_admin=False,
    private_links_query_escaped=False,
    updater_types=_V1_UPDATERS,
    telemetry_unions=False,
)
V2_1 = ApiLevel(
    name="2.1",
    cors_methods="POST, OPTIONS, GET, PUT, DELETE, PATCH",
    check_dots=True,
    check_hidden_packages=frozenset({".blockmap", ".nupkg"}),
    releases_text=True,
    search_tuf=True,
    search_rollout=True,
    rollout_always_stored=True,
    app_flags=True,
    app_update_not_found=True,
    edit_keys_of_admin=True,
    private_links_query_escaped=True,
    updater_types=(*_V1_UPDATERS, "velopack"),
    telemetry_unions=True,
    repeatable_packages=frozenset({".nupkg", ".delta"}),
    sparkle_appcasts=True,
)
LEVELS = {level.name: level for level in (V1_4_6, V2_1)}
