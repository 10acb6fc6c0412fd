#!/usr/bin/env python3
"""Benchmark the whole stack: WordPress + plugin on MariaDB, the worker, a fake feed origin and model.

    .venv/bin/python bench/stack_bench.py              # both parts
    .venv/bin/python bench/stack_bench.py --ai-only    # only the AI part

Part "AI on": 20 feeds of 10 new items, the fake model answering in 1.0 s, at most 8 model calls in
flight (the worker's default): the time from the first trigger (one WP-Cron request) to the 200th
post, beside the ideal 200 x 1.0 s / 8 = 25 s.
Part "AI off": 20 feeds of 50 items of about 125 KB (content:encoded with an image), no AI endpoint:
the time to the 1,000th post and the database statements per post, beside three other plugins.
Each part then runs an idle pass over the same feeds (nothing new: conditional requests, 304s) and
reports the worker's memory. Each part provisions its own throwaway WordPress site ('bench') and
worker data directory, and removes them at the end. Figures are printed and written as JSON to
bench/results/<timestamp>.json; nothing here asserts on timing. bench/README.md explains each figure.

Exits non-zero when the stack fails (a deadline passes, posts are missing or doubled), never because
a figure misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import stack  # noqa: E402  (scripts/ is not a package)

RESULTS_DIR = REPO / "bench" / "results"
SITE_NAME = "bench"
TABLE_PREFIX = "wp_"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
POLL_SECONDS = 0.2
SAMPLE_SECONDS = 0.2
SYSTEM_CRON_PERIOD = 60.0

# What the issue measured for other plugins on this kind of machine (AI off, 1,000 posts of ~125 KB).
COMPETITORS = (
    {"name": "WP RSS Aggregator 5.2", "seconds": 13.0, "queries_per_post": 37.0, "conditional": False},
    {"name": "WPeMatico", "seconds": 15.6, "queries_per_post": 43.5, "conditional": False},
    {"name": "FeedWordPress", "seconds": 30.5, "queries_per_post": 87.0, "conditional": True},
)
COMPETITOR_IDLE_SECONDS = (0.7, 3.5)
AI_TARGET_RATIO = 1.25

# A must-use plugin for the throwaway site only: one JSON line per request saying which entry point
# (cron, the worker's callback, REST) created how many posts with how many queries. It observes; it
# changes nothing the plugin does.
PROBE_PHP = r"""<?php
/**
 * Request probe of bench/stack_bench.py (its throwaway site only): one JSON line per request.
 */
$GLOBALS['atai_bench_posts'] = 0;
add_action(
	'wp_insert_post',
	static function ( $post_id, $post, $update ) {
		if ( ! $update && 'post' === $post->post_type ) {
			++$GLOBALS['atai_bench_posts'];
		}
	},
	10,
	3
);
add_action(
	'shutdown',
	static function () {
		global $wpdb;
		$line = wp_json_encode(
			array(
				'path'    => (string) strtok( $_SERVER['REQUEST_URI'] ?? '', '?' ),
				'start'   => (float) ( $_SERVER['REQUEST_TIME_FLOAT'] ?? 0 ),
				'end'     => microtime( true ),
				'posts'   => $GLOBALS['atai_bench_posts'],
				'queries' => (int) $wpdb->num_queries,
				'memory'  => memory_get_peak_usage(),
			)
		);
		file_put_contents( WP_CONTENT_DIR . '/bench-probe.jsonl', $line . "\n", FILE_APPEND | LOCK_EX );
	},
	PHP_INT_MAX
);
"""


# A worker log line at WARNING or above (its message up to the first key=value), gunicorn's own, or a
# PHP warning or plugin failure in the PHP server's log.
_LOG_PROBLEM = re.compile(
    r" (?P<level>WARNING|ERROR|CRITICAL) \S+ (?P<message>.*?)(?: \w+=|$)"
    r"|\[(?P<gunicorn_level>WARNING|ERROR|CRITICAL)\] (?P<gunicorn_message>.*)"
    r"|(?P<php>PHP (?:Warning|Fatal error|Notice|Deprecated)|atai stage=\w+)")


class BenchFailure(Exception):
    """The stack did not do what the benchmark needs (a deadline passed, posts missing); says what happened."""


def log(message: str) -> None:
    """Progress on stderr, so the figures on stdout stay a clean report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- /proc: CPU time and memory of process trees -----------------------------------------------------

def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (index 0 is field 3, the state)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def process_trees(roots: dict[str, int | None]) -> dict[str, list[int]]:
    """Each root process with all its descendants alive now (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    trees = {}
    for name, root in roots.items():
        tree, todo = [], [root] if root is not None else []
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        trees[name] = tree
    return trees


def cpu_seconds(pids: list[int]) -> float:
    """utime+stime (and that of reaped children) of these processes, in seconds."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of these processes, summed."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
        except (OSError, IndexError, ValueError):
            pass
    return total


def high_water_bytes(pids: list[int]) -> int:
    """VmHWM (each process's peak resident memory since it started), summed."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def mariadb_pid() -> int | None:
    """The MariaDB server's pid, for its CPU time."""
    try:
        return int(Path("/run/mysqld/mysqld.pid").read_text().strip())
    except (OSError, ValueError):
        return None


