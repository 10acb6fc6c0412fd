"""Rule-based checks of an AI draft against its source, with findings a person can read.

A finding that holds (Finding.hold) is something that would embarrass the site: a changed number, date or
name, a claim the source does not make, a near-copy, a cut-off text, or something only an instruction
planted in the article could have put there. The draft then waits for review. Other findings are shown
beside the post. Both sides are sanitized HTML; each check lives in its own module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..models import Finding
from . import complete, faithful, leaks, original, supported
from .text import Document


@dataclass(frozen=True)
class CheckSettings:
    """Limits of the checks; the defaults were chosen on tests/fixtures/drafts (bench/trust_bench.py)."""

    copy_limit: float = 0.4  # share of the draft's 8-grams that may be the source's
    claim_hold_share: float = 0.75  # a sentence with this share of its content words not in the source is held
    claim_hold_words: int = 4  # ... if that is at least this many words
    claim_note_share: float = 0.6  # with this share (and three words), it is noted


DEFAULT_SETTINGS = CheckSettings()


def review(source_html: str, draft_html: str, *, source_title: str = "", draft_title: str = "",
           draft_excerpt: str = "", language: str | None = None, raw_content: str | None = None,
           finish_reason: str | None = None, allowed_links=(),
           settings: CheckSettings = DEFAULT_SETTINGS) -> list[Finding]:
    """Every finding of every check on a draft; `raw_content` is the model's HTML before sanitizing."""
    source = Document(source_html, title=source_title, language=language)
    draft = Document(draft_html, title=draft_title, excerpt=draft_excerpt, language=language)
    # What a planted instruction says supports nothing in the draft.
    planted = leaks.instruction_blocks(source)
    clean = source.without(planted)
    findings = complete.check(draft, source=source, raw_html=raw_content, finish_reason=finish_reason)
    facts = faithful.check(clean, draft)
    claims = supported.check(clean, draft, hold_share=settings.claim_hold_share,
                             note_share=settings.claim_note_share, hold_words=settings.claim_hold_words)
    findings += facts + _two_signs(claims, facts)
    findings += original.check(source, draft, limit=settings.copy_limit)
    findings += leaks.check(source, clean, draft, planted=planted, allowed_links=set(allowed_links))
    return findings


def _two_signs(claims: list[Finding], facts: list[Finding]) -> list[Finding]:
    """A sentence noted for its words that also carries a count the source lacks holds: two signs, one place."""
    notes = [f for f in facts if not f.hold and f.draft_text]
    upgraded = []
    for claim in claims:
        if not claim.hold and any(note.draft_text in claim.draft_text for note in notes):
            claim = replace(claim, hold=True, message=claim.message.replace(
                "checks: this sentence of the draft may go beyond the source:",
                "checks: the draft says something the source does not:", 1))
        upgraded.append(claim)
    return upgraded


def held(findings) -> bool:
    """Whether any finding holds the draft for review."""
    return any(finding.hold for finding in findings)
