"""Text a reader never sees is dropped before anything reads the article: it would reach the model and the post.

Pages and feeds hide text to plant instructions for a model ("ignore your instructions and…") or keywords for
search engines: display:none, visibility:hidden, the hidden attribute, zero-size or transparent text, text the
colour of its background (white on the white page nothing else paints), and comments. The sanitizer drops
style attributes, so hidden text would come out visible in the post as well. Only inline styles and simple
class or id rules of the page's own <style> elements are read: no external stylesheet is fetched.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

# Words without which a feed's HTML hides nothing (comments the sanitizer drops itself): most entries have
# neither, and are not parsed here. Substring tests on the UTF-8 bytes lowered: a case-insensitive regular
# expression, or str.lower(), costs several times more.
_MAY_HIDE = (b"style", b"hidden")
_SIMPLE_SELECTOR = re.compile(r"^[a-z0-9]*([.#])([A-Za-z_][\w-]*)$")
_ZERO = re.compile(r"^[+-]?(?:0+\.?0*|\.0+)(?:px|pt|em|rem|%|vw|vh)?$")
_COLOUR_IN_SHORTHAND = re.compile(r"rgba?\([^()]*\)|#[0-9a-f]{3,8}\b|\bwhite\b|\btransparent\b")
_HEX_COLOUR = re.compile(r"^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$")
_RGB_COLOUR = re.compile(r"^rgba?\(\s*([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)(?:[\s,/]+([\d.]+%?))?\s*\)$")
_OFFSCREEN = re.compile(r"^-\d{4,}(?:\.\d+)?px$")
_NEAR_WHITE = 240  # every channel at least this: invisible on a white page
_STYLE_CHARS_READ = 200_000  # of each <style> element; a stylesheet larger than that is not a planted rule


def drop_hidden_from_fragment(html: str) -> str:
    """An HTML fragment without its hidden elements and comments (unchanged when it has none)."""
    if not html:
        return html
    lowered = html.encode("utf-8", "surrogatepass").lower()
    if not any(word in lowered for word in _MAY_HIDE):
        return html
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return html  # nothing lxml can read: the sanitizer makes what it can of it
    if not drop_hidden(root):
        return html
    text = lxml.html.tostring(root, encoding="unicode")
    return text[len("<div>"):-len("</div>")]


def drop_hidden(root) -> bool:
    """Remove hidden elements and comments from an lxml tree, in place; True if anything was removed."""
    classes, ids = _hiding_rules(root)
    doomed = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            if isinstance(node, lxml.etree._Comment):
                doomed.append(node)
            continue
        if node.get("hidden") is not None or _hidden_by_style(node):
            doomed.append(node)
        elif (classes and classes.intersection((node.get("class") or "").split())) or \
                (ids and node.get("id") in ids):
            doomed.append(node)
    for node in doomed:
        _remove_keeping_tail(node)
    return bool(doomed)


def _hidden_by_style(node) -> bool:
    style = _declarations(node.get("style"))
    if not style:
        return False
    if style.get("display") == "none" or style.get("visibility") in ("hidden", "collapse"):
        return True
    if _ZERO.match(style.get("opacity", "1")) or _ZERO.match(style.get("font-size", "1")):
        return True
    if any(_OFFSCREEN.match(style.get(side, "")) for side in ("left", "top", "text-indent", "margin-left")):
        return True
    if "color" not in style:
        return False
    colour = _colour(style["color"])
    if colour == "transparent":
        return True
    if colour is None:
        return False
    background = _background_of(node)
    if background is None:
        return min(colour) >= _NEAR_WHITE
    return background != "transparent" and sum(abs(a - b) for a, b in zip(colour, background)) <= 24


def _background_of(node):
    """The colour of the nearest inline background at or above node, or None when nothing paints one."""
    while node is not None:
        style = _declarations(node.get("style")) if isinstance(node.tag, str) else {}
        for name in ("background-color", "background"):
            found = _COLOUR_IN_SHORTHAND.search(style.get(name, ""))
            colour = _colour(found.group()) if found else None
            if colour is not None:
                return colour
        node = node.getparent()
    return None


def _declarations(style: str | None) -> dict[str, str]:
    declarations = {}
    for declaration in (style or "").split(";"):
        name, _, value = declaration.partition(":")
        value = value.replace("!important", "").strip().lower()
        if value:
            declarations[name.strip().lower()] = value
    return declarations


def _colour(value: str):
    """(r, g, b) of a CSS colour, "transparent", or None for what is not read here (names but white, hsl)."""
    value = value.strip().lower()
    if value in ("transparent",):
        return "transparent"
    if value == "white":
        return (255, 255, 255)
    match = _HEX_COLOUR.match(value)
    if match:
        digits = match.group(1)
        if len(digits) in (3, 4):
            digits = "".join(d * 2 for d in digits)
        if len(digits) == 8 and digits[6:] == "00":
            return "transparent"
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
    match = _RGB_COLOUR.match(value)
    if match:
        channels = [_channel(part) for part in match.groups()[:3]]
        alpha = match.group(4)
        if alpha is not None and _ZERO.match(alpha):
            return "transparent"
        return tuple(channels)
    return None


def _channel(part: str) -> int:
    number = float(part.rstrip("%"))
    return round(number * 2.55) if part.endswith("%") else round(number)


def _hiding_rules(root) -> tuple[set[str], set[str]]:
    """Classes and ids that the document's own <style> elements hide with a top-level rule."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in root.iter("style"):
        for selectors, body in _rules(_without_comments((style.text or "")[:_STYLE_CHARS_READ])):
            declarations = _declarations(body)
            if declarations.get("display") != "none" and declarations.get("visibility") not in ("hidden", "collapse"):
                continue
            for selector in selectors.split(","):
                match = _SIMPLE_SELECTOR.match(selector.strip())
                if match:
                    (classes if match.group(1) == "." else ids).add(match.group(2))
    return classes, ids


def _rules(css: str):
    """(selectors, declarations) of each top-level rule; @media and other at-rules are skipped whole."""
    depth, start, selectors, body_start = 0, 0, "", 0
    for brace in re.finditer(r"[{}]", css):
        position = brace.start()
        if brace.group() == "{":
            if depth == 0:
                selectors, body_start = css[start:position].strip(), position + 1
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                if not selectors.startswith("@") and "{" not in css[body_start:position]:
                    yield selectors, css[body_start:position]
                start = position + 1


def _without_comments(css: str) -> str:
    pieces, position = [], 0
    while True:
        start = css.find("/*", position)
        if start < 0:
            pieces.append(css[position:])
            return "".join(pieces)
        pieces.append(css[position:start])
        end = css.find("*/", start + 2)
        if end < 0:
            return "".join(pieces)
        position = end + 2


def _remove_keeping_tail(node) -> None:
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    previous = node.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)
