"""The pure Velopack rules (faynosync/updaters/velopack.py): names and keys, the uploaded feed,
Velopack's version order, the feed's deltas, notes and JSON, and the required step."""

from __future__ import annotations

import json

import jsonschema
import pytest

from faynosync.errors import APIError
from faynosync.updaters import notes, velopack
from faynosync.updaters.velopack import Block, Release

# The feed format Velopack's clients read (releases.{channel}.json), from its documentation:
# VelopackAssetFeed { Assets: VelopackAsset[] }.
ASSET_KEYS = [
    "PackageId",
    "Version",
    "Type",
    "FileName",
    "SHA1",
    "SHA256",
    "Size",
    "NotesMarkdown",
    "NotesHTML",
]
FEED_SCHEMA = {
    "type": "object",
    "required": ["Assets"],
    "additionalProperties": False,
    "properties": {
        "Assets": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ASSET_KEYS,
                "properties": {
                    "PackageId": {"type": "string", "minLength": 1},
                    "Version": {"type": "string", "minLength": 1},
                    "Type": {"enum": ["Full", "Delta"]},
                    "FileName": {"type": "string", "pattern": "^[^/]+$"},
                    "SHA1": {"type": "string"},
                    "SHA256": {"type": "string"},
                    "Size": {"type": "integer", "minimum": 0},
                    "NotesMarkdown": {"type": "string"},
                    "NotesHTML": {"type": "string"},
                },
            },
        }
    },
}


def block(version: str, kind: str = "Full") -> Block:
    name = f"app-{version}-{kind.lower()}.nupkg"
    return Block(type=kind, file_name=name, sha1="1", sha256="2", size=3)


def release(version: str, published: bool = True, *, delta: bool = False, full: bool = True):
    return Release(
        version=version,
        published=published,
        notes=f"notes {version}",
        full=block(version) if full else None,
        delta=block(version, "Delta") if delta else None,
    )


def assets(body: bytes) -> list[tuple[str, str]]:
    feed = json.loads(body)
    jsonschema.validate(feed, FEED_SCHEMA)
    return [(a["Version"], a["Type"]) for a in feed["Assets"]]


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("1.0.0", "1.0.0", 0),
        ("1.10.0", "1.9.0", 1),
        ("1.0", "1.0.0.0", 0),
        ("1.0.1", "1.0", 1),
        ("1.0.0-beta", "1.0.0", 0),  # a non-numeric part is 0
        ("2.x", "2.0", 0),
        ("1.+2", "1.2", 0),
        ("1.-1", "1.0", -1),
        ("1.99999999999999999999", "1.0", 0),  # out of 64 bits: 0
        ("", "0", 0),
    ],
)
def test_velopacks_order(a, b, order):
    assert velopack.compare(a, b) == order
    assert velopack.compare(b, a) == -order


def test_deltas_only_over_a_published_full_release():
    releases = [
        release("1.0.0"),
        release("1.2.0", delta=True),
        release("1.1.0", published=False),
        release("1.3.0", delta=True),
        release("1.4.0", delta=True),
        release("1.3.5", full=False),
        release("0.9.0", delta=True),
    ]
    assert assets(velopack.build(releases, "app")) == [
        ("1.4.0", "Full"),  # 1.3.5 has no full package: no delta
        ("1.3.0", "Full"),
        ("1.3.0", "Delta"),  # over 1.2.0
        ("1.2.0", "Full"),  # its delta is over the unpublished 1.1.0
        ("1.0.0", "Full"),
        ("0.9.0", "Full"),  # nothing below
    ]


def test_equal_versions_keep_their_order_and_the_lower_is_the_next_smaller():
    first, second = release("1.0"), release("1.0.0")
    body = velopack.build([first, second, release("2.0", delta=True)], "app")
    assert [(a["Version"]) for a in json.loads(body)["Assets"]] == ["2.0", "2.0", "1.0", "1.0.0"]


