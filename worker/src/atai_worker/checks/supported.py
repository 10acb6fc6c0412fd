"""Supported: a draft sentence whose content words are mostly not in the source says something new.

A claim can be invented without a new number or name ("The bakery was voted the best in the county").
Without a language model the sign is lexical: a rewrite in its own words still uses the source's
nouns and verbs, or words of the same stem, for most of what it says; an added claim brings its own.
"""

from __future__ import annotations

from ..models import Finding
from .text import Document, Sentence, prefixes, stem

# A sentence with fewer words not in the source is not worth a note.
NOTE_WORDS = 3
# Consecutive source sentences a rewritten sentence may draw its words from.
WINDOW = 3


class WordIndex:
    """The source's words and every prefix of 3 to 6 letters of them."""

    def __init__(self, source: Document):
        self.prefixes = prefixes(part for word in source.words for part in word.split("-"))

    def has(self, word: str) -> bool:
        return stem(word) in self.prefixes


def check(source: Document, draft: Document, *, hold_share: float, note_share: float,
          hold_words: int) -> list[Finding]:
    """A finding per draft sentence whose content words are mostly not in the source.

    It is a note when `note_share` of them (and three words) are nowhere in the source. It holds when at least
    `hold_share` of them, and at least `hold_words` words, are missing from every passage of WINDOW source
    sentences: a rewritten sentence takes its words from one place in the source, while an invented one
    gathers the few it shares from here and there.
    """
    index = WordIndex(source)
    findings = []
    for sentence in draft.sentences:
        words = sentence.content
        unsupported = [w for w in words if not index.has(w)]
        if len(unsupported) < NOTE_WORDS or len(unsupported) / len(words) < note_share:
            continue
        missing_here = len(words) - _best_passage(words, source.sentences)
        hold = missing_here / len(words) >= hold_share and missing_here >= hold_words
        shown = sentence.text if len(sentence.text) <= 160 else sentence.text[:157].rstrip() + "…"
        missing = ", ".join(dict.fromkeys(unsupported))
        if hold:
            message = f"checks: the draft says something the source does not: '{shown}' (not in the source: {missing})"
        else:
            message = f"checks: this sentence of the draft may go beyond the source: '{shown}' (not in the source: " \
                      f"{missing})"
        findings.append(Finding("claim_not_in_source", message, hold=hold, draft_text=sentence.text))
    return findings


def _best_passage(words: list[str], sentences: list[Sentence]) -> int:
    """How many of the words the best passage of WINDOW consecutive source sentences has."""
    stems = [stem(word) for word in words]
    masks = []
    for sentence in sentences:
        prefixes = sentence.content_prefixes
        masks.append(sum(1 << i for i, s in enumerate(stems) if s in prefixes))
    best = 0
    for start in range(len(masks)):
        window = 0
        for mask in masks[start:start + WINDOW]:
            window |= mask
        best = max(best, bin(window).count("1"))
    return best
