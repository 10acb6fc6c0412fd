"""Sites as tenants: who may use the worker, with which secret, where its callbacks may go, and its share.

A site sends `Authorization: Bearer <site id>:<secret>`, the token `atai-worker sites add` prints; the plugin
sends its "Worker secret" setting as it is, so the token goes there and the plugin needs no other setting.
The worker keeps only a SHA-256 hash of each secret (they are long random strings, so a fast hash is
enough). The single secret of a one-site worker, ATAI_WORKER_SECRET, stays valid as the site "default":
the operator's own, with no callback restriction and the default share.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from .fleet import FleetState
from .sealed import CALLBACK_SECRET_FIELD, unseal_text
from .store import DEFAULT_SITE, RunRecord

SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# Old secrets stay valid this long after a rotation, so the site can be given the new one without downtime.
DEFAULT_GRACE_SECONDS = 24 * 3600


class SiteError(Exception):
    """A site command or setting cannot be carried out; the message says why in words."""


def hash_secret(secret: str) -> str:
    """What the registry stores of a secret."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class SiteSecret:
    """One stored secret hash; `expires_at` (unix seconds) is set once it has been rotated out."""

    hash: str = field(repr=False)
    expires_at: float | None = None

    def valid(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True)
class Site:
    """A registered site: its secrets, where its callbacks may go, and its share of the worker."""

    id: str
    secrets: tuple[SiteSecret, ...] = ()
    callback_url_pattern: str | None = None
    weight: float = 1.0
    max_in_flight: int | None = None
    rate_per_minute: int | None = None
    created_at: float = 0.0

    def to_record(self) -> dict:
        """The record the fleet state stores."""
        return {"id": self.id, "secrets": [{"hash": s.hash, "expires_at": s.expires_at} for s in self.secrets],
                "callback_url_pattern": self.callback_url_pattern, "weight": self.weight,
                "max_in_flight": self.max_in_flight, "rate_per_minute": self.rate_per_minute,
                "created_at": self.created_at}

    @classmethod
    def from_record(cls, record: dict) -> "Site":
        stored = tuple(SiteSecret(s["hash"], s.get("expires_at")) for s in record["secrets"])
        return cls(id=record["id"], secrets=stored,
                   callback_url_pattern=record.get("callback_url_pattern"), weight=float(record.get("weight") or 1),
                   max_in_flight=record.get("max_in_flight"), rate_per_minute=record.get("rate_per_minute"),
                   created_at=record.get("created_at") or 0.0)

    def accepts(self, secret: str, now: float) -> bool:
        """True when the secret is one of the site's valid ones (compared in constant time)."""
        digest = hash_secret(secret)
        matched = False
        for stored in self.secrets:
            matched |= hmac.compare_digest(stored.hash, digest) and stored.valid(now)
        return matched

    def allows_callback(self, url: str) -> bool:
        """True when callbacks may be sent to the URL: it matches the site's pattern (any URL without one)."""
        return self.callback_url_pattern is None or callback_matches(self.callback_url_pattern, url)


def callback_for(record: RunRecord, site: Site | None, worker_secret: str) -> tuple[str, str] | None:
    """(URL, secret) of a run's callback: to the URL the run asked for if the site's pattern allows it (it was
    checked when the run was created; the pattern may have changed since), signed with the site's own token
    (ATAI_WORKER_SECRET for the default site, else the one the run was created with, kept sealed in its
    request). None when there is none to send."""
    request = record.request or {}
    url = request.get("callback_url")
    if not url or site is None or not site.allows_callback(url):
        return None
    secret = (worker_secret if site.id == DEFAULT_SITE
              else unseal_text(request.get(CALLBACK_SECRET_FIELD), worker_secret))
    return (url, secret) if secret else None


def default_site() -> Site:
    """The site ATAI_WORKER_SECRET opens."""
    return Site(id=DEFAULT_SITE)


def _pattern_parts(pattern: str) -> tuple[str, str, str | None, str]:
    """(scheme, host, port or "*" or None, path) of a callback URL pattern; SiteError when it is not one."""
    parts = urlsplit(pattern.strip())
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    host, port = netloc, None
    if netloc.rfind(":") > netloc.rfind("]"):
        host, _, port = netloc.rpartition(":")
    if scheme not in ("http", "https") or not host or "@" in netloc or parts.query or parts.fragment \
            or (port is not None and port != "*" and not port.isdigit()):
        raise SiteError(f"sites: the callback URL pattern {pattern!r} must look like https://blog.example.org/, "
                        "https://*.example.org/wp-json/ or http://127.0.0.1:*/ (scheme, host, optional port or *, "
                        "path prefix)")
    host = host.lower().strip("[]")
    if "*" in host.removeprefix("*."):
        raise SiteError(f"sites: in the callback URL pattern {pattern!r} only a leading '*.' may stand for subdomains")
    return scheme, host, port, parts.path or "/"


def check_pattern(pattern: str) -> str:
    """The pattern, stripped, once it has the expected form."""
    _pattern_parts(pattern)
    return pattern.strip()


