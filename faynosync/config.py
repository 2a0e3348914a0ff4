"""Settings: FaynoSync's environment variables (same names, same defaults) and our own.

Values come from the process environment, then from a ``.env`` file in the working directory.
Booleans are read as Go's ``strconv.ParseBool`` leniently does in FaynoSync: ``1, t, T, TRUE,
true, True`` are true, anything else (empty or invalid included) is false.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from faynosync.core.gostrconv import parse_bool
from faynosync.levels import LEVELS, ApiLevel


def go_bool(value: Any) -> bool:
    """FaynoSync's lenient boolean: true only for Go's true spellings."""
    if isinstance(value, bool):
        return value
    return parse_bool(str(value)) is True


def _port(value: Any) -> int:
    text = str(value).strip() if value is not None else ""
    return int(text) if text else 9000


GoBool = Annotated[bool, BeforeValidator(go_bool)]


def _positive_or(default: int) -> BeforeValidator:
    """A count read as FaynoSync reads its REPORTS_* limits: not a positive integer, the
    default."""

    def read(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            return default
        return number if number > 0 else default

    return BeforeValidator(read)


S3_DRIVERS = frozenset({"aws", "minio", "digitalocean"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", case_sensitive=True, extra="ignore"
    )

    # FaynoSync's variables (docs/behaviour.md#configuration).
    PORT: Annotated[int, BeforeValidator(_port)] = 9000
    MONGODB_URL: str = ""
    API_URL: str = ""
    API_KEY: str = ""
    JWT_SECRET: str = ""
    ALLOWED_CORS: str = ""
    ENABLE_PRIVATE_APP_DOWNLOADING: str = ""
    ENABLE_TELEMETRY: GoBool = False
    PERFORMANCE_MODE: GoBool = False
    REDIS_HOST: str = ""
    REDIS_PORT: str = ""
    REDIS_PASSWORD: str = ""
    REDIS_DB: str = "0"
    STORAGE_DRIVER: str = ""
    S3_ACCESS_KEY: str = ""
    S3_SECRET_KEY: str = ""
    S3_REGION: str = ""
    S3_ENDPOINT: str = ""
    S3_BUCKET_NAME: str = ""
    S3_BUCKET_NAME_PRIVATE: str = ""
    MINIO_SECURE: GoBool = False
    SLACK_ENABLE: GoBool = False
    SLACK_BOT_TOKEN: str = ""
    SLACK_CHANNEL: str = ""

    # Later FaynoSync releases' S3 switches, which we read too.
    S3_API_ENDPOINT: str = ""
    S3_FORCE_PATH_STYLE: GoBool = False
    S3_DISABLE_OBJECT_ACL: GoBool = False

    # FaynoSync v2.1's crash and event reports (docs/behaviour.md#crash-and-event-reports).
    REPORTS_ENABLED: GoBool = False
    REPORTS_MAX_BODY_BYTES: Annotated[int, _positive_or(262_144)] = 262_144
    REPORTS_MAX_DETAILS_COMPRESSED_BYTES: Annotated[int, _positive_or(131_072)] = 131_072
    REPORTS_MAX_DETAILS_DECOMPRESSED_BYTES: Annotated[int, _positive_or(1_048_576)] = 1_048_576
    REPORTS_BLOB_RETENTION_DAYS: Annotated[int, _positive_or(30)] = 30
    REPORTS_MAX_BLOBS_PER_GROUP: Annotated[int, _positive_or(10)] = 10
    REPORTS_STORAGE_PREFIX: str = "reports"
    REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE: Annotated[int, _positive_or(100)] = 100

    # botocore's checksum switches; "when_required" keeps MinIO, Garage and R2 working.
    AWS_REQUEST_CHECKSUM_CALCULATION: str = "when_required"
    AWS_RESPONSE_CHECKSUM_VALIDATION: str = "when_required"

    # Ours.
    SLACK_API_URL: str = "https://slack.com/api"
    FAYNOSYNC_CACHE_TTL: float = 10.0
    FAYNOSYNC_CHECK_CACHE_CONTROL: str = "no-cache"
    FAYNOSYNC_TELEMETRY_FLUSH: float = 5.0
    FAYNOSYNC_TELEMETRY_MAX_DEVICES: PositiveInt = 20_000
    FAYNOSYNC_DATA_DIR: Path = Path("data")
    FAYNOSYNC_LOG_LEVEL: str = "info"
    FAYNOSYNC_ACCESS_LOG: GoBool = True
    # Which FaynoSync version the answers follow: "1.4.6" or "2.1" (faynosync.levels).
    FAYNOSYNC_API_LEVEL: Literal["1.4.6", "2.1"] = "1.4.6"
    # A device (X-Device-ID) outside a version's staged rollout is not offered it; false:
    # v2.1's advisory rollouts, every device is (docs/behaviour.md#staged-rollouts).
    FAYNOSYNC_ROLLOUT_ENFORCE: GoBool = True
    # Reports: our limits beside FaynoSync's (per client address, per tenant), and where the
    # counters live: "process" (one process serves), "store" (the database: several
    # processes or replicas), "auto" (the store with MongoDB or --workers above 1).
    FAYNOSYNC_REPORTS_PER_IP_PER_MINUTE: Annotated[int, _positive_or(300)] = 300
    FAYNOSYNC_REPORTS_PER_TENANT_PER_HOUR: Annotated[int, _positive_or(20_000)] = 20_000
    FAYNOSYNC_REPORTS_LIMITS: Literal["auto", "process", "store"] = "auto"
    # How many processes `faynosync serve --workers` started (set by it for each of them).
    FAYNOSYNC_WORKERS: PositiveInt = 1
    # Objects younger than this (seconds) may be uploads in flight: fsck never removes them.
    FAYNOSYNC_ORPHAN_GRACE: float = 3600.0
    # Seconds after start when the consistency report runs in the background; negative: never.
    FAYNOSYNC_START_CHECK_DELAY: float = 10.0

    @property
    def private_downloads_public(self) -> bool:
        """``/download`` needs no token (ENABLE_PRIVATE_APP_DOWNLOADING is truthy)."""
        return go_bool(self.ENABLE_PRIVATE_APP_DOWNLOADING)

    @property
    def private_downloads_redirect(self) -> bool:
        """``/download`` answers 302: only when the raw value is exactly ``true``."""
        return self.ENABLE_PRIVATE_APP_DOWNLOADING == "true"

    @property
    def uses_mongo(self) -> bool:
        return bool(self.MONGODB_URL)

    @property
    def uses_s3(self) -> bool:
        """Any STORAGE_DRIVER selects S3 (an unsupported one fails every storage call)."""
        return bool(self.STORAGE_DRIVER)

    @property
    def reports_prefix(self) -> str:
        return self.REPORTS_STORAGE_PREFIX.strip().strip("/") or "reports"

    @property
    def shared_report_limits(self) -> bool:
        """The rate limits of reports count in the database, seen by every process."""
        if self.FAYNOSYNC_REPORTS_LIMITS == "auto":
            return self.uses_mongo or self.FAYNOSYNC_WORKERS > 1
        return self.FAYNOSYNC_REPORTS_LIMITS == "store"

    @property
    def api_level(self) -> ApiLevel:
        return LEVELS[self.FAYNOSYNC_API_LEVEL]

    @property
    def cors_origins(self) -> list[str]:
        # No trimming: an empty ALLOWED_CORS is the one entry "".
        return self.ALLOWED_CORS.split(",")

    @property
    def base_url(self) -> str:
        """Where this server is reached from outside: API_URL, else localhost on PORT."""
        return self.API_URL or f"http://localhost:{self.PORT}"
