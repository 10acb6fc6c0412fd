"""The end-to-end stack and the ways a test drives it.

One Stack per test session: a WordPress site provisioned afresh on MariaDB and served over HTTP, the
real worker (gunicorn API and Huey consumer), the fake feed origin and the fake OpenAI-compatible model,
each a real process on a free 127.0.0.1 port. Tests act as the site owner would (the plugin's REST API
with an application password, the admin screens) and as WP-Cron would (GET wp-cron.php), and look at
the outcome where a visitor would (the front end, the public REST API).
"""

from __future__ import annotations

import html
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar
from xml.etree import ElementTree

import httpx
from lxml import html as lxml_html

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

import stack  # noqa: E402  (scripts/ is not a package)
from tests.fakes.feed_server import _SENTENCES  # noqa: E402

SITE_NAME = "e2e"
# The words story_html() draws its paragraphs from.
_WORDS = sorted({word.strip(".,;'").lower() for sentence in _SENTENCES for word in sentence.split()} - {""})
STATE_DIR = stack.STATE / SITE_NAME
SCREENSHOTS_DIR = STATE_DIR / "screenshots"
FEED_FILES_DIR = STATE_DIR / "feed-files"
MODEL_NAME = "fake-model"
# A run takes seconds, but WP-Cron runs the plugin's tick once a minute and the worker's reaper resumes a
# run whose consumer died only after its lease (30 s) and a sweep (10 s): the deadline covers both twice.
RUN_DEADLINE = 180.0
POLL_INTERVAL = 0.5

T = TypeVar("T")


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unique_name(prefix: str) -> str:
    """A feed name no other test of any session uses (generated feeds are keyed by name)."""
    return f"{prefix}-{secrets.token_hex(3)}"


def wait_until(check: Callable[[], T], what: str, *, timeout: float = RUN_DEADLINE,
               between: Callable[[], None] | None = None) -> T:
    """Call check until it returns something truthy; `between` runs after each miss (e.g. a cron tick)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        if between is not None:
            between()
        time.sleep(POLL_INTERVAL)


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed as the origin serves it (titles and links as a reader of the XML sees them)."""

    title: str
    link: str
    guid: str


@dataclass(frozen=True)
class StoryItem:
    """An item of a feed a test writes: its headline, a sentence only its article contains, and extra markup."""

    title: str
    signature: str
    extra_html: str = ""


