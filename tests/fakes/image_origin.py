"""The images of the fake feed origin: photographs, a feed naming one image per case, and bad images.

Routes (served by feed_server.py)
  /gen/img/<n>.png           a small PNG (160 x 120), one colour per n
  /gen/photo/<n>.jpg         a photograph-like JPEG of 100-400 KB, the same bytes for the same n
  /gen/images.xml?cases=a,b  an RSS feed with one item per case, each naming its image the way the case says
                             (&name= makes the guids and links distinct): see CASES
  /img/script.svg            an SVG drawing with a script in it
  /img/huge.png              a valid 20,000 x 20,000 PNG (small on the wire: one bit per pixel)
  /img/bomb.png              a gzip-encoded answer that unpacks to 200 MB
  /img/truncated.jpg         a JPEG cut off half-way
  /img/drip.jpg?seconds=S    a JPEG sent one small piece at a time over S seconds
"""

from __future__ import annotations

import functools
import gzip
import html
import io
import random
import struct
import zlib

from PIL import Image

# Each case: how its item names an image, and the item's content. {base} is the origin's URL.
CASES = {
    "media_content": ('<media:content url="{base}/gen/photo/1.jpg" medium="image" />', ""),
    "media_thumbnail": ('<media:thumbnail url="{base}/gen/photo/2.jpg" />', ""),
    "enclosure": ('<enclosure url="{base}/gen/photo/3.jpg" type="image/jpeg" length="1000" />', ""),
    "itunes_image": ('<itunes:image href="{base}/gen/photo/4.jpg" />', ""),
    "content_image": ("", '<p><img src="{base}/gen/img/9.png" alt="A spacer" width="1" height="1"></p>'
                          '<p><img src="{base}/gen/photo/5.jpg" alt="The quay at dawn"></p>'),
    "page_image": ("", ""),  # no image in the feed: the article page declares og:image
    "body_images": ("", '<p><img src="{base}/gen/photo/7.jpg" alt="Nets drying"></p>'
                        '<p><img src="{base}/img/script.svg" alt="A drawing"></p>'),
    "shared": ('<media:content url="{base}/gen/photo/8.jpg" medium="image" />', ""),
    # Bad input: each item's only image.
    "private": ('<media:content url="http://10.255.255.1/photo.jpg" medium="image" />', ""),
    "redirect_private": ('<media:content url="{base}/redirect?to=http://169.254.169.254/latest/photo.jpg" '
                         'medium="image" />', ""),
    "not_found": ('<media:content url="{base}/status/404" medium="image" />', ""),
    "slow_drip": ('<media:content url="{base}/img/drip.jpg?seconds=30" medium="image" />', ""),
    "html_page": ('<media:content url="{base}/notfeed" medium="image" />', ""),
    "svg_script": ('<media:content url="{base}/img/script.svg" medium="image" />', ""),
    "bomb": ('<media:content url="{base}/img/bomb.png" medium="image" />', ""),
    "huge": ('<media:content url="{base}/img/huge.png" medium="image" />', ""),
    "truncated": ('<media:content url="{base}/img/truncated.jpg" medium="image" />', ""),
}
PAGE_IMAGE = "/gen/photo/6.jpg"

SCRIPT_SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">'
              b'<script>fetch("/stolen?c=" + document.cookie)</script><rect width="200" height="200"/></svg>\n')


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=64)
def png_image(number: int) -> bytes:
    """A valid 160 x 120 PNG whose colour depends on number."""
    red, green, blue = (number * 53) % 256, (number * 97) % 256, (number * 193) % 256
    row = b"\x00" + bytes((red, green, blue)) * 160
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 160, 120, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(row * 120)) + _chunk(b"IEND", b""))


