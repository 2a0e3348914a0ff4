"""Build output folders laid out as each tool writes them (small files, same names)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.client.conftest import write


def electron_builder_windows(folder: Path, version: str = "1.2.3") -> Path:
    installer = f"Demo-Setup-{version}.exe"
    (folder / "win-unpacked").mkdir(parents=True)
    write(folder / "win-unpacked" / "Demo.exe", 3000)
    write(folder / installer, 20_000)
    write(folder / f"{installer}.blockmap", 300, seed=3)
    (folder / "builder-debug.yml").write_text("x64:\n  firstOrDefaultFilePatterns: []\n")
    (folder / "latest.yml").write_text(
        f"version: {version}\n"
        "files:\n"
        f"  - url: {installer}\n"
        "    sha512: c2hhNTEy\n"
        "    size: 20000\n"
        f"path: {installer}\n"
        "sha512: c2hhNTEy\n"
        "releaseDate: '2026-01-02T03:04:05.000Z'\n"
    )
    return folder


def electron_builder_mac(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, seed in (("Demo-1.2.3-arm64-mac.zip", 1), ("Demo-1.2.3-arm64.dmg", 2)):
        write(folder / name, 10_000, seed)
        write(folder / f"{name}.blockmap", 200, seed)
    (folder / "latest-mac.yml").write_text(
        "version: 1.2.3\n"
        "files:\n"
        "  - url: Demo-1.2.3-arm64-mac.zip\n"
        "    sha512: eg==\n"
        "    size: 10000\n"
        "  - url: Demo-1.2.3-arm64.dmg\n"
        "    sha512: eg==\n"
        "    size: 10000\n"
        "path: Demo-1.2.3-arm64-mac.zip\n"
        "sha512: eg==\n"
        "releaseDate: '2026-01-02T03:04:05.000Z'\n"
    )
    return folder


def tauri_windows(folder: Path) -> Path:
    """``target/release/bundle`` of Tauri 2 with updater artifacts signed."""
    nsis, msi = folder / "nsis", folder / "msi"
    write(nsis / "Demo_2.0.0_x64-setup.exe", 15_000)
    (nsis / "Demo_2.0.0_x64-setup.exe.sig").write_text("dW50cnVzdGVkIGNvbW1lbnQ6IG5zaXM=\n")
    write(msi / "Demo_2.0.0_x64_en-US.msi", 12_000, seed=5)
    (msi / "Demo_2.0.0_x64_en-US.msi.sig").write_text("dW50cnVzdGVkIGNvbW1lbnQ6IG1zaQ==\n")
    return folder


def squirrel_windows(folder: Path) -> Path:
    """Squirrel.Windows' ``Releases`` folder after a second release."""
    folder.mkdir(parents=True)
    packages = {
        "Demo-1.2.3-full.nupkg": 9000,
        "Demo-1.2.4-delta.nupkg": 1500,
        "Demo-1.2.4-full.nupkg": 9100,
    }
    lines = []
    for seed, (name, size) in enumerate(packages.items()):
        write(folder / name, size, seed)
        lines.append(f"{seed:040X} {name} {size}")
    (folder / "RELEASES").write_text("\n".join(lines) + "\n")
    write(folder / "Setup.exe", 8000, seed=9)
    write(folder / "Setup.msi", 7000, seed=8)
    return folder


def velopack_windows(folder: Path) -> Path:
    """``vpk pack``'s ``Releases`` folder (channel ``win``)."""
    folder.mkdir(parents=True)
    assets = []
    for kind, name, size in (
        ("Full", "Demo-3.0.0-full.nupkg", 9000),
        ("Delta", "Demo-3.0.0-delta.nupkg", 1000),
    ):
        write(folder / name, size)
        assets.append(
            {
                "PackageId": "Demo",
                "Version": "3.0.0",
                "Type": kind,
                "FileName": name,
                "SHA1": "a" * 40,
                "SHA256": "b" * 64,
                "Size": size,
            }
        )
    (folder / "releases.win.json").write_text(json.dumps({"Assets": assets}))
    (folder / "assets.win.json").write_text("[]")
    (folder / "RELEASES").write_text(f"{'A' * 40} Demo-3.0.0-full.nupkg 9000\n")
    write(folder / "Demo-win-Setup.exe", 6000, seed=4)
    write(folder / "Demo-win-Portable.zip", 5000, seed=6)
    return folder
