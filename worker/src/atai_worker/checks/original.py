"""Original: a draft that repeats long runs of the source's words is a copy, not a rewrite.

The measure is the share of the draft's word 8-grams that are also in the source. Quotations are kept
word for word on purpose, so text inside quotation marks or a <blockquote> does not count.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..models import Finding
from .text import TOKEN, Document, fold, outside_quotations

GRAM = 8
# Below this many 8-grams outside quotations a draft is too short to call a copy.
MIN_GRAMS = 12


def _grams(tokens: list[str]) -> Iterator[tuple[str, ...]]:
    return zip(*(tokens[i:] for i in range(GRAM)))


def copied_share(source: Document, draft: Document) -> float | None:
    """The share of the draft's own 8-grams found in the source; None when the draft has too few to tell."""
    known: set[tuple[str, ...]] = set()
    for block in source.body_blocks:
        known.update(_grams(TOKEN.findall(block.folded)))
    grams: list[tuple[str, ...]] = []
    for block in draft.body_blocks:
        if block.quoted:
            continue
        for piece in outside_quotations(block.text):
            grams += _grams(TOKEN.findall(fold(piece)))
    if len(grams) < MIN_GRAMS:
        return None
    return sum(map(known.__contains__, grams)) / len(grams)


def check(source: Document, draft: Document, *, limit: float) -> list[Finding]:
    """A hold when more than `limit` of the draft's wording is the source's."""
    share = copied_share(source, draft)
    if share is None or share <= limit:
        return []
    return [Finding("copied_from_source", f"checks: {share:.0%} of the draft's wording is copied from the source "
                                          f"(the limit is {limit:.0%}; quotations are not counted)", hold=True)]
