"""Lease owner ids, and telling a dead owner of this machine from a live one or one elsewhere."""

import os
import socket
import subprocess
import sys

from atai_worker.owners import consumer_id, is_dead_here, start_ticks


def owner_for(pid: int, started: str, host: str | None = None) -> str:
    _, _, _, scope, _ = consumer_id().rsplit(":", 4)
    return f"{host or socket.gethostname()}:{pid}:0a1b2c3d:{scope}:{started}"


def test_this_process_is_alive_and_its_ids_differ():
    first, second = consumer_id(), consumer_id()
    assert first != second and first.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert not is_dead_here(first)


def test_an_ended_process_of_this_machine_is_dead():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    owner = owner_for(process.pid, start_ticks(process.pid))
    assert not is_dead_here(owner)
    process.kill()
    process.wait()
    assert is_dead_here(owner)


def test_a_reused_pid_is_a_dead_owner():
    # A container restarted: the new consumer has the old one's pid, but started at another time.
    assert is_dead_here(owner_for(os.getpid(), str(int(start_ticks(os.getpid())) - 1)))


def test_an_owner_elsewhere_or_of_another_shape_cannot_be_judged_here():
    assert not is_dead_here(owner_for(2 ** 22 + 1, "1", host="another-machine"))
    # The same hostname in another pid namespace (a second container given the same name).
    assert not is_dead_here(f"{socket.gethostname()}:{2 ** 22 + 1}:0a1b2c3d:ffffffffffff:1")
    assert not is_dead_here("another-machine:12:0a1b2c3d")  # an owner id of an older worker
    assert not is_dead_here("dead-consumer")
