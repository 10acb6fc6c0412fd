"""The data that flows through the worker: Entry (what the source said) and Draft (what we propose to post)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; two links that differ only in them are the same item.
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


def normalize_link(link: str) -> str:
    """Lower-case scheme and host, drop the fragment, tracking parameters and a trailing slash."""
    parts = urlsplit(link.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING_PARAMS)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def item_key(feed_id: int, guid: str | None, link: str | None, title: str = "", content: str = "") -> str:
    """The ledger key: sha256 of the feed id and the entry's identity (guid, else normalized link, else title+content)."""
    if guid and guid.strip():
        identity = "guid:" + guid.strip()
    elif link and link.strip():
        identity = "link:" + normalize_link(link)
    else:
        identity = "text:" + hashlib.sha256((title + "\n" + content).encode()).hexdigest()
    return hashlib.sha256(f"{feed_id}\n{identity}".encode()).hexdigest()


@dataclass(frozen=True)
class Image:
    url: str
    alt: str = ""


@dataclass(frozen=True)
class Entry:
    """One item of a feed, normalized. Stages return changed copies (dataclasses.replace)."""

    feed_id: int
    feed_url: str
    key: str
    guid: str | None
    link: str | None
    title: str  # plain text
    published: str | None = None  # ISO 8601, UTC
    author: str | None = None
    summary: str = ""  # HTML
    content_html: str = ""  # HTML: content:encoded / atom content / extracted article
    categories: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    language: str | None = None
    base_url: str | None = None  # what relative URLs in summary/content resolve against (xml:base, else the link)
    updated: str | None = None  # ISO 8601, UTC: when the source says the entry last changed

    def replace(self, **changes) -> "Entry":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Entry":
        data = dict(data)
        data["categories"] = tuple(data.get("categories") or ())
        data["images"] = tuple(Image(**i) for i in data.get("images") or ())
        return cls(**data)


def source_hash(entry: Entry) -> str:
    """sha256 of the entry as the feed gave it: a different hash later means the source changed."""
    parts = (entry.title, entry.summary, entry.content_html, entry.updated or "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Finding:
    """What a check noticed: a hold keeps the draft for review; the rest is shown beside the post."""

    code: str
    message: str
    hold: bool = False
    draft_text: str | None = None  # the words of the draft it is about, to highlight them
    source_text: str | None = None  # the source's words it compares them with, where there are any


@dataclass(frozen=True)
class Draft:
    """What we hand back for one Entry; field names are the contract's (contract/worker-api.json#Draft)."""

    key: str
    guid: str | None
    source_url: str | None
    source_title: str
    title: str
    content: str
    excerpt: str
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    image: dict | None = None  # the contract's Image (images.py)
    images: tuple[dict, ...] = ()
    published: str | None = None
    author: str | None = None
    updated: str | None = None
    slug: str = ""
    meta_description: str = ""
    source_hash: str = ""
    source_changed: bool = False
    rewritten: bool = False
    model: str | None = None
    usage: dict | None = None
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    hold: bool = False  # a finding holds the draft for review: it must not be published as it is
    identity: dict | None = None  # identity.Identity.to_dict(): what makes it the same story as another
    source_html: str | None = None  # sent for review: when held, or when the feed reviews every draft
    prompt: dict | None = None  # the preset and its version (prompts.Prompt.record)
    endpoint: str | None = None  # the AI endpoint's host, never its key
    relevance: dict | None = None  # the relevance pass's score and reason

    def replace(self, **changes) -> "Draft":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["tags"] = list(self.tags)
        data["categories"] = list(self.categories)
        data["images"] = list(self.images)
        data["findings"] = [dataclasses.asdict(f) for f in self.findings]
        return data
