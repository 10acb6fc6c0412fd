"""Images stage: find a draft's featured image and the images of its content, download and check them.

The worker downloads every image with its own fetcher (the same address rules as feeds: no private,
loopback or link-local address unless allowed, every redirect checked, the connection pinned to the
address checked), checks the bytes (image_check.py) and keeps them in the image store, from which the
plugin copies them (GET /v1/images/{sha256}). So WordPress never requests an address a feed chose. An
image that is refused costs the post that image only: the reason goes on the draft as a finding
(image_refused), and an image of the content is taken out of it.
"""

from __future__ import annotations

import html as html_lib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from .errors import FetchError
from .fetch import Fetcher
from .image_check import ImageRefused, Limits, check_image
from .image_store import ImageStore, StoredImage
from .models import Draft, Entry, Finding
from .sanitize import plain_text
from .urls import web_url

# An image of the content is a featured image only when it is at least this wide and high (not an
# icon, a spacer or a tracking pixel).
MIN_FEATURED_SIDE = 100
MAX_BODY_IMAGES = 50
MAX_FEATURED_TRIES = 5
# Refusals are remembered for a while, so that a slow or broken image named by many entries costs
# one wait, not one per entry.
REFUSAL_SECONDS = 600
_REFUSALS_KEPT = 2000

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\s([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_PAGE_IMAGE_NAMES = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")


def attributes(tag: str) -> dict[str, str]:
    """The attributes of one start tag, names lower-cased, values unescaped."""
    return {m.group(1).lower(): html_lib.unescape(next(v for v in m.groups()[1:] if v is not None))
            for m in _ATTRIBUTE.finditer(tag)}


def content_images(html: str) -> list[dict[str, str]]:
    """The attributes of every <img> of the content that has a web src, in order."""
    found = []
    for tag in _IMG_TAG.findall(html or ""):
        attrs = attributes(tag)
        if web_url(attrs.get("src")):
            found.append(attrs)
    return found


def page_image(page_html: str, page_url: str) -> str | None:
    """The picture a page declares for sharing (og:image, then twitter:image), as an absolute URL."""
    from urllib.parse import urljoin

    declared: dict[str, str] = {}
    for tag in _META_TAG.findall(page_html[:300_000]):
        attrs = attributes(tag)
        name = (attrs.get("property") or attrs.get("name") or "").strip().lower()
        if name in _PAGE_IMAGE_NAMES and attrs.get("content", "").strip():
            declared.setdefault(name, attrs["content"].strip())
    for name in _PAGE_IMAGE_NAMES:
        if name in declared:
            return web_url(urljoin(page_url, declared[name]))
    return None


def _declared_too_small(attrs: dict[str, str]) -> bool:
    for side in ("width", "height"):
        value = attrs.get(side, "").strip().rstrip("px")
        if value.isdigit() and int(value) < MIN_FEATURED_SIDE:
            return True
    return False


class ImageFetcher:
    """Downloads, checks and keeps images; built once per consumer and shared by its item threads."""

    def __init__(self, store: ImageStore, *, allowed_hosts=(), timeout: float = 10.0):
        self.store = store
        self.allowed_hosts = allowed_hosts
        self.timeout = timeout
        self._fetchers: dict[int, Fetcher] = {}
        self._refusals: OrderedDict[tuple, tuple[str, float]] = OrderedDict()
        self._url_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.downloaded_bytes = 0

    def close(self) -> None:
        """Close the connection pools."""
        for fetcher in self._fetchers.values():
            fetcher.close()

    def _fetcher(self, max_bytes: int) -> Fetcher:
        # The site's size cap is the fetcher's: an image over it is cut off while it downloads.
        with self._lock:
            fetcher = self._fetchers.get(max_bytes)
            if fetcher is None:
                fetcher = Fetcher(allowed_hosts=self.allowed_hosts, timeout=self.timeout, max_bytes=max_bytes)
                self._fetchers[max_bytes] = fetcher
            return fetcher

    def get(self, url: str, limits: Limits) -> StoredImage:
        """The checked image at url, from the store or downloaded now; ImageRefused with the reason otherwise."""
        kept = self.store.for_url(url)
        if kept is not None and _within(kept, limits):
            return kept
        refusal_key = (url, limits)
        with self._lock:
            refused = self._refusals.get(refusal_key)
            url_lock = self._url_locks.setdefault(url, threading.Lock())
        if refused and refused[1] > time.monotonic():
            raise ImageRefused(refused[0])
        # One download per URL at a time: the entries that name it too wait and then find it kept.
        with url_lock:
            try:
                kept = self.store.for_url(url)
                if kept is not None and _within(kept, limits):
                    return kept
                return self._download(url, limits)
            except ImageRefused as exc:
                with self._lock:
                    self._refusals[refusal_key] = (str(exc), time.monotonic() + REFUSAL_SECONDS)
                    while len(self._refusals) > _REFUSALS_KEPT:
                        self._refusals.popitem(last=False)
                raise
            finally:
                with self._lock:
                    self._url_locks.pop(url, None)

    def _download(self, url: str, limits: Limits) -> StoredImage:
        try:
            fetched = self._fetcher(limits.max_bytes).fetch_image(url)
        except FetchError as exc:
            raise ImageRefused(self._fetch_reason(exc, limits)) from exc
        with self._lock:
            self.downloaded_bytes += len(fetched.body)
        checked = check_image(fetched.body, limits)
        image = StoredImage(checked.sha256, checked.mime_type, checked.width, checked.height, len(fetched.body),
                            fetched.body)
        self.store.put(url, image)
        return image

    def _fetch_reason(self, exc: FetchError, limits: Limits) -> str:
        # The fetcher's messages name the feed settings; an image has its own limits.
        if exc.code == "too_large":
            return f"it is larger than the site's limit of {limits.max_bytes / 1_000_000:g} MB"
        if exc.code == "timeout":
            return f"it did not arrive in full within {self.timeout:g} s (ATAI_IMAGE_TIMEOUT)"
        return exc.message.removeprefix("fetch: ")


def _within(image: StoredImage, limits: Limits) -> bool:
    """Whether a kept image still passes the limits of this request (another site may have others)."""
    return (image.size <= limits.max_bytes and image.width * image.height <= limits.max_pixels
            and image.mime_type.split("/")[1] in limits.formats)


def _as_contract(url: str, image: StoredImage, alt: str) -> dict:
    return {"url": url, "sha256": image.sha256, "mime_type": image.mime_type, "width": image.width,
            "height": image.height, "size": image.size, "alt": " ".join(plain_text(alt).split())[:500]}


def _refused(url: str, reason: str) -> Finding:
    return Finding("image_refused", f"image: {url} was not copied: {reason}")


def with_images(draft: Draft, entry: Entry, fetcher: ImageFetcher, limits: Limits, options: dict,
                page: tuple[str, str] | None, fetch_page: Callable[[str], tuple[str, str] | None]) -> Draft:
    """The draft with its featured image and its content's images checked, and findings for those refused.

    page: the article page (html, url) when the full text was taken from it; fetch_page gets it when the
    page's og:image is the only candidate left.
    """
    findings = list(draft.findings)
    tried: dict[str, StoredImage | None] = {}

    def attempt(url: str) -> StoredImage | None:
        if url not in tried:
            try:
                tried[url] = fetcher.get(url, limits)
            except ImageRefused as exc:
                tried[url] = None
                findings.append(_refused(url, str(exc)))
        return tried[url]

    content = draft.content
    body: list[dict] = []
    if options.get("body_images", "copy") == "copy":
        for attrs in content_images(content)[:MAX_BODY_IMAGES]:
            url = web_url(attrs["src"])
            image = attempt(url)
            if image is not None:
                if all(b["url"] != url for b in body):
                    body.append(_as_contract(url, image, attrs.get("alt", "")))
            else:
                content = _without_image(content, attrs["src"])

    featured = None
    choice = options.get("featured_image", "page")
    if choice != "none":
        featured = _featured(entry, draft.content, attempt, page, fetch_page if choice == "page" else None)
    return draft.replace(content=content, image=featured, images=tuple(body), findings=tuple(findings))


def _featured(entry: Entry, content: str, attempt, page, fetch_page) -> dict | None:
    """The first candidate that passes, in the issue's order: the feed's own image elements, the first
    sizeable image of the content, the article page's sharing image."""
    tries = 0
    content_urls = {web_url(a["src"]) for a in content_images(content)}
    # The feed's media:content, media:thumbnail, enclosure and itunes:image come first in entry.images;
    # parse adds the content's first image after them.
    for candidate in entry.images:
        url = web_url(candidate.url)
        # The content's images come next, each judged by its size too.
        if not url or url in content_urls or tries >= MAX_FEATURED_TRIES:
            continue
        tries += 1
        image = attempt(url)
        if image is not None:
            return _as_contract(url, image, candidate.alt)
    for attrs in content_images(content):
        url = web_url(attrs["src"])
        if tries >= MAX_FEATURED_TRIES or _declared_too_small(attrs):
            continue
        tries += 1
        image = attempt(url)
        if image is not None and _sizeable(image):
            return _as_contract(url, image, attrs.get("alt", ""))
    if page is None and entry.link and fetch_page is not None:
        page = fetch_page(entry.link)
    declared = page_image(*page) if page else None
    if declared:
        image = attempt(declared)
        if image is not None:
            return _as_contract(declared, image, "")
    return None


def _sizeable(image: StoredImage) -> bool:
    return image.width >= MIN_FEATURED_SIDE and image.height >= MIN_FEATURED_SIDE


def _without_image(html: str, src: str) -> str:
    """The HTML without the <img> tags whose src is src (their figure and caption stay)."""
    return _IMG_TAG.sub(lambda m: "" if attributes(m.group(0)).get("src") == src else m.group(0), html)
