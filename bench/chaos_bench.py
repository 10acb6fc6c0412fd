#!/usr/bin/env python3
"""Chaos benchmark: the AI run of the whole stack under faults, beside the same run without them.

    .venv/bin/python bench/chaos_bench.py              # the fault-free pass, then the chaos pass
    .venv/bin/python bench/chaos_bench.py --chaos-only

Each pass provisions a throwaway WordPress site ('bench') with the real worker, the fake feed origin and
the fake model (every answer after 1.0 s, 8 calls in flight), adds 10 feeds of 20 new items through the
REST API (hourly, posts published) and from then on only calls wp-cron.php twice a second, as the visitors
of a busy site would: the product's own schedule and nothing else (no "Run now").

The chaos pass adds the faults of issue 16: the model answers 20 % of its calls at once with 429 and
Retry-After: 2; once a third of the posts exist the consumer is killed with SIGKILL and started again a
second later; once two thirds exist one gunicorn worker of the API is killed with SIGKILL (its master
starts another).

It prints, for each pass: the time from the first cron request to the last post (and, for chaos, as a
multiple of the fault-free time), model calls per item (all of them, those answered 429, and the answers
that were paid for), items lost,
duplicated and still waiting, and the longest gap between a draft being ready in the worker (its "item
ready" log line) and its post existing in WordPress (a must-use probe logs each new post's time). Figures
are also written to bench/results/<timestamp>-chaos.json. Nothing here asserts on timing: it exits
non-zero only when an item was lost or posted twice, or the stack failed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack_bench  # noqa: E402  (bench/ is not a package)
from stack_bench import RESULTS_DIR, BenchFailure, PartRun, PartSpec, SqlConsole, log, process_trees  # noqa: E402

stack = stack_bench.stack
FEEDS, ITEMS, MODEL_DELAY = 10, 20, 1.0
RATE_LIMIT_SHARE, RETRY_AFTER = 0.2, 2
CRON_EVERY = 0.5  # two wp-cron.php requests a second
RESTART_AFTER = 1.0  # the consumer comes back a second after its kill, as a service manager restarts it
DEADLINE = 300.0
AIMS = {"ratio": 1.5, "calls_per_item": 1.3, "gap_seconds": 5.0}

# A must-use plugin for the throwaway site only: one JSON line per new post, with the time it was made.
POSTS_PROBE_PHP = r"""<?php
/**
 * Post probe of bench/chaos_bench.py (its throwaway site only): when each post was created.
 */
