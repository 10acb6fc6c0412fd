"""Keep a worker process's memory close to what it uses: fewer malloc arenas than glibc's default."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# glibc gives threads that allocate at the same time heaps of their own, up to eight per core, and memory
# freed in one is not reused by another: a consumer whose threads handle articles of 100 KB and more
# keeps tens of MB it no longer needs. Two heaps are enough for threads that mostly wait on the network
# or on the interpreter lock (measured with bench/fleet_bench.py --memory).
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Cap glibc's malloc arenas for this process (and the processes it forks); a no-op elsewhere.

    MALLOC_ARENA_MAX in the environment, when set, wins: glibc has applied it already.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        ctypes.CDLL(name).mallopt(_M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass  # not glibc (musl has no arenas to cap)