def test_the_json_is_compact_unescaped_and_valid_utf8():
    notes = "a <b> & \u2028 \ud800 \U0001f600"
    body = velopack.build([Release("1.0", True, notes, full=block("1.0"))], "app<&>")
    text = body.decode("utf-8")
    assert text.startswith('{"Assets":[{"PackageId":"app<&>","Version":"1.0","Type":"Full"')
    assert '"NotesMarkdown":"a <b> & \\u2028 \ufffd \U0001f600"' in text
    assert not text.endswith("\n")
    assert velopack.build([], "app") == velopack.EMPTY
    unpublished = [release("1.0", published=False)]
    assert velopack.build(unpublished, "app") == b'{"Assets":[]}'


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("", ""),
        ("  \n\t", ""),
        ("Second release notes", "<p>Second release notes</p>\n"),
        ("# Title\n\n- a\n- b", "<h1>Title</h1>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"),
        ("x <script>alert(1)</script> y", "<p>x alert(1) y</p>\n"),
        ("<div onclick='x'>raw</div>", "\n"),
        (
            "[link](https://example.com)",
            '<p><a href="https://example.com" rel="nofollow">link</a></p>\n',
        ),
        ("[js](javascript:alert(1))", "<p>[js](javascript:alert(1))</p>\n"),
        ("![img](https://e.com/i.png)", '<p><img src="https://e.com/i.png" alt="img"></p>\n'),
        ("lone \ud800", "<p>lone \ufffd</p>\n"),
    ],
)
def test_notes_are_rendered_and_sanitised(markdown, html):
    assert notes.notes_html(markdown) == html


def test_full_assets_carry_notes_and_deltas_none():
    body = velopack.build([release("1.0"), release("1.1", delta=True)], "app")
    items = json.loads(body)["Assets"]
    assert [(a["NotesMarkdown"], a["NotesHTML"]) for a in items] == [
        ("notes 1.1", "<p>notes 1.1</p>\n"),
        ("", ""),
        ("notes 1.0", "<p>notes 1.0</p>\n"),
    ]
    assert list(items[0]) == ASSET_KEYS


def test_the_required_step_and_the_cap():
    steps = [
        release("1.0.0"),
        Release("1.1.0", True, required_intermediate=True, full=block("1.1.0")),
        Release("1.2.0", False, required_intermediate=True, full=block("1.2.0")),
        Release("1.3.0", True, required_intermediate=True, full=block("1.3.0")),
        release("2.0.0"),
    ]
    assert velopack.required_step(steps, "1.0.0") == "1.1.0"
    assert velopack.required_step(steps, "1.1.0") == "1.3.0"
    assert velopack.required_step(steps, "1.3.0") is None
    assert velopack.required_step(steps, "bad") is None
    assert velopack.required_step([*steps, release("x.y")], "1.0.0") is None
    assert velopack.required_step([], "1.0.0") is None
    capped = velopack.capped(steps, "1.1.0")
    assert [r.version for r in capped] == ["1.0.0", "1.1.0"]
    assert velopack.capped(steps, None) == steps


def test_the_uploaded_feed():
    raw = json.dumps(
        {
            "assets": [  # Go matches field names in any case
                {"type": "Full", "fileName": "a.nupkg", "SHA1": "x", "Size": 1},
                {"Type": "Full", "FileName": "a.nupkg", "SHA256": "y", "Size": 2},
                {"Type": "Delta", "FileName": "d.nupkg"},
                {"Type": "Installer", "FileName": "Setup.exe"},
                {"Type": "full", "FileName": "lower.nupkg"},
                None,
            ]
        }
    ).encode()
    assert velopack.parse_feed(raw) == {
        "a.nupkg": Block("Full", "a.nupkg", "", "y", 2),
        "d.nupkg": Block("Delta", "d.nupkg", "", "", 0),
    }
    with pytest.raises(APIError) as refused:
        velopack.parse_feed(
            b'{"Assets":[{"Type":"Full","FileName":"a","Size":9223372036854775808}]}'
        )
    assert refused.value.status_code == 400
    assert refused.value.error.startswith(velopack.BAD_FEED)


