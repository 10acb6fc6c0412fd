"""The run store: the worker's only durable state, so a killed and restarted worker loses nothing.

A run is one job of one feed. It keeps the request (so an interrupted run can be resumed; the request
carries the AI key, which is kept here only, and dropped when the run finishes), what the fetch found,
and one item per planned entry with, once processed, its Draft or its ItemError. A consumer works on a
run only while it holds the run's lease; a lease that is not renewed expires and the run is re-enqueued.

Two backends with one interface: SQLite (a file in ATAI_DATA_DIR, shared by the API and consumer
processes) and Redis (several worker machines).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import orjson

from .models import Entry
from .settings import Settings

# Finished runs nobody collected are forgotten after a week; finished runs with nothing left to
# collect (a failed run, an unchanged feed) after a day, so that frequent polling does not pile them up.
FINISHED_RUN_TTL = 7 * 24 * 3600
EMPTY_RUN_TTL = 24 * 3600
# A consumer renews the leases of its runs every RENEW_EVERY seconds; a lease not renewed for
# LEASE_SECONDS means the consumer died, and the reaper re-enqueues the run.
LEASE_SECONDS = 30.0
RENEW_EVERY = 5.0


@dataclass(frozen=True)
class RunRecord:
    """One run as stored; `request` is None once the run finished."""

    run_id: str
    feed_id: int
    state: str
    request: dict | None
    rewrite: dict
    feed: dict | None
    error: dict | None
    planned: bool
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class ItemRecord:
    """One planned entry and, once processed, its draft or its error."""

    key: str
    entry: Entry
    draft: dict | None
    error: dict | None

    @property
    def state(self) -> str:
        if self.draft is not None:
            return "ready"
        if self.error is not None:
            return "failed"
        return "pending"


def iso_time(timestamp: float) -> str:
    """Unix seconds as an RFC 3339 UTC date-time."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ItemHead:
    """What a Run document says of an item: enough to name it, without its (large) entry.

    draft and error are the JSON text as stored: the document splices them in without decoding.
    """

    key: str
    guid: str | None
    link: str | None
    title: str | None
    draft: str | None
    error: str | None

    @property
    def state(self) -> str:
        return "ready" if self.draft is not None else "failed" if self.error is not None else "pending"


def item_head(entry: Entry) -> dict:
    """The small part of an entry a Run document shows, stored beside the entry."""
    return {"guid": entry.guid, "link": entry.link, "title": entry.title}


def run_json(record: RunRecord, items: list[ItemHead]) -> str:
    """The contract's Run for a stored run and its unacknowledged items, as JSON text.

    Drafts are stored as JSON and go out as they are: a run of 50 articles is megabytes, and decoding
    and encoding it again would cost the API more than everything else it does.
    """
    head = orjson.dumps({
        "run_id": record.run_id,
        "feed_id": record.feed_id,
        "state": record.state,
        "created_at": iso_time(record.created_at),
        "updated_at": iso_time(record.updated_at),
        "rewrite": record.rewrite,
        "feed": record.feed,
        "items": [{"key": i.key, "guid": i.guid, "link": i.link, "title": i.title, "state": i.state} for i in items],
        "error": record.error,
    }).decode()
    drafts = ",".join(i.draft for i in items if i.draft is not None)
    errors = ",".join(i.error for i in items if i.error is not None)
    return f'{head[:-1]},"drafts":[{drafts}],"errors":[{errors}]}}'


def open_store(settings: Settings) -> "SqliteRunStore | RedisRunStore":
    """The run store the settings name: Redis when ATAI_REDIS_URL is set, else SQLite in ATAI_DATA_DIR."""
    if settings.redis_url:
        return RedisRunStore(settings.redis_url)
    return SqliteRunStore(Path(settings.data_dir) / "runs.db")


