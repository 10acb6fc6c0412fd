"""Counting tokens without the model's tokenizer, and cutting a long article into parts at block boundaries.

The estimate follows how BPE tokenizers split text: a word of up to six Latin letters is one token, a longer
one one per four letters, digits three to a token, each punctuation mark or symbol one, and a letter of a
script without spaces (Chinese, Japanese, Korean, Thai) about one each. It leans high on markup (a tag counts
as three tokens where tokenizers often make one), so budgets built on it err on the safe side; it needs no
download, and the same count serves every model.
"""

from __future__ import annotations

import math
import re

import lxml.html

_PIECES = re.compile(r"[^\W\d_]+|\d+|[^\w\s]", re.UNICODE)
# Blocks an article may be cut between; a part never ends inside one.
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "blockquote", "pre", "table", "figure", "hr"}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


def estimate(text: str) -> int:
    """About how many tokens a model's tokenizer makes of the text."""
    count = 0
    for piece in _PIECES.findall(text):
        if piece.isdigit():
            count += math.ceil(len(piece) / 3)  # tokenizers read digits three at a time
        elif piece.isascii():
            # A common word of up to six letters is one token; longer ones split about every four letters.
            count += 1 if len(piece) <= 6 or not piece.isalpha() else math.ceil(len(piece) / 4)
        else:
            # Latin with accents splits like ASCII; scripts without spaces count about one per character.
            count += len(piece) if _no_spaces(piece) else max(1, math.ceil(len(piece) / 3))
    return count


def _no_spaces(piece: str) -> bool:
    return any("\u0e00" <= c <= "\u0e7f" or "\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" for c in piece)


def split_html(html: str, budget: int) -> list[str]:
    """The article as consecutive parts of at most about `budget` tokens each, cut between blocks.

    A block larger than the budget is cut between sentences; a sentence larger than the budget stays whole
    (a part is then over the budget rather than a sentence cut in two).
    """
    root = lxml.html.fragment_fromstring(html or "", create_parent="div")
    blocks: list[str] = []
    if root.text and root.text.strip():
        blocks.append(f"<p>{_escape(root.text.strip())}</p>")
    for child in root:
        markup = lxml.html.tostring(child, encoding="unicode", with_tail=False)
        blocks.extend(_sentences(child, markup, budget) if estimate(markup) > budget else [markup])
        if child.tail and child.tail.strip():
            blocks.append(f"<p>{_escape(child.tail.strip())}</p>")
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        cost = estimate(block)
        if current and size + cost > budget:
            parts.append("".join(current))
            current, size = [], 0
        current.append(block)
        size += cost
    if current:
        parts.append("".join(current))
    return parts


def _sentences(element, markup: str, budget: int) -> list[str]:
    """A block too large for one part, as paragraphs of whole sentences (its inline markup is dropped)."""
    if element.tag not in _BLOCKS or element.tag in ("table", "pre"):
        return [markup]
    text = " ".join(element.text_content().split())
    budget -= estimate("<p></p>")
    chunks: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{current} {sentence}".strip()
        if current and estimate(candidate) > budget:
            chunks.append(current)
            candidate = sentence
        current = candidate
    if current:
        chunks.append(current)
    return [f"<p>{_escape(chunk)}</p>" for chunk in chunks]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
