"""The worker as it runs in production: gunicorn (worker/gunicorn.conf.py) and `atai-worker consume` as
processes on free loopback ports, driven over HTTP the way the plugin drives it, against the fake feed
origin and the fake model as real HTTP servers. Every response is checked against the contract.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import time

import httpx
import pytest
from tests.fakes.callback_receiver import CallbackReceiver

from atai_worker.api import contract_validator
from tests.fakes.model_server import TITLE_PREFIX
from tests.worker.service import AI_KEY, REPO_ROOT, SECRET, VENV_BIN, Worker, ai_on


@pytest.fixture(scope="module")
def worker(tmp_path_factory, free_port):
    # One consumer thread: the in-flight limit, not the consumer's thread count, must bound the model calls.
    worker = Worker(tmp_path_factory.mktemp("worker"), free_port(), ATAI_CONSUMER_WORKERS="1").start()
    yield worker
    worker.stop()


def test_status_and_health_answer_per_the_contract(worker):
    contract_validator("Health").validate(httpx.get(worker.url + "/healthz").json())
    response = worker.http.get("/v1/status")
    assert response.status_code == 200
    contract_validator("Status").validate(response.json())
    assert response.json()["ai"]["configured"] is False
    assert response.json()["queue"]["backend"] == "sqlite"


def test_a_wrong_secret_is_refused(worker):
    response = httpx.get(worker.url + "/v1/status", headers={"Authorization": "Bearer not-the-secret"})
    assert response.status_code == 401
    contract_validator("Error").validate(response.json())


def test_a_malformed_body_is_refused_naming_the_field(worker):
    body = {"feed": {"id": 5, "url": "file:///etc/passwd"}, "max_items": 10, "seen_keys": [], "ai": {"enabled": False}}
    response = worker.http.post("/v1/runs", json=body)
    assert response.status_code == 400
    contract_validator("Error").validate(response.json())
    assert response.json()["error"]["field"] == "feed.url"
    response = worker.http.post("/v1/runs", content=b"not json", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_json")


def test_ai_off_gives_cleaned_originals_and_ack_forgets_them(worker, feed_server):
    run_id = worker.create_run(feed_server.url("/gen/service-plain.xml?items=3&image=1"))
    run = worker.wait(run_id)
    assert run["state"] == "done" and run["rewrite"]["mode"] == "original"
    assert len(run["drafts"]) == 3 and all(not d["rewritten"] and d["model"] is None for d in run["drafts"])
    assert [i["state"] for i in run["items"]] == ["ready"] * 3
    keys = [d["key"] for d in run["drafts"]]
    assert worker.ack(run_id, keys[:1]) == {"run_id": run_id, "remaining": 2, "deleted": False}
    assert worker.ack(run_id, keys[1:]) == {"run_id": run_id, "remaining": 0, "deleted": True}
    response = worker.http.get(f"/v1/runs/{run_id}")
    assert response.status_code == 404
    contract_validator("Error").validate(response.json())


def test_ai_on_gives_rewritten_drafts_and_the_hostile_item_comes_out_clean(worker, feed_server, model_server):
    run_id = worker.create_run(feed_server.url("/gen/service-ai.xml?items=3&hostile=1"), ai=ai_on(model_server))
    run = worker.wait(run_id)
    assert run["rewrite"] == {"mode": "ai", "model": "fake-model", "reason": None}
    assert len(run["drafts"]) == 3, run["errors"]
    for draft in run["drafts"]:
        assert draft["rewritten"] and draft["title"] == TITLE_PREFIX + draft["source_title"]
        content = draft["content"].lower()
        assert "<script" not in content and "javascript:" not in content and " onclick" not in content
        assert " onerror" not in content and "<iframe" not in content
    assert {r["authorization"] for r in model_server.requests} == {f"Bearer {AI_KEY}"}
    assert AI_KEY not in worker.log("api") + worker.log("consumer")


def test_a_model_failure_is_an_item_error_never_the_original(worker, feed_files, model_server):
    url = feed_files.add("service-fail", ["Fine", "[model-garbage] Broken", "[model-500] Down"])
    run = worker.wait(worker.create_run(url, ai=ai_on(model_server), options={"on_failure": "retry"}))
    assert run["state"] == "done"
    assert [d["source_title"] for d in run["drafts"]] == ["Fine"]
    errors = {e["title"]: (e["stage"], e["code"], e["message"]) for e in run["errors"]}
    assert errors == {
        "[model-garbage] Broken": ("rewrite", "model_invalid_output",
                                   "rewrite: the model returned text that is not valid JSON (twice)"),
        "[model-500] Down": ("rewrite", "model_http_error", "rewrite: the AI endpoint answered HTTP 500"),
    }
    [garbage] = [e for e in run["errors"] if e["code"] == "model_invalid_output"]
    assert [c["purpose"] for c in garbage["usage"]["calls"]] == ["rewrite", "rewrite"]


def test_an_answer_that_never_fits_waits_for_review_as_the_cleaned_original(worker, feed_files, model_server):
    url = feed_files.add("service-held", ["[model-garbage] Broken"])
    run = worker.wait(worker.create_run(url, ai=ai_on(model_server)))
    [draft] = run["drafts"]
    assert run["errors"] == [] and draft["hold"] and not draft["rewritten"]
    assert draft["source_html"] == draft["content"]
    [finding] = [f for f in draft["findings"] if f["hold"]]
    assert finding["code"] == "model_invalid_output"
    assert finding["message"].endswith("the cleaned original waits for review instead (the feed's failure policy)")


@pytest.mark.parametrize("path, code, message", [
    ("/status/404", "http_error", "fetch: got 404 from {base}/status/404"),
    ("/notfeed", "not_a_feed", "parse: {base}/notfeed is not an RSS, Atom or JSON feed"),
])
def test_a_feed_that_cannot_be_read_fails_the_run_in_words(worker, feed_server, path, code, message):
    run = worker.wait(worker.create_run(feed_server.url(path)))
    assert run["state"] == "failed" and run["items"] == [] and run["drafts"] == []
    assert run["error"]["code"] == code
    assert run["error"]["message"].startswith(message.format(base=feed_server.base_url))


def test_a_blocked_address_fails_the_run_in_words(worker):
    run = worker.wait(worker.create_run("http://169.254.169.254/latest/meta-data/"))
    assert run["state"] == "failed" and run["error"]["code"] == "blocked_address"
    assert run["error"]["message"].startswith("fetch: refused to fetch http://169.254.169.254/latest/meta-data/")


def test_an_unchanged_feed_is_not_modified(worker, feed_files):
    url = feed_files.add("service-same", ["Only item"])
    first = worker.wait(worker.create_run(url))
    again = worker.wait(worker.create_run(url, etag=first["feed"]["etag"],
                                          last_modified=first["feed"]["last_modified"]))
    assert again["state"] == "done" and again["feed"]["not_modified"] and again["items"] == []


def test_the_in_flight_limit_holds_across_runs(worker, feed_files, model_server):
    model_server.delay = 0.5
    run_ids = [worker.create_run(feed_files.add(f"service-load-{n}", [f"Run {n} item {k}" for k in range(5)]),
                                 ai=ai_on(model_server, max_in_flight=3)) for n in range(3)]
    for run_id in run_ids:
        assert len(worker.wait(run_id)["drafts"]) == 5
    assert len(model_server.requests) == 15
    assert model_server.peak_in_flight == 3


def test_one_consumer_thread_still_fills_the_in_flight_limit(worker, feed_files, model_server):
    model_server.delay = 1.5
    run_ids = [worker.create_run(feed_files.add(f"service-single-{n}", [f"Single {n}"]),
                                 ai=ai_on(model_server, max_in_flight=4)) for n in range(6)]
    for run_id in run_ids:
        assert len(worker.wait(run_id)["drafts"]) == 1
    assert model_server.peak_in_flight == 4


def test_the_callback_arrives_signed_with_the_shared_secret(worker, feed_files, feed_server):
    receiver = CallbackReceiver()
    try:
        done_id = worker.create_run(feed_files.add("service-callback", ["One"]), callback_url=receiver.url)
        failed_id = worker.create_run(feed_server.url("/status/500"), callback_url=receiver.url)
        worker.wait(done_id), worker.wait(failed_id)
        receiver.wait(2)
    finally:
        receiver.close()
    bodies = {}
    for headers, body in receiver.received:
        expected = hmac.new(SECRET.encode(), headers["X-ATAI-Timestamp"].encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-ATAI-Signature"], "sha256=" + expected)
        payload = json.loads(body)
        contract_validator("Callback").validate(payload)
        bodies[payload["run_id"]] = payload["state"]
    assert bodies == {done_id: "done", failed_id: "failed"}


def test_a_killed_worker_resumes_the_run_with_every_item_exactly_once(tmp_path, free_port, feed_files,
                                                                     model_server):
    model_server.delay = 1.0
    titles = [f"Slow item {n}" for n in range(8)]
    url = feed_files.add("service-crash", titles)
    worker = Worker(tmp_path, free_port()).start()
    try:
        run_id = worker.create_run(url, ai=ai_on(model_server, max_in_flight=2))
        before = worker.wait(run_id, until=lambda run: len(run["drafts"]) >= 2)
        assert before["state"] == "running"
        worker.kill()
        ready_before = {d["source_title"] for d in before["drafts"]}

        worker.start()
        run = worker.wait(run_id, seconds=150)
    finally:
        worker.stop()
    assert run["state"] == "done"
    keys = [i["key"] for i in run["items"]]
    assert len(keys) == len(set(keys)) == 8
    assert sorted(d["key"] for d in run["drafts"]) == sorted(keys)
    assert sorted(d["source_title"] for d in run["drafts"]) == sorted(titles)
    assert run["errors"] == []
    # The plan was saved: the feed was fetched once. Drafts made before the kill were not paid for twice.
    assert feed_files.fetches(url) == 1
    asked = model_server.titles()
    assert all(asked.count(title) == 1 for title in ready_before)
    assert set(asked) == set(titles)


def test_a_rate_limited_item_is_retried_in_the_same_run_after_its_retry_after(worker, feed_files, model_server):
    url = feed_files.add("service-busy", ["Calm", "[model-429x2] Busy"])
    run = worker.wait(worker.create_run(url, ai=ai_on(model_server)))
    assert run["state"] == "done" and run["errors"] == []
    assert sorted(d["title"] for d in run["drafts"]) == ["Rewritten: Calm", "Rewritten: [model-429x2] Busy"]
    calls = model_server.calls("[model-429x2] Busy")
    assert [c["status"] for c in calls] == [429, 429, 200]
    assert all(later["at"] - earlier["at"] >= model_server.retry_after for earlier, later in zip(calls, calls[1:]))
    assert "item retried later" in worker.log("consumer")


def test_a_killed_consumers_run_resumes_at_once_when_a_consumer_starts_on_the_same_host(tmp_path, free_port,
                                                                                       feed_files, model_server):
    # Leases of ten minutes: the run can only go on now if the new consumer sees that the old one is dead.
    worker = Worker(tmp_path, free_port(), ATAI_LEASE_SECONDS="600").start()
    titles = ["Reclaimed one", "Reclaimed two"]
    try:
        model_server.hold()
        run_id = worker.create_run(feed_files.add("service-reclaim", titles), ai=ai_on(model_server))
        wait_for(lambda: len(model_server.requests) == 2)
        worker.kill("consumer")
        model_server.release()  # the answers go to a dead process

        worker.start_consumer()
        run = worker.wait(run_id)
    finally:
        model_server.release()
        worker.stop()
    assert run["state"] == "done" and sorted(d["source_title"] for d in run["drafts"]) == titles
    assert "run reclaimed from a dead consumer" in worker.log("consumer")


def test_a_model_answer_received_before_the_kill_is_not_paid_for_again(tmp_path, free_port, feed_files,
                                                                      model_server):
    worker = Worker(tmp_path, free_port(), ATAI_LEASE_SECONDS="600").start()
    titles = ["Answered one", "Answered two"]
    runs_db = None
    try:
        model_server.hold()
        run_id = worker.create_run(feed_files.add("service-answers", titles), ai=ai_on(model_server))
        wait_for(lambda: len(model_server.requests) == 2)
        # The run store's disk stalls: the drafts cannot be stored. The answers (a file of their own) can.
        runs_db = sqlite3.connect(tmp_path / "runs.db", isolation_level=None)
        runs_db.execute("begin immediate")
        model_server.release()
        answers = sqlite3.connect(tmp_path / "answers.db")
        wait_for(lambda: answers.execute("select count(*) from answers").fetchone()[0] == 2)
        answers.close()
        worker.kill("consumer")
        runs_db.execute("rollback")

        worker.start_consumer()
        run = worker.wait(run_id)
    finally:
        model_server.release()
        if runs_db is not None:
            runs_db.close()
        worker.stop()
    assert sorted(d["title"] for d in run["drafts"]) == ["Rewritten: " + title for title in titles]
    assert [len(model_server.calls(title)) for title in titles] == [1, 1]


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true"
        time.sleep(0.05)


def test_the_redis_backend_runs_end_to_end(tmp_path, free_port, redis_url, feed_files, model_server):
    worker = Worker(tmp_path, free_port(), ATAI_REDIS_URL=redis_url).start()
    try:
        assert worker.http.get("/v1/status").json()["queue"]["backend"] == "redis"
        url = feed_files.add("service-redis", ["Red one", "Red two"])
        run_id = worker.create_run(url, ai=ai_on(model_server))
        run = worker.wait(run_id)
        assert sorted(d["title"] for d in run["drafts"]) == [TITLE_PREFIX + "Red one", TITLE_PREFIX + "Red two"]
        assert worker.ack(run_id, [d["key"] for d in run["drafts"]])["deleted"]
    finally:
        worker.stop()
    assert not list(tmp_path.glob("*.db")), "nothing is stored in SQLite when Redis is configured"


def test_neither_process_starts_without_the_shared_secret(tmp_path, free_port):
    env = {k: v for k, v in os.environ.items() if k != "ATAI_WORKER_SECRET"}
    env.update(ATAI_DATA_DIR=str(tmp_path), ATAI_WORKER_BIND=f"127.0.0.1:{free_port()}")
    for command in ([str(VENV_BIN / "gunicorn"), "-c", "worker/gunicorn.conf.py"],
                    [str(VENV_BIN / "atai-worker"), "consume"]):
        result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode != 0
        assert "ATAI_WORKER_SECRET is not set" in result.stderr
