"""Give back what extractors flatten: numbered lists, and the captions of the figures they keep."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from .article_tidy import normal_text


@dataclass(frozen=True)
class PageFacts:
    """What the extractors lose and the page still knows: which lists are numbered, which images have captions."""

    ordered_lists: frozenset
    captions: dict

    @classmethod
    def of(cls, tree: HtmlElement, url: str) -> PageFacts:
        ordered = frozenset(key for key in (_first_item(ol) for ol in tree.iter("ol")) if key)
        captions = {}
        for figure in tree.iter("figure"):
            caption = figure.find(".//figcaption")
            text = " ".join(caption.text_content().split()) if caption is not None else ""
            for image in figure.iter("img") if text else ():
                for attribute in ("src", "data-src"):
                    if image.get(attribute):
                        captions[_resolved(url, image.get(attribute))] = text
        return cls(ordered, captions)


def restore_from_page(body: HtmlElement, facts: PageFacts, url: str) -> HtmlElement:
    """Give back what the extractor flattened: numbered lists, and the captions of figures (changed in place)."""
    for listing in body.iter("ul"):
        if _first_item(listing) in facts.ordered_lists:
            listing.tag = "ol"
    for image in list(body.iter("img")):
        caption = facts.captions.get(_resolved(url, image.get("src") or ""))
        parent = image.getparent()
        if not caption or parent is None or parent.tag in ("figure", "picture"):
            continue
        following = image.getnext()
        nearby = normal_text(parent.text_content() + (following.text_content() if following is not None else ""))
        if normal_text(caption) in nearby:  # the extractor kept the caption as text
            continue
        figure = parent.makeelement("figure", {})
        figure.tail, image.tail = image.tail, None
        parent.replace(image, figure)
        figure.append(image)
        etree.SubElement(figure, "figcaption").text = caption
    return body


def _first_item(listing: HtmlElement) -> str:
    item = listing.find(".//li")
    return normal_text(item.text_content())[:80] if item is not None else ""


def _resolved(url: str, address: str) -> str:
    try:
        return urljoin(url, address.strip())
    except ValueError:
        return address
