"""Model slots shared by the whole fleet: the per-endpoint in-flight limit and each site's own limits hold
across every consumer on every machine that shares the fleet state (Redis, or one machine's SQLite file).

A slot is a lease in the fleet state, renewed while the call runs, so the slots of a consumer that was
killed come back on their own once their lease ends. In each process one broker thread per endpoint asks
for slots on behalf of the waiting calls, smallest fair-share tag first (scheduler.Share), and registers
the smallest tag it could not serve, so that other processes let it go first: the order of slots is fair
across sites, not first come first served. A release wakes the processes waiting first (Redis) or is seen
at the next poll (SQLite).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import RewriteError
from .fleet import Claim, FleetState
from .scheduler import current_share

log = logging.getLogger(__name__)

# A slot's lease, and how often the calls still running renew theirs: a killed consumer's slots are free
# again within SLOT_LEASE seconds.
SLOT_LEASE = 30.0
RENEW_EVERY = 5.0
# The most claims one acquire carries: a few per site, so that sites held back by their own limits do not
# crowd out the others.
MAX_CLAIMS = 64
# A site at its own in-flight maximum is asked about again after this long (sooner if one of its calls here ends).
SITE_BUSY_RETRY = 0.25
# How long a broker waits for a wake-up when every slot is taken (a release wakes it sooner).
WAIT_FOR_RELEASE = 1.0
# The tag of a call tried again: before every tag of the clocks, which start at 0.
AHEAD_TAG = -1.0


def limit_key(base_url: str, api_key: str) -> str:
    """The name of an endpoint's slots: one limit per endpoint and key, as the endpoint counts them."""
    return hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()[:24]


@dataclass(order=True)
class _Waiter:
    tag: float
    order: int
    claim: Claim = field(compare=False)
    stopped: Callable[[], bool] | None = field(compare=False, default=None)  # the share's check
    granted: threading.Event = field(compare=False, default_factory=threading.Event)
    given_up: bool = field(compare=False, default=False)


