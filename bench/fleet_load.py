"""The load generator of the fleet benchmark: many sites speaking the worker's contract directly.

Each site does what its plugin would: it creates one run per feed, takes the signed callback (checking the
signature with its own token) and then collects the run, acknowledging its drafts and item errors; a
minute-long sweep stands in for the cron tick that collects runs whose callback was lost, and a run the
worker lost (404 before it was finished) is asked for again with the keys already received as seen_keys.
It keeps, per feed, which run delivered each item key, so that afterwards every item can be checked to
have exactly one draft or one error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# The sweep collects a run again when nothing was heard of it for this long (the plugin's cron minute).
SWEEP_AFTER = 60.0


@dataclass
class Feed:
    site_id: str
    feed_id: int
    url: str
    items: int


@dataclass
class RunTrack:
    run_id: str
    feed: Feed
    created: float
    finished: float | None = None
    collected: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Outcomes:
    """What the site received: per feed, item key -> [(run id, "draft" or the error code)]."""

    by_feed: dict[int, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)
    last_draft_at: float | None = None

    def add(self, feed_id: int, key: str, run_id: str, outcome: str, at: float) -> None:
        seen = self.by_feed.setdefault(feed_id, {}).setdefault(key, [])
        if all(run != run_id for run, _ in seen):  # the same run shows an item until it is acknowledged
            seen.append((run_id, outcome))
        self.last_draft_at = at if self.last_draft_at is None else max(self.last_draft_at, at)


class Site:
    """One site: its token, its feeds, its runs and what it received."""

    def __init__(self, site_id: str, token: str, feeds: list[Feed], large: bool, worker_url: str, ai: dict,
                 callback_url: str | None):
        self.id, self.token, self.feeds, self.large, self.ai, self.callback_url = (
            site_id, token, feeds, large, ai, callback_url)
        self.http = httpx.Client(base_url=worker_url, headers={"Authorization": f"Bearer {token}"}, timeout=60,
                                 limits=httpx.Limits(max_connections=4))
        self.runs: dict[str, RunTrack] = {}
        self.first_dispatch: float | None = None
        self.outcomes = Outcomes()
        self.redispatched = 0
        self.failed_runs = 0
        self.lock = threading.Lock()

    @property
    def expected(self) -> int:
        return sum(feed.items for feed in self.feeds)

    def received(self) -> int:
        with self.lock:
            return sum(len(keys) for keys in self.outcomes.by_feed.values())

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """The request, tried again while the worker is unreachable or answers 5xx (a restart in progress)."""
        deadline = time.monotonic() + 120
        while True:
            try:
                response = self.http.request(method, path, **kwargs)
                if response.status_code < 500:
                    return response
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.id}: {method} {path} kept failing")
            time.sleep(0.5)

    def dispatch(self, feed: Feed, clock) -> None:
        """Create the feed's run, skipping the keys received already."""
        with self.lock:
            seen = list(self.outcomes.by_feed.get(feed.feed_id, {}))
        body = {"feed": {"id": feed.feed_id, "url": feed.url}, "max_items": feed.items, "seen_keys": seen,
                "ai": self.ai, "callback_url": self.callback_url}
        response = self.request("POST", "/v1/runs", json=body)
        if response.status_code != 202:
            raise RuntimeError(f"{self.id}: run refused ({response.status_code}: {response.text[:200]})")
        run_id = response.json()["run_id"]
        with self.lock:
            self.runs[run_id] = RunTrack(run_id, feed, clock())
            if self.first_dispatch is None:
                self.first_dispatch = self.runs[run_id].created

    def knows(self, run_id: str) -> bool:
        """True for a run of this site (a callback may come before the run's creation was answered)."""
        with self.lock:
            return run_id in self.runs

    def collect(self, run_id: str, clock) -> None:
        """GET the run, note its drafts and errors, acknowledge them; finished once done and empty."""
        track = self.runs[run_id]
        with track.lock:
            if track.finished is not None:
                return
            track.collected = clock()
            response = self.request("GET", f"/v1/runs/{run_id}")
            if response.status_code == 404:
                return self._lost(track, clock)
            run = response.json()
            now = clock()
            keys = []
            with self.lock:
                for draft in run["drafts"]:
                    self.outcomes.add(track.feed.feed_id, draft["key"], run_id, "draft", now)
                    keys.append(draft["key"])
                for error in run["errors"]:
                    self.outcomes.add(track.feed.feed_id, error["key"], run_id, error["code"], now)
                    keys.append(error["key"])
            remaining = len(run["items"])
            if keys:
                ack = self.request("POST", f"/v1/runs/{run_id}/ack", json={"keys": keys})
                remaining = ack.json()["remaining"] if ack.status_code == 200 else remaining
            if run["state"] in ("done", "failed") and remaining == 0:
                track.finished = clock()
                if run["state"] == "failed":
                    with self.lock:
                        self.failed_runs += 1

    def _lost(self, track: RunTrack, clock) -> None:
        """The worker has no such run: it was finished and deleted, or lost; ask again for what is missing."""
        track.finished = clock()
        with self.lock:
            missing = len(self.outcomes.by_feed.get(track.feed.feed_id, {})) < track.feed.items
        if missing:
            with self.lock:
                self.redispatched += 1
            self.dispatch(track.feed, clock)

    def unfinished(self) -> list[RunTrack]:
        with self.lock:
            return [t for t in self.runs.values() if t.finished is None]


