"""/checkVersion throughput with telemetry: an X-Device-ID on every request (10,000 distinct
devices) against the same load without it, same server, same run.

    .venv/bin/python bench/telemetry.py [--duration 10] [--versions 10000]

Needs wrk. Target (DESIGN.md): >= 0.8x. Measured with the response cache off and on; after a
warm-up in which the 10,000 devices are first seen (and written), runs with and without the
header alternate ``--rounds`` times and the medians are compared (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_version import CHECK, ROOT, Server, seed, wrk

DEVICES_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  wrk.headers["X-Device-ID"] = "device-" .. (counter % 10000)
  return wrk.format(nil)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="faynosync-bench-", dir=ROOT))
    script = work / "devices.lua"
    script.write_text(DEVICES_SCRIPT)
    results = {}
    try:
        data = work / "data"
        asyncio.run(seed(data, args.versions))
        url = CHECK.format(version="1.0.1")
        for cache in (False, True):
            server = Server(data, cache=cache, telemetry=True)
            try:
                server.get(url)
                wrk(server.base + url, connections=50, duration=3, script=script)  # warm-up
                plain, tracked = [], []
                for _ in range(args.rounds):
                    plain.append(wrk(server.base + url, connections=50, duration=args.duration)[0])
                    tracked.append(
                        wrk(
                            server.base + url, connections=50, duration=args.duration, script=script
                        )[0]
                    )
                report = server.get_authorized("/telemetry?apps=benchapp")
                results[cache] = (median(plain), median(tracked), report["summary"])
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"{args.versions} versions, wrk -t1 -c50 -d{args.duration}s, ENABLE_TELEMETRY=true, "
        f"medians of {args.rounds} alternating runs"
    )
    for cache, (plain, tracked, summary) in results.items():
        label = "on " if cache else "off"
        print(
            f"cache {label}: without X-Device-ID {plain:8.0f} req/s, with {tracked:8.0f} req/s, "
            f"ratio {tracked / plain:.2f}x (target >= 0.8x); recorded {summary}"
        )


if __name__ == "__main__":
    main()
