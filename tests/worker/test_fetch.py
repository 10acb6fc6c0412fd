"""The fetch stage against a real HTTP server on 127.0.0.1: conditional GET, redirects, limits, refusals."""

from __future__ import annotations

import gzip
import socket
import ssl
import subprocess
import time
from email.utils import formatdate
from urllib.parse import quote

import pytest

from atai_worker.errors import FetchError
from atai_worker.fetch import MAX_REDIRECTS, Fetcher, FetchResult, retry_after_seconds
from tests.fakes.feed_server import FIXTURES_DIR as FIXTURES, FeedServer


RSS = "/files/feeds/rss20-cdata.xml"


@pytest.fixture
def fetcher():
    with Fetcher(allowed_hosts=["127.0.0.1"], timeout=5.0) as client:
        yield client


def _fetch_error(call, *args, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- plain fetches and conditional GET -----------------------------------------------------


def test_a_feed_is_fetched_with_its_validators(fetcher, feed_server):
    result = fetcher.fetch_feed(feed_server.url(RSS))

    assert isinstance(result, FetchResult)
    assert result.status == 200
    assert result.body == (FIXTURES / "feeds" / "rss20-cdata.xml").read_bytes()
    assert result.url == feed_server.url(RSS)
    assert result.etag and result.etag.startswith('"')
    assert result.last_modified and result.last_modified.endswith("GMT")
    assert result.content_type == "application/xml"
    assert result.not_modified is False
    [request] = feed_server.requests
    assert request["headers"]["User-Agent"] == "AutomationTools.AI-worker/0.1"
    assert "application/rss+xml" in request["headers"]["Accept"]
    assert "If-None-Match" not in request["headers"]


def test_an_unchanged_feed_costs_one_small_request_and_no_body(fetcher, feed_server):
    first = fetcher.fetch_feed(feed_server.url(RSS))
    second = fetcher.fetch_feed(feed_server.url(RSS), etag=first.etag, last_modified=first.last_modified)

    assert second.not_modified is True
    assert second.status == 304
    assert second.body == b""
    assert second.etag == first.etag
    assert second.last_modified == first.last_modified
    assert [r["status"] for r in feed_server.requests] == [200, 304]
    sent = feed_server.requests[1]["headers"]
    assert sent["If-None-Match"] == first.etag
    assert sent["If-Modified-Since"] == first.last_modified


def test_last_modified_alone_is_enough_for_a_304(fetcher, feed_server):
    first = fetcher.fetch_feed(feed_server.url(RSS))
    second = fetcher.fetch_feed(feed_server.url(RSS), last_modified=first.last_modified)

    assert second.not_modified is True
    assert second.last_modified == first.last_modified


def test_a_stale_etag_gets_the_full_body(fetcher, feed_server):
    result = fetcher.fetch_feed(feed_server.url(RSS), etag='"an-old-version"')

    assert result.not_modified is False
    assert result.status == 200
    assert result.body.startswith(b"<?xml")


def test_a_generated_feed_is_the_same_bytes_at_the_same_url(fetcher, feed_server):
    url = feed_server.url("/gen/stable.xml?items=20&image=1")
    first = fetcher.fetch_feed(url)
    again = fetcher.fetch_feed(url)
    unchanged = fetcher.fetch_feed(url, etag=first.etag)

    assert first.body == again.body
    assert first.etag == again.etag
    assert unchanged.not_modified is True


def test_content_encoding_is_undone(fetcher, feed_server):
    result = fetcher.fetch_feed(feed_server.url(RSS + "?encoding=gzip"))

    assert result.body == (FIXTURES / "feeds" / "rss20-cdata.xml").read_bytes()
    assert "gzip" in feed_server.requests[0]["headers"]["Accept-Encoding"]


def test_a_body_that_is_not_what_its_content_encoding_says_is_an_error(fetcher, feed_server):
    url = feed_server.url(RSS + "?encoding=broken")
    error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "decoding_failed"
    assert error.message.startswith(f"fetch: could not decode the compressed response from {url}: ")


def test_an_article_page_is_fetched_as_html(fetcher, feed_server):
    result = fetcher.fetch_page(feed_server.url("/gen/articles/page-2.html"))

    assert result.status == 200
    assert result.content_type.startswith("text/html")
    assert b"<article" in result.body
    assert feed_server.requests[0]["headers"]["Accept"].startswith("text/html")


def test_the_connection_goes_to_the_checked_address_with_the_real_host_name(feed_server):
    url = f"http://localhost:{feed_server.port}{RSS}"
    with Fetcher(allowed_hosts=["localhost"], timeout=5.0) as fetcher:
        result = fetcher.fetch_feed(url)

    assert result.url == url
    assert feed_server.requests[-1]["headers"]["Host"] == f"localhost:{feed_server.port}"


# --- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_followed_to_the_final_url(fetcher, feed_server, status):
    result = fetcher.fetch_feed(feed_server.url(f"/redirect?status={status}&to={quote(RSS)}"))

    assert result.status == 200
    assert result.url == feed_server.url(RSS)
    assert [r["status"] for r in feed_server.requests] == [status, 200]


@pytest.mark.parametrize(("status", "moved"), [(301, True), (308, True), (302, False), (303, False), (307, False)])
def test_only_a_permanent_redirect_says_where_the_feed_moved(fetcher, feed_server, status, moved):
    result = fetcher.fetch_feed(feed_server.url(f"/redirect?status={status}&to={quote(RSS)}"))

    assert result.permanent_redirect == (feed_server.url(RSS) if moved else None)
    assert fetcher.fetch_feed(feed_server.url(RSS)).permanent_redirect is None


def test_a_chain_has_moved_as_far_as_its_permanent_hops_go(fetcher, feed_server):
    temporary = f"/redirect?status=302&to={quote(RSS, safe='')}"
    permanent = f"/redirect?status=301&to={quote(temporary, safe='')}"
    result = fetcher.fetch_feed(feed_server.url(f"/redirect?status=308&to={quote(permanent, safe='')}"))
    after_temporary = fetcher.fetch_feed(feed_server.url(f"/redirect?status=302&to={quote(permanent, safe='')}"))

    assert result.url == feed_server.url(RSS)
    assert result.permanent_redirect == feed_server.url(temporary)
    assert after_temporary.permanent_redirect is None


def test_an_unchanged_feed_that_moved_says_so_too(fetcher, feed_server):
    first = fetcher.fetch_feed(feed_server.url(RSS))
    again = fetcher.fetch_feed(feed_server.url(f"/redirect?status=301&to={quote(RSS)}"), etag=first.etag)

    assert again.not_modified and again.permanent_redirect == feed_server.url(RSS)


def test_an_absolute_redirect_is_followed(fetcher, feed_server):
    target = feed_server.url(RSS)
    result = fetcher.fetch_feed(feed_server.url(f"/redirect?to={quote(target, safe='')}"))

    assert result.url == target
    assert result.body.startswith(b"<?xml")


def test_a_redirect_chain_longer_than_the_limit_is_refused(fetcher, feed_server):
    path = RSS
    for _ in range(MAX_REDIRECTS + 1):
        path = f"/redirect?to={quote(path, safe='')}"
    error = _fetch_error(fetcher.fetch_feed, feed_server.url(path))

    assert error.code == "too_many_redirects"
    assert error.message == f"fetch: more than {MAX_REDIRECTS} redirects starting at {feed_server.url(path)}"
    assert len(feed_server.requests) == MAX_REDIRECTS + 1


def test_a_redirect_to_another_scheme_is_refused(fetcher, feed_server):
    error = _fetch_error(fetcher.fetch_feed, feed_server.url("/redirect?to=file:///etc/passwd"))

    assert error.code == "invalid_url"
    assert "only http and https URLs are fetched" in error.message
    assert error.message.startswith("fetch: refused to fetch the redirect from ")


def test_a_redirect_hop_to_another_loopback_address_is_refused(fetcher, feed_server):
    target = "http://127.0.0.2:9/feed.xml"
    start = feed_server.url(f"/redirect?to={quote(target, safe='')}")
    error = _fetch_error(fetcher.fetch_feed, start)

    assert error.code == "blocked_address"
    assert error.retryable is False
    assert error.message == (
        f"fetch: refused to fetch {target} (redirected from {start}): 127.0.0.2 is a loopback address "
        "(add the host to ATAI_ALLOWED_HOSTS to allow it)"
    )
    assert [r["status"] for r in feed_server.requests] == [302]


def test_a_redirect_hop_to_an_allowed_loopback_alias_is_followed(feed_server):
    with FeedServer(host="127.0.0.2") as other:
        start = feed_server.url(f"/redirect?to={quote(other.url(RSS), safe='')}")
        with Fetcher(allowed_hosts=["127.0.0.1", "127.0.0.2"], timeout=5.0) as fetcher:
            result = fetcher.fetch_feed(start)
        assert [r["status"] for r in other.requests] == [200]

    assert result.url == other.url(RSS)


def test_a_redirect_hop_to_ipv6_loopback_is_refused(fetcher, feed_server):
    target = f"http://[::1]:{feed_server.port}{RSS}"
    error = _fetch_error(fetcher.fetch_feed, feed_server.url(f"/redirect?to={quote(target, safe='')}"))

    assert error.code == "blocked_address"
    assert f"refused to fetch {target} (redirected from " in error.message
    assert "::1 is a loopback address" in error.message
    assert [r["status"] for r in feed_server.requests] == [302]


def test_a_redirect_hop_to_allowed_ipv6_loopback_is_followed(feed_server):
    # Needs IPv6 on the loopback interface, as Linux has unless it is switched off.
    with FeedServer(host="::1") as ipv6_origin:
        start = feed_server.url(f"/redirect?to={quote(ipv6_origin.url(RSS), safe='')}")
        with Fetcher(allowed_hosts=["127.0.0.1", "::1"], timeout=5.0) as fetcher:
            result = fetcher.fetch_feed(start)
        assert len(ipv6_origin.requests) == 1

    assert result.url == ipv6_origin.url(RSS)
    assert result.body.startswith(b"<?xml")


# --- refusals ------------------------------------------------------------------------------


def test_a_private_address_is_refused_with_a_message_that_says_how_to_allow_it():
    with Fetcher() as fetcher:
        error = _fetch_error(fetcher.fetch_feed, "http://10.0.0.5/feed")

    assert error.code == "blocked_address"
    assert error.stage == "fetch"
    assert error.message == (
        "fetch: refused to fetch http://10.0.0.5/feed: 10.0.0.5 is a private address "
        "(add the host to ATAI_ALLOWED_HOSTS to allow it)"
    )


@pytest.mark.parametrize(("host", "shown", "kind"), [
    ("127.0.0.1", "127.0.0.1 is", "a loopback"),
    ("169.254.169.254", "169.254.169.254 is", "a link-local"),
    ("[::1]", "::1 is", "a loopback"),
    ("[fd12:3456::1]", "fd12:3456::1 is", "a private"),
    ("[fc00::7]", "fc00::7 is", "a private"),
    ("[fe80::1]", "fe80::1 is", "a link-local"),
    ("[::ffff:127.0.0.1]", "127.0.0.1 is", "a loopback"),
    ("[::ffff:192.168.1.20]", "192.168.1.20 is", "a private"),
    ("[2002:7f00:1::]", "2002:7f00:1:: is", "a loopback"),
    ("0.0.0.0", "0.0.0.0 is", "an unspecified"),
    ("224.0.0.251", "224.0.0.251 is", "a multicast"),
    ("192.168.0.1", "192.168.0.1 is", "a private"),
    ("localhost", "localhost resolves to 127.0.0.1,", "a loopback"),
    ("2130706433", "2130706433 resolves to 127.0.0.1,", "a loopback"),
])
def test_non_public_addresses_are_refused(feed_server, host, shown, kind):
    url = f"http://{host}:{feed_server.port}/files/feeds/rss091.xml"
    with Fetcher() as fetcher:
        error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "blocked_address"
    assert f": {shown} {kind} address (add the host to ATAI_ALLOWED_HOSTS to allow it)" in error.message
    assert feed_server.requests == []


def test_an_address_in_the_allowlist_may_be_given_in_any_form(feed_server):
    with Fetcher(allowed_hosts="127.0.0.1, example.invalid") as fetcher:
        result = fetcher.fetch_feed(f"http://[::ffff:127.0.0.1]:{feed_server.port}{RSS}")

    assert result.status == 200


@pytest.mark.parametrize(("url", "expected"), [
    ("ftp://127.0.0.1/feed.xml", "fetch: refused to fetch ftp://127.0.0.1/feed.xml: only http and https URLs are fetched"),
    ("file:///etc/passwd", "fetch: refused to fetch file:///etc/passwd: only http and https URLs are fetched"),
    ("http:///feed.xml", "fetch: http:///feed.xml has no host name"),
    ("http://[::1/feed", "fetch: 'http://[::1/feed' is not a valid URL"),
])
def test_urls_that_are_not_web_addresses_are_refused(url, expected):
    with Fetcher(allowed_hosts=["127.0.0.1"]) as fetcher:
        error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "invalid_url"
    assert error.retryable is False
    assert error.message.startswith(expected)


def test_credentials_in_a_url_are_refused_and_never_echoed(feed_server):
    with Fetcher(allowed_hosts=["127.0.0.1"]) as fetcher:
        error = _fetch_error(fetcher.fetch_feed, f"http://reader:hunter2@127.0.0.1:{feed_server.port}{RSS}")

    assert error.code == "invalid_url"
    assert error.message == (f"fetch: refused to fetch {feed_server.url(RSS)}: "
                             "URLs with a user name or password are not fetched")
    assert "hunter2" not in error.message and "reader" not in error.message
    assert feed_server.requests == []


# --- limits and failures -------------------------------------------------------------------


def test_a_body_larger_than_the_cap_is_refused_from_its_content_length(feed_server):
    url = feed_server.url("/big?bytes=500000")
    with Fetcher(allowed_hosts=["127.0.0.1"], max_bytes=100_000) as fetcher:
        error = _fetch_error(fetcher.fetch_page, url)

    assert error.code == "too_large"
    assert error.message == f"fetch: {url} is 0.5 MB, over the 0.1 MB limit (ATAI_FETCH_MAX_BYTES)"


def test_a_body_without_length_is_cut_off_at_the_cap_while_streaming(feed_server):
    url = feed_server.url("/big?bytes=500000&chunked=1")
    with Fetcher(allowed_hosts=["127.0.0.1"], max_bytes=100_000) as fetcher:
        error = _fetch_error(fetcher.fetch_page, url)

    assert error.code == "too_large"
    assert error.message == f"fetch: {url} sent more than the 0.1 MB limit (ATAI_FETCH_MAX_BYTES); stopped reading"


def test_the_cap_counts_decompressed_bytes(feed_server):
    raw = (FIXTURES / "feeds" / "rss20-cdata.xml").read_bytes()
    assert len(gzip.compress(raw)) < 2000 < len(raw)
    with Fetcher(allowed_hosts=["127.0.0.1"], max_bytes=2000) as fetcher:
        error = _fetch_error(fetcher.fetch_feed, feed_server.url(RSS + "?encoding=gzip"))

    assert error.code == "too_large"


def test_a_body_under_the_cap_arrives_whole(feed_server):
    with Fetcher(allowed_hosts=["127.0.0.1"], max_bytes=100_000) as fetcher:
        result = fetcher.fetch_page(feed_server.url("/big?bytes=99999&chunked=1"))

    assert len(result.body) == 99_999


def test_a_server_that_drips_bytes_is_cut_off_at_the_deadline(feed_server):
    url = feed_server.url("/drip?seconds=6")
    with Fetcher(allowed_hosts=["127.0.0.1"], timeout=1.0) as fetcher:
        error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "timeout"
    assert error.retryable is True
    assert error.message == f"fetch: {url} did not answer in full within 1 s (ATAI_FETCH_TIMEOUT)"


def test_a_server_that_does_not_answer_times_out(feed_server):
    url = feed_server.url("/slow?seconds=3")
    with Fetcher(allowed_hosts=["127.0.0.1"], timeout=1.0) as fetcher:
        error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "timeout"
    assert error.message == f"fetch: {url} did not answer in full within 1 s (ATAI_FETCH_TIMEOUT)"


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (410, False), (403, False),
                                                   (429, True), (500, True), (503, True)])
