"""Shared fixtures for the worker tests: real servers on 127.0.0.1, started once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # makes tests.fakes importable however pytest is started

from tests.fakes.feed_server import FeedServer  # noqa: E402


@pytest.fixture(scope="session")
def _feed_origin():
    with FeedServer() as server:
        yield server


@pytest.fixture
def feed_server(_feed_origin) -> FeedServer:
    """The fake feed origin, with an empty request log."""
    _feed_origin.reset_log()
    return _feed_origin


# --- Service side: the fake model, feeds a test writes itself, a real redis-server -----------------

import html  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from tests.fakes.model_server import ModelServer  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def free_port():
    """A function that returns a TCP port free on 127.0.0.1 right now."""
    return _free_port


@pytest.fixture
def model_server():
    """The fake OpenAI-compatible model on a free loopback port; tests change delay, api_key, slow_seconds."""
    with ModelServer() as server:
        yield server


# Long enough (over teasers.FULL_TEXT_THRESHOLD) that no article page is fetched; with the structure a
# rewrite must keep: heading, list, link, image, quote.
ARTICLE = ("<h2>{title}</h2><p>The harbour office published the new tide tables for the winter on Monday, "
           "and the ferry company said it would follow them from the first week of December.</p>"
           "<ul><li>Morning crossings leave at seven.</li><li>Evening crossings leave at six.</li></ul>"
           '<p>Read the <a href="{base}/files/timetable.html">full timetable</a> before you travel; '
           "the old one stays valid until the end of November, the office added in a short statement.</p>"
           '<p><img src="{base}/gen/img/3.png" alt="The ferry at the quay"></p>'
           "<blockquote>We expect fewer cancellations this year, said the harbour master.</blockquote>"
           "<p>Passengers with season tickets do not need to renew them; the prices stay the same as last year "
           "and children under five travel free, as they always have.</p>")


class FeedFiles:
    """RSS feeds a test writes (titles may carry the fake model's failure markers), served over HTTP."""

    def __init__(self, server: FeedServer, directory: Path):
        self.server = server
        self.directory = directory

    def add(self, name: str, titles: list[str]) -> str:
        """Write feed `name` with one item per title, guid "<name>-<n>"; returns its URL."""
        base = self.server.base_url
        items = "".join(
            f"<item><title>{html.escape(title)}</title><link>{base}/files/{name}-{n}.html</link>"
            f'<guid isPermaLink="false">{name}-{n}</guid><pubDate>Mon, 02 Nov 2026 10:{n % 60:02d}:00 GMT</pubDate>'
            f"<content:encoded><![CDATA[{ARTICLE.format(title=html.escape(title), base=base)}]]></content:encoded>"
            "</item>" for n, title in enumerate(titles))
        (self.directory / f"{name}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Feed {name}</title><link>{base}/</link><description>Test feed</description>{items}"
            "</channel></rss>", encoding="utf-8")
        return self.server.url(f"/files/{name}.xml")

    def fetches(self, url: str) -> int:
        """How many times the feed at url was requested."""
        path = url.removeprefix(self.server.base_url)
        return sum(1 for r in self.server.requests if r["path"] == path)


@pytest.fixture
def feed_files(tmp_path_factory):
    """A FeedServer over a temp dir of feeds the test writes with FeedFiles.add."""
    directory = tmp_path_factory.mktemp("feeds")
    with FeedServer(fixtures_dir=directory) as server:
        yield FeedFiles(server, directory)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on a free loopback port for the session (no persistence)."""
    port = _free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)
