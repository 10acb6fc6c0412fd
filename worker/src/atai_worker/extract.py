"""Extract stage: find the main article of a web page when a feed entry carries only a summary."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import trafilatura
from lxml.html import HtmlElement
from readability import Document

from .article_page import declared_article_body, declared_body_html, keep_main_article_only, load_page, mark_images
from .article_tidy import article_html, parse_article, tidy_article
from .models import Entry
from .sanitize import plain_text, text_start
from .urls import is_web_url

# Below this much text between content and summary, an entry is a teaser, not an article.
FULL_TEXT_THRESHOLD = 500
# Less text than this from a page is a login form, a menu or an error page, not an article.
MIN_ARTICLE_CHARS = 200
# Less than this from the precise pass may be a notice or a caption instead of the article: it is
# not trusted alone, and any other extractor's longer result vouched for by a second one may replace it.
TRUSTED_CHARS = FULL_TEXT_THRESHOLD
# A longer result replaces a trusted one when it keeps this share of its text (it adds to the
# article instead of being another part of the page), adds at least this much...
KEEPS_SHARE = 0.5
GROWTH = 1.1
# ...and at least this share of what it adds is also found by another extractor, the page's declared
# article body or the feed's text: two independent methods agreeing is evidence that it is article.
VOUCHED_SHARE = 0.5
# A trusted result that shares less than this with the page's declared article body is not that article.
DECLARED_AGREEMENT = 0.2

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Candidate:
    """One extractor's article: its tidied markup, its text and the text's 4-word shingles."""

    name: str
    html: str
    text: str
    shingles: frozenset

    @property
    def size(self) -> int:
        return len(self.shingles)


def needs_full_text(entry: Entry) -> bool:
    """True when the entry has a link but hardly any text of its own."""
    if not is_web_url(entry.link):
        return False
    content_text = text_start(entry.content_html, FULL_TEXT_THRESHOLD)
    if len(content_text) >= FULL_TEXT_THRESHOLD:
        return False
    summary_text = text_start(entry.summary, FULL_TEXT_THRESHOLD)
    # Feeds often repeat the summary as the content; the same text counts once.
    length = len(content_text) if content_text == summary_text else len(content_text) + len(summary_text)
    return length < FULL_TEXT_THRESHOLD


def extract_article(html: bytes | str, url: str, feed_text: str = "") -> str | None:
    """The main content of an article page as HTML, or None when no article is found.

    `feed_text` is what the feed said of the entry (its summary), used to check which extraction
    holds the article.
    """
    tree = load_page(html)
    if tree is None:
        return None
    declared = declared_article_body(tree)
    headline = _headline(tree)
    keep_main_article_only(tree)
    mark_images(tree)
    references = [_shingles(text) for text in (plain_text(declared), plain_text(feed_text)) if text]

    precise = _candidate("precise", _trafilatura(tree, url, precision=True, fast=True), headline)
    trusted = _is_trusted(precise, references[0] if declared else None)
    if not trusted:
        # trafilatura's own safety nets (readability and jusText inside it) for a thin first pass.
        precise = _candidate("precise", _trafilatura(tree, url, precision=True, fast=False), headline) or precise
    others = [_candidate("balanced", _trafilatura(tree, url, precision=False, fast=True), headline),
              _candidate("readability", _readability(tree, url), headline)]
    chosen = _choose(precise, [c for c in others if c], references, trusted=trusted)
    if chosen is not None and len(chosen.text) >= MIN_ARTICLE_CHARS:
        return chosen.html
    # Nothing the extractors found reads as an article; the page's own statement of it may.
    return declared_body_html(declared) if declared else None


def _choose(precise: _Candidate | None, others: list[_Candidate], references: list[frozenset],
            *, trusted: bool) -> _Candidate | None:
    """The precise result, or the longest other one that adds to it text that a second source vouches for."""
    chosen = precise
    for candidate in sorted(others, key=lambda c: c.size, reverse=True):
        if chosen is not None and candidate.size < GROWTH * chosen.size:
            continue
        if trusted and precise is not None and _share(precise.shingles, candidate.shingles) < KEEPS_SHARE:
            continue  # another part of the page, not more of the same article
        added = candidate.shingles - precise.shingles if precise is not None else candidate.shingles
        vouchers = [other.shingles for other in others if other is not candidate] + references
        if not trusted and precise is not None:
            vouchers.append(precise.shingles)
        if added and max((_share(added, voucher) for voucher in vouchers), default=0.0) >= VOUCHED_SHARE:
            chosen = candidate
            break
    return chosen


def _is_trusted(candidate: _Candidate | None, declared: frozenset | None) -> bool:
    if candidate is None or len(candidate.text) < TRUSTED_CHARS:
        return False
    return declared is None or _share(declared, candidate.shingles) >= DECLARED_AGREEMENT


def _candidate(name: str, html: str | None, headline: str) -> _Candidate | None:
    body = parse_article(html or "")
    if body is None:
        return None
    markup = article_html(tidy_article(body, headline))
    text = plain_text(markup)
    return _Candidate(name, markup, text, _shingles(text)) if text else None


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


def _readability(tree: HtmlElement, url: str) -> str:
    """readability-lxml's article: a second algorithm, scoring text blocks by their paragraphs and commas."""
    return Document(copy.deepcopy(tree), url=url).summary(html_partial=True)


def _headline(tree: HtmlElement) -> str:
    """The page's headline: its only <h1>, else the og:title it declares."""
    headings = tree.xpath("//h1")
    if len(headings) == 1:
        return headings[0].text_content()
    titles = tree.xpath('//meta[@property="og:title"]/@content')
    return titles[0] if titles else ""


def _shingles(text: str) -> frozenset:
    """The text's runs of four consecutive words: shared runs mean shared passages, whatever the markup."""
    words = _WORD.findall(text)
    return frozenset(tuple(words[i:i + 4]) for i in range(len(words) - 3)) or frozenset([tuple(words)])


def _share(part: frozenset, whole: frozenset) -> float:
    """The share of `part`'s shingles that are also in `whole`."""
    return len(part & whole) / len(part) if part else 0.0

