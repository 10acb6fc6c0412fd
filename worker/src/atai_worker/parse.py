"""Parse stage: turn the bytes of an RSS, Atom or JSON feed into normalized Entries."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit


from .decode import EntityDeclarations, clean_text, decode_text, gunzip, refuse_entity_declarations
from .errors import ParseError
from .feedparser_run import change_strings, feedparser_result
from .models import Entry, Image, item_key
from .sanitize import plain_text
from .urls import is_web_url, web_url

_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# Patterns run on text a feed chose, so none of them may backtrack over it: a tag ends at the next "<" or
# ">", and an <img> tag is read one attribute after the other, never searched for from every position.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_IMG_START = re.compile(r"<img\b", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""[\s/]*([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
# Only the first few <img> tags of an entry, and only tags of sane length, are read for its image.
IMG_TAGS_READ = 20
IMG_TAG_MAX_CHARS = 8192
# Longest title, author and category kept, in characters of text; markup beyond four times as much is
# cut before anything reads it.
TITLE_MAX_CHARS = 1000
AUTHOR_MAX_CHARS = 200
CATEGORY_MAX_CHARS = 100
MAX_CATEGORIES = 50
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[Entry, ...]
    format: str = ""  # as detected from the bytes: rss090…rss20, rss10, atom03, atom10, json10, json11


def parse_feed(body: bytes, *, feed_id: int, feed_url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes of any supported format, detected from the bytes themselves."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body)
        except OverflowError as exc:
            raise ParseError(f"parse: {feed_url} {exc}; refused", code="too_large") from exc
        except ValueError as exc:
            raise ParseError(f"parse: {feed_url} is not an RSS, Atom or JSON feed ({exc})") from exc
    text = decode_text(body, content_type)
    try:
        refuse_entity_declarations(text)
    except EntityDeclarations:
        raise ParseError("parse: the feed declares XML entities, which are not accepted",
                         code="xml_entities") from None
    if text.lstrip()[:1] in ("{", "["):
        return _parse_json_feed(text, feed_id=feed_id, feed_url=feed_url)
    return _parse_xml_feed(text, feed_id=feed_id, feed_url=feed_url)


# ---------------------------------------------------------------------------------------------
# RSS and Atom


def _parse_xml_feed(text: str, *, feed_id: int, feed_url: str) -> ParsedFeed:
    try:
        parsed = feedparser_result(text)
    except Exception as exc:
        # feedparser's lenient parser has its own failures on hostile markup: the feed fails in words.
        raise ParseError(f"parse: {feed_url} could not be read ({type(exc).__name__} in the feed parser)") from exc
    change_strings(parsed, clean_text)  # once, before keys are computed from guids and titles
    if not parsed.get("version") and not parsed.entries:
        raise ParseError(f"parse: {feed_url} is not an RSS, Atom or JSON feed ({_describe(text)})")

    channel = parsed.feed
    feed_link = _absolute_http(channel.get("link"), feed_url)
    feed_author = _person_name(channel)
    feed_language = channel.get("language")
    entries = [
        _entry_from_feedparser(item, feed_id=feed_id, feed_url=feed_url, feed_link=feed_link,
                               feed_author=feed_author, feed_language=feed_language)
        for item in parsed.entries
    ]
    return ParsedFeed(
        title=_text_of(channel.get("title_detail")),
        link=feed_link,
        entries=_unique(entries),
        format=parsed.get("version") or "unknown",
    )


def _entry_from_feedparser(item, *, feed_id, feed_url, feed_link, feed_author, feed_language) -> Entry:
    guid = (item.get("id") or "").strip() or None
    link = item.get("link")
    if item.get("guidislink") and link == item.get("id") and not is_web_url(link):
        link = None  # feedparser copied a guid that is not a URL into the link
    # Without xml:base, relative links are taken as relative to the site rather than to the feed
    # URL: feeds are often served from another host (a CDN, a feed proxy) than the articles.
    site = feed_link or feed_url
    link = _absolute_http(link, site)

    contents = [c for c in item.get("content") or () if (c.get("value") or "").strip()]
    richest = max(contents, key=lambda c: len(c["value"]), default=None)
    content_html = _html_of(richest) if richest else ""
    summary_detail = item.get("summary_detail")
    summary = _html_of(summary_detail) if summary_detail else ""

    explicit_base = (richest or {}).get("base") or (summary_detail or {}).get("base")
    base_url = _absolute_http(explicit_base, feed_url) if explicit_base else None
    base_url = base_url or _content_base(link, feed_link, feed_url)

    title = _text_of(item.get("title_detail"))
    enclosure = next((e.get("href") for e in item.get("enclosures") or () if e.get("href")), None)
    identity = _identity_link(guid, link, feed_link, _absolute_http(enclosure, base_url))
    categories = [t.get("term") or t.get("label") or "" for t in item.get("tags") or ()]
    language = (
        (richest or {}).get("language") or (summary_detail or {}).get("language")
        or (item.get("title_detail") or {}).get("language") or feed_language
    )
    return Entry(
        feed_id=feed_id,
        feed_url=feed_url,
        key=item_key(feed_id, guid, identity, title, content_html or summary),
        guid=guid,
        link=link,
        title=title,
        published=_iso_from_struct(
            item.get("published_parsed") or item.get("updated_parsed") or item.get("created_parsed")
        ),
        author=_person_name(item) or feed_author,
        summary=summary,
        content_html=content_html,
        categories=_clean_categories(categories),
        images=_images_of_item(item, content_html or summary, base_url),
        language=_language_tag(language),
        base_url=base_url,
        # dict.get: feedparser's own get() answers published_parsed when there is no updated date.
        updated=_iso_from_struct(dict.get(item, "updated_parsed")),
    )


def _identity_link(guid: str | None, link: str | None, site_link: str | None, enclosure: str | None) -> str | None:
    """The link that identifies an item without a guid, for its key.

    Some feeds (podcasts especially) give every item the site's home page as its link; that link
    names no item, so the enclosure does, or else the key falls back to title and content. The
    rule looks at the item alone, so an item keeps its key from one fetch to the next.
    """
    if guid or (link and link != site_link):
        return link
    return enclosure


def _content_base(link: str | None, site_link: str | None, feed_url: str) -> str | None:
    """What relative URLs in an entry's HTML resolve against when the feed gives no xml:base.

    The entry's own page, when it is on the site: path-relative images sit beside the post. A link
    to another host (a link post, a feed proxy) says nothing about where the HTML came from, so
    the site is the base then.
    """
    if link and (not site_link or urlsplit(link).netloc == urlsplit(site_link).netloc):
        return link
    return site_link or _absolute_http(feed_url, feed_url)


def _text_of(detail) -> str:
    """Plain text of a feedparser text construct (title), whatever type the feed gave it."""
    if not detail or not detail.get("value"):
        return ""
    value = detail["value"][:4 * TITLE_MAX_CHARS]
    # Tags in a title declared plain text are still dropped: they are markup sent by mistake or
    # on purpose (a <script> in a title), never words the reader should see.
    if detail.get("type") == "text/plain" and not _TAG.search(value):
        text = " ".join(value.split())
    else:
        text = plain_text(value)
    return _capped(_undo_double_escaping(text), TITLE_MAX_CHARS)


def _html_of(detail) -> str:
    """HTML of a feedparser content construct; plain text is escaped so it stays text."""
    value = (detail.get("value") or "").strip()
    if detail.get("type") == "text/plain":
        return html_lib.escape(value, quote=False)
    return value


def _person_name(context) -> str | None:
    detail = context.get("author_detail") or {}
    name = detail.get("name") or context.get("author") or ""
    if not name:
        for author in context.get("authors") or ():
            name = author.get("name") or ""
            if name:
                break
    name = name[:4 * AUTHOR_MAX_CHARS]
    name = plain_text(name) if _TAG.search(name) or "&" in name else " ".join(name.split())
    return _capped(name, AUTHOR_MAX_CHARS) or None


def _images_of_item(item, html: str, base_url: str) -> tuple[Image, ...]:
    candidates: list[Image] = []
    for media in item.get("media_content") or ():
        if _looks_like_image(media.get("url"), media.get("type"), media.get("medium")):
            candidates.append(Image(url=media.get("url") or ""))
    # The order a featured image is chosen in: media:content or media:thumbnail, enclosure, itunes:image,
    # the content's first image.
    for thumbnail in item.get("media_thumbnail") or ():
        candidates.append(Image(url=thumbnail.get("url") or ""))
    for enclosure in item.get("enclosures") or ():
        if _looks_like_image(enclosure.get("href"), enclosure.get("type"), None):
            candidates.append(Image(url=enclosure.get("href") or ""))
    itunes_image = (item.get("image") or {}).get("href")
    if itunes_image:
        candidates.append(Image(url=itunes_image))
    first = _first_image_in(html)
    if first:
        candidates.append(first)
    return _absolute_images(candidates, base_url)


# ---------------------------------------------------------------------------------------------
# JSON Feed (https://www.jsonfeed.org/version/1.1/)


def _parse_json_feed(text: str, *, feed_id: int, feed_url: str) -> ParsedFeed:
    try:
        document = json.loads(text)
        change_strings(document, clean_text)  # "\u0000" and lone surrogates arrive only now
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"parse: {feed_url} is JSON that cannot be read, perhaps cut short "
            f"({exc.msg}, line {exc.lineno}, column {exc.colno})",
            code="malformed_feed",
        ) from exc
    version = _JSON_FEED_VERSION.match(str(document.get("version", ""))) if isinstance(document, dict) else None
    if not isinstance(document, dict) or not (version or isinstance(document.get("items"), list)):
        raise ParseError(
            f"parse: {feed_url} is not an RSS, Atom or JSON feed (it is JSON, but not a JSON Feed)"
        )
    feed_format = f"json{version.group(1)}{version.group(2) or '0'}" if version else "json"
    feed_link = _absolute_http(_string(document.get("home_page_url")), feed_url)
    feed_author = _json_author(document)
    feed_language = _string(document.get("language"))
    items = document.get("items")
    entries = [
        _entry_from_json(item, feed_id=feed_id, feed_url=feed_url, feed_link=feed_link,
                         feed_author=feed_author, feed_language=feed_language)
        for item in (items if isinstance(items, list) else ())
        if isinstance(item, dict)
    ]
    return ParsedFeed(
        title=_json_text(document.get("title")),
        link=feed_link,
        entries=_unique(entries),
        format=feed_format,
    )


def _entry_from_json(item: dict, *, feed_id, feed_url, feed_link, feed_author, feed_language) -> Entry:
    raw_id = item.get("id")
    guid = str(raw_id).strip() if raw_id is not None and str(raw_id).strip() else None
    link = _absolute_http(_string(item.get("url")) or _string(item.get("external_url")), feed_link or feed_url)
    base_url = _content_base(link, feed_link, feed_url)
    content_html = _string(item.get("content_html")).strip()
    if not content_html and _string(item.get("content_text")).strip():
        content_html = _text_to_html(_string(item["content_text"]))
    summary = html_lib.escape(_string(item.get("summary")).strip(), quote=False)
    title = _json_text(item.get("title"))

    candidates = [Image(url=_string(item.get(name))) for name in ("image", "banner_image") if item.get(name)]
    for attachment in item.get("attachments") or ():
        if isinstance(attachment, dict) and _looks_like_image(
                _string(attachment.get("url")), _string(attachment.get("mime_type")), None):
            candidates.append(Image(url=_string(attachment["url"]), alt=_json_text(attachment.get("title"))))
    first = _first_image_in(content_html)
    if first:
        candidates.append(first)

    tags = item.get("tags")
    return Entry(
        feed_id=feed_id,
        feed_url=feed_url,
        key=item_key(feed_id, guid, link, title, content_html or summary),
        guid=guid,
        link=link,
        title=title,
        published=_iso_from_text(_string(item.get("date_published")) or _string(item.get("date_modified"))),
        author=_json_author(item) or feed_author,
        summary=summary,
        content_html=content_html,
        categories=_clean_categories(tags if isinstance(tags, list) else ()),
        images=_absolute_images(candidates, base_url),
        language=_language_tag(_string(item.get("language")) or feed_language),
        base_url=base_url,
        updated=_iso_from_text(_string(item.get("date_modified"))),
    )


def _json_author(obj: dict) -> str | None:
    authors = obj.get("authors")
    people = authors if isinstance(authors, list) else [obj.get("author")]  # 1.1, else 1.0
    for person in people:
        if isinstance(person, dict) and _json_text(person.get("name"), AUTHOR_MAX_CHARS):
            return _json_text(person.get("name"), AUTHOR_MAX_CHARS)
    return None


def _json_text(value, limit: int = TITLE_MAX_CHARS) -> str:
    """JSON Feed text fields are plain text, but some publishers put HTML or entities in them."""
    text = _string(value)[:4 * limit]
    if _TAG.search(text):
        text = plain_text(text)
    return _capped(_undo_double_escaping(" ".join(text.split())), limit)


def _capped(text: str, limit: int) -> str:
    """The text, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + html_lib.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


