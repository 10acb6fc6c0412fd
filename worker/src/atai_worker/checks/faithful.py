"""Faithful: every number, amount, percentage, date and proper name of the draft is in the source."""

from __future__ import annotations

import re
from dataclasses import replace

from ..models import Finding
from . import words as W
from .names import Name, NameIndex, document_names
from .numbers import Mention, mentions
from .text import NOT_AROUND, WORD, Document, Sentence, fold, strip_possessive

_NOT_DIGIT = re.compile(r"\D")
_FIGURE = re.compile(r"\d(?:[\d.,\u00a0\u202f\u2009]*\d)?")
_MONTH_WORDS = frozenset(W.MONTHS)
_WEEKDAY_WORDS = frozenset(W.WEEKDAYS)
# Articles that are also "one" ("a", "un") are left out: they are in every sentence.
_NUMBER_WORDS = frozenset(W.CARDINALS) | frozenset(W.ORDINALS) | {"one", "first", "second", "half", "premier",
                                                                  "primero", "erste"}
_SCALE_WORDS = frozenset(W.SCALES)
# Kinds that stand in for each other when a changed value is paired with the source's.
_PAIRED_KINDS = {"money": ("money", "number"), "percent": ("percent",), "year": ("year",), "date": ("date",),
                 "time": ("time",), "number": ("number", "money"), "month": ("month", "date"),
                 "weekday": ("weekday",)}
# Share by which a hedged amount ("about 6.5 billion") may differ from the source's.
HEDGE_TOLERANCE = 0.1
# Small counts ("seven", "11") recur in any article: one is supported only where the source has it in a
# sentence that shares a word with the draft's.
SMALL_NUMBER = 100




def check(source: Document, draft: Document) -> list[Finding]:
    """Findings for the draft's numbers, dates and names that the source does not have; all are holds."""
    findings = _check_mentions(source, draft)
    findings += _check_names(source, draft)
    return findings


def _small(mention: Mention) -> bool:
    return mention.kind == "number" and all(v < SMALL_NUMBER for v in mention.values)


def _digits(text: str) -> str:
    """The digits of a text, without the zeros at either end: '6,500' and '6.5' are both '65'."""
    return _NOT_DIGIT.sub("", text).strip("0")


def _sources_for(source: Document, draft_mentions: list[Mention]) -> list[Sentence]:
    """The source sentences that may hold what the draft's mentions need: a shared figure, or words for numbers
    and dates where the draft's are in words. Reading only these saves most of the work on a long source."""
    cores = {_digits(m.text) for m in draft_mentions} | {_digits(f"{v:.6g}") for m in draft_mentions for v in m.values}
    cores.discard("")
    words: set[str] = set()
    for mention in draft_mentions:
        if mention.kind in ("month", "date"):
            words |= _MONTH_WORDS
        elif mention.kind == "weekday":
            words |= _WEEKDAY_WORDS
        elif mention.spelled or not any(c.isdigit() for c in mention.text):
            words |= _NUMBER_WORDS
        if any(value >= 1000 for value in mention.values):
            words |= _SCALE_WORDS  # "a million"
    return [sentence for sentence in source.sentences
            if sentence.words & words or cores & {_digits(figure) for figure in _FIGURE.findall(sentence.text)}]


def _written_in(folded_source: str, mention: Mention) -> bool:
    """Whether the source writes the mention exactly so, as a whole ("2,400" is not found in "12,400")."""
    wanted = fold(mention.text)
    at = folded_source.find(wanted)
    while at >= 0:
        before = folded_source[at - 1:at]
        after = folded_source[at + len(wanted):at + len(wanted) + 2]
        # A letter may follow ("14.5p"); a digit may not, nor a separator and a digit ("2,400" in "12,400.5").
        if not (before.isalnum() or before in ".,") and not (after[:1].isdigit() or
                                                             (after[:1] in ".," and after[1:].isdigit())):
            return True
        at = folded_source.find(wanted, at + 1)
    return False


def _written_alike(source: Document, sentence: Sentence, mention: Mention) -> bool:
    """Whether the source writes the mention exactly so; for a small count, in a sentence with a word in common."""
    if not _written_in(source.folded, mention):
        return False
    if not _small(mention):
        return True
    around = sentence.unit_stems
    wanted = fold(mention.text)
    return any(around & other.unit_prefixes for other in source.sentences
               if wanted in other.folded and _written_in(other.folded, mention))


def _check_mentions(source: Document, draft: Document) -> list[Finding]:
    # A figure the source writes the same way needs no reading of the source (most do: it saves the time).
    draft_mentions = [(s, m) for s in draft.sentences for m in mentions(s.text, s.words)
                      if not m.weak and not _written_alike(source, s, m)]
    if not draft_mentions:
        return []
    read: dict[int, list[Mention]] = {}

    def mentions_of(sentence: Sentence) -> list[Mention]:
        if id(sentence) not in read:
            read[id(sentence)] = mentions(sentence.text, sentence.words)
        return read[id(sentence)]

    source_mentions = [(sentence, m) for sentence in _sources_for(source, [m for _, m in draft_mentions])
                       for m in mentions_of(sentence)]
    keys: set = set()
    # For each key, the prefixes of the words around each place the source gives it.
    surroundings: dict = {}
    for sentence, mention in source_mentions:
        keys |= mention.gives
        for key in mention.gives:
            surroundings.setdefault(key, []).append(sentence)
    amounts = [(value, m.unit) for _, m in source_mentions for value in m.values]
    findings: list[Finding] = []
    reported: set[str] = set()
    for sentence, mention in draft_mentions:
        if mention.weak or fold(mention.text) in reported:
            continue
        found = mention.need & keys
        if found and _small(mention):
            around = sentence.unit_stems
            found = {key for key in found if any(around & other.unit_prefixes for other in surroundings[key])}
        if found or (mention.hedged and _near(mention, amounts)):
            continue
        reported.add(fold(mention.text))
        # The counterpart is sought in the source sentences most like the draft's, and then everywhere.
        nearby = [(s, m) for s in _most_alike(source, sentence) for m in mentions_of(s)]
        finding = _changed(mention, sentence, nearby)
        if finding.source_text is None:
            finding = _changed(mention, sentence, [(s, m) for s in source.sentences for m in mentions_of(s)])
        if mention.spelled and _small(mention) and not _replaced(mention, sentence, nearby):
            # "Two goals", "added a third": a count the rewrite made itself, as often as a changed one.
            finding = replace(finding, hold=False, message=finding.message.replace(
                "checks: the draft says", "checks: check the count: the draft says", 1))
        findings.append(finding)
    return findings


