"""What every process of a worker fleet shares beside the run store: the site registry, the fair-share
clocks and the model slots.

The run store says what each run holds; this says who may ask (the sites and their secrets), whose turn
it is (a virtual clock per site, so that sites take turns whatever order their work arrived in), and how
many model calls are in flight (slots with leases, so a killed consumer's slots come back on their own).
Two backends with one interface, like the run store: SQLite (a file in ATAI_DATA_DIR: the API and every
consumer of one machine) and Redis (every process on every machine that shares it). open_fleet picks one.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Protocol

from ..settings import Settings
from .records import Claim, Grant
from .redis import RedisFleetState
from .sqlite import SqliteFleetState

__all__ = ["Claim", "FleetState", "Grant", "RedisFleetState", "SqliteFleetState", "open_fleet"]


class FleetState(Protocol):
    """What the API, the consumers and the `sites` command ask of the shared state; both backends answer all."""

    backend: ClassVar[str]

    def close(self) -> None:
        """Release this process's connection."""

    def get_site(self, site_id: str) -> dict | None:
        """The stored record of a site, or None."""

    def put_site(self, record: dict) -> None:
        """Store a site's record (its "id" field names it), replacing any earlier one."""

    def delete_site(self, site_id: str) -> bool:
        """Forget a site; False when there was none."""

    def list_sites(self) -> list[dict]:
        """Every site's record, by id."""

    def reserve(self, clock: str, site_id: str, weight: float, count: int, started: float = 0.0) -> float:
        """The first of `count` fair-share tags for the site on the clock, each 1/weight after the one before.

        A site's tags continue from where its last ones ended, but never from before the clock's virtual time
        (the largest tag started so far, raised to `started`): a site that was idle takes its turn next, and
        saves no credit for later.
        """

    def advance(self, clock: str, tag: float) -> None:
        """A tag was started: move the clock's virtual time up to it."""

    def acquire(self, limit_key: str, limit: int, owner: str, claims: list[Claim], lease: float) -> Grant:
        """Give slots of `limit_key` (at most `limit` held at once) to the claims (smallest tag first) in fair order.

        A claim gets a slot when one is free, fewer waiting owners elsewhere have a smaller tag than free
        slots remain, and its site is within its own in-flight and per-minute limits. The claims not granted
        leave `owner` registered as waiting with the smallest such tag, so other processes let it go first.
        """

    def renew(self, limit_key: str, tokens: list[tuple[str, str]], lease: float) -> None:
        """Extend the leases of held slots ((token, site_id) pairs)."""

    def release(self, limit_key: str, token: str, site_id: str, limit: int) -> None:
        """Give a slot back and wake the owners waiting first."""

    def wait(self, owner: str, timeout: float) -> None:
        """Block until a release may have freed a slot for `owner`, or `timeout` seconds pass."""


def open_fleet(settings: Settings) -> FleetState:
    """The shared state the settings name: Redis when ATAI_REDIS_URL is set, else SQLite in ATAI_DATA_DIR."""
    if settings.redis_url:
        return RedisFleetState(settings.redis_url)
    return SqliteFleetState(Path(settings.data_dir) / "fleet.db")
