"""The identity layers (issue #12): canonical URL, text fingerprint, MinHash bands; pure rules, then the runner."""

import html
import json
import sys
from pathlib import Path

import pytest
from tests.worker.test_runner import request_for, run, runner, settings  # noqa: F401 - fixtures

from atai_worker import identity
from atai_worker.api import contract_validator
from atai_worker.fetch import Fetcher

DEDUPE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"
sys.path.insert(0, str(DEDUPE_DIR))
from stories import LOCAL, TEMPLATES, WIRE  # noqa: E402


def words(text: str) -> list[str]:
    return identity.words_of(text)


def similarity(a: str, b: str) -> float:
    return identity.similarity(identity.encode_minhash(identity.minhash_of(words(a))),
                               identity.encode_minhash(identity.minhash_of(words(b))))


@pytest.mark.parametrize("case", json.loads((DEDUPE_DIR / "address-cases.json").read_text())["cases"],
                         ids=lambda case: case["url"])
def test_feed_addresses_get_the_identity_the_plugin_gives_them(case):
    assert identity.address_identity(case["url"]) == case["identity"]


@pytest.mark.parametrize("url", [
    "https://harbourgazette.example/news/bakery",
    "http://harbourgazette.example/news/bakery/",
    "HTTPS://HarbourGazette.example:443/news/bakery#comments",
    "https://harbourgazette.example/news/bakery?utm_source=rss&utm_medium=feed&utm_campaign=x",
    "https://harbourgazette.example/news/bakery?fbclid=IwAR0&gclid=abc&mc_cid=1&mc_eid=2",
    "https://www.harbourgazette.example/news/bakery",
    "https://m.harbourgazette.example/news/bakery",
    "https://amp.harbourgazette.example/news/bakery",
    "https://harbourgazette.example/news/bakery/amp/",
    "https://harbourgazette.example/amp/news/bakery",
    "https://harbourgazette.example/news/bakery?amp=1",
    "https://harbourgazette.example/news/bakery?outputType=amp",
    "https://harbourgazette-example.cdn.ampproject.org/c/s/harbourgazette.example/news/bakery",
])
def test_every_spelling_and_rendering_of_an_article_has_one_canonical_url(url):
    assert identity.canonical_url(url) == "https://harbourgazette.example/news/bakery"


def test_canonical_urls_keep_what_names_the_article():
    assert identity.canonical_url("https://example.org/story.php?id=5&utm_source=x") == "https://example.org/story.php?id=5"
    assert identity.canonical_url("https://example.org/story.amp.html") == "https://example.org/story.html"
    assert identity.canonical_url("https://example.org/a") != identity.canonical_url("https://example.org/b")
    assert identity.canonical_url("https://example.org/A") != identity.canonical_url("https://example.org/a")
    assert identity.canonical_url("https://other.example/a") != identity.canonical_url("https://example.org/a")
    assert identity.canonical_url(None) is None and identity.canonical_url("") is None
    assert identity.canonical_url("javascript:alert(1)") is None and identity.canonical_url("/relative") is None


def page(head: str) -> str:
    return f"<html><head>{head}</head><body><p>Article.</p></body></html>"


PAGE_URL = "https://harbourgazette.example/news/bakery?id=1"


@pytest.mark.parametrize("head, expected", [
    ('<link rel="canonical" href="https://www.harbourgazette.example/news/cable-street-bakery">',
     ("https://www.harbourgazette.example/news/cable-street-bakery", "rel_canonical")),
    ('<link rel="Canonical" href="/news/cable-street-bakery">',
     ("https://harbourgazette.example/news/cable-street-bakery", "rel_canonical")),
    ('<meta property="og:url" content="https://harbourgazette.example/news/cable-street-bakery">',
     ("https://harbourgazette.example/news/cable-street-bakery", "og_url")),
    # Another site's page, a private address and the home page are never taken (nor fetched).
    ('<link rel="canonical" href="https://valleywire.example/stories/bakery">', (None, None)),
    ('<link rel="canonical" href="http://10.0.0.7/news/bakery">', (None, None)),
    ('<link rel="canonical" href="http://localhost/news/bakery">', (None, None)),
    ('<link rel="canonical" href="https://harbourgazette.example/">', (None, None)),
    ('<link rel="canonical" href="/"><meta property="og:url" content="https://harbourgazette.example/news/x">',
     ("https://harbourgazette.example/news/x", "og_url")),
    ('<link rel="canonical" href="javascript:alert(1)">', (None, None)),
    ("", (None, None)),
])
def test_a_fetched_page_names_its_article_url_unless_it_points_away(head, expected):
    assert identity.page_canonical(page(head), PAGE_URL) == expected


def test_a_page_on_an_allowed_private_host_may_name_its_own_address():
    allowed = Fetcher(allowed_hosts=["127.0.0.1:8080"]).allows
    named = identity.page_canonical(page('<link rel="canonical" href="http://127.0.0.1:8080/a">'),
                                    "http://127.0.0.1:8080/a?x=1", allowed)
    assert named == ("http://127.0.0.1:8080/a", "rel_canonical")
    # The allowance names a port: the same host on another port stays private.
    assert identity.page_canonical(page('<link rel="canonical" href="http://127.0.0.1:9090/a">'),
                                   "http://127.0.0.1:9090/a?x=1", allowed) == (None, None)
    assert identity.page_canonical(page(""), "http://127.0.0.1:8080/a") == (None, None)
    assert identity.page_canonical(b"\x00\xff not html", PAGE_URL) == (None, None)


