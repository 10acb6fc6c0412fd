"""The worker as it runs in production, for tests: gunicorn (worker/gunicorn.conf.py) and `atai-worker consume`
as processes on free loopback ports, driven over HTTP the way the plugin drives it, every response checked
against the contract.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from atai_worker.api import contract_validator

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "service-test-secret"
VENV_BIN = Path(sys.executable).parent
AI_KEY = "sk-service-test-key"


class Worker:
    """The API under gunicorn and one consumer, as subprocesses sharing a data dir (or a Redis)."""

    def __init__(self, data_dir: Path, port: int, **env: str):
        self.port = port
        self.data_dir = data_dir
        self.env = {**os.environ, "ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(data_dir),
                    "ATAI_WORKER_BIND": f"127.0.0.1:{self.port}", "ATAI_ALLOWED_HOSTS": "127.0.0.1",
                    "ATAI_AI_TIMEOUT": "3", "ATAI_LOG_LEVEL": "INFO", **env}
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ATAI_REDIS_URL", "ATAI_AI_ALLOWED_BASE_URLS"):
            if name not in env:
                self.env.pop(name, None)
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)

    def start(self) -> "Worker":
        self.processes["api"] = self._spawn("api", [str(VENV_BIN / "gunicorn"), "-c", "worker/gunicorn.conf.py"])
        self.start_consumer()
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited: {self.log(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError("the API did not come up: " + self.log("api"))
            time.sleep(0.1)

    def start_consumer(self) -> None:
        self.processes["consumer"] = self._spawn("consumer", [str(VENV_BIN / "atai-worker"), "consume"])

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.data_dir / f"{name}.log", "ab")
        # A session of its own, so that killing it kills gunicorn's workers too.
        return subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def log(self, name: str) -> str:
        path = self.data_dir / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def kill(self, *names: str) -> None:
        """SIGKILL the API and the consumer (or those named) with all their children, as a crash or an OOM
        kill would."""
        for name, process in self.processes.items():
            if names and name not in names:
                continue
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    # The plugin's side of the contract.

    def create_run(self, url: str, *, ai: dict | None = None, max_items: int = 10, seen_keys=(),
                   callback_url: str | None = None, options: dict | None = None, **feed) -> str:
        body = {"feed": {"id": 5, "url": url, **feed}, "max_items": max_items, "seen_keys": list(seen_keys),
                "ai": ai or {"enabled": False}, "callback_url": callback_url}
        if options is not None:
            body["options"] = options
        contract_validator("RunRequest").validate(body)
        response = self.http.post("/v1/runs", json=body)
        assert response.status_code == 202, response.text
        contract_validator("RunCreated").validate(response.json())
        return response.json()["run_id"]

    def run(self, run_id: str) -> dict:
        response = self.http.get(f"/v1/runs/{run_id}")
        assert response.status_code == 200, response.text
        contract_validator("Run").validate(response.json())
        return response.json()

    def wait(self, run_id: str, until=lambda run: run["state"] in ("done", "failed"), seconds: float = 90) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            run = self.run(run_id)
            if until(run):
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} stuck in {run['state']}:\n{self.log('consumer')}")
            time.sleep(0.2)

    def ack(self, run_id: str, keys: list[str]) -> dict:
        response = self.http.post(f"/v1/runs/{run_id}/ack", json={"keys": keys})
        assert response.status_code == 200, response.text
        contract_validator("AckResult").validate(response.json())
        return response.json()


def ai_on(model_server, **changes) -> dict:
    return {"enabled": True, "base_url": model_server.base_url, "api_key": AI_KEY, "model": "fake-model", **changes}
