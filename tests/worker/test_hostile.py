"""Hostile feeds, pages and requests against the worker as it runs in production (gunicorn and its consumer):
none of them stalls a run, exhausts the process, or reaches past the worker; each is refused or repaired with
the reason in words where the site owner sees it, and the run finishes for the other items.

The hostile inputs are served by the fake origin: fixtures under tests/fixtures/hostile/ and pages/, and the
bombs and floods it makes itself (tests/fakes/hostile.py). Time and memory are measured by
bench/hostile_bench.py, never asserted here.
"""

from __future__ import annotations

import html
import json
import os
import pickle
import signal
import subprocess
from datetime import datetime, timezone

import httpx
import pytest
from huey.storage import SqliteStorage

from atai_worker.api import MAX_BODY_BYTES, contract_validator
from atai_worker.jobs import QUEUE_NAME
from tests.fakes.model_server import TITLE_PREFIX, ModelServer
from tests.worker.service import REPO_ROOT, SECRET, VENV_BIN, Worker, ai_on

ARTICLE = "<p>The harbour office published the winter tide tables on Monday.</p>" * 8
ENTITIES_REFUSED = "parse: the feed declares XML entities, which are not accepted"


@pytest.fixture(scope="module")
def worker(tmp_path_factory, free_port):
    worker = Worker(tmp_path_factory.mktemp("hostile"), free_port(), ATAI_CONSUMER_WORKERS="2").start()
    yield worker
    worker.stop()


def drafts_by_title(run: dict) -> dict:
    return {d["source_title"]: d for d in run["drafts"]}


def findings_of(draft: dict) -> set[tuple[str, str]]:
    return {(finding["code"], finding["message"]) for finding in draft["findings"]}


# --- 1. Patterns that take quadratic time ------------------------------------------------------------------


@pytest.mark.parametrize("pattern, where", [
    ("img-src", "content"),  # <img src=" a million times: the first-image pattern
    ("img", "content"),
    ("description", "content"),  # the pattern that finds CDATA bodies to set aside
    ("tag", "author"),  # "<a " in an author, a category, a title: the tag pattern
    ("tag", "category"),
    ("tag", "title"),
])
def test_a_megabyte_flood_of_markup_in_one_entry_does_not_hold_the_run(worker, feed_server, pattern, where):
    run = worker.wait(worker.create_run(feed_server.url(f"/flood.xml?pattern={pattern}&where={where}&size=1000000")))

    assert run["state"] == "done", run["error"]
    assert "Harbour news" in drafts_by_title(run)
    flood = [d for d in run["drafts"] if d["source_title"] != "Harbour news"]
    for draft in flood:
        assert len(draft["source_title"]) <= 1000 and len(draft["author"] or "") <= 200
        assert len(draft["categories"]) <= 50 and all(len(c) <= 100 for c in draft["categories"])
    assert len(flood) + len(run["errors"]) == 1


@pytest.fixture(scope="module")
def hurried_worker(tmp_path_factory, free_port):
    """A worker whose stages have two seconds each (ATAI_STAGE_BUDGET), less than its fetch timeout."""
    worker = Worker(tmp_path_factory.mktemp("hurried"), free_port(), ATAI_STAGE_BUDGET="2",
                    ATAI_FETCH_TIMEOUT="60").start()
    yield worker
    worker.stop()


def test_an_item_whose_stage_overruns_its_budget_is_given_up_and_the_run_finishes(hurried_worker, feed_files):
    slow = feed_files.server.url("/slow?seconds=30")
    url = write_feed(feed_files, "overrun", [("A page that takes its time", slow, "<p>Only a teaser.</p>"),
                                             ("Harbour news", "https://larkmouth.example/news", ARTICLE)])
    run = hurried_worker.wait(hurried_worker.create_run(url))

    assert run["state"] == "done"
    assert [d["source_title"] for d in run["drafts"]] == ["Harbour news"]
    (error,) = run["errors"]
    assert (error["title"], error["stage"], error["code"], error["retryable"]) == (
        "A page that takes its time", "extract", "stage_timeout", True)
    assert error["message"] == ("extract: the item took longer than 2 s in this stage, the time budget of one stage "
                                "(ATAI_STAGE_BUDGET); it was given up")