class ProcessSampler:
    """Samples process trees while a pass runs: the resident memory of some every SAMPLE_SECONDS (keeping
    each peak), and the CPU time of all once a second (how many cores were busy, and with what)."""

    # Reading /proc for every process costs CPU on the machine being measured: find the trees' members
    # (and read their CPU time) once a second, read the memory of the few watched ones every sample.
    REFRESH_EVERY = 5

    def __init__(self, memory_roots: dict[str, int | None], cpu_roots: dict[str, int | None]):
        self.memory_roots = memory_roots
        self.cpu_roots = {**cpu_roots, **memory_roots}
        self.peaks = {name: 0 for name in memory_roots}
        self.samples = 0
        self.cpu_timeline: list[tuple[float, dict[str, float]]] = []
        self._trees = process_trees(self.cpu_roots)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="process-sampler", daemon=True)

    def current(self) -> dict[str, int]:
        """Resident bytes of each watched tree now."""
        return {name: rss_bytes(pids) for name, pids in process_trees(self.memory_roots).items()}

    def high_water(self) -> dict[str, int]:
        """Each watched tree's VmHWM, summed over its processes."""
        return {name: high_water_bytes(pids) for name, pids in process_trees(self.memory_roots).items()}

    def start(self) -> None:
        """Start sampling in a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.samples % self.REFRESH_EVERY == 0:
                self._trees = process_trees(self.cpu_roots)
                self.cpu_timeline.append((time.time(), {name: cpu_seconds(pids) for name, pids in self._trees.items()}))
            for name in self.memory_roots:
                self.peaks[name] = max(self.peaks[name], rss_bytes(self._trees[name]))
            self.samples += 1
            self._stop.wait(SAMPLE_SECONDS)

    def busy_cores(self, since: float, bucket: float = 5.0) -> list[dict]:
        """Cores busy per `bucket` seconds from `since`: in all, and by the worker (API + consumer)."""
        buckets = []
        points = [(at, cpu) for at, cpu in self.cpu_timeline if at >= since - 1]
        if len(points) < 2:
            return buckets
        edge, (start, first) = since + bucket, points[0]
        for at, cpu in points[1:]:
            if at >= edge or at == points[-1][0]:
                span = max(at - start, 0.001)
                worker = sum(cpu[k] - first[k] for k in ("worker_api", "worker_consumer") if k in cpu)
                buckets.append({"from": round(start - since, 1), "to": round(at - since, 1),
                                "all": round(sum(cpu[k] - first[k] for k in cpu) / span, 2),
                                "worker": round(worker / span, 2)})
                start, first, edge = at, cpu, edge + bucket
        return buckets


# --- MariaDB: one long-lived client -------------------------------------------------------------------

class SqlConsole:
    """One `mysql` client as root, kept open: a poll costs one statement and no process start.

    Every statement this client sends is counted, so the figures can take them out of MariaDB's
    server-wide Questions counter. Every query here returns exactly one row.
    """

    def __init__(self):
        self._process = subprocess.Popen(
            stack.privileged(["mysql", "--batch", "--skip-column-names", "--unbuffered"]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
        )
        self._lock = threading.Lock()
        self.sent = 0

    @property
    def pid(self) -> int:
        """The client's process id (its CPU time counts as the benchmark's)."""
        return self._process.pid

    def row(self, sql: str) -> list[str]:
        """Run a statement that returns one row; its values as strings."""
        with self._lock:
            self._process.stdin.write(sql.rstrip(";") + ";\n")
            self._process.stdin.flush()
            self.sent += 1
            line = self._process.stdout.readline()
        if not line:
            raise BenchFailure(f"mysql: the client stopped: {self._process.stderr.read().strip()}")
        return line.rstrip("\n").split("\t")

    def execute(self, sql: str) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        with self._lock:
            self._process.stdin.write(sql.rstrip(";") + "; SELECT ROW_COUNT();\n")
            self._process.stdin.flush()
            self.sent += 2
            line = self._process.stdout.readline()
        if not line:
            raise BenchFailure(f"mysql: the client stopped: {self._process.stderr.read().strip()}")
        return int(line.strip())

    def questions(self) -> int:
        """MariaDB's count of statements received from all clients (this statement included)."""
        return int(self.row("SHOW GLOBAL STATUS LIKE 'Questions'")[1])

    def close(self) -> None:
        """End the client."""
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


class DatabaseCounters:
    """Statements MariaDB received, minus this benchmark's own; and the site's server time (userstat)."""

    def __init__(self, console: SqlConsole, db_user: str):
        self.console = console
        self.db_user = db_user
        self.userstat_was = console.row("SELECT @@GLOBAL.userstat")[0]
        if self.userstat_was != "1":
            # Per-user statistics give the site's own server time; put back as found at the end.
            console.execute("SET GLOBAL userstat = 1")

    def restore(self) -> None:
        """Put userstat back as it was found."""
        if self.userstat_was != "1":
            self.console.execute(f"SET GLOBAL userstat = {int(self.userstat_was)}")

    def snapshot(self) -> dict:
        """Questions (server-wide), statements sent by this benchmark so far, the site user's busy/CPU time,
        and the commands of other database users (other sites' clients, which Questions counts too)."""
        questions = self.console.questions()
        busy, cpu, others = self.console.row(
            f"SELECT COALESCE(SUM(IF(USER = '{self.db_user}', BUSY_TIME, 0)), 0),"
            f" COALESCE(SUM(IF(USER = '{self.db_user}', CPU_TIME, 0)), 0),"
            f" COALESCE(SUM(IF(USER IN ('{self.db_user}', 'root'), 0,"
            " SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS)), 0) FROM information_schema.USER_STATISTICS")
        return {"questions": questions, "ours": self.console.sent, "busy": float(busy), "cpu": float(cpu),
                "others": int(others)}

    @staticmethod
    def delta(before: dict, after: dict) -> dict:
        """Statements others (WordPress, in practice) sent between two snapshots, and the site's DB time."""
        return {"statements": (after["questions"] - before["questions"]) - (after["ours"] - before["ours"]),
                "db_busy_seconds": round(after["busy"] - before["busy"], 3),
                "db_cpu_seconds": round(after["cpu"] - before["cpu"], 3),
                "other_sites_commands": after["others"] - before["others"]}


