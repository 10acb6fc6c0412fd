"""Article pages: the parsed page, what it says about its own article, and markup prepared for the extractors."""

from __future__ import annotations

import json
import re
from html import escape

import trafilatura
from lxml.html import HtmlElement

from .sanitize import plain_text

# Less text than this is a teaser, not an article: the same bar as for a feed's own text.
ARTICLE_MIN_CHARS = 500
# Appended to image addresses the extractor would otherwise drop, and removed from its output.
IMAGE_MARK = "#atai-image.png"

_JSON_LD = '//script[@type="application/ld+json"]'
# trafilatura keeps an <img> only when its address ends in a raster extension (jpg, png, gif, webp,
# avif...): an SVG, or a CDN address without any extension, would vanish from the article.
_RASTER_EXTENSION = re.compile(r"\.(avif|bmp|gif|hei[cf]|jpe?g|png|webp)(\b|$)", re.IGNORECASE)
_ELLIPSIS = ("…", "...")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\r\n\s*\r\n|\n(?=\S)")


def load_page(html: bytes | str) -> HtmlElement | None:
    """The page as an lxml tree (bytes decoded by their declared or detected charset), or None."""
    if not html or (isinstance(html, str) and not html.strip()):
        return None
    try:
        return trafilatura.load_html(html)
    except (TypeError, ValueError):
        return None


def declared_article_body(tree: HtmlElement) -> str:
    """The article text the page states in its JSON-LD (schema.org articleBody), when it is plausibly whole.

    Publishers put the full text there for search engines; a short or "…"-ended one is a teaser.
    """
    best = ""
    for script in tree.xpath(_JSON_LD):
        try:
            data = json.loads(script.text_content())
        except ValueError:
            continue
        for body in _article_bodies(data):
            if len(body) > len(best):
                best = body
    best = best.strip()
    if len(plain_text(best)) < ARTICLE_MIN_CHARS or best.endswith(_ELLIPSIS):
        return ""
    return best


def declared_body_html(body: str) -> str:
    """A declared article body as paragraphs (it is plain text, or sometimes HTML, by the publisher)."""
    text = plain_text(body) if "<" in body else body
    paragraphs = [" ".join(part.split()) for part in _PARAGRAPH_BREAK.split(text)]
    return "".join(f"<p>{escape(part)}</p>" for part in paragraphs if part)


def keep_main_article_only(tree: HtmlElement) -> None:
    """Drop the <article> elements that are not the one holding the page's headline.

    In HTML an <article> is a self-contained composition: beside the headline's own article, other
    ones are related posts, teasers or the next story of an endless page. Articles nested inside the
    main one (comments, embedded cards) are left to the extractor.
    """
    articles = tree.xpath("//article")
    if len(articles) < 2:
        return
    with_headline = [article for article in articles if article.find(".//h1") is not None]
    if len(with_headline) != 1:
        return
    main = with_headline[0]
    if len(" ".join(main.text_content().split())) < ARTICLE_MIN_CHARS:
        return  # a headline in a header box of its own: the article's text is elsewhere
    related = set(main.iterancestors("article")) | set(main.iter("article"))
    for article in articles:
        if article not in related:
            article.drop_tree()


def mark_images(tree: HtmlElement) -> None:
    """Mark image addresses the extractor would drop, so that SVG and extension-less images stay in the article."""
    for image in tree.iter("img"):
        for attribute in ("src", "data-src"):
            address = (image.get(attribute) or "").strip()
            if address and not address.startswith("data:") and not _RASTER_EXTENSION.search(address):
                image.set(attribute, address + IMAGE_MARK)


def _article_bodies(data):
    """Every articleBody string in a JSON-LD value, however deep (@graph, lists, nested objects)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            body = value.get("articleBody")
            if isinstance(body, str):
                yield body
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
