# Sourced by scripts/serve and scripts/test: make .venv (Python >= 3.11) and install the project
# with the pinned versions of constraints.txt, again only when pyproject.toml or the pins change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ensure_venv() {  # ensure_venv <extras, e.g. "" or "[test]">
    local extras="$1" python="${PYTHON:-python3}"
    if [ ! -x .venv/bin/python ]; then
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || { echo "faynosync needs Python >= 3.11 (set PYTHON=...)" >&2; exit 1; }
        "$python" -m venv .venv
    fi
    local stamp=".venv/.faynosync-installed$extras"
    local want
    want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
    # An install with the test extra holds everything the server needs.
    if [ "$(cat ".venv/.faynosync-installed[test]" 2>/dev/null || true)" = "$want" ]; then
        return 0
    fi
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
        echo "installing faynosync$extras into .venv ..." >&2
        .venv/bin/python -m pip install -q --disable-pip-version-check \
            -c constraints.txt -e ".$extras" 2>&1 | grep -v '^WARNING: Location' >&2 || true
        .venv/bin/python -c 'import faynosync' || { echo "install failed" >&2; exit 1; }
        echo "$want" > "$stamp"
    fi
}
