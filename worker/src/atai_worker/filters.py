"""Filters stage: which new entries of a feed are left out before anything is paid for, and why.

Applied when a run is planned, before any article page is fetched or any model is called (issue 13).
An entry left out is reported with its reason (Run.skipped), never dropped in silence. The options are
the feed's (contract RunRequest.options); a missing option leaves nothing out.

Keywords may be regular expressions. A site owner's pattern runs on text a feed wrote, so it is
guarded twice: patterns that repeat a repetition (the shape of catastrophic backtracking, such as
(a+)+) are refused outright, and every search runs under a timeout of the `regex` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import regex

from .errors import FilterError
from .models import Entry
from .sanitize import plain_text

# One search of one pattern over one entry's text; an honest pattern takes microseconds.
SEARCH_TIMEOUT = 0.05
MAX_PATTERN_CHARS = 200
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Skip:
    """An entry the filters left out: a stable code and the reason in words."""

    entry: Entry
    code: str
    reason: str

    def to_dict(self) -> dict:
        """The contract's SkippedEntry."""
        entry = self.entry
        return {"key": entry.key, "guid": entry.guid, "link": entry.link, "title": entry.title,
                "code": self.code, "reason": self.reason}


@dataclass
class Keyword:
    """One include or exclude keyword as the site owner wrote it, and its compiled search."""

    text: str
    pattern: regex.Pattern
    slow: bool = False

    def found_in(self, text: str) -> bool:
        """Whether the keyword occurs in text; a search past the timeout raises TimeoutError.

        A pattern that timed out once is not run again in this run: each further entry would cost the
        same, so a run of many entries stays within one timeout per pattern.
        """
        if self.slow:
            raise TimeoutError(self.text)
        try:
            return self.pattern.search(text, timeout=SEARCH_TIMEOUT) is not None
        except TimeoutError:
            self.slow = True
            raise


def plan(entries: list[Entry], options: dict | None, *, now: float) -> tuple[list[Entry], list[Skip]]:
    """The entries the feed's filters keep, in order, and those they leave out with the reason."""
    rules = Rules.from_options(options or {})
    kept: list[Entry] = []
    skipped: list[Skip] = []
    for entry in entries:
        skip = rules.check(entry, now)
        if skip is None:
            kept.append(entry)
        else:
            skipped.append(skip)
    return kept, skipped


@dataclass(frozen=True)
class Rules:
    """A feed's filter options, checked and compiled once per run."""

    include: tuple[Keyword, ...] = ()
    exclude: tuple[Keyword, ...] = ()
    where: str = "both"
    include_all: bool = False
    max_age_days: int = 0
    min_words: int = 0

    @classmethod
    def from_options(cls, options: dict) -> "Rules":
        """Rules from RunRequest.options; a pattern that cannot be used raises FilterError."""
        patterns = bool(options.get("keywords_are_patterns"))
        whole_words = options.get("whole_words", True) is not False
        return cls(
            include=tuple(keyword(k, patterns=patterns, whole_words=whole_words)
                          for k in options.get("include_keywords") or ()),
            exclude=tuple(keyword(k, patterns=patterns, whole_words=whole_words)
                          for k in options.get("exclude_keywords") or ()),
            where=options.get("keywords_in") or "both",
            include_all=options.get("include_match") == "all",
            max_age_days=int(options.get("max_age_days") or 0),
            min_words=int(options.get("min_words") or 0),
        )

    def check(self, entry: Entry, now: float) -> Skip | None:
        """Why the entry is left out, or None when it is kept."""
        if self.max_age_days and entry.published:
            age_days = (now - _timestamp(entry.published)) / SECONDS_PER_DAY
            if age_days > self.max_age_days:
                return Skip(entry, "filter_too_old",
                            f"filters: published {int(age_days)} days ago, older than this feed's limit of "
                            f"{self.max_age_days} days")
        text = None
        if self.min_words:
            text = plain_text(entry.content_html or entry.summary)
            words = len(text.split())
            if words < self.min_words:
                return Skip(entry, "filter_too_short",
                            f"filters: {words} words in the feed, fewer than this feed's minimum of "
                            f"{self.min_words}")
        if not (self.include or self.exclude):
            return None
        if text is None and self.where != "title":
            text = plain_text(entry.content_html or entry.summary)
        searched = {"title": entry.title, "content": text or "", "both": f"{entry.title}\n{text}"}[self.where]
        place = {"title": "the title", "content": "the text", "both": "the title or text"}[self.where]
        try:
            for word in self.exclude:
                if word.found_in(searched):
                    return Skip(entry, "filter_excluded",
                                f"filters: {place} contains \u201c{word.text}\u201d, which this feed excludes")
            if self.include:
                missing = [word.text for word in self.include if not word.found_in(searched)]
                if self.include_all and missing:
                    return Skip(entry, "filter_not_included",
                                f"filters: {place} lacks {_quoted(missing)}, and this feed requires every "
                                f"one of {_quoted([w.text for w in self.include])}")
                if not self.include_all and len(missing) == len(self.include):
                    return Skip(entry, "filter_not_included",
                                f"filters: {place} contains none of {_quoted(missing)}, and this feed requires "
                                f"one of them")
        except TimeoutError:
            return Skip(entry, "filter_pattern_timeout",
                        f"filters: a regular expression of this feed took too long on {place}, so the entry "
                        f"was left out; simplify the pattern")
        return None