def _string(value) -> str:
    return value if isinstance(value, str) else ""


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _unique(entries: list[Entry]) -> tuple[Entry, ...]:
    """Entries with distinct keys, in feed order; a repeated item keeps its first appearance.

    An item with no title, no link and no text is not an entry: there is nothing to post or link to.
    A guid given to entries with different links names no single item (some publishers give every
    entry the site's address as its guid): those entries are told apart by their links instead.
    """
    entries = [entry for entry in entries
               if entry.title.strip() or entry.link or entry.content_html.strip() or entry.summary.strip()]
    links_of: dict[str, set[str]] = {}
    for entry in entries:
        if entry.guid and entry.link:
            links_of.setdefault(entry.key, set()).add(entry.link)
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if len(links_of.get(entry.key, ())) > 1:
            entry = entry.replace(key=item_key(entry.feed_id, None, entry.link))
        if entry.key not in seen:
            seen.add(entry.key)
            unique.append(entry)
    return tuple(unique)


def _undo_double_escaping(text: str) -> str:
    # A title that still holds an entity after one round of decoding was escaped twice by its
    # publisher ("AT&amp;amp;T"); readers expect "AT&T".
    return html_lib.unescape(text) if _ENTITY.search(text) else text


def _absolute_http(url: str | None, base: str) -> str | None:
    """url resolved against base, or None unless the result is an http(s) URL (its scheme lower-cased)."""
    if not url or not url.strip():
        return None
    try:
        absolute = urljoin(base, url.strip())
    except ValueError:
        return None
    return web_url(absolute)


