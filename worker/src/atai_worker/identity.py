"""Identity stage: what makes two entries the same story, whichever feed they came through (issue #12).

For each draft the worker sends three layers, and WordPress decides (it owns the posts):
- the article's canonical URL: cleaned of tracking parameters, AMP and mobile variants folded, and
  taken from the page (its final URL after redirects, its rel=canonical or og:url) when the page was
  fetched;
- a hash of its normalised text (markup, case, punctuation and feed boilerplate aside);
- a MinHash signature of its word shingles and the LSH band keys WordPress indexes, so that lightly
  edited copies of one story (another headline, a paragraph added or cut) find each other without a
  scan of past posts. WordPress estimates the similarity from the signatures and applies the site's
  threshold; the bands only find the candidates.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import courlan
import numpy
from lxml import html as lxml_html

from .urls import web_url

if TYPE_CHECKING:
    from datasketch import MinHash

NUM_PERM = 128
# 42 bands of 3 rows (126 of the 128 values): a pair of similarity 0.45 shares a band with probability 0.98,
# 0.5 with 0.996, so the bands find what the site's threshold (0.45 by default) accepts; a pair of 0.05
# only with 0.005, so unrelated posts are hardly ever fetched.
ROWS = 3
BANDS = NUM_PERM // ROWS
SHINGLE_WORDS = 4
# Fewer words than this are not fingerprinted: short notes and template items look alike by nature.
MIN_WORDS = 50

# Query parameters that only track the reader. The plugin has the same list (wp-plugin/inc/dedupe.php) for
# feed URLs; article URLs also lose the ones courlan knows.
_TRACKERS = re.compile(
    r"^(?:utm_|mc_|pk_|mtm_|itm_|vero_|oly_|mkt_|ml_)|^(?:fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|twclid|"
    r"igshid|ocid|cmpid|ito|smid|sr_share|_ga|_gl|__twitter_impression|s_cid|mbid|fromrss)$|^(?:ns|at|wt)[_.][a-z_]+$",
    re.IGNORECASE)
# Query parameters that ask for the AMP or mobile rendering of the same article.
_VARIANT_PARAMS = re.compile(r"^(?:amp|outputtype|usqp|m|mobile)$", re.IGNORECASE)
_VARIANT_HOST_PREFIXES = ("www.", "amp.", "m.", "mobile.")
_AMP_CACHE = re.compile(r"^(?:[a-z0-9-]+)\.cdn\.ampproject\.org$")
_AMP_PATH_SUFFIX = re.compile(r"(?:/amp|\.amp)$|\.amp(?=\.html?$)", re.IGNORECASE)
_LOCAL_NAMES = re.compile(r"(?:^|\.)(?:localhost|local|internal|localdomain|home\.arpa)$")

# Fixed seed and scheme: signatures stored in WordPress months ago must stay comparable.
_SCHEME = "affine32"
# Odd 64-bit constants: a shingle's hash depends on the order of its words.
_SHINGLE_MULTIPLIERS = tuple(numpy.uint64(m) for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F,
                                                        0x165667B19E3779F9, 0xD6E8FEB86659FD93)[:SHINGLE_WORDS])
_WORD = re.compile(r"\w+(?:[.,'’]\w+)*")
# Lines feeds append to every item; the same article from two feeds differs in them and nothing else.
_BOILERPLATE = re.compile(
    r"(?:\bthe post\b.{0,300}?\bappeared first on\b.{0,200}$|\b(?:continue reading|read more|read the full story)"
    r"\b.{0,200}$)", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    """The layers one draft carries (contract/worker-api.json#Identity)."""

    canonical_url: str | None
    canonical_from: str | None  # link, redirect, rel_canonical, og_url
    text_hash: str | None
    words: int
    minhash: str | None
    bands: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"canonical_url": self.canonical_url, "canonical_from": self.canonical_from,
                "text_hash": self.text_hash, "words": self.words, "minhash": self.minhash,
                "bands": list(self.bands)}


