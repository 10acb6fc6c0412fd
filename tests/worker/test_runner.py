"""The runner in-process: a real store, the real fetcher against the fake feed origin, the fake model."""

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from datetime import datetime

import pytest
from tests.fakes.callback_receiver import CallbackReceiver
from tests.fakes.model_server import ADDED_LINK, REWRITE_MARKER, TITLE_PREFIX

from atai_worker import parse
from atai_worker.api import contract_validator
from atai_worker.models import Entry, item_key
from atai_worker.callback import sign_callback
from atai_worker.endpoints import resolve_endpoint
from atai_worker.models import source_hash
from atai_worker.runner import Runner, select_entries
from atai_worker.settings import Settings
from atai_worker.store import SqliteRunStore


def run_document(store, run_id):
    """The contract's Run for a stored run, decoded, or None."""
    text = store.run_json(run_id)
    return None if text is None else json.loads(text)


SECRET = "pipeline-secret"


def settings_with(tmp_path, **env) -> Settings:
    return Settings.from_env({"ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path),
                              "ATAI_ALLOWED_HOSTS": "127.0.0.1", "ATAI_AI_TIMEOUT": "3", **env})


@pytest.fixture
def settings(tmp_path) -> Settings:
    # Failures that will pass are handed back at once: most tests here look at the error itself.
    return settings_with(tmp_path, ATAI_ITEM_RETRY_SECONDS="0")


@pytest.fixture
def runner(settings, tmp_path):
    runner = Runner(settings, SqliteRunStore(tmp_path / "runs.db"))
    yield runner
    runner.close()


@pytest.fixture
def retrying_runner(tmp_path):
    """A runner with the default in-run retries of failures that will pass."""
    runner = Runner(settings_with(tmp_path), SqliteRunStore(tmp_path / "runs.db"))
    yield runner
    runner.close()


def request_for(url: str, *, ai: dict | None = None, max_items: int = 10, seen_keys=(), **feed) -> dict:
    return {"feed": {"id": 1, "url": url, **feed}, "max_items": max_items, "seen_keys": list(seen_keys),
            "ai": ai or {"enabled": False}, "callback_url": None}


def ai_on(model_server, **changes) -> dict:
    return {"enabled": True, "base_url": model_server.base_url, "api_key": "sk-test", "model": "fake-model", **changes}


def queue_run(runner: Runner, request: dict) -> str:
    run_id = uuid.uuid4().hex
    _, rewrite = resolve_endpoint(request["ai"], runner.settings)
    runner.store.create_run(run_id, request["feed"]["id"], request, rewrite)
    return run_id


def wait_until_finished(runner: Runner, run_id: str) -> dict:
    deadline = time.monotonic() + 60
    while runner.store.get_run(run_id).state not in ("done", "failed"):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.05)
    document = run_document(runner.store, run_id)
    contract_validator("Run").validate(document)
    return document


def run(runner: Runner, request: dict) -> dict:
    run_id = queue_run(runner, request)
    runner.process_run(run_id)
    return wait_until_finished(runner, run_id)


def assert_clean(html: str) -> None:
    assert "<script" not in html.lower()
    assert "javascript:" not in html.lower()
    assert not re.search(r"\son\w+\s*=", html, re.IGNORECASE)


def test_ai_off_gives_the_cleaned_originals(runner, feed_server):
    url = feed_server.url("/gen/plain.xml?items=3&image=1")
    document = run(runner, request_for(url))
    entries = parse.parse_feed(_body(url), feed_id=1, feed_url=url).entries
    assert document["state"] == "done"
    assert document["rewrite"]["mode"] == "original"
    assert [d["title"] for d in document["drafts"]] == [e.title for e in entries]
    for draft, entry in zip(document["drafts"], entries):
        assert not draft["rewritten"] and draft["model"] is None and draft["tags"] == []
        assert draft["source_url"] == entry.link and draft["source_title"] == entry.title
        assert draft["image"]["url"].startswith(feed_server.base_url + "/gen/img/")
        assert 0 < len(draft["excerpt"].split()) <= 56
    assert document["feed"]["entries_total"] == 3 and document["feed"]["etag"]


