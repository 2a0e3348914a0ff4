"""/checkVersion throughput with telemetry on, with and without X-Device-ID: the ``telemetry``
scenario of check_version.py, which takes the same options.

    .venv/bin/python bench/telemetry.py [--duration 10] [--versions 10000] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_version import main

if __name__ == "__main__":
    main(["--only", "telemetry", *sys.argv[1:]])
