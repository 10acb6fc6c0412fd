"""Bytes of a fetched feed or page to text the stages can trust: unpacked, decoded, and checked.

A document that declares XML entities is refused before any parser sees it (entity expansion turns a
few kilobytes into gigabytes), and characters that XML and HTML do not allow are removed once, where
text enters the worker, so that no later stage trips over them.
"""

from __future__ import annotations

import codecs
import re
import zlib

import charset_normalizer

# A gzip file served without Content-Encoding is unpacked up to this size; beyond it, it is
# more likely a decompression bomb than a feed.
MAX_UNPACKED_BYTES = 64_000_000

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# Labels that browsers decode as a wider encoding (WHATWG Encoding Standard), because that is
# what servers that send them really mean.
_ENCODING_ALIASES = {
    "iso-8859-1": "windows-1252", "iso8859-1": "windows-1252", "latin1": "windows-1252",
    "latin-1": "windows-1252", "us-ascii": "windows-1252", "ascii": "windows-1252",
    "gb2312": "gb18030", "gbk": "gb18030", "x-sjis": "shift_jis",
}

# A DOCTYPE up to its internal subset ("[") or its end, stepping over quoted literals (they may hold either).
_DOCTYPE_HEAD = re.compile(r"""<!DOCTYPE\b(?:[^\[>"']+|"[^"]*"|'[^']*')*""", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY\b", re.IGNORECASE)
_PROLOG_SPACE = re.compile(r"\s*")

# Characters XML 1.0 does not allow (C0 controls but tab, newline and carriage return; U+FFFE and
# U+FFFF; lone surrogates). lxml refuses text that holds one, so one such character in a feed would
# fail its item on every retry.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_FORBIDDEN_CONTROLS = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0e, 0x20))
_SURROGATE_IN_UTF8 = re.compile(rb"\xed[\xa0-\xbf]")


class EntityDeclarations(ValueError):
    """The document's DOCTYPE declares entities; the caller refuses it in its own words."""


def gunzip(body: bytes) -> bytes:
    """A gzip body unpacked, up to MAX_UNPACKED_BYTES; ValueError when damaged or larger."""
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, MAX_UNPACKED_BYTES)
    except zlib.error as exc:
        raise ValueError(f"it looks like damaged gzip data: {exc}") from exc
    if unpacker.unconsumed_tail:
        raise OverflowError(f"unpacks to more than {MAX_UNPACKED_BYTES // 1_000_000} MB")
    return data


def decode_text(data: bytes, content_type: str | None) -> str:
    """Text of a document, by BOM, then UTF-8, then the declared encodings, then a guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    unmarked = unmarked_utf16(data)
    if unmarked:
        return data.decode(unmarked, "replace")
    try:
        # Legacy-encoded text almost never happens to be valid UTF-8, while feeds that are UTF-8
        # but declare something else (often a server default) are common: UTF-8 wins.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _XML_ENCODING.search(data[:256])
    http_charset = _CHARSET_PARAM.search(content_type or "")
    # The document's own declaration is preferred over the header, which is often a server default.
    for match in (declared, http_charset):
        if match is None:
            continue
        label = match.group(1)
        label = label.decode("ascii") if isinstance(label, bytes) else label
        label = _ENCODING_ALIASES.get(label.lower(), label)
        try:
            return data.decode(label)
        except LookupError:
            continue
        except UnicodeDecodeError:
            if codecs.lookup(label).name == "cp1252":
                return data.decode("latin-1")  # windows-1252 leaves five bytes undefined
            if codecs.lookup(label).name == "utf-8":
                return data.decode("utf-8", "replace")
    guess = charset_normalizer.from_bytes(data).best()
    if guess is not None:
        return str(guess)
    return data.decode("windows-1252", "replace")


def unmarked_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte order mark, told by the zero bytes of its ASCII start ('<', '{', blanks).

    A declaration is optional in UTF-16 (the BOM is what XML asks for), and some servers send neither.
    Such bytes are valid UTF-8 too, with a NUL after every character, so they must be caught before.
    """
    start = data[:8]
    if len(start) < 8 or b"\x00\x00" in start:
        return None  # too short to tell, or UTF-32
    if all(start[i] == 0 for i in range(1, 8, 2)) and start[0] in b"<{[ \t\r\n":
        return "utf-16-le"
    if all(start[i] == 0 for i in range(0, 8, 2)) and start[1] in b"<{[ \t\r\n":
        return "utf-16-be"
    return None


def markup_head(data: bytes) -> str:
    """The document as text good enough to read its markup (the prolog), without guessing its encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    if data[:2] in (b"<\x00", b"\x00<"):
        return data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", "replace")
    # Markup is ASCII in every other encoding a page may use; Latin-1 maps each byte to one character.
    return data.decode("latin-1")


def refuse_entity_declarations(text: str) -> None:
    """Raise EntityDeclarations when the document's DOCTYPE declares entities of its own.

    Looks only at the prolog (what comes before the first element), with plain string searches, so a
    hostile document costs one pass at most. A DOCTYPE that only names an external DTD (RSS 0.91 does)
    is accepted: no parser here fetches it.
    """
    position = 0
    while True:
        position = _PROLOG_SPACE.match(text, position).end()
        if text.startswith("<?", position):
            end, closing = text.find("?>", position + 2), "?>"
        elif text.startswith("<!--", position):
            end, closing = text.find("-->", position + 4), "-->"
        else:
            break
        if end < 0:
            return
        position = end + len(closing)
    doctype = _DOCTYPE_HEAD.match(text, position)
    if doctype is None or not text.startswith("[", doctype.end()):
        return  # no DOCTYPE, or one without an internal subset: nothing is declared here
    # The subset's own end is not searched for: a "]" may sit inside a quoted value before a declaration.
    if _ENTITY_DECLARATION.search(text, doctype.end()):
        raise EntityDeclarations("the document declares XML entities")


def clean_text(text: str) -> str:
    """Text without the characters XML 1.0 forbids; lone surrogates become U+FFFD, the rest go."""
    if not text or not _has_forbidden(text):
        return text
    return _FORBIDDEN.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", text)


def _has_forbidden(text: str) -> bool:
    # Deleting bytes from the UTF-8 form and comparing lengths costs about a nanosecond a byte, several
    # times less than searching the str with a regular expression; most text has nothing to remove.
    wide = not text.isascii()
    if wide and ("\ufffe" in text or "\uffff" in text):
        return True
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _FORBIDDEN_CONTROLS)) != len(data):
        return True
    return wide and b"\xed" in data and _SURROGATE_IN_UTF8.search(data) is not None
