"""Sanitize stage: reduce untrusted HTML to the tags a blog post needs, with absolute, safe URLs."""

from __future__ import annotations

import html as html_lib
import re

import nh3

from .contract import allowed_html
from .hidden import drop_hidden_from_fragment
from .urls import is_web_url

# The tags, attributes and URL schemes a blog post needs are written once, in the contract
# ("x-atai-html"), for the plugin and the worker alike.
_ALLOWED = allowed_html()
_ALLOWED_TAGS = frozenset(_ALLOWED["tags"])
_ALLOWED_ATTRIBUTES = {tag: frozenset(names) for tag, names in _ALLOWED["attributes"].items()}
_URL_SCHEMES = frozenset(_ALLOWED["url_schemes"])

# Removed together with everything inside them: their content is code, embedded documents or
# widgets, never article text. noscript is here because the parser sees its body as raw text,
# which would otherwise come out as escaped markup.
_DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "applet", "svg", "math", "form", "button", "select", "textarea", "audio", "video", "canvas",
    "head", "title",
})

# A space before block-level tags keeps words of adjacent blocks apart once the tags are gone.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|hr|li|dt|dd|h[1-6]|tr|td|th|blockquote|pre|ul|ol|dl|table|caption|"
    r"section|article|aside|header|footer|figure|figcaption|main|nav)\b)",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"<[^>]*>")
_IMAGE_TAG = re.compile(r"<img\b", re.IGNORECASE)


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Clean untrusted HTML with an allowlist and resolve relative links against base_url."""
    if not html or not html.strip():
        return ""
    url_relative = ("rewrite_with_base", base_url) if is_web_url(base_url) else None
    cleaned = nh3.clean(
        # Before nh3, which drops the style and hidden attributes that keep the text out of sight.
        drop_hidden_from_fragment(html),
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        # Resolution happens inside nh3 (Rust) in the same pass as cleaning, so it costs almost
        # nothing; scheme checks then apply to the resolved URL.
        url_relative=url_relative,
    )
    if not _has_content(cleaned):
        return ""
    return cleaned.strip()


def plain_text(html: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    if not html:
        return ""
    text = nh3.clean(
        _BLOCK_TAG.sub(" <", html),
        tags=set(),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={},
        link_rel=None,
    )
    return " ".join(html_lib.unescape(text).split())


def text_start(html: str, chars: int) -> str:
    """The start of a fragment's plain text: more than `chars` characters of it, or all of it if shorter.

    Converts growing prefixes of the HTML, so the opening words of a 125 KB article cost a few
    kilobytes' work instead of a pass over the whole article. The last word of a prefix may be cut.
    """
    size = max(4 * chars, 4096)
    while size < len(html):
        text = plain_text(html[:size])
        if len(text) > chars:
            return text
        size *= 4
    return plain_text(html)


def _has_content(cleaned: str) -> bool:
    if _IMAGE_TAG.search(cleaned):
        return True
    return bool(html_lib.unescape(_ANY_TAG.sub("", cleaned)).strip())

