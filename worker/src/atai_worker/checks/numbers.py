"""Numbers, amounts, percentages and dates in a sentence, read into values that compare across writings.

"$6.5 billion", "6.5bn dollars" and "US$6,500 million" are one value; so are "10%", "10 per cent" and
"ten percent", and "14 March" and "March 14th". Each mention lists the keys that would support it
(`need`) and the keys it supports when it is in the source (`gives`); faithful.py does the comparing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from . import words as W
from .contacts import EMAIL, URL, phones
from .text import fold, strip_possessive

# The lookahead first is a cheap test that passes over the spaces and punctuation between tokens.
_TOKENS = re.compile(r"""(?=[^\W_]|[$€£¥₹%])(?:
    (?P<word>[^\W\d_]+(?:['’\-][^\W\d_]+)*\$?)
   |(?P<time>(?<![\w.,:])\d{1,2}(?::\d{2}|[.h]\d{2}(?=\s?[ap]\.?m\b|\s?h\b|\s?uhr\b))(?:\s?[ap]\.?m\.?(?!\w))?
            |(?<![\w.,])\d{1,2}\s?[ap]\.?m\.?(?!\w))
   |(?P<num>(?<![\w.,])\d{1,3}(?:(?:,|\.|'|[\u00a0\u202f\u2009 ])\d{3})+(?:[.,]\d+)?(?![\d])
            |(?<![\w,])(?<!\d\.)\d+(?:[.,]\d+)?(?!\d))
   |(?P<sym>[$€£¥₹%]))
""", re.VERBOSE | re.IGNORECASE)
# Words that can start a mention; every other word is passed over at once.
WORDS_READ = frozenset(W.MONTHS) | frozenset(W.WEEKDAYS) | frozenset(W.CARDINALS) | frozenset(W.ORDINALS) \
    | frozenset(W.WEAK_NUMBER_WORDS)
# Words without which a sentence with no digit has nothing to read ("a" counts only before "million").
_TRIGGERS = (WORDS_READ - {"a", "an", "un", "une", "ein", "eine", "uno", "una"}) | frozenset(W.SCALES)
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th", "e", "er", "eme", "o", "a", "te", "ten"})
# Words that can stand beside a figure as part of its mention.
_NEIGHBOURS = frozenset(W.SCALES) | frozenset(W.AMBIGUOUS_SCALES) | frozenset(W.CURRENCY_WORDS) \
    | frozenset(W.CURRENCY_PREFIXES) | frozenset(f"d'{w}" for w in W.CURRENCY_WORDS) | W.HEDGES | _ORDINAL_SUFFIXES \
    | frozenset(word for phrase in W.PERCENT_WORDS for word in phrase.split()) | {"of", "de", "and"}
_KEPT_WORDS = _NEIGHBOURS | WORDS_READ
# The same as usually written: in lower case, with a capital, in capitals.
_KEPT_WRITTEN = frozenset(form for word in _KEPT_WORDS for form in (word, word.capitalize(), word.upper()))
_GROUPED = re.compile(r"^\d{1,3}(?:([,.'\u00a0\u202f\u2009 ])\d{3})+(?:([.,])\d+)?$")
_NOT_DIGIT = re.compile(r"\D")
_YEAR = re.compile(r"1\d{3}|20\d{2}")
_HOUR = re.compile(r"\d+")
_MINUTES = re.compile(r"[:.h](\d{2})")


# A named tuple rather than a frozen dataclass: a long article has hundreds, and a tuple is made much faster.
class Mention(NamedTuple):
    """One number, amount, percentage, date, time, month or weekday as written in a sentence."""

    kind: str  # money, percent, year, date, time, number, month, weekday
    text: str
    need: frozenset  # keys of which one must be in the source
    gives: frozenset  # keys it supports when it is in the source
    values: tuple[float, ...] = ()  # for near matches of hedged amounts
    unit: str | None = None
    hedged: bool = False
    weak: bool = False  # a word too common to be a fact on its own ("one", "first")
    spelled: bool = False  # written in words ("seven", "third")
    start: int = 0  # where it starts in the sentence


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    folded: str
    start: int
    end: int


def _key(value: float) -> str:
    return f"{value:.6g}"


def digit_values(raw: str) -> tuple[float, ...]:
    """The values a written figure can stand for: '1,500' is 1500 (or 1.5 where a comma is the decimal mark)."""
    raw = raw.strip()
    grouped = _GROUPED.match(raw)
    if grouped:
        separator, decimal = grouped.group(1), grouped.group(2)
        whole, _, fraction = raw.rpartition(decimal) if decimal else (raw, "", "")
        digits = _NOT_DIGIT.sub("", whole)
        value = float(digits + ("." + fraction if fraction else ""))
        values = [value]
        # "1,500" or "1.500" with a single group may be a decimal in the other convention.
        if not decimal and raw.count(separator) == 1 and separator in ",.":
            values.append(float(raw.replace(separator, ".")))
        return tuple(values)
    return (float(raw.replace(",", ".")),)


def _number_keys(values, unit: str | None) -> tuple[frozenset, frozenset]:
    if len(values) == 1:  # the common case, made without loops
        key = _key(values[0])
        if unit is None:
            return frozenset({("n", key, None)}), frozenset({("n", key, None), ("n", key, "nounit")})
        return frozenset({("n", key, unit), ("n", key, "nounit")}), frozenset({("n", key, None), ("n", key, unit)})
    keys = [_key(value) for value in values]
    if unit is None:
        need = frozenset([("n", key, None) for key in keys])
        return need, need.union([("n", key, "nounit") for key in keys])
    return (frozenset([("n", key, written) for key in keys for written in (unit, "nounit")]),
            frozenset([("n", key, written) for key in keys for written in (None, unit)]))


_DIGIT = re.compile(r"\d")
_CODE_HINT = re.compile(r"\d[^\W\d_]+\d")
_CODE = re.compile(r"(?<![\w-])[\w-]*?\d[^\W\d_]+\d\w*")


def mentions(sentence: str, words: frozenset[str] | None = None) -> list[Mention]:
    """Every numeric fact and date word in one sentence, in order; `words` (its folded words) saves a pass."""
    if not _DIGIT.search(sentence):
        if words is None:
            words = frozenset(strip_possessive(w) for w in fold(sentence).split())
        if _TRIGGERS.isdisjoint(words) and not any(word.partition("-")[0] in _TRIGGERS
                                                   for word in words if "-" in word):
            return []
    # Web addresses, e-mail addresses and phone numbers are not amounts (leaks.py reads them).
    text = sentence
    if "@" in text or "/" in text or "www" in text:
        blank = lambda match: " " * len(match.group(0))  # noqa: E731
        text = EMAIL.sub(blank, URL.sub(blank, text))
    for phone in phones(text):
        text = text.replace(phone, " " * len(phone))
    if _CODE_HINT.search(text):
        # A word where digits and letters take turns (00a0c5, e2e, a1b2) is a code or a name, not an amount.
        text = _CODE.sub(lambda match: " " * len(match.group(0)), text)
    tokens = []
    for match in _TOKENS.finditer(text):
        raw = match.group(0)
        # Other words only separate tokens; the text between two tokens shows whether they are adjacent.
        if match.lastgroup == "word" and raw not in _KEPT_WRITTEN:
            if raw.isalpha() and raw.isascii():
                continue  # the common case, decided without folding
            folded = fold(raw)
            if folded not in _KEPT_WORDS and strip_possessive(folded).partition("-")[0] not in WORDS_READ:
                continue
        else:
            folded = raw.lower() if raw.isascii() else fold(raw)
        tokens.append(_Token(match.lastgroup, raw, folded, *match.span()))
    found: list[Mention] = []
    used: set[int] = set()
    for index, token in enumerate(tokens):
        if index in used:
            continue
        if token.kind == "time":
            found.append(_time(token, index))
            used.add(index)
        elif token.kind == "num":
            mention, taken = _figure(text, tokens, index)
            found.append(mention)
            used.update(taken)
        elif token.kind == "word" and strip_possessive(token.folded).partition("-")[0] in WORDS_READ:
            mention, taken = _word(text, tokens, index)
            if mention is not None:
                found.append(mention)
                used.update(taken)
    return found


def _gap(text: str, left: _Token, right: _Token) -> str:
    return text[left.end:right.start]


def _month_at(tokens: list[_Token], index: int) -> int | None:
    if not 0 <= index < len(tokens) or tokens[index].kind != "word":
        return None
    token = tokens[index]
    name = strip_possessive(token.folded.rstrip("."))
    month = W.MONTHS.get(name)
    if month is None or (name in W.MONTHS_NEED_CAPITAL and not token.text[0].isupper()):
        return None
    return month


def _hedged(text: str, tokens: list[_Token], index: int) -> bool:
    """A hedge word ("about", "nearly") among the two words before the token."""
    for token in tokens[max(0, index - 2):index]:
        if token.folded in W.HEDGES and len(text[token.end:tokens[index].start].split()) <= 1:
            return True
    return False


def _time(token: _Token, index: int) -> Mention:
    raw = token.folded.replace(" ", "")
    hour, minute = int(_HOUR.match(raw).group(0)), 0
    rest = _MINUTES.search(raw)
    if rest:
        minute = int(rest.group(1))
    if "p" in raw and hour < 12:
        hour += 12
    if "a" in raw and hour == 12:
        hour = 0
    key = frozenset({("time", hour, minute)})
    return Mention("time", token.text.rstrip("."), key, key, start=token.start)


def _figure(text: str, tokens: list[_Token], index: int) -> tuple[Mention, set[int]]:
    """A written figure with what stands around it: currency, scale, percent, ordinal suffix, month."""
    token = tokens[index]
    taken = {index}
    values = list(digit_values(token.text))
    first, last = index, index
    unit = None
    previous = tokens[index - 1] if index else None
    if previous is not None and _gap(text, previous, token).strip() == "":
        if previous.kind == "sym" and previous.text in W.CURRENCY_SYMBOLS:
            unit, first = W.CURRENCY_SYMBOLS[previous.text], index - 1
        elif previous.kind == "word" and previous.folded in W.CURRENCY_PREFIXES:
            unit, first = W.CURRENCY_PREFIXES[previous.folded], index - 1
    position = index + 1
    ordinal = False
    # Attached suffix or scale: "6.5bn", "21st", "5m".
    if position < len(tokens) and tokens[position].kind == "word" and tokens[position].start == token.end:
        suffix = tokens[position].folded
        if suffix in _ORDINAL_SUFFIXES:
            ordinal, last, position = True, position, position + 1
        elif suffix in W.SCALES or suffix in W.AMBIGUOUS_SCALES:
            pass  # read with the spaced scales below
        else:
            position = len(tokens) + 1  # "10km", "1990s": a unit we do not read; the figure stands alone
    scaled = False
    while position < len(tokens) and tokens[position].kind == "word":
        word = tokens[position].folded
        if _gap(text, tokens[position - 1], tokens[position]).strip() not in ("",):
            break
        if word in W.SCALES:
            values = [v * W.SCALES[word] for v in values]
            scaled = True
        elif word in W.AMBIGUOUS_SCALES and tokens[position].start == tokens[position - 1].end:
            values = values + [v * W.AMBIGUOUS_SCALES[word] for v in values]
            scaled = True
        else:
            break
        last, position = position, position + 1
    if position < len(tokens):
        after = tokens[position]
        gap = _gap(text, tokens[position - 1], after).strip()
        if after.kind == "sym" and gap == "" and after.text == "%":
            unit, last = "%", position
        elif after.kind == "sym" and gap == "" and after.text in W.CURRENCY_SYMBOLS:
            unit, last = W.CURRENCY_SYMBOLS[after.text], position
        elif after.kind == "word" and gap == "":
            phrase = " ".join(t.folded for t in tokens[position:position + 2])
            if after.folded in W.PERCENT_WORDS:
                unit, last = "%", position
            elif phrase in W.PERCENT_WORDS:
                unit, last = "%", position + 1
            elif after.folded.rpartition("'")[2] in W.CURRENCY_WORDS:  # "d'euros"
                unit, last = W.CURRENCY_WORDS[after.folded.rpartition("'")[2]], position
    taken.update(range(first, last + 1))
    surface = text[tokens[first].start:tokens[last].end]

    # A day next to a month: "14 March", "14th of March", "14. März", "March 14", "le 14 mars".
    if not scaled and unit is None and len(values) == 1 and values[0] == int(values[0]) and 1 <= values[0] <= 31:
        day = int(values[0])
        after_index = last + 1
        if after_index < len(tokens) and tokens[after_index].folded in ("of", "de") \
                and _gap(text, tokens[last], tokens[after_index]).strip() == "":
            after_index += 1
        month = _month_at(tokens, after_index)
        if month is not None and _gap(text, tokens[after_index - 1], tokens[after_index]).strip() in ("", "."):
            taken.update(range(index, after_index + 1))
            return _date(text[tokens[index].start:tokens[after_index].end], day, month, tokens[index].start), taken
        month = _month_at(tokens, index - 1)
        if month is not None and _gap(text, tokens[index - 1], token).strip() == "":
            taken.update({index - 1, index})
            return _date(text[tokens[index - 1].start:tokens[last].end], day, month, tokens[index - 1].start), taken

    kind = "number"
    if unit == "%":
        kind = "percent"
    elif unit is not None:
        kind = "money"
    elif not scaled and not ordinal and _YEAR.fullmatch(token.text):
        kind = "year"
    need, gives = _number_keys(values, unit)
    return Mention(kind, surface, need, gives, tuple(values), unit, _hedged(text, tokens, first), start=tokens[first].start), taken


def _date(surface: str, day: int, month: int, start: int) -> Mention:
    key = ("date", day, month)
    gives = {key, ("month", month), ("n", _key(day), None), ("n", _key(day), "nounit")}
    return Mention("date", surface, frozenset({key}), frozenset(gives), start=start)


def _word(text: str, tokens: list[_Token], index: int) -> tuple[Mention | None, set[int]]:
    """A month, a weekday, or a number written in words ("twenty-five", "three million", "a dozen")."""
    token = tokens[index]
    word = strip_possessive(token.folded.rstrip("."))
    month = _month_at(tokens, index)
    if month is not None and _day_follows(text, tokens, index):
        return None, set()  # "March 14": read as a date from the figure
    if month is not None:
        # "March 14" is read from the figure; a month alone is a fact of its own.
        key = frozenset({("month", month)})
        return Mention("month", token.text, key, key, start=token.start), {index}
    if word in W.WEEKDAYS:
        key = frozenset({("weekday", W.WEEKDAYS[word])})
        return Mention("weekday", token.text, key, key, start=token.start), {index}
    if word in W.ORDINALS:
        need, gives = _number_keys((float(W.ORDINALS[word]),), None)
        return (Mention("number", token.text, need, gives, (float(W.ORDINALS[word]),), start=token.start, spelled=True),
                {index})
    value, last, weak = _spelled_number(text, tokens, index)
    if value is None:
        return None, set()
    unit = None
    following = last + 1
    if following < len(tokens) and not _gap(text, tokens[last], tokens[following]).strip():
        phrase = " ".join(t.folded for t in tokens[following:following + 2])
        if tokens[following].folded in W.PERCENT_WORDS:
            unit, last = "%", following
        elif phrase in W.PERCENT_WORDS:
            unit, last = "%", following + 1
        elif tokens[following].folded in W.CURRENCY_WORDS:
            unit, last = W.CURRENCY_WORDS[tokens[following].folded], following
    need, gives = _number_keys((value,), unit)
    kind = "percent" if unit == "%" else "money" if unit else "number"
    surface = text[token.start:tokens[last].end]
    return (Mention(kind, surface, need, gives, (value,), unit, _hedged(text, tokens, index), weak, True, start=token.start),
            set(range(index, last + 1)))


def _spelled_number(text: str, tokens: list[_Token], index: int) -> tuple[float | None, int, bool]:
    """The value of number words starting at `index`, the index of the last one, and whether it is weak."""
    total, current, last, seen = 0.0, 0.0, index, False
    weak_only = True
    position = index
    while position < len(tokens) and tokens[position].kind == "word":
        if position > index and _gap(text, tokens[position - 1], tokens[position]).strip():
            break
        parts = tokens[position].folded.split("-")
        if parts[0] in W.CARDINALS and not all(part in W.CARDINALS for part in parts):
            parts = parts[:1]  # "nine-year-old", "two-day": the number leads a compound
        if all(part in W.CARDINALS for part in parts):
            current += sum(W.CARDINALS[part] for part in parts)
            weak_only = False
        elif len(parts) == 1 and parts[0] in W.WEAK_NUMBER_WORDS and not seen:
            # "a", "one", "half": a number only before a scale ("a million", "half a billion") or alone.
            following = tokens[position + 1].folded if position + 1 < len(tokens) else ""
            if parts[0] in ("a", "an", "un", "une", "ein", "eine") and following not in W.SCALES:
                break
            current += W.WEAK_NUMBER_WORDS[parts[0]]
        elif len(parts) == 1 and parts[0] in W.SCALES and seen:
            scale = W.SCALES[parts[0]]
            if scale == 100:
                current = (current or 1) * scale
            else:
                total += (current or 1) * scale
                current = 0.0
            weak_only = False
        elif parts[0] == "and" and seen and position + 1 < len(tokens) \
                and tokens[position + 1].folded.split("-")[0] in W.CARDINALS:
            pass  # "two hundred and five"
        else:
            break
        seen, last, position = True, position, position + 1
    if not seen:
        return None, index, False
    return total + current, last, weak_only


def _day_follows(text: str, tokens: list[_Token], index: int) -> bool:
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return (following is not None and following.kind == "num" and _gap(text, tokens[index], following).strip() == ""
            and following.text.isdigit() and 1 <= int(following.text) <= 31)
