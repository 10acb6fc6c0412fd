"""The job queue: Huey (SQLite in ATAI_DATA_DIR, or Redis), one task per run, and the reaper.

The queue only says "look at this run"; the run store says what is left to do. So a task may be lost
(the process died after taking it) or duplicated (the reaper re-enqueued a run that was merely slow)
without harm: the reaper re-enqueues runs whose lease expired or whose queue entry is gone, and a
duplicate task finds the run held or finished and does nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from huey import PriorityRedisHuey, SqliteHuey
from huey.registry import Message
from huey.serializer import Serializer

from .fleet import open_fleet
from .owners import is_dead_here
from .settings import Settings
from .store import RunStore
from .tenants import SiteRegistry, callback_for

if TYPE_CHECKING:
    from .callback import Callbacks
    from .runner import Runner

log = logging.getLogger(__name__)

QUEUE_NAME = "atai"
# How often the reaper looks for runs whose lease (Settings.lease_seconds) expired or whose consumer died.
REAP_EVERY = 5.0


class JsonSerializer(Serializer):
    """Huey messages as JSON: what is in the queue is data, never code.

    Huey's default serializer is pickle, and unpickling runs whatever the bytes say: anyone who could
    write to the queue (a Redis on the network, a writable SQLite file) would run code in the worker.
    Our one task takes a run id, so JSON holds every message we make; anything else is refused.
    """

    def _serialize(self, data) -> bytes:
        if not isinstance(data, Message):
            raise TypeError(f"jobs: only task messages are queued, not {type(data).__name__}")
        return json.dumps(data._asdict(), separators=(",", ":")).encode()

    def _deserialize(self, data: bytes) -> Message:
        try:
            fields = json.loads(data)
        except ValueError:
            fields = None
        if not isinstance(fields, dict) or not set(fields) <= set(Message._fields) or \
                not isinstance(fields.get("args"), list) or not all(isinstance(a, str) for a in fields["args"]):
            raise ValueError("jobs: a queue entry is not a task message of ours; ignored")
        fields["args"] = tuple(fields["args"])
        return Message(**fields)


class Jobs:
    """The Huey instance and the process_run task; the API enqueues, the consumer executes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # Tasks leave the queue by priority (the run's fair-share tag, scheduler.py), not in arrival order.
        if settings.redis_url:
            self.huey = PriorityRedisHuey(QUEUE_NAME, url=settings.redis_url, results=False,
                                          serializer=JsonSerializer())
            _drop_list_queue(self.huey)
            self.backend = "redis"
        else:
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(QUEUE_NAME, filename=str(Path(settings.data_dir) / "queue.db"), results=False,
                                   serializer=JsonSerializer())
            self.backend = "sqlite"
        self.runner: "Runner | None" = None

        @self.huey.task(name="process_run", context=True)
        def process_run(run_id: str, task=None) -> None:
            """Work on one run (consumer side)."""
            if self.runner is None:
                raise RuntimeError("jobs: the consumer has no runner")
            self.runner.process_run(run_id, run_tag=-task.priority if task.priority else None)

        self._process_run = process_run

    def enqueue(self, run_id: str, tag: float | None = None) -> None:
        """Queue one run for the consumer, in the order of its fair-share tag (None: before every tagged run)."""
        self._process_run(run_id, priority=None if tag is None else -tag)

    def pending_count(self) -> int:
        """How many tasks wait in the queue."""
        return self.huey.pending_count()

    def pending_run_ids(self) -> set[str]:
        """The run ids of every task waiting in the queue."""
        run_ids = set()
        for data in self.huey.storage.enqueued_items():
            try:
                task = self.huey.deserialize_task(data)
            except Exception:
                continue  # not ours (JsonSerializer refused it): the consumer drops it when it comes up
            if task.args:
                run_ids.add(task.args[0])
        return run_ids


def _drop_list_queue(huey) -> None:
    """A queue left by a version that queued in arrival order is a list where a sorted set goes now: drop it.

    Its runs are still queued in the run store, and the reaper enqueues them again (their tasks are missing).
    """
    storage = huey.storage
    try:
        if storage.conn.type(storage.queue_key) in (b"list", "list"):
            storage.conn.delete(storage.queue_key)
            log.warning("queue in the old format dropped; the reaper enqueues its runs again")
    except Exception:
        log.exception("queue format not checked")


class Reaper:
    """Re-enqueues stalled runs and purges old ones, at start and every REAP_EVERY seconds, from one thread.

    A run taken back from a consumer that stopped may hold drafts the site has not heard of: with
    `callbacks`, the site is told at once, before the run is even resumed (issue 16).
    """

    def __init__(self, jobs: Jobs, store: RunStore, interval: float = REAP_EVERY, grace: float | None = None,
                 callbacks: "Callbacks | None" = None, sites: SiteRegistry | None = None):
        self.jobs = jobs
        self.store = store
        # Whose run it is says where its callback may go and what signs it (tenants.callback_for).
        self.sites = sites or SiteRegistry(open_fleet(jobs.settings), jobs.settings.worker_secret)
        self.interval = interval
        self.grace = jobs.settings.lease_seconds if grace is None else grace
        self.callbacks = callbacks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="atai-reaper", daemon=True)

    def start(self) -> None:
        """Sweep now, then every `interval` seconds, in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """End the sweeping thread after its current sweep."""
        self._stop.set()

    def _loop(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("reaper sweep failed")
            if self._stop.wait(self.interval):
                return

    def sweep(self) -> list[str]:
        """Re-enqueue runs whose consumer died, whose lease expired or whose queue entry is lost; returns their ids."""
        requeued = []
        # A consumer of this machine that died (killed, out of memory) frees its runs now, not when
        # their leases run out: the first sweep of a consumer that starts after it picks them up.
        for run_id, owner in self.store.held_leases():
            if is_dead_here(owner) and self.store.requeue(run_id, dead_owner=owner):
                self._resume(run_id)
                requeued.append(run_id)
                log.info("run reclaimed from a dead consumer run_id=%s owner=%s", run_id, owner)
        # Read the queue before the store: a run still queued in the store after that and missing from
        # the queue lost its task (a task is taken and claimed within moments, not `grace` seconds).
        pending = self.jobs.pending_run_ids()
        for run_id, state in self.store.stalled_runs(queued_before=time.time() - self.grace):
            if state == "queued" and run_id in pending:
                continue
            if self.store.requeue(run_id):
                self._resume(run_id)
                requeued.append(run_id)
                log.info("run re-enqueued run_id=%s was=%s", run_id, state)
        purged = self.store.purge()
        if purged:
            log.info("purged %d old runs", purged)
        return requeued

    def _resume(self, run_id: str) -> None:
        """Enqueue the run again, and tell its site about the drafts it holds already."""
        self.jobs.enqueue(run_id)
        record = self.store.get_run(run_id) if self.callbacks is not None else None
        if record is not None and record.planned and (record.request or {}).get("callback_url"):
            # Signed with the site's own secret, and only where its pattern allows.
            target = callback_for(record, self.sites.get(record.site_id), self.jobs.settings.worker_secret)
            if target is not None:
                self.callbacks.send(target[0], run_id, "running", secret=target[1])