def _body(url: str) -> bytes:
    import httpx

    return httpx.get(url).content


def test_ai_on_gives_rewritten_drafts_with_usage(runner, feed_server, model_server):
    document = run(runner, request_for(feed_server.url("/gen/ai.xml?items=4"), ai=ai_on(model_server)))
    assert document["rewrite"] == {"mode": "ai", "model": "fake-model", "reason": None}
    assert len(document["drafts"]) == 4 and document["errors"] == []
    for draft in document["drafts"]:
        assert draft["rewritten"] and draft["title"] == TITLE_PREFIX + draft["source_title"]
        assert draft["content"].startswith(REWRITE_MARKER)
        assert not draft["hold"], draft["findings"]
        assert draft["usage"]["prompt_tokens"] > 0
    assert len(model_server.requests) == 4


def test_a_hostile_item_comes_out_clean(runner, feed_server, model_server):
    for ai in ({"enabled": False}, ai_on(model_server)):
        document = run(runner, request_for(feed_server.url("/gen/hostile.xml?items=2&hostile=1"), ai=ai))
        assert len(document["drafts"]) == 2, document["errors"]
        for draft in document["drafts"]:
            assert_clean(draft["content"])
            assert "<" not in draft["title"]


def test_hostile_model_output_is_sanitized_and_added_links_removed(runner, feed_files, model_server):
    url = feed_files.add("inject", ["[model-inject] Tide tables"])
    draft = run(runner, request_for(url, ai=ai_on(model_server)))["drafts"][0]
    assert_clean(draft["content"])
    assert ADDED_LINK not in draft["content"] and "this offer" in draft["content"]
    assert "links_removed" in [f["code"] for f in draft["findings"]]
    # The model obeyed something: the draft waits for a person, with the reason.
    assert draft["hold"]
    assert f"checks: the draft links to {ADDED_LINK}, which the source does not" in \
        [f["message"] for f in draft["findings"] if f["hold"]]


def test_a_near_copy_is_stored_as_a_held_draft(runner, feed_files, model_server):
    draft = run(runner, request_for(feed_files.add("copy", ["[model-copy] Tide tables"]), ai=ai_on(model_server)))[
        "drafts"][0]
    assert draft["hold"] and [f["code"] for f in draft["findings"] if f["hold"]] == ["copied_from_source"]


def test_a_much_shorter_rewrite_is_a_draft_with_a_note(runner, feed_files, model_server):
    document = run(runner, request_for(feed_files.add("short", ["[model-short] Tide tables"]), ai=ai_on(model_server)))
    [draft] = document["drafts"]
    assert document["errors"] == [] and not draft["hold"]
    assert "content_short" in [f["code"] for f in draft["findings"] if not f["hold"]]


@pytest.mark.parametrize("marker, stage, code, message, passes", [
    ("[model-500]", "rewrite", "model_http_error", "rewrite: the AI endpoint answered HTTP 500", False),
    ("[model-slow]", "rewrite", "model_timeout", "rewrite: the model did not answer within 3 s", True),
    ("[model-429]", "rewrite", "model_rate_limited", "rewrite: the AI endpoint is rate limiting requests (429); "
                                                      "the item can be tried again later", True),
    ("[model-503]", "rewrite", "model_unavailable", "rewrite: the AI endpoint is unavailable for now (HTTP 503); "
                                                     "the item can be tried again later", True),
])
def test_a_model_failure_is_an_item_error_never_the_original(runner, feed_files, model_server,
                                                             marker, stage, code, message, passes):
    model_server.slow_seconds = 5
    url = feed_files.add("fail-" + code, ["Good news", f"{marker} Bad news", "More good news"])
    document = run(runner, request_for(url, ai=ai_on(model_server)))
    assert document["state"] == "done"
    assert [d["source_title"] for d in document["drafts"]] == ["Good news", "More good news"]
    assert all(d["rewritten"] for d in document["drafts"])
    [error] = document["errors"]
    assert (error["stage"], error["code"], error["title"]) == (stage, code, f"{marker} Bad news")
    assert error["message"] == message
    assert [i["state"] for i in document["items"]] == ["ready", "failed", "ready"]
    # A failure that will pass says when to try again: never sooner than the endpoint asked (Retry-After: 1)
    # after the call that failed.
    if passes:
        last_call = model_server.calls(f"{marker} Bad news")[-1]["at"]
        assert datetime.fromisoformat(error["retry_after"]).timestamp() >= last_call + model_server.retry_after
    else:
        assert error["retry_after"] is None