def test_a_feed_whose_parse_overruns_its_budget_fails_the_run_in_words(hurried_worker, feed_server):
    # Unescaped markup makes the feed ill-formed: feedparser's lenient parser then reads a million tags, in
    # linear time, but far longer than two seconds.
    run = hurried_worker.wait(hurried_worker.create_run(feed_server.url("/flood.xml?pattern=tag&where=raw")))

    assert run["state"] == "failed" and run["items"] == []
    assert run["error"] == {"code": "stage_timeout", "message": (
        "parse: reading the feed took longer than 2 s, the time budget of one stage (ATAI_STAGE_BUDGET); "
        "it was given up")}


# --- 2. Compression bombs ----------------------------------------------------------------------------------


def test_a_feed_compressed_twice_is_refused_in_words(worker, feed_server):
    url = feed_server.url("/bomb?mb=200&coding=gzip,gzip")
    run = worker.wait(worker.create_run(url))

    assert run["state"] == "failed"
    assert run["error"] == {"code": "decoding_failed", "message": (
        f"fetch: {url} is compressed more than once (Content-Encoding: gzip, gzip); "
        "only one content coding is accepted")}


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compression_bomb_stops_at_the_size_cap(worker, feed_server, coding):
    url = feed_server.url(f"/bomb?mb=200&coding={coding}")
    run = worker.wait(worker.create_run(url))

    assert run["state"] == "failed"
    assert run["error"] == {"code": "too_large", "message": (
        f"fetch: {url} sent more than the 20 MB limit (ATAI_FETCH_MAX_BYTES); stopped reading")}


def test_an_article_page_that_is_a_bomb_costs_the_full_text_only(worker, feed_files):
    bomb = feed_files.server.url("/bomb?mb=200&coding=gzip,gzip")
    url = write_feed(feed_files, "bomb-page", [("A teaser", bomb, "<p>Only a teaser.</p>")])
    run = worker.wait(worker.create_run(url))

    (draft,) = run["drafts"]
    assert ("full_text_unavailable", (
        f"fetch: {bomb} is compressed more than once (Content-Encoding: gzip, gzip); only one content coding "
        "is accepted; the feed's summary is used instead")) in findings_of(draft)


# --- 3. The operator's API key stays with the operator's endpoint ------------------------------------------


def test_the_environments_key_is_never_sent_to_an_endpoint_a_run_names(tmp_path, free_port, feed_files):
    with ModelServer() as own, ModelServer() as listed, ModelServer() as chosen:
        worker = Worker(tmp_path, free_port(), OPENAI_API_KEY="sk-operator-key", OPENAI_BASE_URL=own.base_url,
                        ATAI_AI_ALLOWED_BASE_URLS=listed.base_url + "/").start()
        try:
            url = feed_files.add("endpoint-choice", ["Tide tables"])
            refused = worker.http.post("/v1/runs", json=run_body(url, {"enabled": True, "base_url": chosen.base_url}))
            with_key = worker.wait(worker.create_run(url, ai={"enabled": True, "base_url": chosen.base_url,
                                                              "api_key": "sk-site-key"}))
            to_own = worker.wait(worker.create_run(url, ai={"enabled": True, "base_url": own.base_url}))
            to_listed = worker.wait(worker.create_run(url, ai={"enabled": True, "base_url": listed.base_url}))
            # Another entry (another link): the same one to the same endpoint is answered from the stored answer.
            other = feed_files.add("endpoint-default", ["Tide tables"])
            to_default = worker.wait(worker.create_run(other, ai={"enabled": True}))
        finally:
            worker.stop()

    assert refused.status_code == 400
    contract_validator("Error").validate(refused.json())
    assert refused.json()["error"]["field"] == "ai.api_key"
    assert refused.json()["error"]["message"].startswith(
        "request: ai.api_key is required when ai.base_url names an endpoint other than the worker's own")
    assert [r["authorization"] for r in chosen.requests] == ["Bearer sk-site-key"]
    assert [r["authorization"] for r in listed.requests] == ["Bearer sk-operator-key"]
    assert [r["authorization"] for r in own.requests] == ["Bearer sk-operator-key"] * 2
    for run in (with_key, to_own, to_listed, to_default):
        assert [d["title"] for d in run["drafts"]] == [TITLE_PREFIX + "Tide tables"]


