"""What the run stores share: the records they return, the Run document they write, how long things last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import orjson

from ..models import Entry

# The site ATAI_WORKER_SECRET opens (tenants.py), and the site of every run stored before sites existed.
DEFAULT_SITE = "default"

# Finished runs nobody collected are forgotten after a week; finished runs with nothing left to
# collect (a failed run, an unchanged feed) after a day, so that frequent polling does not pile them up.
FINISHED_RUN_TTL = 7 * 24 * 3600
EMPTY_RUN_TTL = 24 * 3600
# Leases: a consumer renews those of its runs every fifth of Settings.lease_seconds (10 s), from a
# thread of its own; a lease not renewed that long means the consumer died, and the reaper re-enqueues
# the run. A consumer on the same machine does not wait for that: it sees at once that the owner's
# process is gone (owners.py).
# The model's answers are kept a week (issue 16): a crash, a retried run or a run sent twice never pays
# the model again for the same prompt.
ANSWER_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class RunRecord:
    """One run as stored; `request` is None once the run finished."""

    run_id: str
    feed_id: int
    state: str
    request: dict | None
    rewrite: dict
    feed: dict | None
    error: dict | None
    planned: bool
    created_at: float
    updated_at: float
    # The site that asked for the run (tenants.py); only it may read, acknowledge or cancel it.
    site_id: str = DEFAULT_SITE


@dataclass(frozen=True)
class ItemRecord:
    """One planned entry and, once processed, its draft or its error."""

    key: str
    entry: Entry
    draft: dict | None
    error: dict | None

    @property
    def state(self) -> str:
        if self.draft is not None:
            return "ready"
        if self.error is not None:
            return "failed"
        return "pending"


def iso_time(timestamp: float) -> str:
    """Unix seconds as an RFC 3339 UTC date-time."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ItemHead:
    """What a Run document says of an item: enough to name it, without its (large) entry.

    draft and error are the JSON as stored (text, or UTF-8 bytes): the document splices them in without
    decoding.
    """

    key: str
    guid: str | None
    link: str | None
    title: str | None
    draft: str | bytes | None
    error: str | bytes | None

    @property
    def state(self) -> str:
        return "ready" if self.draft is not None else "failed" if self.error is not None else "pending"


def item_head(entry: Entry) -> dict:
    """The small part of an entry a Run document shows, stored beside the entry."""
    return {"guid": entry.guid, "link": entry.link, "title": entry.title}


def run_json(record: RunRecord, items: list[ItemHead]) -> bytes:
    """The contract's Run for a stored run and its unacknowledged items, as UTF-8 JSON.

    Drafts are stored as JSON and go out as they are: a run of 50 articles is megabytes, and decoding
    and encoding it again would cost the API more than everything else it does. Bytes from end to end:
    each text copy of megabytes of articles is memory the API holds while it answers.
    """
    # The plan's skipped entries are stored inside the feed record (one write with the plan) but are a
    # list of the Run's own.
    feed = dict(record.feed) if record.feed is not None else None
    skipped = feed.pop("skipped", []) if feed is not None else []
    head = orjson.dumps({
        "run_id": record.run_id,
        "feed_id": record.feed_id,
        "state": record.state,
        "created_at": iso_time(record.created_at),
        "updated_at": iso_time(record.updated_at),
        "rewrite": record.rewrite,
        "feed": feed,
        "items": [{"key": i.key, "guid": i.guid, "link": i.link, "title": i.title, "state": i.state} for i in items],
        "skipped": skipped,
        "error": record.error,
    })
    drafts = b",".join(_utf8(i.draft) for i in items if i.draft is not None)
    errors = b",".join(_utf8(i.error) for i in items if i.error is not None)
    return b"".join((head[:-1], b',"drafts":[', drafts, b'],"errors":[', errors, b"]}"))


def _utf8(json_text: str | bytes) -> bytes:
    return json_text if isinstance(json_text, bytes) else json_text.encode()



# orjson: the stored values are articles of 100 KB and more, which the standard library's encoder
# escapes character by character (0.8 ms each, against 0.02 ms).
def to_json(value) -> str | None:
    """JSON text of a value; None stays None."""
    return None if value is None else orjson.dumps(value).decode()


def from_json(text):
    """The value of JSON text; None or an empty string (Redis's "unset") is None."""
    return None if text in (None, "") else orjson.loads(text)
