"""The worker as a fleet for many sites, under load on this machine: prints figures, asserts nothing on time.

    .venv/bin/python bench/fleet_bench.py            # every part at full size (about 40 minutes)
    .venv/bin/python bench/fleet_bench.py --quick    # the same parts, small (about 5 minutes; what CI runs)
    .venv/bin/python bench/fleet_bench.py --part ai  # one part: memory, off, ai or faults

Parts (bench/README.md explains every figure):
- memory: the one-site set-up (ATAI_WORKER_SECRET, SQLite), the API under gunicorn and one consumer, idle and
  at peak on 20 feeds of 50 articles of 125 KB, AI off, beside the figures from before the fleet work;
- off: the real API under gunicorn and two consumers on an authenticated Redis, 50 sites x 20 feeds x 10 new
  items plus a few large sites that dispatch first, AI off;
- ai: the same with the fake model answering in 1.0 s and a limit of 16 calls in flight shared by the two
  consumers;
- faults: the AI part again, with a fifth of the model calls (drawn at random) answered 429 with
  Retry-After, one consumer killed with SIGKILL a third of the way (a supervisor starts it again 10 s later)
  and Redis restarted two thirds of the way.
Afterwards every item of every site must have exactly one draft or one error, and the model must never have
seen more than 16 calls at once; if not, or if a part cannot finish, the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet_load import Feed, Load, Site  # noqa: E402
from fleet_processes import (REPO, BenchFailure, MemorySampler, RedisServer, WorkerFleet, fake, log,  # noqa: E402
                             log_problems)

RESULTS_DIR = REPO / "bench" / "results"
SHARED_LIMIT = 16
# The one-site worker before this work (main at 93c461e, measured the same way on this machine): the API
# (gunicorn, two workers) and the consumer, MB RSS; and the issue's figures from the stack benchmark.
BEFORE = {"idle": {"api": 166, "consumer": 91}, "peak": {"api": 236, "consumer": 216}}
ISSUE_BEFORE = {"idle": {"api": 177, "consumer": 104}, "peak": {"api": 298, "consumer": 262}}


@dataclass(frozen=True)
class Size:
    sites: int
    feeds: int
    items: int
    large_sites: int
    large_items: int
    model_delay: float
    memory_feeds: int


FULL = Size(sites=50, feeds=20, items=10, large_sites=3, large_items=30, model_delay=1.0, memory_feeds=20)
QUICK = Size(sites=10, feeds=5, items=10, large_sites=1, large_items=30, model_delay=0.5, memory_feeds=20)


def make_sites(load_url: str, origin: str, size: Size, registry, ai: dict, callback_base: str) -> list[Site]:
    """Register the sites (their tokens) and give each its feeds on the fake origin."""
    sites = []
    for n in range(size.large_sites + size.sites):
        large = n < size.large_sites
        site_id = f"large-{n:02d}" if large else f"site-{n - size.large_sites:02d}"
        _, token = registry.add(site_id, callback_url_pattern=f"{callback_base}/cb/{site_id}")
        items = size.large_items if large else size.items
        feeds = [Feed(site_id, f + 1, f"{origin}/gen/{site_id}-feed-{f}.xml?items={items}", items)
                 for f in range(size.feeds)]
        sites.append(Site(site_id, token, feeds, large, load_url, ai, f"{callback_base}/cb/{site_id}"))
    return sites


def verify(sites: list[Site]) -> dict:
    """Every item of every site: exactly one draft or one error; counts of each."""
    drafts = missing = doubled = 0
    errors: dict[str, int] = {}
    for site in sites:
        for feed in site.feeds:
            outcomes = site.outcomes.by_feed.get(feed.feed_id, {})
            missing += max(0, feed.items - len(outcomes))
            for results in outcomes.values():
                doubled += len(results) > 1
                kind = results[0][1]
                if kind == "draft":
                    drafts += 1
                else:
                    errors[kind] = errors.get(kind, 0) + 1
    return {"drafts": drafts, "errors": errors, "missing": missing, "doubled": doubled,
            "redispatched": sum(s.redispatched for s in sites), "failed_runs": sum(s.failed_runs for s in sites)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Faults:
    """Kills a consumer a third of the way and restarts Redis two thirds of the way, once each."""

    def __init__(self, fleet: WorkerFleet, redis: RedisServer, on_restart):
        self.fleet, self.redis, self.on_restart = fleet, redis, on_restart
        self.events: list[str] = []
        self._killed = self._restarted = False

    def __call__(self, load: Load) -> None:
        share = load.received() / load.expected()
        if not self._killed and share >= 1 / 3:
            self._killed = True
            self.fleet.processes["consumer-2"].kill(signal.SIGKILL)
            self.events.append(f"{load.clock():.1f} s: consumer-2 killed with SIGKILL at {share:.0%} of the items")
            threading.Timer(10, self._restart_consumer, args=(load,)).start()
        if self._killed and not self._restarted and share >= 2 / 3:
            self._restarted = True
            self.on_restart()
            down = self.redis.restart()
            self.events.append(f"{load.clock():.1f} s: Redis restarted at {share:.0%} of the items "
                               f"({down:.1f} s without it)")

    def _restart_consumer(self, load: Load) -> None:
        self.fleet.restart_consumer("consumer-2")
        self.events.append(f"{load.clock():.1f} s: consumer-2 started again")


def fleet_part(name: str, size: Size, work: Path, ai_on: bool, faults_on: bool) -> dict:
    """The load on Redis with two consumers; AI on adds the fake model and the shared limit; faults on, the
    429 answers, the killed consumer and the Redis restart."""
    from atai_worker.fleet import RedisFleetState
    from atai_worker.tenants import SiteRegistry

    work.mkdir(parents=True, exist_ok=True)
    redis = RedisServer(work).start()
    origin_process, origin = fake(work, "origin", "feed_server.py")
    rate_limited = ["--rate-limit-share", "0.2", "--retry-after", "1"] if faults_on else []
    model_process, model = (fake(work, "model", "model_server.py", "--delay", str(size.model_delay),
                                 *rate_limited) if ai_on else (None, None))
    fleet = WorkerFleet(work, {"ATAI_WORKER_SECRET": "fleet-bench-default-site", "ATAI_REDIS_URL": redis.url,
                               "ATAI_AI_TIMEOUT": "30"}, consumers=2).start()
    ai = ({"enabled": True, "base_url": model + "/v1", "api_key": "sk-fleet-bench", "model": "fake-model",
           "max_in_flight": SHARED_LIMIT} if ai_on else {"enabled": False})
    load = Load()
    sampler = MemorySampler({**fleet.processes, "redis": redis.process})
    try:
        registry = SiteRegistry(RedisFleetState(redis.url), None)
        sites = make_sites(fleet.url, origin, size, registry, ai, f"http://127.0.0.1:{load.receiver.port}")
        load.add_sites(sites)
        time.sleep(3)
        idle = sampler.now()
        # Redis counts commands since it started: a restart starts a new span.
        spans = [[redis.command_calls(), {}]]
        faults = None
        if faults_on:
            def before_restart():
                spans[-1][1] = redis.command_calls()
                spans.append([{}, {}])

            faults = Faults(fleet, redis, on_restart=before_restart)
        sampler.start()
        log(f"{name}: {len(sites)} sites, {load.expected()} items")
        finished = load.run(deadline=3600, progress=faults)
        elapsed = max((s.outcomes.last_draft_at or 0) for s in sites)
        sampler.stop()
        spans[-1][1] = redis.command_calls()
        model_stats = httpx.get(model + "/_stats").json() if ai_on else None
        return report(name, size, load, finished, elapsed, idle, sampler, redis_ops(spans), model_stats,
                      faults.events if faults else [], fleet)
    finally:
        load.close()
        fleet.stop()
        for process in (origin_process, model_process, redis.process):
            if process:
                process.stop()


def redis_ops(spans: list[list[dict[str, int]]]) -> dict[str, int]:
    """Commands run by the worker in the spans (before, after), most frequent first; the benchmark's own
    INFO and SHUTDOWN left out."""
    total: dict[str, int] = {}
    for before, after in spans:
        for command, count in after.items():
            if command not in ("info", "shutdown"):
                total[command] = total.get(command, 0) + count - before.get(command, 0)
    return {c: n for c, n in sorted(total.items(), key=lambda item: -item[1]) if n > 0}


def report(name, size, load, finished, elapsed, idle, sampler, ops, model_stats, events, fleet) -> dict:
    sites = load.sites
    checked = verify(sites)
    items = load.expected()
    small = sorted((s.outcomes.last_draft_at or 0, s.id) for s in sites if not s.large)
    large = sorted((s.outcomes.last_draft_at or 0, s.id) for s in sites if s.large)
    # From the site's own first run: the sites dispatch one after the other, as their ticks come.
    spans = sorted((s.outcomes.last_draft_at or 0) - (s.first_dispatch or 0) for s in sites if not s.large)
    latencies = [t.finished - t.created for s in sites for t in s.runs.values() if t.finished is not None]
    result = {
        "part": name, "finished": finished, "items": items, "elapsed_s": round(elapsed, 1),
        "items_per_s": round(items / elapsed, 1) if elapsed else None, "check": checked,
        "time_to_last_result_s": {"small_fastest": round(small[0][0], 1), "small_median": round(
            statistics.median(t for t, _ in small), 1), "small_slowest": round(small[-1][0], 1),
            "small_ratio": round(small[-1][0] / small[0][0], 2) if small[0][0] else None,
            "large": {site: round(t, 1) for t, site in large}},
        "small_site_span_s": {"fastest": round(spans[0], 1), "median": round(statistics.median(spans), 1),
                              "slowest": round(spans[-1], 1),
                              "ratio": round(spans[-1] / spans[0], 2) if spans[0] else None},
        "run_latency_s": {"p50": round(percentile(latencies, 0.5), 1), "p95": round(percentile(latencies, 0.95), 1)},
        "runs_created_in_s": round(load.created_all_at, 1),
        "redis_ops_per_item": round(sum(ops.values()) / items, 1),
        "redis_top_commands": dict(list(ops.items())[:8]),
        "memory_mb": {proc: {"idle_rss": round(idle[proc][0]), "idle_pss": round(idle[proc][1]),
                             "peak_rss": round(sampler.peak.get(proc, (0, 0))[0]),
                             "peak_pss": round(sampler.peak.get(proc, (0, 0))[1])} for proc in idle},
        "callbacks": {"received": load.receiver.received, "bad_signatures": load.receiver.bad_signatures},
        "load_errors": load.errors[:5],
        "faults": events,
        "log_problems": {proc: log_problems(fleet.log(proc)) for proc in fleet.processes},
    }
    if model_stats:
        ideal = items * size.model_delay / SHARED_LIMIT
        result["ai"] = {"ideal_s": round(ideal, 1), "ratio_to_ideal": round(elapsed / ideal, 2),
                        "model_calls": model_stats["requests"], "answered_429": model_stats["rate_limited"],
                        "peak_in_flight": model_stats["peak_in_flight"], "limit": SHARED_LIMIT}
    return result


def memory_part(size: Size, work: Path) -> dict:
    """The one-site worker (SQLite), idle and at peak on 125 KB articles, beside the figures from before."""
    work.mkdir(parents=True, exist_ok=True)
    origin_process, origin = fake(work, "origin", "feed_server.py")
    secret = "fleet-bench-one-site"
    fleet = WorkerFleet(work, {"ATAI_WORKER_SECRET": secret, "ATAI_DATA_DIR": str(work / "data")},
                        consumers=1).start()
    sampler = MemorySampler(fleet.processes)
    load = Load()
    try:
        feeds = [Feed("default", f + 1, f"{origin}/gen/memory-{f}.xml?items=50&size=125000&image=1", 50)
                 for f in range(size.memory_feeds)]
        site = Site("default", secret, feeds, False, fleet.url, {"enabled": False}, load.callback_url("default"))
        load.add_sites([site])
        time.sleep(5)
        idle = sampler.now()
        sampler.start()
        finished = load.run(deadline=900)
        sampler.stop()
        checked = verify([site])
        return {"part": "memory", "finished": finished, "items": load.expected(), "check": checked,
                "elapsed_s": round(site.outcomes.last_draft_at or 0, 1),
                "now_mb": {"idle": {p: [round(v) for v in idle[p]] for p in idle},
                           "peak": {p: [round(v) for v in sampler.peak[p]] for p in sampler.peak},
                           "peak_rss_sum": round(sampler.peak_total)},
                "before_mb": BEFORE, "issue_before_mb": ISSUE_BEFORE}
    finally:
        load.close()
        fleet.stop()
        origin_process.stop()


def print_part(result: dict) -> None:
    print(f"\n== {result['part']}" + ("" if result["finished"] else "  (DID NOT FINISH)"))
    for key, value in result.items():
        if key not in ("part", "finished"):
            print(f"  {key}: {json.dumps(value)}")


def failures(result: dict) -> list[str]:
    problems = []
    check = result["check"]
    if not result["finished"] or check["missing"] or check["doubled"]:
        problems.append(f"{result['part']}: finished={result['finished']} missing={check['missing']} "
                        f"doubled={check['doubled']}")
    if result.get("ai") and result["ai"]["peak_in_flight"] > SHARED_LIMIT:
        problems.append(f"{result['part']}: the model saw {result['ai']['peak_in_flight']} calls at once")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (what CI runs)")
    parser.add_argument("--part", choices=("memory", "off", "ai", "faults"), action="append",
                        help="run only these parts (default: all four)")
    args = parser.parse_args(argv)
    # Stopped from outside: leave through the parts' clean-up, which stops every process they started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    size = QUICK if args.quick else FULL
    parts = args.part or ["memory", "off", "ai", "faults"]
    results = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        for part in parts:
            work = Path(tmp) / part
            try:
                if part == "memory":
                    result = memory_part(size, work)
                else:
                    result = fleet_part(part, size, work, ai_on=part in ("ai", "faults"), faults_on=part == "faults")
            except BenchFailure as exc:
                log(f"{part}: {exc}")
                return 1
            print_part(result)
            results.append(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"fleet-{time.strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps({"size": size.__dict__, "cores": os.cpu_count(), "results": results}, indent=2))
    problems = [p for r in results for p in failures(r)]
    for problem in problems:
        print("FAILED: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
