"""The run store, on both backends: SQLite in a temp dir and a real redis-server."""

import inspect
import json
import socket
import time
import uuid

import pytest

from atai_worker.api import contract_validator
from atai_worker.models import Entry, item_key
from atai_worker.store import ANSWER_TTL, EMPTY_RUN_TTL, FINISHED_RUN_TTL, RedisRunStore, RunStore, SqliteRunStore


def run_document(store, run_id):
    """The contract's Run for a stored run, decoded, or None."""
    text = store.run_json(run_id)
    return None if text is None else json.loads(text)


REQUEST = {"feed": {"id": 7, "url": "http://127.0.0.1:1/feed.xml"}, "max_items": 5, "seen_keys": [],
           "ai": {"enabled": True, "api_key": "sk-secret-in-request"}, "callback_url": None}
REWRITE = {"mode": "ai", "model": "gpt-4o-mini", "reason": None}
FEED = {"title": "T", "etag": None, "last_modified": None, "not_modified": False, "entries_total": 3,
        "entries_new": 3, "entries_deferred": 0}


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield SqliteRunStore(tmp_path / "runs.db")
    else:
        redis_store = RedisRunStore(request.getfixturevalue("redis_url"), prefix="test-" + uuid.uuid4().hex[:8])
        yield redis_store
        redis_store.close()


def entry(n: int) -> Entry:
    link = f"http://127.0.0.1:1/post/{n}"
    return Entry(feed_id=7, feed_url="http://127.0.0.1:1/feed.xml", key=item_key(7, None, link), guid=None,
                 link=link, title=f"Post {n}", summary=f"<p>Summary {n}</p>")


def draft_for(e: Entry) -> dict:
    return {"key": e.key, "guid": e.guid, "source_url": e.link, "source_title": e.title, "title": e.title,
            "content": "<p>x</p>", "excerpt": "x", "tags": [], "categories": [], "image": None, "published": None,
            "author": None, "rewritten": False, "model": None, "usage": None, "findings": [], "hold": False,
            "identity": {"canonical_url": None, "canonical_from": None, "text_hash": None, "words": 1, "minhash": None,
                         "bands": []}}


def error_for(e: Entry) -> dict:
    return {"key": e.key, "guid": e.guid, "link": e.link, "title": e.title, "stage": "rewrite",
            "code": "model_timeout", "message": "rewrite: the model did not answer within 60 s", "retryable": True}


def new_run(store) -> str:
    run_id = uuid.uuid4().hex
    store.create_run(run_id, 7, REQUEST, REWRITE)
    return run_id


@pytest.mark.parametrize("backend", [SqliteRunStore, RedisRunStore])
def test_each_backend_has_every_method_of_the_run_store_protocol_with_its_signature(backend):
    methods = [name for name, value in vars(RunStore).items() if callable(value) and not name.startswith("_")]
    assert "claim" in methods and "purge" in methods
    for name in methods:
        assert inspect.signature(getattr(backend, name)) == inspect.signature(getattr(RunStore, name)), name
    assert backend.backend in ("sqlite", "redis")


def test_a_new_run_is_queued_and_matches_the_contract(store):
    run_id = new_run(store)
    document = run_document(store, run_id)
    contract_validator("Run").validate(document)
    assert document["state"] == "queued"
    assert document["feed"] is None and document["items"] == []
    assert store.get_run(run_id).request["ai"]["api_key"] == "sk-secret-in-request"


def test_an_unknown_run_is_none(store):
    assert run_document(store, uuid.uuid4().hex) is None
    assert store.ack(uuid.uuid4().hex, ["0" * 64]) is None


def test_only_one_consumer_can_claim_a_run(store):
    run_id = new_run(store)
    assert store.claim(run_id, "consumer-a", 30).state == "running"
    assert store.claim(run_id, "consumer-b", 30) is None
    assert store.renew(run_id, "consumer-a", 30)
    assert not store.renew(run_id, "consumer-b", 30)


