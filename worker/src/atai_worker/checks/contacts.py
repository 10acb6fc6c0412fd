"""Web addresses, e-mail addresses and phone numbers written in text (links are read from the markup)."""

from __future__ import annotations

import re

URL = re.compile(r"\bhttps?://[^\s<>\"'“”»)\]]+|\bwww\.[^\s<>\"'“”»)\]]+", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A bare domain: labels, then a common generic or any two-letter country ending ("example-shop.com").
DOMAIN = re.compile(r"(?<![\w@.\-/])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                    r"(?:com|org|net|edu|gov|int|info|biz|shop|store|online|site|xyz|news|blog|app|dev|io|ai|"
                    r"co|tv|me|[a-z]{2})(?![\w-])(?:/[^\s<>\"'“”»)\]]*)?", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w+.,])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){2,4}(?!\w|[.,]\d)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# Cheap signs that a text may hold a domain or a phone number; the full patterns run only then. Each starts
# at a dot or separator, which the search can skip to, and looks back for what comes before it.
_DOTTED = re.compile(r"\.(?<=\w\.)[a-zA-Z]{2}")
_GROUPED_DIGITS = re.compile(r"[ .-](?<=\d\d[ .-])\d{2,4}[ .-]\d")


def phones(text: str) -> list[str]:
    """Strings that read as phone numbers: 8 to 15 digits in groups, not a date and not a grouped amount."""
    found = []
    if not _GROUPED_DIGITS.search(text):
        return found
    for match in PHONE.finditer(text):
        raw = match.group(0)
        digits = re.sub(r"\D", "", raw)
        groups = re.split(r"[ .-]+", raw.lstrip("+"))
        if not 8 <= len(digits) <= 15 or _ISO_DATE.match(raw):
            continue
        if not raw.startswith(("+", "(")) and all(len(g) == 3 for g in groups[1:]):
            continue  # "12 500 000", "1.250.000": an amount with thousands separators
        found.append(raw)
    return found


def addresses(text: str) -> list[str]:
    """Every web address, domain, e-mail address and phone number in a text, as written."""
    found, rest = [], text
    if "http" in text or "www." in text:
        found += [m.group(0).rstrip(".,;:!?") for m in URL.finditer(text)]
        rest = URL.sub(" ", rest)
    if "@" in text:
        found += [m.group(0) for m in EMAIL.finditer(rest)]
        rest = EMAIL.sub(" ", rest)
    if _DOTTED.search(rest):
        found += [m.group(0).rstrip(".,;:!?") for m in DOMAIN.finditer(rest)]
    return found + phones(rest)


def address_key(address: str) -> str:
    """What two writings of one address share: no scheme, no www., lower case, digits only for a phone."""
    lowered = address.lower().strip()
    if re.fullmatch(r"[\d\s().+-]+", lowered):
        return re.sub(r"\D", "", lowered)[-9:]  # the same number with or without its country code
    lowered = re.sub(r"^(?:https?://)?(?:www\.)?", "", lowered)
    lowered = re.sub(r"^mailto:", "", lowered)
    return lowered.rstrip("/")