class CallbackReceiver:
    """The sites' callback routes (/cb/<site id>) on one loopback server. As the plugin does, a signed
    callback collects the run before it is answered, and the answer says so (contract: CallbackResult)."""

    def __init__(self, sites: dict[str, Site], on_callback):
        self.sites = sites
        self.bad_signatures = 0
        self.received = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                site = receiver.sites.get(self.path.removeprefix("/cb/").strip("/"))
                timestamp = self.headers.get("X-ATAI-Timestamp", "")
                good = site is not None and hmac.compare_digest(
                    self.headers.get("X-ATAI-Signature", ""),
                    "sha256=" + hmac.new(site.token.encode(), timestamp.encode() + b"." + body,
                                         hashlib.sha256).hexdigest())
                answer = b""
                if good:
                    receiver.received += 1
                    answer = json.dumps(on_callback(site, json.loads(body)["run_id"])).encode()
                else:
                    receiver.bad_signatures += 1
                self.send_response(200 if good else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Load:
    """Drive every site until each of its items has an outcome; `clock()` is seconds since the first run."""

    def __init__(self, collectors: int = 16):
        self.sites: list[Site] = []
        self.by_id: dict[str, Site] = {}
        self.pool = ThreadPoolExecutor(max_workers=collectors, thread_name_prefix="collect")
        self.receiver = CallbackReceiver(self.by_id, self._on_callback)
        self.started = time.monotonic()
        self.created_all_at = 0.0
        self.errors: list[str] = []

    def add_sites(self, sites: list[Site]) -> None:
        """The sites to drive (made once the receiver's port is known, for their callback URLs)."""
        self.sites += sites
        self.by_id.update((site.id, site) for site in sites)

    def clock(self) -> float:
        return time.monotonic() - self.started

    def callback_url(self, site_id: str) -> str:
        return f"http://127.0.0.1:{self.receiver.port}/cb/{site_id}"

    def _on_callback(self, site: Site, run_id: str) -> dict:
        """Collect the run now; a run whose creation is still being answered is collected when the worker
        sends the callback again."""
        collected = site.knows(run_id) and self._collect(site, run_id)
        return {"run_id": run_id, "collected": collected, "known": True}

    def _collect(self, site: Site, run_id: str) -> bool:
        try:
            site.collect(run_id, self.clock)
            return True
        except Exception as exc:  # noted and reported: the sweep tries the run again
            self.errors.append(f"{site.id} {run_id}: {exc}")
            return False

    def expected(self) -> int:
        return sum(site.expected for site in self.sites)

    def received(self) -> int:
        return sum(site.received() for site in self.sites)

    def run(self, deadline: float, progress=None) -> bool:
        """Create every run (large sites first, then each site's feeds in turn), then collect until every
        run is finished; True when that happened before `deadline` seconds."""
        self.started = time.monotonic()
        order = [s for s in self.sites if s.large] + [s for s in self.sites if not s.large]
        with ThreadPoolExecutor(max_workers=8) as creators:
            # Each site dispatches its feeds in order; the sites one after the other, as their ticks come.
            list(creators.map(lambda pair: pair[0].dispatch(pair[1], self.clock),
                              [(site, feed) for site in order for feed in site.feeds]))
        self.created_all_at = self.clock()
        while self.clock() < deadline:
            unfinished = [(site, t) for site in self.sites for t in site.unfinished()]
            if not unfinished:
                return True
            for site, track in unfinished:
                if self.clock() - max(track.collected, track.created) > SWEEP_AFTER:
                    track.collected = self.clock()
                    self.pool.submit(self._collect, site, track.run_id)
            if progress:
                progress(self)
            time.sleep(1.0)
        return False

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.receiver.close()
