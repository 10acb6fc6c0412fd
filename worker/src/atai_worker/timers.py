"""Calls made later, from one thread: an item or a callback waiting to be tried again holds no worker thread
and no model slot while it waits.

The calls must be quick (they hand the work to a pool); a call that raises is logged and the others go on.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Timers:
    """Runs each call at its time, in order, from one daemon thread."""

    def __init__(self, name: str = "atai-timers"):
        self._due: list[tuple[float, int, Callable, tuple]] = []
        self._order = itertools.count()  # equal times keep their order, and calls are never compared
        self._changed = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def call_later(self, delay: float, call: Callable, *args) -> None:
        """Run call(*args) in `delay` seconds (nothing, once stopped)."""
        with self._changed:
            if self._stopped:
                return
            heapq.heappush(self._due, (time.monotonic() + max(delay, 0.0), next(self._order), call, args))
            self._changed.notify()

    def stop(self) -> None:
        """Drop the calls not made yet and end the thread."""
        with self._changed:
            self._stopped = True
            self._due.clear()
            self._changed.notify()
        self._thread.join(5)

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and (not self._due or self._due[0][0] > time.monotonic()):
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due else None)
                if self._stopped:
                    return
                _, _, call, args = heapq.heappop(self._due)
            try:
                call(*args)
            except Exception:
                log.exception("timed call failed call=%s", getattr(call, "__qualname__", call))
