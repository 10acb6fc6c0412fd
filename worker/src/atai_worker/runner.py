"""Works on runs in the consumer: claim, fetch, parse, select, then every item through the pipeline concurrently.

One Huey task per run plans it (fetch, parse, select the new entries, save the plan) and hands its items
to a process-wide item pool; the last item to finish closes the run. So the number of consumer threads
never caps how many model calls are in flight: only each endpoint's in-flight gate does. A run is worked
on only under its lease, renewed here every fifth of the lease; if the process dies, the reaper
re-enqueues the run (at once from a consumer on the same machine, else once the lease expired), and the
resumed run skips the fetch (its plan is saved), every item that already has a draft or an error, and
every model answer already stored (no second payment to the model).

A run finishes when its work does (issue 16): an item whose model call failed for a reason that will pass
is tried again within the run, after the endpoint's Retry-After or a growing backoff, from a timer and not
from a waiting thread; drafts ready while the run still waits on such an item are announced to the site
after PROGRESS_AFTER seconds; and a callback the site did not collect is sent again (callback.py).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field

from . import filters, parse
from .callback import Callbacks
from .endpoints import Endpoint, EndpointKeyRequired, resolve_endpoint
from .errors import FetchError, FilterError, ParseError, WorkerError
from .fetch import Fetcher
from .fleet import FleetState, open_fleet
from .image_store import open_image_store
from .images import ImageFetcher
from .limits import SharedLimits
from .models import Entry, source_hash
from .owners import consumer_id
from .pipeline import ITEM_STAGES, Pipeline, item_error, run_options
from .rewrite import Rewriter
from .scheduler import RUNS_CLOCK, Backlog, FairPool, Share, item_shares
from .sealed import UnreadableKey, unsealed_ai
from .settings import Settings
from .store import ItemRecord, RunRecord, RunStore
from .store.records import iso_time
from .tenants import Site, SiteRegistry, callback_for
from .timers import Timers
from .watchdog import Watch, Watchdog

log = logging.getLogger(__name__)

# Tries of one item within a run, for failures that will pass; the waits grow 1, 2, 4, 8... s (at least
# the endpoint's Retry-After), with up to a fifth added at random so that retries do not arrive together.
ITEM_TRIES = 6
MAX_BACKOFF = 30.0
# A ready draft waits at most this long for the rest of its run before the site is told to collect it.
PROGRESS_AFTER = 2.0


def retry_delay(attempt: int, asked: float) -> float:
    """Seconds to wait before try `attempt + 1`: the backoff or what the endpoint asked, whichever is longer,
    plus jitter."""
    return max(asked, min(2.0 ** (attempt - 1), MAX_BACKOFF)) * random.uniform(1.0, 1.2)


class LeaseKeeper:
    """Renews the leases of every run this process works on, from one thread of its own (item and plan
    threads can be busy for seconds; the renewals must not wait on them)."""

    def __init__(self, store: RunStore, owner: str, lease_seconds: float):
        self.store = store
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._runs: dict[str, "RunInProgress | None"] = {}  # claimed: their leases are renewed
        self._reserved: set[str] = set()  # taken by a thread of this process, not claimed yet
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="atai-leases", daemon=True)
        self._thread.start()

    def try_hold(self, run_id: str) -> bool:
        """Reserve the run for this thread; False if this process already works on it."""
        with self._lock:
            if run_id in self._runs or run_id in self._reserved:
                return False
            self._reserved.add(run_id)
            return True

    def claimed(self, run_id: str) -> None:
        """The store gave us the run's lease: renew it from now on (not before, or the renewal would fail)."""
        with self._lock:
            if run_id in self._reserved:
                self._reserved.discard(run_id)
                self._runs[run_id] = None

    def attach(self, run_id: str, run: "RunInProgress") -> None:
        """Tie a held run to its items, so that losing the lease stops them."""
        with self._lock:
            if run_id in self._runs:
                self._runs[run_id] = run

    def release(self, run_id: str) -> None:
        """Stop renewing the run's lease (it finished, or is left for the reaper)."""
        with self._lock:
            self._runs.pop(run_id, None)
            self._reserved.discard(run_id)

    def stop(self) -> None:
        """End the renewal thread; the leases it held run out."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.lease_seconds / 5):
            with self._lock:
                held = list(self._runs.items())
            for run_id, run in held:
                try:
                    kept = self.store.renew(run_id, self.owner, self.lease_seconds)
                except Exception:
                    log.exception("lease renewal failed run_id=%s", run_id)
                    continue
                with self._lock:
                    # Not held any more: the run finished while we renewed; nothing was lost.
                    if kept or run_id not in self._runs:
                        continue
                    del self._runs[run_id]
                # Another consumer took the run over (this one stalled past the lease): stop starting its items.
                log.warning("lease lost run_id=%s", run_id)
                if run is not None:
                    run.lost = True


@dataclass
class RunInProgress:
    """A planned run whose items are in the item pool."""

    record: RunRecord
    site: Site
    endpoint: Endpoint | None
    remaining: int
    changed: frozenset[str] = frozenset()  # keys of known entries whose source changed
    lost: bool = False
    progress_due: bool = False  # a progress callback is scheduled
    lock: threading.Lock = field(default_factory=threading.Lock)

    def item_finished(self) -> bool:
        """Count one item done; True for the last one."""
        with self.lock:
            self.remaining -= 1
            return self.remaining == 0

    def announce_progress(self) -> bool:
        """True when no progress callback is scheduled yet (and one is now)."""
        with self.lock:
            if self.progress_due:
                return False
            self.progress_due = True
            return True


@dataclass(frozen=True)
class ItemTry:
    """One try of an item: which, and since when (monotonic) it has failed for reasons that will pass."""

    item: ItemRecord
    attempt: int = 1
    failing_since: float | None = None
    share: Share = Share()  # its place in the fair order, kept for its retries


class Runner:
    """Processes runs in this consumer process; built once, shared by every Huey worker thread."""

    def __init__(self, settings: Settings, store: RunStore, *, fetcher: Fetcher | None = None,
                 rewriter: Rewriter | None = None, images: ImageFetcher | None = None, owner: str | None = None,
                 timers: Timers | None = None, callbacks: Callbacks | None = None, fleet: FleetState | None = None):
        self.settings = settings
        self.store = store
        self.owner = owner or consumer_id()
        self.fleet = fleet or open_fleet(settings)
        self.sites = SiteRegistry(self.fleet, settings.worker_secret)
        self.limits = SharedLimits(self.fleet, self.owner)
        self.fetcher = fetcher or Fetcher(allowed_hosts=settings.allowed_hosts, timeout=settings.fetch_timeout,
                                          max_bytes=settings.fetch_max_bytes)
        self.images = images or ImageFetcher(open_image_store(settings), allowed_hosts=settings.allowed_hosts,
                                             timeout=settings.image_timeout)
        self.pipeline = Pipeline(self.fetcher, rewriter or Rewriter(timeout=settings.ai_timeout, answers=store,
                                                                    limits=self.limits), self.images)
        # Enough threads that model calls wait on the endpoint gates, never on the pool. The pools start items
        # in fair order (scheduler.py): sites take turns, whatever order their runs came in.
        self.item_threads = max(64, settings.ai_max_in_flight + 16)
        self._pool = FairPool(self.item_threads, "atai-item")
        # Items without a model are CPU work (a page fetch at most): a few threads take them in turn, so runs
        # are done and posted one after the other, instead of every run finishing last.
        self._plain_pool = FairPool(settings.consumer_workers, "atai-plain")
        # Items tried again: threads of their own, so that they do not queue behind every item planned since.
        self._retry_pool = FairPool(16, "atai-retry")
        self.timers = timers or Timers()
        self.callbacks = callbacks or Callbacks(settings.worker_secret, self.timers)
        # Backpressure: do not plan more runs while this many items are waiting here, so that other
        # consumers (other machines on Redis) get their share of the queue.
        self.backlog = Backlog(2 * self.item_threads)
        self.leases = LeaseKeeper(store, self.owner, settings.lease_seconds)
        # Every stage but the model call (bounded by ATAI_AI_TIMEOUT, after its turn at the gate) has a budget.
        self.watchdog = Watchdog({stage: settings.stage_budget for stage in ("parse", *ITEM_STAGES)} | {"rewrite": None})

    def close(self) -> None:
        """Stop taking items; the ones already running finish and store their results."""
        self.timers.stop()  # items waiting for a retry stay pending; the resumed run tries them
        for pool in (self._pool, self._plain_pool, self._retry_pool):
            pool.shutdown()
        self.limits.close()
        self.callbacks.close()
        self.images.close()
        self.leases.stop()
        self.watchdog.stop()

    def process_run(self, run_id: str, run_tag: float | None = None) -> None:
        """The Huey task's body: claim the run, plan it if needed, queue its unfinished items."""
        if not self.leases.try_hold(run_id):
            log.info("run already in progress here run_id=%s", run_id)
            return
        record = self.store.claim(run_id, self.owner, self.settings.lease_seconds)
        if record is None:
            self.leases.release(run_id)
            log.info("run not claimable (finished or held elsewhere) run_id=%s", run_id)
            return
        self.leases.claimed(run_id)
        site = None
        try:
            if run_tag is not None:
                self.fleet.advance(RUNS_CLOCK, run_tag)
            site = self.sites.get(record.site_id)
            if site is None:
                self._close_run(record, "failed", error={
                    "code": "site_removed", "message": f"worker: the site {record.site_id} was removed"})
                return
            try:
                endpoint, _ = resolve_endpoint(unsealed_ai(record.request["ai"], self.settings.worker_secret),
                                               self.settings)
            except (UnreadableKey, EndpointKeyRequired) as exc:
                log.info("run failed run_id=%s code=%s", run_id, exc.code)
                self._close_run(record, "failed", site=site, error=exc.run_error())
                return
            counted = self.backlog.reserve(site.id, record.request["max_items"])
            items = None
            try:
                if record.planned:  # resumed: the plan is saved; do what is left of it (the reaper told the site)
                    items = [i for i in self.store.items(run_id) if i.state == "pending"]
                else:
                    items = self._plan(record, site)  # None: the run closed there
            finally:
                # Each started item gives its place back when it finishes; the rest are given back now.
                self.backlog.release(site.id, counted - min(len(items or ()), counted))
            if items is not None:
                self._start_items(record, items, site, endpoint, counted)
        except Exception:
            log.exception("run failed unexpectedly run_id=%s", run_id)
            try:
                self._close_run(record, "failed", site=site, error={
                    "code": "internal_error",
                    "message": "worker: unexpected error while processing the run; see the worker log"})
            except Exception:
                # The store is unreachable: the lease runs out and the reaper re-enqueues the run.
                log.exception("run not closed run_id=%s", run_id)

    def _plan(self, record: RunRecord, site: Site) -> list[ItemRecord] | None:
        """Fetch, parse and select; returns the planned items, or None when the run closed here."""
        feed_request = record.request["feed"]
        url = feed_request["url"]
        try:
            fetched = self.fetcher.fetch_feed(url, etag=feed_request.get("etag"),
                                              last_modified=feed_request.get("last_modified"))
        except FetchError as exc:
            log.info("run failed run_id=%s feed_url=%s stage=fetch code=%s", record.run_id, url, exc.code)
            # The status and Retry-After, when the server gave them, let the plugin tell a gone or throttled
            # feed from a broken one.
            error = exc.run_error()
            error.update((name, value) for name, value in (("status", exc.status), ("retry_after", exc.retry_after))
                         if value is not None)
            self._close_run(record, "failed", site=site, error=error)
            return None
        if fetched.not_modified:
            feed = {"title": None, "etag": fetched.etag or feed_request.get("etag"),
                    "last_modified": fetched.last_modified or feed_request.get("last_modified"),
                    "not_modified": True, "entries_total": 0, "entries_new": 0, "entries_deferred": 0,
                    "permanent_redirect": fetched.permanent_redirect}
            self._close_run(record, "done", site=site, feed=feed)
            return None
        watch = self.watchdog.watch("parse", lambda stage, budget: self._close_run(record, "failed", site=site, error={
            "code": "stage_timeout", "params": {"stage": "parse", "seconds": budget},
            "message": f"parse: reading the feed took longer than {budget:g} s, the time "
                       "budget of one stage (ATAI_STAGE_BUDGET); it was given up"}))
        try:
            parsed = parse.parse_feed(fetched.body, feed_id=record.feed_id, feed_url=url,
                                      content_type=fetched.content_type)
        except ParseError as exc:
            if watch.settle():
                log.info("run failed run_id=%s feed_url=%s stage=parse code=%s", record.run_id, url, exc.code)
                self._close_run(record, "failed", site=site, error=exc.run_error())
            return None
        finally:
            self.watchdog.forget(watch)
        if not watch.settle():
            log.warning("parse given up run_id=%s feed_url=%s", record.run_id, url)
            return None
        fresh, new_count, changed = select_entries(parsed.entries, set(record.request["seen_keys"]),
                                                   len(parsed.entries), known_hashes(record.request))
        try:
            # Before any article fetch or model call: what the filters leave out costs nothing.
            kept, skipped = filters.plan(fresh, record.request.get("options"), now=time.time())
        except FilterError as exc:
            self._close_run(record, "failed", site=site, error={"code": exc.code, "message": exc.message})
            return None
        # Known entries whose source changed come after the new ones; the filters chose those once already.
        owed = kept + changed
        selected = owed[:record.request["max_items"]]
        feed = {"title": parsed.title, "etag": fetched.etag, "last_modified": fetched.last_modified,
                "not_modified": False, "entries_total": len(parsed.entries), "entries_new": new_count,
                "entries_deferred": len(owed) - len(selected), "permanent_redirect": fetched.permanent_redirect,
                "skipped": [skip.to_dict() for skip in skipped]}
        if not self.store.save_plan(record.run_id, self.owner, feed, selected):
            log.warning("plan not saved, lease lost run_id=%s", record.run_id)
            return None
        log.info("run planned run_id=%s feed_url=%s items=%d", record.run_id, url, len(selected))
        return [ItemRecord(entry.key, entry, None, None) for entry in selected]

    def _start_items(self, record: RunRecord, items: list[ItemRecord], site: Site, endpoint: Endpoint | None,
                     counted: int) -> None:
        if not items:
            self._close_run(record, "done", site=site)
            return
        run = RunInProgress(record=record, site=site, endpoint=endpoint, remaining=len(items),
                            changed=frozenset(known_hashes(record.request)))
        self.leases.attach(record.run_id, run)
        pool = self._pool if endpoint is not None else self._plain_pool
        # An item with a model call has started when it gets its slot (the gate moves the clock); one
        # without, when the pool starts it.
        shares = item_shares(self.fleet, site, len(items), pool.last_started if endpoint is None else 0.0,
                             stopped=lambda: run.lost)
        if len(items) > counted:  # a run larger than the backlog's limit was counted up to the limit
            self.backlog.add(site.id, len(items) - counted)
        for item, share in zip(items, shares):
            pool.submit(share, self._process_item, run, ItemTry(item, share=share))

    def _process_item(self, run: RunInProgress, current: ItemTry) -> None:
        run_id, item = run.record.run_id, current.item
        watch = self.watchdog.watch("extract", lambda stage, budget: self._give_up_item(run, item, stage, budget))
        finished = True
        try:
            if run.lost:
                return
            try:
                request = run.record.request
                draft = self.pipeline.draft_for(item.entry, run.endpoint, run_options(request),
                                                on_stage=watch.enter, retried=current.attempt > 1,
                                                images=request.get("images"), source_changed=item.key in run.changed)
            except WorkerError as exc:
                # A run cancelled or taken over by another consumer: its items are not ours to record.
                if watch.settle() and not run.lost:
                    finished = not self._retry_later(run, current, exc)
                    if finished:
                        self._store_error(run, current, exc)
            else:
                if watch.settle():
                    self.store.set_item_result(run_id, item.key, draft=draft.to_dict())
                    log.info("item ready run_id=%s key=%s attempt=%d", run_id, item.key, current.attempt)
        except Exception:
            # The store itself failed: the item stays pending and the resumed run does it again.
            log.exception("item result not stored run_id=%s key=%s", run_id, item.key)
        finally:
            self.watchdog.forget(watch)
            if finished:
                self._item_finished(run, watch)

    def _give_up_item(self, run: RunInProgress, item: ItemRecord, stage: str, budget: float) -> None:
        """The item's stage ran past its budget: record the item's error, and let the run finish without it."""
        log.warning("item given up run_id=%s key=%s stage=%s", run.record.run_id, item.key, stage)
        message = (f"{stage}: the item took longer than {budget:g} s in this stage, the time budget of one stage "
                   "(ATAI_STAGE_BUDGET); it was given up")
        # A page may be slow today and fine tomorrow; the rest is the same work on the same text next time.
        self.store.set_item_result(run.record.run_id, item.key, error=item_error(
            item.entry, stage, "stage_timeout", message, retryable=stage == "extract",
            params={"stage": stage, "seconds": budget}))
        if run.item_finished() and not run.lost:
            self._finish_items(run)

    def _retry_later(self, run: RunInProgress, current: ItemTry, exc: WorkerError) -> bool:
        """Schedule another try of an item that failed for a reason that will pass, while the run's retry
        time allows; False when it does not (or the failure will not pass)."""
        if exc.retry_after is None or current.attempt >= ITEM_TRIES or run.lost:
            return False
        now = time.monotonic()
        since = current.failing_since if current.failing_since is not None else now
        delay = retry_delay(current.attempt, exc.retry_after)
        if now + delay > since + self.settings.item_retry_seconds:
            return False
        log.info("item retried later run_id=%s key=%s code=%s attempt=%d in_seconds=%.1f", run.record.run_id,
                 current.item.key, exc.code, current.attempt, delay)
        self.timers.call_later(delay, self._submit_retry, run,
                               ItemTry(current.item, current.attempt + 1, since, current.share))
        return True

    def _submit_retry(self, run: RunInProgress, current: ItemTry) -> None:
        try:
            self._retry_pool.submit(current.share, self._process_item, run, current)
        except RuntimeError:
            pass  # shutting down: the item stays pending and the resumed run does it

    def _store_error(self, run: RunInProgress, current: ItemTry, exc: WorkerError) -> None:
        item = current.item
        stage = exc.stage if exc.stage in ITEM_STAGES else "extract"
        retry_at = None
        if exc.retry_after is not None:  # the run's tries ran out: the site runs the feed again then
            retry_at = iso_time(math.ceil(time.time() + retry_delay(current.attempt, exc.retry_after)))
        log.info("item failed run_id=%s key=%s stage=%s code=%s attempt=%d retry_at=%s", run.record.run_id, item.key,
                 stage, exc.code, current.attempt, retry_at)
        self.store.set_item_result(run.record.run_id, item.key, error=item_error(
            item.entry, stage, exc.code, exc.message, exc.retryable, retry_at, exc.details, exc.params))

    def _item_finished(self, run: RunInProgress, watch: Watch) -> None:
        self.backlog.release(run.site.id)
        # An item the watchdog gave up was counted then; its late result is thrown away.
        if not watch.settle():
            return
        if run.item_finished():
            if not run.lost:
                self._finish_items(run)
        else:
            self._announce_progress(run)

    def _announce_progress(self, run: RunInProgress) -> None:
        """Tell the site in PROGRESS_AFTER seconds that drafts are ready, unless the run has finished by then."""
        if run.record.request.get("callback_url") and run.announce_progress():
            self.timers.call_later(PROGRESS_AFTER, self._send_progress, run)

    def _send_progress(self, run: RunInProgress) -> None:
        with run.lock:
            run.progress_due = False
            if run.remaining == 0 or run.lost:
                return  # finished (its final callback is on its way) or taken over
        self._callback(run.record, run.site, "running")

    def _finish_items(self, run: RunInProgress) -> None:
        """Close the run once the store has a result for every item; otherwise leave it to be resumed."""
        run_id = run.record.run_id
        try:
            if not self.store.pending_count(run_id):
                self._close_run(run.record, "done", site=run.site)
                return
        except Exception:
            log.exception("run not closed run_id=%s", run_id)
        # Some results were not stored: stop renewing the lease, so the reaper re-enqueues the run and
        # the resumed run does the missing items.
        log.warning("run left for resumption run_id=%s", run_id)
        self.leases.release(run_id)

    def _close_run(self, record: RunRecord, state: str, *, site: Site | None = None, feed: dict | None = None,
                   error: dict | None = None) -> None:
        self.leases.release(record.run_id)
        if not self.store.finish(record.run_id, self.owner, state, feed=feed, error=error):
            log.warning("run not closed, lease lost run_id=%s", record.run_id)
            return
        log.info("run %s run_id=%s", state, record.run_id)
        if (record.request or {}).get("callback_url"):
            self._callback(record, site or self.sites.get(record.site_id), state)

    def _callback(self, record: RunRecord, site: Site | None, state: str) -> None:
        """Tell the site, with its own secret and only where its pattern allows (tenants.callback_for)."""
        target = callback_for(record, site, self.settings.worker_secret)
        if target is not None:
            self.callbacks.send(target[0], record.run_id, state, secret=target[1])


def known_hashes(request: dict) -> dict[str, str]:
    """RunRequest.known as key -> the source_hash the plugin posted it with."""
    return {known["key"]: known["source_hash"] for known in request.get("known") or ()}


def select_entries(entries, seen_keys: set[str], max_items: int,
                   known: dict[str, str] | None = None) -> tuple[list[Entry], int, list[Entry]]:
    """The first `max_items` entries not seen before, in feed order; how many new entries there were; and the
    known entries (the plugin's posted ones, with the hash they were posted with) whose source changed."""
    known = known or {}
    new: list[Entry] = []
    changed: list[Entry] = []
    keys: set[str] = set()
    for entry in entries:
        if entry.key in keys:
            continue
        keys.add(entry.key)
        if entry.key in known:
            # Hashed only for the entries the plugin follows: hashing every article of every run costs.
            if source_hash(entry) != known[entry.key]:
                changed.append(entry)
        elif entry.key not in seen_keys:
            new.append(entry)
    return new[:max_items], len(new), changed

