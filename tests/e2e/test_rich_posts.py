"""Rich posts as a visitor sees them: featured images from the media library on the front page (Chromium),
and the meta description and canonical address where an SEO plugin, or WordPress itself, prints them."""

from __future__ import annotations

import html
import re
import shutil

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness import REPO, STATE_DIR, Stack, stack, unique_name
from browser import PAGE_WAIT, chromium, screenshot

STAND_INS = REPO / "tests/fixtures/seo-stand-ins"


def test_the_front_page_shows_each_post_with_its_picture_from_the_media_library(e2e: Stack):
    cases = "media_content,enclosure,content_image"
    feed = e2e.create_feed(f"{e2e.origin_url}/gen/images.xml?cases={cases}&name={unique_name('front')}")
    e2e.wait_for_run(feed["id"])
    posts = e2e.posts_of_feed(feed["id"])
    assert len(posts) == 3 and all(post["featured_media"] for post in posts)
    uploads = []
    for post in posts:
        media = e2e.anonymous(f"/wp-json/wp/v2/media/{post['featured_media']}").json()
        assert media["mime_type"] == "image/jpeg" and "/wp-content/uploads/" in media["source_url"]
        uploads.append(media["source_url"].rsplit("/", 1)[1].rsplit(".", 1))

    driver = chromium()
    try:
        driver.get(e2e.site.url + "/")
        WebDriverWait(driver, PAGE_WAIT).until(lambda d: d.execute_script(
            "return [...document.images].every(i => i.complete)"))
        screenshot(driver, "front-page-featured-images")
        shown = driver.execute_script(
            "return [...document.querySelectorAll('img.wp-post-image')]"
            ".map(i => ({src: i.currentSrc || i.src, width: i.naturalWidth, alt: i.alt}))")
    finally:
        driver.quit()
    # A post's picture is its attachment's file, or one of its sub-sizes (<name>-<width>x<height>.jpg).
    names = "|".join(re.escape(stem) + r"(-\d+x\d+)?\." + re.escape(extension) for stem, extension in uploads)
    ours = [image for image in shown if re.fullmatch(names, image["src"].rsplit("/", 1)[1])]
    assert len(ours) == 3, shown
    assert all(image["width"] > 0 and "/wp-content/uploads/" in image["src"] for image in ours)
    # The browser loaded them from the site: not one request for a picture reached the origin from it.
    assert not [r for r in e2e.origin_log() if r["path"].startswith("/gen/photo/")
                and "Chrome" in r["headers"].get("User-Agent", "")]


def _plugin(e2e: Stack, name: str, status: str) -> None:
    response = e2e.http.post(f"/wp-json/wp/v2/plugins/{name}/{name}", json={"status": status},
                             auth=(e2e.site.admin_user, e2e.app_password))
    assert response.status_code == 200, response.text[:500]


def _install(e2e: Stack, name: str) -> None:
    """Copy a stand-in plugin into the site's plugins directory, as the web server's user."""
    target = e2e.site.content_dir / "plugins" / name
    staging = STATE_DIR / name
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(STAND_INS / name, staging)
    stack.run(stack.privileged(["cp", "-r", str(staging), str(target)]))
    stack.run(stack.privileged(["chown", "-R", f"{stack.WEB_USER}:{stack.WEB_USER}", str(target)]))
    shutil.rmtree(staging)


def _post_page(e2e: Stack, **fields) -> tuple[dict, str]:
    feed = e2e.create_feed(e2e.generated_feed_url(unique_name("seo"), items=1), canonical=True, **fields)
    e2e.wait_for_run(feed["id"])
    [post] = e2e.posts_of_feed(feed["id"])
    return post, e2e.visitor.get(post["link"]).text


def _head_tags(page: str, tag: str) -> list[str]:
    head = page.split("</head>", 1)[0]
    return re.findall(rf"<{tag}\b[^>]*>", head)


@pytest.mark.parametrize("name, marker", [("atai-yoast-stand-in", "yoast"), ("atai-rank-math-stand-in", "rank-math")])
def test_an_active_seo_plugin_prints_the_description_and_canonical_from_its_own_fields(e2e: Stack, name, marker):
    _install(e2e, name)
    _plugin(e2e, name, "active")
    try:
        post, page = _post_page(e2e)
    finally:
        _plugin(e2e, name, "inactive")
    descriptions = _head_tags(page, "meta")
    descriptions = [tag for tag in descriptions if 'name="description"' in tag]
    canonicals = [tag for tag in _head_tags(page, "link") if 'rel="canonical"' in tag]
    # Only the SEO plugin's own tags: ours step aside, and so does WordPress's rel=canonical.
    assert len(descriptions) == 1 and f'data-stand-in="{marker}"' in descriptions[0]
    assert re.search(r'content="[^"]{20,}"', descriptions[0])
    assert canonicals == [f'<link rel="canonical" data-stand-in="{marker}" '
                          f'href="{html.escape(post["meta"]["_atai_source_url"])}" />']


def test_without_an_seo_plugin_the_page_has_our_description_and_the_original_as_canonical(e2e: Stack):
    post, page = _post_page(e2e)
    descriptions = [tag for tag in _head_tags(page, "meta") if 'name="description"' in tag]
    canonicals = [tag for tag in _head_tags(page, "link") if 'rel="canonical"' in tag]
    assert len(descriptions) == 1 and "data-stand-in" not in descriptions[0]
    assert re.search(r'content="[^"]{20,}"', descriptions[0])
    assert canonicals == [f'<link rel="canonical" href="{html.escape(post["meta"]["_atai_source_url"])}" />']
