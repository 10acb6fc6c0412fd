"""Proper names (people, organisations, places) found by their capitals, without a language model.

A name is a run of capitalised words that does not merely start a sentence: "Maria Lopez", "Bank of
England", "the Council". Titles ("Prime Minister"), months and weekdays are not part of it; a single
capitalised word at the start of a sentence is not a name on its own evidence. In languages that
capitalise every noun (German), only runs of two or more words, acronyms, words with an inner capital and
words after a title count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import words as W
from .text import WORD, Document, Sentence, cached_property, fold, strip_possessive

_NOUN_LANGUAGE_CONNECTORS = frozenset({"von", "van", "zu", "de", "del", "da", "di"})
# The other way round: "Finland" in a draft is supported by "Finnish" in the source.
_PLACES = {place: adjective for adjective, place in W.DEMONYMS.items()}
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
_OPENERS = ("\"", "“", "«", "„", "‘", "(", ":", "—", "–")


@dataclass(frozen=True)
class Name:
    text: str  # as written, without titles
    parts: tuple[str, ...]  # folded, possessives dropped, connectors left out
    acronym: bool


def _is_capitalised(word: str) -> bool:
    return word[0].isupper()


def _is_acronym(word: str) -> bool:
    if not word.isupper():
        return False  # the common case: a lower-case letter, or none with a case
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _title_case(sentence: str) -> bool:
    """Headline case ("Council Plans New Ferry Route") says nothing about which words are names."""
    long_words = [w for w in WORD.findall(sentence) if len(w) > 3]
    return len(long_words) >= 3 and sum(_is_capitalised(w) for w in long_words) / len(long_words) >= 0.6


def _date_word(folded: str) -> bool:
    return folded in W.MONTHS or folded in W.WEEKDAYS


# A capitalised word: the first letter is not a lower-case Latin one (others are checked with isupper()).
_CAPITALISED = r"[^\W\d_a-zß-öø-ÿ][^\W\d_]*(?:['’\-][^\W\d_]+)*"


# The first one, not inside a word: the pattern starts with the capital, so that the search skips to the next
# capital at once, and then looks back at the character before it.
_FIRST_CAPITALISED = r"[^\W\d_a-zß-öø-ÿ](?<![\w'’\-].)[^\W\d_]*(?:['’\-][^\W\d_]+)*"


def _run_pattern(connectors: frozenset[str]) -> re.Pattern:
    joined = "|".join(re.escape(c) for c in sorted(connectors, key=len, reverse=True))
    return re.compile(rf"{_FIRST_CAPITALISED}(?:(?:[ \u00a0]+|-)(?:(?:{joined})[ \u00a0]+)?{_CAPITALISED})*")


_RUN = _run_pattern(W.NAME_CONNECTORS)
# Where every noun has a capital, "Angaben der Stadt" is two nouns and an article, not a name.
_NOUN_LANGUAGE_RUN = _run_pattern(_NOUN_LANGUAGE_CONNECTORS)


def names_in(sentence: Sentence, nouns_capitalised: bool) -> list[Name]:
    """The proper names of one sentence."""
    text = sentence.text
    if sentence.heading and not nouns_capitalised and _title_case(text):
        return []
    found: list[Name] = []
    for match in (_NOUN_LANGUAGE_RUN if nouns_capitalised else _RUN).finditer(text):
        before = text[:match.start()].rstrip()
        at_start = not before or before[-1] in _OPENERS or before.endswith((".", "!", "?"))
        run: list[tuple[str, str, int, int]] = []  # each word as written, folded, and where it is
        for word in WORD.finditer(match.group(0)):
            written = word.group(0)
            folded = fold(written)
            if _date_word(strip_possessive(folded)) or not (written[0].isupper() or folded in W.NAME_CONNECTORS):
                # A month or weekday splits the run: "Monday Smith" is a day and a name.
                _add(found, text, run, at_start, nouns_capitalised)
                run, at_start = [], False
                continue
            run.append((written, folded, match.start() + word.start(), match.start() + word.end()))
        _add(found, text, run, at_start, nouns_capitalised)
    return found


def _add(found: list[Name], text: str, run: list[tuple[str, str, int, int]], at_start: bool,
         nouns_capitalised: bool) -> None:
    name = _name_of(text, run, at_start, nouns_capitalised)
    if name is not None:
        found.append(name)


def _name_of(text: str, run: list[tuple[str, str, int, int]], at_start: bool,
             nouns_capitalised: bool) -> Name | None:
    """The name in a run of capitalised words, once sentence starters and titles are left out; None if none."""
    after_title = False
    while run:
        folded = strip_possessive(run[0][1])
        if folded in W.TITLES:
            after_title = True
        elif not (at_start and folded in W.SENTENCE_STARTERS) and folded not in W.NAME_CONNECTORS:
            break
        run = run[1:]
        at_start = at_start and not run
    while run and (run[-1][1] in W.NAME_CONNECTORS or strip_possessive(run[-1][1]) in W.TITLES):
        run = run[:-1]
    if not run:
        return None
    words = [word for word, _, _, _ in run]
    parts = tuple(strip_possessive(folded) for _, folded, _, _ in run if folded not in W.NAME_CONNECTORS)
    acronym = len(words) == 1 and _is_acronym(words[0])
    inner_capital = any(_INNER_CAPITAL.search(w) for w in words)
    strong = len(parts) >= 2 or acronym or inner_capital or after_title
    if nouns_capitalised and not strong:
        return None
    if at_start and len(parts) == 1 and not strong:
        return None
    if words == ["I"]:
        return None
    return Name(strip_possessive(text[run[0][2]:run[-1][3]]), parts, acronym)


def related(one: str, other: str) -> bool:
    """'Brazil'/'Brazilian', 'Canada'/'Canadian', 'German'/'Germany': one is the other's stem with a short ending."""
    shorter, longer = sorted((one, other), key=len)
    if len(shorter) < 5 or not 0 < len(longer) - len(shorter) <= 4:
        return False
    stem = shorter.rstrip("aeiouy")
    return len(stem) >= 4 and longer.startswith(stem)


