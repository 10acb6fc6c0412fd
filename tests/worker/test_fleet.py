"""A worker fleet as it runs in production: gunicorn and two `atai-worker consume` processes sharing a real
redis-server, with sites registered by `atai-worker sites add`, driven over HTTP the way each site's plugin
drives it. Every response is checked against the contract."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time

import httpx
import pytest

from atai_worker.api import contract_validator
from tests.fakes.callback_receiver import CallbackReceiver
from tests.worker.service import AI_KEY, REPO_ROOT, VENV_BIN, Worker


class Fleet(Worker):
    """The API and `consumers` consumer processes on one Redis."""

    def __init__(self, data_dir, port, redis_url, consumers: int = 2, **env):
        super().__init__(data_dir, port, ATAI_REDIS_URL=redis_url, **env)
        self.consumers = consumers

    def start(self) -> "Fleet":
        super().start()
        names = ["consumer"] + [f"consumer-{n}" for n in range(2, self.consumers + 1)]
        for name in names[1:]:
            self.processes[name] = self._spawn(name, [str(VENV_BIN / "atai-worker"), "consume"])
        deadline = time.monotonic() + 60
        while not all("consumer started" in self.log(name) for name in names):
            assert time.monotonic() < deadline, "the consumers did not start"
            time.sleep(0.1)
        return self

    def planned_runs(self, name: str) -> int:
        """How many runs a consumer planned, read from its whole log (log() gives only its end)."""
        return (self.data_dir / f"{name}.log").read_text(errors="replace").count("run planned")

    def add_site(self, site_id: str, *options: str) -> "SiteClient":
        """Register a site with the worker's own command; its client speaks with the printed token."""
        result = subprocess.run([str(VENV_BIN / "atai-worker"), "sites", "add", site_id,
                                 "--callback-url-pattern", "http://127.0.0.1:*/", *options],
                                cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        token = next(line.strip() for line in result.stdout.splitlines() if line.startswith("    "))
        assert token.startswith(site_id + ":")
        return SiteClient(self, token)


class SiteClient:
    """One site's plugin: the contract's requests with the site's own token."""

    def __init__(self, fleet: Fleet, token: str):
        self.fleet = fleet
        self.token = token
        self.http = httpx.Client(base_url=fleet.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def create_run(self, url: str, *, ai: dict, callback_url: str | None = None, max_items: int = 50) -> str:
        body = {"feed": {"id": 1, "url": url}, "max_items": max_items, "seen_keys": [], "ai": ai,
                "callback_url": callback_url}
        response = self.http.post("/v1/runs", json=body)
        assert response.status_code == 202, response.text
        return response.json()["run_id"]

    def wait(self, run_id: str, seconds: float = 120) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            response = self.http.get(f"/v1/runs/{run_id}")
            assert response.status_code == 200, response.text
            run = response.json()
            contract_validator("Run").validate(run)
            if run["state"] in ("done", "failed"):
                return run
            assert time.monotonic() < deadline, f"run {run_id} stuck:\n{self.fleet.log('consumer')}"
            time.sleep(0.2)


@pytest.fixture
def fleet(tmp_path, free_port, redis_url):
    url = redis_url.rsplit("/", 1)[0] + "/5"
    # The Redis database of this module is emptied first: sites from an earlier test are gone.
    subprocess.run(["redis-cli", "-u", url, "flushdb"], check=True, capture_output=True)
    fleet = Fleet(tmp_path, free_port(), url, ATAI_CONSUMER_WORKERS="2")
    yield fleet.start()
    fleet.stop()


def ai_on(model_server, max_in_flight: int) -> dict:
    return {"enabled": True, "base_url": model_server.base_url, "api_key": AI_KEY, "model": "fake-model",
            "max_in_flight": max_in_flight}


def test_two_consumers_never_send_the_model_more_calls_than_the_shared_limit(fleet, feed_files, model_server):
    model_server.delay = 0.3
    sites = [fleet.add_site(f"limit-{n}") for n in range(3)]
    runs = [(site, site.create_run(feed_files.add(f"limit-{s}-{f}", [f"Site {s} feed {f} item {k}" for k in range(6)]),
                                   ai=ai_on(model_server, 3)))
            for s, site in enumerate(sites) for f in range(2)]
    for site, run_id in runs:
        run = site.wait(run_id)
        assert len(run["drafts"]) == 6 and run["errors"] == []
    assert len(model_server.requests) == 36
    assert model_server.peak_in_flight <= 3
    # Both consumers took runs: a limit counted per process would have allowed 6.
    assert fleet.planned_runs("consumer") and fleet.planned_runs("consumer-2")


def test_a_small_site_is_not_stuck_behind_a_large_one_that_came_first(fleet, feed_files, model_server):
    model_server.delay = 0.2
    large, small = fleet.add_site("large"), fleet.add_site("small")
    large_runs = [large.create_run(feed_files.add(f"large-{f}", [f"Large {f}.{k}" for k in range(8)]),
                                   ai=ai_on(model_server, 2)) for f in range(4)]
    small_run = small.create_run(feed_files.add("small-0", [f"Small 0.{k}" for k in range(3)]), ai=ai_on(model_server, 2))
    assert len(small.wait(small_run)["drafts"]) == 3
    for run_id in large_runs:
        assert len(large.wait(run_id)["drafts"]) == 8
    asked = model_server.titles()
    last_small = max(n for n, title in enumerate(asked) if title.startswith("Small"))
    last_large = max(n for n, title in enumerate(asked) if title.startswith("Large"))
    # In arrival order the small site's items would be the last three of 35.
    assert last_small < last_large - 10


def test_callbacks_are_signed_with_the_sites_own_token(fleet, feed_files, model_server):
    site = fleet.add_site("signed")
    receiver = CallbackReceiver()
    try:
        run_id = site.create_run(feed_files.add("signed-0", ["One"]), ai={"enabled": False}, callback_url=receiver.url)
        site.wait(run_id)
        receiver.wait(1)
    finally:
        receiver.close()
    [(headers, body)] = receiver.received
    expected = hmac.new(site.token.encode(), headers["X-ATAI-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-ATAI-Signature"], "sha256=" + expected)
    assert json.loads(body) == {"run_id": run_id, "state": "done"}


def test_a_cancelled_run_stops_and_is_forgotten(fleet, feed_files, model_server):
    model_server.delay = 0.5
    site = fleet.add_site("cancels")
    run_id = site.create_run(feed_files.add("cancel-0", [f"Cancel {k}" for k in range(40)]), ai=ai_on(model_server, 2))
    while not model_server.requests:
        time.sleep(0.05)
    response = site.http.delete(f"/v1/runs/{run_id}")
    assert response.status_code == 200 and response.json()["deleted"] is True
    assert site.http.get(f"/v1/runs/{run_id}").status_code == 404
    time.sleep(7)  # longer than a lease renewal: the consumer has noticed
    asked = len(model_server.requests)
    time.sleep(2)
    assert len(model_server.requests) == asked < 40
    assert "Traceback" not in fleet.log("consumer") + fleet.log("consumer-2")