STORY = " ".join(WIRE["w01-bridge"][1])


def test_the_text_hash_ignores_markup_case_punctuation_and_feed_footers():
    base = identity.text_hash(words(STORY))
    assert base is not None and len(base) == 32
    assert identity.text_hash(words("  " + STORY.upper().replace(",", "").replace(" ", "\n  "))) == base
    footer = STORY + " The post Old swing bridge to close appeared first on Regional Digest."
    assert identity.text_hash(words(footer)) == base
    assert identity.text_hash(words(STORY + " Continue reading…")) == base
    assert identity.text_hash(words(STORY.replace("six months", "seven months"))) != base


def test_short_texts_get_no_text_fingerprints():
    short = "High tide at Larkmouth at 6.12am and 6.40pm. Low tide at 12.20am and 12.45pm."
    story = identity.identity_of(short, "https://coastradio.example/tides", "link")
    assert story.text_hash is None and story.minhash is None and story.bands == ()
    assert story.words == len(words(short)) and story.canonical_url == "https://coastradio.example/tides"


def test_edited_wire_copy_is_similar_and_template_look_alikes_are_not():
    paragraphs = WIRE["w08-harbour"][1]
    edited = paragraphs[:-1] + ["Skippers at the quay told the paper they would believe it when they saw it."]
    assert similarity(" ".join(paragraphs), " ".join(edited)) >= 0.6
    assert similarity(" ".join(LOCAL["l01-bakery"][1]), " ".join(LOCAL["l02-seawall"][1])) < 0.1
    for _, text, variants in TEMPLATES.values():
        first, second = (text.format(**values) for values in variants[:2])
        assert similarity(first, second) < 0.45


def test_similar_texts_share_a_band_and_the_encoding_is_what_the_contract_says():
    paragraphs = WIRE["w06-rail"][1]
    a = identity.identity_of(" ".join(paragraphs), None, None)
    b = identity.identity_of(" ".join(paragraphs[:-1]), None, None)
    assert len(a.bands) == identity.BANDS == 42 and len(set(a.bands)) == 42
    assert set(a.bands) & set(b.bands)
    assert len(a.minhash) == 684 and identity.similarity(a.minhash, a.minhash) == 1.0
    contract_validator("Identity").validate(a.to_dict())
    # Stable across processes and versions: WordPress compares signatures stored long ago.
    assert identity.identity_of("one two three four five six seven " * 10, None, None).bands[0] == "89cf66dc60bee61a"


# --- Through the runner: the fetched page's final URL, rel=canonical and og:url -------------------


def write_summary_feed(feed_files, pages: dict[str, str]) -> str:
    """A feed of summary-only items (so each page is fetched) linking to the pages given as name -> head."""
    base = feed_files.server.base_url
    body = "".join(f"<p>{html.escape(p)}</p>" for p in WIRE["w04-wind"][1])
    items = ""
    for n, (name, head) in enumerate(pages.items()):
        (feed_files.directory / f"{name}.html").write_text(
            f"<html><head><title>{name}</title>{head}</head><body><nav>Home News</nav><article>"
            f"<h1>{name}</h1>{body}</article></body></html>", encoding="utf-8")
        link = f"{base}/redirect?to={base}/files/{name}.html" if name.startswith("moved") else \
            f"{base}/files/{name}.html?utm_source=rss"
        items += (f"<item><title>{name}</title><link>{html.escape(link)}</link><guid>{name}-{n}</guid>"
                  "<description>A short summary.</description></item>")
    (feed_files.directory / "summaries.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title><link>{base}/</link>'
        f"<description>d</description>{items}</channel></rss>", encoding="utf-8")
    return feed_files.server.url("/files/summaries.xml")


def test_drafts_carry_the_url_the_fetched_page_gives_and_ignore_bad_canonicals(runner, feed_files):  # noqa: F811
    base = feed_files.server.base_url
    url = write_summary_feed(feed_files, {
        "named": '<link rel="canonical" href="/files/wind-farm-approved">',
        "og": f'<meta property="og:url" content="{base}/files/wind-og">',
        "moved": "",
        "elsewhere": '<link rel="canonical" href="https://valleywire.example/stories/wind">',
        "private": '<link rel="canonical" href="http://10.1.2.3/files/private">',
        "home": '<link rel="canonical" href="/">',
    })
    document = run(runner, request_for(url))
    found = {d["source_title"]: d["identity"] for d in document["drafts"]}
    assert len(found) == 6 and document["errors"] == []
    canonical = {name: (i["canonical_url"], i["canonical_from"]) for name, i in found.items()}
    host = base.removeprefix("http://")
    assert canonical["named"] == (f"https://{host}/files/wind-farm-approved", "rel_canonical")
    assert canonical["og"] == (f"https://{host}/files/wind-og", "og_url")
    assert canonical["moved"][0] == f"https://{host}/files/moved.html"  # where the redirect ended
    for name in ("elsewhere", "private", "home"):
        assert canonical[name] == (f"https://{host}/files/{name}.html", "link")
    # Only the pages themselves were requested: never a canonical URL.
    requested = {r["path"].split("?")[0] for r in feed_files.server.requests}
    assert requested == {"/files/summaries.xml", "/redirect", *(f"/files/{name}.html" for name in found)}
    # The same article text everywhere: one text hash, one signature.
    assert len({i["text_hash"] for i in found.values()}) == 1 and len({i["minhash"] for i in found.values()}) == 1
    assert all(i["words"] >= identity.MIN_WORDS for i in found.values())
