"""Comments that give a rule's source point at a page of the repository, and the page is there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"docs/([\w/.-]+\.md)(?:#([\w-]+))?")
# Sections of a document that is not in the repository: "spec 6.2", "section 5.3", "§0.3", "Q11".
OUTSIDE = re.compile(r"\bspec(?: sections?)? \d|\bsections? \d+\.\d|§\s*\d|\(Q\d+\)", re.IGNORECASE)


def sources() -> list[Path]:
    return sorted((ROOT / "faynosync").rglob("*.py"))


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a Markdown page's headings."""
    found = set()
    for line in page.read_text().splitlines():
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(text.replace(" ", "-"))
    return found


def test_every_cited_page_and_heading_exists():
    cited = 0
    for source in sources():
        for number, line in enumerate(source.read_text().splitlines(), start=1):
            for page_name, anchor in CITATION.findall(line):
                where = f"{source.relative_to(ROOT)}:{number}"
                page = ROOT / "docs" / page_name
                assert page.is_file(), f"{where} cites docs/{page_name}, which does not exist"
                if anchor:
                    assert anchor in anchors(page), f"{where}: no heading #{anchor} in {page_name}"
                cited += 1
    assert cited > 0


def test_no_comment_cites_a_document_outside_the_repository():
    for source in sources():
        for number, line in enumerate(source.read_text().splitlines(), start=1):
            assert not OUTSIDE.search(line), (
                f"{source.relative_to(ROOT)}:{number} cites a section outside the repository; "
                f"point at docs/behaviour.md#<heading> instead: {line.strip()}"
            )


def test_every_link_between_pages_reaches_its_heading():
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md"]
    pages += sorted((ROOT / "docs").rglob("*.md"))
    for page in pages:
        if not page.is_file():
            continue
        for target, anchor in re.findall(r"\]\(([\w/.-]*\.md)?(?:#([\w-]+))?\)", page.read_text()):
            linked = (page.parent / target) if target else page
            where = f"{page.relative_to(ROOT)} -> {target}#{anchor}"
            assert linked.is_file(), f"{where}: no such page"
            if anchor:
                assert anchor in anchors(linked), f"{where}: no such heading"


def test_the_anchors_follow_githubs_rule(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# How it works\n\n## Routing and CORS\n\n### `GET /download`: links\n")
    assert anchors(page) == {"how-it-works", "routing-and-cors", "get-download-links"}
