"""Which entries are teasers: so little text of their own that the article is taken from its page.

Apart from extract.py, which loads the extractors (trafilatura, readability, resiliparse: about 14 MB), so that a
consumer whose feeds carry their articles never loads them.
"""

from __future__ import annotations

from .models import Entry
from .sanitize import text_start
from .urls import is_web_url

# Below this much text between content and summary, an entry is a teaser, not an article.
FULL_TEXT_THRESHOLD = 500


def needs_full_text(entry: Entry) -> bool:
    """True when the entry has a link but hardly any text of its own."""
    if not is_web_url(entry.link):
        return False
    content_text = text_start(entry.content_html, FULL_TEXT_THRESHOLD)
    if len(content_text) >= FULL_TEXT_THRESHOLD:
        return False
    summary_text = text_start(entry.summary, FULL_TEXT_THRESHOLD)
    # Feeds often repeat the summary as the content; the same text counts once.
    length = len(content_text) if content_text == summary_text else len(content_text) + len(summary_text)
    return length < FULL_TEXT_THRESHOLD
