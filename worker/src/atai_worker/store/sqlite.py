"""The SQLite run store: one file in ATAI_DATA_DIR, shared by the API and consumer processes."""

from __future__ import annotations

import sqlite3
import time
import zlib
from pathlib import Path

import orjson

from ..models import Entry
from ..sqlite_file import SqliteFile
from .records import (ANSWER_TTL, DEFAULT_SITE, EMPTY_RUN_TTL, FINISHED_RUN_TTL, ItemHead, ItemRecord, RunRecord,
                      from_json, item_head, run_json, to_json)


def _pack(value) -> bytes | None:
    """JSON, zlib-compressed: articles shrink several times over, and so does every write, read and delete
    of them in SQLite (a compressed level-1 pass costs less than what it saves there)."""
    return None if value is None else zlib.compress(orjson.dumps(value), 1)


def _inflate(blob: bytes | None) -> bytes | None:
    """The JSON of a packed value, as UTF-8 bytes."""
    return None if blob is None else zlib.decompress(blob)


def _unpack(blob: bytes | None) -> str | None:
    """The JSON text of a packed value."""
    return None if blob is None else zlib.decompress(blob).decode()


class _AnswerFile(SqliteFile):
    """The model's answers, in a file of their own."""

    schema = ("create table if not exists answers (key text primary key, answer blob not null,"
              " created_at real not null)",)


