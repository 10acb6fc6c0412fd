"""Fair order: sites take turns, weighted by their setting, whatever order their work arrived in.

Every run and every item gets a tag from its site's virtual clock in the fleet state (start-time fair
queueing): a site's k-th waiting unit is tagged k/weight after the clock's present, so a site that sends 500
items and one that sends 10 alternate instead of the second waiting behind the first. Runs leave the queue
in tag order (the tag is the Huey task's priority), items start in tag order (FairPool), and model slots are
handed out in tag order across every consumer (limits.py). The clocks live in the fleet state, so the order
holds across every consumer that shares it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from .fleet import FleetState
from .tenants import DEFAULT_SITE, Site

log = logging.getLogger(__name__)

RUNS_CLOCK = "runs"
ITEMS_CLOCK = "items"


@dataclass(frozen=True)
class Share:
    """One item's place in the fair order: its site, its tag, and its site's own limits on model calls."""

    site_id: str = DEFAULT_SITE
    tag: float = 0.0
    max_in_flight: int | None = None
    rate_per_minute: int | None = None
    # True once the item's run was cancelled or taken over: a call still waiting for its slot gives up.
    stopped: Callable[[], bool] | None = field(default=None, compare=False)


_current = threading.local()


def current_share() -> Share:
    """The share of the item this thread works on (the default share outside a FairPool)."""
    return getattr(_current, "share", None) or Share()


@contextmanager
def acting_as(share: Share):
    """current_share() is `share` in this thread for the duration of the block."""
    _current.share = share
    try:
        yield
    finally:
        _current.share = None


def run_tag(state: FleetState, site: Site) -> float:
    """The tag of a new run of the site: its place in the queue."""
    return state.reserve(RUNS_CLOCK, site.id, site.weight, 1)


def item_shares(state: FleetState, site: Site, count: int, started: float = 0.0,
                stopped: Callable[[], bool] | None = None) -> list[Share]:
    """The shares of `count` new items of the site, in plan order; `started` is the largest tag started here."""
    first = state.reserve(ITEMS_CLOCK, site.id, site.weight, count, started)
    return [Share(site.id, first + n / site.weight, site.max_in_flight, site.rate_per_minute, stopped)
            for n in range(count)]


class Backlog:
    """Items planned in this process and not finished yet, per site: at most `limit`, counted before planning.

    A run counts its largest possible size (its max_items, at most the limit) before it is fetched, and gives
    back what it did not plan; runs take their turn in the order they asked. So the items held in memory stay
    bounded, and other consumers get their share of the queue. A site with nothing here may still come in,
    up to twice the limit, so that a small site is not held up behind a large site's planned items.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._per_site: Counter[str] = Counter()
        self._total = 0
        self._turns: list[int] = []
        self._tickets = itertools.count()
        self._changed = threading.Condition()

    def reserve(self, site_id: str, count: int) -> int:
        """Block until `count` more items of the site fit, then count them; returns how many were counted."""
        count = min(count, self.limit)
        with self._changed:
            ticket = next(self._tickets)
            self._turns.append(ticket)
            while not self._fits(site_id, count, ticket):
                self._changed.wait()
            self._turns.remove(ticket)
            self._per_site[site_id] += count
            self._total += count
            self._changed.notify_all()
        return count

    def _fits(self, site_id: str, count: int, ticket: int) -> bool:
        if self._turns[0] == ticket and self._total + count <= self.limit:
            return True
        return self._per_site[site_id] == 0 and self._total + count <= 2 * self.limit

    def add(self, site_id: str, count: int) -> None:
        """Count `count` more items of the site without waiting (a run larger than the limit)."""
        with self._changed:
            self._per_site[site_id] += count
            self._total += count

    def release(self, site_id: str, count: int = 1) -> None:
        """`count` items of the site finished, or were counted and not planned."""
        if count <= 0:
            return
        with self._changed:
            self._per_site[site_id] -= count
            if self._per_site[site_id] <= 0:
                del self._per_site[site_id]
            self._total -= count
            self._changed.notify_all()


class FairPool:
    """Up to `threads` threads that run tasks in tag order, smallest first; each task sees its share."""

    def __init__(self, threads: int, name: str):
        self.threads = threads
        self.name = name
        self.last_started = 0.0
        self._heap: list = []
        self._order = itertools.count()
        self._workers: list[threading.Thread] = []
        self._idle = 0
        self._closed = False
        self._changed = threading.Condition()

    def submit(self, share: Share, fn, *args) -> None:
        """Queue fn(*args) to run, in the order of share.tag, with current_share() returning share."""
        with self._changed:
            if self._closed:
                raise RuntimeError("scheduler: the pool is shut down")
            heapq.heappush(self._heap, (share.tag, next(self._order), share, fn, args))
            if self._idle == 0 and len(self._workers) < self.threads:
                worker = threading.Thread(target=self._work, name=f"{self.name}-{len(self._workers)}", daemon=True)
                self._workers.append(worker)
                worker.start()
            else:
                self._changed.notify()

    def shutdown(self) -> None:
        """Drop the tasks not started; wait for the running ones."""
        with self._changed:
            self._closed = True
            self._heap.clear()
            self._changed.notify_all()
        for worker in self._workers:
            worker.join()

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._heap and not self._closed:
                    self._idle += 1
                    self._changed.wait()
                    self._idle -= 1
                if not self._heap:
                    return
                tag, _, share, fn, args = heapq.heappop(self._heap)
                self.last_started = max(self.last_started, tag)
            try:
                with acting_as(share):
                    fn(*args)
            except Exception:
                log.exception("task failed in %s", self.name)