def test_a_rate_limited_item_is_tried_again_in_the_same_run_after_its_retry_after(retrying_runner, feed_files,
                                                                                 model_server):
    url = feed_files.add("busy-model", ["Calm", "[model-429x2] Busy"])
    document = run(retrying_runner, request_for(url, ai=ai_on(model_server)))
    assert sorted(d["source_title"] for d in document["drafts"]) == ["Calm", "[model-429x2] Busy"]
    assert document["errors"] == []
    calls = model_server.calls("[model-429x2] Busy")
    assert [c["status"] for c in calls] == [429, 429, 200]
    # Each try came after the endpoint's Retry-After (1 s), and the second waited longer (backoff).
    waits = [later["at"] - earlier["at"] for earlier, later in zip(calls, calls[1:])]
    assert all(wait >= model_server.retry_after for wait in waits)


def test_an_item_failing_past_the_retry_time_is_handed_back_with_its_retry_time(tmp_path, feed_files, model_server):
    runner = Runner(settings_with(tmp_path, ATAI_ITEM_RETRY_SECONDS="4"), SqliteRunStore(tmp_path / "runs.db"))
    try:
        document = run(runner, request_for(feed_files.add("down", ["[model-503] Down"]), ai=ai_on(model_server)))
    finally:
        runner.close()
    [error] = document["errors"]
    assert error["code"] == "model_unavailable" and error["retry_after"]
    # Tried at once, then after about 1 and 2 s; a further wait of 4 s would end past the 4 s allowed.
    assert [c["status"] for c in model_server.calls("[model-503] Down")] == [503, 503, 503]


def test_a_stored_answer_is_never_paid_for_again(runner, feed_files, model_server):
    model_server.scripted["Refused"] = {"title": "", "content": "<p>An answer without a title.</p>",
                                        "excerpt": "", "tags": []}
    url = feed_files.add("answers", ["Paid once", "Refused"])
    request = request_for(url, ai=ai_on(model_server))
    request["options"] = {"on_failure": "retry"}
    first = run(runner, request)
    again = run(runner, request)  # the same entries, sent again
    assert [d["title"] for d in again["drafts"]] == [d["title"] for d in first["drafts"]] == [TITLE_PREFIX + "Paid once"]
    assert len(model_server.calls("Paid once")) == 1
    # An answer without a title is asked for once more and never kept: trying the item again asks the model again.
    assert [e["code"] for e in again["errors"]] == ["model_invalid_output"]
    assert len(model_server.calls("Refused")) == 4


@pytest.mark.parametrize("policy, held", [(None, True), ("hold", True), ("original", False)])
def test_a_model_answer_that_never_fits_follows_the_feeds_failure_policy(runner, feed_files, model_server,
                                                                          policy, held):
    url = feed_files.add(f"policy-{policy}", ["[model-garbage] Bad news"])
    request = request_for(url, ai=ai_on(model_server))
    if policy:
        request["options"] = {"on_failure": policy}
    document = run(runner, request)
    [draft] = document["drafts"]
    assert document["errors"] == [] and not draft["rewritten"] and draft["hold"] is held
    assert "harbour office published" in draft["content"] and "Rewritten by the fake model" not in draft["content"]
    [finding] = [f for f in draft["findings"] if f["code"] == "model_invalid_output"]
    assert finding["hold"] is held
    assert ("waits for review" if held else "was published instead") in finding["message"]
    assert (draft["source_html"] is not None) is held
    assert draft["usage"]["prompt_tokens"] > 0 and len(draft["usage"]["calls"]) == 2