class Stack:
    """The processes of the end-to-end stack, and the site owner's, cron's and visitors' ways in."""

    def __init__(self):
        self.site = stack.WordPressSite(SITE_NAME, free_port(), title="AutomationTools.AI end-to-end")
        self.secret = secrets.token_urlsafe(24)
        self.model_api_key = "sk-e2e-" + secrets.token_hex(12)
        self.worker_port = free_port()
        self.origin_port = free_port()
        self.model_port = free_port()
        self.slow_model_port = free_port()
        self.origin = stack.Process("feed-origin", STATE_DIR)
        self.model = stack.Process("fake-model", STATE_DIR)
        self.slow_model = stack.Process("slow-model", STATE_DIR)
        self.worker = self._worker(self.model_url)
        self.app_password = ""
        self.http = httpx.Client(base_url=self.site.url, timeout=60)
        self.visitor = httpx.Client(base_url=self.site.url, timeout=60)  # never logs in, keeps no one's cookies
        self._admin: httpx.Client | None = None

    # --- Lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Provision the site afresh and start every process."""
        for process in self._processes():
            process.stop()
        shutil.rmtree(self.worker.data_dir, ignore_errors=True)
        shutil.rmtree(FEED_FILES_DIR, ignore_errors=True)
        FEED_FILES_DIR.mkdir(parents=True)
        shutil.rmtree(SCREENSHOTS_DIR, ignore_errors=True)
        for log in STATE_DIR.glob("*.log"):
            log.unlink()  # each session's logs alone, for whoever reads them after a failure
        self.site.provision(fresh=True, constants={
            "ATAI_WORKER_URL": self.worker.url,
            "ATAI_WORKER_SECRET": self.secret,
            # The tests drive WP-Cron themselves; a tick spawned by a page load would race them.
            "DISABLE_WP_CRON": True,
        })
        self.model.start([sys.executable, str(REPO / "tests/fakes/model_server.py"), "--port", str(self.model_port),
                          "--api-key", self.model_api_key])
        self.origin.start([sys.executable, str(REPO / "tests/fakes/feed_server.py"), "--port", str(self.origin_port),
                           "--fixtures", str(FEED_FILES_DIR)])
        stack.wait_for_http(self.model_url + "/v1/models")
        stack.wait_for_http(self.origin_url + "/status/200")
        self.worker.start()
        self._let_wordpress_reach_the_origin()
        self.site.serve()
        self.app_password = self.site.app_password("end-to-end tests")

    def _let_wordpress_reach_the_origin(self) -> None:
        """Let WordPress's own "safe" requests (oEmbed discovery) reach the origin, as they would a public host.

        They go only to ports 80, 443 and 8080 of a host other than the site's; the origin stands in for a
        feed's host on a free port, so a must-use plugin adds that port. The plugin's own code is not touched.
        """
        mu_plugins = self.site.content_dir / "mu-plugins"
        source = STATE_DIR / "atai-e2e-origin-port.php"
        source.write_text(
            "<?php\n// Written by tests/e2e/harness.py: the fake feed origin stands in for a public host.\n"
            "add_filter( 'http_allowed_safe_ports', static function ( $ports ) {\n"
            f"\t$ports[] = {self.origin_port};\n\treturn $ports;\n}} );\n"
        )
        stack.run(stack.privileged(["mkdir", "-p", str(mu_plugins)]))
        stack.run(stack.privileged(["install", "-m", "0644", "-o", stack.WEB_USER, "-g", stack.WEB_USER,
                                    str(source), str(mu_plugins / source.name)]))
        source.unlink()

    def stop(self) -> None:
        """Stop every process this stack started, whatever state it is in."""
        self.http.close()
        self.visitor.close()
        if self._admin is not None:
            self._admin.close()
        for process in self._processes():
            process.stop()

    def _processes(self) -> list[stack.Process]:
        return [self.site.server, self.worker.api, self.worker.consumer, self.origin, self.model, self.slow_model]

    # --- The worker and the models ---------------------------------------------------------------------

    @property
    def model_url(self) -> str:
        return f"http://127.0.0.1:{self.model_port}"

    @property
    def slow_model_url(self) -> str:
        return f"http://127.0.0.1:{self.slow_model_port}"

    def _worker(self, model_url: str, **env: str) -> stack.Worker:
        return stack.Worker(STATE_DIR, self.worker_port, self.secret, {
            "OPENAI_BASE_URL": model_url + "/v1",
            "OPENAI_API_KEY": self.model_api_key,
            "ATAI_MODEL": MODEL_NAME,
            "ATAI_ALLOWED_HOSTS": "127.0.0.1",
            **env,
        })

    def start_worker(self, model_url: str | None = None, **env: str) -> None:
        """(Re)start the worker on its port and data directory, against the given model (default: the fast one)."""
        self.stop_worker()
        self.worker = self._worker(model_url or self.model_url, **env)
        self.worker.start()

    def stop_worker(self, sig: int = signal.SIGTERM) -> None:
        """Stop the worker's API and consumer; SIGKILL leaves them no clean-up, as when a machine dies."""
        self.worker.stop(sig)

    def start_slow_model(self, delay: float) -> None:
        """A second fake model that waits `delay` seconds before every answer."""
        self.slow_model.start([sys.executable, str(REPO / "tests/fakes/model_server.py"),
                               "--port", str(self.slow_model_port), "--api-key", self.model_api_key,
                               "--delay", str(delay)])
        stack.wait_for_http(self.slow_model_url + "/v1/models")

    def stop_slow_model(self) -> None:
        self.slow_model.stop()

    def worker_run(self, run_id: str) -> dict:
        """The run as the worker holds it (drafts not yet acknowledged), asked with the shared secret."""
        response = httpx.get(f"{self.worker.url}/v1/runs/{run_id}",
                             headers={"Authorization": "Bearer " + self.secret}, timeout=30)
        assert response.status_code == 200, f"worker GET run {run_id}: {response.status_code} {response.text[:500]}"
        return response.json()

    # --- WordPress: REST API, cron, admin screens --------------------------------------------------------

    def rest(self, method: str, path: str, body: dict | None = None, *, params: dict | None = None,
             expect: tuple[int, ...] = (200, 201)):
        """Call the site's REST API as its administrator; any other status than `expect` fails the test."""
        response = self.http.request(method, "/wp-json/" + path.lstrip("/"), json=body, params=params,
                                     auth=(self.site.admin_user, self.app_password))
        assert response.status_code in expect, f"{method} {path} answered {response.status_code}: {response.text[:2000]}"
        return response.json()

    def anonymous(self, path: str, params: dict | None = None) -> httpx.Response:
        """GET a page or REST path as a visitor who is not logged in."""
        return self.visitor.get(path, params=params)

    def tick(self) -> None:
        """Run WP-Cron's due events now, as a system cron job would."""
        response = self.http.get("/wp-cron.php", params={"doing_wp_cron": ""})
        assert response.status_code == 200, f"wp-cron.php answered {response.status_code}"

    def sql(self, statement: str) -> str:
        """Run SQL in the site's database: how a test lets days pass for one feed (WordPress keeps UTC times)."""
        return stack.MariaDB.sql(f"USE `{self.site.db_name}`; {statement}")

    def admin_page(self, path: str) -> str:
        """The HTML of a wp-admin page, fetched with the administrator's login cookies."""
        if self._admin is None:
            self._admin = httpx.Client(base_url=self.site.url, timeout=60, follow_redirects=True)
            self._admin.get("/wp-login.php")  # sets the cookie that tells WordPress cookies work
            response = self._admin.post("/wp-login.php", data={
                "log": self.site.admin_user, "pwd": self.site.admin_password, "testcookie": "1",
                "redirect_to": self.site.url + "/wp-admin/",
            })
            assert "/wp-admin/" in str(response.url), f"login failed: ended at {response.url}"
        response = self._admin.get(path)
        assert response.status_code == 200, f"GET {path} answered {response.status_code}"
        return response.text

    # --- Feeds ---------------------------------------------------------------------------------------------

    def create_feed(self, url: str, **fields) -> dict:
        """Add a feed through the REST API (posts published unless told otherwise); it is due at once."""
        return self.rest("POST", "atai/v1/feeds", {"url": url, "post_status": "publish", **fields}, expect=(201,))

    def feed(self, feed_id: int) -> dict:
        return self.rest("GET", f"atai/v1/feeds/{feed_id}")

    def items(self, feed_id: int) -> list[dict]:
        return self.rest("GET", f"atai/v1/feeds/{feed_id}/items", params={"per_page": 200})

    def run_now(self, feed_id: int) -> str:
        """Dispatch the feed now (the "Run now" action); returns the run ID."""
        return self.rest("POST", f"atai/v1/feeds/{feed_id}/run")["run_id"]

    def wait_for_run(self, feed_id: int, timeout: float = RUN_DEADLINE) -> dict:
        """Tick until the feed has run and holds no run any more; returns the feed."""
        def finished():
            feed = self.feed(feed_id)
            return feed if feed["current_run"] is None and feed["last_run"] is not None else None
        return wait_until(finished, f"the run of feed #{feed_id} to finish", timeout=timeout, between=self.tick)

    def all_posts(self) -> list[dict]:
        """Every post of any status, in the edit context (with our source meta)."""
        posts, page = [], 1
        while True:
            response = self.http.get("/wp-json/wp/v2/posts", auth=(self.site.admin_user, self.app_password), params={
                "context": "edit", "status": "any", "per_page": 100, "page": page, "orderby": "id", "order": "asc"})
            assert response.status_code == 200, f"wp/v2/posts answered {response.status_code}: {response.text[:500]}"
            posts += response.json()
            if page >= int(response.headers.get("X-WP-TotalPages", "1")):
                return posts
            page += 1

    def posts_of_feed(self, feed_id: int) -> list[dict]:
        """The posts whose source meta names this feed (found without the plugin's own ledger)."""
        return [post for post in self.all_posts() if post["meta"].get("_atai_feed_id") == feed_id]

    # --- The feed origin -----------------------------------------------------------------------------------

    @property
    def origin_url(self) -> str:
        return f"http://127.0.0.1:{self.origin_port}"

    def switch(self, name: str, **answer) -> str:
        """Set what the origin's /switch/<name>.xml answers (status=404, retry_after=..., location=...); its URL."""
        response = httpx.post(f"{self.origin_url}/_switch/{name}", params=answer, timeout=30)
        assert response.status_code == 200, f"the origin refused the switch: {response.status_code}"
        return f"{self.origin_url}/switch/{name}.xml"

    def origin_log(self) -> list[dict]:
        """The origin's request log, oldest first."""
        return httpx.get(self.origin_url + "/_log", timeout=30).json()

    def generated_feed_url(self, name: str, **query) -> str:
        """The URL of the origin's generated RSS feed `name` (items, hostile, ... as query arguments)."""
        arguments = "&".join(f"{key}={value}" for key, value in query.items())
        return f"{self.origin_url}/gen/{name}.xml" + (f"?{arguments}" if arguments else "")

    def feed_items(self, url: str) -> list[FeedItem]:
        """The items of a feed on the origin, read from its XML."""
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200, f"GET {url} answered {response.status_code}"
        channel = ElementTree.fromstring(response.content).find("channel")
        return [FeedItem(title=item.findtext("title", ""), link=item.findtext("link", ""),
                         guid=item.findtext("guid", "")) for item in channel.findall("item")]

    def write_feed(self, name: str, stories: list[StoryItem]) -> str:
        """Serve an RSS feed of these stories (full articles, no dates: posts are dated when imported); returns its URL."""
        items = "".join(
            f"<item><title>{html.escape(story.title)}</title>"
            f"<link>{self.origin_url}/gen/articles/{name}-{number}.html</link>"
            f'<guid isPermaLink="false">{name}-{number}</guid>'
            f"<content:encoded><![CDATA[{story_html(story)}]]></content:encoded></item>\n"
            for number, story in enumerate(stories, start=1)
        )
        (FEED_FILES_DIR / f"{name}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Quayside Weekly: {name}</title><link>{self.origin_url}/</link>"
            f"<description>Stories written by the end-to-end tests.</description>\n{items}</channel></rss>\n",
            encoding="utf-8",
        )
        return f"{self.origin_url}/files/{name}.xml"