def callback_matches(pattern: str, url: str) -> bool:
    """True when the URL has the pattern's scheme, host (or a subdomain for '*.'), port and path prefix."""
    scheme, host, port, path = _pattern_parts(pattern)
    parts = urlsplit(url)
    try:
        url_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return False
    url_host = (parts.hostname or "").lower()
    if parts.scheme.lower() != scheme or parts.username is not None or parts.password is not None:
        return False
    if host.startswith("*."):
        if not url_host.endswith(host[1:]):
            return False
    elif url_host != host:
        return False
    if port != "*" and url_port != (int(port) if port else {"http": 80, "https": 443}[scheme]):
        return False
    url_path = parts.path or "/"
    return url_path == path or url_path.startswith(path if path.endswith("/") else path + "/")


class SiteRegistry:
    """The registered sites in the fleet state, and the default site of ATAI_WORKER_SECRET."""

    def __init__(self, state: FleetState, default_secret: str | None):
        self.state = state
        self.default_secret = default_secret

    def get(self, site_id: str) -> Site | None:
        """The site with this id (the default site included), or None."""
        if site_id == DEFAULT_SITE:
            return default_site()
        record = self.state.get_site(site_id)
        return None if record is None else Site.from_record(record)

    def authenticate(self, token: str) -> Site | None:
        """The site a bearer token opens: ATAI_WORKER_SECRET, or '<site id>:<secret>' of a registered site."""
        if self.default_secret and hmac.compare_digest(token.encode(), self.default_secret.encode()):
            return default_site()
        site_id, colon, secret = token.partition(":")
        if not colon or not SITE_ID.fullmatch(site_id) or site_id == DEFAULT_SITE:
            return None
        site = self.get(site_id)
        return site if site is not None and site.accepts(secret, time.time()) else None

    def add(self, site_id: str, *, callback_url_pattern: str, weight: float = 1.0, max_in_flight: int | None = None,
            rate_per_minute: int | None = None) -> tuple[Site, str]:
        """Register a new site; returns it and its token (shown once, stored only as a hash)."""
        if not SITE_ID.fullmatch(site_id) or site_id == DEFAULT_SITE:
            raise SiteError(f"sites: {site_id!r} cannot be a site id: use 1 to 63 lowercase letters, digits and "
                            f"hyphens, starting with a letter or digit ({DEFAULT_SITE!r} is taken by "
                            "ATAI_WORKER_SECRET)")
        if self.state.get_site(site_id) is not None:
            raise SiteError(f"sites: there is already a site {site_id!r} (rotate its secret, or remove it first)")
        secret = secrets.token_urlsafe(32)
        site = _checked(Site(id=site_id, secrets=(SiteSecret(hash_secret(secret)),),
                             callback_url_pattern=check_pattern(callback_url_pattern), weight=weight,
                             max_in_flight=max_in_flight, rate_per_minute=rate_per_minute, created_at=time.time()))
        self.state.put_site(site.to_record())
        return site, f"{site_id}:{secret}"

    def update(self, site_id: str, **changes) -> Site:
        """Change a site's callback pattern or limits (None for a limit removes it)."""
        site = self._existing(site_id)
        if changes.get("callback_url_pattern") is not None:
            changes["callback_url_pattern"] = check_pattern(changes["callback_url_pattern"])
        site = _checked(replace(site, **changes))
        self.state.put_site(site.to_record())
        return site

    def rotate(self, site_id: str, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> tuple[Site, str]:
        """Give the site a new secret; its current ones stay valid for `grace_seconds`. Returns the new token."""
        site = self._existing(site_id)
        now = time.time()
        secret = secrets.token_urlsafe(32)
        kept = tuple(SiteSecret(s.hash, min(s.expires_at or now + grace_seconds, now + grace_seconds))
                     for s in site.secrets if s.valid(now))
        site = replace(site, secrets=(SiteSecret(hash_secret(secret)),) + kept)
        self.state.put_site(site.to_record())
        return site, f"{site_id}:{secret}"

    def remove(self, site_id: str) -> None:
        """Forget a site: its secrets stop working at once."""
        if site_id == DEFAULT_SITE or not self.state.delete_site(site_id):
            raise SiteError(f"sites: there is no site {site_id!r}")

    def list(self) -> list[Site]:
        """The registered sites, by id."""
        return [Site.from_record(record) for record in self.state.list_sites()]

    def _existing(self, site_id: str) -> Site:
        site = self.get(site_id) if site_id != DEFAULT_SITE else None
        if site is None:
            raise SiteError(f"sites: there is no site {site_id!r}")
        return site


def _checked(site: Site) -> Site:
    if not site.weight > 0:
        raise SiteError("sites: the weight must be a number above 0")
    for name in ("max_in_flight", "rate_per_minute"):
        value = getattr(site, name)
        if value is not None and value < 1:
            raise SiteError(f"sites: {name.replace('_', ' ')} must be at least 1")
    return site
