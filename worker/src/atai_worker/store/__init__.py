"""The run store: the worker's only durable state, so a killed and restarted worker loses nothing.

A run is one job of one feed. It keeps the request (so an interrupted run can be resumed; the request
carries the AI key, sealed under ATAI_WORKER_SECRET (sealed.py), and dropped when the run finishes), what the fetch found,
and one item per planned entry with, once processed, its Draft or its ItemError. A consumer works on a
run only while it holds the run's lease; a lease that is not renewed expires and the run is re-enqueued.
Beside the runs, the store keeps the model's answers by prompt for a week, so that no crash, retry or
re-run pays the model twice for the same draft.

Two backends with one interface, RunStore: SQLite (a file in ATAI_DATA_DIR, shared by the API and
consumer processes) and Redis (several worker machines). open_store picks one.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Protocol

from ..models import Entry
from ..settings import Settings
from .records import ANSWER_TTL, DEFAULT_SITE, EMPTY_RUN_TTL, FINISHED_RUN_TTL, ItemRecord, RunRecord
from .redis import RedisRunStore
from .sqlite import SqliteRunStore

__all__ = ["ANSWER_TTL", "DEFAULT_SITE", "EMPTY_RUN_TTL", "FINISHED_RUN_TTL", "ItemRecord", "RedisRunStore",
           "RunRecord", "RunStore", "SqliteRunStore", "open_store"]


class RunStore(Protocol):
    """What the API, the runner and the reaper ask of a run store; every backend answers all of it."""

    backend: ClassVar[str]

    def close(self) -> None:
        """Release this process's (or thread's) connection."""

    def create_run(self, run_id: str, feed_id: int, request: dict, rewrite: dict, site_id: str = DEFAULT_SITE) -> None:
        """Store a new queued run of the site."""

    def site_of(self, run_id: str) -> str | None:
        """The id of the site that asked for the run, or None for an unknown run."""

    def delete_run(self, run_id: str) -> bool:
        """Forget a run and everything it holds (it was cancelled); False for an unknown run."""

    def get_run(self, run_id: str) -> RunRecord | None:
        """The stored run, or None."""

    def items(self, run_id: str) -> list[ItemRecord]:
        """The run's unacknowledged items in plan order."""

    def pending_count(self, run_id: str) -> int:
        """How many of the run's items have neither a draft nor an error yet."""

    def run_json(self, run_id: str) -> bytes | None:
        """The contract's Run as UTF-8 JSON, or None for an unknown run."""

    def claim(self, run_id: str, owner: str, lease_seconds: float) -> RunRecord | None:
        """Take the run for work: it is queued, or running with an expired lease (or ours already)."""

    def renew(self, run_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend our lease; False when another consumer holds the run now."""

    def save_plan(self, run_id: str, owner: str, feed: dict, entries: list[Entry]) -> bool:
        """Store what the fetch found and the selected entries, once, while we hold the lease."""

    def set_item_result(self, run_id: str, key: str, *, draft: dict | None = None, error: dict | None = None) -> bool:
        """Record an item's draft or error; an item keeps its first result (no duplicates)."""

    def finish(self, run_id: str, owner: str, state: str, *, feed: dict | None = None,
               error: dict | None = None) -> bool:
        """Mark the run done or failed while we hold it; forget its request (and the AI key in it)."""

    def ack(self, run_id: str, keys: list[str]) -> dict | None:
        """Forget the items with these keys that have a draft or an error; delete a finished, empty run."""

    def stalled_runs(self, queued_before: float) -> list[tuple[str, str]]:
        """(run_id, state) of runs queued since before `queued_before`, and running runs whose lease expired."""

    def held_leases(self) -> list[tuple[str, str]]:
        """(run_id, owner) of every running run whose lease has not expired."""

    def requeue(self, run_id: str, dead_owner: str | None = None) -> bool:
        """Put a stalled run back to queued: its lease expired (or is held by `dead_owner`), or its queue
        entry was lost."""

    def get_answer(self, key: str) -> dict | None:
        """The model's stored answer to a prompt, or None."""

    def put_answer(self, key: str, answer: dict) -> None:
        """Keep the model's answer to a prompt for ANSWER_TTL."""

    def forget_answer(self, key: str) -> None:
        """Drop a stored answer (the guards refused the draft it made, so a retry asks the model again)."""

    def purge(self, now: float | None = None) -> int:
        """Delete finished runs nobody collected in time (returns how many) and answers past ANSWER_TTL."""


def open_store(settings: Settings) -> RunStore:
    """The run store the settings name: Redis when ATAI_REDIS_URL is set, else SQLite in ATAI_DATA_DIR."""
    if settings.redis_url:
        return RedisRunStore(settings.redis_url)
    return SqliteRunStore(Path(settings.data_dir) / "runs.db")
