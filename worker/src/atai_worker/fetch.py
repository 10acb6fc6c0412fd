"""Fetch stage: get feeds and article pages over HTTP without letting a feed reach into our network.

Every URL (and every redirect hop) is resolved once, its addresses are checked, and the
connection goes to the address we checked, so DNS cannot answer differently between the check
and the connection. Private, loopback, link-local and other non-public addresses are refused
unless the site owner lists the host in ATAI_ALLOWED_HOSTS.
"""

from __future__ import annotations

import datetime
import email.utils
import http.cookiejar
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import certifi
import httpx

from .errors import FetchError
from .settings import allowed_host
from .urls import WEB_SCHEMES

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
# Statuses whose Retry-After says when to ask again (RFC 9110 10.2.3).
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
                "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_IMAGE_ACCEPT = "image/avif, image/webp, image/jpeg, image/png, image/gif;q=0.9, */*;q=0.5"
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The first check that matches names the kind of address in the refusal message.
_ADDRESS_KINDS = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_private", "a private"),
    ("is_reserved", "a reserved"),
)


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL, after redirects
    status: int
    body: bytes  # b"" when not_modified
    etag: str | None
    last_modified: str | None
    content_type: str | None
    not_modified: bool = False
    # Where the feed moved for good: the URL reached by the 301/308 hops that start the redirect chain.
    permanent_redirect: str | None = None


class Fetcher:
    """One HTTP client for the worker: timeouts, size cap, conditional GET and address checks."""

    def __init__(self, *, allowed_hosts: Iterable[str] = (), timeout: float = 20.0,
                 max_bytes: int = 20_000_000, user_agent: str = "AutomationTools.AI-worker/0.1",
                 verify: ssl.SSLContext | None = None):
        """verify: the TLS context that checks certificates; by default the certifi CA bundle."""
        if isinstance(allowed_hosts, str):
            allowed_hosts = allowed_hosts.split(",")
        # (host, port or None): a host as a URL writes it, never an address it resolves to, so allowing
        # 127.0.0.1 does not allow localhost, nor another name a feed points at 127.0.0.1.
        self._allowed = frozenset(
            (_normalize_host(host), port) for host, port in (allowed_host(h) for h in allowed_hosts if h.strip()))
        self._timeout = float(timeout)
        # Connecting is quick or hopeless; reading a large feed may legitimately take longer.
        self._connect_timeout = min(5.0, self._timeout / 2)
        self._max_bytes = int(max_bytes)
        self._client = httpx.Client(
            transport=_PinnedTransport(verify or ssl.create_default_context(cafile=certifi.where())),
            # Only the codings _BodyDecoder undoes, whatever compression libraries happen to be installed.
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # each hop is checked before we follow it
            trust_env=False,  # a proxy from the environment would bypass the address checks
            cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
        )

    def allows(self, url: str) -> bool:
        """True when ATAI_ALLOWED_HOSTS names the URL's host (as written) and port, so a private address is let through."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            return False
        return self._host_allowed(parsed)

    def _host_allowed(self, url: httpx.URL) -> bool:
        host = _normalize_host(url.host)
        port = url.port or (443 if url.scheme == "https" else 80)
        return (host, None) in self._allowed or (host, port) in self._allowed

    def close(self) -> None:
        """Close the connection pools."""
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def fetch_feed(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET a feed, conditionally when etag/last_modified from the previous fetch are given."""
        headers = {"Accept": _FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._get(url, headers, previous_etag=etag, previous_last_modified=last_modified)

    def fetch_page(self, url: str) -> FetchResult:
        """GET an article page."""
        return self._get(url, {"Accept": _PAGE_ACCEPT})

    def fetch_image(self, url: str) -> FetchResult:
        """GET an image (its bytes are checked by image_check, not by what the server calls them)."""
        return self._get(url, {"Accept": _IMAGE_ACCEPT})

    # -----------------------------------------------------------------------------------------

    def _get(self, url: str, headers: dict[str, str], *, previous_etag: str | None = None,
             previous_last_modified: str | None = None) -> FetchResult:
        deadline = time.monotonic() + self._timeout
        first = current = _parse_url(url)
        moved_to: httpx.URL | None = None
        only_permanent = True
        for _hop in range(MAX_REDIRECTS + 1):
            addresses = self._checked_addresses(current, redirected_from=None if current is first else first)
            response, timeouts = self._open(current, addresses, headers, deadline)
            try:
                location = response.headers.get("Location")
                if response.status_code in _REDIRECT_STATUSES and location:
                    current = _redirect_target(current, location)
                    only_permanent = only_permanent and response.status_code in _PERMANENT_REDIRECTS
                    moved_to = current if only_permanent else moved_to
                    continue
                permanent_redirect = str(moved_to) if moved_to is not None and moved_to != first else None
                if response.status_code == 304:
                    return FetchResult(
                        url=str(current), status=304, body=b"",
                        etag=response.headers.get("ETag") or previous_etag,
                        last_modified=response.headers.get("Last-Modified") or previous_last_modified,
                        content_type=response.headers.get("Content-Type"), not_modified=True,
                        permanent_redirect=permanent_redirect,
                    )
                if not 200 <= response.status_code < 300:
                    raise _status_error(current, response)
                body = self._read_body(response, timeouts, current, deadline)
                return FetchResult(
                    url=str(current), status=response.status_code, body=body,
                    etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
                    content_type=response.headers.get("Content-Type"), not_modified=False,
                    permanent_redirect=permanent_redirect,
                )
            finally:
                response.close()
        raise FetchError(f"fetch: more than {MAX_REDIRECTS} redirects starting at {_display(first)}",
                         code="too_many_redirects", retryable=False,
                         params={"redirects": MAX_REDIRECTS, "url": _display(first)})

    def _checked_addresses(self, url: httpx.URL, *, redirected_from: httpx.URL | None) -> list[IPAddress]:
        """The addresses we may connect to for url, in resolver order; refuses when there are none."""
        host = _normalize_host(url.host)
        host_allowed = self._host_allowed(url)
        resolved = _resolve(url)
        permitted = [address for address in resolved if host_allowed or _non_public_kind(address) is None]
        if permitted:
            return permitted
        address = resolved[0]
        kind = _non_public_kind(address)
        subject = f"{address} is" if host == str(address) else f"{url.host} resolves to {address},"
        via = f" (redirected from {_display(redirected_from)})" if redirected_from else ""
        raise FetchError(
            f"fetch: refused to fetch {_display(url)}{via}: {subject} {kind} address "
            f"(add the host to ATAI_ALLOWED_HOSTS to allow it)",
            code="blocked_address", retryable=False,
            params={"url": _display(url), "address": str(address)},
        )

    def _open(self, url: httpx.URL, addresses: list[IPAddress], headers: dict[str, str],
              deadline: float) -> tuple[httpx.Response, dict]:
        """Send the request to the first address that accepts a connection; the body is not read yet."""
        last_error: httpx.ConnectError | None = None
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            timeout = httpx.Timeout(min(self._timeout, remaining), connect=min(self._connect_timeout, remaining))
            extensions = {}
            if url.scheme == "https" and not _is_ip_literal(url.host):
                # Connect to the checked IP, but present and verify the certificate for the real name.
                extensions["sni_hostname"] = url.host
            request = self._client.build_request(
                "GET", url.copy_with(host=str(address)),
                headers={**headers, "Host": url.netloc.decode("ascii")},
                timeout=timeout, extensions=extensions,
            )
            try:
                return self._client.send(request, stream=True), request.extensions["timeout"]
            except httpx.ConnectError as exc:
                last_error = exc  # try the next address, as a browser would
            except httpx.TimeoutException as exc:
                raise _timeout_error(url, self._timeout) from exc
            except httpx.HTTPError as exc:
                raise _connection_error(url, exc) from exc
        if last_error is None:
            raise _timeout_error(url, self._timeout)
        raise _connection_error(url, last_error) from last_error

    def _read_body(self, response: httpx.Response, timeouts: dict, url: httpx.URL, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchError(
                f"fetch: {_display(url)} is {_megabytes(int(declared))}, over the "
                f"{_megabytes(self._max_bytes)} limit (ATAI_FETCH_MAX_BYTES)",
                code="too_large", retryable=False,
            )
        decoder = _BodyDecoder(response.headers.get("Content-Encoding", ""), self._max_bytes, url)
        chunks = []
        try:
            # Raw bytes, decoded here: httpx would inflate each chunk whole before we could count it.
            for raw in response.iter_raw():
                chunks.append(decoder.decode(raw))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _timeout_error(url, self._timeout)
                # httpcore reads this mapping before every socket read: a server that stops
                # sending mid-body is cut off at the deadline, not a full read timeout later.
                timeouts["read"] = min(timeouts.get("read") or remaining, remaining)
            chunks.append(decoder.finish())
        except httpx.TimeoutException as exc:
            raise _timeout_error(url, self._timeout) from exc
        except httpx.HTTPError as exc:
            raise _connection_error(url, exc) from exc
        return b"".join(chunks)


class _BodyDecoder:
    """Undoes at most one content coding, counting decoded bytes against the cap as they are produced.

    Each piece is inflated with an output limit of what is left under the cap, so a compression bomb
    stops after at most the cap, never after one whole chunk's worth of expansion. A second coding on top
    of the first (gzip, gzip) would multiply the ratio again; no server needs one, so it is refused.
    """

    _WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}

    def __init__(self, content_encoding: str, max_bytes: int, url: httpx.URL):
        self._url = url
        self._max_bytes = max_bytes
        self._raw_size = 0
        self._size = 0
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise FetchError(f"fetch: {_display(url)} is compressed more than once (Content-Encoding: "
                             f"{', '.join(codings)}); only one content coding is accepted",
                             code="decoding_failed", retryable=False)
        self._coding = codings[0] if codings else None
        if self._coding is not None and self._coding not in self._WBITS:
            raise FetchError(f"fetch: {_display(url)} uses the content coding '{self._coding[:40]}', which is not "
                             f"supported (only gzip and deflate are)", code="decoding_failed", retryable=False)
        self._inflater = zlib.decompressobj(self._WBITS[self._coding]) if self._coding else None
        self._started = False

    def decode(self, raw: bytes) -> bytes:
        """The decoded bytes of one raw piece; FetchError once the cap is passed."""
        self._raw_size += len(raw)
        if self._raw_size > self._max_bytes:
            raise self._too_large()
        if self._inflater is None:
            return self._counted(raw)
        try:
            try:
                data = self._inflater.decompress(raw, self._room())
            except zlib.error:
                if self._coding != "deflate" or self._started:
                    raise
                # Some servers send raw deflate without the zlib header HTTP asks for.
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                data = self._inflater.decompress(raw, self._room())
        except zlib.error as exc:
            raise self._undecodable(exc) from exc
        self._started = True
        if self._inflater.unconsumed_tail:
            raise self._too_large()  # the output limit was reached with input left over
        return self._counted(data)

    def finish(self) -> bytes:
        """What the inflater still holds, once the body has ended."""
        if self._inflater is None:
            return b""
        try:
            return self._counted(self._inflater.flush(self._room()))
        except zlib.error as exc:
            raise self._undecodable(exc) from exc

    def _room(self) -> int:
        return self._max_bytes - self._size + 1  # one byte more than allowed tells that the cap was passed

    def _counted(self, data: bytes) -> bytes:
        self._size += len(data)
        if self._size > self._max_bytes:
            raise self._too_large()
        return data

    def _too_large(self) -> FetchError:
        return FetchError(f"fetch: {_display(self._url)} sent more than the {_megabytes(self._max_bytes)} limit "
                          f"(ATAI_FETCH_MAX_BYTES); stopped reading", code="too_large", retryable=False)

    def _undecodable(self, exc: Exception) -> FetchError:
        return FetchError(f"fetch: could not decode the compressed response from {_display(self._url)}: {exc}",
                          code="decoding_failed")


class _PinnedTransport(httpx.BaseTransport):
    """Connection pools keyed by TLS server name.

    Requests go to an IP address rather than a name, and httpcore pools connections by address:
    one pool for every name could hand an https request for one site a connection whose
    certificate was verified for another site on the same address.
    """

    _MAX_NAMED_POOLS = 64

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        # One certificate store for all pools; loading it is the expensive part of a pool.
        self._ssl_context = ssl_context
        self._shared = httpx.HTTPTransport(verify=self._ssl_context)
        self._named: OrderedDict[str, httpx.HTTPTransport] = OrderedDict()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._pool_for(request.extensions.get("sni_hostname")).handle_request(request)

    def _pool_for(self, server_name: str | None) -> httpx.HTTPTransport:
        if not server_name:
            return self._shared
        with self._lock:
            pool = self._named.pop(server_name, None) or httpx.HTTPTransport(verify=self._ssl_context)
            self._named[server_name] = pool
            if len(self._named) > self._MAX_NAMED_POOLS:
                # Not closed: a request may still be using it; its sockets close when collected.
                self._named.popitem(last=False)
            return pool

    def close(self) -> None:
        with self._lock:
            pools = [self._shared, *self._named.values()]
            self._named.clear()
        for pool in pools:
            pool.close()


# ---------------------------------------------------------------------------------------------


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, AttributeError) as exc:
        raise FetchError(f"fetch: {url!r} is not a valid URL ({exc})", code="invalid_url", retryable=False) from exc
    return _checked_form(parsed, original=url)


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    try:
        target = current.join(location.strip())
    except httpx.InvalidURL as exc:
        raise FetchError(f"fetch: {_display(current)} redirected to an invalid URL ({exc})",
                         code="invalid_url", retryable=False) from exc
    return _checked_form(target, original=f"the redirect from {_display(current)} to {_display(target)}")


def _checked_form(url: httpx.URL, *, original: str) -> httpx.URL:
    if url.scheme not in WEB_SCHEMES:
        raise FetchError(f"fetch: refused to fetch {original}: only http and https URLs are fetched",
                         code="invalid_url", retryable=False)
    if url.userinfo:
        # Never echo the credentials: the message ends up in logs and in wp-admin.
        raise FetchError(
            f"fetch: refused to fetch {_display(url)}: URLs with a user name or password are not fetched",
            code="invalid_url", retryable=False,
        )
    if not url.host:
        raise FetchError(f"fetch: {original} has no host name", code="invalid_url", retryable=False)
    if url.port is not None and not 0 < url.port < 65536:
        raise FetchError(f"fetch: {original} has an invalid port", code="invalid_url", retryable=False)
    return url


def _resolve(url: httpx.URL) -> list[IPAddress]:
    host = url.host
    if _is_ip_literal(host):
        return [_unmapped(ipaddress.ip_address(host))]
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(url.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"fetch: could not resolve the host name {host} of {_display(url)}: {exc}",
                         code="connection_failed") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = _unmapped(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"fetch: the host name {host} of {_display(url)} has no address", code="connection_failed")
    return addresses


def _unmapped(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _non_public_kind(address: IPAddress) -> str | None:
    """How an address is not public ("a private", "a loopback", …), or None when it is public."""
    candidates = [address]
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address are judged by that address too.
        if address.sixtofour:
            candidates.append(address.sixtofour)
        if address.teredo:
            candidates.append(address.teredo[1])
        if address in _NAT64:
            candidates.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    for candidate in candidates:
        for attribute, kind in _ADDRESS_KINDS:
            if getattr(candidate, attribute):
                return kind
        if not candidate.is_global:
            return "a non-public"
    return None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _normalize_host(host: str) -> str:
    host = host.strip().lower().strip("[]").rstrip(".")
    try:
        return str(_unmapped(ipaddress.ip_address(host)))
    except ValueError:
        return host


def _display(url: httpx.URL) -> str:
    """The URL for messages: without user name, password or fragment."""
    return str(url.copy_with(userinfo=b"", fragment=None)) if url.userinfo or url.fragment else str(url)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _status_error(url: httpx.URL, response: httpx.Response) -> FetchError:
    """The error of an answer that is neither a success nor a redirect, with its status and any Retry-After."""
    status = response.status_code
    retry_after = retry_after_seconds(response.headers.get("Retry-After")) if status in _RETRY_AFTER_STATUSES else None
    wait = f" (it asks to wait {retry_after} s)" if retry_after is not None else ""
    return FetchError(f"fetch: got {status} from {_display(url)}{wait}", code="http_error",
                      retryable=status >= 500 or status in (408, 429), status=status, retry_after=retry_after,
                      # The site words "got {status} from {url}"; a wait it cannot word keeps the English text.
                      params={"status": status, "url": _display(url)} if retry_after is None else None)


def retry_after_seconds(value: str | None, now: float | None = None) -> int | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now; None when absent or unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        return int(value[:9])
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return max(0, int(moment.timestamp() - (time.time() if now is None else now)))


def _timeout_error(url: httpx.URL, seconds: float) -> FetchError:
    return FetchError(f"fetch: {_display(url)} did not answer in full within {seconds:g} s (ATAI_FETCH_TIMEOUT)",
                      code="timeout", params={"url": _display(url), "seconds": seconds})


def _connection_error(url: httpx.URL, exc: Exception) -> FetchError:
    reason = str(exc) or type(exc).__name__
    return FetchError(f"fetch: could not get {_display(url)}: {reason}", code="connection_failed",
                      params={"url": _display(url), "reason": reason})
