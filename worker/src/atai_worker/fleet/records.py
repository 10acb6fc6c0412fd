"""What the fleet state backends share: a claim on a model slot and the answer to it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """One waiting model call asking for a slot: its token, its fair-share tag and its site's own limits."""

    token: str
    tag: float
    site_id: str
    site_max_in_flight: int | None = None
    site_rate_per_minute: int | None = None


@dataclass(frozen=True)
class Grant:
    """The answer to an acquire: the tokens that got a slot, how many slots are still free, and the sites
    whose claims their own limits held back (site id -> seconds until its rate limit lets one more call
    start, or None when its calls in flight are at its maximum)."""

    tokens: tuple[str, ...]
    free: int
    held_back: dict[str, float | None]
