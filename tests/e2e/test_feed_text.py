"""What a feed wrote is shown on the site, never run: shortcodes stay text, lone URLs stay links nobody fetches.

The pages are served by the real site to a visitor; the fake origin stands in for the hosts a feed names, and its
request log tells whether WordPress asked them for anything (the harness lets WordPress reach its port).
"""

from __future__ import annotations

import html

from lxml import html as lxml_html

from harness import Stack, StoryItem, elements_with_class, unique_name
from tests.fakes.model_server import TITLE_PREFIX


def origin_was_asked_for(e2e: Stack, marker: str) -> bool:
    """Whether any request to the origin carried this marker in its path or query."""
    return any(marker in entry["path"] for entry in e2e.origin_log())


def post_content_of_page(e2e: Stack, link: str):
    """The post's content element on its page, as a visitor who is not logged in gets it."""
    page = e2e.anonymous(link)
    assert page.status_code == 200, f"GET {link} answered {page.status_code}"
    contents = elements_with_class(lxml_html.fromstring(page.text), "wp-block-post-content")
    assert len(contents) == 1, page.text[:2000]
    return contents[0]


def test_shortcodes_and_lone_urls_from_a_feed_show_as_text_and_links_and_the_site_requests_nothing(e2e):
    name = unique_name("e2e-shortcodes")
    alone = f"{e2e.origin_url}/status/200?lone-url={name}"
    wrapped = f"{e2e.origin_url}/status/200?embed-shortcode={name}"
    story = StoryItem(f"Gallery night [gallery] in {name}", f"The gallery of {name} opens late.",
                      extra_html=f"<p>[gallery]</p><p>[contact-form-7 id=1]</p><p>[embed]{wrapped}[/embed]</p>"
                                 f"<p>{alone}</p>")
    feed = e2e.create_feed(e2e.write_feed(name, [story]))
    e2e.run_now(feed["id"])
    e2e.wait_for_run(feed["id"])
    [post] = e2e.posts_of_feed(feed["id"])

    content = post_content_of_page(e2e, post["link"])

    text = content.text_content().replace("\u2060", "")  # the invisible word joiner after each "["
    assert "[gallery]" in text and "[contact-form-7 id=1]" in text and f"[embed]{wrapped}[/embed]" in text, text
    assert alone in content.xpath(".//a/@href"), "the lone URL is not a plain link"
    embedded = ".//iframe | .//form | .//*[contains(@class, 'gallery')] | .//*[contains(@class, 'wp-embed')]"
    assert content.xpath(embedded) == []
    assert not origin_was_asked_for(e2e, f"lone-url={name}"), "the site fetched a URL the feed put alone in a paragraph"
    assert not origin_was_asked_for(e2e, f"embed-shortcode={name}"), "the site fetched a URL of the feed's [embed]"
    assert html.unescape(post["title"]["raw"]) == TITLE_PREFIX + story.title
    assert "[" not in post["title"]["raw"] + post["content"]["raw"] + post["excerpt"]["raw"]


def test_the_site_owners_own_post_keeps_its_shortcodes_and_embeds(e2e):
    name = unique_name("e2e-own-post")
    alone = f"{e2e.origin_url}/status/200?own-post={name}"
    picture = f"{e2e.origin_url}/gen/img/1.png"
    post = e2e.rest("POST", "wp/v2/posts", {
        "title": f"Written on the site {name}",
        "status": "publish",
        "content": f'[caption id="harbour" width="8"]<img src="{picture}" alt="The harbour" width="8" height="8"> '
                   f"The harbour[/caption]\n\n{alone}\n",
    }, expect=(201,))

    content = post_content_of_page(e2e, post["link"])

    assert elements_with_class(content, "wp-caption"), "the owner's [caption] shortcode did not run"
    assert origin_was_asked_for(e2e, f"own-post={name}"), (
        "WordPress did not try to embed the owner's lone URL, so the test above cannot tell an embed from none")
