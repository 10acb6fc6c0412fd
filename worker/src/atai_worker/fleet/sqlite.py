"""The fleet state in SQLite: one file in ATAI_DATA_DIR, shared by the API and every consumer of one machine."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import orjson

from ..sqlite_file import SqliteFile
from .records import Claim, Grant

# How often a waiting owner looks at the slots again: SQLite cannot wake another process, so a slot freed
# by another consumer is seen at the next look (one on this process wakes it at once).
POLL_SECONDS = 0.05
# An owner that stops asking (its process died) stops counting as waiting after this long.
WAITER_ALIVE_SECONDS = 5.0
# The clock's virtual time is kept under this site id (site ids cannot start with "~").
CLOCK_NOW = "~now"


class SqliteFleetState(SqliteFile):
    """Sites, clocks and slots in one SQLite file (WAL), one connection per thread and process."""

    backend = "sqlite"

    schema = (
        "create table if not exists sites (site_id text primary key, record text not null)",
        "create table if not exists clocks (clock text not null, site_id text not null, pass real not null,"
        " primary key (clock, site_id))",
        "create table if not exists slots (limit_key text not null, token text not null, site_id text not null,"
        " expires real not null, primary key (limit_key, token))",
        "create index if not exists slots_site on slots (site_id)",
        "create table if not exists slot_waiters (limit_key text not null, owner text not null, tag real not null,"
        " alive_until real not null, primary key (limit_key, owner))",
        "create table if not exists site_calls (site_id text not null, token text not null, started real not null)",
        "create index if not exists site_calls_site on site_calls (site_id, started)",
    )

    def __init__(self, path: Path):
        self._wake = threading.Event()
        super().__init__(path)

    def get_site(self, site_id: str) -> dict | None:
        """The stored record of a site, or None."""
        row = self._connection().execute("select record from sites where site_id = ?", (site_id,)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def put_site(self, record: dict) -> None:
        """Store a site's record, replacing any earlier one."""
        with self._write() as db:
            db.execute("insert or replace into sites (site_id, record) values (?, ?)",
                       (record["id"], orjson.dumps(record).decode()))

    def delete_site(self, site_id: str) -> bool:
        """Forget a site; False when there was none."""
        with self._write() as db:
            return db.execute("delete from sites where site_id = ?", (site_id,)).rowcount == 1

    def list_sites(self) -> list[dict]:
        """Every site's record, by id."""
        return [orjson.loads(r[0]) for r in self._connection().execute("select record from sites order by site_id")]

    @staticmethod
    def _clock_time(db: sqlite3.Connection, clock: str) -> float:
        row = db.execute("select pass from clocks where clock = ? and site_id = ?", (clock, CLOCK_NOW)).fetchone()
        return row[0] if row else 0.0

    @staticmethod
    def _advance(db: sqlite3.Connection, clock: str, tag: float) -> None:
        db.execute("insert into clocks (clock, site_id, pass) values (?, ?, ?) on conflict (clock, site_id)"
                   " do update set pass = max(pass, excluded.pass)", (clock, CLOCK_NOW, tag))

    def reserve(self, clock: str, site_id: str, weight: float, count: int, started: float = 0.0) -> float:
        """The first of `count` fair-share tags for the site on the clock."""
        with self._write() as db:
            self._advance(db, clock, started)
            now = self._clock_time(db, clock)
            row = db.execute("select pass from clocks where clock = ? and site_id = ?", (clock, site_id)).fetchone()
            first = max(row[0] if row else 0.0, now)
            db.execute("insert or replace into clocks (clock, site_id, pass) values (?, ?, ?)",
                       (clock, site_id, first + count / weight))
        return first

    def advance(self, clock: str, tag: float) -> None:
        """A tag was started: move the clock's virtual time up to it."""
        with self._write() as db:
            self._advance(db, clock, tag)

    def acquire(self, limit_key: str, limit: int, owner: str, claims: list[Claim], lease: float) -> Grant:
        """Give slots to the claims in fair order (see FleetState.acquire)."""
        now = time.time()
        granted: list[str] = []
        held_back: dict[str, float | None] = {}
        waiting: float | None = None
        with self._write() as db:
            db.execute("delete from slots where expires < ?", (now,))
            db.execute("delete from site_calls where started < ?", (now - 60,))
            db.execute("delete from slot_waiters where alive_until < ? or (limit_key = ? and owner = ?)",
                       (now, limit_key, owner))
            free = limit - db.execute("select count(*) from slots where limit_key = ?", (limit_key,)).fetchone()[0]
            for claim in claims:
                ahead = db.execute("select count(*) from slot_waiters where limit_key = ? and tag < ?",
                                   (limit_key, claim.tag)).fetchone()[0]
                if free <= 0 or ahead >= free:
                    waiting = claim.tag  # claims come smallest tag first: every later one would wait too
                    break
                if claim.site_max_in_flight and db.execute(
                        "select count(*) from slots where site_id = ?", (claim.site_id,)
                ).fetchone()[0] >= claim.site_max_in_flight:
                    held_back[claim.site_id] = None
                    continue
                if claim.site_rate_per_minute:
                    calls = db.execute("select count(*), min(started) from site_calls where site_id = ?",
                                       (claim.site_id,)).fetchone()
                    if calls[0] >= claim.site_rate_per_minute:
                        held_back[claim.site_id] = calls[1] + 60 - now
                        continue
                    db.execute("insert into site_calls (site_id, token, started) values (?, ?, ?)",
                               (claim.site_id, claim.token, now))
                db.execute("insert into slots (limit_key, token, site_id, expires) values (?, ?, ?, ?)",
                           (limit_key, claim.token, claim.site_id, now + lease))
                free -= 1
                granted.append(claim.token)
                self._advance(db, "items", claim.tag)
            if waiting is not None:
                db.execute("insert into slot_waiters (limit_key, owner, tag, alive_until) values (?, ?, ?, ?)",
                           (limit_key, owner, waiting, now + WAITER_ALIVE_SECONDS))
        return Grant(tuple(granted), free, held_back)

    def renew(self, limit_key: str, tokens: list[tuple[str, str]], lease: float) -> None:
        """Extend the leases of held slots."""
        if not tokens:
            return
        until = time.time() + lease
        with self._write() as db:
            db.executemany("update slots set expires = ? where limit_key = ? and token = ?",
                           [(until, limit_key, token) for token, _ in tokens])

    def release(self, limit_key: str, token: str, site_id: str, limit: int) -> None:
        """Give a slot back; waiters of this process look again at once, others at their next poll."""
        with self._write() as db:
            db.execute("delete from slots where limit_key = ? and token = ?", (limit_key, token))
        self._wake.set()

    def wait(self, owner: str, timeout: float) -> None:
        """Sleep until a release in this process or the next poll, at most `timeout` seconds."""
        self._wake.wait(min(timeout, POLL_SECONDS))
        self._wake.clear()
