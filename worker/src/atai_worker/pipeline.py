"""One entry through the stages to one Draft: full text, sanitize, rewrite (or the cleaned original), guards.

A failing stage raises a WorkerError that names it; the caller records it on the item and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from . import guards
from .drafting import Drafting
from .endpoints import Endpoint
from .errors import ExtractError, FetchError, GuardError, WorkerError
from .fetch import Fetcher
from .models import Draft, Entry, Finding, Image
from .rewrite import Rewriter
from .sanitize import plain_text, sanitize_html, text_start
from .teasers import needs_full_text
from .urls import is_web_url, web_url

log = logging.getLogger(__name__)

EXCERPT_WORDS = 55
# The stages an item error may name (the contract's ItemError.stage).
ITEM_STAGES = ("extract", "sanitize", "relevance", "rewrite", "guards")


class Pipeline:
    """The per-entry step, built once per consumer and shared by its item threads."""

    def __init__(self, fetcher: Fetcher, rewriter: Rewriter):
        self.fetcher = fetcher
        self.rewriter = rewriter
        self.drafting = Drafting(rewriter)

    def draft_for(self, entry: Entry, endpoint: Endpoint | None, options: dict | None = None,
                  on_stage: Callable[[str], None] = lambda stage: None, *, retried: bool = False) -> Draft:
        """Full text, sanitize, rewrite (or the cleaned original), guards: one entry's Draft, or a WorkerError.

        options: the feed's options from the run request (contract RunRequest.options). on_stage(stage) is
        told each time the entry enters a stage, so its time budget can be watched. A `retried` entry (its
        model call failed for a reason that will pass) waits for a model slot first.
        """
        options = options or {}
        stage = "extract"
        try:
            findings: list[Finding] = []
            always = options.get("full_text") == "always"
            article_url = (entry.link, "link")
            if entry.link and (needs_full_text(entry) or (always and is_web_url(entry.link))):
                entry, finding, article_url = self._full_text(entry)
                findings += [finding] if finding else []
            stage = "sanitize"
            on_stage(stage)
            source_html = sanitize_html(entry.content_html or entry.summary, base_url=entry.base_url or entry.link)
            # The source text, not the rewrite: two feeds' copies of one story are rewritten differently.
            story = _identity().identity_of(plain_text(source_html), *article_url).to_dict()
            image = first_image(entry, source_html)
            if endpoint is None:
                stage = "guards"
                on_stage(stage)
                return guards.check_draft(original_draft(entry, source_html, image, findings).replace(identity=story),
                                          source_html)
            if not plain_text(source_html).strip():
                raise GuardError("guards: the entry has no text to rewrite", code="content_empty",
                                 retryable=False)
            stage = "rewrite"
            on_stage(stage)
            original = guards.check_draft(original_draft(entry, source_html, image, findings).replace(identity=story),
                                          source_html)
            return self.drafting.draft(entry, endpoint, options, source_html,
                                       base_draft(entry, image, findings).replace(identity=story), original,
                                       on_stage=on_stage, retried=retried)
        except WorkerError:
            raise
        except Exception as exc:
            log.exception("unexpected failure feed_url=%s key=%s stage=%s", entry.feed_url, entry.key, stage)
            raise unexpected_error(stage, exc) from exc

    def _full_text(self, entry: Entry) -> tuple[Entry, Finding | None, tuple[str | None, str]]:
        """The entry with the article extracted from its page, or unchanged with a finding saying why not;
        and the article's URL as the page gives it (after redirects, rel=canonical, og:url) with its source."""
        from . import extract  # the extractors load with the first teaser, not with the consumer (teasers.py)

        try:
            page = self.fetcher.fetch_page(entry.link)
        except FetchError as exc:
            return (entry, Finding("full_text_unavailable", f"{exc.message}; the feed's summary is used instead"),
                    (entry.link, "link"))
        article_url = page_url(page, entry.link, self.fetcher.allows)
        try:
            article = extract.extract_article(page.body, page.url, feed_text=entry.content_html or entry.summary)
        except ExtractError as exc:
            return (entry, Finding("full_text_unavailable", f"{exc.message}; the feed's summary is used instead"),
                    article_url)
        except Exception as exc:
            # The page is as hostile as the feed; an extractor crash costs the full text, not the item.
            log.exception("extraction failed feed_url=%s key=%s stage=extract", entry.feed_url, entry.key)
            return entry, Finding("full_text_unavailable", f"extract: could not read the article on {entry.link} "
                                                           f"({type(exc).__name__}); the feed's summary is used "
                                                           "instead"), article_url
        if not article:
            return entry, Finding("full_text_unavailable", f"extract: found no article text on {entry.link}; "
                                                           "the feed's summary is used instead"), article_url
        return entry.replace(content_html=article), None, article_url