def address_identity(url: str | None) -> str | None:
    """The address without what only spells it differently: '//host[:port]/path?sorted&query', or None.

    Scheme (http and https of one address), host case, default ports, fragments, trailing slashes and
    tracking parameters do not count. Feed URLs are compared by this, in PHP too
    (wp-plugin/inc/dedupe.php, tests/fixtures/dedupe/address-cases.json).
    """
    url = web_url(url)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    netloc = host if port is None or port == {"http": 80, "https": 443}[parts.scheme] else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal keeps its brackets
        netloc = f"[{host}]" + netloc[len(host):]
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query.sort()
    return urlunsplit(("", netloc, path, urlencode(query), ""))


def is_tracking_param(name: str) -> bool:
    """True for a query parameter that only tracks the reader (utm_source, fbclid, ...)."""
    return bool(_TRACKERS.search(name))


def canonical_url(url: str | None) -> str | None:
    """The article URL that every spelling and rendering of one article shares, or None when it is not a web URL.

    courlan cleans it first (it also strips the trackers it knows); then the host's www., m., mobile. and
    amp. prefixes, AMP paths and parameters, and Google's AMP cache fold into the plain article.
    """
    url = web_url(url)
    if url is None:
        return None
    cleaned = courlan.clean_url(url) or url
    parts = urlsplit(cleaned)
    host = (parts.hostname or "").lower()
    path = parts.path
    if _AMP_CACHE.match(host):
        # https://www-example-com.cdn.ampproject.org/c/s/www.example.com/story -> https://www.example.com/story
        match = re.match(r"^/[a-z]/(?:s/)?([^/]+)(/.*)?$", path)
        if match:
            return canonical_url("https://" + match.group(1) + (match.group(2) or "/"))
    for prefix in _VARIANT_HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix):]
            break
    path = _AMP_PATH_SUFFIX.sub("", path.rstrip("/"))
    path = re.sub(r"^/amp(?=/)", "", path, flags=re.IGNORECASE)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _VARIANT_PARAMS.match(k)]
    netloc = f"[{host}]" if ":" in host else host
    rebuilt = urlunsplit((parts.scheme, netloc + (f":{parts.port}" if parts.port else ""), path or "/",
                          urlencode(query), ""))
    return "https:" + address_identity(rebuilt)


def page_canonical(page_html: bytes | str, page_url: str, allowed: Callable[[str], bool] = lambda url: False
                   ) -> tuple[str | None, str | None]:
    """The article URL a fetched page names for itself (rel=canonical, else og:url) and which one, or (None, None).

    Ignored when it points at another site, at a private address (never fetched either), or at the
    site's home page, all of which happen on real pages by mistake or by design.
    """
    try:
        tree = lxml_html.fromstring(page_html)
    except (ValueError, lxml_html.etree.ParserError):
        return None, None
    candidates = (
        ("rel_canonical", tree.xpath("//link[contains(concat(' ', normalize-space(translate(@rel, "
                                     "'CANONICAL', 'canonical')), ' '), ' canonical ')]/@href")),
        ("og_url", tree.xpath("//meta[@property='og:url' or @name='og:url']/@content")),
    )
    for source, values in candidates:
        for value in values[:1]:
            url = _resolved(value.strip(), page_url)
            if url and _acceptable_page_canonical(url, page_url, allowed):
                return url, source
    return None, None


def _resolved(value: str, base: str) -> str | None:
    try:
        return web_url(urljoin(base, value))
    except ValueError:
        return None


def _acceptable_page_canonical(url: str, page_url: str, allowed: Callable[[str], bool]) -> bool:
    parts, page = urlsplit(url), urlsplit(page_url)
    host, page_host = (parts.hostname or "").lower(), (page.hostname or "").lower()
    if is_private_host(host) and not allowed(url):
        return False
    if _site_host(host) != _site_host(page_host):
        return False
    # A page that names the home page as its canonical would merge every article of the site into one.
    return parts.path.strip("/") not in ("", "index.html", "index.php") or bool(parts.query)


def _site_host(host: str) -> str:
    for prefix in _VARIANT_HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return host[len(prefix):]
    return host


