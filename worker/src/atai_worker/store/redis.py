"""The Redis run store: several worker machines sharing one queue."""

from __future__ import annotations

import logging
import time

import orjson
from redis.exceptions import RedisError

from ..models import Entry
from .records import (ANSWER_TTL, DEFAULT_SITE, EMPTY_RUN_TTL, FINISHED_RUN_TTL, ItemHead, ItemRecord, RunRecord,
                      from_json, item_head, run_json, to_json)

log = logging.getLogger(__name__)


# Redis keeps a run in a hash, its plan (item keys in order) in a list, entries and results in hashes,
# and the lease in a key that expires by itself; each of the model's answers in a key that expires too. Every check-then-write is one Lua script, so it is atomic.
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
local holder = redis.call('GET', KEYS[2])
if state == 'queued' or (state == 'running' and (not holder or holder == ARGV[2])) then
  redis.call('DEL', KEYS[2])
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

    def create_run(self, run_id: str, feed_id: int, request: dict, rewrite: dict, site_id: str = DEFAULT_SITE) -> None:
        """Store a new queued run of the site."""
        now = repr(time.time())
        pipe = self.redis.pipeline()
        pipe.hset(self._keys(run_id)["run"], mapping={
            "feed_id": feed_id, "state": "queued", "request": to_json(request), "rewrite": to_json(rewrite),
            "feed": "", "error": "", "planned": "0", "created_at": now, "updated_at": now, "site": site_id})
        pipe.sadd(self._active, run_id)
        pipe.execute()

    def site_of(self, run_id: str) -> str | None:
        """The id of the site that asked for the run, or None for an unknown run."""
        site_id, state = self.redis.hmget(self._keys(run_id)["run"], "site", "state")
        return None if state is None else site_id or DEFAULT_SITE

    def delete_run(self, run_id: str) -> bool:
        """Forget a run and everything it holds (it was cancelled); False for an unknown run."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*self._keys(run_id).values())
        pipe.srem(self._active, run_id)
        pipe.zrem(self._finished, run_id)
        return bool(pipe.execute()[0])

    def get_run(self, run_id: str) -> RunRecord | None:
        """The stored run, or None."""
        return self._record(run_id, self.redis.hgetall(self._keys(run_id)["run"]))

    @staticmethod
    def _record(run_id: str, data: dict) -> RunRecord | None:
        if not data:
            return None
        return RunRecord(run_id, int(data["feed_id"]), data["state"], from_json(data.get("request")),
                         from_json(data["rewrite"]), from_json(data.get("feed")), from_json(data.get("error")),
                         data.get("planned") == "1", float(data["created_at"]), float(data["updated_at"]),
                         data.get("site") or DEFAULT_SITE)

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
            records.append(ItemRecord(key, Entry.from_dict(orjson.loads(entries[key])), from_json(draft),
                                      from_json(error)))
        return records

    def pending_count(self, run_id: str) -> int:
        """How many of the run's items have neither a draft nor an error yet."""
        keys = self._keys(run_id)
        planned, finished = self.redis.pipeline(transaction=True).llen(keys["plan"]).hlen(keys["results"]).execute()
        return planned - finished

    def run_json(self, run_id: str) -> bytes | None:
        """The contract's Run as UTF-8 JSON, or None for an unknown run."""
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
        args = [owner, to_json(feed), repr(time.time())]
        for entry in entries:
            args += [entry.key, to_json(entry.to_dict()), to_json(item_head(entry))]
        return bool(self._scripts["save_plan"](
            keys=[keys["run"], keys["lease"], keys["plan"], keys["entries"], keys["heads"]], args=args))

    def set_item_result(self, run_id: str, key: str, *, draft: dict | None = None, error: dict | None = None) -> bool:
        """Record an item's draft or error; an item keeps its first result (no duplicates)."""
        keys = self._keys(run_id)
        result = "draft:" + to_json(draft) if draft is not None else "error:" + to_json(error)
        return bool(self._scripts["set_result"](keys=[keys["run"], keys["entries"], keys["results"]],
                                                args=[key, result, repr(time.time())]))

    def finish(self, run_id: str, owner: str, state: str, *, feed: dict | None = None,
               error: dict | None = None) -> bool:
        """Mark the run done or failed while we hold it; forget its request (and the AI key in it)."""
        keys = self._keys(run_id)
        return bool(self._scripts["finish"](
            keys=[keys["run"], keys["lease"], self._active, self._finished],
            args=[owner, state, to_json(feed) or "", to_json(error) or "", repr(time.time()), run_id]))

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

    def held_leases(self) -> list[tuple[str, str]]:
        """(run_id, owner) of every running run whose lease has not expired."""
        run_ids = sorted(self.redis.smembers(self._active))
        pipe = self.redis.pipeline(transaction=False)
        for run_id in run_ids:
            pipe.get(self._keys(run_id)["lease"])
        return [(run_id, owner) for run_id, owner in zip(run_ids, pipe.execute()) if owner]

    def requeue(self, run_id: str, dead_owner: str | None = None) -> bool:
        """Put a stalled run back to queued: its lease expired (or is held by `dead_owner`), or its queue
        entry was lost."""
        keys = self._keys(run_id)
        return bool(self._scripts["requeue"](keys=[keys["run"], keys["lease"]],
                                             args=[repr(time.time()), dead_owner or ""]))

    def _answer_key(self, key: str) -> str:
        return f"{self.prefix}:answer:{key}"

    def get_answer(self, key: str) -> dict | None:
        """The model's stored answer to a prompt, or None (also when Redis cannot answer: the answers are a
        cache, and an item must not fail because its cache is away; the model is asked instead)."""
        try:
            return from_json(self.redis.get(self._answer_key(key)))
        except RedisError as exc:
            log.warning("stored answer not read, the model is asked: %s", type(exc).__name__)
            return None

    def put_answer(self, key: str, answer: dict) -> None:
        """Keep the model's answer to a prompt for ANSWER_TTL (Redis expires it); an answer Redis cannot take
        is not kept, and the item goes on with it."""
        try:
            self.redis.set(self._answer_key(key), to_json(answer), ex=ANSWER_TTL)
        except RedisError as exc:
            log.warning("answer not stored: %s", type(exc).__name__)

    def forget_answer(self, key: str) -> None:
        """Drop a stored answer (the guards refused the draft it made, so a retry asks the model again)."""
        self.redis.delete(self._answer_key(key))

    def purge(self, now: float | None = None) -> int:
        """Delete finished runs nobody collected in time; returns how many (answers expire by themselves)."""
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
