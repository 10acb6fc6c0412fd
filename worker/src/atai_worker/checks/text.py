"""One side of a comparison (the source or the draft) read once: blocks, sentences, words and links."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import lxml.html

from . import words as W

BLOCK_TAGS = frozenset({"p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                        "td", "th", "caption", "figcaption", "ul", "ol", "dl", "table", "tr", "figure",
                        "section", "article"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Letters only (numbers are read by numbers.py); an apostrophe or hyphen may join parts: O'Brien, Jean-Luc.
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# The same for a text in ASCII, where it is faster: most texts are.
_ASCII_WORD = re.compile(r"[a-zA-Z]+(?:['\-][a-zA-Z]+)*")
# Every run of letters or digits: the units of the 8-grams (original.py).
TOKEN = re.compile(r"\w+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
# "smith's", "jones'": starting at the apostrophe, the search skips to each one at once.
_POSSESSIVE = re.compile(r"'(?:(?<=\w')s\b|(?<=s')(?!\w))")

# A sentence ends at . ! ? or … followed by space and what can start a sentence; "Mr. Smith",
# "U.S. officials" and "J. K. Rowling" do not end one.
# The match starts at the mark, so that the search skips to each mark at once; the sentence ends after it.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"'“‘«(\[¿¡]?[\w])")
_ABBREVIATIONS = frozenset("""mr mrs ms dr st jr sr prof gen gov sen rep lt col capt sgt inc ltd co corp vs no nos
jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e etc approx est fig dept univ ave u.s u.k u.n e.u mt ft
m mme mlle sra srta dres nr bzw""".split())


class cached_property:  # noqa: N801 (named as the one in functools it stands in for)
    """functools.cached_property without its lock: the lock costs more than most of what is cached here."""

    def __init__(self, function):
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


def fold(text: str) -> str:
    """Lower case, typographic apostrophes made plain, diacritics dropped: 'Zürich’s' -> "zurich's"."""
    if text.isascii():
        return text.lower()
    text = text.casefold().replace("’", "'").replace("‘", "'").replace("ʼ", "'")
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def folded_words(folded: str) -> list[str]:
    """The words of a folded text, possessives dropped ("smith's" -> "smith")."""
    text = _POSSESSIVE.sub("", folded) if "'" in folded else folded
    return (_ASCII_WORD if text.isascii() else WORD).findall(text)


def strip_possessive(word: str) -> str:
    """'Smith's' and 'Jones'' -> 'Smith', 'Jones'."""
    if not word.endswith(("s", "'", "’")):
        return word
    for ending in ("'s", "’s", "'", "’"):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            return word[: -len(ending)]
    return word


# Words that carry no claim of their own: a sentence is judged by the rest.
NOT_CONTENT = W.FUNCTION_WORDS | W.GENERIC_WORDS | frozenset(W.MONTHS) | frozenset(W.WEEKDAYS) \
    | frozenset(W.CARDINALS) | frozenset(W.ORDINALS) | frozenset(W.WEAK_NUMBER_WORDS) | frozenset(W.SCALES) | W.TITLES


# Words left out when telling one number from another by the words around it.
NOT_AROUND = W.FUNCTION_WORDS | frozenset(W.CARDINALS) | frozenset(W.ORDINALS) | frozenset(W.WEAK_NUMBER_WORDS) \
    | frozenset(W.SCALES)


def content_words(text: str) -> list[str]:
    """The folded words of a text that carry its meaning, each part of a hyphenated word apart."""
    return _meaningful(folded_words(fold(text)), NOT_CONTENT)


def _meaningful(words: list[str], leave_out: frozenset[str]) -> list[str]:
    found = []
    for word in words:
        for part in word.split("-") if "-" in word else (word,):
            if len(part) >= 3 and part not in leave_out:
                found.append(part)
    return found


def stem(word: str) -> str:
    """A crude stem that works across our languages: the first six letters, or the word less its ending."""
    if len(word) >= 7:
        return word[:6]
    if len(word) >= 5:
        return word[:-1]
    if len(word) == 4 and word.endswith("s"):
        return word[:-1]
    return word


def prefixes(words) -> set[str]:
    """Every 3- to 6-letter prefix of the words: what stem() looks words up by."""
    found: set[str] = set()
    for word in words:
        if len(word) >= 3:
            found.update((word[:3], word[:4], word[:5], word[:6]))  # a shorter word is its own longer prefixes
    return found


def split_sentences(text: str) -> list[str]:
    """Sentences of one block of text."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + 1
        before = text[start:end].rstrip("\"'”’»)]")
        last = before.rsplit(None, 1)[-1] if before.strip() else ""
        word = last.rstrip(".").lower()
        if last.endswith(".") and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue
        sentences.append(text[start:end].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


# A quotation in any of the usual marks; straight quotes pair up in order. Each starts with its mark (a ‘ not
# after a letter, looked back for), so that the search skips to the next mark at once.
_QUOTE_SPAN = re.compile(r'“[^”]*”|«[^»]*»|„[^“”]*[“”]|"[^"]*"|‘(?<!\w‘)[^’]*’(?![\w])|「[^」]*」')


def outside_quotations(text: str) -> list[str]:
    """The pieces of a block that are not inside quotation marks."""
    pieces, start = [], 0
    for match in _QUOTE_SPAN.finditer(text):
        pieces.append(text[start:match.start()])
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


@dataclass(frozen=True)
class Block:
    """A paragraph, heading, list item or cell: its text and where it sits."""

    tag: str
    text: str
    quoted: bool = False  # inside a <blockquote>
    links: tuple[str, ...] = ()  # targets of the links in it

    @property
    def heading(self) -> bool:
        return self.tag in HEADING_TAGS or self.tag == "title"

    @cached_property
    def folded(self) -> str:
        return fold(self.text)


@dataclass
class Sentence:
    """One sentence, folded and split into words as it is made: every check reads them."""

    text: str
    block: int
    heading: bool
    quoted: bool
    folded: str = field(init=False)
    word_list: list[str] = field(init=False)  # its folded words in order, possessives dropped
    words: frozenset[str] = field(init=False)  # the same as a set

    def __post_init__(self):
        self.folded = fold(self.text)
        self.word_list = folded_words(self.folded)
        self.words = frozenset(self.word_list)

    @cached_property
    def context(self) -> frozenset[str]:
        """Its words of more than two letters that are not function words: what it is about."""
        return frozenset(w for w in self.words if len(w) > 2 and w not in W.FUNCTION_WORDS)

    @cached_property
    def content(self) -> list[str]:
        """Its content words (content_words)."""
        return _meaningful(self.word_list, NOT_CONTENT)

    @cached_property
    def content_prefixes(self) -> set[str]:
        """The 3- to 6-letter prefixes of its content words."""
        return prefixes(self.content)

    @cached_property
    def unit_words(self) -> list[str]:
        """The words that tell what its numbers count: content words and units ("years", "votes")."""
        return _meaningful(self.word_list, NOT_AROUND)

    @cached_property
    def unit_stems(self) -> set[str]:
        """The stems of its unit_words."""
        return {stem(word) for word in self.unit_words}

    @cached_property
    def unit_prefixes(self) -> set[str]:
        """The 3- to 6-letter prefixes of its unit_words."""
        return prefixes(self.unit_words)


class Document:
    """The title, HTML and excerpt of one side, read once; the checks share what it computes."""

    def __init__(self, html: str, *, title: str = "", excerpt: str = "", language: str | None = None):
        self.html = html or ""
        self.language = (language or "").lower()[:2]
        self.links: list[str] = []  # every link target, also of links without text
        self.body_blocks = _blocks(self.html, self.links)
        self.blocks = ([Block("title", " ".join(title.split()))] if title.strip() else []) + self.body_blocks + \
                      ([Block("excerpt", " ".join(excerpt.split()))] if excerpt.strip() else [])

    def without(self, indices: set[int]) -> "Document":
        """The same document less some of its blocks (and their links)."""
        if not indices:
            return self
        other = Document("", language=self.language)
        dropped = [self.blocks[i] for i in indices]
        other.blocks = [block for i, block in enumerate(self.blocks) if i not in indices]
        other.body_blocks = [block for block in self.body_blocks if block not in dropped]
        gone = {link for block in dropped for link in block.links}
        other.links = [link for link in self.links if link not in gone]
        return other

    @cached_property
    def sentences(self) -> list[Sentence]:
        return [Sentence(text, index, block.heading, block.quoted)
                for index, block in enumerate(self.blocks) for text in split_sentences(block.text)]

    @cached_property
    def text(self) -> str:
        """All blocks' text, one line each."""
        return "\n".join(block.text for block in self.blocks)

    @cached_property
    def folded(self) -> str:
        """All blocks' text folded, one line each."""
        return "\n".join(block.folded for block in self.blocks)

    @cached_property
    def words(self) -> set[str]:
        """Every folded word, possessives dropped, and each part of a hyphenated one."""
        found = set().union(*(sentence.words for sentence in self.sentences))
        for word in [w for w in found if "-" in w]:
            found.update(word.split("-"))
        return found

    @cached_property
    def capitalises_nouns(self) -> bool:
        """German capitalises every noun: a capital alone then says little about a name."""
        return (self.language or guess_language(self.sentences[:30])) == "de"


# The commonest words of each language we have word lists for; enough to tell them apart in a paragraph.
_MARKERS = {
    "en": frozenset("the and of to is was that with for on are have has".split()),
    "de": frozenset("der die das und ist nicht mit den von zu sich auf dem ein eine".split()),
    "fr": frozenset("le la les et est des une dans pour que qui sur du au".split()),
    "es": frozenset("el la los las y es del una que en por con para se".split()),
}


def guess_language(sentences: list[Sentence]) -> str:
    """The language whose commonest words the most of these sentences use."""
    counts = {language: sum(len(s.words & markers) for s in sentences) for language, markers in _MARKERS.items()}
    return max(counts, key=counts.get) if any(counts.values()) else ""


def _blocks(html: str, links: list[str]) -> list[Block]:
    """The text blocks of an HTML fragment, in order; collects link targets into `links`."""
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks: list[Block] = []
    parts: list[str] = []
    block_links: list[str] = []
    state = {"tag": "p", "quoted": False}

    def flush() -> None:
        text = " ".join("".join(parts).split())
        parts.clear()
        if text:
            blocks.append(Block(state["tag"], text, state["quoted"], tuple(block_links)))
        block_links.clear()

    def walk(element, quoted: bool) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "a" and element.get("href"):
            links.append(element.get("href").strip())
            block_links.append(links[-1])
        is_block = tag in BLOCK_TAGS
        if is_block:
            flush()
            quoted = quoted or tag == "blockquote"
            state["tag"], state["quoted"] = tag, quoted
        elif tag == "br":
            parts.append(" ")
        if element.text and tag:
            parts.append(element.text)
        for child in element:
            walk(child, quoted)
            if child.tail:
                if child.tag in BLOCK_TAGS:
                    flush()
                    state["tag"], state["quoted"] = ("p", quoted)
                parts.append(child.tail)
        if is_block:
            flush()
            state["tag"], state["quoted"] = ("p", quoted)

    walk(root, False)
    flush()
    return blocks