def _looks_like_image(url: str | None, mime_type: str | None, medium: str | None) -> bool:
    if not url:
        return False
    if medium:
        return medium == "image"
    if mime_type:
        return mime_type.lower().startswith("image/")
    return urlsplit(url).path.lower().endswith(_IMAGE_EXTENSIONS)


def _first_image_in(html: str) -> Image | None:
    """The src and alt of the first <img> tag that has a src, among the first IMG_TAGS_READ tags."""
    for count, start in enumerate(_IMG_START.finditer(html or "")):
        if count == IMG_TAGS_READ:
            break
        attributes = _tag_attributes(html, start.end())
        if attributes is None or "src" not in attributes:
            continue
        src = html_lib.unescape(attributes["src"]).strip()
        if not src or src.lower().startswith("data:"):
            return None
        alt = html_lib.unescape(attributes.get("alt", ""))
        return Image(url=src, alt=" ".join(alt.split()))
    return None


def _tag_attributes(html: str, position: int) -> dict[str, str] | None:
    """The attributes of the tag whose name ends at position (first value of each), or None if it never ends."""
    attributes: dict[str, str] = {}
    limit = min(len(html), position + IMG_TAG_MAX_CHARS)
    while position < limit:
        if html[position] == ">":
            return attributes
        match = _ATTRIBUTE.match(html, position, limit)
        if match is None or match.end() == position:
            return None  # a "<" or a stray quote: not a tag we can read
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attributes.setdefault(name, value)
        position = match.end()
        while position < limit and html[position].isspace():
            position += 1
    return None