def test_an_expired_lease_lets_another_consumer_take_over(store):
    run_id = new_run(store)
    assert store.claim(run_id, "consumer-a", 0.05)
    time.sleep(0.2)
    assert store.stalled_runs(queued_before=time.time()) == [(run_id, "running")]
    assert store.claim(run_id, "consumer-b", 30) is not None
    assert not store.renew(run_id, "consumer-a", 30)
    assert not store.finish(run_id, "consumer-a", "done")


def test_requeue_puts_a_run_with_an_expired_lease_back_in_the_queue(store):
    run_id = new_run(store)
    store.claim(run_id, "consumer-a", 30)
    assert not store.requeue(run_id)  # lease still valid
    store.claim(run_id, "consumer-a", 0.05)
    time.sleep(0.2)
    assert store.requeue(run_id)
    assert store.get_run(run_id).state == "queued"
    assert store.claim(run_id, "consumer-b", 30) is not None


def test_a_live_lease_held_by_a_dead_owner_can_be_requeued_by_naming_it(store):
    run_id = new_run(store)
    store.claim(run_id, "dead-owner", 30)
    assert store.held_leases() == [(run_id, "dead-owner")]
    assert not store.requeue(run_id, dead_owner="another-owner")  # the lease is someone else's, and live
    assert store.requeue(run_id, dead_owner="dead-owner")
    assert store.get_run(run_id).state == "queued" and store.held_leases() == []
    assert store.claim(run_id, "consumer-b", 30) is not None
    assert not store.renew(run_id, "dead-owner", 30)


def test_answers_are_kept_by_key_and_forgotten_on_request_or_after_a_week(store):
    answer = {"title": "T", "content": "<p>x</p>", "excerpt": "x", "tags": ["a"], "model": "m", "usage": None}
    assert store.get_answer("k" * 64) is None
    store.put_answer("k" * 64, answer)
    assert store.get_answer("k" * 64) == answer
    store.forget_answer("k" * 64)
    assert store.get_answer("k" * 64) is None
    store.put_answer("k" * 64, answer)
    if isinstance(store, SqliteRunStore):
        store.purge(now=time.time() + ANSWER_TTL - 60)
        assert store.get_answer("k" * 64) == answer
        store.purge(now=time.time() + ANSWER_TTL + 60)
    else:  # Redis expires the key by itself
        assert 0 < store.redis.ttl(store._answer_key("k" * 64)) <= ANSWER_TTL
        return
    assert store.get_answer("k" * 64) is None


def test_a_queued_run_is_stalled_only_once_it_waited_long_enough(store):
    run_id = new_run(store)
    assert store.stalled_runs(queued_before=time.time() - 60) == []
    assert store.stalled_runs(queued_before=time.time() + 1) == [(run_id, "queued")]


def test_the_plan_is_saved_once_and_items_keep_their_first_result(store):
    run_id = new_run(store)
    entries = [entry(n) for n in range(3)]
    store.claim(run_id, "consumer-a", 30)
    assert store.save_plan(run_id, "consumer-a", FEED, entries)
    assert not store.save_plan(run_id, "consumer-a", FEED, entries)
    assert [i.key for i in store.items(run_id)] == [e.key for e in entries]
    assert store.items(run_id)[0].entry == entries[0]

    assert store.set_item_result(run_id, entries[0].key, draft=draft_for(entries[0]))
    assert not store.set_item_result(run_id, entries[0].key, error=error_for(entries[0]))
    assert store.set_item_result(run_id, entries[1].key, error=error_for(entries[1]))
    assert not store.set_item_result(run_id, "f" * 64, draft=draft_for(entries[2]))

    document = run_document(store, run_id)
    contract_validator("Run").validate(document)
    assert [i["state"] for i in document["items"]] == ["ready", "failed", "pending"]
    assert [d["key"] for d in document["drafts"]] == [entries[0].key]
    assert [e["key"] for e in document["errors"]] == [entries[1].key]
    assert document["feed"] == FEED


