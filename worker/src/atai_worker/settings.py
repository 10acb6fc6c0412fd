"""The worker's settings, read once from the environment (or from a mapping in tests)."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DEFAULT_MODEL = "gpt-4o-mini"
# Where the openai SDK goes when only an API key is configured.
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Bounds on one model request, in tokens as tokens.estimate counts them.
DEFAULT_AI_MAX_INPUT_TOKENS = 32_000
DEFAULT_AI_MAX_OUTPUT_TOKENS = 16_000


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
    ai_allowed_base_urls: tuple[str, ...] = ()
    model: str = DEFAULT_MODEL
    ai_max_in_flight: int = 8
    ai_timeout: float = 60.0
    ai_max_input_tokens: int = DEFAULT_AI_MAX_INPUT_TOKENS
    ai_max_output_tokens: int = DEFAULT_AI_MAX_OUTPUT_TOKENS
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 20_000_000
    stage_budget: float = 60.0
    image_timeout: float = 10.0
    consumer_workers: int = 4
    # How long a run stays with a consumer that stopped renewing its lease (a dead one on another
    # machine; one on the same machine is seen dead at once). Renewed every fifth of it.
    lease_seconds: float = 10.0
    # How long a run keeps retrying an item that failed for a reason that will pass (a 429, a 503, a
    # time-out) before it hands the error back with a time to try again.
    item_retry_seconds: float = 120.0
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
        for host in hosts:
            try:
                allowed_host(host)
            except ValueError as exc:
                raise SettingsError(f"settings: ATAI_ALLOWED_HOSTS: {exc}") from None
        log_level = (environ.get("ATAI_LOG_LEVEL") or "INFO").strip().upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"settings: ATAI_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {log_level!r}")
        return cls(
            worker_secret=secret,
            data_dir=Path(environ.get("ATAI_DATA_DIR") or "./atai-data"),
            redis_url=_checked_redis_url(_optional(environ, "ATAI_REDIS_URL")),
            allowed_hosts=hosts,
            openai_api_key=_optional(environ, "OPENAI_API_KEY"),
            openai_base_url=_optional(environ, "OPENAI_BASE_URL"),
            ai_allowed_base_urls=tuple(
                u.strip() for u in environ.get("ATAI_AI_ALLOWED_BASE_URLS", "").split(",") if u.strip()),
            model=_optional(environ, "ATAI_MODEL") or DEFAULT_MODEL,
            ai_max_in_flight=_number(environ, "ATAI_AI_MAX_IN_FLIGHT", 8, int, minimum=1),
            ai_timeout=_number(environ, "ATAI_AI_TIMEOUT", 60.0, float, minimum=1),
            ai_max_input_tokens=_number(environ, "ATAI_AI_MAX_INPUT_TOKENS", DEFAULT_AI_MAX_INPUT_TOKENS, int,
                                        minimum=1000),
            ai_max_output_tokens=_number(environ, "ATAI_AI_MAX_OUTPUT_TOKENS", DEFAULT_AI_MAX_OUTPUT_TOKENS, int,
                                         minimum=1000),
            fetch_timeout=_number(environ, "ATAI_FETCH_TIMEOUT", 20.0, float, minimum=1),
            fetch_max_bytes=_number(environ, "ATAI_FETCH_MAX_BYTES", 20_000_000, int, minimum=1024),
            stage_budget=_number(environ, "ATAI_STAGE_BUDGET", 60.0, float, minimum=1),
            image_timeout=_number(environ, "ATAI_IMAGE_TIMEOUT", 10.0, float, minimum=0.5),
            consumer_workers=_number(environ, "ATAI_CONSUMER_WORKERS", 4, int, minimum=1),
            lease_seconds=_number(environ, "ATAI_LEASE_SECONDS", 10.0, float, minimum=2),
            item_retry_seconds=_number(environ, "ATAI_ITEM_RETRY_SECONDS", 120.0, float, minimum=0),
            log_level=log_level,
        )

    @property
    def ai_configured(self) -> bool:
        """True when the environment names an AI endpoint (a key or a base URL)."""
        return bool(self.openai_api_key or self.openai_base_url)


def _checked_redis_url(url: str | None) -> str | None:
    """The Redis URL, unless it reaches another machine with neither a password nor TLS.

    Whoever can write to the queue decides what the worker does next, so a queue on the network must
    at least ask who is writing.
    """
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise SettingsError("settings: ATAI_REDIS_URL is not a URL (redis://host:6379/0)") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"settings: ATAI_REDIS_URL must start with redis://, rediss:// or unix://, "
                            f"not {parts.scheme or 'nothing'}://")
    if parts.scheme in ("rediss", "unix") or parts.password or "password" in parse_qs(parts.query):
        return url
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SettingsError(
            f"settings: ATAI_REDIS_URL reaches {host or 'an unnamed host'}, another machine, without a password or "
            "TLS; whoever can write to that Redis would decide what the worker runs. Use rediss://, a password "
            "(redis://:password@host:6379/0, or redis://user:password@host:6379/0 for an ACL user), or a Redis on "
            "loopback.")
    return url


def allowed_host(entry: str) -> tuple[str, int | None]:
    """(host, port or None) of an ATAI_ALLOWED_HOSTS entry: "127.0.0.1", "feeds.internal:8080", "[::1]:80"."""
    entry = entry.strip().lower()
    host, port = entry, None
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{entry!r} is not a host, or a host and a port ([::1]:80 for an IPv6 address)")
        port = rest[1:] if rest else None
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"{entry!r} has an invalid port")
    host = host.rstrip(".")
    if not host or any(c in host for c in "/@?#[] "):
        raise ValueError(f"{entry!r} is not a host, or a host and a port")
    return host, int(port) if port is not None else None


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