@functools.lru_cache(maxsize=128)
def photo(number: int) -> bytes:
    """A photograph-like JPEG (soft colour fields under grain) of 100-400 KB, the same for the same number."""
    rng = random.Random(f"photo:{number}")
    width, height = 960, 640
    fields = Image.frombytes("RGB", (24, 16), rng.randbytes(24 * 16 * 3)).resize((width, height), Image.BICUBIC)
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    picture = Image.blend(fields, grain, 0.08 + (number % 9) * 0.04)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def huge_png() -> bytes:
    """A valid PNG of 20,000 x 20,000 pixels, one bit each: 50 MB unpacked, about 50 KB on the wire.

    A hundred rows are compressed once, flushed so that they stand on their own, and repeated.
    """
    side = 20_000
    rows = (b"\x00" + b"\x00" * (side // 8)) * 100
    packer = zlib.compressobj(9)
    first = packer.compress(rows) + packer.flush(zlib.Z_FULL_FLUSH)  # with the stream's header
    block = packer.compress(rows) + packer.flush(zlib.Z_FULL_FLUSH)
    data = first + block * (side // 100 - 1) + packer.flush(zlib.Z_FINISH)
    # The stream's checksum is of every row: recomputed, since the packer saw only one block.
    checksum = 1
    for _ in range(side // 100):
        checksum = zlib.adler32(rows, checksum)
    data = data[:-4] + struct.pack(">I", checksum)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + _chunk(b"IDAT", data) + _chunk(b"IEND", b""))


@functools.lru_cache(maxsize=1)
def bomb() -> bytes:
    """gzip data that unpacks to 200 MB (a PNG signature, then zeros): about 200 KB on the wire.

    One megabyte of zeros is compressed once, flushed so that it stands on its own, and repeated.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    signature = b"\x89PNG\r\n\x1a\n"
    block = b"\x00" * 1_000_000
    first = packer.compress(signature) + packer.flush(zlib.Z_FULL_FLUSH)
    repeated = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(signature)
    for _ in range(200):
        crc = zlib.crc32(block, crc)
    size = len(signature) + 200 * len(block)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return (header + first + repeated * 200 + packer.flush(zlib.Z_FINISH)
            + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))


def warm() -> None:
    """Make the images that take a moment to make, so that the first request for one is served at once."""
    huge_png()
    bomb()
    truncated_jpeg()
    photo(12)


def truncated_jpeg() -> bytes:
    """A JPEG cut off half-way through its data."""
    whole = photo(11)
    return whole[: len(whole) // 2]


_WORDS = ("harbour", "quay", "tide", "boat", "net", "gull", "bakery", "loaf", "ferry", "fog", "lighthouse",
          "orchard", "apple", "market", "cheese", "honey", "dune", "kite", "festival", "fiddle", "tune", "museum",
          "rowing", "logbook", "library", "lamp", "radio", "toaster", "allotment", "courgette", "slug", "lettuce",
          "sea", "wall", "granite", "tern", "shingle", "otter", "mill", "river", "warden", "swimmer", "soup",
          "mackerel", "shoal", "press", "pamphlet", "pencil", "bench", "plaque", "church", "roof", "beam",
          "carpenter", "wages", "rain", "weather", "station", "lane", "field")


def _story(seed: str) -> str:
    """Six paragraphs of words in an order of their own: long enough to be the whole article (the page is
    fetched only for page_image's og:image), and no two items alike enough to be the same story."""
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(6):
        words = [rng.choice(_WORDS) for _ in range(40)]
        paragraphs.append("<p>" + " ".join(words).capitalize() + ".</p>")
    return "".join(paragraphs)


def images_feed(base_url: str, cases: list[str], name: str) -> bytes:
    """An RSS feed with one item per case (unknown cases are left out)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/" '
           'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">\n<channel>\n'
           f"<title>Larkmouth Pictures: {html.escape(name)}</title>\n<link>{base_url}/gen/</link>\n"
           "<description>One item per way of naming an image.</description>\n"]
    for case in cases:
        if case not in CASES:
            continue
        element, content = CASES[case]
        text = _story(f"{name}:{case}")
        page = f"{base_url}/gen/articles/{name}-{case}.html" + ("?og=1" if case == "page_image" else "")
        out.append(f"<item>\n<title>Pictures: {case.replace('_', ' ')} ({html.escape(name)})</title>\n"
                   f"<link>{html.escape(page)}</link>\n<guid isPermaLink=\"false\">{name}-{case}</guid>\n"
                   f"{element.format(base=base_url)}\n"
                   f"<description>A picture named by {case}.</description>\n"
                   f"<content:encoded><![CDATA[{content.format(base=base_url)}{text}]]></content:encoded>\n"
                   "</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("utf-8")
