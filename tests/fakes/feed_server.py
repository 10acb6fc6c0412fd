"""A fake feed origin: fixture files, generated feeds and article pages, and misbehaving endpoints.

In a test:   with FeedServer() as server: server.url("/files/feeds/rss20.xml")
As a process: python tests/fakes/feed_server.py --port 8089   (prints its base URL, serves until killed)

Routes
  /files/<path>              files under tests/fixtures/, with ETag and Last-Modified (304 on a match);
                             ?type=<content type> overrides the Content-Type, ?encoding=gzip compresses
                             (?encoding=broken claims gzip but sends plain bytes, ?encoding=br claims br)
  /gen/<name>.xml            a generated RSS 2.0 feed, the same bytes for the same URL:
                             ?items=N (10) &size=BYTES of HTML per item (2000) &image=1 &summary_only=1 &hostile=1
                             &slow_last=S: the last item carries only its summary, and its page answers after S s
                             &photos=N (each item's media:content is one of N photographs) &terms=1 (1-3
                             categories and an author per item)
  /gen/articles/<name>-<n>.html  the article page of item n, inside a layout with nav, ads and comments
                             (?delay=S answers after S seconds)
  /gen/img/, /gen/photo/, /gen/images.xml, /img/...   images, good and bad: see image_origin.py
  /gen/<name>.json           the same feed as a JSON Feed 1.1 (?items=N)
  /site/<name>/several.html  a page naming several feeds (<link rel="alternate">: two RSS, one JSON Feed, one
                             that answers 404)
  /site/<name>/plain.html    a page that names no feed (and no usual feed address of the site answers)
  /site/<name>/blog/         a page that names no feed, with a feed at /site/<name>/blog/feed
  /switch/<name>.xml         the generated feed <name> (?items=N, 3 by default), or what POST /_switch/<name>
                             last asked for: ?status=404 (any code), &retry_after=<Retry-After value>,
                             &location=<URL> (for 301, 302, 307, 308); ?status=200 switches it back
  /status/<code>             that status with a short body; ?retry_after=<value> adds a Retry-After header
  /slow?seconds=S            waits S seconds, then answers with a small feed
  /drip?seconds=S            sends a feed one byte at a time, spread over S seconds
  /big?bytes=N               N bytes; &chunked=1 leaves out Content-Length
  /redirect?to=<url>         302 (or &status=301/303/307/308) to <url>; with &localhost=<port> instead of
                             &to, to http://localhost:<port>/files/feeds/rss20-cdata.xml (a name, not 127.0.0.1)
  /bomb?mb=N&coding=gzip,gzip   N MB of zeros (1000) under that Content-Encoding, compressed as it says
                             (one coding or two; gzip or deflate): see hostile.py
  /quadratic.xml?kb=N        a feed of N kB (150) declaring one entity it references thousands of times
  /flood.xml?pattern=P&where=W&size=N   a feed whose first entry repeats pattern P (img, img-src, tag,
                             description, entity) to N bytes (1000000) in its content, title or categories
  /notfeed                   an HTML page
  /garbage                   random-looking bytes
  GET /_log, POST /_log/reset   the request log as JSON (method, path, status, headers), and clearing it
  POST /_switch/<name>       what /switch/<name>.xml answers from now on (see above)

It never connects anywhere: every link it writes points back at itself.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import html
import json
import random
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

if __package__:
    from . import hostile as hostile_documents
    from . import image_origin
else:  # run as a script: python tests/fakes/feed_server.py
    import hostile as hostile_documents  # type: ignore[no-redef]
    import image_origin  # type: ignore[no-redef]

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"

# Generated content has a fixed date so the same URL always gives the same bytes.
GENERATED_AT = 1793613600  # 2026-11-02T10:00:00Z
DEFAULT_SIZE = 2000  # bytes of HTML per generated item
_MAX_LOG = 20_000

_SENTENCES = (
    "The harbour at Larkmouth fills with fishing boats an hour before the tide turns.",
    "Nobody in the village remembers who first painted the lighthouse door a bright shade of green.",
    "A ferry leaves the northern quay twice a day, though in winter it often waits for the fog to lift.",
    "The bakery on Cable Street starts its ovens at four, and the smell of rye reaches the seafront by five.",
    "Maren, who runs the bakery, keeps her sourdough starter in a jar that once belonged to her grandmother.",
    "Her apprentice is learning to shape loaves by feel rather than by weighing every piece of dough.",
    "On Saturdays the queue outside stretches past the chemist and around the corner of the post office.",
    "The cycling club meets at the war memorial every Sunday morning, whatever the weather forecast says.",
    "Their longest ride follows the coast road for sixty kilometres before climbing the moor to Hesketh Cross.",
    "Riders swap stories about punctures, headwinds and the café that serves the best flapjacks in the county.",
    "A new member turned up last month on a folding bicycle and kept pace with everyone on the hills.",
    "The town library opened a repair corner where volunteers fix lamps, radios and the occasional toaster.",
    "Children borrow telescopes from the library on clear nights and return them with notes about the moon.",
    "The librarian keeps a ledger of every question visitors ask, from tide tables to the names of seabirds.",
    "Allotments behind the railway station produce more courgettes each August than anyone can eat.",
    "Gardeners leave surplus vegetables on a trestle table by the gate with an honesty box beside them.",
    "A wet spring meant the slugs did better than the lettuces, according to the allotment newsletter.",
    "The council finally agreed to repair the sea wall after a storm washed part of the promenade away.",
    "Engineers plan to use granite blocks from the old quarry so the new wall matches the original stone.",
    "Work will pause during the nesting season so the terns on the shingle bank are not disturbed.",
    "Every autumn the school holds a kite festival on the headland, and the sky turns into a patchwork.",
    "The winning kite this year was shaped like a mackerel and took three evenings to build.",
    "Local musicians gather in the back room of the Anchor on Thursdays to play reels and slow airs.",
    "A fiddler from the valley taught the group a tune her father learned from a sailor in Bergen.",
    "The museum's newest exhibit is a rowing boat built in 1911 and restored by retired shipwrights.",
    "Visitors can read the logbook of its first owner, who recorded the weather every morning for forty years.",
    "Bus services to the market town have improved since the timetable was rewritten last spring.",
    "Commuters now catch a connection to the mainline trains without waiting half an hour on the platform.",
    "The community orchard planted twelve heritage apple varieties that were nearly lost from the region.",
    "Volunteers press the fallen fruit into juice and sell it at the harvest fair to pay for new saplings.",
    "A pair of otters has been seen near the old mill race, the first sighting there in two decades.",
    "Wildlife wardens ask walkers to keep dogs on leads along the riverbank until the end of the summer.",
    "The swimming club braves the sea on New Year's Day and rewards itself with soup on the slipway.",
    "Their oldest swimmer is eighty-three and says the cold water is the reason she never catches a cold.",
    "Fishermen complain that mackerel shoals arrive later each year and leave earlier than they used to.",
    "Scientists from the university are tagging fish to learn where the shoals spend the colder months.",
    "A small press in the old customs house prints poetry pamphlets on a press that is older than the building.",
    "Its owner sets every line of type by hand and signs each copy in pencil on the back page.",
    "The weekly market sells cheese from the hill farms, smoked fish and honey from hives on the dunes.",
    "Stallholders start packing up at noon, when the wind usually picks up and sends the awnings flapping.",
    "Night walks along the estuary reveal glowing plankton that lights up every ripple of the water.",
    "Photographers travel from the city to capture the effect, though it rarely appears on demand.",
    "The old railway line has become a footpath that links three villages without touching a main road.",
    "Benches along the path carry small plaques in memory of people who loved walking there.",
    "Repairs to the church roof uncovered a carpenter's note from 1842 tucked behind a beam.",
    "It lists the wages paid to each worker and complains, at some length, about the rain.",
    "Evening classes at the community hall now cover bookbinding, basic electronics and sea shanties.",
    "The electronics class built a weather station that posts readings to the school's website every hour.",
    "Tourists often ask why the streets curve so much; the answer lies in the medieval field boundaries.",
    "Maps in the town archive show the same lanes following the edges of strips that were ploughed by oxen.",
)
_HEADINGS = (
    "What happens next", "A short history", "Voices from the quay", "Looking ahead",
    "Behind the scenes", "The numbers", "A closer look", "Why it matters",
)
_TITLE_SUBJECTS = (
    "The harbour", "Cable Street bakery", "The cycling club", "The town library", "The allotments",
    "The sea wall", "The kite festival", "The Anchor session", "The museum boat", "The orchard",
    "The otters", "The swimming club", "The mackerel survey", "The customs house press", "The market",
)
_TITLE_PREDICATES = (
    "prepares for a busy season", "tries something new", "marks an anniversary", "asks for volunteers",
    "gets a welcome surprise", "faces an unusual winter", "opens its doors to visitors", "looks back on a year",
)


def _paragraph(rng: random.Random, name: str) -> str:
    sentences = [rng.choice(_SENTENCES) for _ in range(rng.randint(2, 5))]
    if rng.random() < 0.4:
        target = rng.randint(1, 50)
        words = sentences[0].split()
        cut = rng.randint(2, min(5, len(words)))
        sentences[0] = (f'<a href="/gen/articles/{name}-{target}.html">{" ".join(words[:cut])}</a> '
                        + " ".join(words[cut:]))
    elif rng.random() < 0.3:
        sentences[-1] = f"<strong>{sentences[-1]}</strong>"
    return "<p>" + " ".join(sentences) + "</p>"


_CATEGORIES = ("Harbour", "Food", "Sport", "Library", "Gardens", "Weather", "Music", "History", "Transport",
               "Wildlife")
_AUTHORS = ("Maren Holt", "Tomasz Wilk", "Ada Quayle", "Rhys Penhale", "June Okafor")


def _article_body(name: str, number: int, size: int, image: bool, base_url: str) -> str:
    """The HTML of one item's article, about `size` bytes, the same for the same arguments."""
    rng = random.Random(f"{name}:{number}:{size}")
    parts = []
    length = 0
    while length < size or len(parts) < 2:
        if len(parts) == 2 and image:
            block = (f'<figure><img src="{base_url}/gen/img/{number}.png" alt="View number {number} of the harbour" '
                     f'width="160" height="120"><figcaption>The harbour, picture {number}.</figcaption></figure>')
        elif len(parts) % 6 == 3:
            block = f"<h2>{rng.choice(_HEADINGS)}</h2>"
        elif len(parts) % 11 == 7:
            block = "<ul>" + "".join(f"<li>{rng.choice(_SENTENCES)}</li>" for _ in range(3)) + "</ul>"
        else:
            block = _paragraph(rng, name)
        parts.append(block)
        length += len(block)
    return "\n".join(parts)


