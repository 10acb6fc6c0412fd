"""Hostile documents the fake origin makes on request: too large, or too binary, to keep as fixtures.

- compression bombs: zeros compressed with one content coding, or with the same one twice
  (a 1,000 MB bomb is about 1 MB with one gzip, under 2 kB with two);
- the quadratic entity blowup at any size;
- flood feeds: an RSS feed whose one entry repeats a pattern (an unclosed `<img src="`, say) to a size,
  where the pattern lands (content, title, author, category, or raw markup) chosen by name.

The fixed, small ones (entity declarations, control characters, hidden text, odd dates) are files under
tests/fixtures/hostile/ and tests/fixtures/pages/.
"""

from __future__ import annotations

import functools
import html
import zlib

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_BLOCK = bytes(1 << 20)

FLOOD_PATTERNS = {
    "img": "<img ",
    "img-src": '<img src="',
    "tag": "<a ",
    "description": "<description",
    "entity": "&amp;#000",
}


@functools.lru_cache(maxsize=8)
def bomb(megabytes: int, codings: tuple[str, ...]) -> bytes:
    """`megabytes` MB of zeros, compressed with each coding in turn (gzip or deflate)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _WBITS[codings[0]])
    pieces = [compressor.compress(_BLOCK) for _ in range(megabytes)]
    data = b"".join(pieces) + compressor.flush()
    for coding in codings[1:]:
        compressor = zlib.compressobj(9, zlib.DEFLATED, _WBITS[coding])
        data = compressor.compress(data) + compressor.flush()
    return data


@functools.lru_cache(maxsize=4)
def quadratic_blowup(kilobytes: int) -> bytes:
    """A feed of about `kilobytes` kB whose one entity, half the size, is referenced from the other half.

    150 kB of it would expand to about 1 GB of text, the size of the case first reported.
    """
    value = "Tide " * (kilobytes * 100)
    references = "&tide;" * (kilobytes * 85)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [<!ENTITY tide "{value}">]>\n'
            '<rss version="2.0"><channel><title>Larkmouth Tides</title><link>https://tides.larkmouth.example/</link>'
            f'<description>d</description><item><title>High water</title><guid>tides-1</guid>'
            f"<description>{references}</description></item></channel></rss>\n").encode("utf-8")


@functools.lru_cache(maxsize=16)
def flood_feed(base_url: str, pattern: str, where: str, size: int) -> bytes:
    """An RSS 2.0 feed with one hostile entry (the pattern repeated to `size` bytes) and one plain entry."""
    flood = FLOOD_PATTERNS[pattern] * (size // len(FLOOD_PATTERNS[pattern]))
    title, content, author, categories = "A flood of markup", "<p>Short.</p>", "", ""
    if where == "content":
        content = flood
    elif where == "title":
        title = html.escape(flood, quote=False)
    elif where == "author":
        author = f"<author>{html.escape(flood, quote=False)}</author>"
    elif where == "raw":  # unescaped, outside CDATA: the feed is not well-formed, so feedparser's loose parser reads it
        content = "]]>" + flood + "<![CDATA["
    elif where == "category":
        categories = f"<category>{html.escape(flood, quote=False)}</category>" + "".join(
            f"<category>Topic {n}</category>" for n in range(size // 25))
    plain = ("<p>The harbour office published the winter tide tables on Monday, and the ferry company said it "
             "would follow them from the first week of December.</p>") * 4
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>\n'
        f"<title>Larkmouth Flood</title><link>{base_url}/</link><description>One hostile entry.</description>\n"
        f'<item><title>{title}</title><guid isPermaLink="false">flood-1</guid>{author}{categories}\n'
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item>\n"
        f'<item><title>Harbour news</title><guid isPermaLink="false">flood-2</guid>\n'
        f"<content:encoded><![CDATA[{plain}]]></content:encoded></item>\n"
        "</channel></rss>\n"
    ).encode("utf-8")
