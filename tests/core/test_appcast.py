"""The Sparkle appcast module on its own: names, the prolog scan, the version order, items
stored by another server, and the made appcast against Sparkle's documented format."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from faynosync.errors import APIError
from faynosync.updaters import appcast, notes

NS = appcast.SPARKLE_NS
S = f"{{{NS}}}"
WHEN = datetime(2024, 8, 3, 11, 46, 42, tzinfo=UTC)


def release(build: str, raw_item: str, **extra: object) -> appcast.Release:
    values: dict[str, object] = {
        "version": build,
        "sparkle_version": build,
        "raw_item": raw_item,
        "published": True,
        "critical": False,
        "notes": "",
        "updated_at": WHEN,
        **extra,
    }
    return appcast.Release(**values)  # type: ignore[arg-type]


def test_file_kinds():
    assert appcast.is_appcast("AppCast-beta.XML") and not appcast.is_appcast("x-appcast.xml")
    for name in ("a.zip", "a.DMG", "a.aar", "a.tar", "a.tar.xz", "a.tar.bz2"):
        assert appcast.is_archive(name), name
    assert not appcast.is_archive("a.pkg") and not appcast.is_archive("a.delta")
    assert appcast.is_delta("a.DELTA")
    assert appcast.managed_name("") == "appcast.xml"
    assert appcast.managed_name("beta") == "appcast.beta.xml"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (b"<!DOCTYPE x>", True),
        (b'<?xml version="1.0"?>\n<!-- a <!DOCTYPE --> \n<!DOCTYPE x>', True),
        (b"<?xml version='1.0'?><rss><!DOCTYPE x></rss>", False),
        (b"<?xml version='1.0'", False),
        (b"<!-- unterminated", False),
        (b"<?pi?>" * 10000 + b"<rss/>", False),
    ],
)
def test_the_prolog_scan(body, found):
    assert appcast._has_doctype(body) is found


def test_the_version_order():
    builds = ["1.10", "1.9", "2", "1.9.0.0", "x", "1.a", "10"]
    assert sorted(builds, key=appcast.order_key, reverse=True) == [
        "10",
        "2",
        "1.10",
        "1.9",
        "1.9.0.0",
        "1.a",
        "x",
    ]
    assert appcast.order_key("1.0.0") == appcast.order_key("1")


def test_changelogs_are_the_release_notes_of_velopack_commonmark_raw_html_left_out():
    assert notes.notes_html("  \n") == ""
    html = notes.notes_html("x <script>x</script> [a](javascript:alert(1)) **b**")
    assert "<script>" not in html and "javascript:" not in html.replace("[a](javascript:", "")
    assert "<strong>b</strong>" in html


def test_an_unmatched_enclosure_url_that_is_not_a_url_is_read_as_a_name():
    body = b'<rss><channel><item><enclosure url="http://[::1/a.zip"/></item></channel></rss>'
    blocks = appcast.read(body, ["a.zip"])
    assert blocks["a.zip"]["kind"] == "full"
    assert blocks["a.zip"]["sparkle_version"] == ""


def test_the_version_may_be_an_enclosure_attribute():
    body = (
        f'<rss xmlns:sparkle="{NS}"><channel><item>'
        '<enclosure url="https://x/a.zip" sparkle:version="42"/></item></channel></rss>'
    ).encode()
    assert appcast.read(body, [])["a.zip"]["sparkle_version"] == "42"


def test_entity_references_left_unresolved_are_refused():
    with pytest.raises(APIError) as refused:
        appcast.read(
            b"<rss><channel><item><title>&amp;&unknown;</title></item></channel></rss>", []
        )
    assert refused.value.status_code == 400


def test_items_stored_by_another_server_are_read_with_the_sparkle_prefix_bound():
    # v2.1 stores the item as etree writes it: the sparkle prefix without its declaration.
    raw = (
        "<item><title>1</title><sparkle:version>1</sparkle:version>"
        '<sparkle:criticalUpdate sparkle:version="0.9"/>'
        "<description>old</description><description>older</description>"
        '<enclosure url="https://x/A%201.zip" length="5" sparkle:edSignature="sig=="/></item>'
    )
    made = appcast.build(
        "App",
        [
            release("1", raw, critical=True, notes="new", links={"A 1.zip": "https://cdn/A"}),
            release("2", "<item>not closed", published=True),
            release("3", "<a/><b/>"),
            release("4", raw, published=False),
            release("5", ""),
        ],
    )
    root = ET.fromstring(made)
    (item,) = root.findall("channel/item")
    critical = item.find(f"{S}criticalUpdate")
    assert critical is not None and critical.get(f"{S}version") == "0.9"
    assert [d.text for d in item.findall("description")] == ["<p>new</p>\n"]
    enclosure = item.find("enclosure")
    assert enclosure is not None
    assert enclosure.attrib == {
        "url": "https://cdn/A",
        "length": "5",
        f"{S}edSignature": "sig==",
    }
    # RFC 1123 with a numeric zone, in the server's zone.
    pub_date = str(item.findtext("pubDate"))
    assert parsedate_to_datetime(pub_date) == WHEN
    assert pub_date.endswith(WHEN.astimezone().strftime(" %z"))


def test_an_empty_appcast_is_a_channel_with_its_title():
    made = appcast.build("App & co", [])
    assert made == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<rss xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle" '
        b'version="2.0">\n'
        b"    <channel>\n"
        b"        <title>App &amp; co</title>\n"
        b"    </channel>\n"
        b"</rss>\n"
    )
