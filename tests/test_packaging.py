"""What can be checked here of the packaging: no Docker engine runs on these machines.

The compose file is validated against the Compose Specification's JSON schema (and by Debian's
docker-compose when it is installed); the Dockerfile is read for what the deployment promises.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from faynosync.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_compose_file_follows_the_compose_specification():
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    jsonschema.validate(compose(), json.loads(schema_file.read_text()))


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_parses_it():
    result = subprocess.run(
        ["docker-compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_compose_api_is_configured_with_faynosyncs_variables():
    services = compose()["services"]
    assert {"api", "mongodb", "s3", "buckets"} <= set(services)
    environment = services["api"]["environment"]
    assert set(environment) <= set(Settings.model_fields)
    assert environment["STORAGE_DRIVER"] == "minio"
    assert environment["MONGODB_URL"].split("?")[0].endswith("/cb_faynosync_db")
    buckets = " ".join(services["buckets"]["entrypoint"])
    for bucket in (environment["S3_BUCKET_NAME"], environment["S3_BUCKET_NAME_PRIVATE"]):
        assert f"local/{bucket}" in buckets
    assert f"anonymous set download local/{environment['S3_BUCKET_NAME']}" in buckets


def test_the_dashboard_is_an_optional_service_pointed_at_the_api():
    services = compose()["services"]
    dashboard = services["dashboard"]
    assert dashboard["profiles"] == ["dashboard"]
    # Only the dashboard is optional: a plain `docker compose up` starts what it did.
    assert [name for name, s in services.items() if "profiles" in s] == ["dashboard"]
    image, _, tag = dashboard["image"].partition(":")
    assert image == "ku9nov/faynosync-dashboard" and tag
    api = services["api"]["environment"]
    environment = dashboard["environment"]
    assert environment["VITE_API_URL"] == api["API_URL"]
    origin = f"http://localhost:{environment['VITE_PORT']}"
    assert origin in api["ALLOWED_CORS"].split(",")
    assert f"{environment['VITE_PORT']}:3000" in dashboard["ports"]
    assert dashboard["depends_on"] == ["api"]
    published = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
    assert len(published) == len(set(published)), "two services publish one port"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_reads_the_dashboard_profile():
    result = subprocess.run(
        ["docker-compose", "--profile", "dashboard", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "FAYNOSYNC_DASHBOARD_TAG"},
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]["dashboard"]
    assert resolved["profiles"] == ["dashboard"]
    assert resolved["image"] == "ku9nov/faynosync-dashboard:latest"  # the tag's default


def test_the_image_runs_as_a_user_with_a_healthcheck_and_no_compilers():
    text = (ROOT / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM ") :]
    assert "USER faynosync" in final
    assert "HEALTHCHECK" in final and "/health" in final
    assert 'CMD ["faynosync", "serve"]' in final
    assert "FAYNOSYNC_DATA_DIR=/data" in final
    for tool in ("gcc", "build-essential", "apt-get install"):
        assert tool not in final
