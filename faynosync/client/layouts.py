"""The output folders of the build tools ``faynosync publish`` recognises, and the files of
each that make one release: electron-builder, Tauri, Squirrel.Windows and Velopack.

A detector reads the folder only (no server): what it found, the files to upload (in one
request or, for Tauri's per-file signatures, several), what it left out and why, and what is
missing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faynosync.client.release import extension


@dataclass(frozen=True)
class Step:
    """The files of one upload request (with the signature Tauri stores on them)."""

    files: list[Path]
    signature: str = ""


@dataclass
class Detected:
    tool: str
    updater: str
    version: str = ""
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _unquoted(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


_YML_KEY = re.compile(r"^\s*(?:-\s+)?(url|path|version):\s*(.+?)\s*$")


def read_latest_yml(path: Path) -> tuple[str, list[str]]:
    """The version and the file names (``files[].url``, ``path``) of electron-builder's
    ``latest*.yml`` (a flat YAML file: read line by line, no YAML library needed)."""
    version, names = "", []
    for line in path.read_text(errors="replace").splitlines():
        match = _YML_KEY.match(line)
        if match is None:
            continue
        key, value = match.group(1), _unquoted(match.group(2))
        if key == "version":
            version = version or value
        elif value not in names:
            names.append(value)
    return version, names


def _duplicate_extensions(files: list[Path]) -> list[str]:
    """The server keeps one file per extension for a version's platform and arch."""
    seen: dict[str, Path] = {}
    problems = []
    for path in files:
        ext = extension(path.name)
        if ext in seen:
            problems.append(
                f"{seen[ext].name} and {path.name} share the extension {ext or '(none)'!r}: "
                "a version holds one file per extension for a platform and arch"
            )
        seen[ext] = path
    return problems


def electron_builder(folder: Path) -> Detected | None:
    ymls = sorted(folder.glob("latest*.yml"))
    if not ymls:
        return None
    found = Detected("electron-builder", "electron-builder")
    if len(ymls) > 1:
        names = ", ".join(p.name for p in ymls)
        found.problems.append(f"several update files ({names}): publish one platform at a time")
        return found
    found.version, named = read_latest_yml(ymls[0])
    files, blockmaps = [ymls[0]], []
    for name in named:
        path = folder / name
        if not path.is_file():
            found.problems.append(f"missing: {name} (named by {ymls[0].name})")
            continue
        files.append(path)
        blockmap = folder / f"{name}.blockmap"
        if blockmap.is_file():
            blockmaps.append(blockmap)
    if not found.version:
        found.problems.append(f"{ymls[0].name} names no version")
    if blockmaps:
        # One .blockmap per platform and arch: the update's own (a zip's on macOS) is kept.
        kept = next((b for b in blockmaps if b.name.endswith(".zip.blockmap")), blockmaps[0])
        files.append(kept)
        found.notes += [
            f"left out {b.name}: one .blockmap per platform and arch, {kept.name} kept"
            for b in blockmaps
            if b != kept
        ]
    found.steps.append(Step(files))
    found.problems += _duplicate_extensions(files)
    return found


_TAURI_VERSION = re.compile(r"_(\d+(?:\.\d+)+)_")


def tauri(folder: Path) -> Detected | None:
    signatures = sorted(p for p in folder.rglob("*.sig") if p.is_file())
    if not signatures:
        return None
    found = Detected("Tauri", "tauri")
    versions = set()
    for sig in signatures:
        bundle = sig.with_name(sig.name[: -len(".sig")])
        if not bundle.is_file():
            found.problems.append(f"missing: {bundle.relative_to(folder)} (signed by {sig.name})")
            continue
        signature = sig.read_text(errors="replace").strip()
        if not signature:
            found.problems.append(f"{sig.relative_to(folder)} is empty")
            continue
        found.steps.append(Step([bundle], signature))
        versions.update(_TAURI_VERSION.findall(bundle.name))
    if len(versions) == 1:
        found.version = versions.pop()
    found.problems += _duplicate_extensions([p for step in found.steps for p in step.files])
    return found


_NUPKG = re.compile(r"^(?P<id>.+?)-(?P<version>\d[0-9A-Za-z.+-]*?)-(?P<kind>full|delta)\.nupkg$")


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.+-]", version))


def _installers(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    """One installer per extension among those present (Setup.exe, .msi, ...)."""
    chosen: dict[str, Path] = {}
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            chosen.setdefault(extension(path.name), path)
    return list(chosen.values())


def squirrel_windows(folder: Path) -> Detected | None:
    releases = folder / "RELEASES"
    if not releases.is_file():
        return None
    found = Detected("Squirrel.Windows", "squirrel_windows")
    fulls = []
    for line in releases.read_text(errors="replace").splitlines():
        words = line.split()
        if len(words) >= 2 and (match := _NUPKG.match(words[1])):
            if match["kind"] == "full":
                fulls.append((_version_key(match["version"]), match["version"], words[1]))
            else:
                found.notes.append(f"left out {words[1]}: delta packages are optional")
    if not fulls:
        found.problems.append("RELEASES names no full package (*-full.nupkg)")
        return found
    _, found.version, name = max(fulls)
    package = folder / name
    if not package.is_file():
        found.problems.append(f"missing: {name} (named by RELEASES)")
        return found
    found.steps.append(Step([releases, package, *_installers(folder, ("*Setup.exe", "*.msi"))]))
    return found


def velopack(folder: Path) -> Detected | None:
    feeds = sorted(folder.glob("releases.*.json"))
    if not feeds:
        return None
    found = Detected("Velopack", "velopack")
    if len(feeds) > 1:
        names = ", ".join(p.name for p in feeds)
        found.problems.append(f"several feeds ({names}): publish one channel at a time")
        return found
    try:
        assets = json.loads(feeds[0].read_text())["Assets"]
        packages = [(str(a["Version"]), str(a["Type"]), str(a["FileName"])) for a in assets]
    except (ValueError, KeyError, TypeError):
        found.problems.append(f"{feeds[0].name} is not a Velopack feed (no Assets list)")
        return found
    fulls = [(_version_key(v), v, name) for v, kind, name in packages if kind == "Full"]
    if not fulls:
        found.problems.append(f"{feeds[0].name} names no Full package")
        return found
    _, found.version, name = max(fulls)
    if not (folder / name).is_file():
        found.problems.append(f"missing: {name} (named by {feeds[0].name})")
        return found
    # The release's delta goes with it (clients with the previous version download less); the
    # server takes several .nupkg of one release for Velopack.
    deltas = []
    for v, kind, n in packages:
        if kind != "Delta" or v != found.version:
            continue
        if (folder / n).is_file():
            deltas.append(folder / n)
        else:
            found.notes.append(f"left out {n}: not in the folder (delta packages are optional)")
    installers = _installers(folder, ("*Setup.exe", "*Setup.pkg", "*-Portable.zip"))
    found.steps.append(Step([feeds[0], folder / name, *deltas, *installers]))
    return found


# Most specific first: Velopack's output also holds a RELEASES file.
DETECTORS: tuple[Callable[[Path], Detected | None], ...] = (
    velopack,
    electron_builder,
    squirrel_windows,
    tauri,
)
EXPECTED = (
    "electron-builder's latest*.yml, Tauri's signed bundles (*.sig), Squirrel.Windows' "
    "RELEASES, or Velopack's releases.{channel}.json"
)


def detect(folder: Path) -> Detected | None:
    """What the first tool that recognises ``folder`` makes of it; None if none does."""
    for detector in DETECTORS:
        found = detector(folder)
        if found is not None:
            return found
    return None
