"""Choose among extractors' articles: the precise one, extended only by passages that a second source vouches for.

Extractors fail in different ways: a precise one stops at an advertisement that splits the body, a
generous one takes the related links too. Text that two independent methods both call article is
kept; text only one of them found is not (the ensemble idea of Bevendorff et al., "An Empirical
Comparison of Web Content Extraction Algorithms", SIGIR 2023). Passages are compared as sets of
four-word runs ("shingles"), so markup and whitespace do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from .article_tidy import article_html
from .sanitize import plain_text

# A longer article replaces the precise one only when it keeps at least half of its text: more of
# the same article, not another part of the page.
KEEPS_SHARE = 0.5
# ...when it is longer at all (a same-sized one is the same article)...
GROWTH = 1.05
# ...and when a second source vouches for at least this share of what it adds. The same share
# decides, passage by passage, which added passages stay.
VOUCHED_SHARE = 0.5
# An added passage whose text is mostly link text is a list of other pages, whoever vouches for it.
MAX_LINK_SHARE = 0.5
# An added passage shorter than an average sentence is a byline, a credit or a call to subscribe, not prose an
# extractor missed: extractors disagree on such lines and agreeing on them proves nothing.
MIN_ADDED_WORDS = 20

_WORD = re.compile(r"\w+")
# Containers an extractor keeps around groups of paragraphs; passages are what they hold.
_GROUPS = frozenset({"div", "section", "article", "main", "span", "font", "center"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class Text:
    """A text as its words and its set of four-word runs."""

    words: str
    shingles: frozenset

    @classmethod
    def of(cls, text: str) -> Text:
        words = _WORD.findall(text)
        runs = frozenset(tuple(words[i:i + 4]) for i in range(len(words) - 3)) or frozenset([tuple(words)])
        return cls(" ".join(words), runs)

    def vouches_for(self, passage: Text) -> float:
        """The share of the passage found here (a passage under four words must appear whole)."""
        if len(passage.shingles) == 1 and len(next(iter(passage.shingles))) < 4:
            return 1.0 if passage.words and f" {passage.words} " in f" {self.words} " else 0.0
        return share(passage.shingles, self.shingles)


@dataclass(frozen=True)
class Candidate:
    """One extractor's tidied article."""

    name: str
    body: HtmlElement
    text: Text
    chars: int

    @classmethod
    def of(cls, name: str, body: HtmlElement | None) -> Candidate | None:
        if body is None:
            return None
        text = plain_text(article_html(body))
        return cls(name, body, Text.of(text), len(text)) if text else None

    @property
    def size(self) -> int:
        return len(self.text.shingles)


def choose(precise: Candidate | None, others: list[Candidate], references: list[Text],
           *, trusted: bool) -> Candidate | None:
    """The precise article, extended by the longest other one whose additions a second source vouches for.

    `references` are texts that are not candidates but know the article: the page's declared body,
    the feed's text, a third extractor. An untrusted precise article (too short, or at odds with the
    declared body) is replaced whole by a longer vouched candidate, and can itself vouch for it.
    """
    for candidate in sorted(others, key=lambda c: c.size, reverse=True):
        if precise is not None and candidate.size < GROWTH * precise.size:
            continue
        vouchers = [other.text for other in others if other is not candidate] + references
        if not trusted or precise is None:
            vouchers += [precise.text] if precise is not None else []
            if _vouched(candidate.text.shingles, vouchers):
                return candidate
            continue
        if share(precise.text.shingles, candidate.text.shingles) < KEEPS_SHARE:
            continue  # another part of the page, not more of the same article
        if not _vouched(candidate.text.shingles - precise.text.shingles, vouchers):
            continue
        extended = _keep_vouched(candidate, precise.text, vouchers)
        if extended is not None and extended.size > precise.size:
            return extended
    return precise


def share(part: frozenset, whole: frozenset) -> float:
    """The share of `part`'s shingles that are also in `whole`."""
    return len(part & whole) / len(part) if part else 0.0


def _vouched(shingles: frozenset, vouchers: list[Text]) -> bool:
    return bool(shingles) and max((share(shingles, v.shingles) for v in vouchers), default=0.0) >= VOUCHED_SHARE


def _keep_vouched(candidate: Candidate, kept: Text, vouchers: list[Text]) -> Candidate | None:
    """The candidate keeping what `kept` holds, and of the rest only vouched prose (and the headings above it)."""
    decisions = []
    for passage in _passages(candidate.body):
        text = Text.of(passage.text_content())
        if not text.words or kept.vouches_for(text) >= VOUCHED_SHARE:
            decisions.append((passage, True))
            continue
        vouched = max((voucher.vouches_for(text) for voucher in vouchers), default=0.0) >= VOUCHED_SHARE
        if not vouched or _link_share(passage) > MAX_LINK_SHARE or _is_caption(passage):
            keep = False
        elif len(text.words.split()) >= MIN_ADDED_WORDS:
            keep = True
        else:
            keep = None if passage.tag in _HEADINGS else False  # a heading goes with the passage under it
        decisions.append((passage, keep))
    following = True
    for passage, keep in reversed(decisions):
        keep = following if keep is None else keep
        if not keep:
            passage.drop_tree()
        following = keep
    return Candidate.of(candidate.name, candidate.body)


def _passages(body: HtmlElement):
    """The article's blocks (paragraphs, headings, lists, tables, quotes), looking inside grouping containers."""
    for child in body:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _GROUPS and any(isinstance(c.tag, str) and c.tag not in ("a", "b", "i", "em", "strong")
                                        for c in child):
            yield from _passages(child)
        else:
            yield child


def _is_caption(passage: HtmlElement) -> bool:
    """A figure's caption describes a picture: extractors that keep the picture keep it, it is not missed prose."""
    if any(_names_caption(element) for element in (passage, *passage.iterancestors())):
        return True
    captions = [element for element in passage.iterdescendants() if _names_caption(element)]
    outermost = [c for c in captions if not any(_names_caption(a) for a in c.iterancestors() if a in captions)]
    caption_chars = sum(len(c.text_content().strip()) for c in outermost)
    return caption_chars > 0.5 * len(passage.text_content().strip())


def _names_caption(element: HtmlElement) -> bool:
    return element.tag in ("figure", "figcaption") or "caption" in (element.get("class") or "").lower()


def _link_share(passage: HtmlElement) -> float:
    text = len(passage.text_content().strip())
    links = sum(len(link.text_content().strip()) for link in passage.iter("a"))
    return links / text if text else 0.0