def test_http_errors_carry_the_status(fetcher, feed_server, status, retryable):
    url = feed_server.url(f"/status/{status}")
    error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "http_error"
    assert error.message == f"fetch: got {status} from {url}"
    assert error.retryable is retryable
    assert error.status == status and error.retry_after is None
    assert error.as_dict() == {"stage": "fetch", "code": "http_error", "message": error.message,
                               "retryable": retryable, "params": {"status": status, "url": url}}


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_or_as_a_date_is_read_from_429_and_503(fetcher, feed_server, status):
    url = feed_server.url(f"/status/{status}?retry_after=120")
    in_seconds = _fetch_error(fetcher.fetch_feed, url)
    as_date = _fetch_error(fetcher.fetch_feed, feed_server.url(
        f"/status/{status}?retry_after={quote(formatdate(time.time() + 3600, usegmt=True))}"))

    assert (in_seconds.status, in_seconds.retry_after) == (status, 120)
    assert in_seconds.message == f"fetch: got {status} from {url} (it asks to wait 120 s)"
    assert "params" not in in_seconds.as_dict()  # the site keeps this English text: its wording has no wait
    assert 3500 <= as_date.retry_after <= 3600


def test_retry_after_is_ignored_where_it_means_nothing_and_when_unreadable(fetcher, feed_server):
    assert _fetch_error(fetcher.fetch_feed, feed_server.url("/status/404?retry_after=120")).retry_after is None
    assert _fetch_error(fetcher.fetch_feed, feed_server.url("/status/503?retry_after=soon")).retry_after is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412000.0) == 480
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445413000.0) == 0