add_action(
	'wp_insert_post',
	static function ( $post_id, $post, $update ) {
		if ( ! $update && 'post' === $post->post_type ) {
			$line = wp_json_encode( array( 'post_id' => (int) $post_id, 'at' => microtime( true ) ) );
			file_put_contents( WP_CONTENT_DIR . '/chaos-posts.jsonl', $line . "\n", FILE_APPEND | LOCK_EX );
		}
	},
	10,
	3
);
"""


class CronVisitors:
    """Calls wp-cron.php every CRON_EVERY seconds, each call on a thread of its own (a tick takes seconds)."""

    def __init__(self, site_url: str):
        self.url = site_url + "/wp-cron.php?doing_wp_cron"
        self.calls = 0
        self.failures: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cron-visitors", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            threading.Thread(target=self._call, daemon=True).start()
            self._stop.wait(CRON_EVERY)

    def _call(self) -> None:
        problem = None
        try:
            with urllib.request.urlopen(self.url, timeout=120) as response:
                response.read()
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code}"
        except OSError as error:
            problem = type(error).__name__
        with self._lock:
            self.calls += 1
            if problem:
                self.failures[problem] = self.failures.get(problem, 0) + 1


@dataclass
class ChaosResult:
    """What one pass measured."""

    name: str
    seconds_to_last_post: float | None = None
    seconds_to_all_closed: float | None = None
    posts: int = 0
    model_calls: int = 0
    model_calls_429: int = 0
    model_answers: int = 0
    lost: int = 0
    duplicated: int = 0
    waiting: int = 0
    longest_gap: float | None = None
    longest_gap_key: str = ""
    faults: list = field(default_factory=list)
    cron_calls: int = 0
    cron_failures: dict = field(default_factory=dict)
    log_problems: dict = field(default_factory=dict)
    callbacks: dict = field(default_factory=dict)
    failure: str = ""


class ChaosPass(PartRun):
    """One pass: the stack of stack_bench.PartRun, driven only by cron requests, with or without faults."""

    def __init__(self, chaos: bool, console: SqlConsole):
        args = ("--rate-limit-share", str(RATE_LIMIT_SHARE), "--retry-after", str(RETRY_AFTER)) if chaos else ()
        spec = PartSpec("chaos" if chaos else "calm", f"{'chaos' if chaos else 'fault-free'}: {FEEDS} feeds x "
                        f"{ITEMS} items, model 1.0 s", feeds=FEEDS, items=ITEMS, item_bytes=None, image=False,
                        model_delay=MODEL_DELAY, deadline=DEADLINE, model_args=args)
        super().__init__(spec, console)
        self.chaos = chaos
        self.outcome = ChaosResult("chaos" if chaos else "fault-free")

    @property
    def posts_probe(self) -> Path:
        return self.site.content_dir / "chaos-posts.jsonl"

    def start(self) -> None:
        super().start()
        probe = self.site.content_dir / "mu-plugins" / "atai-chaos-probe.php"
        probe.write_text(POSTS_PROBE_PHP)
        probe.chmod(0o644)

    def drive(self) -> ChaosResult:
        """Create the feeds, call wp-cron.php twice a second, fault the stack on the way, measure."""
        self.start()
        self.create_feeds()
        expected = FEEDS * ITEMS
        after_post_id = self.max_post_id()
        visitors = CronVisitors(self.site.url)
        started = time.time()
        visitors.start()
        killed_consumer = killed_api_worker = not self.chaos
        try:
            while True:
                now = time.time()
                posts, closed = self.progress(after_post_id, started)
                if posts >= expected and self.outcome.seconds_to_last_post is None:
                    self.outcome.seconds_to_last_post = round(now - started, 2)
                if posts >= expected and closed >= FEEDS:
                    self.outcome.seconds_to_all_closed = round(now - started, 2)
                    break
                if not killed_consumer and posts >= expected / 3:
                    killed_consumer = True
                    self.kill_consumer(started)
                if not killed_api_worker and posts >= 2 * expected / 3:
                    killed_api_worker = True
                    self.kill_api_worker(started)
                if now - started > DEADLINE:
                    self.outcome.failure = f"after {DEADLINE:.0f} s: {posts} of {expected} posts, {closed} runs closed"
                    break
                time.sleep(0.2)
        finally:
            visitors.stop()
        self.outcome.cron_calls, self.outcome.cron_failures = visitors.calls, visitors.failures
        self.measure_items(after_post_id)
        self.measure_model()
        self.measure_gaps()
        self.outcome.log_problems = self.log_problems()
        self.outcome.callbacks = self.callback_outcomes()
        return self.outcome

    def kill_consumer(self, started: float) -> None:
        """SIGKILL the consumer (its whole process group), then start it again a second later."""
        at = round(time.time() - started, 2)
        self.worker.consumer.stop(signal.SIGKILL)
        time.sleep(RESTART_AFTER)
        self.worker.consumer.start([str(stack.VENV_BIN / "atai-worker"), "consume"], env=self.worker.env(),
                                   cwd=stack.REPO / "worker")
        self.outcome.faults.append(f"consumer killed at {at} s, started again at {round(time.time() - started, 2)} s")
        log(self.outcome.faults[-1])

    def kill_api_worker(self, started: float) -> None:
        """SIGKILL one gunicorn worker of the API; its master starts another."""
        master = self.worker.api.pid()
        children = [pid for pid in process_trees({"api": master})["api"] if pid != master]
        if not children:
            self.outcome.faults.append("no gunicorn worker found to kill")
            return
        os.kill(children[0], signal.SIGKILL)
        self.outcome.faults.append(f"gunicorn worker {children[0]} killed at {round(time.time() - started, 2)} s")
        log(self.outcome.faults[-1])

    def query(self, sql: str) -> list[str]:
        return self.console.row(sql)

    def measure_items(self, after_post_id: int) -> None:
        """Posts per source item: lost (no post, not waiting), doubled, and items still waiting."""
        db, prefix = self.site.db_name, stack_bench.TABLE_PREFIX
        posts, distinct = self.query(
            f"SELECT COUNT(*), COUNT(DISTINCT m.meta_value) FROM `{db}`.{prefix}posts p JOIN `{db}`.{prefix}postmeta m"
            f" ON m.post_id = p.ID AND m.meta_key = '_atai_item_key' WHERE p.ID > {after_post_id}"
            " AND p.post_type = 'post'")
        waiting = self.query(f"SELECT COUNT(*) FROM `{db}`.{prefix}atai_items WHERE state <> 'posted'")[0]
        self.outcome.posts = int(posts)
        self.outcome.duplicated = int(posts) - int(distinct)
        self.outcome.waiting = int(waiting)
        self.outcome.lost = FEEDS * ITEMS - int(distinct) - int(waiting)

    def measure_model(self) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.model_port}/_calls", timeout=10) as response:
            calls = json.loads(response.read())["requests"]
        self.outcome.model_calls = len(calls)
        self.outcome.model_calls_429 = sum(1 for call in calls if call["status"] == 429)
        self.outcome.model_answers = sum(1 for call in calls if call["status"] == 200)

    def measure_gaps(self) -> None:
        """The longest wait between an item's draft being ready in the worker and its post existing."""
        ready: dict[str, float] = {}
        for line in self.worker.consumer.log_file.read_text(errors="replace").splitlines():
            if " item ready " in line:
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                key = line.split(" key=", 1)[1].split()[0]
                ready[key] = min(stamp, ready.get(key, stamp))
        made = {}
        for line in self.posts_probe.read_text().splitlines() if self.posts_probe.exists() else []:
            post = json.loads(line)
            made[post["post_id"]] = post["at"]
        db, prefix = self.site.db_name, stack_bench.TABLE_PREFIX
        # One row with every key and post id: the console reads one row per statement.
        [pairs] = self.query(f"SELECT COALESCE(GROUP_CONCAT(CONCAT(item_key, ':', post_id) SEPARATOR ','), '')"
                             f" FROM `{db}`.{prefix}atai_items WHERE state = 'posted'")
        for pair in filter(None, pairs.split(",")):
            key, post_id = pair.split(":")
            if key in ready and int(post_id) in made:
                gap = made[int(post_id)] - ready[key]
                if self.outcome.longest_gap is None or gap > self.outcome.longest_gap:
                    self.outcome.longest_gap, self.outcome.longest_gap_key = round(gap, 2), key

    def callback_outcomes(self) -> dict[str, int]:
        """The worker's callback outcomes, counted by what the site answered."""
        counts = {"collected": 0, "owed to the collection in progress": 0, "run already closed": 0,
                  "failed, sent again": 0, "given up": 0}
        for line in self.worker.consumer.log_file.read_text(errors="replace").splitlines():
            if " callback outcome " not in line:
                continue
            kind = ("collected" if " collected=True " in line else
                    "owed to the collection in progress" if " owed=True " in line else
                    "run already closed" if " known=False " in line else
                    "given up" if " again_in=None" in line else "failed, sent again")
            counts[kind] += 1
        return {kind: count for kind, count in counts.items() if count}


