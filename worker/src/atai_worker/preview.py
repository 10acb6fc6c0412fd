"""Preview: what a feed would post before the site owner saves it, through the stages a run uses.

The feed is fetched and parsed, its filters applied, and its first kept entries made into drafts by
the same Pipeline as a run: the cleaned original, or with `rewrite` the model's draft (paid for, its
usage reported). Nothing is stored and no ledger is consulted: every entry counts as new.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from . import filters, parse
from .discover import source_error
from .errors import FetchError, FilterError, ParseError, WorkerError
from .fetch import Fetcher
from .pipeline import ITEM_STAGES, Pipeline, item_error
from .endpoints import resolve_endpoint
from .scheduler import Share, acting_as
from .settings import Settings

DEFAULT_ENTRIES = 3
# Previewed entries are made at once, as a run would; a preview asks for ten at most.
PARALLEL_ENTRIES = 4
ORIGINAL = {"mode": "original", "model": None, "reason": "A preview without the rewrite shows the cleaned original."}


def preview(request: dict, *, fetcher: Fetcher, pipeline: Pipeline, settings: Settings, share: Share) -> dict:
    """The contract's Preview for a PreviewRequest; its model calls wait for their slots as `share`."""
    url = request["feed"]["url"]
    if request.get("rewrite"):
        endpoint, rewrite = resolve_endpoint(request["ai"], settings)
    else:
        endpoint, rewrite = None, ORIGINAL
    result = {"url": url, "title": None, "format": None, "entries_total": 0, "rewrite": rewrite,
              "drafts": [], "errors": [], "skipped": [], "error": None}
    try:
        fetched = fetcher.fetch_feed(url)
        result["url"] = fetched.permanent_redirect or url
        parsed = parse.parse_feed(fetched.body, feed_id=0, feed_url=result["url"], content_type=fetched.content_type)
        kept, skipped = filters.plan(list(parsed.entries), request.get("options"), now=time.time())
    except (FetchError, ParseError, FilterError) as exc:
        return result | {"error": source_error(exc)}
    wanted = request.get("entries") or DEFAULT_ENTRIES
    chosen = kept[:wanted]
    # Only the skips among the entries a run would have reached before the previewed ones.
    last = parsed.entries.index(chosen[-1]) if chosen else len(parsed.entries) - 1
    result.update(title=parsed.title or None, format=parsed.format, entries_total=len(parsed.entries),
                  skipped=[s.to_dict() for s in skipped if parsed.entries.index(s.entry) <= last])
    options = request.get("options")
    with ThreadPoolExecutor(max_workers=min(PARALLEL_ENTRIES, len(chosen) or 1),
                            thread_name_prefix="atai-preview") as pool:
        outcomes = list(pool.map(lambda entry: _draft_or_error(pipeline, entry, endpoint, options, share), chosen))
    for outcome in outcomes:
        result["errors" if "stage" in outcome else "drafts"].append(outcome)
    return result


def _draft_or_error(pipeline: Pipeline, entry, endpoint, options, share: Share) -> dict:
    try:
        with acting_as(share):
            return pipeline.draft_for(entry, endpoint, options).to_dict()
    except WorkerError as exc:
        stage = exc.stage if exc.stage in ITEM_STAGES else "extract"
        return item_error(entry, stage, exc.code, exc.message, exc.retryable)
