"""``squirrel_windows``: a redirect to the version's RELEASES file (the extension-less
artifact), an empty target included (Go then sends a relative Location). At API level 2.1 a
public app's RELEASES file is answered itself, rewritten by :func:`absolute_releases`
(docs/behaviour.md#squirrelwindows-releases)."""

from faynosync.updaters.answers import CheckAnswer, FeedAnswer


def answer(check: CheckAnswer) -> FeedAnswer:
    return FeedAnswer(302, location=str(check.body.get("update_url", "")))


def absolute_releases(text: str, url: str) -> str:
    """A RELEASES file whose package names become URLs beside ``url`` (the file's own link):
    a line of three or more fields whose second is not already a URL gets that field prefixed
    with ``url`` up to its last ``/``, and is joined again with single spaces; every line loses
    a trailing ``\r`` (CRLF becomes LF, a final newline stays)."""
    base = url[: url.rfind("/") + 1]
    lines = []
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        fields = line.split()
        if len(fields) >= 3 and "://" not in fields[1]:
            fields[1] = base + fields[1]
            line = " ".join(fields)
        lines.append(line)
    return "\n".join(lines)