def test_a_runs_ai_key_is_sealed_in_the_run_store_and_a_changed_secret_fails_the_run_in_words(
        tmp_path, free_port, feed_files, model_server):
    model_server.delay = 1.0
    key = "sk-site-key-that-must-not-rest-in-clear"
    url = feed_files.add("sealed-key", [f"Slow item {n}" for n in range(4)])
    worker = Worker(tmp_path, free_port()).start()
    try:
        done = worker.wait(worker.create_run(url, ai=ai_on(model_server, api_key=key, max_in_flight=1)),
                           until=lambda run: len(run["drafts"]) >= 1)
        at_rest = b"".join(path.read_bytes() for path in tmp_path.glob("*.db*"))
        worker.wait(done["run_id"])
        consumer = worker.processes.pop("consumer")  # so that the next run waits in the store
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait(10)
        waiting = worker.create_run(url, ai=ai_on(model_server, api_key=key))
    finally:
        worker.stop()
    # The same store, with another secret: the run that waited cannot open its key.
    other = Worker(tmp_path, free_port(), ATAI_WORKER_SECRET="another-secret")
    other.http.headers["Authorization"] = "Bearer another-secret"
    other.start()
    try:
        failed = other.wait(waiting)
    finally:
        other.stop()

    assert done["state"] == "running" and at_rest and key.encode() not in at_rest
    assert {r["authorization"] for r in model_server.requests} == {f"Bearer {key}"}
    assert failed["state"] == "failed" and failed["error"] == {"code": "api_key_unreadable", "message": (
        "worker: the AI key sent with this run cannot be read: ATAI_WORKER_SECRET changed since the run was "
        "queued; the next run sends the key again")}


# --- 5. Entity declarations, and bounded model requests ----------------------------------------------------


@pytest.mark.parametrize("fixture", ["billion-laughs.xml", "quadratic-blowup.xml", "external-entity.xml"])
def test_a_feed_that_declares_entities_is_refused_before_any_parser_sees_it(worker, feed_server, fixture):
    run = worker.wait(worker.create_run(feed_server.url(f"/files/hostile/{fixture}")))

    assert run["state"] == "failed" and run["items"] == []
    assert run["error"] == {"code": "xml_entities", "message": ENTITIES_REFUSED}


