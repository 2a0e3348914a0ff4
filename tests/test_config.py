"""Settings: FaynoSync's names and defaults, `.env` in the working directory, Go's booleans."""

from __future__ import annotations

import contextlib
import io

import pytest

from faynosync.config import Settings, go_bool
from faynosync.storage import StorageError, open_storage
from tests.support.api import make_settings


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_true_spellings(text):
    assert go_bool(text)


@pytest.mark.parametrize("text", ["", "0", "false", "yes", "on", "tRUE", " true", "2"])
def test_everything_else_is_false(text):
    assert not go_bool(text)


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.PORT == 9000
    assert not settings.uses_mongo and not settings.uses_s3
    assert not settings.PERFORMANCE_MODE and not settings.ENABLE_TELEMETRY
    assert settings.cors_origins == [""]
    assert settings.base_url == "http://localhost:9000"
    assert str(settings.FAYNOSYNC_DATA_DIR) == "data"


def test_dotenv_in_the_working_directory_and_environment_precedence(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text(
        'PORT=9100\nAPI_KEY="from-dotenv"\nPERFORMANCE_MODE=T\nMINIO_SECURE=yes\n'
        "ALLOWED_CORS=https://a.example,https://b.example\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("API_KEY", "from-env")
    settings = Settings()
    assert settings.PORT == 9100
    assert settings.API_KEY == "from-env"
    assert settings.PERFORMANCE_MODE is True
    assert settings.MINIO_SECURE is False
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_an_empty_port_means_9000(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", "")
    assert Settings().PORT == 9000


@pytest.mark.parametrize(
    ("raw", "public", "redirect"),
    [("true", True, True), ("True", True, False), ("1", True, False), ("", False, False)],
)
def test_private_download_modes(raw, public, redirect):
    settings = make_settings(ENABLE_PRIVATE_APP_DOWNLOADING=raw)
    assert (settings.private_downloads_public, settings.private_downloads_redirect) == (
        public,
        redirect,
    )


async def test_an_unknown_storage_driver_starts_but_fails_every_storage_call(tmp_path):
    settings = make_settings(STORAGE_DRIVER="gcp", FAYNOSYNC_DATA_DIR=tmp_path)
    async with contextlib.AsyncExitStack() as stack:
        storage = await open_storage(settings, stack, signing_key=b"k")
        with pytest.raises(StorageError, match="unknown storage driver: gcp"):
            await storage.put("a", io.BytesIO(b"x"), private=False)
        with pytest.raises(StorageError):
            await storage.presign("a")
        with pytest.raises(StorageError):
            await storage.delete("a", private=True)
        with pytest.raises(StorageError):
            async for _ in storage.get("a", private=True):
                pass