class SqliteRunStore(SqliteFile):
    """Runs in one SQLite file (WAL), the model's answers in another, one connection per thread and process.

    The answers have a file of their own: storing one never waits behind the runs' writes (a plan of
    megabytes), and they outlive the runs.
    """

    backend = "sqlite"

    schema = (
        """create table if not exists runs (
            run_id text primary key, feed_id integer not null, state text not null,
            request text, rewrite text not null, feed text, error text,
            planned integer not null default 0, created_at real not null, updated_at real not null,
            finished_at real, lease_owner text, lease_until real, site_id text not null default 'default')""",
        "create index if not exists runs_state on runs (state)",
        """create table if not exists items (
            run_id text not null, key text not null, position integer not null, entry blob not null,
            head text not null, primary key (run_id, key))""",
        # Results in a table of their own: inserting a row costs a third of rewriting an item row
        # that already holds a 100 KB entry. The primary key keeps the first result of an item only.
        """create table if not exists results (
            run_id text not null, key text not null, draft blob, error blob, primary key (run_id, key))""",
    )

    def __init__(self, path: Path):
        super().__init__(path)
        self._answer_file = _AnswerFile(self.path.with_name("answers.db"))

    def _migrate(self, db: sqlite3.Connection) -> None:
        # Stores from before sites existed: every run they hold is the default site's.
        if "site_id" not in {row[1] for row in db.execute("pragma table_info(runs)")}:
            db.execute("alter table runs add column site_id text not null default 'default'")

    def _answers(self) -> sqlite3.Connection:
        return self._answer_file._connection()

    def close(self) -> None:
        """Close this thread's connections."""
        super().close()
        self._answer_file.close()

    def create_run(self, run_id: str, feed_id: int, request: dict, rewrite: dict, site_id: str = DEFAULT_SITE) -> None:
        """Store a new queued run of the site."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "insert into runs (run_id, feed_id, state, request, rewrite, created_at, updated_at, site_id)"
                " values (?, ?, 'queued', ?, ?, ?, ?, ?)",
                (run_id, feed_id, to_json(request), to_json(rewrite), now, now, site_id),
            )

    def site_of(self, run_id: str) -> str | None:
        """The id of the site that asked for the run, or None for an unknown run."""
        row = self._connection().execute("select site_id from runs where run_id = ?", (run_id,)).fetchone()
        return None if row is None else row[0]

    def delete_run(self, run_id: str) -> bool:
        """Forget a run and everything it holds (it was cancelled); False for an unknown run."""
        with self._write() as db:
            db.execute("delete from items where run_id = ?", (run_id,))
            db.execute("delete from results where run_id = ?", (run_id,))
            return db.execute("delete from runs where run_id = ?", (run_id,)).rowcount == 1

    def get_run(self, run_id: str) -> RunRecord | None:
        """The stored run, or None."""
        row = self._connection().execute(
            "select run_id, feed_id, state, request, rewrite, feed, error, planned, created_at, updated_at, site_id"
            " from runs where run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return RunRecord(row[0], row[1], row[2], from_json(row[3]), from_json(row[4]), from_json(row[5]),
                         from_json(row[6]), bool(row[7]), row[8], row[9], row[10])

    def items(self, run_id: str) -> list[ItemRecord]:
        """The run's unacknowledged items in plan order."""
        rows = self._connection().execute(
            "select i.key, i.entry, r.draft, r.error from items i left join results r using (run_id, key)"
            " where i.run_id = ? order by i.position", (run_id,)).fetchall()
        return [ItemRecord(r[0], Entry.from_dict(orjson.loads(_unpack(r[1]))), from_json(_unpack(r[2])),
                           from_json(_unpack(r[3]))) for r in rows]

    def pending_count(self, run_id: str) -> int:
        """How many of the run's items have neither a draft nor an error yet."""
        return self._connection().execute(
            "select count(*) from items i where i.run_id = ? and not exists"
            " (select 1 from results r where r.run_id = i.run_id and r.key = i.key)", (run_id,)).fetchone()[0]

    def run_json(self, run_id: str) -> bytes | None:
        """The contract's Run as UTF-8 JSON, or None for an unknown run."""
        # One read transaction, so the run and its items are seen at the same moment.
        conn = self._connection()
        conn.execute("begin")
        try:
            record = self.get_run(run_id)
            rows = conn.execute(
                "select i.key, i.head, r.draft, r.error from items i left join results r using (run_id, key)"
                " where i.run_id = ? order by i.position", (run_id,)).fetchall() if record else []
        finally:
            conn.execute("commit")
        if record is None:
            return None
        return run_json(record, [ItemHead(key, **orjson.loads(head), draft=_inflate(draft), error=_inflate(error))
                                 for key, head, draft, error in rows])

    def claim(self, run_id: str, owner: str, lease_seconds: float) -> RunRecord | None:
        """Take the run for work: it is queued, or running with an expired lease (or ours already)."""
        now = time.time()
        with self._write() as db:
            changed = db.execute(
                "update runs set state = 'running', lease_owner = ?, lease_until = ?, updated_at = ?"
                " where run_id = ? and (state = 'queued' or (state = 'running' and"
                " (lease_until is null or lease_until < ? or lease_owner = ?)))",
                (owner, now + lease_seconds, now, run_id, now, owner),
            ).rowcount
        return self.get_run(run_id) if changed else None

    def renew(self, run_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend our lease; False when another consumer holds the run now."""
        with self._write() as db:
            return db.execute(
                "update runs set lease_until = ? where run_id = ? and state = 'running' and lease_owner = ?",
                (time.time() + lease_seconds, run_id, owner),
            ).rowcount == 1

    def save_plan(self, run_id: str, owner: str, feed: dict, entries: list[Entry]) -> bool:
        """Store what the fetch found and the selected entries, once, while we hold the lease."""
        # Encoded before the write lock is taken: megabytes of JSON must not hold up other writers.
        rows = [(run_id, e.key, n, _pack(e.to_dict()), to_json(item_head(e))) for n, e in enumerate(entries)]
        with self._write() as db:
            changed = db.execute(
                "update runs set feed = ?, planned = 1, updated_at = ?"
                " where run_id = ? and state = 'running' and lease_owner = ? and planned = 0",
                (to_json(feed), time.time(), run_id, owner),
            ).rowcount
            if changed:
                db.executemany("insert into items (run_id, key, position, entry, head) values (?, ?, ?, ?, ?)", rows)
        return changed == 1

    def set_item_result(self, run_id: str, key: str, *, draft: dict | None = None, error: dict | None = None) -> bool:
        """Record an item's draft or error; an item keeps its first result (no duplicates)."""
        now = time.time()
        values = (run_id, key, _pack(draft), _pack(error))  # encoded before the write lock is taken
        with self._write() as db:
            changed = db.execute(
                "insert or ignore into results (run_id, key, draft, error)"
                " select ?1, ?2, ?3, ?4 where exists (select 1 from items where run_id = ?1 and key = ?2)", values,
            ).rowcount
            if changed:
                db.execute("update runs set updated_at = ? where run_id = ?", (now, run_id))
        return changed == 1

    def finish(self, run_id: str, owner: str, state: str, *, feed: dict | None = None,
               error: dict | None = None) -> bool:
        """Mark the run done or failed while we hold it; forget its request (and the AI key in it)."""
        now = time.time()
        with self._write() as db:
            return db.execute(
                "update runs set state = ?, feed = coalesce(?, feed), error = ?, request = null,"
                " lease_owner = null, lease_until = null, updated_at = ?, finished_at = ?"
                " where run_id = ? and state = 'running' and lease_owner = ?",
                (state, to_json(feed), to_json(error), now, now, run_id, owner),
            ).rowcount == 1

    def ack(self, run_id: str, keys: list[str]) -> dict | None:
        """Forget the items with these keys that have a draft or an error; delete a finished, empty run."""
        with self._write() as db:
            row = db.execute("select state from runs where run_id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            # Only items that have a result: a pending item cannot be acknowledged.
            done = [(run_id, k) for k in keys]
            db.executemany("delete from items where run_id = ? and key = ? and exists"
                           " (select 1 from results r where r.run_id = items.run_id and r.key = items.key)", done)
            db.executemany("delete from results where run_id = ? and key = ? and not exists"
                           " (select 1 from items i where i.run_id = results.run_id and i.key = results.key)", done)
            remaining = db.execute("select count(*) from items where run_id = ?", (run_id,)).fetchone()[0]
            deleted = row[0] in ("done", "failed") and remaining == 0
            if deleted:
                db.execute("delete from runs where run_id = ?", (run_id,))
        return {"run_id": run_id, "remaining": remaining, "deleted": deleted}

    def stalled_runs(self, queued_before: float) -> list[tuple[str, str]]:
        """(run_id, state) of runs queued since before `queued_before`, and running runs whose lease expired."""
        rows = self._connection().execute(
            "select run_id, state from runs where (state = 'queued' and updated_at < ?)"
            " or (state = 'running' and (lease_until is null or lease_until < ?))",
            (queued_before, time.time()),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def held_leases(self) -> list[tuple[str, str]]:
        """(run_id, owner) of every running run whose lease has not expired."""
        rows = self._connection().execute(
            "select run_id, lease_owner from runs where state = 'running' and lease_until >= ?", (time.time(),),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def requeue(self, run_id: str, dead_owner: str | None = None) -> bool:
        """Put a stalled run back to queued: its lease expired (or is held by `dead_owner`), or its queue
        entry was lost."""
        now = time.time()
        with self._write() as db:
            return db.execute(
                "update runs set state = 'queued', lease_owner = null, lease_until = null, updated_at = ?"
                " where run_id = ? and (state = 'queued' or (state = 'running' and"
                " (lease_until is null or lease_until < ? or lease_owner = ?)))",
                (now, run_id, now, dead_owner),
            ).rowcount == 1

    def get_answer(self, key: str) -> dict | None:
        """The model's stored answer to a prompt, or None."""
        row = self._answers().execute("select answer from answers where key = ? and created_at >= ?",
                                      (key, time.time() - ANSWER_TTL)).fetchone()
        return None if row is None else orjson.loads(_unpack(row[0]))

    def put_answer(self, key: str, answer: dict) -> None:
        """Keep the model's answer to a prompt for ANSWER_TTL."""
        self._answers().execute("insert or replace into answers (key, answer, created_at) values (?, ?, ?)",
                                (key, _pack(answer), time.time()))

    def forget_answer(self, key: str) -> None:
        """Drop a stored answer (the guards refused the draft it made, so a retry asks the model again)."""
        self._answers().execute("delete from answers where key = ?", (key,))

    def purge(self, now: float | None = None) -> int:
        """Delete finished runs nobody collected in time (returns how many) and answers past ANSWER_TTL."""
        now = time.time() if now is None else now
        with self._write() as db:
            ids = [r[0] for r in db.execute(
                "select run_id from runs where state in ('done', 'failed') and (finished_at < ? or"
                " (finished_at < ? and not exists (select 1 from items where items.run_id = runs.run_id)))",
                (now - FINISHED_RUN_TTL, now - EMPTY_RUN_TTL),
            )]
            for run_id in ids:
                db.execute("delete from items where run_id = ?", (run_id,))
                db.execute("delete from results where run_id = ?", (run_id,))
                db.execute("delete from runs where run_id = ?", (run_id,))
        self._answers().execute("delete from answers where created_at < ?", (now - ANSWER_TTL,))
        return len(ids)