def _item_title(name: str, number: int) -> str:
    rng = random.Random(f"title:{name}:{number}")
    return f"{rng.choice(_TITLE_SUBJECTS)} {rng.choice(_TITLE_PREDICATES)} ({name} #{number})"


_HOSTILE_TITLE = "&lt;script&gt;alert('title')&lt;/script&gt;Hostile item with &lt;b&gt;markup&lt;/b&gt;"
_HOSTILE_CONTENT = (
    '<p onclick="steal()">The first paragraph is harmless text with a handler on it.</p>'
    '<img src="/gen/img/1.png" onerror="alert(\'img\')" alt="hostile image">'
    '<p><a href="javascript:alert(\'link\')">a javascript link</a> and '
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">a data link</a> and '
    '<a href="jav&#x09;ascript:alert(\'tab\')">an obfuscated link</a>.</p>'
    '<iframe src="/gen/frame.html">framed text</iframe>'
    '<style>body { display: none }</style>'
    '<script>document.location = "/stolen?c=" + document.cookie</script>'
    '<p style="position:fixed">The last paragraph tries to cover the page.</p>'
)


@functools.lru_cache(maxsize=64)
def generated_feed(base_url: str, name: str, items: int, size: int, image: bool,
                   summary_only: bool, hostile: bool, slow_last: float = 0.0, photos: int = 0, terms: bool = False) -> bytes:
    """A deterministic RSS 2.0 feed; cached, because benchmarks ask for the same large feeds often."""
    query = _article_query(size, image)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>Larkmouth Notes: {html.escape(name)}</title>\n<link>{base_url}/gen/</link>\n"
        f"<description>Generated feed {html.escape(name)} for tests and benchmarks.</description>\n"
        f"<language>en-gb</language>\n"
    ]
    for number in range(1, items + 1):
        slow = slow_last > 0 and number == items
        link = f"{base_url}/gen/articles/{name}-{number}.html{query}"
        if slow:
            link += ("&amp;" if query else "?") + f"delay={slow_last:g}"
        published = formatdate(GENERATED_AT - number * 3600, usegmt=True)
        if hostile and number == 1:
            title, body = _HOSTILE_TITLE, _HOSTILE_CONTENT
        else:
            title = html.escape(_item_title(name, number))
            body = _article_body(name, number, size, image, base_url)
        out.append(f"<item>\n<title>{title}</title>\n<link>{link}</link>\n"
                   f'<guid isPermaLink="false">{name}-{number}</guid>\n<pubDate>{published}</pubDate>\n'
                   f"<category>Larkmouth</category>\n")
        if terms:
            rng = random.Random(f"terms:{name}:{number}")
            out.extend(f"<category>{c}</category>\n" for c in rng.sample(_CATEGORIES, rng.randint(1, 3)))
            out.append(f"<dc:creator>{rng.choice(_AUTHORS)}</dc:creator>\n")
        if photos:
            out.append(f'<media:content url="{base_url}/gen/photo/{number % photos}.jpg" medium="image" />\n')
        if summary_only or slow:
            teaser = re.sub(r"<[^>]+>", "", body.split("</p>", 1)[0])[:240]
            out.append(f"<description>{html.escape(teaser)}</description>\n")
        else:
            teaser = re.sub(r"<[^>]+>", "", body.split("</p>", 1)[0])[:200]
            out.append(f"<description>{html.escape(teaser)}</description>\n"
                       f"<content:encoded><![CDATA[{body}]]></content:encoded>\n")
        out.append("</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("utf-8")


def _article_query(size: int, image: bool) -> str:
    params = [f"size={size}"] if size != DEFAULT_SIZE else []
    if image:
        params.append("image=1")
    return ("?" + "&amp;".join(params)) if params else ""


@functools.lru_cache(maxsize=256)
def article_page(base_url: str, name: str, number: int, size: int, image: bool) -> bytes:
    """An article page: the item's text inside navigation, ads, related links and comments."""
    title = html.escape(_item_title(name, number))
    body = _article_body(name, number, size, image, base_url)
    rng = random.Random(f"comments:{name}:{number}")
    comments = "".join(
        f'<li class="comment"><p class="comment-author">Reader {rng.randint(100, 999)}</p>'
        f"<p>{html.escape(rng.choice(_SENTENCES))} Great piece, thanks for writing it.</p></li>"
        for _ in range(4)
    )
    related = "".join(
        f'<li><a href="/gen/articles/{name}-{k}.html">{html.escape(_item_title(name, k))}</a></li>'
        for k in range(number + 1, number + 6)
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Larkmouth Notes</title>
<meta name="description" content="Local news from the harbour town of Larkmouth.">
<link rel="stylesheet" href="/static/site.css"><script>window.analytics = [];</script></head>
<body>
<header class="site-header"><a class="logo" href="/">Larkmouth Notes</a>
<nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/whats-on">What's on</a></li>
<li><a href="/subscribe">Subscribe</a></li><li><a href="/login">Sign in</a></li></ul></nav></header>
<div class="ad ad-leaderboard">Advertisement: Harbour Insurance — cover for every kind of boat. Call today for a quote.</div>
<main><article class="post">
<h1 class="entry-title">{title}</h1>
<p class="byline">By Staff Reporter · <time datetime="2026-11-02">2 November 2026</time></p>
<div class="entry-content">
{body}
</div>
<div class="share">Share this article: <a href="/share/mail">Email</a> <a href="/share/print">Print</a></div>
</article>
<aside class="sidebar"><h3>Most read</h3><ul>{related}</ul>
<div class="ad">Sponsored: Ten things every sailor forgets to pack. You won't believe number seven.</div></aside>
<section class="comments"><h3>Comments</h3><ol>{comments}</ol>
<form action="/comment" method="post"><textarea name="c"></textarea><button>Post comment</button></form></section></main>
<footer><p>© 2026 Larkmouth Notes. All rights reserved.</p><ul><li><a href="/privacy">Privacy</a></li>
<li><a href="/cookies">Cookie settings</a></li><li><a href="/contact">Contact us</a></li></ul></footer>
</body></html>
"""
    return page.encode("utf-8")


def picture_page(base_url: str, name: str, case: str, og: bool) -> bytes:
    """The article page of an item of /gen/images.xml; with og, it declares a sharing image."""
    head = f'<meta property="og:image" content="{image_origin.PAGE_IMAGE}">' if og else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(case)}</title>{head}</head>'
            f"<body><article><h1>Pictures: {html.escape(case)}</h1><p>{' '.join(_SENTENCES[:6])}</p>"
            "</article></body></html>").encode()


@functools.lru_cache(maxsize=64)
def generated_json_feed(base_url: str, name: str, items: int) -> bytes:
    """The generated feed `name` as a JSON Feed 1.1: same titles, links and dates as the RSS one."""
    entries = [{
        "id": f"{name}-{number}", "url": f"{base_url}/gen/articles/{name}-{number}.html",
        "title": _item_title(name, number),
        "content_html": _article_body(name, number, DEFAULT_SIZE, False, base_url),
        "date_published": datetime.fromtimestamp(GENERATED_AT - number * 3600, tz=timezone.utc).isoformat(),
    } for number in range(1, items + 1)]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": f"Larkmouth Notes: {name} (JSON)",
                       "home_page_url": f"{base_url}/gen/", "items": entries}).encode()


def site_page(base_url: str, name: str, kind: str) -> bytes:
    """A home page of a generated site: naming several feeds, none, or none with one at a usual path."""
    links = ""
    if kind == "several":
        links = (f'<link rel="alternate" type="application/rss+xml" title="Larkmouth Notes" href="/gen/{name}.xml">\n'
                 f'<link rel="alternate" type="application/rss+xml; charset=utf-8" title="Comments" '
                 f'href="{base_url}/gen/{name}-comments.xml?items=2">\n'
                 f'<link rel="alternate" type="application/feed+json" title="JSON" href="../../gen/{name}.json">\n'
                 f'<link rel="alternate" type="application/atom+xml" title="Gone" href="/status/404">\n'
                 f'<link rel="alternate" hreflang="cy" href="/site/{name}/cy/">\n')
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Larkmouth Notes: {html.escape(name)}</title>\n"
            f"{links}</head><body><h1>Larkmouth Notes</h1><p>Local news from the harbour town.</p>"
            f'<p><a href="/gen/articles/{name}-1.html">The latest story</a></p></body></html>\n').encode()


_NOT_A_FEED = b"""<!DOCTYPE html>
<html><head><title>Welcome to Larkmouth Notes</title></head>
<body><h1>Welcome</h1><p>This is the home page, not a feed. Try the link below.</p>
<link rel="alternate" type="application/rss+xml" href="/gen/home.xml"></body></html>
"""
_SMALL_FEED = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Slow feed</title>'
               b"<link>http://127.0.0.1/</link><item><title>It came eventually</title>"
               b"<guid>slow-1</guid><description>Worth the wait.</description></item></channel></rss>")
# Bad images: body, the type the server claims, extra headers.
_BAD_IMAGES = {
    "/img/script.svg": (lambda: image_origin.SCRIPT_SVG, "image/svg+xml", None),
    "/img/huge.png": (image_origin.huge_png, "image/png", None),
    "/img/bomb.png": (image_origin.bomb, "image/png", {"Content-Encoding": "gzip"}),
    "/img/truncated.jpg": (image_origin.truncated_jpeg, "image/jpeg", None),
}
_CONTENT_TYPES = {
    ".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml", ".json": "application/feed+json", ".html": "text/html; charset=utf-8",
    ".gz": "application/gzip", ".png": "image/png", ".txt": "text/plain; charset=utf-8",
}


class FeedServer:
    """The fake origin, serving in a daemon thread; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, fixtures_dir: Path = FIXTURES_DIR,
                 certificate: tuple[Path, Path] | None = None):
        """certificate: (cert file, key file) to serve https instead of http."""
        server_class = _IPv6Server if ":" in host else _Server
        self._httpd = server_class((host, port), _Handler)
        self._httpd.origin = self
        scheme = "http"
        if certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            scheme = "https"
        self.fixtures_dir = fixtures_dir.resolve()
        self.switches: dict[str, dict[str, str]] = {}
        self._log: list[dict] = []
        self._log_lock = threading.Lock()
        bound_host, bound_port = self._httpd.server_address[:2]
        shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"{scheme}://{shown_host}:{bound_port}"
        self.port = bound_port
        # A test that times an image's download must not time its making too.
        threading.Thread(target=image_origin.warm, name="warm-images", daemon=True).start()

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path

    def start(self) -> "FeedServer":
        """Serve in a daemon thread."""
        threading.Thread(target=self._httpd.serve_forever, name="feed-server", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FeedServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (process mode)."""
        try:
            self._httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()

    @property
    def requests(self) -> list[dict]:
        """The request log: one dict per request (method, path, status, headers), oldest first."""
        with self._log_lock:
            return [dict(entry) for entry in self._log]

    def reset_log(self) -> None:
        """Forget all logged requests."""
        with self._log_lock:
            self._log.clear()

    def record(self, entry: dict) -> None:
        """Add one request to the log (the oldest go once it holds 20,000)."""
        with self._log_lock:
            self._log.append(entry)
            del self._log[:-_MAX_LOG]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # clients that hang up (deadlines, size caps, closed keep-alive) are expected
        super().handle_error(request, client_address)


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm holds the body
    # back ~40 ms per answer, a delay no real server adds.
    disable_nagle_algorithm = True
    server_version = "LarkmouthFeedServer/1.0"

    def log_message(self, format, *args):  # noqa: A002 - the signature is BaseHTTPRequestHandler's
        pass  # the request log is kept in memory; stderr stays quiet

    @property
    def origin(self) -> FeedServer:
        return self.server.origin

    def send_response(self, code, message=None):
        # Logged before the response leaves, so a client that has its answer also finds it in the log.
        if not self.path.startswith(("/_log", "/_switch/")):
            self.origin.record({
                "method": self.command, "path": self.path, "status": code,
                "headers": dict(self.headers.items()),
            })
        super().send_response(code, message)

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self):
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path.startswith(("/_log", "/_switch/")):
            return self._log_route(path)
        try:
            self._route(path, query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a size cap or a deadline)
        return None

    def _route(self, path: str, query: dict[str, str]):
        if path.startswith("/files/"):
            return self._file(path[len("/files/"):], query)
        if self._image_route(path, query):
            return None
        match = re.fullmatch(r"/gen/articles/([\w.-]+)-([a-z_]+)\.html", path)
        if match:
            return self._cacheable(picture_page(self.origin.base_url, match.group(1), match.group(2),
                                                query.get("og") == "1"), "text/html; charset=utf-8")
        match = re.fullmatch(r"/gen/articles/([\w.-]+)-(\d+)\.html", path)
        if match:
            time.sleep(_float(query, "delay", 0.0))
            page = article_page(self.origin.base_url, match.group(1), int(match.group(2)),
                                _int(query, "size", DEFAULT_SIZE, 100, 2_000_000), query.get("image") == "1")
            return self._cacheable(page, "text/html; charset=utf-8")
        match = re.fullmatch(r"/gen/([\w.-]+)\.xml", path)
        if match:
            feed = generated_feed(
                self.origin.base_url, match.group(1), _int(query, "items", 10, 0, 1000),
                _int(query, "size", DEFAULT_SIZE, 100, 2_000_000), query.get("image") == "1",
                query.get("summary_only") == "1", query.get("hostile") == "1", _float(query, "slow_last", 0.0),
                _int(query, "photos", 0, 0, 1000), query.get("terms") == "1",
            )
            return self._cacheable(feed, "application/rss+xml; charset=utf-8")
        match = re.fullmatch(r"/gen/([\w.-]+)\.json", path)
        if match:
            feed = generated_json_feed(self.origin.base_url, match.group(1), _int(query, "items", 10, 0, 1000))
            return self._cacheable(feed, "application/feed+json")
        match = re.fullmatch(r"/site/([\w.-]+)/(several\.html|plain\.html|blog/)", path)
        if match:
            kind = {"several.html": "several", "plain.html": "plain", "blog/": "blog"}[match.group(2)]
            return self._send(200, site_page(self.origin.base_url, match.group(1), kind), "text/html; charset=utf-8")
        match = re.fullmatch(r"/site/([\w.-]+)/blog/feed", path)
        if match:
            feed = generated_feed(self.origin.base_url, match.group(1), 3, DEFAULT_SIZE, False, False, False)
            return self._cacheable(feed, "application/rss+xml; charset=utf-8")
        match = re.fullmatch(r"/switch/([\w.-]+)\.xml", path)
        if match:
            return self._switch(match.group(1), query)
        match = re.fullmatch(r"/status/(\d{3})", path)
        if match:
            code = int(match.group(1))
            extra = {"Retry-After": query["retry_after"]} if "retry_after" in query else None
            return self._send(code, b"" if code in (204, 304) else f"status {code}\n".encode(), "text/plain", extra)
        if path == "/slow":
            time.sleep(_float(query, "seconds", 2.0))
            return self._send(200, _SMALL_FEED, "application/rss+xml")
        if path == "/drip":
            return self._drip(_float(query, "seconds", 5.0))
        if path == "/big":
            return self._big(_int(query, "bytes", 1_000_000, 0, 2_000_000_000), query.get("chunked") == "1")
        if path == "/redirect":
            target = query.get("to", "/")
            if "localhost" in query:
                target = f"http://localhost:{_int(query, 'localhost', 80, 1, 65535)}/files/feeds/rss20-cdata.xml"
            self.send_response(_int(query, "status", 302, 301, 308))
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/bomb":
            codings = tuple(c.strip() for c in query.get("coding", "gzip").split(",")
                            if c.strip() in ("gzip", "deflate")) or ("gzip",)
            body = hostile_documents.bomb(_int(query, "mb", 1000, 1, 4000), codings)
            return self._send(200, body, "application/rss+xml", {"Content-Encoding": ", ".join(codings)})
        if path == "/quadratic.xml":
            body = hostile_documents.quadratic_blowup(_int(query, "kb", 150, 1, 20_000))
            return self._send(200, body, "application/rss+xml; charset=utf-8")
        if path == "/flood.xml":
            pattern = query.get("pattern", "img")
            pattern = pattern if pattern in hostile_documents.FLOOD_PATTERNS else "img"
            feed = hostile_documents.flood_feed(self.origin.base_url, pattern, query.get("where", "content"),
                                                _int(query, "size", 1_000_000, 10, 20_000_000))
            return self._send(200, feed, "application/rss+xml; charset=utf-8")
        if path == "/notfeed":
            return self._send(200, _NOT_A_FEED, "text/html; charset=utf-8")
        if path == "/garbage":
            return self._send(200, random.Random(7).randbytes(4096), "application/xml")
        return self._send(404, b"not found\n", "text/plain")

    def _switch(self, name: str, query: dict[str, str]):
        state = self.origin.switches.get(name, {})
        status = int(state.get("status", "200"))
        if status == 200:
            feed = generated_feed(self.origin.base_url, name, _int(query, "items", 3, 0, 1000), DEFAULT_SIZE,
                                  False, False, False)
            return self._cacheable(feed, "application/rss+xml; charset=utf-8")
        extra = {}
        if "retry_after" in state:
            extra["Retry-After"] = state["retry_after"]
        if "location" in state:
            extra["Location"] = state["location"]
        return self._send(status, f"status {status}\n".encode(), "text/plain", extra)

    def _image_route(self, path: str, query: dict[str, str]) -> bool:
        """Answer the image routes of image_origin.py; False for any other path."""
        generated = re.fullmatch(r"/gen/(img|photo)/(\d+)\.(?:png|jpg)", path)
        if generated:
            make, kind = (image_origin.png_image, "png") if generated.group(1) == "img" else (image_origin.photo, "jpeg")
            self._cacheable(make(int(generated.group(2))), f"image/{kind}")
        elif path == "/gen/images.xml":
            cases = [c for c in query.get("cases", "").split(",") if c]
            feed = image_origin.images_feed(self.origin.base_url, cases, query.get("name", "pictures"))
            self._cacheable(feed, "application/rss+xml; charset=utf-8")
        elif path == "/img/drip.jpg":
            self._drip(_float(query, "seconds", 5.0), image_origin.photo(12), "image/jpeg")
        elif path in _BAD_IMAGES:
            make, content_type, extra = _BAD_IMAGES[path]
            self._send(200, make(), content_type, extra)
        else:
            return False
        return True

    def _log_route(self, path: str):
        match = re.fullmatch(r"/_switch/([\w.-]+)", path)
        if match and self.command == "POST":
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            self.origin.switches[match.group(1)] = query
            return self._send(200, b'{"ok": true}', "application/json")
        if path == "/_log/reset" and self.command == "POST":
            self.origin.reset_log()
            return self._send(200, b'{"ok": true}', "application/json")
        if path == "/_log":
            return self._send(200, json.dumps(self.origin.requests).encode(), "application/json")
        return self._send(404, b"not found\n", "text/plain")

    def _file(self, relative: str, query: dict[str, str]):
        root = self.origin.fixtures_dir
        target = (root / relative).resolve()
        if root not in target.parents or not target.is_file():
            return self._send(404, b"no such fixture\n", "text/plain")
        body = target.read_bytes()
        content_type = query.get("type") or _CONTENT_TYPES.get(target.suffix, "application/octet-stream")
        return self._cacheable(body, content_type, modified=target.stat().st_mtime,
                               encoding=query.get("encoding"))

    def _cacheable(self, body: bytes, content_type: str, *, modified: float = GENERATED_AT,
                   encoding: str | None = None):
        """Answer with validators, or 304 when the request's validators match (RFC 9110 13.2.2)."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        last_modified = formatdate(int(modified), usegmt=True)
        if self._not_modified(etag, int(modified)):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return None
        extra = {"ETag": etag, "Last-Modified": last_modified}
        if encoding in ("gzip", "broken"):
            body = gzip.compress(body, mtime=0) if encoding == "gzip" else body
            extra["Content-Encoding"] = "gzip"
        elif encoding == "br":  # a coding the worker does not ask for; the bytes are not even compressed
            extra["Content-Encoding"] = "br"
        return self._send(200, body, content_type, extra)

    def _not_modified(self, etag: str, modified: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                return parsedate_to_datetime(if_modified_since).timestamp() >= modified
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _drip(self, seconds: float, body: bytes = _SMALL_FEED, content_type: str = "application/rss+xml"):
        pieces = min(len(body), 400)
        step = -(-len(body) // pieces)
        pause = seconds / pieces
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for index in range(0, len(body), step):
            self.wfile.write(body[index:index + step])
            self.wfile.flush()
            time.sleep(pause)

    def _big(self, size: int, chunked: bool):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        block = b"x" * 65536
        remaining = size
        while remaining > 0:
            piece = block[:min(remaining, len(block))]
            self.wfile.write(piece)
            remaining -= len(piece)


def _int(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


def _float(query: dict[str, str], name: str, default: float) -> float:
    try:
        return max(0.0, min(600.0, float(query.get(name, default))))
    except ValueError:
        return default


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fake feed origin until killed.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fixtures", type=Path, default=FIXTURES_DIR)
    args = parser.parse_args()
    server = FeedServer(args.host, args.port, args.fixtures)
    print(server.base_url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
