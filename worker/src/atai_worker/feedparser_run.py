"""feedparser on text a feed chose: quick on large articles, linear on hostile markup, never fetching anything.

parse.py turns the result into Entries; this module only gets feedparser's result for a decoded RSS or
Atom document, with the repairs and bounds that feedparser does not have itself.
"""

from __future__ import annotations

import io
import re
import secrets

import feedparser
import feedparser.mixin
import feedparser.util

# CDATA bodies of the RSS elements that carry article HTML, and how long one must be to be set
# aside while feedparser parses (see _set_aside_result).
_HTML_CDATA_START = re.compile(r"<(?:(?:[A-Za-z][\w.-]*:)?encoded|description)\b[^<>]*>\s*<!\[CDATA\[")
SET_ASIDE_MIN_CHARS = 2048
_C1 = re.compile("[\x80-\x9f]")
_C1_IN_UTF8 = re.compile(b"\xc2[\x80-\x9f]")
# The text of a short field (title, author, category, guid… anything but the elements that carry the
# article) is cut to this many characters before feedparser reads it: feedparser spends microseconds on
# each entity of a text, a megabyte of "&lt;a " in a title is seconds, and we keep 1,000 characters at most.
FIELD_TEXT_READ = 65_536
_LONG_FIELD_TEXT = re.compile(
    r"(<(?!(?:[A-Za-z_][\w.-]*:)?(?:description|encoded|content|summary|subtitle|tagline|info)\b)"
    r"[A-Za-z_][\w.:-]*\b[^<>]*>)([^<]{%d,})" % (FIELD_TEXT_READ + 1))
# Character references that may name no character: surrogates (55296-57343, D800-DFFF) and beyond U+10FFFF.
_IMPOSSIBLE_CHARACTER_REFERENCE = re.compile(
    r"&#([xX]0*(?:[dD][89a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{5,})|0*(?:5[5-7][0-9]{3}|[1-9][0-9]{6,}));")
# Categories feedparser keeps per item (see _bounded_add_tag).
TAGS_KEPT = 200


def feedparser_result(text: str, set_aside_min_chars: float = SET_ASIDE_MIN_CHARS):
    """feedparser's result for a decoded feed: impossible character references and huge short fields repaired
    first, large CDATA bodies set aside while it parses (set_aside_min_chars: how long one must be)."""
    text = _IMPOSSIBLE_CHARACTER_REFERENCE.sub(_replacement_reference, text)
    text = _LONG_FIELD_TEXT.sub(_cut_field_text, text)
    return _set_aside_result(text, set_aside_min_chars)


def _set_aside_result(text: str, set_aside_min_chars: float):
    """feedparser's result for a decoded feed, with large CDATA bodies set aside while it parses.

    feedparser runs str.translate over the text of every element (mapping stray C1 control
    characters to their windows-1252 meaning); on non-ASCII text that costs about 125 ns per
    character, half a second for a 6 MB feed of 50 articles. The big text is almost always the CDATA
    body of content:encoded or description, which feedparser's strict parser otherwise hands back
    as it is. So those bodies are swapped for short placeholders, parsed, and put back with the same
    two repairs feedparser would have made. A feed the strict parser cannot read is parsed again as
    it is, since the lenient parser treats CDATA differently.
    """
    set_aside: list[str] = []
    nonce = secrets.token_hex(8)
    pieces: list[str] = []
    done = 0
    for start in _HTML_CDATA_START.finditer(text):
        if start.end() < done:
            continue
        end = text.find("]]>", start.end())  # str.find: a lazy regex over megabytes is ten times slower
        if end < 0:
            break
        if end - start.end() >= set_aside_min_chars:
            pieces += [text[done:start.end()], f"atai-set-aside-{nonce}-{len(set_aside)}"]
            set_aside.append(text[start.end():end])
            done = end
    swapped = "".join(pieces) + text[done:] if set_aside else text
    parsed = _feedparser(swapped)
    if not set_aside:
        return parsed
    if parsed.get("bozo"):
        return _feedparser(text)
    placeholder = re.compile(f"atai-set-aside-{nonce}-([0-9]+)")
    # One search of the whole feed tells whether any body can hold a C1 character at all. Searching the
    # UTF-8 bytes is twice as fast as searching a str that is not ASCII.
    has_c1 = bool(_C1_IN_UTF8.search(text.encode("utf-8", "surrogatepass")))
    change_strings(parsed, lambda value: placeholder.sub(
        lambda m: _as_feedparser_would(set_aside[int(m.group(1))], has_c1), value)
        if "atai-set-aside-" in value else value)
    return parsed


def _feedparser(text: str):
    return feedparser.parse(
        # A BytesIO, never a str: feedparser treats a string as a URL or a path and would fetch it.
        io.BytesIO(text.encode("utf-8")),
        # We sanitize with nh3 and resolve URLs ourselves. feedparser's own passes are the slow
        # part of parsing: a 6 MB feed of 50 items takes 1.37 s with them and 0.08 s without.
        sanitize_html=False,
        resolve_relative_uris=False,
        # Already decoded to UTF-8 above. No Content-Location: feedparser would resolve relative
        # guids against the feed URL, and a guid must stay what the feed said so keys stay stable.
        response_headers={"content-type": "application/xml; charset=utf-8"},
    )


def _cut_field_text(match: re.Match) -> str:
    """The element's start tag and the first FIELD_TEXT_READ characters of its text, never half an entity."""
    text = match.group(2)[:FIELD_TEXT_READ]
    ampersand = text.rfind("&", -16)
    if ampersand >= 0 and ";" not in text[ampersand:]:
        text = text[:ampersand]
    return match.group(1) + text


def _replacement_reference(match: re.Match) -> str:
    """U+FFFD for a character reference to a surrogate or past U+10FFFF (feedparser fails on them)."""
    number = match.group(1)
    code = int(number[1:], 16) if number[0] in "xX" else int(number)
    return "&#xFFFD;" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else match.group()


def change_strings(node, change) -> None:
    """Replace every string of a parsed document (dicts and lists) by change(string), in place."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, str):
            changed = change(value)
            if changed is not value:
                node[key] = changed
        elif isinstance(value, (dict, list)):
            change_strings(value, change)


def _as_feedparser_would(text: str, has_c1: bool) -> str:
    """What the XML parser and feedparser would have made of a CDATA body.

    Line ends normalized as XML requires; UTF-8 that was read as Latin-1 decoded again; C1 control
    characters read as the windows-1252 characters they stand for, where it defines one.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text.isascii():
        try:
            text = text.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        if has_c1:
            text = _C1.sub(_windows_1252_char, text)
    return text


def _windows_1252_char(match: re.Match) -> str:
    try:
        return match.group().encode("latin-1").decode("windows-1252")
    except UnicodeDecodeError:
        return match.group()  # one of the five bytes windows-1252 leaves undefined


def _bounded_add_tag(self, term, scheme, label):
    """feedparser's _add_tag, keeping at most TAGS_KEPT categories per item.

    feedparser compares each new category with every earlier one of the item (a list, compared by value):
    quadratic, 73 s for one item with 40,000 categories. Past the cap, more are ignored; parse keeps 50.
    """
    tags = self._get_context().setdefault("tags", [])
    if (term or scheme or label) and len(tags) < TAGS_KEPT:
        value = feedparser.util.FeedParserDict(term=term, scheme=scheme, label=label)
        if value not in tags:
            tags.append(value)


feedparser.mixin._FeedParserMixin._add_tag = _bounded_add_tag