def test_an_article_page_that_declares_entities_costs_the_full_text_only(worker, feed_files):
    page = feed_files.directory / "entity-page.html"
    page.write_text('<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                    "<html><body><article><p>&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;</p></article></body></html>")
    page_url = feed_files.server.url("/files/entity-page.html")
    url = write_feed(feed_files, "entity-page", [("A teaser", page_url, "<p>Only a teaser.</p>")])
    run = worker.wait(worker.create_run(url))

    (draft,) = run["drafts"]
    assert ("full_text_unavailable", (
        f"extract: the page at {page_url} declares XML entities, which are not accepted; "
        "the feed's summary is used instead")) in findings_of(draft)


def test_every_model_request_is_bounded_and_an_absurdly_long_article_is_held(worker, feed_server, model_server):
    model_server.reset()
    url = feed_server.url("/gen/hostile-huge.xml?items=2&size=800000")
    run = worker.wait(worker.create_run(url, ai=ai_on(model_server)))

    # Held as the cleaned original (the feed's failure policy), never sent to the model.
    assert run["state"] == "done" and run["errors"] == [] and len(run["drafts"]) == 2
    for draft in run["drafts"]:
        assert draft["hold"] and not draft["rewritten"] and draft["usage"] is None
        [finding] = [f for f in draft["findings"] if f["hold"]]
        assert finding["code"] == "article_too_long"
        assert finding["message"].startswith("rewrite: the article is too long for one model request (about ")
        assert "tokens, over the limit of 32,000 set by ATAI_AI_MAX_INPUT_TOKENS); condensing it would take " in \
            finding["message"]
    assert model_server.requests == []

    # A long one is condensed in parts first: every request stays within the limits.
    run = worker.wait(worker.create_run(feed_server.url("/gen/hostile-long.xml?items=1&size=150000"),
                                        ai=ai_on(model_server)))
    assert [d["rewritten"] for d in run["drafts"]] == [True]
    assert "condense" in model_server.purposes() and model_server.purposes()[-1] == "rewrite"
    run = worker.wait(worker.create_run(feed_server.url("/gen/hostile-short.xml?items=2"), ai=ai_on(model_server)))
    assert len(run["drafts"]) == 2
    assert all(isinstance(r["max_tokens"], int) and 0 < r["max_tokens"] <= 16_000 for r in model_server.requests)
    assert all(r["body_bytes"] < 8 * 32_000 for r in model_server.requests)


# --- 6. Characters XML does not allow ---------------------------------------------------------------------


def test_control_characters_are_removed_where_text_enters_and_every_item_is_drafted(worker, feed_server):
    run = worker.wait(worker.create_run(feed_server.url("/files/hostile/control-characters.xml")))

    assert run["state"] == "done" and run["errors"] == []
    drafts = drafts_by_title(run)
    assert set(drafts) == {"Tide tables[31m arrive early", "Plain words", "Harbour news"}
    for draft in run["drafts"]:
        text = json.dumps(draft)
        assert not any(ch in draft["content"] + draft["title"] + draft["excerpt"] for ch in "\x00\x1b\x0c\ufffe")
        assert "\\u0000" not in text and "\\u001b" not in text


def test_control_characters_in_the_models_answer_are_removed(worker, feed_files, model_server):
    url = feed_files.add("model-control", ["[model-control] Odd answer", "Plain answer"])
    run = worker.wait(worker.create_run(url, ai=ai_on(model_server)))

    assert run["errors"] == []
    draft = drafts_by_title(run)["[model-control] Odd answer"]
    assert draft["content"].startswith("Rewritten with[1m control characters. ")
    assert draft["excerpt"] == "A summary of [model-control] Odd answer"


# --- 7. Hidden text ---------------------------------------------------------------------------------------


def test_text_hidden_from_readers_never_reaches_the_model_or_the_post(worker, feed_server, model_server):
    model_server.reset()
    run = worker.wait(worker.create_run(feed_server.url("/files/hostile/hidden-text-feed.xml"),
                                        ai=ai_on(model_server)))
    plain = worker.wait(worker.create_run(feed_server.url("/files/hostile/hidden-text-feed.xml")))

    assert len(run["drafts"]) == 2 and len(plain["drafts"]) == 2
    sent = [r["content_html"] for r in model_server.requests]
    assert len(sent) == 2
    assert "Morning crossings will leave at seven" in "".join(sent)
    assert "russet planted before the war" in "".join(sent)
    for text in sent + [d["content"] for d in run["drafts"] + plain["drafts"]]:
        assert "HIDDEN-" not in text


# --- 8. Allowed hosts by name and port ----------------------------------------------------------------------


def test_allowing_127_0_0_1_does_not_allow_localhost_on_another_port(worker, feed_server, model_server):
    url = feed_server.url(f"/redirect?localhost={model_server.port}")
    run = worker.wait(worker.create_run(url))

    target = f"http://localhost:{model_server.port}/files/feeds/rss20-cdata.xml"
    assert run["state"] == "failed" and run["error"]["code"] == "blocked_address"
    assert run["error"]["message"].startswith(
        f"fetch: refused to fetch {target} (redirected from {url}): localhost resolves to ")
    assert model_server.requests == []


def test_an_allowed_host_with_a_port_allows_that_port_only(tmp_path, free_port, feed_server, feed_files):
    allowed = feed_files.add("port-allowed", ["Allowed port"])
    worker = Worker(tmp_path, free_port(), ATAI_ALLOWED_HOSTS=f"127.0.0.1:{feed_files.server.port}").start()
    try:
        fetched = worker.wait(worker.create_run(allowed))
        refused = worker.wait(worker.create_run(feed_server.url("/files/feeds/rss20-cdata.xml")))
    finally:
        worker.stop()

    assert [d["source_title"] for d in fetched["drafts"]] == ["Allowed port"]
    assert refused["state"] == "failed" and refused["error"]["code"] == "blocked_address"


# --- 9. The queue holds data, never code ------------------------------------------------------------------


class _Planted:
    """Unpickling this creates a file: what code planted in a pickled queue entry would do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def test_a_pickled_entry_planted_in_the_queue_is_never_run(tmp_path, free_port, feed_files):
    marker = tmp_path / "planted-code-ran"
    worker = Worker(tmp_path, free_port()).start()
    try:
        SqliteStorage(QUEUE_NAME, filename=str(tmp_path / "queue.db")).enqueue(pickle.dumps(_Planted(marker)))
        run = worker.wait(worker.create_run(feed_files.add("after-planted", ["Still working"])))
    finally:
        worker.stop()

    assert not marker.exists()
    assert [d["source_title"] for d in run["drafts"]] == ["Still working"]
    assert "a queue entry is not a task message of ours" in worker.log("consumer")


def test_neither_process_starts_with_an_unauthenticated_redis_on_another_machine(tmp_path, free_port):
    env = {**Worker(tmp_path, free_port()).env, "ATAI_REDIS_URL": "redis://queue.invalid:6379/0"}
    for command in ([str(VENV_BIN / "gunicorn"), "-c", "worker/gunicorn.conf.py"],
                    [str(VENV_BIN / "atai-worker"), "consume"]):
        result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode != 0
        assert ("settings: ATAI_REDIS_URL reaches queue.invalid, another machine, without a password or TLS"
                in result.stderr)


# --- 10. Dates, and request bodies ------------------------------------------------------------------------


def test_publish_dates_out_of_range_are_clamped_and_the_draft_says_so(worker, feed_server):
    before = datetime.now(timezone.utc)
    run = worker.wait(worker.create_run(feed_server.url("/files/hostile/dates.xml")))

    drafts = drafts_by_title(run)
    past, future, fine = (drafts[t] for t in ("Written before the web", "Written in the far future",
                                              "Written last week"))
    assert past["published"] == "1991-01-01T00:00:00+00:00"
    assert ("published_clamped", "guards: the publish date 1900-01-01 is before 1991, when no "
            "web page existed; 1991-01-01 is used instead") in findings_of(past)
    assert before.replace(microsecond=0) <= datetime.fromisoformat(future["published"]) <= datetime.now(timezone.utc)
    assert ("published_clamped", "guards: the publish date 2999-01-01 is in the future; the "
            "time of the import is used instead") in findings_of(future)
    assert fine["published"] == "2026-11-02T10:00:00+00:00" and fine["findings"] == []


def test_a_chunked_body_over_the_limit_is_refused_with_the_limit_in_words(worker):
    body = json.dumps(run_body("https://larkmouth.example/feed", {"enabled": False},
                               seen_keys=["0" * 64] * (MAX_BODY_BYTES // 60))).encode()
    assert len(body) > MAX_BODY_BYTES

    def chunks():
        for start in range(0, len(body), 65536):
            yield body[start:start + 65536]

    with httpx.Client(base_url=worker.url, headers={"Authorization": f"Bearer {SECRET}"}, timeout=30) as client:
        response = client.post("/v1/runs", content=chunks(), headers={"Content-Type": "application/json"})
        assert "content-length" not in response.request.headers
    assert response.status_code == 413
    contract_validator("Error").validate(response.json())
    assert response.json()["error"] == {"code": "body_too_large", "message": "request: the body is larger than 4 MB"}


def test_a_chunked_body_under_the_limit_is_read_whole(worker):
    body = json.dumps(run_body("https://larkmouth.example/feed", {"enabled": False})).encode()
    with httpx.Client(base_url=worker.url, headers={"Authorization": f"Bearer {SECRET}"}, timeout=30) as client:
        response = client.post("/v1/runs", content=iter([body[:10], body[10:]]),
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 202, response.text


# --- helpers ------------------------------------------------------------------------------------------------


def run_body(url: str, ai: dict, seen_keys=()) -> dict:
    return {"feed": {"id": 5, "url": url}, "max_items": 10, "seen_keys": list(seen_keys), "ai": ai}


def write_feed(feed_files, name: str, items: list[tuple[str, str, str]]) -> str:
    """A feed of (title, link, description) items, written beside the test's other feeds; returns its URL."""
    entries = "".join(
        f"<item><title>{title}</title><link>{html.escape(link)}</link><guid>{name}-{n}</guid>"
        f"<description><![CDATA[{description}]]></description></item>"
        for n, (title, link, description) in enumerate(items))
    (feed_files.directory / f"{name}.xml").write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>{feed_files.server.base_url}/</link><description>d</description>{entries}</channel></rss>")
    return feed_files.server.url(f"/files/{name}.xml")