# --- The system cron: wp-cron.php once a minute ----------------------------------------------------------

@dataclass
class CronCall:
    """One wp-cron.php request: when it started, how long it took, its status."""
    start: float
    seconds: float
    status: int | str


class SystemCron:
    """Calls wp-cron.php like a system cron: at a start time and every minute after, until stopped."""

    def __init__(self, site_url: str):
        self.url = site_url + "/wp-cron.php?doing_wp_cron"
        self.calls: list[CronCall] = []
        self.origin = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def call(self) -> CronCall:
        """One timed GET of wp-cron.php (it runs the due events before it answers)."""
        started = time.time()
        try:
            with urllib.request.urlopen(self.url, timeout=180) as response:
                response.read()
                status: int | str = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            status = f"{type(error).__name__}: {error}"
        record = CronCall(started, time.time() - started, status)
        self.calls.append(record)
        return record

    def start_every_minute(self) -> CronCall:
        """Call now (the first trigger), then every minute in a thread."""
        self.origin = time.time()
        first = self.call()
        self._thread = threading.Thread(target=self._loop, name="system-cron", daemon=True)
        self._thread.start()
        return first

    def _loop(self) -> None:
        while not self._stop.wait(max(0.0, self.next_mark() - time.time())):
            self.call()

    def next_mark(self) -> float:
        """The next whole minute after the first call at which no call has been made yet."""
        minutes = max(1, int((time.time() - self.origin) // SYSTEM_CRON_PERIOD) + 1)
        return self.origin + minutes * SYSTEM_CRON_PERIOD

    def stop(self) -> None:
        """Stop calling; a call in progress finishes first."""
        self._stop.set()
        if self._thread:
            self._thread.join()


# --- One part of the benchmark --------------------------------------------------------------------------

@dataclass(frozen=True)
class PartSpec:
    """What one part of the benchmark runs."""
    key: str
    title: str
    feeds: int
    items: int
    item_bytes: int | None
    image: bool
    model_delay: float | None  # None: no AI endpoint configured
    deadline: float  # seconds from the first trigger to every post
    model_args: tuple[str, ...] = ()  # more options of the fake model (bench/chaos_bench.py)
    idle_passes: bool = True  # also measure the idle re-runs after the first pass


AI_PART = PartSpec("ai", "AI on: 20 feeds x 10 new items, fake model answering in 1.0 s, 8 in flight",
                   feeds=20, items=10, item_bytes=None, image=False, model_delay=1.0, deadline=150.0)
PLAIN_PART = PartSpec("plain", "AI off: 20 feeds x 50 items of ~125 KB (content:encoded with an image)",
                      feeds=20, items=50, item_bytes=125_000, image=True, model_delay=None, deadline=200.0)
MAX_IN_FLIGHT = 8


@dataclass
class PassResult:
    """What one pass over the feeds cost."""

    trigger: str
    seconds_to_last_post: float | None = None
    seconds_to_first_post: float | None = None
    seconds_to_all_closed: float | None = None
    posts: int = 0
    trigger_requests: list = field(default_factory=list)
    cron_requests: list = field(default_factory=list)
    feed_requests: int = 0
    feed_304s: int = 0
    statements: int = 0
    db_busy_seconds: float = 0.0
    db_cpu_seconds: float = 0.0
    other_sites_commands: int = 0
    site_requests: dict = field(default_factory=dict)
    cpu_seconds: dict = field(default_factory=dict)
    progress: list = field(default_factory=list)


class PartRun:
    """Provision, start, drive and measure one part; stop and remove everything in close()."""

    def __init__(self, spec: PartSpec, console: SqlConsole):
        self.spec = spec
        self.console = console
        self.site = stack.WordPressSite(SITE_NAME, free_port(), title="AutomationTools.AI benchmark", debug=False)
        self.secret = secrets.token_urlsafe(24)
        self.origin = stack.Process("bench-feed-origin", self.site.state_dir)
        self.origin_port = free_port()
        self.model = stack.Process("bench-model", self.site.state_dir)
        self.model_port = free_port()
        worker_env = {"ATAI_ALLOWED_HOSTS": "127.0.0.1"}
        if spec.model_delay is not None:
            worker_env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{self.model_port}/v1"
        self.worker = stack.Worker(self.site.state_dir, free_port(), self.secret, worker_env)
        self.app_password = ""
        self.feed_ids: list[int] = []
        self.counters: DatabaseCounters | None = None
        self.cron: SystemCron | None = None
        self.previous_cron_origin = 0.0
        self.previous_cron_calls: list[CronCall] = []
        self.result: dict = {"part": spec.key, "title": spec.title, "complete": False}

    @property
    def origin_url(self) -> str:
        """The fake feed origin's base URL."""
        return f"http://127.0.0.1:{self.origin_port}"

    @property
    def probe_log(self) -> Path:
        """The request probe's log, in the site's content directory."""
        return self.site.content_dir / "bench-probe.jsonl"

    def feed_url(self, number: int) -> str:
        """The generated feed of this part with the given number."""
        query = f"items={self.spec.items}"
        if self.spec.item_bytes:
            query += f"&size={self.spec.item_bytes}"
        if self.spec.image:
            query += "&image=1"
        return f"{self.origin_url}/gen/{self.spec.key}-{number:02d}.xml?{query}"

    # Set-up and tear-down.

    def start(self) -> None:
        """Provision the site and start the fakes, the worker and the web server."""
        log(f"{self.spec.key}: provisioning the '{SITE_NAME}' site on port {self.site.port}")
        self.site.provision(fresh=True, constants={
            "ATAI_WORKER_URL": self.worker.url, "ATAI_WORKER_SECRET": self.secret,
            # A system cron calls wp-cron.php (below), as on real sites; page loads then never run the tick.
            "DISABLE_WP_CRON": True,
        })
        self._install_probe()
        shutil.rmtree(self.worker.data_dir, ignore_errors=True)
        self.origin.start([sys.executable, str(REPO / "tests/fakes/feed_server.py"), "--port", str(self.origin_port)])
        if self.spec.model_delay is not None:
            self.model.start([sys.executable, str(REPO / "tests/fakes/model_server.py"), "--port",
                              str(self.model_port), "--delay", str(self.spec.model_delay), *self.spec.model_args])
            stack.wait_for_http(f"http://127.0.0.1:{self.model_port}/v1/models")
        stack.wait_for_http(self.origin_url + "/status/200")
        self.worker.start()
        self.site.serve()
        self.app_password = self.site.app_password("stack benchmark")
        # The origin's generated articles recombine the same 25 sentences, so long ones are near-duplicates of
        # each other by text: only identical texts count as one story here (the decision still runs).
        stack.rest(self.site, self.app_password, "POST", "atai/v1/settings", {"dedupe_threshold": 100})
        self.counters = DatabaseCounters(self.console, self.site.db_name)
        self.cron = SystemCron(self.site.url)

    def _install_probe(self) -> None:
        mu_plugins = self.site.content_dir / "mu-plugins"
        stack.run(stack.privileged(["mkdir", "-p", str(mu_plugins)]))
        probe = mu_plugins / "atai-bench-probe.php"
        probe.write_text(PROBE_PHP)
        probe.chmod(0o644)

    def log_problems(self) -> dict[str, int]:
        """Warnings and errors in the worker's and WordPress's logs, counted by their message."""
        problems: dict[str, int] = {}
        for process in (self.worker.api, self.worker.consumer, self.site.server):
            try:
                lines = process.log_file.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                match = _LOG_PROBLEM.search(line)
                if match:
                    level = match.group("level") or match.group("gunicorn_level") or ""
                    message = match.group("message") or match.group("gunicorn_message") or ""
                    kind = match.group("php") or f"{level.lower()}: {message.strip()}"
                    problems[kind] = problems.get(kind, 0) + 1
        return problems

    def close(self, keep_logs: Path | None) -> None:
        """Stop every process and remove the site; copy the logs first when asked to."""
        try:
            if self.cron:
                self.cron.stop()
            self.result["log_problems"] = self.log_problems()
            if keep_logs is not None:
                keep_logs.mkdir(parents=True, exist_ok=True)
                for path in [*self.site.state_dir.glob("*.log"), self.probe_log]:
                    if path.is_file():
                        shutil.copy(path, keep_logs / path.name)
                log(f"{self.spec.key}: logs kept in {keep_logs}")
            if self.counters:
                self.counters.restore()
        finally:
            for process in (self.origin, self.model):
                process.stop()
            self.worker.stop()
            self.site.destroy()

    # Measuring.

    def roots(self) -> dict[str, int | None]:
        """The process trees whose CPU time is reported."""
        return {"worker_api": self.worker.api.pid(), "worker_consumer": self.worker.consumer.pid(),
                "wordpress_php": self.site.server.pid(), "mariadb": mariadb_pid(),
                "fake_origin": self.origin.pid(), "fake_model": self.model.pid() if self.model.running() else None}

    def cpu_snapshot(self) -> dict[str, float]:
        """CPU seconds of each process tree so far (the benchmark's own without the trees it started)."""
        snapshot = {name: cpu_seconds(pids) for name, pids in process_trees(self.roots()).items()}
        snapshot["benchmark"] = cpu_seconds([os.getpid(), self.console.pid])
        return snapshot

    def feed_log(self, reset: bool = False) -> list[dict]:
        """The fake origin's request log for feeds (and clear it when asked)."""
        if reset:
            request = urllib.request.Request(self.origin_url + "/_log/reset", method="POST", data=b"")
            urllib.request.urlopen(request, timeout=10).close()
            return []
        with urllib.request.urlopen(self.origin_url + "/_log", timeout=10) as response:
            return [entry for entry in json.loads(response.read()) if entry["path"].startswith("/gen/")]

    def probe_requests(self, since: float) -> list[dict]:
        """The site's requests (from the probe) that started at or after `since`."""
        try:
            lines = self.probe_log.read_text().splitlines()
        except OSError:
            return []
        requests = [json.loads(line) for line in lines if line.strip()]
        return [r for r in requests if r["path"] and r["start"] >= since - 0.01]

    @staticmethod
    def summarize_requests(requests: list[dict]) -> dict:
        """Requests by entry point: how many, posts created, queries, wall seconds."""
        kinds: dict[str, dict] = {}
        for request in requests:
            path = request["path"]
            kind = ("cron" if path.endswith("/wp-cron.php") else
                    "callback" if path.endswith("/atai/v1/worker/callback") else
                    "rest" if "/wp-json/" in path else "other")
            entry = kinds.setdefault(kind, {"requests": 0, "posts": 0, "queries": 0, "seconds": 0.0,
                                            "peak_memory": 0})
            entry["requests"] += 1
            entry["peak_memory"] = max(entry["peak_memory"], request.get("memory", 0))
            entry["posts"] += request["posts"]
            entry["queries"] += request["queries"]
            entry["seconds"] = round(entry["seconds"] + request["end"] - request["start"], 3)
        return kinds

    def max_post_id(self) -> int:
        """The highest post ID so far (posts above it are new)."""
        return int(self.console.row(f"SELECT COALESCE(MAX(ID), 0) FROM `{self.site.db_name}`.{TABLE_PREFIX}posts")[0])

    def progress(self, after_post_id: int, since: float) -> tuple[int, int]:
        """(published posts with an ID above after_post_id, feeds whose run closed since `since`): one statement."""
        db, since_utc = self.site.db_name, datetime.fromtimestamp(int(since), timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        posts, closed = self.console.row(
            f"SELECT (SELECT COUNT(*) FROM `{db}`.{TABLE_PREFIX}posts WHERE ID > {after_post_id}"
            f" AND post_type = 'post' AND post_status = 'publish'),"
            f" (SELECT COUNT(*) FROM `{db}`.{TABLE_PREFIX}atai_feeds WHERE run_id IS NULL AND last_run_at >= '{since_utc}')")
        return int(posts), int(closed)

    def wait_for(self, result: PassResult, started: float, after_post_id: int, expected_posts: int,
                 deadline: float) -> None:
        """Poll until `expected_posts` new posts exist and every feed's run has closed since `started`."""
        feeds = len(self.feed_ids)
        while True:
            now = time.time()
            posts, closed = self.progress(after_post_id, started)
            if not result.progress or result.progress[-1][1:] != [posts, closed]:
                result.progress.append([round(now - started, 2), posts, closed])
            if posts and result.seconds_to_first_post is None:
                result.seconds_to_first_post = round(now - started, 2)
            if posts >= expected_posts and result.seconds_to_last_post is None:
                result.seconds_to_last_post = round(now - started, 2)
            if posts >= expected_posts and closed >= feeds:
                result.seconds_to_all_closed = round(now - started, 2)
                result.posts = posts
                return
            if now - started > deadline:
                result.posts = posts
                raise BenchFailure(
                    f"{self.spec.key}: after {deadline:.0f} s there are {posts} of {expected_posts} posts and "
                    f"{closed} of {feeds} runs closed.\n{self.describe_feeds()}")
            time.sleep(POLL_SECONDS)

    def describe_feeds(self) -> str:
        """Each feed's state, from the REST API, for a failure message."""
        lines = []
        for feed in stack.rest(self.site, self.app_password, "GET", "atai/v1/feeds?per_page=100"):
            error = (feed.get("last_error") or {}).get("message", "")
            lines.append(f"  feed {feed['id']}: posts_made={feed['posts_made']} current_run={feed['current_run']} "
                         f"last_status={feed['last_status']} {error}")
        return "\n".join(lines)

    def measure(self, result: PassResult, begin, expected_posts: int, deadline: float) -> PassResult:
        """Run `begin` (which triggers the pass), wait for its end and fill in the pass's costs."""
        after_post_id = self.max_post_id()
        self.feed_log(reset=True)
        db_before, cpu_before = self.counters.snapshot(), self.cpu_snapshot()
        started = time.time()
        begin(result)
        self.wait_for(result, started, after_post_id, expected_posts, deadline)
        if self.cron:
            self.cron.stop()
        db_after, cpu_after = self.counters.snapshot(), self.cpu_snapshot()
        for name, value in DatabaseCounters.delta(db_before, db_after).items():
            setattr(result, name, value)
        result.cpu_seconds = {name: round(cpu_after[name] - cpu_before[name], 2) for name in cpu_after}
        result.cron_requests = [asdict(call) | {"start": round(call.start - started, 2), "seconds": round(call.seconds, 3)}
                                for call in (self.cron.calls if self.cron else []) if call.start >= started]
        feed_requests = self.feed_log()
        result.feed_requests = len(feed_requests)
        result.feed_304s = sum(1 for entry in feed_requests if entry["status"] == 304)
        result.site_requests = self.summarize_requests(self.probe_requests(started))
        return result

    # The passes.

    def create_feeds(self) -> None:
        """Add the part's feeds through the REST API, as a site owner would."""
        for number in range(1, self.spec.feeds + 1):
            url = self.feed_url(number)
            with urllib.request.urlopen(url, timeout=60) as response:
                response.read()  # the origin generates a feed once and caches it: the passes measure serving only
            feed = stack.rest(self.site, self.app_password, "POST", "atai/v1/feeds", {
                "url": url, "post_status": "publish", "max_posts": self.spec.items, "interval": "hourly"})
            self.feed_ids.append(feed["id"])

    def first_pass(self) -> PassResult:
        """One WP-Cron request dispatches every (new, due) feed; the system cron keeps calling every minute."""
        expected = self.spec.feeds * self.spec.items

        def begin(result: PassResult) -> None:
            first = self.cron.start_every_minute()
            result.trigger_requests = [{"seconds": round(first.seconds, 3), "status": first.status}]

        return self.measure(PassResult("one wp-cron.php request"), begin, expected, self.spec.deadline)

    def idle_pass_scheduled(self) -> PassResult:
        """The feeds' check interval has passed: the next system-cron request dispatches them all."""
        self.cron = SystemCron(self.site.url)
        self.cron.origin = self.previous_cron_origin
        mark = self.cron_mark_after_last_call()
        wait = max(0.0, mark - time.time())
        log(f"{self.spec.key}: waiting {wait:.0f} s for the next system-cron minute")
        cpu_before = self.cpu_snapshot()
        time.sleep(wait)
        cpu_after = self.cpu_snapshot()
        self.result["idle_worker_cpu_per_minute"] = round(
            60 * sum(cpu_after[k] - cpu_before[k] for k in ("worker_api", "worker_consumer")) / max(wait, 1), 3)

        def begin(result: PassResult) -> None:
            # The one write this benchmark makes: the clock's job. Nothing a user does makes a feed due
            # without also dispatching it, and this pass measures the scheduled path.
            self.console.execute(f"UPDATE `{self.site.db_name}`.{TABLE_PREFIX}atai_feeds"
                                 " SET next_run_at = UTC_TIMESTAMP() - INTERVAL 1 MINUTE")
            call = self.cron.call()
            result.trigger_requests = [{"seconds": round(call.seconds, 3), "status": call.status}]

        return self.measure(PassResult("feeds due again; the next minute's wp-cron.php request"), begin, 0, 60.0)

    def idle_pass_run_now(self) -> PassResult:
        """The site owner presses "Run now" on every feed (POST feeds/{id}/run)."""
        self.cron = None

        def begin(result: PassResult) -> None:
            for feed_id in self.feed_ids:
                started = time.time()
                stack.rest(self.site, self.app_password, "POST", f"atai/v1/feeds/{feed_id}/run")
                result.trigger_requests.append({"seconds": round(time.time() - started, 3), "status": 200})

        return self.measure(PassResult('"Run now" on each feed (REST)'), begin, 0, 60.0)

    def cron_mark_after_last_call(self) -> float:
        """The first whole minute of the system cron after its last call (a real cron keeps its rhythm)."""
        last = max(call.start for call in self.previous_cron_calls)
        minutes = int((last - self.previous_cron_origin) // SYSTEM_CRON_PERIOD) + 1
        return self.previous_cron_origin + minutes * SYSTEM_CRON_PERIOD

    def run(self) -> dict:
        """The whole part; fills self.result as it goes, so a failure still reports what was measured."""
        self.start()
        self.create_feeds()
        roots = self.roots()
        sampler = ProcessSampler({"worker_api": roots["worker_api"], "worker_consumer": roots["worker_consumer"]}, roots)
        time.sleep(1.0)
        self.result["memory_idle"] = sampler.current()

        log(f"{self.spec.key}: first pass: {len(self.feed_ids)} feeds, {self.spec.feeds * self.spec.items} posts expected")
        sampler.start()
        try:
            first = self.first_pass()
        finally:
            sampler.stop()
            self.result["memory_peak_sampled"] = sampler.peaks
            self.result["memory_samples"] = sampler.samples
            self.result["memory_high_water"] = sampler.high_water()
            if self.cron and self.cron.origin:
                self.result["busy_cores"] = sampler.busy_cores(self.cron.origin)
        self.result["first_pass"] = asdict(first)
        self.previous_cron_origin, self.previous_cron_calls = self.cron.origin, list(self.cron.calls)
        self.result["feeds_after_first_pass"] = self.check_feeds()
        log(f"{self.spec.key}: {first.posts} posts; last post after {first.seconds_to_last_post} s")
        if not self.spec.idle_passes:
            self.result["complete"] = True
            return self.result

        self.result["idle_scheduled"] = asdict(self.idle_pass_scheduled())
        log(f"{self.spec.key}: idle pass (scheduled) done")
        self.result["idle_run_now"] = asdict(self.idle_pass_run_now())
        log(f"{self.spec.key}: idle pass (run now) done")
        self.result["complete"] = True
        return self.result

    def check_feeds(self) -> dict:
        """Posts per feed and errors, from the REST API (after the counters were read); fails on a shortfall."""
        feeds = stack.rest(self.site, self.app_password, "GET", "atai/v1/feeds?per_page=100")
        made = sum(feed["posts_made"] for feed in feeds)
        errors = [f"feed {feed['id']}: {feed['last_error']['message']}" for feed in feeds if feed.get("last_error")]
        summary = {"posts_made": made, "failed_runs": sum(1 for f in feeds if f["last_status"] == "failed"),
                   "errors": errors}
        expected = self.spec.feeds * self.spec.items
        if made != expected or errors:
            raise BenchFailure(f"{self.spec.key}: the feeds made {made} posts, expected {expected}; "
                               f"errors: {errors or 'none'}")
        return summary


# --- Report -----------------------------------------------------------------------------------------

def mib(value: int) -> str:
    """Bytes in MiB, for the report."""
    return f"{value / 1048576:.0f} MiB"


def seconds(value) -> str:
    """Seconds for the report ("-" when not measured)."""
    return "-" if value is None else f"{value:.2f} s"


def row(label: str, ours: str, reference: str = "") -> str:
    """One line of a report table: label, our figure, the reference beside it."""
    return f"  {label:<44} {ours:>16}   {reference}"


def cpu_line(cpu: dict, wall: float) -> str:
    """CPU seconds by process tree, and their total as a share of every core over `wall`."""
    order = ("worker_consumer", "worker_api", "wordpress_php", "mariadb", "fake_origin", "fake_model", "benchmark")
    parts = [f"{name} {cpu[name]:.1f}" for name in order if cpu.get(name)]
    total = sum(cpu.values())
    cores = os.cpu_count() or 1
    return (f"{', '.join(parts)}; total {total:.1f} s = {100 * total / max(wall * cores, 0.001):.0f}% of "
            f"{cores} cores x {wall:.1f} s")


def time_to_posts(progress: list, count: float) -> float | None:
    """Seconds from the trigger until the poll first saw at least `count` posts."""
    return next((at for at, posts, _ in progress if posts >= count), None)


def delivery(site_requests: dict) -> str:
    """Posts created by each entry point, most first."""
    by = {kind: info["posts"] for kind, info in site_requests.items() if info["posts"]}
    return ", ".join(f"{kind} {count}" for kind, count in sorted(by.items(), key=lambda kv: -kv[1])) or "none"


def idle_lines(name: str, idle: dict) -> list[str]:
    """The report of one idle pass."""
    trigger = sum(r["seconds"] for r in idle["trigger_requests"])
    label = "cron request wall time" if idle["cron_requests"] else "REST requests' wall time (summed)"
    lines = [f"  Idle pass, {name}: {idle['trigger']}",
             row("feed requests / 304 Not Modified", f"{idle['feed_requests']} / {idle['feed_304s']}"),
             row(label, seconds(trigger), f"{len(idle['trigger_requests'])} request(s)"),
             row("until every run closed", seconds(idle["seconds_to_all_closed"])),
             row("worker CPU (API + consumer)",
                 f"{idle['cpu_seconds'].get('worker_api', 0) + idle['cpu_seconds'].get('worker_consumer', 0):.2f} s"),
             row("MariaDB statements", f"{idle['statements']}",
                 f"site's own: {sum(k['queries'] for k in idle['site_requests'].values())} in "
                 f"{sum(k['requests'] for k in idle['site_requests'].values())} requests")]
    return lines + contamination(idle)


def contamination(measured: dict) -> list[str]:
    """A warning when other databases' clients were busy: MariaDB's Questions counts their statements too."""
    if measured["other_sites_commands"] <= 0:
        return []
    return [row("", "", f"warning: other database users ran {measured['other_sites_commands']} commands meanwhile; "
                        "Questions includes them, the site's own count does not")]


def report_part(result: dict) -> list[str]:
    """The report of one part: its table of figures beside the ideal or the other plugins."""
    spec = AI_PART if result["part"] == "ai" else PLAIN_PART
    first = result.get("first_pass")
    lines = ["", f"== {spec.title} =="]
    if not first:
        return lines + ["  (no figures: the part stopped early)"]
    expected = spec.feeds * spec.items
    wall = first["seconds_to_last_post"]
    lines.append(row("", "ours", "reference"))
    if spec.key == "ai":
        ideal = expected * spec.model_delay / MAX_IN_FLIGHT
        target = ideal * AI_TARGET_RATIO
        verdict = "met" if wall <= target else "missed"
        lines.append(row(f"first trigger -> {expected}th post", seconds(wall),
                         f"ideal {ideal:.1f} s; target <= {target:.2f} s ({AI_TARGET_RATIO}x): "
                         f"{wall / ideal:.2f}x, {verdict}"))
    else:
        names = ", ".join(f"{c['name']} {c['seconds']} s" for c in COMPETITORS)
        beaten = all(wall < c["seconds"] for c in COMPETITORS)
        lines.append(row(f"first trigger -> {expected}th post", seconds(wall),
                         f"{names}: {'beats all three' if beaten else 'does not beat all three'}"))
    if spec.key == "ai":
        lines.append(row("prompt overhead beyond the article", prompt_overhead(), "aim: <= 350 tokens per article"))
    lines.append(row("first trigger -> first post", seconds(first["seconds_to_first_post"])))
    lines.append(row("first trigger -> half the posts", seconds(time_to_posts(first["progress"], expected / 2))))
    lines.append(row("first trigger -> every run closed", seconds(first["seconds_to_all_closed"])))
    per_post = first["statements"] / max(first["posts"], 1)
    own = sum(k["queries"] for k in first["site_requests"].values())
    if spec.key == "plain":
        names = ", ".join(f"{c['name'].split()[0]} {c['queries_per_post']:g}" for c in COMPETITORS)
        lines.append(row("MariaDB statements per post", f"{per_post:.1f}",
                         f"{names}: {'beats all three' if all(per_post < c['queries_per_post'] for c in COMPETITORS) else 'does not beat all three'}"))
    else:
        lines.append(row("MariaDB statements per post", f"{per_post:.1f}"))
    lines.append(row("", f"({first['statements']} in all)", f"site's own $wpdb queries: {own} ({own / max(first['posts'], 1):.1f} per post)"))
    lines.extend(contamination(first))
    lines.append(row("posts delivered by", delivery(first["site_requests"])))
    cron = first["cron_requests"]
    lines.append(row("cron requests during the pass", str(len(cron)),
                     ", ".join(f"at {c['start']:.0f} s: {c['seconds']:.2f} s" for c in cron)))
    callback = first["site_requests"].get("callback")
    if callback:
        lines.append(row("worker callbacks", str(callback["requests"]),
                         f"{callback['seconds']:.1f} s of PHP wall time in all"))
    lines.append(row("feed requests / 304s", f"{first['feed_requests']} / {first['feed_304s']}"))
    lines.append(row("MariaDB time of the site (busy / CPU)", f"{first['db_busy_seconds']:.1f} / {first['db_cpu_seconds']:.1f} s"))
    lines.append("  CPU seconds during the pass: " + cpu_line(first["cpu_seconds"], first["seconds_to_all_closed"]))
    cpu = first["cpu_seconds"]
    posts = max(first["posts"], 1)
    busy = result.get("busy_cores") or []
    if busy:
        lines.append("  Cores busy per 5 s (all processes / of which the worker):")
        lines.append("    " + "  ".join(f"{b['all']:.1f}/{b['worker']:.1f}" for b in busy))
    lines.append(row("CPU per post: worker / PHP / MariaDB",
                     f"{1000 * (cpu.get('worker_consumer', 0) + cpu.get('worker_api', 0)) / posts:.1f} / "
                     f"{1000 * cpu.get('wordpress_php', 0) / posts:.1f} / {1000 * cpu.get('mariadb', 0) / posts:.1f} ms"))
    for name, key in (("scheduled", "idle_scheduled"), ("run now", "idle_run_now")):
        if result.get(key):
            lines.extend(idle_lines(name, result[key]))
    if result.get("idle_scheduled") and spec.key == "plain":
        idle = result["idle_scheduled"]["seconds_to_all_closed"]
        low, high = COMPETITOR_IDLE_SECONDS
        lines.append(row("  idle re-run vs the other plugins", seconds(idle),
                         f"theirs {low}-{high} s; only FeedWordPress sends conditional requests: "
                         f"{'beats all three' if idle < low else 'does not beat all three'}"))
    if "idle_worker_cpu_per_minute" in result:
        lines.append(row("worker CPU while idle", f"{result['idle_worker_cpu_per_minute']:.2f} s/min"))
    problems = result.get("log_problems") or {}
    lines.append(row("warnings and errors in the logs", str(sum(problems.values())),
                     ", ".join(f"{kind} x{count}" for kind, count in sorted(problems.items(), key=lambda kv: -kv[1]))))
    idle_memory, peak, hwm = result["memory_idle"], result["memory_peak_sampled"], result["memory_high_water"]
    lines.append(f"  Worker memory (RSS)            {'idle':>10} {'peak sampled':>14} {'peak (VmHWM)':>14}")
    for name, label in (("worker_api", "API (master + workers)"), ("worker_consumer", "consumer")):
        lines.append(f"    {label:<28} {mib(idle_memory[name]):>10} {mib(peak[name]):>14} {mib(hwm[name]):>14}")
    return lines


def prompt_overhead() -> str:
    """Tokens each preset's prompt adds to an article (instructions, the fence, the JSON around it), by the
    worker's own count (atai_worker.tokens), for an entry like the benchmark's."""
    from atai_worker import prompts, tokens
    from atai_worker.models import Entry

    article = "<p>" + "The harbour board met again. " * 40 + "</p>"
    entry = Entry(feed_id=1, feed_url="http://127.0.0.1/gen/bench.xml", key="0" * 64, guid="bench-1",
                  link="http://127.0.0.1/gen/articles/bench-1.html", title="Larkmouth Notes: the harbour board meets",
                  language="en", content_html=article)
    counts = {name: tokens.estimate(prompts.overhead(prompts.build(entry, article, {"preset": name}), article))
              for name in prompts.PRESETS}
    return ", ".join(f"{name} {count}" for name, count in counts.items()) + " tokens"


def summary(results: list[dict]) -> list[str]:
    """The headline figures of every part."""
    lines = ["", "== Summary =="]
    for result in results:
        first = result.get("first_pass")
        if not first:
            lines.append(f"  {result['part']}: stopped early: {result.get('failure', 'see above').splitlines()[0]}")
            continue
        wall = first["seconds_to_last_post"]
        if result["part"] == "ai":
            posts = AI_PART.feeds * AI_PART.items
            ideal = posts * AI_PART.model_delay / MAX_IN_FLIGHT
            lines.append(f"  AI on:  {posts:,} posts in {wall:.1f} s = {wall / ideal:.2f}x the ideal {ideal:.0f} s "
                         f"(target <= {AI_TARGET_RATIO}x)")
        else:
            best = min(COMPETITORS, key=lambda c: c["seconds"])
            per_post = first["statements"] / max(first["posts"], 1)
            lines.append(f"  AI off: {PLAIN_PART.feeds * PLAIN_PART.items:,} posts in {wall:.1f} s (best other plugin "
                         f"{best['seconds']:g} s), {per_post:.1f} statements per post (best other "
                         f"{min(c['queries_per_post'] for c in COMPETITORS):g})")
        idle = result.get("idle_scheduled")
        if idle:
            cpu = idle["cpu_seconds"].get("worker_api", 0) + idle["cpu_seconds"].get("worker_consumer", 0)
            lines.append(f"          idle pass {idle['seconds_to_all_closed']:.2f} s, {idle['feed_304s']}/"
                         f"{idle['feed_requests']} feed requests answered 304, worker CPU {cpu:.2f} s, "
                         f"{idle['statements']} statements")
        if result.get("failure"):
            lines.append(f"  {result['part']}: FAILED: {result['failure'].splitlines()[0]}")
    return lines


# --- Main -------------------------------------------------------------------------------------------

def machine() -> dict:
    """What the figures were measured on."""
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "load_average_before": os.getloadavg(),
            "python": platform.python_version()}


def run_parts(parts: list[PartRun], results: list[dict], stamp: str, keep_logs: bool = False) -> bool:
    """Run each part (its result goes into results as it is made), close it; True when one failed."""
    failed = False
    for part in parts:
        results.append(part.result)
        key = part.spec.key
        keep = RESULTS_DIR / f"{stamp}-{key}-logs" if keep_logs else None
        try:
            part.run()
        except (BenchFailure, SystemExit) as error:
            failed = True
            part.result["failure"] = str(error)
            log(f"{key}: FAILED: {error}")
            keep = RESULTS_DIR / f"{stamp}-{key}-logs"
        finally:
            part.close(keep)
    return failed


def main(argv: list[str] | None = None) -> int:
    """Run the parts, print the report, write the JSON; 1 when the stack failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ai-only", action=argparse.BooleanOptionalAction, default=False,
                        help="run only the AI part (default: both parts)")
    parser.add_argument("--keep-logs", action="store_true",
                        help="copy each part's logs to bench/results/ (they are always kept when a part fails)")
    args = parser.parse_args(argv)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    info = machine()
    if info["load_average_before"][0] > 0.5:
        log(f"warning: load average {info['load_average_before'][0]:.2f} before the start: "
            "other work on this machine skews the figures")
    stack.MariaDB.ensure_running()
    console = SqlConsole()
    results: list[dict] = []
    failed = False
    try:
        parts = [PartRun(spec, console) for spec in ((AI_PART,) if args.ai_only else (AI_PART, PLAIN_PART))]
        failed = run_parts(parts, results, stamp, args.keep_logs)
    finally:
        console.close()
        report = [f"Stack benchmark, {stamp}, {info['cpus']} CPUs ({info['cpu_model']})"]
        for result in results:
            report += report_part(result)
        report += summary(results)
        print("\n".join(report), flush=True)
        output = RESULTS_DIR / f"{stamp}.json"
        output.write_text(json.dumps({"machine": info, "parts": results}, indent=2, default=str) + "\n")
        log(f"figures written to {output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