def report(results: list[ChaosResult]) -> list[str]:
    """The figures of both passes, beside the aims of issue 16."""
    calm = next((r for r in results if r.name == "fault-free"), None)
    lines = [f"Chaos benchmark: {FEEDS} feeds x {ITEMS} items, model {MODEL_DELAY} s, 8 in flight, wp-cron.php "
             f"every {CRON_EVERY} s"]
    for result in results:
        lines.append("")
        lines.append(f"== {result.name} ==")
        if result.failure:
            lines.append(f"  FAILED: {result.failure}")
        lines.extend(f"  fault: {fault}" for fault in result.faults)
        last = result.seconds_to_last_post
        ratio = ""
        if result is not calm and calm and calm.seconds_to_last_post and last:
            multiple = last / calm.seconds_to_last_post
            ratio = (f" = {multiple:.2f}x the fault-free {calm.seconds_to_last_post:.1f} s (aim <= {AIMS['ratio']}x: "
                     f"{'met' if multiple <= AIMS['ratio'] else 'missed'})")
        lines.append(f"  first cron request -> last post     {last if last is not None else '-'} s{ratio}")
        lines.append(f"  every run closed after              {result.seconds_to_all_closed or '-'} s")
        per_item = result.model_calls / (FEEDS * ITEMS)
        lines.append(f"  model calls per item                {per_item:.2f} ({result.model_calls} calls, "
                     f"{result.model_calls_429} answered 429; aim <= {AIMS['calls_per_item']}: "
                     f"{'met' if per_item <= AIMS['calls_per_item'] else 'missed'})")
        lines.append(f"  answers (paid calls) per item       {result.model_answers / (FEEDS * ITEMS):.2f} "
                     f"({result.model_answers} answers for {FEEDS * ITEMS} items)")
        lines.append(f"  items lost / duplicated / waiting   {result.lost} / {result.duplicated} / {result.waiting} "
                     f"({result.posts} posts)")
        gap = result.longest_gap
        lines.append(f"  longest draft-ready -> post gap     {gap if gap is not None else '-'} s "
                     f"(aim <= {AIMS['gap_seconds']} s: {'met' if gap is not None and gap <= AIMS['gap_seconds'] else 'missed'})")
        lines.append(f"  cron requests                       {result.cron_calls}"
                     + (f", failed: {result.cron_failures}" if result.cron_failures else ""))
        lines.append(f"  worker callbacks                    {result.callbacks}")
        problems = ", ".join(f"{kind} x{count}" for kind, count in sorted(result.log_problems.items(), key=lambda kv: -kv[1]))
        lines.append(f"  warnings and errors in the logs     {sum(result.log_problems.values())}"
                     + (f": {problems}" if problems else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chaos-only", action="store_true", help="skip the fault-free pass")
    parser.add_argument("--keep-logs", action="store_true", help="copy each pass's logs to bench/results/")
    args = parser.parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stack.MariaDB.ensure_running()
    console = SqlConsole()
    results: list[ChaosResult] = []
    failed = False
    try:
        for chaos in ((True,) if args.chaos_only else (False, True)):
            run = ChaosPass(chaos, console)
            keep = RESULTS_DIR / f"{stamp}-{run.spec.key}-logs" if args.keep_logs else None
            try:
                results.append(run.drive())
            except (BenchFailure, SystemExit) as error:
                run.outcome.failure = str(error)
                results.append(run.outcome)
            finally:
                outcome = run.outcome
                if outcome.failure or outcome.lost or outcome.duplicated:
                    failed = True
                    keep = RESULTS_DIR / f"{stamp}-{run.spec.key}-logs"
                run.close(keep)
    finally:
        console.close()
        print("\n".join(report(results)), flush=True)
        output = RESULTS_DIR / f"{stamp}-chaos.json"
        output.write_text(json.dumps([vars(r) for r in results], indent=2) + "\n")
        log(f"figures written to {output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