def _absolute_images(candidates: list[Image], base_url: str) -> tuple[Image, ...]:
    images: dict[str, Image] = {}
    for image in candidates:
        url = _absolute_http(image.url, base_url)
        if url and url not in images:
            images[url] = Image(url=url, alt=image.alt)
    return tuple(images.values())


def _clean_categories(values) -> tuple[str, ...]:
    categories: dict[str, str] = {}  # lower-cased name -> name as first written
    for value in values:
        if len(categories) == MAX_CATEGORIES:
            break
        if isinstance(value, str):
            name = _json_text(value, CATEGORY_MAX_CHARS)
            if name:
                categories.setdefault(name.lower(), name)
    return tuple(categories.values())


def _language_tag(value: str | None) -> str | None:
    """A BCP 47-style tag: "IT-it" and "en_us" become "it-IT" and "en-US"."""
    if not value or not value.strip() or len(value) > 64:
        return None
    parts = value.strip().replace("_", "-").split("-")
    primary = parts[0].lower()
    rest = [p.upper() if len(p) == 2 else p.lower() for p in parts[1:] if p]
    return "-".join([primary, *rest]) if primary.isalpha() else None


def _iso_from_struct(value) -> str | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc).isoformat()
    except (TypeError, ValueError):
        return None


def _iso_from_text(value: str) -> str | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def _describe(text: str) -> str:
    """What a document that is not a feed looks like, in words, for the error message."""
    head = text.lstrip()[:2048]
    lowered = head.lower()
    if not head:
        return "it is empty"
    if lowered.startswith("<!doctype html") or "<html" in lowered or "<body" in lowered:
        return "it looks like an HTML page"
    if sum(1 for ch in head if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n")) > len(head) // 20:
        return "it looks like binary data"
    root = re.search(r"<([A-Za-z_][\w.:-]*)", re.sub(r"<\?.*?\?>|<!--.*?-->|<!.*?>", "", head, flags=re.S))
    if lowered.startswith("<") and root:
        return f"it is an XML document whose root element is <{root.group(1)}>"
    return "it looks like plain text"
