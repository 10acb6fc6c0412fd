"""Who holds a run's lease: an owner id per consumer process, and whether an owner is dead.

An owner id is "<hostname>:<pid>:<nonce>:<pid namespace>:<process start>". A consumer that starts on
the same machine (same hostname, same boot, same pid namespace) can tell at once that the owner's
process is gone: no process with that pid, or one that started at another time (the pid was reused,
as after a container's restart). Elsewhere it cannot tell, and the lease running out is what frees
the run (issue 16).
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from functools import cache
from pathlib import Path


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def start_ticks(pid: int) -> str:
    """When a live process started (clock ticks since boot, /proc/<pid>/stat field 22); "" for none."""
    fields = _read(f"/proc/{pid}/stat").rsplit(")", 1)[-1].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # a zombie is dead, whether or not it was reaped
        return ""
    return fields[19]


@cache
def pid_scope() -> str:
    """What makes pids comparable: this boot and this pid namespace; "" where /proc cannot say."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return hashlib.sha256(f"{boot}|{namespace}".encode()).hexdigest()[:12] if boot else ""


def consumer_id() -> str:
    """A lease owner id unique to this process."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}:{pid_scope()}:{start_ticks(pid)}"


def is_dead_here(owner: str) -> bool:
    """True when the owner is a process of this machine that is gone; False when alive or unknowable."""
    parts = owner.rsplit(":", 4)
    if len(parts) != 5:
        return False
    host, pid, _nonce, scope, started = parts
    if not scope or not started or scope != pid_scope() or host != socket.gethostname() or not pid.isdigit():
        return False
    return start_ticks(int(pid)) != started
