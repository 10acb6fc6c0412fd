"""Hostile input: how long one hostile entry takes to parse, and what refusing a bomb costs the real consumer.

    .venv/bin/python bench/hostile_bench.py          # about a minute on 2 cores

1. Parse time of one entry of 1 MB built to make patterns backtrack (in this process, parse_feed on the
   bytes the fake origin serves), for each kind of flood. Aim: under 0.2 s. The ill-formed kind is read by
   feedparser's lenient parser, linear but slow; ATAI_STAGE_BUDGET gives it up.
2. The real worker (gunicorn and `atai-worker consume`) against the fake origin: for each entity-declaring
   feed and each compression bomb, the time from POST /v1/runs until the run is failed, and the consumer's
   peak RSS during that run above its RSS when idle (the kernel's high-water mark, reset before each case).
   Aim: under 100 MB above idle for the stacked gzip bomb.

Prints figures; asserts nothing about them. Exits 1 only when something cannot run or a run is not refused.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "worker" / "src"))

from atai_worker.parse import parse_feed  # noqa: E402
from tests.fakes import hostile  # noqa: E402
from tests.fakes.feed_server import FeedServer  # noqa: E402
from tests.worker.service import Worker  # noqa: E402

FLOODS = [  # (pattern, where, what it is)
    ("img", "content", '"<img " repeated in the content (the case first reported)'),
    ("img-src", "content", "unclosed <img src=\" repeated in the content"),
    ("description", "content", "<description repeated in the content"),
    ("tag", "title", '"<a " repeated in the title'),
    ("tag", "author", '"<a " repeated in the author'),
    ("tag", "category", '"<a " in one category, then 40,000 categories'),
    ("entity", "title", "&#000 repeated in the title"),
    ("tag", "raw", '"<a " repeated, unescaped: an ill-formed feed'),
]
REFUSALS = [  # (path, what it is)
    ("/files/hostile/billion-laughs.xml", "billion laughs (nested entities)"),
    ("/flood.xml?pattern=tag&where=title&size=10", "a small plain feed, for comparison"),
    ("/files/hostile/quadratic-blowup.xml", "quadratic blowup (one 10 kB entity, 2,000 references)"),
    ("/quadratic.xml?kb=150", "quadratic blowup of 150 kB (about 1 GB once expanded)"),
    ("/bomb?mb=1000&coding=gzip,gzip", "gzip, gzip: 1,000 MB of zeros in under 2 kB"),
    ("/bomb?mb=1000&coding=gzip", "gzip: 1,000 MB of zeros in about 1 MB"),
]
SIZE = 1_000_000


def main() -> int:
    print("1. Parse time of one 1 MB hostile entry (aim: under 0.2 s)")
    with FeedServer() as origin:
        for pattern, where, what in FLOODS:
            body = hostile.flood_feed(origin.base_url, pattern, where, SIZE)
            started = time.perf_counter()
            parse_feed(body, feed_id=1, feed_url=origin.url("/flood.xml"))
            print(f"   {time.perf_counter() - started:7.3f} s  {what}")

        print("\n2. Refusals by the real consumer: time to the failed run, and its peak RSS above idle")
        with tempfile.TemporaryDirectory(prefix="hostile-bench-") as data_dir:
            worker = Worker(Path(data_dir), _free_port()).start()
            try:
                consumer = worker.processes["consumer"].pid
                warm_up = worker.create_run(origin.url("/flood.xml?pattern=tag&where=title&size=10"))
                worker.wait(warm_up)
                for path, what in REFUSALS:
                    if path.startswith("/bomb"):
                        hostile.bomb(*_bomb_arguments(path))  # made before the clock starts
                    idle = _rss_kib(consumer, "VmRSS")
                    _reset_peak(consumer)
                    started = time.perf_counter()
                    run = _finished(worker, worker.create_run(origin.url(path)))
                    seconds = time.perf_counter() - started
                    peak = _rss_kib(consumer, "VmHWM")
                    outcome = run["error"]["code"] if run["state"] == "failed" else run["state"]
                    print(f"   {seconds:6.2f} s  peak {(peak - idle) / 1024:6.1f} MB above idle "
                          f"({idle / 1024:.0f} MB)  {outcome:<16} {what}")
                    if "comparison" not in what and run["state"] != "failed":
                        return 1
            finally:
                worker.stop()
    return 0


def _finished(worker: Worker, run_id: str, seconds: float = 300) -> dict:
    """The run once done or failed, asked every 10 ms (Worker.wait asks every 200 ms)."""
    deadline = time.monotonic() + seconds
    while True:
        run = worker.run(run_id)
        if run["state"] in ("done", "failed") or time.monotonic() > deadline:
            return run
        time.sleep(0.01)


def _bomb_arguments(path: str) -> tuple[int, tuple[str, ...]]:
    query = dict(part.split("=") for part in path.split("?", 1)[1].split("&"))
    return int(query["mb"]), tuple(query["coding"].split(","))


def _rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def _reset_peak(pid: int) -> None:
    # Writing 5 to clear_refs resets the high-water mark (VmHWM) to the current RSS (Linux 4.0 and later).
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
