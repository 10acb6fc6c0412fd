"""One entry through the stages to one Draft: full text, sanitize, rewrite (or the cleaned original), guards.

A failing stage raises a WorkerError that names it; the caller records it on the item and the run goes on.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable

from . import guards
from .drafting import Drafting
from .endpoints import Endpoint
from .errors import ExtractError, FetchError, GuardError, WorkerError
from .fetch import Fetcher
from .image_check import Limits
from .images import ImageFetcher, with_images
from .models import Draft, Entry, Finding, source_hash
from .rewrite import Rewriter
from .sanitize import plain_text, sanitize_html, text_start
from .teasers import needs_full_text
from .urls import is_web_url, web_url

log = logging.getLogger(__name__)

EXCERPT_WORDS = 55
META_DESCRIPTION_MAX = 160
SLUG_MAX = 200
# The stages an item error may name (the contract's ItemError.stage).
ITEM_STAGES = ("extract", "sanitize", "relevance", "rewrite", "guards")


class Pipeline:
    """The per-entry step, built once per consumer and shared by its item threads."""

    def __init__(self, fetcher: Fetcher, rewriter: Rewriter, images: ImageFetcher | None = None):
        """images: downloads and checks images; without it, drafts name none."""
        self.fetcher = fetcher
        self.rewriter = rewriter
        self.images = images
        self.drafting = Drafting(rewriter)

    def draft_for(self, entry: Entry, endpoint: Endpoint | None, options: dict | None = None,
                  on_stage: Callable[[str], None] = lambda stage: None, *, retried: bool = False,
                  images: dict | None = None, source_changed: bool = False) -> Draft:
        """Full text, sanitize, rewrite (or the cleaned original), guards, images: one entry's Draft, or a WorkerError.

        options: the feed's options from the run request (contract RunRequest.options). on_stage(stage) is
        told each time the entry enters a stage, so its time budget can be watched. A `retried` entry (its
        model call failed for a reason that will pass) waits for a model slot first. images: the run
        request's RunRequest.images; source_changed: the entry is a known one whose source changed.
        """
        options = options or {}
        # A change the plugin only notes needs the entry's hash, not a new article: no page, model or image.
        only_noted = source_changed and options.get("on_source_change", "flag") == "flag"
        fingerprint = source_hash(entry)  # of the entry as the feed gave it, before any full text
        stage = "extract"
        try:
            findings: list[Finding] = []
            page: tuple[str, str] | None = None
            always = options.get("full_text") == "always"
            article_url = (entry.link, "link")
            if not only_noted and entry.link and (needs_full_text(entry) or (always and is_web_url(entry.link))):
                entry, finding, article_url, page = self._full_text(entry)
                findings += [finding] if finding else []
            stage = "sanitize"
            on_stage(stage)
            source_html = sanitize_html(entry.content_html or entry.summary, base_url=entry.base_url or entry.link)
            # The source text, not the rewrite: two feeds' copies of one story are rewritten differently.
            story = _identity().identity_of(plain_text(source_html), *article_url).to_dict()
            if endpoint is None or only_noted:
                stage = "guards"
                on_stage(stage)
                draft = guards.check_draft(original_draft(entry, source_html, findings).replace(identity=story),
                                           source_html)
            else:
                if not plain_text(source_html).strip():
                    raise GuardError("guards: the entry has no text to rewrite", code="content_empty",
                                     retryable=False)
                stage = "rewrite"
                on_stage(stage)
                original = guards.check_draft(original_draft(entry, source_html, findings).replace(identity=story),
                                              source_html)
                draft = self.drafting.draft(entry, endpoint, options, source_html,
                                            base_draft(entry, findings).replace(identity=story), original,
                                            on_stage=on_stage, retried=retried)
            draft = draft.replace(slug=slug_of(draft.title), meta_description=meta_description(draft.excerpt),
                                  source_hash=fingerprint, source_changed=source_changed)
            if self.images is not None and not only_noted:
                draft = self._with_images(draft, entry, options, images, page)
            return draft
        except WorkerError:
            raise
        except Exception as exc:
            log.exception("unexpected failure feed_url=%s key=%s stage=%s", entry.feed_url, entry.key, stage)
            raise unexpected_error(stage, exc) from exc

    def _full_text(self, entry: Entry) -> tuple[Entry, Finding | None, tuple[str | None, str], tuple[str, str] | None]:
        """The entry with the article extracted from its page, or unchanged with a finding saying why not;
        the article's URL as the page gives it (after redirects, rel=canonical, og:url) with its source; and
        the page (html, url) for its sharing image."""
        from . import extract  # the extractors load with the first teaser, not with the consumer (teasers.py)

        try:
            page = self.fetcher.fetch_page(entry.link)
        except FetchError as exc:
            return (entry, Finding("full_text_unavailable", f"{exc.message}; the feed's summary is used instead"),
                    (entry.link, "link"), None)
        article_url = page_url(page, entry.link, self.fetcher.allows)
        fetched = (page.body.decode("utf-8", "replace"), page.url)
        try:
            article = extract.extract_article(page.body, page.url, feed_text=entry.content_html or entry.summary)
        except ExtractError as exc:
            return (entry, Finding("full_text_unavailable", f"{exc.message}; the feed's summary is used instead"),
                    article_url, fetched)
        except Exception as exc:
            # The page is as hostile as the feed; an extractor crash costs the full text, not the item.
            log.exception("extraction failed feed_url=%s key=%s stage=extract", entry.feed_url, entry.key)
            return entry, Finding("full_text_unavailable", f"extract: could not read the article on {entry.link} "
                                                           f"({type(exc).__name__}); the feed's summary is used "
                                                           "instead"), article_url, fetched
        if not article:
            return entry, Finding("full_text_unavailable", f"extract: found no article text on {entry.link}; "
                                                           "the feed's summary is used instead"), article_url, fetched
        return entry.replace(content_html=article), None, article_url, fetched

    def _with_images(self, draft: Draft, entry: Entry, options: dict, images: dict | None,
                     page: tuple[str, str] | None) -> Draft:
        """The draft with its images checked; a failure here costs the images, never the post."""
        def fetch_page(url: str) -> tuple[str, str] | None:
            if not is_web_url(url):
                return None
            try:
                fetched = self.fetcher.fetch_page(url)
            except FetchError:
                return None
            return fetched.body.decode("utf-8", "replace"), fetched.url

        try:
            return with_images(draft, entry, self.images, Limits.from_request(images), options, page, fetch_page)
        except Exception as exc:
            log.exception("images failed feed_url=%s key=%s stage=images", entry.feed_url, entry.key)
            return draft.replace(findings=draft.findings + (Finding(
                "image_refused", f"image: the images of this entry could not be checked ({type(exc).__name__}); "
                                 "see the worker log"),))


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


def meta_description(excerpt: str) -> str:
    """The excerpt cut at a word to fit a search result's snippet."""
    text = " ".join(excerpt.split()).removesuffix(" …")
    if len(text) <= META_DESCRIPTION_MAX:
        return text
    cut = text[:META_DESCRIPTION_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def slug_of(title: str) -> str:
    """Lower-case ASCII words of the title joined by hyphens ('' for a title without Latin letters)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")[:SLUG_MAX].rstrip("-")


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


def base_draft(entry: Entry, findings: list[Finding]) -> Draft:
    """The Draft fields that come from the entry whatever writes the text."""
    return Draft(key=entry.key, guid=entry.guid[:2048] if entry.guid else None, source_url=web_url(entry.link),
                 source_title=entry.title, title=entry.title, content="", excerpt="",
                 categories=entry.categories, published=entry.published, author=entry.author,
                 updated=entry.updated, findings=tuple(findings))


def original_draft(entry: Entry, source_html: str, findings: list[Finding]) -> Draft:
    """The cleaned original as a Draft (AI off): its title, its HTML, the start of its text as excerpt."""
    title = entry.title
    if not title.strip():
        # Some feeds (micro-blogs, JSON Feed notes) have untitled items: the start of the text stands in.
        title = excerpt_of(source_html, 12)
        findings = findings + [Finding("title_from_text", "guards: the entry has no title; its first words are used")]
    return base_draft(entry, findings).replace(title=title, content=source_html, excerpt=excerpt_of(source_html))


def _identity():
    """The identity module (numpy and courlan, about 15 MB), imported at the first draft: an idle worker
    does not hold it."""
    from . import identity

    return identity