def test_blocks_as_stored():
    good = {"type": "Full", "file_name": "f", "sha1": "a", "sha256": "b", "size": 4}
    stored = Block.of(good)
    assert stored == Block("Full", "f", "a", "b", 4)
    assert stored.document() == good
    assert list(stored.document()) == list(good)
    assert Block.of(None) is None
    assert Block.of("text") is None
    assert Block.of({**good, "size": "4"}) is None
    assert Block.of({**good, "sha1": 5}) is None


def test_names_and_keys():
    assert velopack.is_feed_name("RELEASES.Beta.JSON")
    assert velopack.is_feed_name("releases..json")
    assert not velopack.is_feed_name("releases.json")
    assert not velopack.is_feed_name("RELEASES")
    assert velopack.feed_channel("releases.stable.json") == "stable"
    assert velopack.feed_channel("releases.st-able.json") is None
    key = velopack.object_key
    common = {"app": "a", "owner": "o", "version": "1.2.3"}
    assert (
        key(**common, platform="w", arch="x", filename="a-full.nupkg")
        == "velopack/o/a/w/x/a-full.nupkg"
    )
    assert key(**common, platform="", arch="", filename="A.NUPKG") == "velopack/o/a/A.NUPKG"
    assert key(**common, platform="w", arch="", filename="App-Setup.exe") == (
        "velopack/o/a/w/installers/App-Setup-1.2.3-w.exe"
    )
    assert key(**common, platform="w", arch="x", filename="Setup") == (
        "velopack/o/a/w/x/installers/Setup-1.2.3-w-x"
    )
    assert key(**common, platform="w", arch="x", filename="a.tar.gz") == (
        "velopack/o/a/w/x/installers/a.tar-1.2.3-w-x.gz"
    )
    feed = velopack.feed_key(app="a", owner="o", channel="beta", platform="w", arch="x")
    assert feed == "velopack/o/a/w/x/releases.beta.json"
    assert velopack.is_feed_key(feed)
    assert not velopack.is_feed_key("velopack/o/a/w/releases.beta.json")
    assert not velopack.is_feed_key("velopack/o/a/w/x/a-full.nupkg")


def test_the_upload_checks_match_the_updater_by_prefix():
    velopack.check_files("manual", [])
    with pytest.raises(APIError, match="full package"):
        velopack.check_files("velopack_custom", ["releases.stable.json"])
    velopack.check_files("velopack_custom", ["A-FULL.NUPKG", "Releases.Stable.Json"])


def test_latest_installer_copies_are_told_by_their_installers():
    keys = {
        "velopack/o/a/w/x/installers/App-Setup-1.0-w-x.exe",
        "velopack/o/a/w/x/App-Setup.exe",  # a copy
        "velopack/o/a/w/x/Other.exe",  # no installer of that name
        "velopack/o/a/w/x/App.exe",  # "App-" prefix matches App-Setup-…: a copy too
        "velopack/o/a/w/x/App-Setup.msi",  # another extension
        "velopack/o/a/installers/Setup-1.0",
        "velopack/o/a/Setup",
        "other/o/a/installers/Setup-1.0",
        "other/o/a/Setup",
    }
    assert velopack.latest_installer_copies(keys) == {
        "velopack/o/a/w/x/App-Setup.exe",
        "velopack/o/a/w/x/App.exe",
        "velopack/o/a/Setup",
    }
    assert velopack.latest_installer_key("velopack/o/a/installers/S-1.exe", "S.exe") == (
        "velopack/o/a/S.exe"
    )
    assert velopack.latest_installer_key("velopack/o/a/S.exe", "S.exe") is None


def test_a_feed_over_the_bound_is_refused_unread(monkeypatch):
    monkeypatch.setattr(velopack, "MAX_FEED_BYTES", 8)
    with pytest.raises(APIError) as refused:
        velopack.parse_feed(b'{"Assets":[]}')
    assert refused.value.error == "invalid velopack releases feed: larger than 0 MiB"
