"""Replays drafts of the seeded set through the worker's real draft path: Pipeline.draft_for with the fake model.

The fake model is told to answer the article's title with the stored draft (ModelServer.scripted), so the
draft goes through the rewrite stage's validation, the sanitizer and the guards exactly as a model's would.
"""

from __future__ import annotations

from dataclasses import dataclass

from atai_worker.endpoints import Endpoint
from atai_worker.errors import WorkerError
from atai_worker.fetch import Fetcher
from atai_worker.models import Draft, Entry, item_key
from atai_worker.pipeline import Pipeline
from atai_worker.rewrite import Rewriter

from .draft_set import SetDraft
from .model_server import ModelServer


@dataclass(frozen=True)
class Outcome:
    """What the worker made of one draft: a Draft (held or not), or an item error."""

    draft: SetDraft
    result: Draft | None
    error: WorkerError | None

    @property
    def held(self) -> bool:
        return self.result is not None and self.result.hold

    @property
    def refused(self) -> bool:
        """No draft at all: nothing reaches the site, so nothing can be published."""
        return self.result is None

    @property
    def stopped(self) -> bool:
        return self.held or self.refused


class Replay:
    """A pipeline and an endpoint pointing at a fake model; `run` sends one set draft through them."""

    def __init__(self, model: ModelServer):
        self.model = model
        self.pipeline = Pipeline(Fetcher(allowed_hosts=(), timeout=5.0, max_bytes=1_000_000), Rewriter(timeout=30.0))
        self.endpoint = Endpoint(base_url=model.base_url, api_key="sk-replay", model="fake-model", max_in_flight=1)

    def run(self, draft: SetDraft) -> Outcome:
        # No link: the entry's own content is the article (nothing is fetched).
        entry = Entry(feed_id=1, feed_url="https://set.example/feed", key=item_key(1, draft.name + draft.article, None),
                      guid=f"{draft.article}/{draft.name}", link=None, title=draft.source_title,
                      content_html=draft.source_html, language=draft.language)
        self.model.scripted[draft.source_title] = {"title": draft.title, "content": draft.content,
                                                   "excerpt": draft.excerpt, "tags": [],
                                                   "finish_reason": draft.finish_reason}
        try:
            return Outcome(draft, self.pipeline.draft_for(entry, self.endpoint), None)
        except WorkerError as exc:
            return Outcome(draft, None, exc)
        finally:
            self.model.scripted.pop(draft.source_title, None)
