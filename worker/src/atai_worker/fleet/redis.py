"""The fleet state in Redis: every process on every machine that shares the Redis sees the same sites,
clocks and slots."""

from __future__ import annotations

import time

import orjson

from .records import Claim, Grant

# Sites are fields of one hash (id -> JSON record). A clock is a hash of site -> pass, with its virtual
# time under "~now" (site ids cannot start with "~"). Lua returns numbers to Redis as integers, so tags
# travel as strings.
_RESERVE = """
local now = tonumber(redis.call('HGET', KEYS[1], '~now') or '0')
if tonumber(ARGV[4]) > now then
  now = tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], '~now', ARGV[4])
end
local pass = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if pass < now then pass = now end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.17g', pass + tonumber(ARGV[3]) / tonumber(ARGV[2])))
return string.format('%.17g', pass)
"""
_ADVANCE = """
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], '~now') or '0') then
  redis.call('HSET', KEYS[1], '~now', ARGV[1])
end
return 1
"""
# The slots of one limit: a sorted set of holders scored by the time their lease ends, so a killed
# consumer's slots free themselves; owners waiting, scored by their smallest waiting tag, with a second set
# saying until when each is alive. Per site: its holders (across limits) and the start times of its calls
# in the last minute. One script does the whole check-then-take, so it is atomic across the fleet.
_ACQUIRE = """
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[2], gone)
  redis.call('ZREM', KEYS[3], gone)
end
redis.call('ZREM', KEYS[2], ARGV[4])
local free = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
local granted, held, waiting, top = {}, {}, nil, 0
for i = 0, (#ARGV - 5) / 5 - 1 do
  local token, tag = ARGV[6 + 5 * i], ARGV[7 + 5 * i]
  local site_max, site_rate = tonumber(ARGV[8 + 5 * i]), tonumber(ARGV[9 + 5 * i])
  local inflight, calls = KEYS[5 + 2 * i], KEYS[6 + 2 * i]
  if free <= 0 or redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. tag) >= free then
    -- Claims come smallest tag first: every later one would wait too.
    waiting = tag
    break
  else
    local ok = true
    if site_max > 0 then
      redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
      if redis.call('ZCARD', inflight) >= site_max then
        ok = false
        held[#held + 1] = ARGV[10 + 5 * i]
        held[#held + 1] = '-1'
      end
    end
    if ok and site_rate > 0 then
      redis.call('ZREMRANGEBYSCORE', calls, '-inf', now - 60000)
      if redis.call('ZCARD', calls) >= site_rate then
        ok = false
        local first = redis.call('ZRANGE', calls, 0, 0, 'WITHSCORES')
        held[#held + 1] = ARGV[10 + 5 * i]
        held[#held + 1] = tostring(tonumber(first[2]) + 60000 - now)
      end
    end
    if ok then
      redis.call('ZADD', KEYS[1], now + lease, token)
      if site_max > 0 then
        redis.call('ZADD', inflight, now + lease, token)
        redis.call('PEXPIRE', inflight, lease)
      end
      if site_rate > 0 then
        redis.call('ZADD', calls, now, token)
        redis.call('PEXPIRE', calls, 60000)
      end
      free = free - 1
      granted[#granted + 1] = token
      if tonumber(tag) > top then top = tonumber(tag) end
    end
  end
end
if waiting then
  redis.call('ZADD', KEYS[2], waiting, ARGV[4])
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[4])
else
  redis.call('ZREM', KEYS[3], ARGV[4])
end
if top > tonumber(redis.call('HGET', KEYS[4], '~now') or '0') then
  redis.call('HSET', KEYS[4], '~now', string.format('%.17g', top))
end
return {granted, held, free}
"""
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local free = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
if free > 0 then
  for _, owner in ipairs(redis.call('ZRANGE', KEYS[2], 0, free - 1)) do
    local wake = ARGV[2] .. owner
    redis.call('LPUSH', wake, '1')
    redis.call('LTRIM', wake, 0, 0)
    redis.call('PEXPIRE', wake, 10000)
  end