def is_private_host(host: str) -> bool:
    """True for a host that is a non-public IP address or a local name; nothing is resolved."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return bool(_LOCAL_NAMES.search(host)) or "." not in host


def words_of(text: str) -> list[str]:
    """The words of a plain text, normalised: NFKC, lower case, punctuation and feed boilerplate aside."""
    text = unicodedata.normalize("NFKC", text)
    # Feed boilerplate closes the text: look for it in the last few hundred characters only.
    tail = len(text) - 600
    if tail > 0:
        text = text[:tail] + _BOILERPLATE.sub("", text[tail:])
    else:
        text = _BOILERPLATE.sub("", text)
    return _WORD.findall(text.lower())


def text_hash(words: list[str]) -> str | None:
    """128-bit hash of the normalised text, or None for a text too short to identify a story."""
    if len(words) < MIN_WORDS:
        return None
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest()


def minhash_of(words: list[str]) -> MinHash | None:
    """MinHash of the text's word shingles, or None for a text too short to compare."""
    if len(words) < MIN_WORDS:
        return None
    from datasketch import MinHash

    signature = MinHash(num_perm=NUM_PERM, scheme=_SCHEME, hashfunc=int, permutations=_permutations())
    signature.update_batch(shingle_hashes(words).tolist())
    return signature


@cache
def _permutations():
    """The signatures' permutations, drawn once: drawing them for each signature cost half a millisecond.

    datasketch (with scipy, about 65 MB) is imported at the first signature, not when the worker starts.
    """
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, scheme=_SCHEME).permutations


def shingle_hashes(words: list[str]) -> numpy.ndarray:
    """The distinct 32-bit hashes of the text's SHINGLE_WORDS-word shingles.

    Each distinct word gets a CRC-32 code once, and a shingle's hash mixes its words' codes, computed by
    numpy for every shingle at once: hashing each shingle's string in Python cost several times as much.
    """
    known = {word: zlib.crc32(word.encode()) for word in set(words)}
    codes = numpy.fromiter(map(known.__getitem__, words), dtype=numpy.uint64, count=len(words))
    count = len(words) - SHINGLE_WORDS + 1
    mixed = numpy.zeros(count, dtype=numpy.uint64)
    for offset, multiplier in enumerate(_SHINGLE_MULTIPLIERS):
        mixed = mixed * multiplier + codes[offset:offset + count]  # wraps modulo 2**64, as intended
    return numpy.unique((mixed >> numpy.uint64(32)) ^ (mixed & numpy.uint64(0xFFFFFFFF)))


def band_keys(signature: MinHash) -> tuple[str, ...]:
    """One 64-bit key per LSH band: the band's number and its rows, hashed."""
    values = numpy.asarray(signature.hashvalues, dtype="<u4")
    return tuple(hashlib.blake2b(bytes([band]) + values[band * ROWS:(band + 1) * ROWS].tobytes(),
                                 digest_size=8).hexdigest() for band in range(BANDS))


def encode_minhash(signature: MinHash) -> str:
    """The signature as base64 of NUM_PERM little-endian 32-bit values (WordPress compares them)."""
    return base64.b64encode(numpy.asarray(signature.hashvalues, dtype="<u4").tobytes()).decode("ascii")


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two encoded signatures: the share of equal values."""
    left = numpy.frombuffer(base64.b64decode(a), dtype="<u4")
    right = numpy.frombuffer(base64.b64decode(b), dtype="<u4")
    return float(numpy.count_nonzero(left == right)) / NUM_PERM


def identity_of(text: str, url: str | None, canonical_from: str | None) -> Identity:
    """The identity layers of an article: its canonical URL (from `url`) and its text's fingerprints."""
    words = words_of(text)
    signature = minhash_of(words)
    canonical = canonical_url(url)
    return Identity(
        canonical_url=canonical,
        canonical_from=canonical_from if canonical else None,
        text_hash=text_hash(words),
        words=len(words),
        minhash=encode_minhash(signature) if signature is not None else None,
        bands=band_keys(signature) if signature is not None else (),
    )
