"""Discover stage: from any address a site owner pastes (a feed, or a page of a site) to the site's feeds.

The address itself first: when it is a feed, that is the answer. Otherwise its page is read for the
feeds it names (<link rel="alternate"> of the RSS, Atom and JSON Feed types), and when it names none,
the usual paths of the site are tried. Every candidate is fetched and parsed, so only feeds that can
be read are offered. Every fetch goes through the worker's Fetcher, so its address rules apply.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from . import parse
from .errors import FetchError, ParseError
from .fetch import Fetcher
from .urls import web_url

log = logging.getLogger(__name__)

FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
    "application/rdf+xml", "application/x-rss+xml", "application/x-atom+xml", "text/xml", "application/xml",
})
# Where sites usually serve their feed, relative to the page's folder and to the site's root.
COMMON_PATHS = ("feed", "rss", "atom.xml", "feed.json", "index.xml", "feed.xml", "rss.xml")
# Links a page names are read up to this many; each is one request to the site.
MAX_LINKS = 8
# Requests to one site at once, while candidates are read.
MAX_PARALLEL = 6
# The <head> is at the start: a megabyte is plenty, and bounds what a hostile page costs to parse.
MAX_PAGE_BYTES = 1_000_000


def discover(url: str, fetcher: Fetcher) -> dict:
    """The contract's Discovery for an address."""
    try:
        fetched = fetcher.fetch_feed(url)
    except FetchError as exc:
        return _result(url, error=source_error(exc))
    as_feed = _read_feed(fetched.body, fetched.content_type, fetched.permanent_redirect or url, "address")
    if isinstance(as_feed, dict):
        return _result(url, feeds=[as_feed])
    if not _looks_like_html(fetched.body):
        return _result(url, error=source_error(as_feed))

    page_title, linked = feed_links(fetched.body, fetched.url)
    found_by = "link"
    candidates = linked[:MAX_LINKS]
    if not candidates:
        found_by = "common_path"
        candidates = common_paths(fetched.url)
    feeds, problems = _read_candidates(candidates, fetcher, found_by)
    if feeds:
        return _result(url, page_title=page_title, feeds=feeds)
    if linked:
        message = (f"discover: the page names {len(linked)} feed(s), but none could be read "
                   f"(the first: {problems[0] if problems else 'no answer'})")
    else:
        message = ("discover: the page names no feed, and none was found at the usual addresses of the site "
                   "(/feed, /rss, /atom.xml, /feed.json, /index.xml...)")
    return _result(url, page_title=page_title, error={"code": "no_feed_found", "message": message,
                                                      "status": None, "retry_after": None})


def feed_links(body: bytes, page_url: str) -> tuple[str | None, list[str]]:
    """The page's title and the absolute URLs of the feeds its <link rel="alternate"> elements name, in order."""
    try:
        document = lxml.html.fromstring(body[:MAX_PAGE_BYTES])
    except (etree.ParserError, ValueError):
        return None, []
    base = page_url
    for element in document.iter("base"):
        if element.get("href"):
            base = urljoin(page_url, element.get("href").strip())
            break
    title = next((" ".join(t.text_content().split()) for t in document.iter("title")), None) or None
    links: list[str] = []
    for element in document.iter("link", "a"):
        rel = (element.get("rel") or "").lower().split()
        kind = (element.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or kind not in FEED_TYPES or not element.get("href"):
            continue
        absolute = web_url(urljoin(base, element.get("href").strip()))
        if absolute and absolute not in links:
            links.append(absolute)
    return title, links


def common_paths(page_url: str) -> list[str]:
    """Usual feed addresses: beside the page (its folder) first, then at the site's root."""
    parts = urlsplit(page_url)
    folder = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    roots = [folder] if folder != "/" else []
    roots.append("/")
    return [urlunsplit((parts.scheme, parts.netloc, root + path, "", "")) for root in roots for path in COMMON_PATHS]


def source_error(exc: FetchError | ParseError) -> dict:
    """The contract's SourceError for a failed fetch or parse."""
    return {"code": exc.code, "message": exc.message, "status": getattr(exc, "status", None),
            "retry_after": getattr(exc, "retry_after", None)}


def _read_candidates(urls: list[str], fetcher: Fetcher, found_by: str) -> tuple[list[dict], list[str]]:
    """The candidates that are feeds, in the given order (duplicates by final URL dropped), and why the others failed."""
    if not urls:
        return [], []
    # Several at once: each fetch may take up to the fetch timeout.
    with ThreadPoolExecutor(max_workers=min(len(urls), MAX_PARALLEL), thread_name_prefix="atai-discover") as pool:
        results = list(pool.map(lambda candidate: _candidate(candidate, fetcher, found_by), urls))
    feeds: list[dict] = []
    problems: list[str] = []
    for result in results:
        if isinstance(result, dict):
            if all(result["url"] != known["url"] for known in feeds):
                feeds.append(result)
        else:
            problems.append(result.message)
    return feeds, problems


def _candidate(url: str, fetcher: Fetcher, found_by: str) -> dict | FetchError | ParseError:
    try:
        fetched = fetcher.fetch_feed(url)
    except FetchError as exc:
        return exc
    return _read_feed(fetched.body, fetched.content_type, fetched.permanent_redirect or url, found_by)


def _read_feed(body: bytes, content_type: str | None, url: str, found_by: str) -> dict | ParseError:
    """A FeedCandidate when the bytes are a feed, else the ParseError saying what they are."""
    try:
        parsed = parse.parse_feed(body, feed_id=0, feed_url=url, content_type=content_type)
    except ParseError as exc:
        return exc
    return {"url": url, "title": parsed.title or None, "format": parsed.format,
            "entries_total": len(parsed.entries), "found_by": found_by}


def _looks_like_html(body: bytes) -> bool:
    head = body[:4096].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<head" in head


def _result(url: str, *, page_title: str | None = None, feeds: list[dict] | None = None,
            error: dict | None = None) -> dict:
    return {"url": url, "page_title": page_title, "feeds": feeds or [], "error": error}