def story_html(story: StoryItem) -> str:
    """A full article (long enough that the worker needs no article page) around the story's own sentence.

    Its two paragraphs are words of the origin's sentences in an order drawn from the story's sentence:
    two stories are different texts (the site rightly takes two copies of one text for one story).
    """
    picker = random.Random(story.signature)
    first, second = (" ".join(picker.choices(_WORDS, k=30)) for _ in range(2))
    return (
        f"<p>{html.escape(story.signature)}</p>{story.extra_html}"
        f"<p>{html.escape(first.capitalize())}.</p>"
        "<h2>How the work was done</h2>"
        "<ul><li>Every plank was numbered before it came off.</li><li>The ribs were steamed in a borrowed "
        "wallpaper stripper.</li><li>Copper rivets came from a supplier two valleys away.</li></ul>"
        f"<p>{html.escape(second.capitalize())}.</p>"
    )


# --- Checks on markup that came from a feed ---------------------------------------------------------------

_DANGEROUS_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "style", "link", "meta", "base",
                       "form", "svg", "math"}
_URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "background", "xlink:href", "data"}
_CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def markup_problems(root, *, inside_only: bool = False) -> list[str]:
    """What in this element tree could run script or change the page: elements, handlers, script URLs, styles.

    inside_only: look at the root's descendants only (a theme's wrapper element carries its own styles).
    """
    problems = []
    for element in root.iter():
        if inside_only and element is root:
            continue
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        tag = element.tag.lower()
        if tag in _DANGEROUS_ELEMENTS:
            problems.append(f"<{tag}> element")
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                problems.append(f"{name}= handler on <{tag}>")
            if name == "style":
                problems.append(f"style attribute on <{tag}>: {value!r}")
            if name in _URL_ATTRIBUTES:
                scheme = _CONTROL_AND_SPACE.sub("", html.unescape(value)).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    problems.append(f"{name}={value!r} on <{tag}>")
    return problems


def fragment_tree(markup: str):
    """A stored HTML fragment (post content or title) as one element tree."""
    return lxml_html.fragment_fromstring(markup or "<p></p>", create_parent="div")


def elements_with_class(document, class_name: str) -> list:
    """The elements of a parsed page that carry this class."""
    return document.xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {class_name} ')]")
