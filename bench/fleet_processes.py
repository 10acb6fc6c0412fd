"""The processes of the fleet benchmark: an authenticated redis-server, the fakes, the worker API under
gunicorn and its consumers, and their memory (RSS and PSS, sampled)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from stack_bench import BenchFailure, free_port, log, process_trees

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


class Process:
    """One command in a session of its own (so a kill reaches its children), logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path, cwd: Path = REPO):
        self.name, self.command, self.env, self.cwd = name, command, env, cwd
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log_path, "ab") as out:
            self.popen = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen and self.popen.poll() is None else None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def memory_mb(pids: list[int]) -> tuple[float, float]:
    """(RSS, PSS) of these processes, summed, in MB; PSS counts a page shared by n processes 1/n times."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return rss / 1024, pss / 1024


class MemorySampler:
    """RSS and PSS of named process trees every half second: the value now, and each one's peak."""

    def __init__(self, processes: dict[str, Process]):
        self.processes = processes
        self.peak: dict[str, tuple[float, float]] = {}
        self.peak_total = 0.0  # the largest sum of RSS seen at one moment
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def now(self) -> dict[str, tuple[float, float]]:
        trees = process_trees({name: p.pid for name, p in self.processes.items()})
        return {name: memory_mb(pids) for name, pids in trees.items()}

    def start(self) -> "MemorySampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            sample = self.now()
            self.peak_total = max(self.peak_total, sum(rss for rss, _ in sample.values()))
            for name, (rss, pss) in sample.items():
                old = self.peak.get(name, (0.0, 0.0))
                self.peak[name] = (max(old[0], rss), max(old[1], pss))


class RedisServer:
    """A private, authenticated redis-server on loopback, persisting to an append-only file so that a
    restart keeps the queue, the runs and the sites."""

    def __init__(self, work_dir: Path):
        self.dir = work_dir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.process = Process("redis", [shutil.which("redis-server") or "/usr/bin/redis-server", "--port",
                                         str(self.port), "--bind", "127.0.0.1", "--requirepass", self.password,
                                         "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                                         "--dir", str(self.dir)], dict(os.environ), work_dir)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, decode_responses=True)

    def start(self) -> "RedisServer":
        self.process.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.client().ping():
                    return self
            except Exception:
                if time.monotonic() > deadline:
                    raise BenchFailure("redis-server did not start") from None
                time.sleep(0.05)

    def restart(self) -> float:
        """SHUTDOWN (the append-only file is flushed) and start again on the same port; returns seconds down."""
        began = time.monotonic()
        try:
            self.client().shutdown()
        except Exception:
            pass  # the connection closes as the server exits
        self.process.popen.wait(30)
        self.start()
        return time.monotonic() - began

    def command_calls(self) -> dict[str, int]:
        """INFO commandstats: calls per command since the server started (commands run by scripts included)."""
        stats = self.client().info("commandstats")
        return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


class WorkerFleet:
    """The worker API under gunicorn and `consumers` consumer processes, with one environment."""

    def __init__(self, work_dir: Path, env: dict, consumers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ATAI_WORKER_BIND": f"127.0.0.1:{self.port}", "ATAI_ALLOWED_HOSTS": "127.0.0.1",
                    "ATAI_LOG_LEVEL": "INFO", **env}
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MALLOC_ARENA_MAX", "WEB_CONCURRENCY"):
            if name not in env:
                self.env.pop(name, None)
        self.processes = {"api": Process("api", [str(VENV_BIN / "gunicorn"), "-c", str(REPO / "worker/gunicorn.conf.py")],
                                         self.env, work_dir, REPO / "worker")}
        for n in range(1, consumers + 1):
            self.processes[f"consumer-{n}"] = Process(f"consumer-{n}", [str(VENV_BIN / "atai-worker"), "consume"],
                                                      self.env, work_dir, REPO / "worker")

    def start(self) -> "WorkerFleet":
        for process in self.processes.values():
            process.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200 and all(
                        "consumer started" in self.log(name) for name in self.processes if name != "api"):
                    return self
            except httpx.HTTPError:
                pass
            for process in self.processes.values():
                if process.popen.poll() is not None:
                    raise BenchFailure(f"{process.name} exited: {self.log(process.name)}")
            if time.monotonic() > deadline:
                raise BenchFailure("the worker did not come up: " + self.log("api"))
            time.sleep(0.2)

    def log(self, name: str) -> str:
        path = self.processes[name].log_path
        return path.read_text(errors="replace") if path.exists() else ""

    def restart_consumer(self, name: str) -> None:
        """Start a consumer again, as a supervisor would after it died."""
        self.processes[name].start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


def fake(work_dir: Path, name: str, script: str, *args: str) -> tuple[Process, str]:
    """Start one of tests/fakes as a process on a free port; returns it and its base URL."""
    port = free_port()
    process = Process(name, [sys.executable, str(REPO / "tests/fakes" / script), "--port", str(port), *args],
                      dict(os.environ), work_dir).start()
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise BenchFailure(f"{name} did not start") from None
            time.sleep(0.05)


def log_problems(text: str) -> dict[str, int]:
    """Worker log lines at WARNING or above, counted by their message up to the first key=value."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split(" ", 4)
        if len(parts) == 5 and parts[2] in ("WARNING", "ERROR", "CRITICAL"):
            message = parts[4].split("=", 1)[0].rsplit(" ", 1)[0] if "=" in parts[4] else parts[4]
            counts[f"{parts[2]} {message[:80]}"] = counts.get(f"{parts[2]} {message[:80]}", 0) + 1
    return counts


__all__ = ["REPO", "BenchFailure", "MemorySampler", "Process", "RedisServer", "WorkerFleet", "fake", "log",
           "log_problems", "memory_mb"]
