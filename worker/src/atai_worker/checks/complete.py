"""Complete: a draft that stops mid-sentence or leaves markup open was cut off, whatever the endpoint said."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ..models import Finding
from .text import Document

_VOID = frozenset({"br", "hr", "img", "wbr", "input", "meta", "link", "source", "col", "area", "base", "embed",
                   "param", "track"})
# Blocks that may end without a full stop: a list, a table, a caption.
_LOOSE_ENDINGS = frozenset({"li", "td", "th", "dd", "dt", "figcaption", "caption", "pre"})
_CLOSERS = "\"'”’»)]*"
_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
_CUT_TAG = re.compile(r"<[^>]*$|&#?\w*$")


class _OpenElements(HTMLParser):
    """The elements still open at the end of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open.pop() != tag:
                pass


def unclosed(raw_html: str) -> list[str]:
    """Tags the fragment opens and never closes, and '<' for one cut inside a tag or an entity."""
    tail = raw_html.rstrip()
    if _CUT_TAG.search(tail[-200:]):
        return ["<"]
    parser = _OpenElements()
    parser.feed(tail)
    parser.close()
    return parser.open


def ends_finished(document: Document) -> bool:
    """Whether a document's last block ends a sentence (or is a list item, a cell, a caption)."""
    if not document.body_blocks:
        return True
    last = document.body_blocks[-1]
    return not last.heading and (last.tag in _LOOSE_ENDINGS or
                                  last.text.rstrip(_CLOSERS + " ").endswith(_SENTENCE_END))


def check(draft: Document, *, source: Document | None = None, raw_html: str | None = None,
          finish_reason: str | None = None) -> list[Finding]:
    """Holds for a draft cut at the token limit, ending mid-sentence, or with unclosed markup.

    A source that itself stops without a full stop (a teaser, "Read more") lets its draft do the same.
    """
    if finish_reason == "length":
        # rewrite.py retries such an answer with more room before it gets here; one that still arrives is cut.
        return [Finding("draft_cut_off", "checks: the model stopped at its output limit, so the draft is cut off",
                        hold=True)]
    findings = []
    if raw_html is not None:
        still_open = unclosed(raw_html)
        if still_open:
            shown = "a tag cut in half" if still_open == ["<"] else ", ".join(f"<{t}>" for t in still_open)
            findings.append(Finding("draft_incomplete", f"checks: the draft ends with unclosed markup ({shown})",
                                    hold=True))
    if ends_finished(draft) or (source is not None and not ends_finished(source)):
        return findings
    last = draft.body_blocks[-1]
    if last.heading:
        findings.append(Finding("draft_incomplete", f"checks: the draft ends with a heading ('{last.text[:80]}') "
                                                    "and nothing under it", hold=True, draft_text=last.text))
    else:
        tail = " ".join(last.text.split()[-6:])
        findings.append(Finding("draft_incomplete", f"checks: the draft ends mid-sentence ('…{tail}')", hold=True,
                                draft_text=tail))
    return findings
