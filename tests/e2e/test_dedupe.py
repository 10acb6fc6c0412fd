"""Two overlapping feeds on the origin make one post per story; each skip says why, and "Import anyway" undoes it."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from harness import FEED_FILES_DIR, Stack, unique_name

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"))
from stories import WIRE  # noqa: E402


def write_rss(e2e: Stack, name: str, items: list[tuple[str, str, str, list[str]]]) -> str:
    """Serve a feed of (guid, link, title, paragraphs) items with their full text; returns its URL."""
    body = "".join(
        f"<item><title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
        f'<guid isPermaLink="false">{html.escape(guid)}</guid>'
        f"<content:encoded><![CDATA[<p>{'</p><p>'.join(paragraphs)}</p>]]></content:encoded></item>\n"
        for guid, link, title, paragraphs in items)
    (FEED_FILES_DIR / f"{name}.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{name}</title><link>https://{name}.example/</link><description>d</description>\n{body}"
        "</channel></rss>\n", encoding="utf-8")
    return f"{e2e.origin_url}/files/{name}.xml"


def test_overlapping_feeds_make_one_post_per_story_and_every_skip_is_explained_and_undoable(e2e):
    wire_name, paper_name = unique_name("wire"), unique_name("paper")
    bridge, lifeboat, library, wind = (WIRE[k] for k in ("w01-bridge", "w02-lifeboat", "w03-library", "w04-wind"))
    wire = e2e.create_feed(write_rss(e2e, wire_name, [
        ("vw-bridge", "https://valleywire.example/stories/bridge", *bridge),
        ("vw-lifeboat", "https://valleywire.example/stories/lifeboat", *lifeboat),
        ("vw-library", "https://valleywire.example/stories/library", *library),
    ]), title="Valley Wire", max_posts=10)
    e2e.wait_for_run(wire["id"])
    paper = e2e.create_feed(write_rss(e2e, paper_name, [
        # Wire copy under another headline, its last paragraph cut: the text is similar.
        ("nc-1", "https://northerncourier.example/news/bridge", "Drivers face long detour", bridge[1][:-1]),
        # The wire's own article, linked with tracking parameters: the address is the same.
        ("nc-2", "https://valleywire.example/stories/lifeboat/?utm_source=courier&fbclid=x", "Yacht crew saved",
         lifeboat[1]),
        ("nc-3", "https://northerncourier.example/news/wind", *wind),
    ]), title="Northern Courier", max_posts=10)
    e2e.wait_for_run(paper["id"])

    assert len(e2e.posts_of_feed(wire["id"])) == 3
    paper_posts = e2e.posts_of_feed(paper["id"])
    assert [p["meta"]["_atai_source_guid"] for p in paper_posts] == ["nc-3"]
    wire_posts = {p["meta"]["_atai_source_guid"]: p for p in e2e.posts_of_feed(wire["id"])}

    items = {item["title"]: item for item in e2e.items(paper["id"])}
    detour, saved = items["Drivers face long detour"], items["Yacht crew saved"]
    assert detour["state"] == saved["state"] == "skipped" and detour["post_id"] is None
    assert detour["skip"]["reason"] == "similar_text" and detour["skip"]["feed_title"] == "Valley Wire"
    assert detour["skip"]["post_id"] == wire_posts["vw-bridge"]["id"] and detour["skip"]["similarity"] >= 0.45
    assert saved["skip"]["reason"] == "same_url" and saved["skip"]["post_id"] == wire_posts["vw-lifeboat"]["id"]
    assert saved["skip"]["message"].startswith(f"Same story as post {wire_posts['vw-lifeboat']['id']} ")

    # The feed's screen shows the reason, with "Import anyway".
    page = e2e.admin_page(f"/wp-admin/admin.php?page=atai-feeds&action=edit&feed={paper['id']}")
    assert html.escape(saved["skip"]["message"], quote=True) in page or saved["skip"]["message"] in html.unescape(page)
    links = re.findall(r'href="([^"]*action=atai_import_anyway[^"]*)"', page)
    assert len(links) == 2
    target = next(link for link in links if detour["key"] in html.unescape(link))
    done = e2e.admin_page(html.unescape(target).removeprefix(e2e.site.url))
    assert "Imported:" in done

    after = {item["title"]: item for item in e2e.items(paper["id"])}
    assert after["Drivers face long detour"]["state"] == "posted" and after["Drivers face long detour"]["skip"] is None
    assert len(e2e.posts_of_feed(paper["id"])) == 2
    # A second run of both feeds adds nothing.
    for feed in (wire, paper):
        e2e.run_now(feed["id"])
        e2e.wait_for_run(feed["id"])
    assert len(e2e.posts_of_feed(wire["id"])) + len(e2e.posts_of_feed(paper["id"])) == 5


def test_a_feed_url_spelled_differently_is_refused_naming_the_feed(e2e):
    url = write_rss(e2e, unique_name("spelling"), [("g", "https://x.example/a", *WIRE["w05-hospital"])])
    feed = e2e.create_feed(url, title="Spelling test")
    response = e2e.http.post("/wp-json/atai/v1/feeds", auth=(e2e.site.admin_user, e2e.app_password),
                             json={"url": url.replace("http://", "HTTP://") + "#again"})
    assert response.status_code == 400
    message = response.json()["data"]["params"]["url"]
    assert message == f'Feed URL: this feed is already added as "Spelling test" (feed #{feed["id"]}, {url}).'
