"""The command line, end to end: `faynosync serve` under uvicorn and `faynosync migrate`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.services import free_port, wait_for_http


def run_env(tmp_path: Path, mongodb_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAYNOSYNC_", "MONGODB"))}
    env["FAYNOSYNC_DATA_DIR"] = str(tmp_path / "data")
    if mongodb_url:
        env["MONGODB_URL"] = mongodb_url
    return env


def faynosync(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faynosync", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_migrate(tmp_path, mongodb_url, backend):
    for _ in range(2):
        result = faynosync(tmp_path, run_env(tmp_path, mongodb_url), "migrate")
        assert result.returncode == 0, result.stderr
        name = "MongoDB" if backend == "mongo" else "SQLite"
        assert result.stdout.strip() == f"faynosync: schema up to date ({name})"
    if backend == "sqlite":
        assert (tmp_path / "data" / "faynosync.sqlite3").exists()


def test_migrate_reports_a_bad_database_url(tmp_path):
    env = run_env(tmp_path, "mongodb://127.0.0.1:1/?directConnection=true")
    result = faynosync(tmp_path, env, "migrate")
    assert result.returncode == 1
    assert "must name the database" in result.stderr


def test_the_readme_quickstart_against_a_running_server(tmp_path, mongodb_url):
    """What a new user does: serve with nothing configured, sign up, log in, ask who they are."""
    port = free_port()
    env = run_env(tmp_path, mongodb_url)
    env["PORT"] = str(port)
    server = subprocess.Popen(
        [sys.executable, "-m", "faynosync", "serve", "--host", "127.0.0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", server)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            response = http.post(
                "/signup", json={"username": "admin", "password": "change-me", "api_key": ""}
            )
            assert response.text == '{"result":"Successfully created admin user."}'
            response = http.post("/login", json={"username": "admin", "password": "change-me"})
            token = response.json()["token"]
            response = http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
            assert response.json()["username"] == "admin"
            assert "server" not in response.headers
    finally:
        server.terminate()
        output = server.communicate(timeout=15)[0].decode()
    # With no JWT_SECRET a secret is generated and kept, and the operator is told.
    assert "JWT_SECRET is empty" in output
    assert (tmp_path / "data" / "secret.key").exists()


def test_serve_help(tmp_path):
    result = faynosync(tmp_path, run_env(tmp_path, ""), "serve", "--help")
    assert result.returncode == 0
    assert "--port" in result.stdout and "--host" in result.stdout


def test_an_invalid_log_level_is_refused(tmp_path):
    env = run_env(tmp_path, "")
    env["FAYNOSYNC_LOG_LEVEL"] = "loud"
    result = faynosync(tmp_path, env, "migrate")
    assert result.returncode == 1
    assert "invalid log level" in result.stderr
