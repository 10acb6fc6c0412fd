"""Time budgets per stage: a feed's parse or an item's stage that runs past its budget is given up.

One hostile entry must not hold its run forever: the watchdog records the item's error (or fails the run,
for the parse) and lets the run finish for the others, while the thread that was working on it is left to
end on its own, its late result thrown away. Python cannot stop a thread, so this bounds what the run
waits for, not the CPU spent; the real defence is that no stage does more than linear work on what a feed
sends (a regular expression that backtracks holds the interpreter lock, and then not even this watchdog
runs). The model call is not watched: it waits its turn at the endpoint's in-flight gate, and each call
is bounded by ATAI_AI_TIMEOUT.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

CHECK_EVERY = 0.5


class Watch:
    """One piece of work under a budget: its stage, since when, and who settled its outcome."""

    def __init__(self, stage: str, on_overrun: Callable[[str, float], None]):
        self._lock = threading.Lock()
        self.on_overrun = on_overrun
        self._settled_by: str | None = None
        self.stage = stage
        self.since = time.monotonic()

    def enter(self, stage: str) -> None:
        """The work moved on to `stage`; its budget starts now."""
        with self._lock:
            self.stage, self.since = stage, time.monotonic()

    def settle(self) -> bool:
        """Claim the outcome for the working thread; False when the watchdog gave the work up first."""
        with self._lock:
            self._settled_by = self._settled_by or "thread"
            return self._settled_by == "thread"

    def overrun(self, budgets: dict[str, float | None], now: float) -> tuple[str, float] | None:
        """(stage, budget) when the current stage ran past its budget and the watchdog now owns the outcome."""
        with self._lock:
            budget = budgets.get(self.stage)
            if self._settled_by or budget is None or now - self.since <= budget:
                return None
            self._settled_by = "watchdog"
            return self.stage, budget


class Watchdog:
    """Checks every watched piece of work twice a second, from one thread."""

    def __init__(self, budgets: dict[str, float | None]):
        self.budgets = budgets
        self._watches: set[Watch] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="atai-watchdog", daemon=True)
        self._thread.start()

    def watch(self, stage: str, on_overrun: Callable[[str, float], None]) -> Watch:
        """Start watching work that begins in `stage`; on_overrun(stage, budget) runs if it overruns."""
        watch = Watch(stage, on_overrun)
        with self._lock:
            self._watches.add(watch)
        return watch

    def forget(self, watch: Watch) -> None:
        """The work ended (or was given up): stop watching it."""
        with self._lock:
            self._watches.discard(watch)

    def stop(self) -> None:
        """End the checking thread."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(CHECK_EVERY):
            with self._lock:
                watches = list(self._watches)
            now = time.monotonic()
            for watch in watches:
                overrun = watch.overrun(self.budgets, now)
                if overrun is None:
                    continue
                self.forget(watch)
                try:
                    watch.on_overrun(*overrun)
                except Exception:
                    log.exception("giving up overrun work failed stage=%s", overrun[0])