def test_a_closed_port_is_a_connection_failure(fetcher):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "connection_failed"
    assert error.retryable is True
    assert error.message.startswith(f"fetch: could not get {url}: ")
    assert "refused" in error.message.lower()


# --- https ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def localhost_certificate(tmp_path_factory):
    """A self-signed certificate for the name "localhost" (and no IP address)."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_https_goes_to_the_checked_address_and_verifies_the_real_name(localhost_certificate):
    trust = ssl.create_default_context(cafile=str(localhost_certificate[0]))
    with FeedServer(certificate=localhost_certificate) as origin, \
            Fetcher(allowed_hosts=["localhost"], verify=trust) as fetcher:
        url = f"https://localhost:{origin.port}{RSS}"
        result = fetcher.fetch_feed(url)
        again = fetcher.fetch_feed(url, etag=result.etag)
        host_headers = [r["headers"]["Host"] for r in origin.requests]

    assert result.url == url
    assert result.body == (FIXTURES / "feeds" / "rss20-cdata.xml").read_bytes()
    assert again.not_modified is True
    assert host_headers == [f"localhost:{origin.port}"] * 2


def test_https_to_an_address_the_certificate_does_not_name_fails(localhost_certificate):
    trust = ssl.create_default_context(cafile=str(localhost_certificate[0]))
    with FeedServer(certificate=localhost_certificate) as origin, \
            Fetcher(allowed_hosts=["127.0.0.1"], verify=trust) as fetcher:
        url = f"https://127.0.0.1:{origin.port}{RSS}"
        error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "connection_failed"
    assert error.message.startswith(f"fetch: could not get {url}: ")
    assert "certificate" in error.message


def test_https_with_an_untrusted_certificate_fails(localhost_certificate):
    with FeedServer(certificate=localhost_certificate) as origin, Fetcher(allowed_hosts=["localhost"]) as fetcher:
        error = _fetch_error(fetcher.fetch_feed, f"https://localhost:{origin.port}{RSS}")

    assert error.code == "connection_failed"
    assert "CERTIFICATE_VERIFY_FAILED" in error.message


# --- hostile encodings and allowed hosts -------------------------------------------------------------------


def test_only_the_codings_the_worker_undoes_are_asked_for(fetcher, feed_server):
    fetcher.fetch_feed(feed_server.url(RSS))

    assert feed_server.requests[0]["headers"]["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize("coding", ["gzip,gzip", "deflate,gzip", "gzip,deflate"])
def test_a_body_compressed_twice_is_refused_in_words(fetcher, feed_server, coding):
    url = feed_server.url(f"/bomb?mb=10&coding={coding}")
    error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "decoding_failed" and not error.retryable
    assert error.message == (f"fetch: {url} is compressed more than once (Content-Encoding: "
                             f"{coding.replace(',', ', ')}); only one content coding is accepted")


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compression_bomb_is_cut_off_at_the_cap_as_it_inflates(feed_server, coding):
    url = feed_server.url(f"/bomb?mb=50&coding={coding}")
    with Fetcher(allowed_hosts=["127.0.0.1"], max_bytes=1_000_000) as fetcher:
        error = _fetch_error(fetcher.fetch_page, url)

    assert error.code == "too_large"
    assert error.message == f"fetch: {url} sent more than the 1 MB limit (ATAI_FETCH_MAX_BYTES); stopped reading"


def test_a_compressed_body_under_the_cap_arrives_whole(feed_server):
    with Fetcher(allowed_hosts=["127.0.0.1"], max_bytes=2_000_000) as fetcher:
        result = fetcher.fetch_page(feed_server.url("/bomb?mb=1&coding=deflate"))

    assert result.body == bytes(1 << 20)


def test_a_content_coding_the_worker_does_not_undo_is_refused(fetcher, feed_server):
    url = feed_server.url(RSS + "?encoding=br")
    error = _fetch_error(fetcher.fetch_feed, url)

    assert error.message == f"fetch: {url} uses the content coding 'br', which is not supported (only gzip and deflate are)"


def test_an_allowed_address_does_not_allow_a_name_that_resolves_to_it(feed_server):
    url = f"http://localhost:{feed_server.port}{RSS}"
    with Fetcher(allowed_hosts=["127.0.0.1"]) as fetcher:
        error = _fetch_error(fetcher.fetch_feed, url)

    assert error.code == "blocked_address"
    assert error.message.startswith(f"fetch: refused to fetch {url}: localhost resolves to ")
    assert feed_server.requests == []


def test_an_allowed_host_with_a_port_allows_that_port_only(feed_server):
    other_port = f"http://127.0.0.1:{feed_server.port + 1 if feed_server.port < 65535 else 1}{RSS}"
    with Fetcher(allowed_hosts=[f"127.0.0.1:{feed_server.port}", "[::1]:80"]) as fetcher:
        assert fetcher.fetch_feed(feed_server.url(RSS)).status == 200
        error = _fetch_error(fetcher.fetch_feed, other_port)

    assert error.code == "blocked_address"