def test_the_retry_policy_reports_the_item_error_with_the_tokens_it_cost(runner, feed_files, model_server):
    url = feed_files.add("policy-retry", ["[model-garbage] Bad news"])
    request = request_for(url, ai=ai_on(model_server))
    request["options"] = {"on_failure": "retry"}
    document = run(runner, request)
    [error] = document["errors"]
    assert (error["code"], error["retryable"]) == ("model_invalid_output", True)
    assert [c["purpose"] for c in error["usage"]["calls"]] == ["rewrite", "rewrite"]


def test_a_short_rewrite_is_a_draft_with_a_note(runner, feed_files, model_server):
    url = feed_files.add("short", ["[model-short] Tide tables"])
    [draft] = run(runner, request_for(url, ai=ai_on(model_server)))["drafts"]
    assert draft["rewritten"] and not draft["hold"]
    assert "content_short" in [f["code"] for f in draft["findings"]]


def test_a_refused_key_fails_every_item_for_good(runner, feed_files, model_server):
    model_server.api_key = "sk-right"
    document = run(runner, request_for(feed_files.add("auth", ["One", "Two"]), ai=ai_on(model_server)))
    assert document["drafts"] == []
    assert {(e["code"], e["retryable"], e["message"]) for e in document["errors"]} == {
        ("model_auth_failed", False, "rewrite: the AI endpoint refused the API key (401)")}
    assert "sk-test" not in json.dumps(document)


def test_seen_entries_are_skipped_and_the_rest_capped_in_feed_order(runner, feed_files):
    url = feed_files.add("cap", [f"Item {n}" for n in range(6)])
    seen = [item_key(1, "cap-0", None), item_key(1, "cap-2", None)]
    document = run(runner, request_for(url, max_items=2, seen_keys=seen))
    assert [d["title"] for d in document["drafts"]] == ["Item 1", "Item 3"]
    assert document["feed"] | {"title": None} == {
        "title": None, "etag": document["feed"]["etag"], "last_modified": document["feed"]["last_modified"],
        "not_modified": False, "entries_total": 6, "entries_new": 4, "entries_deferred": 2,
        "permanent_redirect": None}


def test_an_unchanged_feed_is_not_modified_and_has_no_items(runner, feed_files):
    url = feed_files.add("same", ["Only item"])
    first = run(runner, request_for(url))
    again = run(runner, request_for(url, etag=first["feed"]["etag"],
                                      last_modified=first["feed"]["last_modified"]))
    assert again["state"] == "done" and again["items"] == []
    assert again["feed"]["not_modified"] and again["feed"]["etag"] == first["feed"]["etag"]


@pytest.mark.parametrize("path, code, message", [
    ("/status/404", "http_error", "fetch: got 404 from {base}/status/404"),
    ("/notfeed", "not_a_feed", "parse: {base}/notfeed is not an RSS, Atom or JSON feed"),
])
def test_a_feed_that_cannot_be_read_fails_the_run_in_words(runner, feed_server, path, code, message):
    document = run(runner, request_for(feed_server.url(path)))
    assert document["state"] == "failed"
    assert document["error"]["code"] == code
    assert document["error"]["message"].startswith(message.format(base=feed_server.base_url))


@pytest.mark.parametrize(("path", "status", "retry_after"), [
    ("/status/404", 404, None), ("/status/410", 410, None), ("/status/429?retry_after=90", 429, 90),
    ("/status/503?retry_after=30", 503, 30), ("/status/503", 503, None),
])
def test_a_failed_fetch_reports_the_status_and_any_retry_after(runner, feed_server, path, status, retry_after):
    error = run(runner, request_for(feed_server.url(path)))["error"]

    assert (error["status"], error.get("retry_after")) == (status, retry_after)