# orjson: the stored values are articles of 100 KB and more, which the standard library's encoder
# escapes character by character (0.8 ms each, against 0.02 ms).
def _dumps(value) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _pack(value) -> bytes | None:
    """JSON, zlib-compressed: articles shrink several times over, and so does every write, read and delete
    of them in SQLite (a compressed level-1 pass costs less than what it saves there)."""
    return None if value is None else zlib.compress(orjson.dumps(value), 1)


def _unpack(blob: bytes | None) -> str | None:
    """The JSON text of a packed value."""
    return None if blob is None else zlib.decompress(blob).decode()


def _loads(text):
    return None if text in (None, "") else orjson.loads(text)


class SqliteRunStore:
    """Runs in one SQLite file (WAL), one connection per thread and process."""

    backend = "sqlite"

    _schema = (
        """create table if not exists runs (
            run_id text primary key, feed_id integer not null, state text not null,
            request text, rewrite text not null, feed text, error text,
            planned integer not null default 0, created_at real not null, updated_at real not null,
            finished_at real, lease_owner text, lease_until real)""",
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
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._write() as db:
            for statement in self._schema:
                db.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork (gunicorn) or be shared by threads.
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("pragma journal_mode=wal")
            # NORMAL: with WAL a write survives a crash of the process, not always of the machine. That is
            # enough here: WordPress holds the truth, and a draft lost with the machine is made again.
            conn.execute("pragma synchronous=normal")
            conn.execute("pragma busy_timeout=30000")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    class _Transaction:
        def __init__(self, conn: sqlite3.Connection):
            self.conn = conn

        def __enter__(self) -> sqlite3.Connection:
            # IMMEDIATE takes the write lock up front, so read-then-write cannot deadlock.
            self.conn.execute("begin immediate")
            return self.conn

        def __exit__(self, exc_type, exc, tb):
            self.conn.execute("rollback" if exc_type else "commit")

    def _write(self) -> "_Transaction":
        return self._Transaction(self._connection())

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def create_run(self, run_id: str, feed_id: int, request: dict, rewrite: dict) -> None:
        """Store a new queued run."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "insert into runs (run_id, feed_id, state, request, rewrite, created_at, updated_at)"
                " values (?, ?, 'queued', ?, ?, ?, ?)",
                (run_id, feed_id, _dumps(request), _dumps(rewrite), now, now),
            )

    def get_run(self, run_id: str) -> RunRecord | None:
        """The stored run, or None."""
        row = self._connection().execute(
            "select run_id, feed_id, state, request, rewrite, feed, error, planned, created_at, updated_at"
            " from runs where run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return RunRecord(row[0], row[1], row[2], _loads(row[3]), _loads(row[4]), _loads(row[5]), _loads(row[6]),
                         bool(row[7]), row[8], row[9])

    def items(self, run_id: str) -> list[ItemRecord]:
        """The run's unacknowledged items in plan order."""
        rows = self._connection().execute(
            "select i.key, i.entry, r.draft, r.error from items i left join results r using (run_id, key)"
            " where i.run_id = ? order by i.position", (run_id,)).fetchall()
        return [ItemRecord(r[0], Entry.from_dict(orjson.loads(_unpack(r[1]))), _loads(_unpack(r[2])), _loads(_unpack(r[3])))
                for r in rows]

    def pending_count(self, run_id: str) -> int:
        """How many of the run's items have neither a draft nor an error yet."""
        return self._connection().execute(
            "select count(*) from items i where i.run_id = ? and not exists"
            " (select 1 from results r where r.run_id = i.run_id and r.key = i.key)", (run_id,)).fetchone()[0]

    def run_json(self, run_id: str) -> str | None:
        """The contract's Run as JSON text, or None for an unknown run."""
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
        return run_json(record, [ItemHead(key, **orjson.loads(head), draft=_unpack(draft), error=_unpack(error))
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
        rows = [(run_id, e.key, n, _pack(e.to_dict()), _dumps(item_head(e))) for n, e in enumerate(entries)]
        with self._write() as db:
            changed = db.execute(
                "update runs set feed = ?, planned = 1, updated_at = ?"
                " where run_id = ? and state = 'running' and lease_owner = ? and planned = 0",
                (_dumps(feed), time.time(), run_id, owner),
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
                (state, _dumps(feed), _dumps(error), now, now, run_id, owner),
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

    def requeue(self, run_id: str) -> bool:
        """Put a stalled run back to queued (its lease expired or its queue entry was lost)."""
        now = time.time()
        with self._write() as db:
            return db.execute(
                "update runs set state = 'queued', lease_owner = null, lease_until = null, updated_at = ?"
                " where run_id = ? and (state = 'queued' or (state = 'running' and"
                " (lease_until is null or lease_until < ?)))",
                (now, run_id, now),
            ).rowcount == 1

    def purge(self, now: float | None = None) -> int:
        """Delete finished runs nobody collected in time; returns how many."""
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
        return len(ids)


# Redis keeps a run in a hash, its plan (item keys in order) in a list, entries and results in hashes,
# and the lease in a key that expires by itself. Every check-then-write is one Lua script, so it is atomic.
_CLAIM = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return 0 end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'running', 'updated_at', ARGV[3])
return 1
"""
_RENEW = """
if redis.call('HGET', KEYS[1], 'state') == 'running' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0
"""
_SAVE_PLAN = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' or redis.call('GET', KEYS[2]) ~= ARGV[1]
   or redis.call('HGET', KEYS[1], 'planned') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'feed', ARGV[2], 'planned', '1', 'updated_at', ARGV[3])
for i = 4, #ARGV, 3 do
  redis.call('RPUSH', KEYS[3], ARGV[i])
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 2])
end
return 1
"""
_SET_RESULT = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
return 1
"""
_FINISH = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' or redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'error', ARGV[4], 'request', '', 'updated_at', ARGV[5],
           'finished_at', ARGV[5])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'feed', ARGV[3]) end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
return 1
"""
_ACK = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
for i = 1, #ARGV - 1 do
  if redis.call('HDEL', KEYS[4], ARGV[i]) == 1 then
    redis.call('HDEL', KEYS[3], ARGV[i])
    redis.call('HDEL', KEYS[8], ARGV[i])
    redis.call('LREM', KEYS[2], 0, ARGV[i])
  end
end
local remaining = redis.call('LLEN', KEYS[2])
if remaining == 0 and (state == 'done' or state == 'failed') then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[8])
  redis.call('ZREM', KEYS[6], ARGV[#ARGV])
  redis.call('SREM', KEYS[7], ARGV[#ARGV])
  return -2
end
return remaining
"""
_REQUEUE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' or (state == 'running' and redis.call('EXISTS', KEYS[2]) == 0) then
  redis.call('HSET', KEYS[1], 'state', 'queued', 'updated_at', ARGV[1])
  return 1
end
return 0
"""


def _split_result(value: str | None) -> tuple[str | None, str | None]:
    """A Redis result value ("draft:<json>" or "error:<json>") as (draft JSON, error JSON)."""
    if not value:
        return None, None
    kind, _, text = value.partition(":")
    return (text, None) if kind == "draft" else (None, text)


class RedisRunStore:
    """Runs in Redis, for several worker machines sharing one queue."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "atai"):
        import redis

        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix
        self._scripts = {name: self.redis.register_script(source) for name, source in (
            ("claim", _CLAIM), ("renew", _RENEW), ("save_plan", _SAVE_PLAN), ("set_result", _SET_RESULT),
            ("finish", _FINISH), ("ack", _ACK), ("requeue", _REQUEUE))}

    def _keys(self, run_id: str) -> dict[str, str]:
        base = f"{self.prefix}:run:{run_id}"
        return {"run": base, "lease": base + ":lease", "plan": base + ":plan", "entries": base + ":entries",
                "results": base + ":results", "heads": base + ":heads"}

    @property
    def _active(self) -> str:
        return f"{self.prefix}:runs:active"

    @property
    def _finished(self) -> str:
        return f"{self.prefix}:runs:finished"

    def close(self) -> None:
        """Release the connection pool."""
        self.redis.close()

    def create_run(self, run_id: str, feed_id: int, request: dict, rewrite: dict) -> None:
        """Store a new queued run."""
        now = repr(time.time())
        pipe = self.redis.pipeline()
        pipe.hset(self._keys(run_id)["run"], mapping={
            "feed_id": feed_id, "state": "queued", "request": _dumps(request), "rewrite": _dumps(rewrite),
            "feed": "", "error": "", "planned": "0", "created_at": now, "updated_at": now})
        pipe.sadd(self._active, run_id)
        pipe.execute()

    def get_run(self, run_id: str) -> RunRecord | None:
        """The stored run, or None."""
        return self._record(run_id, self.redis.hgetall(self._keys(run_id)["run"]))

    @staticmethod
    def _record(run_id: str, data: dict) -> RunRecord | None:
        if not data:
            return None
        return RunRecord(run_id, int(data["feed_id"]), data["state"], _loads(data.get("request")),
                         _loads(data["rewrite"]), _loads(data.get("feed")), _loads(data.get("error")),
                         data.get("planned") == "1", float(data["created_at"]), float(data["updated_at"]))

    def items(self, run_id: str) -> list[ItemRecord]:
        """The run's unacknowledged items in plan order."""
        return self._items(*self._read_items(self.redis.pipeline(transaction=True), run_id).execute())

    def _read_items(self, pipe, run_id: str):
        keys = self._keys(run_id)
        return pipe.lrange(keys["plan"], 0, -1).hgetall(keys["entries"]).hgetall(keys["results"])

    @staticmethod
    def _items(plan: list[str], entries: dict, results: dict) -> list[ItemRecord]:
        records = []
        for key in plan:
            if key not in entries:
                continue
            draft, error = _split_result(results.get(key))
            records.append(ItemRecord(key, Entry.from_dict(orjson.loads(entries[key])), _loads(draft), _loads(error)))
        return records

    def pending_count(self, run_id: str) -> int:
        """How many of the run's items have neither a draft nor an error yet."""
        keys = self._keys(run_id)
        planned, finished = self.redis.pipeline(transaction=True).llen(keys["plan"]).hlen(keys["results"]).execute()
        return planned - finished

    def run_json(self, run_id: str) -> str | None:
        """The contract's Run as JSON text, or None for an unknown run."""
        keys = self._keys(run_id)
        # MULTI/EXEC: the run and its items are read at the same moment.
        data, plan, heads, results = (self.redis.pipeline(transaction=True).hgetall(keys["run"])
                                      .lrange(keys["plan"], 0, -1).hgetall(keys["heads"])
                                      .hgetall(keys["results"]).execute())
        record = self._record(run_id, data)
        if record is None:
            return None
        items = []
        for key in plan:
            if key in heads:
                draft, error = _split_result(results.get(key))
                items.append(ItemHead(key, **orjson.loads(heads[key]), draft=draft, error=error))
        return run_json(record, items)

    def claim(self, run_id: str, owner: str, lease_seconds: float) -> RunRecord | None:
        """Take the run for work: it is queued, or running with an expired lease (or ours already)."""
        keys = self._keys(run_id)
        claimed = self._scripts["claim"](keys=[keys["run"], keys["lease"]],
                                         args=[owner, int(lease_seconds * 1000), repr(time.time())])
        return self.get_run(run_id) if claimed else None

    def renew(self, run_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend our lease; False when another consumer holds the run now."""
        keys = self._keys(run_id)
        return bool(self._scripts["renew"](keys=[keys["run"], keys["lease"]],
                                           args=[owner, int(lease_seconds * 1000)]))

    def save_plan(self, run_id: str, owner: str, feed: dict, entries: list[Entry]) -> bool:
        """Store what the fetch found and the selected entries, once, while we hold the lease."""
        keys = self._keys(run_id)
        args = [owner, _dumps(feed), repr(time.time())]
        for entry in entries:
            args += [entry.key, _dumps(entry.to_dict()), _dumps(item_head(entry))]
        return bool(self._scripts["save_plan"](
            keys=[keys["run"], keys["lease"], keys["plan"], keys["entries"], keys["heads"]], args=args))

    def set_item_result(self, run_id: str, key: str, *, draft: dict | None = None, error: dict | None = None) -> bool:
        """Record an item's draft or error; an item keeps its first result (no duplicates)."""
        keys = self._keys(run_id)
        result = "draft:" + _dumps(draft) if draft is not None else "error:" + _dumps(error)
        return bool(self._scripts["set_result"](keys=[keys["run"], keys["entries"], keys["results"]],
                                                args=[key, result, repr(time.time())]))

    def finish(self, run_id: str, owner: str, state: str, *, feed: dict | None = None,
               error: dict | None = None) -> bool:
        """Mark the run done or failed while we hold it; forget its request (and the AI key in it)."""
        keys = self._keys(run_id)
        return bool(self._scripts["finish"](
            keys=[keys["run"], keys["lease"], self._active, self._finished],
            args=[owner, state, _dumps(feed) or "", _dumps(error) or "", repr(time.time()), run_id]))

    def ack(self, run_id: str, keys: list[str]) -> dict | None:
        """Forget the items with these keys that have a draft or an error; delete a finished, empty run."""
        k = self._keys(run_id)
        outcome = self._scripts["ack"](
            keys=[k["run"], k["plan"], k["entries"], k["results"], k["lease"], self._finished, self._active,
                  k["heads"]],
            args=[*keys, run_id])
        if outcome == -1:
            return None
        if outcome == -2:
            return {"run_id": run_id, "remaining": 0, "deleted": True}
        return {"run_id": run_id, "remaining": int(outcome), "deleted": False}

    def stalled_runs(self, queued_before: float) -> list[tuple[str, str]]:
        """(run_id, state) of runs queued since before `queued_before`, and running runs whose lease expired."""
        run_ids = sorted(self.redis.smembers(self._active))
        pipe = self.redis.pipeline(transaction=False)
        for run_id in run_ids:
            keys = self._keys(run_id)
            pipe.hmget(keys["run"], "state", "updated_at")
            pipe.exists(keys["lease"])
        answers = pipe.execute()
        stalled = []
        for n, run_id in enumerate(run_ids):
            (state, updated_at), leased = answers[2 * n], answers[2 * n + 1]
            if state == "queued" and float(updated_at) < queued_before:
                stalled.append((run_id, state))
            elif state == "running" and not leased:
                stalled.append((run_id, state))
            elif state is None:
                self.redis.srem(self._active, run_id)
        return stalled

    def requeue(self, run_id: str) -> bool:
        """Put a stalled run back to queued (its lease expired or its queue entry was lost)."""
        keys = self._keys(run_id)
        return bool(self._scripts["requeue"](keys=[keys["run"], keys["lease"]], args=[repr(time.time())]))

    def purge(self, now: float | None = None) -> int:
        """Delete finished runs nobody collected in time; returns how many."""
        now = time.time() if now is None else now
        purged = 0
        for run_id, finished_at in self.redis.zrangebyscore(self._finished, "-inf", now - EMPTY_RUN_TTL,
                                                            withscores=True):
            keys = self._keys(run_id)
            if finished_at < now - FINISHED_RUN_TTL or self.redis.llen(keys["plan"]) == 0:
                self.redis.delete(*keys.values())
                self.redis.zrem(self._finished, run_id)
                purged += 1
        return purged