class SharedGate:
    """The slots of one endpoint for this process: at most `limit` calls in flight across the fleet."""

    def __init__(self, state: FleetState, key: str, limit: int, owner: str):
        self.state = state
        self.key = key
        self.limit = limit
        self.waiter_id = f"{owner}/{key}"
        self._waiting: list[_Waiter] = []
        self._held: dict[str, tuple[str, float]] = {}  # token -> (site id, when renewed)
        self._busy_sites: dict[str, float] = {}  # site id -> monotonic time to ask again
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        self._broker: threading.Thread | None = None

    def set_limit(self, limit: int) -> None:
        """Change the limit; each call counts against the limit its own run asked for."""
        self.limit = limit

    @contextmanager
    def slot(self, ahead: bool = False):
        """Hold one slot for the duration of a call, granted in fair order; an item tried again (`ahead`)
        goes before every first try, here and in every other process."""
        share = current_share()
        tag = AHEAD_TAG if ahead else share.tag
        waiter = _Waiter(tag, next(self._order), Claim(uuid.uuid4().hex, tag, share.site_id, share.max_in_flight,
                                                       share.rate_per_minute), share.stopped)
        with self._changed:
            heapq.heappush(self._waiting, waiter)
            if self._broker is None:
                self._broker = threading.Thread(target=self._serve, name=f"atai-slots-{self.key[:8]}", daemon=True)
                self._broker.start()
            self._changed.notify()
        waiter.granted.wait()
        if waiter.given_up:
            raise RewriteError("rewrite: not called, the run was cancelled or taken over by another consumer",
                               code="run_stopped")
        try:
            yield
        finally:
            with self._changed:
                self._held.pop(waiter.claim.token, None)
                self._busy_sites.pop(share.site_id, None)
            try:
                self.state.release(self.key, waiter.claim.token, share.site_id, self.limit)
            except Exception as exc:
                # The lease runs out by itself; until then the fleet has one slot fewer.
                log.warning("slot not released limit=%s error=%s", self.key[:8], type(exc).__name__)

    def stop(self) -> None:
        """End the broker once no call waits any more."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def _claims(self) -> list[Claim]:
        """The waiting claims to ask for, smallest tag first, a few per site, skipping sites held back.

        Calls of runs that were stopped meanwhile give up here, before they take a slot.
        """
        stopped = [w for w in self._waiting if w.stopped is not None and w.stopped()]
        if stopped:
            self._waiting = [w for w in self._waiting if w not in stopped]
            heapq.heapify(self._waiting)
            for waiter in stopped:
                waiter.given_up = True
                waiter.granted.set()
        now = time.monotonic()
        per_site: Counter[str] = Counter()
        claims = []
        for waiter in sorted(self._waiting):
            site_id = waiter.claim.site_id
            if self._busy_sites.get(site_id, 0) > now or per_site[site_id] >= self.limit:
                continue
            per_site[site_id] += 1
            claims.append(waiter.claim)
            if len(claims) == MAX_CLAIMS:
                break
        return claims

    def _serve(self) -> None:
        renewed = time.monotonic()
        while True:
            with self._changed:
                while not self._waiting and not self._stopped:
                    self._changed.wait(RENEW_EVERY if self._held else None)
                    if self._held and time.monotonic() - renewed >= RENEW_EVERY:
                        break
                if self._stopped and not self._waiting:
                    return
                claims = self._claims()
                held = [(token, site) for token, (site, _) in self._held.items()]
            if time.monotonic() - renewed >= RENEW_EVERY:
                renewed = time.monotonic()
                try:
                    self.state.renew(self.key, held, SLOT_LEASE)
                except Exception as exc:
                    log.warning("slot leases not renewed limit=%s error=%s", self.key[:8], type(exc).__name__)
            if not claims:
                self._wait_for_sites()
                continue
            try:
                grant = self.state.acquire(self.key, self.limit, self.waiter_id, claims, SLOT_LEASE)
            except Exception as exc:
                log.warning("slots not acquired limit=%s error=%s", self.key[:8], type(exc).__name__)
                time.sleep(0.5)
                continue
            self._hand_out(grant.tokens, grant.held_back)
            if len(grant.tokens) < len(claims):
                # Full: a release wakes us. Slots free but others ahead, or sites held back: look again soon.
                timeout = WAIT_FOR_RELEASE if grant.free <= 0 else SITE_BUSY_RETRY
                try:
                    self.state.wait(self.waiter_id, timeout)
                except Exception:
                    time.sleep(timeout)

    def _hand_out(self, tokens: tuple[str, ...], held_back: dict[str, float | None]) -> None:
        granted = set(tokens)
        now = time.monotonic()
        with self._changed:
            for site_id, retry_in in held_back.items():
                self._busy_sites[site_id] = now + (SITE_BUSY_RETRY if retry_in is None else max(retry_in, 0.01))
            if not granted:
                return
            keep = []
            for waiter in self._waiting:
                if waiter.claim.token in granted:
                    self._held[waiter.claim.token] = (waiter.claim.site_id, now)
                    waiter.granted.set()
                else:
                    keep.append(waiter)
            heapq.heapify(keep)
            self._waiting = keep

    def _wait_for_sites(self) -> None:
        """Every waiting call's site is held back by its own limits: wait until the first may go on."""
        with self._changed:
            if self._busy_sites:
                pause = min(self._busy_sites.values()) - time.monotonic()
                if pause > 0:
                    self._changed.wait(min(pause, RENEW_EVERY))
            now = time.monotonic()
            self._busy_sites = {site: until for site, until in self._busy_sites.items() if until > now}


class SharedLimits:
    """The shared gates of this process, one per endpoint and key; what the Rewriter asks for a slot."""

    def __init__(self, state: FleetState, owner: str):
        self.state = state
        self.owner = owner
        self._gates: dict[str, SharedGate] = {}
        self._lock = threading.Lock()

    def gate(self, endpoint) -> SharedGate:
        """The endpoint's gate, set to the limit of the run asking."""
        key = limit_key(endpoint.base_url, endpoint.api_key)
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = SharedGate(self.state, key, endpoint.max_in_flight, self.owner)
        gate.set_limit(endpoint.max_in_flight)
        return gate

    def close(self) -> None:
        """Stop every gate's broker (after the calls waiting on it)."""
        with self._lock:
            for gate in self._gates.values():
                gate.stop()