class NameIndex:
    """What the source offers to support a name: its words, their stems and the initials of its names.

    The source's own names are read only when a draft name is not simply among the source's words.
    """

    def __init__(self, source: Document):
        self.source = source
        self.words = source.words

    @cached_property
    def names(self) -> list[tuple[Sentence, Name]]:
        return document_names(self.source)

    @cached_property
    def _by_prefix(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= 4:
                found.setdefault(word[:4], []).append(word)
        return found

    @cached_property
    def _initials(self) -> set[str]:
        return {"".join(p[0] for p in n.parts) for _, n in self.names if len(n.parts) >= 2}

    @cached_property
    def _acronyms(self) -> set[str]:
        return {n.parts[0] for _, n in self.names if n.acronym}

    def has_word(self, part: str) -> bool:
        """A word of a name is in the source as written, as a place for its adjective, or sharing its stem."""
        if part in self.words or W.DEMONYMS.get(part) in self.words or _PLACES.get(part) in self.words:
            return True
        if "-" in part and all(self.has_word(p) for p in part.split("-") if p):
            return True
        if len(part) >= 5:
            for word in self._by_prefix.get(part[:4], ()):
                if related(part, word):
                    return True
        return False

    def supports(self, name: Name) -> bool:
        if all(self.has_word(part) for part in name.parts):
            return True
        if name.acronym and name.parts[0] in self._initials:
            return True  # "EU" for the source's "European Union"
        return len(name.parts) >= 2 and "".join(p[0] for p in name.parts) in self._acronyms


def document_names(document: Document) -> list[tuple[Sentence, Name]]:
    """Every name of a document with the sentence it is in."""
    nouns = document.capitalises_nouns
    return [(sentence, name) for sentence in document.sentences for name in names_in(sentence, nouns)]
