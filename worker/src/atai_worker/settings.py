"""The worker's settings, read once from the environment (or from a mapping in tests)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = "gpt-4o-mini"
# Where the openai SDK goes when only an API key is configured.
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"


class SettingsError(Exception):
    """A setting is missing or malformed; the process refuses to start."""


@dataclass(frozen=True)
class Settings:
    """Every environment variable the worker reads, with its documented default."""

    # repr=False: settings get logged and printed; the secrets must not be.
    worker_secret: str = field(repr=False)
    data_dir: Path = Path("./atai-data")
    redis_url: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    model: str = DEFAULT_MODEL
    ai_max_in_flight: int = 8
    ai_timeout: float = 60.0
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 20_000_000
    consumer_workers: int = 4
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Build settings from environment variables; pass any mapping to test with other values."""
        secret = (environ.get("ATAI_WORKER_SECRET") or "").strip()
        if not secret:
            raise SettingsError(
                "settings: ATAI_WORKER_SECRET is not set. The worker refuses to start without the shared "
                "secret; set it to the same value as the plugin's 'Worker secret' setting."
            )
        hosts = tuple(h.strip().lower() for h in environ.get("ATAI_ALLOWED_HOSTS", "").split(",") if h.strip())
        log_level = (environ.get("ATAI_LOG_LEVEL") or "INFO").strip().upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"settings: ATAI_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {log_level!r}")
        return cls(
            worker_secret=secret,
            data_dir=Path(environ.get("ATAI_DATA_DIR") or "./atai-data"),
            redis_url=_optional(environ, "ATAI_REDIS_URL"),
            allowed_hosts=hosts,
            openai_api_key=_optional(environ, "OPENAI_API_KEY"),
            openai_base_url=_optional(environ, "OPENAI_BASE_URL"),
            model=_optional(environ, "ATAI_MODEL") or DEFAULT_MODEL,
            ai_max_in_flight=_number(environ, "ATAI_AI_MAX_IN_FLIGHT", 8, int, minimum=1),
            ai_timeout=_number(environ, "ATAI_AI_TIMEOUT", 60.0, float, minimum=1),
            fetch_timeout=_number(environ, "ATAI_FETCH_TIMEOUT", 20.0, float, minimum=1),
            fetch_max_bytes=_number(environ, "ATAI_FETCH_MAX_BYTES", 20_000_000, int, minimum=1024),
            consumer_workers=_number(environ, "ATAI_CONSUMER_WORKERS", 4, int, minimum=1),
            log_level=log_level,
        )

    @property
    def ai_configured(self) -> bool:
        """True when the environment names an AI endpoint (a key or a base URL)."""
        return bool(self.openai_api_key or self.openai_base_url)


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    value = (environ.get(name) or "").strip()
    return value or None


def _number(environ: Mapping[str, str], name: str, default, kind, *, minimum):
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"settings: {name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"settings: {name} must be at least {minimum}, not {raw}")
    return value


def configure_logging(level: str) -> None:
    """Log to stderr with one format for the API and the consumer."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(level)
    # httpx logs every request URL at INFO (the openai SDK's copy of it is httpx2); the stages log
    # what matters with fixed keys.
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2", "openai"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