def page_url(page, link: str, allowed: Callable[[str], bool]) -> tuple[str, str]:
    """The article's URL from a fetched page and where it came from: rel=canonical, og:url, else the final URL."""
    try:
        named, source = _identity().page_canonical(page.body, page.url, allowed)
    except Exception:
        # A page that breaks the HTML parser still has its final URL.
        log.exception("page canonical failed url=%s stage=extract", page.url)
        named, source = None, None
    if named:
        return named, source
    canonical_url = _identity().canonical_url
    return page.url, "redirect" if canonical_url(page.url) != canonical_url(link) else "link"


def excerpt_of(html: str, words: int = EXCERPT_WORDS) -> str:
    """The first `words` words of the text, with an ellipsis when cut."""
    parts = text_start(html, words * 20).split()
    if len(parts) <= words:
        parts = plain_text(html).split()  # a short text, or one of very long words: take it whole
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def first_image(entry: Entry, html: str) -> Image | None:
    """The entry's first web image: its own candidates first, then the first <img> of the content."""
    for image in entry.images:
        if url := web_url(image.url):
            return Image(url=url, alt=image.alt)
    # Parsing the whole article only when the feed named no image: most do.
    for src in guards.images(html):
        if url := web_url(src):
            return Image(url=url)
    return None


def unexpected_error(stage: str, exc: Exception) -> WorkerError:
    """A WorkerError for a failure we did not foresee, in the stage where it happened."""
    error = WorkerError(f"{stage}: unexpected {type(exc).__name__} while processing the entry; see the worker log",
                        code="internal_error")
    error.stage = stage
    return error


def item_error(entry: Entry, stage: str, code: str, message: str, retryable: bool,
               retry_after: str | None = None, details: dict | None = None, params: dict | None = None) -> dict:
    """The contract's ItemError for an entry; retry_after is the time to try it again, for a failure that will
    pass; details: the usage of calls paid for, a relevance verdict; params: the message's variable parts."""
    error = {"key": entry.key, "guid": entry.guid, "link": entry.link, "title": entry.title, "stage": stage,
             "code": code, "message": message, "retryable": retryable, "retry_after": retry_after}
    if params:
        error["params"] = dict(params)
    for name in ("usage", "relevance"):
        if (details or {}).get(name) is not None:
            error[name] = details[name]
    return error


def run_options(request: dict) -> dict:
    """What the per-entry step reads of a run request: the feed's options, the site's topic, the feed's name."""
    options = dict(request.get("options") or {})
    options["topic"] = (request.get("ai") or {}).get("topic") or ""
    options["source_name"] = (request.get("feed") or {}).get("title") or None
    return options


def base_draft(entry: Entry, image: Image | None, findings: list[Finding]) -> Draft:
    """The Draft fields that come from the entry whatever writes the text."""
    return Draft(key=entry.key, guid=entry.guid[:2048] if entry.guid else None, source_url=web_url(entry.link),
                 source_title=entry.title, title=entry.title, content="", excerpt="",
                 categories=entry.categories, image=image, published=entry.published, author=entry.author,
                 findings=tuple(findings))


def original_draft(entry: Entry, source_html: str, image: Image | None, findings: list[Finding]) -> Draft:
    """The cleaned original as a Draft (AI off): its title, its HTML, the start of its text as excerpt."""
    title = entry.title
    if not title.strip():
        # Some feeds (micro-blogs, JSON Feed notes) have untitled items: the start of the text stands in.
        title = excerpt_of(source_html, 12)
        findings = findings + [Finding("title_from_text", "guards: the entry has no title; its first words are used")]
    return base_draft(entry, image, findings).replace(title=title, content=source_html,
                                                      excerpt=excerpt_of(source_html))


def _identity():
    """The identity module (numpy and courlan, about 15 MB), imported at the first draft: an idle worker
    does not hold it."""
    from . import identity

    return identity