def test_a_feed_that_moved_for_good_reports_its_new_address(runner, feed_files):
    url = feed_files.add("moved", ["One"])
    document = run(runner, request_for(feed_files.server.url(f"/redirect?status=301&to={url}")))

    assert document["feed"]["permanent_redirect"] == url and len(document["drafts"]) == 1


def test_filtered_entries_are_reported_with_their_reason_and_cost_nothing(runner, feed_server, model_server):
    url = feed_server.url("/gen/filtered.xml?items=6&summary_only=1")
    titles = [e.title for e in parse.parse_feed(_body(url), feed_id=1, feed_url=url).entries]
    keep = titles[1].split(" (")[0]  # "<subject> <predicate>", shared by no other item of this feed
    assert sum(keep in title for title in titles) == 1
    request = request_for(url, ai=ai_on(model_server), max_items=1)
    request["options"] = {"include_keywords": [keep], "exclude_keywords": ["nothing like this"]}
    feed_server.reset_log()

    document = run(runner, request)

    assert [d["source_title"] for d in document["drafts"]] == [titles[1]]
    assert [(s["title"], s["code"]) for s in document["skipped"]] == [
        (title, "filter_not_included") for title in titles if title != titles[1]]
    assert document["skipped"][0]["reason"] == (
        f"filters: the title or text contains none of \u201c{keep}\u201d, and this feed requires one of them")
    assert document["feed"]["entries_new"] == 6 and document["feed"]["entries_deferred"] == 0
    # One article page and one model call: for the kept entry only.
    assert [r["path"] for r in feed_server.requests if "/articles/" in r["path"]] == ["/gen/articles/filtered-2.html"]
    assert len(model_server.requests) == 1


def test_the_cap_counts_only_the_entries_the_filters_keep(runner, feed_files):
    url = feed_files.add("capped", ["Sport: one", "News: two", "Sport: three", "News: four", "News: five"])
    request = request_for(url, max_items=2)
    request["options"] = {"exclude_keywords": ["sport"]}

    document = run(runner, request)

    assert [d["title"] for d in document["drafts"]] == ["News: two", "News: four"]
    assert [s["title"] for s in document["skipped"]] == ["Sport: one", "Sport: three"]
    assert document["feed"]["entries_deferred"] == 1


def test_a_pattern_that_cannot_be_used_fails_the_run_in_words(runner, feed_files):
    request = request_for(feed_files.add("badpattern", ["One"]))
    request["options"] = {"include_keywords": ["(a+)+"], "keywords_are_patterns": True}

    document = run(runner, request)

    assert document["state"] == "failed" and document["error"]["code"] == "filter_invalid"
    assert document["error"]["message"].startswith("filters: the pattern \u201c(a+)+\u201d cannot be used")


