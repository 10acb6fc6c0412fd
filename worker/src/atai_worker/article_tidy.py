"""Tidy an extracted article: no headline block, no printed page address, no script-only links, real image URLs."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from .article_page import IMAGE_MARK

# Extractors wrap their output in a document or a div; the article is what is inside.
_WRAPPERS = frozenset({"html", "body", "div", "article", "section", "main"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Where the body of an article starts: a paragraph, a list, a table, a quote, code or an image.
_BODY_BLOCKS = frozenset({"p", "ul", "ol", "dl", "table", "blockquote", "pre", "figure", "img", "picture"})
# The headline block is looked for among the first few elements, and what stands before it may be
# at most this share of the text: more than that is article, not masthead.
_HEADLINE_WITHIN = 6
_BEFORE_HEADLINE_SHARE = 0.2
# A link that leads nowhere with at most this many words is a control, not prose.
_CONTROL_WORDS = 3
_BARE_ADDRESS = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def parse_article(html: str) -> HtmlElement | None:
    """An extractor's HTML output as one element holding the article's blocks, or None if empty."""
    if not html or not html.strip():
        return None
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    body = root.find("body")
    if body is None:
        return None
    # readability-lxml nests the article in divs: step inside wrappers that hold nothing else.
    while len(body) == 1 and body[0].tag in _WRAPPERS and not (body.text or "").strip() \
            and not (body[0].tail or "").strip():
        body = body[0]
    return body


def tidy_article(body: HtmlElement, headline: str) -> HtmlElement:
    """The article without its headline block, printed addresses and script-only links (changed in place)."""
    _drop_script_only_links(body)
    _drop_bare_addresses(body)
    _drop_headline_block(body, headline)
    return body


def article_html(body: HtmlElement) -> str:
    """The article's blocks as an HTML fragment, with image addresses as the page gave them."""
    parts = [body.text or ""] + [etree.tostring(child, encoding="unicode", method="html") for child in body]
    return "".join(parts).replace(IMAGE_MARK, "").strip()


def _drop_script_only_links(body: HtmlElement) -> None:
    """Links that lead nowhere ("more", "less", "share", "top") are controls worked by the page's scripts.

    A control's few words go with it; longer words under a dead link are prose and stay, unlinked.
    """
    for link in list(body.iter("a")):
        href = link.get("href")
        if href is None:
            link.drop_tag()  # a named anchor: its words are text
            continue
        href = href.strip().lower()
        if href and not href.startswith(("#", "javascript:")):
            continue
        if len(_WORD.findall(link.text_content())) <= _CONTROL_WORDS:
            link.drop_tree()
        else:
            link.drop_tag()


def _drop_bare_addresses(body: HtmlElement) -> None:
    """A line that is only the page's address is the print header, not prose (a linked address stays)."""
    if body.text and _BARE_ADDRESS.match(body.text):
        body.text = None
    for child in body:
        if child.tail and _BARE_ADDRESS.match(child.tail):
            child.tail = None


def _drop_headline_block(body: HtmlElement, headline: str) -> None:
    """Drop the headline, what stands before it (masthead), and titles or lines between it and the body.

    The post carries the headline as its own title; bylines, dates and a standfirst heading sit
    between the headline and the first paragraph.
    """
    children = list(body)
    wanted = normal_text(headline)
    position = next((i for i, child in enumerate(children[:_HEADLINE_WITHIN])
                     if child.tag == "h1" or (wanted and normal_text(child.text_content()) == wanted)), None)
    if position is None:
        return
    before = len((body.text or "").strip()) + sum(len(child.text_content()) for child in children[:position])
    if before > _BEFORE_HEADLINE_SHARE * len(body.text_content()):
        return
    body.text = None
    for child in children[:position]:  # the masthead: logo, section name, print address
        child.drop_tree()
    headline_element = children[position]
    headline_element.tail = None  # a date or byline written as bare text after it
    headline_element.drop_tree()
    for child in children[position + 1:]:
        if child.tag in ("ul", "ol") and _is_gallery(child):
            _keep_images_only(child)  # the lead pictures stay, their captions and credits go
            continue
        if child.tag in _BODY_BLOCKS or child.find(".//img") is not None:
            break
        if child.tag not in _HEADINGS and _WORD.search(child.text_content() or ""):
            break
        child.drop_tree()


def _is_gallery(element: HtmlElement) -> bool:
    """A list whose every item holds a picture: a slideshow, its text the pictures' captions."""
    items = element.findall("li")
    return bool(items) and all(item.find(".//img") is not None for item in items)


def _keep_images_only(element: HtmlElement) -> None:
    for node in element.iter():
        node.text = None
        if node is not element:
            node.tail = None
    for node in list(element.iter()):
        if node.tag not in ("ul", "ol", "li", "img", "picture", "figure") and node.find(".//img") is None:
            node.drop_tree()


def normal_text(text: str) -> str:
    """The text with its whitespace collapsed, in case-folded form, for comparing what elements say."""
    return _SPACES.sub(" ", text or "").strip().casefold()
