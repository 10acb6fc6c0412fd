"""Calls made later from one thread: in the order of their times, and none once stopped."""

import threading

from atai_worker.timers import Timers


def test_calls_run_in_the_order_of_their_times_and_a_failing_one_stops_none():
    timers = Timers()
    order: list[str] = []
    done = threading.Event()

    def fail():
        raise RuntimeError("on purpose")

    def last():
        order.append("third")
        done.set()

    try:
        timers.call_later(0.3, last)
        timers.call_later(0.1, order.append, "second")
        timers.call_later(0.05, fail)
        timers.call_later(0.0, order.append, "first")
        assert done.wait(10)
    finally:
        timers.stop()
    assert order == ["first", "second", "third"]


def test_calls_not_made_when_stopped_are_dropped():
    timers = Timers()
    made: list[int] = []
    timers.call_later(0.5, made.append, 1)
    timers.stop()
    timers.call_later(0.0, made.append, 2)
    threading.Event().wait(0.7)
    assert made == []