def keyword(text: str, *, patterns: bool, whole_words: bool) -> Keyword:
    """A keyword's case-insensitive search: a phrase (any spacing between its words) or a checked pattern."""
    if patterns:
        problem = pattern_problem(text)
        if problem:
            raise FilterError(f"filters: the pattern \u201c{text[:MAX_PATTERN_CHARS]}\u201d cannot be used: {problem}")
        source = text
    else:
        source = r"\s+".join(regex.escape(word) for word in text.split())
    if whole_words:
        source = rf"(?<!\w)(?:{source})(?!\w)"
    try:
        return Keyword(text, regex.compile(source, regex.IGNORECASE | regex.UNICODE))
    except regex.error as exc:
        raise FilterError(f"filters: the pattern \u201c{text[:MAX_PATTERN_CHARS]}\u201d cannot be used: "
                          f"{exc.msg}") from None


def pattern_problem(pattern: str) -> str:
    """Why a regular expression is refused before it is compiled, or ''.

    Refused: patterns over MAX_PATTERN_CHARS, and a group that holds an unbounded repetition (+, *,
    {n,}) and is itself repeated: the nested quantifiers that backtrack exponentially on a near miss.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"it is longer than {MAX_PATTERN_CHARS} characters"
    groups: list[bool] = []  # per open group: whether it holds an unbounded repetition
    position = 0
    in_class = False
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            position += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[position + 1:position + 2] == "]":
                position += 1  # a ']' right after '[' is a member, not the end
        elif char == "(":
            groups.append(False)
        elif char == ")" and groups:
            repeats_inside = groups.pop()
            if repeats_inside and _repeats(pattern, position + 1):
                return "it repeats a group that already repeats (such as (a+)+), which can take forever"
            if repeats_inside and groups:
                groups[-1] = True
        elif _unbounded(pattern, position) and groups:
            groups[-1] = True
        position += 1
    return ""


def _unbounded(pattern: str, position: int) -> bool:
    """Whether a quantifier that repeats without bound starts at position."""
    char = pattern[position]
    if char in "*+":
        return True
    if char == "{":
        close = pattern.find("}", position)
        body = pattern[position + 1:close] if close > 0 else ""
        return body.endswith(",") and body[:-1].isdigit()
    return False


def _repeats(pattern: str, position: int) -> bool:
    """Whether a quantifier that allows more than one repetition starts at position."""
    if position >= len(pattern):
        return False
    if pattern[position] in "*+":
        return True
    if pattern[position] == "{":
        close = pattern.find("}", position)
        body = pattern[position + 1:close] if close > 0 else ""
        low, _, high = body.partition(",")
        return low.isdigit() and (body.endswith(",") or (high.isdigit() and int(high) > 1) or int(low) > 1)
    return False


def _quoted(words: list[str]) -> str:
    return ", ".join(f"\u201c{word}\u201d" for word in words)


def _timestamp(iso: str) -> float:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
