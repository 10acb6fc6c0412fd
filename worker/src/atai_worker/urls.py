"""What counts as a web URL: one rule for every stage, so that they cannot disagree on "HTTPS://"."""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")


def is_web_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host name; the scheme's case does not matter."""
    return web_url(url) is not None


def web_url(url: str | None) -> str | None:
    """The URL with its scheme in lower case, or None unless it is an absolute http(s) URL with a host name.

    The scheme is lower-cased because the contract's URL fields match ^https?:// and a scheme is
    case-insensitive: "HTTPS://x" is a web URL, and goes out as "https://x".
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)  # lower-cases the scheme
        if parts.scheme not in WEB_SCHEMES or not parts.hostname:
            return None
    except ValueError:  # an unclosed IPv6 bracket, for one
        return None
    return parts.scheme + url[url.index(":"):]
