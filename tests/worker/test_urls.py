"""What counts as a web URL, the one rule every stage uses."""

import pytest

from atai_worker.urls import is_web_url, web_url


@pytest.mark.parametrize("url, normalized", [
    ("https://larkmouth.example/post", "https://larkmouth.example/post"),
    ("http://larkmouth.example", "http://larkmouth.example"),
    ("HTTPS://Larkmouth.example/Post?A=1", "https://Larkmouth.example/Post?A=1"),
    ("Http://larkmouth.example/", "http://larkmouth.example/"),
    ("  https://larkmouth.example/spaced \n", "https://larkmouth.example/spaced"),
    ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/"),
])
def test_an_http_or_https_url_with_a_host_is_a_web_url_whatever_the_case_of_its_scheme(url, normalized):
    assert is_web_url(url)
    assert web_url(url) == normalized


@pytest.mark.parametrize("url", [
    None, "", "   ", "/relative/post", "relative", "//larkmouth.example/no-scheme",
    "ftp://larkmouth.example/file", "mailto:editor@larkmouth.example", "javascript:alert(1)",
    "JavaScript://larkmouth.example/%0aalert(1)", "data:text/html,x",
    "http://", "https://", "http:///path", "http://:80/", "http://user@/", "https:larkmouth.example",
    "http://[2001:db8::1", "urn:uuid:0e7a1f60-2c4b-4d8e-a1c2-5f9b7d3e4a10",
])
def test_anything_else_is_not_a_web_url(url):
    assert not is_web_url(url)
    assert web_url(url) is None
