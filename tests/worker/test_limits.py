"""The fleet state's fair-share clocks and model slots, on SQLite and on a real redis-server; the fair pool."""

import threading
import time

import pytest
import redis

from atai_worker.fleet import Claim, RedisFleetState, SqliteFleetState
from atai_worker.limits import SharedLimits
from atai_worker.endpoints import Endpoint
from atai_worker.scheduler import FairPool, Share, current_share


@pytest.fixture(params=["sqlite", "redis"])
def state(request, tmp_path):
    if request.param == "sqlite":
        yield SqliteFleetState(tmp_path / "fleet.db")
        return
    url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/4"
    redis.Redis.from_url(url).flushdb()
    state = RedisFleetState(url)
    yield state
    state.close()


def claims(site: str, *tags: float, **limits) -> list[Claim]:
    return [Claim(f"{site}-{tag}", tag, site, limits.get("max_in_flight"), limits.get("rate_per_minute"))
            for tag in tags]


def test_sites_take_turns_on_the_clock_whatever_order_they_came_in(state):
    large = state.reserve("items", "large", 1.0, 500)
    small = state.reserve("items", "small", 1.0, 10)
    assert large == small == 0.0  # both start now: the small site's tags 0..9 come before the large one's 10..499
    assert state.reserve("items", "large", 1.0, 1) == 500.0
    heavy = state.reserve("items", "heavy", 2.0, 10)
    assert state.reserve("items", "heavy", 2.0, 1) == heavy + 5.0  # twice the weight: half the spacing


def test_a_site_that_was_idle_starts_at_the_clocks_present_not_in_the_past(state):
    state.reserve("items", "busy", 1.0, 100)
    state.advance("items", 60.0)
    assert state.reserve("items", "late", 1.0, 5) == 60.0
    assert state.reserve("items", "late", 1.0, 1, started=80.0) == 80.0  # its own tags had fallen behind


def test_no_more_slots_are_given_than_the_limit(state):
    grant = state.acquire("model", 3, "owner-1", claims("a", 1, 2, 3, 4, 5), lease=30)
    assert len(grant.tokens) == 3 and grant.free == 0
    assert state.acquire("model", 3, "owner-2", claims("b", 0.5), lease=30).tokens == ()
    state.release("model", grant.tokens[0], "a", 3)
    assert state.acquire("model", 3, "owner-2", claims("b", 0.5), lease=30).tokens == ("b-0.5",)


def test_the_slots_of_a_holder_that_stopped_renewing_come_back_on_their_own(state):
    assert len(state.acquire("model", 2, "killed", claims("a", 1, 2), lease=0.3).tokens) == 2
    assert state.acquire("model", 2, "alive", claims("b", 3), lease=30).tokens == ()
    time.sleep(0.4)
    assert state.acquire("model", 2, "alive", claims("b", 3), lease=30).tokens == ("b-3",)


def test_renewed_slots_are_kept(state):
    tokens = state.acquire("model", 1, "owner", claims("a", 1), lease=0.3).tokens
    state.renew("model", [(tokens[0], "a")], lease=30)
    time.sleep(0.4)
    assert state.acquire("model", 1, "other", claims("b", 2), lease=30).tokens == ()


def test_an_owner_waiting_with_a_smaller_tag_goes_first(state):
    full = state.acquire("model", 1, "holder", claims("x", 0), lease=30)
    assert state.acquire("model", 1, "owner-small", claims("small", 1), lease=30).tokens == ()
    state.release("model", full.tokens[0], "x", 1)
    # A slot is free, but owner-small waits with tag 1: the claim tagged 7 must let it go first.
    assert state.acquire("model", 1, "owner-large", claims("large", 7), lease=30).tokens == ()
    assert state.acquire("model", 1, "owner-small", claims("small", 1), lease=30).tokens == ("small-1",)


def test_a_sites_own_in_flight_limit_holds_it_back_without_holding_back_others(state):
    grant = state.acquire("model", 10, "owner", claims("capped", 1, 2, 3, max_in_flight=2) + claims("free", 4, 5),
                          lease=30)
    assert sorted(grant.tokens) == ["capped-1", "capped-2", "free-4", "free-5"]
    assert grant.held_back == {"capped": None}
    # The cap holds across limits (endpoints) too.
    assert state.acquire("other-model", 10, "owner", claims("capped", 6, max_in_flight=2), lease=30).tokens == ()


def test_a_sites_rate_per_minute_holds_and_says_when_to_ask_again(state):
    grant = state.acquire("model", 10, "owner", claims("slow", 1, 2, 3, rate_per_minute=2), lease=30)
    assert sorted(grant.tokens) == ["slow-1", "slow-2"]
    assert 55 < grant.held_back["slow"] <= 60
    for token in grant.tokens:
        state.release("model", token, "slow", 10)
    # Released, but the two calls started within the minute still count.
    assert state.acquire("model", 10, "owner", claims("slow", 3, rate_per_minute=2), lease=30).tokens == ()


def test_the_fair_pool_starts_tasks_in_tag_order_and_shows_each_its_share():
    pool = FairPool(1, "test-pool")
    gate = threading.Event()
    started = []
    pool.submit(Share("first", 0.0), gate.wait)
    for site, tag in [("large", 5.0), ("large", 6.0), ("small", 1.0), ("large", 7.0), ("small", 2.0)]:
        pool.submit(Share(site, tag), lambda: started.append((current_share().site_id, current_share().tag)))
    gate.set()
    while len(started) < 5:
        time.sleep(0.01)
    pool.shutdown()
    assert started == [("small", 1.0), ("small", 2.0), ("large", 5.0), ("large", 6.0), ("large", 7.0)]
    assert current_share() == Share()


def test_shared_gates_in_one_process_hand_out_slots_in_tag_order_a_retried_call_first(state):
    limits = SharedLimits(state, "owner")
    gate = limits.gate(Endpoint(base_url="http://model.test/v1", api_key="k", model="m", max_in_flight=1))
    order, threads = [], []
    hold = threading.Event()

    def call(tag, ahead=False):
        pool = FairPool(1, f"caller-{tag}")
        pool.submit(Share(f"site-{tag}", tag),
                    lambda: _in_slot(gate, order, tag, hold if tag == 0 else None, ahead))
        threads.append(pool)

    call(0)
    while not order:
        time.sleep(0.01)
    for tag in (9.0, 3.0, 6.0, 1.0):
        call(tag)
    call(12.0, ahead=True)  # a call tried again after a rate limit goes before every first try
    while len(gate._waiting) < 5:  # every caller queues at the gate before the slot is given back
        time.sleep(0.01)
    hold.set()
    for pool in threads:
        pool.shutdown()
    limits.close()
    assert order == [0, 12.0, 1.0, 3.0, 6.0, 9.0]


def _in_slot(gate, order, tag, hold, ahead=False):
    with gate.slot(ahead):
        order.append(tag)
        if hold is not None:
            hold.wait()
