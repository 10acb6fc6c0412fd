"""Extract stage: find the main article of a web page when a feed entry carries only a summary."""

from __future__ import annotations

import copy
import logging

import trafilatura
from lxml.html import HtmlElement
from readability import Document
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding
from resiliparse.parse.html import HTMLTree

from .article_choice import GROWTH, Candidate, Text, choose, share
from .article_page import declared_article_body, declared_body_html, keep_main_article_only, load_page, mark_images
from .article_restore import PageFacts, restore_from_page
from .article_tidy import article_html, parse_article, tidy_article
from .decode import EntityDeclarations, clean_text, markup_head, refuse_entity_declarations
from .errors import ExtractError
from .hidden import drop_hidden
from .sanitize import plain_text
from .teasers import FULL_TEXT_THRESHOLD
from .urls import is_web_url

log = logging.getLogger(__name__)

# Less text than this from a page is a login form, a menu or an error page, not an article.
MIN_ARTICLE_CHARS = 200
# Less than this from the precise pass may be a notice or a caption instead of the article: it is
# not trusted alone, and any other extractor's result vouched for by a second source may replace it.
TRUSTED_CHARS = FULL_TEXT_THRESHOLD
# A trusted result that shares less than this with the page's declared article body is not that article.
DECLARED_AGREEMENT = 0.2
# An extraction that holds this much of the declared body, and is longer, has the article and more of it.
DECLARED_HELD = 0.8


def extract_article(html: bytes | str, url: str, feed_text: str = "") -> str | None:
    """The main content of an article page as HTML, or None when no article is found.

    `feed_text` is what the feed said of the entry (its summary), one more witness of which
    passages belong to the article. Raises ExtractError for a page that declares XML entities; text
    hidden from readers is dropped before anything reads the page.
    """
    if not html:
        return None
    try:
        refuse_entity_declarations(markup_head(html) if isinstance(html, bytes) else html)
    except EntityDeclarations:
        raise ExtractError(f"extract: the page at {url} declares XML entities, which are not accepted",
                           retryable=False) from None
    article = _article(html, url, feed_text)
    return clean_text(article) if article else None  # the page's text enters the worker here


def _article(html: bytes | str, url: str, feed_text: str) -> str | None:
    tree = load_page(html)
    if tree is None:
        return None
    drop_hidden(tree)  # a planted instruction in hidden text is not the article
    declared = declared_article_body(tree)
    headline = _headline(tree)
    keep_main_article_only(tree)
    mark_images(tree)
    declared_text = Text.of(plain_text(declared)) if declared else None
    witnesses = [Text.of(text) for text in (plain_text(feed_text), _resiliparse(html)) if text]
    references = [declared_text, *witnesses] if declared_text else witnesses

    precise = _candidate("precise", _trafilatura(tree, url, precision=True, fast=True), headline, url)
    trusted = _is_trusted(precise, declared_text)
    if not trusted:
        # trafilatura's own safety nets (readability and jusText inside it) for a thin first pass.
        precise = _candidate("precise", _trafilatura(tree, url, precision=True, fast=False), headline, url) or precise
    others = [_candidate("balanced", _trafilatura(tree, url, precision=False, fast=True), headline, url),
              _candidate("readability", _readability(tree), headline, url)]
    chosen = choose(precise, [c for c in others if c], references, trusted=trusted)
    if declared_text and not trusted and not _holds_more(chosen, declared_text):
        # The page's markup gave no article we trust (a script-built page, a notice), but the page
        # states its article body: that is the article, in its own paragraphs.
        return declared_body_html(declared)
    if chosen is not None and chosen.chars >= MIN_ARTICLE_CHARS:
        return article_html(restore_from_page(chosen.body, PageFacts.of(tree, url), url))
    # Nothing the extractors found reads as an article; the page's own statement of it may.
    return declared_body_html(declared) if declared else None


def _is_trusted(candidate: Candidate | None, declared: Text | None) -> bool:
    if candidate is None or candidate.chars < TRUSTED_CHARS:
        return False
    return declared is None or share(declared.shingles, candidate.text.shingles) >= DECLARED_AGREEMENT


def _holds_more(candidate: Candidate | None, declared: Text) -> bool:
    """True when an extraction holds the declared body and more: the declaration was a part of the article."""
    return (candidate is not None and candidate.size >= GROWTH * len(declared.shingles)
            and share(declared.shingles, candidate.text.shingles) >= DECLARED_HELD)


def _candidate(name: str, html: str | None, headline: str, url: str) -> Candidate | None:
    body = parse_article(html or "")
    if body is None:
        return None
    tidy_article(body, headline)  # first: an empty href would resolve to the page's own address
    if is_web_url(url):
        body.make_links_absolute(url, handle_failures="discard")
    return Candidate.of(name, body)


def _trafilatura(tree: HtmlElement, url: str, *, precision: bool, fast: bool) -> str | None:
    return trafilatura.extract(
        tree,  # trafilatura works on its own copy
        url=url,
        output_format="html",
        include_formatting=True,
        include_links=True,
        include_images=True,
        include_tables=True,
        include_comments=False,  # reader comments are not the article
        favor_precision=precision,
        fast=fast,  # fast: trafilatura's own algorithm, without its readability and jusText fallbacks
        with_metadata=False,
    )


def _readability(tree: HtmlElement) -> str:
    """readability-lxml's article: a second algorithm, scoring text blocks by their paragraphs and commas."""
    try:
        # Without url: readability would resolve every link of the whole page; _candidate resolves the article's.
        return Document(copy.deepcopy(tree)).summary(html_partial=True)
    except Exception:  # a second opinion that fails is no opinion: the precise article still stands
        log.warning("extract: readability failed on a page, going on without it", exc_info=True)
        return ""


def _resiliparse(html: bytes | str) -> str:
    """Resiliparse's main-content text: a third algorithm (DOM heuristics in C++, about a millisecond a page)."""
    try:
        text = bytes_to_str(html, detect_encoding(html)) if isinstance(html, bytes) else html
        return extract_plain_text(HTMLTree.parse(text), main_content=True)
    except Exception:  # a witness that fails is no witness
        log.warning("extract: resiliparse failed on a page, going on without it", exc_info=True)
        return ""


def _headline(tree: HtmlElement) -> str:
    """The page's headline: its only <h1>, else the og:title it declares."""
    headings = tree.xpath("//h1")
    if len(headings) == 1:
        return headings[0].text_content()
    titles = tree.xpath('//meta[@property="og:title"]/@content')
    return titles[0] if titles else ""