end
return free
"""

# An owner that stops asking (its process died) stops counting as waiting after this long.
WAITER_ALIVE_MS = 5000


class RedisFleetState:
    """Sites, clocks and slots in Redis."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "atai"):
        import redis

        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix
        self._scripts = {name: self.redis.register_script(source) for name, source in (
            ("reserve", _RESERVE), ("advance", _ADVANCE), ("acquire", _ACQUIRE), ("release", _RELEASE))}

    @property
    def _sites(self) -> str:
        return f"{self.prefix}:sites"

    def _clock(self, clock: str) -> str:
        return f"{self.prefix}:fair:{clock}"

    def _slots(self, limit_key: str) -> tuple[str, str, str]:
        base = f"{self.prefix}:slots:{limit_key}"
        return base, base + ":waiting", base + ":alive"

    def _site_keys(self, site_id: str) -> tuple[str, str]:
        base = f"{self.prefix}:site:{site_id}"
        return base + ":inflight", base + ":calls"

    def close(self) -> None:
        """Release the connection pool."""
        self.redis.close()

    def get_site(self, site_id: str) -> dict | None:
        """The stored record of a site, or None."""
        text = self.redis.hget(self._sites, site_id)
        return None if text is None else orjson.loads(text)

    def put_site(self, record: dict) -> None:
        """Store a site's record, replacing any earlier one."""
        self.redis.hset(self._sites, record["id"], orjson.dumps(record).decode())

    def delete_site(self, site_id: str) -> bool:
        """Forget a site; False when there was none."""
        return bool(self.redis.hdel(self._sites, site_id))

    def list_sites(self) -> list[dict]:
        """Every site's record, by id."""
        return [orjson.loads(text) for _, text in sorted(self.redis.hgetall(self._sites).items())]

    def reserve(self, clock: str, site_id: str, weight: float, count: int, started: float = 0.0) -> float:
        """The first of `count` fair-share tags for the site on the clock."""
        return float(self._scripts["reserve"](keys=[self._clock(clock)],
                                              args=[site_id, repr(float(weight)), count, repr(float(started))]))

    def advance(self, clock: str, tag: float) -> None:
        """A tag was started: move the clock's virtual time up to it."""
        self._scripts["advance"](keys=[self._clock(clock)], args=[repr(float(tag))])

    def acquire(self, limit_key: str, limit: int, owner: str, claims: list[Claim], lease: float) -> Grant:
        """Give slots to the claims in fair order (see FleetState.acquire)."""
        keys = [*self._slots(limit_key), self._clock("items")]
        args = [int(time.time() * 1000), int(lease * 1000), limit, owner, WAITER_ALIVE_MS]
        for claim in claims:
            keys += self._site_keys(claim.site_id)
            args += [claim.token, repr(float(claim.tag)), claim.site_max_in_flight or 0,
                     claim.site_rate_per_minute or 0, claim.site_id]
        granted, held, free = self._scripts["acquire"](keys=keys, args=args)
        held_back = {site: (None if float(ms) < 0 else float(ms) / 1000) for site, ms in zip(held[::2], held[1::2])}
        return Grant(tuple(granted), int(free), held_back)

    def renew(self, limit_key: str, tokens: list[tuple[str, str]], lease: float) -> None:
        """Extend the leases of held slots."""
        if not tokens:
            return
        until = int((time.time() + lease) * 1000)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self._slots(limit_key)[0], {token: until for token, _ in tokens}, xx=True)
        for token, site_id in tokens:
            inflight = self._site_keys(site_id)[0]
            pipe.zadd(inflight, {token: until}, xx=True)
            pipe.pexpire(inflight, int(lease * 1000))
        pipe.execute()

    def release(self, limit_key: str, token: str, site_id: str, limit: int) -> None:
        """Give a slot back and wake the owners waiting first."""
        holders, waiting, _ = self._slots(limit_key)
        self._scripts["release"](keys=[holders, waiting, self._site_keys(site_id)[0]],
                                 args=[token, f"{self.prefix}:wake:", limit])

    def wait(self, owner: str, timeout: float) -> None:
        """Block on this owner's wake-up list until a release pushes to it, or `timeout` seconds pass."""
        # BLPOP takes whole milliseconds' worth of seconds as a float since Redis 6.
        self.redis.blpop([f"{self.prefix}:wake:{owner}"], timeout=max(0.01, round(timeout, 3)))
