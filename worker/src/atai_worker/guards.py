"""Checks on a Draft against the entry it came from, before it is stored.

A failed check is a GuardError and the item gets no draft (no title, no text). A rewritten draft then goes
through the trust checks (checks/): what would embarrass the site holds it (Draft.hold; the plugin keeps it
for review), and everything else a guard repairs or merely notices travels on the Draft as a finding, so
the site owner sees it next to the post.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import lxml.html

from . import checks
from .errors import GuardError
from .models import Draft, Finding
from .sanitize import plain_text, text_start

TITLE_MAX = 300
# A rewrite much shorter than its source may have left things out: worth a note, not a hold (issue 10).
MIN_REWRITE_RATIO = 0.3
# No web page was published before 1991; a later date than now would make WordPress schedule the post.
EARLIEST_PUBLISHED = datetime(1991, 1, 1, tzinfo=timezone.utc)


def check_draft(draft: Draft, source_html: str, *, language: str | None = None, raw_content: str | None = None,
                finish_reason: str | None = None,
                settings: checks.CheckSettings = checks.DEFAULT_SETTINGS) -> Draft:
    """Return the draft with its title trimmed, added links removed and findings noted; raise GuardError if unusable.

    A rewritten draft is also checked against its source (checks.review); `raw_content` is the model's HTML
    before sanitizing and `finish_reason` the endpoint's, so a cut-off answer is held whatever it says.
    """
    findings = list(draft.findings)
    title = re.sub(r"\s+", " ", plain_text(draft.title)).strip()
    if not title:
        raise GuardError("guards: the draft has no title", code="title_empty", retryable=draft.rewritten)
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
        findings.append(Finding("title_trimmed", f"guards: the title was longer than {TITLE_MAX} characters and was cut"))

    content = draft.content
    # The whole text is needed only to compare a rewrite with its source; otherwise its start tells.
    draft_text = plain_text(content) if draft.rewritten else text_start(content, 0)
    if not draft_text:
        raise GuardError("guards: the draft has no text", code="content_empty", retryable=draft.rewritten)

    hold = False
    if draft.rewritten:
        # Before the added links are taken out: a link the model added is itself a reason to hold.
        trust = checks.review(source_html, content, source_title=draft.source_title, draft_title=title,
                              draft_excerpt=draft.excerpt, language=language, raw_content=raw_content,
                              finish_reason=finish_reason, allowed_links=[draft.source_url or ""], settings=settings)
        findings += trust
        hold = checks.held(trust)
        source_length = len(plain_text(source_html).strip())
        if len(draft_text) < MIN_REWRITE_RATIO * source_length:
            findings.append(Finding(
                "content_short", f"guards: the rewritten text is much shorter than the original ({len(draft_text)} of "
                                 f"{source_length} characters)"))
        allowed = set(links(source_html))
        if draft.source_url:
            allowed.add(draft.source_url)
        content, removed = remove_links(content, allowed)
        if removed:
            findings.append(Finding("links_removed", f"guards: removed {removed} link(s) the model added that the "
                                                     "original did not have"))
        dropped = [src for src in images(source_html) if src not in set(images(content))]
        if dropped:
            findings.append(Finding("images_dropped", f"guards: the rewrite dropped {len(dropped)} image(s) of the "
                                                      "original: " + ", ".join(dropped[:5])))
    published, finding = clamped_published(draft.published)
    if finding:
        findings.append(finding)
    return draft.replace(title=title, content=content, published=published, findings=tuple(findings), hold=hold)


def clamped_published(published: str | None, now: datetime | None = None) -> tuple[str | None, Finding | None]:
    """The publish date inside [1991, now], and a finding when it had to be moved there."""
    if not published:
        return published, None
    moment = datetime.fromisoformat(published)
    now = now or datetime.now(timezone.utc)
    if moment < EARLIEST_PUBLISHED:
        return EARLIEST_PUBLISHED.isoformat(), Finding(
            "published_clamped", f"guards: the publish date {moment.date().isoformat()} is before "
                                 f"{EARLIEST_PUBLISHED.year}, when no web page existed; "
                                 f"{EARLIEST_PUBLISHED.date().isoformat()} is used instead")
    if moment > now:
        return now.replace(microsecond=0).isoformat(), Finding(
            "published_clamped", f"guards: the publish date {moment.date().isoformat()} is in the future; "
                                 "the time of the import is used instead")
    return published, None


def _fragment(markup: str):
    return lxml.html.fragment_fromstring(markup or "", create_parent="div")


def links(markup: str) -> list[str]:
    """The href of every link in an HTML fragment, in order."""
    return [a.get("href").strip() for a in _fragment(markup).iter("a") if a.get("href")]


def images(markup: str) -> list[str]:
    """The src of every image in an HTML fragment, in order."""
    return [img.get("src").strip() for img in _fragment(markup).iter("img") if img.get("src")]


def remove_links(markup: str, allowed: set[str]) -> tuple[str, int]:
    """Unwrap links whose href is not in `allowed` (their text stays); returns the HTML and how many."""
    root = _fragment(markup)
    added = [a for a in root.iter("a") if a.get("href") and a.get("href").strip() not in allowed]
    if not added:
        return markup, 0
    for anchor in added:
        anchor.drop_tag()
    body = html.escape(root.text or "", quote=False)
    body += "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return body, len(added)