def _most_alike(source: Document, sentence: Sentence, count: int = 6) -> list[Sentence]:
    """The source sentences that share the most words with a draft sentence."""
    context = sentence.context
    scored = sorted(((len(context & other.context), index) for index, other in enumerate(source.sentences)),
                    reverse=True)
    return [source.sentences[index] for shared, index in scored[:count] if shared]


def _neighbours(sentence: str, mention: Mention) -> tuple[str, str]:
    """The nearest content words before and after a mention (within three words), folded."""
    before = [w for w in WORD.findall(fold(sentence[:mention.start]))[-3:] if w not in NOT_AROUND]
    after = [w for w in WORD.findall(fold(sentence[mention.start + len(mention.text):]))[:3] if w not in NOT_AROUND]
    return (strip_possessive(before[-1]) if before else ""), (strip_possessive(after[0]) if after else "")


def _replaced(mention: Mention, sentence: Sentence, source_mentions: list[tuple[Sentence, Mention]]) -> bool:
    """Whether the source has another number by the same words: "won seven games" for "won eight games"."""
    left, right = _neighbours(sentence.text, mention)
    for other_sentence, other in source_mentions:
        if other.kind not in ("number", "money", "percent") or other.weak:
            continue
        other_left, other_right = _neighbours(other_sentence.text, other)
        if (left and left == other_left) or (right and right == other_right):
            return True
    return False


def _near(mention: Mention, amounts: list[tuple[float, str | None]]) -> bool:
    for value in mention.values:
        for other, unit in amounts:
            if (mention.unit is None or unit in (None, mention.unit)) and value \
                    and abs(other - value) <= HEDGE_TOLERANCE * abs(value):
                return True
    return False


def _changed(mention: Mention, sentence: Sentence, source_mentions: list[tuple[Sentence, Mention]]) -> Finding:
    code = "date_not_in_source" if mention.kind in ("date", "month", "weekday", "year", "time") \
        else "number_not_in_source"
    counterpart = _counterpart(mention, sentence, source_mentions)
    if counterpart is None:
        message = f"checks: the draft says {mention.text}, which is not in the source"
        return Finding(code, message, hold=True, draft_text=mention.text)
    message = f"checks: the draft says {mention.text}; the source says {counterpart.text}"
    return Finding(code, message, hold=True, draft_text=mention.text, source_text=counterpart.text)


def _counterpart(mention: Mention, sentence: Sentence,
                 source_mentions: list[tuple[Sentence, Mention]]) -> Mention | None:
    """The source's value of the same kind written in the most similar words: what the draft changed."""
    kinds = _PAIRED_KINDS[mention.kind]
    candidates = [(s, m) for s, m in source_mentions if m.kind in kinds and not m.weak]
    if not candidates:
        return None
    context = sentence.context

    def score(pair: tuple[Sentence, Mention]) -> tuple[int, int, float]:
        other_sentence, other = pair
        same_kind = other.kind == mention.kind
        closeness = 0.0
        if mention.values and other.values:
            a, b = mention.values[0], other.values[0]
            closeness = -abs(a - b) / max(abs(a), abs(b), 1e-9)
        return len(context & other_sentence.context), same_kind, closeness

    return max(candidates, key=score)[1]


def _check_names(source: Document, draft: Document) -> list[Finding]:
    index = NameIndex(source)
    findings: list[Finding] = []
    reported: set[tuple[str, ...]] = set()
    for sentence, name in document_names(draft):
        if name.parts in reported or index.supports(name):
            continue
        reported.add(name.parts)
        findings.append(_unknown_name(name, sentence, index.names, index))
    return findings


def _unknown_name(name: Name, sentence: Sentence, source_names: list[tuple[Sentence, Name]],
                  index: NameIndex) -> Finding:
    """The finding for a name the source lacks, beside the source's name it most likely replaced."""
    missing = [part for part in name.parts if not index.has_word(part)]
    context = sentence.context - set(name.parts)
    best, best_score = None, 0
    for other_sentence, other in source_names:
        if set(other.parts) & set(missing):
            continue
        shared = len(set(other.parts) & set(name.parts))
        overlap = len(context & (other_sentence.context - set(other.parts)))
        score = 2 * shared + overlap
        if score > best_score:
            best, best_score = other, score
    if best is None or best_score < 2:
        return Finding("name_not_in_source", f"checks: the draft names '{name.text}', a name the source does "
                                             "not have", hold=True, draft_text=name.text)
    return Finding("name_not_in_source", f"checks: the draft names '{name.text}', a name the source does not "
                                         f"have (the source has '{best.text}' there)", hold=True,
                   draft_text=name.text, source_text=best.text)