def test_a_plan_needs_the_lease(store):
    run_id = new_run(store)
    store.claim(run_id, "consumer-a", 30)
    assert not store.save_plan(run_id, "consumer-b", FEED, [entry(1)])


def test_finishing_forgets_the_request_and_its_api_key(store):
    run_id = new_run(store)
    store.claim(run_id, "consumer-a", 30)
    assert store.finish(run_id, "consumer-a", "failed",
                        error={"code": "http_error", "message": "fetch: got 404 from http://127.0.0.1:1/feed.xml"})
    record = store.get_run(run_id)
    assert record.state == "failed" and record.request is None
    assert record.error["code"] == "http_error"
    assert store.claim(run_id, "consumer-b", 30) is None
    assert store.stalled_runs(queued_before=time.time() + 1) == []


def test_ack_forgets_finished_items_and_deletes_the_finished_empty_run(store):
    run_id = new_run(store)
    entries = [entry(n) for n in range(3)]
    store.claim(run_id, "consumer-a", 30)
    store.save_plan(run_id, "consumer-a", FEED, entries)
    store.set_item_result(run_id, entries[0].key, draft=draft_for(entries[0]))
    store.set_item_result(run_id, entries[1].key, error=error_for(entries[1]))

    # An item still pending is not forgotten: its draft is not ready yet.
    result = store.ack(run_id, [entries[0].key, entries[2].key])
    assert result == {"run_id": run_id, "remaining": 2, "deleted": False}
    contract_validator("AckResult").validate(result)

    store.set_item_result(run_id, entries[2].key, draft=draft_for(entries[2]))
    store.finish(run_id, "consumer-a", "done")
    assert store.ack(run_id, [entries[1].key]) == {"run_id": run_id, "remaining": 1, "deleted": False}
    assert store.ack(run_id, [entries[2].key]) == {"run_id": run_id, "remaining": 0, "deleted": True}
    assert run_document(store, run_id) is None


def test_purge_forgets_old_finished_runs_only(store):
    empty, full, running = new_run(store), new_run(store), new_run(store)
    for run_id in (empty, full, running):
        store.claim(run_id, "consumer-a", 30)
    store.save_plan(full, "consumer-a", FEED, [entry(1)])
    store.set_item_result(full, entry(1).key, draft=draft_for(entry(1)))
    store.finish(empty, "consumer-a", "done")
    store.finish(full, "consumer-a", "done")

    assert store.purge() == 0
    assert store.purge(now=time.time() + EMPTY_RUN_TTL + 10) == 1
    assert run_document(store, empty) is None and run_document(store, full) is not None
    assert store.purge(now=time.time() + FINISHED_RUN_TTL + 10) == 1
    assert run_document(store, full) is None
    assert run_document(store, running)["state"] == "running"


def test_sqlite_runs_survive_a_new_store_on_the_same_file(tmp_path):
    first = SqliteRunStore(tmp_path / "runs.db")
    run_id = new_run(first)
    first.claim(run_id, "consumer-a", 30)
    first.save_plan(run_id, "consumer-a", FEED, [entry(1), entry(2)])
    first.close()
    second = SqliteRunStore(tmp_path / "runs.db")
    assert [i.key for i in second.items(run_id)] == [entry(1).key, entry(2).key]
    assert second.get_run(run_id).planned


def test_redis_away_leaves_the_answers_a_cache_the_item_goes_on_without():
    # A port nothing listens on: reading an answer finds none and keeping one is let go, without an error.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RedisRunStore(f"redis://127.0.0.1:{port}/0", prefix="away")
    answer = {"title": "T", "content": "<p>x</p>", "excerpt": "x", "tags": [], "model": "m", "usage": None}

    store.put_answer("k" * 64, answer)
    assert store.get_answer("k" * 64) is None