def test_a_private_address_is_refused(tmp_path):
    settings = Settings.from_env({"ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path)})  # no ATAI_ALLOWED_HOSTS
    runner = Runner(settings, SqliteRunStore(tmp_path / "runs.db"))
    try:
        document = run(runner, request_for("http://169.254.169.254/latest/meta-data/"))
    finally:
        runner.close()
    assert document["state"] == "failed" and document["error"]["code"] == "blocked_address"
    assert "ATAI_ALLOWED_HOSTS" in document["error"]["message"]
    assert document["error"]["params"] == {"url": "http://169.254.169.254/latest/meta-data/",
                                           "address": "169.254.169.254"}


def test_a_failed_runs_error_carries_its_message_params_for_the_site_to_translate(runner, feed_server):
    document = run(runner, request_for(feed_server.url("/status/404")))
    contract_validator("Run").validate(document)
    assert document["error"]["params"] == {"status": 404, "url": feed_server.url("/status/404")}


def test_a_summary_only_entry_gets_its_full_article(runner, feed_server):
    url = feed_server.url("/gen/teaser.xml?items=2&summary_only=1")
    document = run(runner, request_for(url))
    for draft in document["drafts"]:
        assert len(draft["content"]) > 1000
        assert "Advertisement" not in draft["content"]
        assert "full_text_unavailable" not in [f["code"] for f in draft["findings"]]


def test_a_feed_set_to_always_take_the_full_article_has_each_page_fetched(runner, feed_server):
    url = feed_server.url("/gen/whole.xml?items=2&size=3000")
    feed_server.reset_log()
    auto = request_for(url)
    auto["options"] = {"featured_image": "feed"}  # the page is not fetched for a sharing image either
    run(runner, auto)
    assert not [r for r in feed_server.requests if r["path"].startswith("/gen/articles/whole-")]

    always = request_for(feed_server.url("/gen/always.xml?items=2&size=3000"))
    always["options"] = {"full_text": "always"}
    document = run(runner, always)
    fetched = [r for r in feed_server.requests if r["path"].startswith("/gen/articles/always-")]
    assert len(fetched) == 2 and len(document["drafts"]) == 2


def test_a_missing_article_page_keeps_the_summary_with_a_finding(runner, feed_files):
    url = feed_files.add("teaser", ["Short one"])
    feed_path = feed_files.directory / "teaser.xml"
    feed_path.write_text(re.sub(r"<content:encoded>.*?</content:encoded>",
                                "<description>Just a teaser.</description>", feed_path.read_text(), flags=re.S))
    [draft] = run(runner, request_for(url))["drafts"]
    assert draft["content"] == "Just a teaser."
    [finding] = draft["findings"]
    assert finding["code"] == "full_text_unavailable"
    assert finding["message"].startswith("fetch: got 404 from ")


def test_a_resumed_run_skips_the_fetch_and_the_items_already_done(runner, feed_files, model_server):
    url = feed_files.add("resume", ["First", "Second", "Third"])
    run_id = queue_run(runner, request_for(url, ai=ai_on(model_server)))
    entries = list(parse.parse_feed(_body(url), feed_id=1, feed_url=url).entries)
    feed_files.server.reset_log()
    # A consumer that died after planning the run and rewriting its first item.
    store = runner.store
    store.claim(run_id, "dead-consumer", 0.1)
    store.save_plan(run_id, "dead-consumer", {"title": "t", "etag": None, "last_modified": None,
                                              "not_modified": False, "entries_total": 3, "entries_new": 3,
                                              "entries_deferred": 0}, entries)
    store.set_item_result(run_id, entries[0].key, draft=runner.pipeline.draft_for(entries[0], None).to_dict())
    time.sleep(0.3)

    runner.process_run(run_id)
    document = wait_until_finished(runner, run_id)
    assert [d["source_title"] for d in document["drafts"]] == ["First", "Second", "Third"]
    assert sorted(model_server.titles()) == ["Second", "Third"]
    # Neither the feed nor a page again; only the images of the two items left.
    assert [r["path"] for r in feed_files.server.requests if not r["path"].startswith("/gen/img/")] == []


def test_a_run_in_progress_elsewhere_is_left_alone(runner, feed_files):
    run_id = queue_run(runner, request_for(feed_files.add("busy", ["One"])))
    runner.store.claim(run_id, "other-consumer", 30)
    runner.process_run(run_id)
    assert runner.store.get_run(run_id).state == "running"
    assert feed_files.server.requests == []


def test_the_in_flight_limit_is_shared_by_every_run(runner, feed_files, model_server):
    model_server.delay = 0.3
    requests = [request_for(feed_files.add(f"load{n}", [f"Run {n} item {k}" for k in range(4)]),
                            ai=ai_on(model_server, max_in_flight=3)) for n in range(3)]
    run_ids = [queue_run(runner, r) for r in requests]
    threads = [threading.Thread(target=runner.process_run, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run_id in run_ids:
        assert len(wait_until_finished(runner, run_id)["drafts"]) == 4
    assert model_server.peak_in_flight == 3


def test_a_finished_run_calls_back_with_a_valid_signature(runner, feed_files):
    receiver = CallbackReceiver()
    try:
        request = request_for(feed_files.add("callback", ["One"])) | {"callback_url": receiver.url}
        document = run(runner, request)
        receiver.wait(1)  # the callback follows the state change; give it its (short) moment
    finally:
        runner.close()  # lets the callbacks in progress end: nothing more is sent
        receiver.close()
    [(headers, body)] = receiver.received
    assert json.loads(body) == {"run_id": document["run_id"], "state": "done"}
    contract_validator("Callback").validate(json.loads(body))
    expected = hmac.new(SECRET.encode(), headers["X-ATAI-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-ATAI-Signature"] == "sha256=" + expected
    assert abs(int(headers["X-ATAI-Timestamp"]) - time.time()) < 300


@pytest.mark.parametrize("answers, sent", [
    # Busy collecting the run already, then WordPress failed, then collected: three tries.
    (((200, {"collected": False, "owed": True}), (500, {}), (200, {"collected": True})), 3),
    # The site no longer tracks the run: sending again is useless.
    (((200, {"collected": False, "known": False}),), 1),
    # Never collected: five tries in all, then the next tick is left to collect.
    (((200, {"collected": False}),), 5),
])
def test_a_callback_the_site_did_not_collect_is_sent_again(runner, feed_files, caplog, answers, sent):
    for status, result in answers:
        if status == 200:
            contract_validator("CallbackResult").validate({"run_id": "0" * 32, **result})
    receiver = CallbackReceiver(answers)
    caplog.set_level("INFO", logger="atai_worker.callback")
    try:
        run(runner, request_for(feed_files.add("callback-again", ["One"])) | {"callback_url": receiver.url})
        # Until the worker logs its last outcome: collected, useless to send again, or out of tries.
        deadline = time.monotonic() + 60
        while not any("again_in=None" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.close()
        receiver.close()
    assert receiver.states() == ["done"] * sent
    outcomes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("callback outcome ")]
    assert len(outcomes) == sent and all(f"attempt={n + 1} " in line for n, line in enumerate(outcomes))


def test_drafts_ready_while_an_item_waits_for_a_retry_are_announced_before_the_run_ends(retrying_runner, feed_files,
                                                                                        model_server):
    receiver = CallbackReceiver()
    try:
        url = feed_files.add("announce", ["Calm", "[model-429x2] Busy"])
        run(retrying_runner, request_for(url, ai=ai_on(model_server)) | {"callback_url": receiver.url})
        receiver.wait(2)
    finally:
        retrying_runner.close()
        receiver.close()
    # "Calm" was ready at once; "Busy" waited 1 + 2 s for its retries: the site heard of Calm in between.
    assert receiver.states() == ["running", "done"]


def test_the_signature_covers_timestamp_and_body():
    signature = sign_callback("k", "1700000000", b'{"a":1}')
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", signature)
    assert signature != sign_callback("k", "1700000001", b'{"a":1}')
    assert signature != sign_callback("k", "1700000000", b'{"a":2}')
    assert signature != sign_callback("other", "1700000000", b'{"a":1}')


def test_select_entries_drops_seen_and_repeated_keys():
    def entry(key):
        return Entry(feed_id=1, feed_url="u", key=key, guid=None, link=None, title=key)

    entries = [entry(k) for k in ("a", "b", "a", "c", "d")]
    selected, new, changed = select_entries(entries, {"b"}, 2)
    assert [e.key for e in selected] == ["a", "c"] and new == 3 and changed == []


def test_a_known_entry_is_selected_again_only_when_its_source_changed():
    def entry(key, text="same"):
        return Entry(feed_id=1, feed_url="u", key=key, guid=None, link=None, title=key, content_html=text)

    posted = {"a": source_hash(entry("a")), "b": source_hash(entry("b"))}
    entries = [entry("a"), entry("b", "edited at the source"), entry("c")]
    selected, new, changed = select_entries(entries, {"a", "b"}, 10, posted)
    assert [e.key for e in selected] == ["c"] and new == 1 and [e.key for e in changed] == ["b"]

