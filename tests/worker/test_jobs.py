"""The queue and the reaper, on real Huey storage (SQLite file, and a real redis-server)."""

import json
import pickle
import subprocess
import sys
import time
import uuid

import pytest
from tests.fakes.callback_receiver import CallbackReceiver

from atai_worker.callback import Callbacks
from atai_worker.jobs import Jobs, Reaper
from atai_worker.owners import consumer_id, start_ticks
from atai_worker.settings import Settings
from atai_worker.store import RedisRunStore, SqliteRunStore
from atai_worker.timers import Timers

REQUEST = {"feed": {"id": 2, "url": "http://127.0.0.1:1/feed.xml"}, "max_items": 5, "seen_keys": [],
           "ai": {"enabled": False}}
REWRITE = {"mode": "original", "model": None, "reason": "off"}
FEED = {"title": "T", "etag": None, "last_modified": None, "not_modified": False, "entries_total": 0,
        "entries_new": 0, "entries_deferred": 0}


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, tmp_path):
    env = {"ATAI_WORKER_SECRET": "s", "ATAI_DATA_DIR": str(tmp_path)}
    if request.param == "redis":
        env["ATAI_REDIS_URL"] = request.getfixturevalue("redis_url")
        store = RedisRunStore(env["ATAI_REDIS_URL"], prefix="jobs-" + uuid.uuid4().hex[:8])
    else:
        store = SqliteRunStore(tmp_path / "runs.db")
    jobs = Jobs(Settings.from_env(env))
    jobs.huey.flush()
    yield jobs, store
    jobs.huey.flush()


def new_run(store, callback_url: str | None = None) -> str:
    run_id = uuid.uuid4().hex
    store.create_run(run_id, 2, REQUEST | {"callback_url": callback_url}, REWRITE)
    return run_id


def tasks_for(jobs: Jobs, run_id: str) -> int:
    return sum(1 for task in jobs.huey.pending() if task.args == (run_id,))


def test_a_queued_run_whose_task_was_lost_is_enqueued_again(queue):
    jobs, store = queue
    run_id = new_run(store)  # the API died between storing the run and enqueueing it
    assert Reaper(jobs, store, grace=0).sweep() == [run_id]
    assert tasks_for(jobs, run_id) == 1
    assert Reaper(jobs, store, grace=0).sweep() == []
    assert tasks_for(jobs, run_id) == 1


def test_a_queued_run_is_left_alone_while_it_waits_in_the_queue_or_is_young(queue):
    jobs, store = queue
    waiting = new_run(store)
    jobs.enqueue(waiting)
    young = new_run(store)
    assert Reaper(jobs, store, grace=0).sweep() == [young]
    assert Reaper(jobs, store).sweep() == []  # the default grace: nothing is that old
    assert tasks_for(jobs, waiting) == 1


def test_a_run_whose_consumer_died_is_requeued_once(queue):
    jobs, store = queue
    run_id = new_run(store)
    store.claim(run_id, "dead-consumer", 0.05)
    time.sleep(0.2)
    assert Reaper(jobs, store).sweep() == [run_id]
    assert store.get_run(run_id).state == "queued"
    assert Reaper(jobs, store).sweep() == []
    assert tasks_for(jobs, run_id) == 1
    assert jobs.pending_count() == 1


def test_a_run_with_a_live_lease_is_left_alone(queue):
    jobs, store = queue
    run_id = new_run(store)
    store.claim(run_id, "live-consumer", 30)
    assert Reaper(jobs, store, grace=0).sweep() == []
    assert store.get_run(run_id).state == "running"
    assert jobs.pending_count() == 0


def test_tasks_are_queued_as_json_and_anything_else_is_refused(queue):
    jobs, _ = queue
    jobs.enqueue("0123456789abcdef0123456789abcdef")
    (data,) = list(jobs.huey.storage.enqueued_items())
    assert json.loads(data)["args"] == ["0123456789abcdef0123456789abcdef"]
    for planted in (pickle.dumps({"args": ["x"]}), b"[1, 2]", b'{"args": [{"$eval": 1}]}', b'{"shell": "rm"}'):
        with pytest.raises(ValueError, match="a queue entry is not a task message of ours"):
            jobs.huey.serializer.deserialize(planted)
    jobs.huey.storage.enqueue(pickle.dumps(object()), None)
    assert jobs.pending_run_ids() == {"0123456789abcdef0123456789abcdef"}


def test_a_run_held_by_a_dead_consumer_of_this_machine_is_reclaimed_at_once_and_announced(queue):
    jobs, store = queue
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # a process of this machine that has ended
    host, _, _, scope, _ = consumer_id().rsplit(":", 4)
    started = start_ticks(dead.pid)
    dead.wait()
    receiver, timers = CallbackReceiver(), Timers()
    callbacks = Callbacks("s", timers)
    try:
        reclaimed = new_run(store, callback_url=receiver.url)
        alive, elsewhere = new_run(store), new_run(store)
        store.claim(reclaimed, f"{host}:{dead.pid}:0a1b2c3d:{scope}:{started}", 600)
        store.save_plan(reclaimed, f"{host}:{dead.pid}:0a1b2c3d:{scope}:{started}", FEED, [])
        store.claim(alive, consumer_id(), 600)  # this very process
        store.claim(elsewhere, f"other-machine:{dead.pid}:0a1b2c3d:{scope}:{started}", 600)
        assert Reaper(jobs, store, callbacks=callbacks).sweep() == [reclaimed]
        # The site hears of the drafts the dead consumer stored, before the run is even resumed.
        receiver.wait(1)
    finally:
        callbacks.close()
        timers.stop()
        receiver.close()
    assert store.get_run(reclaimed).state == "queued" and tasks_for(jobs, reclaimed) == 1
    assert {store.get_run(run_id).state for run_id in (alive, elsewhere)} == {"running"}
    assert receiver.states() == ["running"]
