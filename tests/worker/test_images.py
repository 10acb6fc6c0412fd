"""Images: the byte check on its own, then the images stage in a real run against the fake origin."""

import json
import time
import uuid

import pytest
from tests.fakes import image_origin

from atai_worker.api import contract_validator
from atai_worker.image_check import ImageRefused, Limits, check_image, sniff
from atai_worker.image_store import SqliteImageStore
from atai_worker.endpoints import resolve_endpoint
from atai_worker.runner import Runner
from atai_worker.settings import Settings
from atai_worker.store import SqliteRunStore

# --- The byte check ------------------------------------------------------------------------------------


def test_each_format_is_recognised_by_its_bytes_whatever_it_is_called():
    assert sniff(image_origin.photo(1)) == "jpeg"
    assert sniff(image_origin.png_image(1)) == "png"
    assert sniff(image_origin.SCRIPT_SVG) == "svg"
    assert sniff(b"<!DOCTYPE html><html><body>Not found</body></html>") == "html"
    assert sniff(b"GIF89a" + b"\x00" * 20) == "gif"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00") == "avif"
    assert sniff(b"%PDF-1.7") is None


def test_a_real_photograph_passes_with_its_size_and_type():
    checked = check_image(image_origin.photo(3), Limits())
    assert (checked.mime_type, checked.width, checked.height) == ("image/jpeg", 960, 640)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize("body, reason", [
    (image_origin.SCRIPT_SVG, "it is an SVG drawing, which can carry scripts"),
    (b"<!doctype html><title>x</title>", "it is an HTML page, not an image"),
    (b"%PDF-1.7 not a picture", "it is not a JPEG, PNG, GIF, WebP or AVIF image"),
    (b"", "it is empty"),
])
def test_what_is_not_a_picture_is_refused_with_the_reason(body, reason):
    with pytest.raises(ImageRefused, match=reason):
        check_image(body, Limits())


def test_a_20000_pixel_square_is_refused_before_it_is_decoded():
    with pytest.raises(ImageRefused, match=r"it is 20,000 x 20,000 pixels, over the site's limit of 25 megapixels"):
        check_image(image_origin.huge_png(), Limits())


def test_a_truncated_jpeg_is_refused_as_damaged():
    with pytest.raises(ImageRefused, match=r"it is a damaged or incomplete JPEG file"):
        check_image(image_origin.truncated_jpeg(), Limits())


def test_the_site_limits_apply_to_size_and_format():
    with pytest.raises(ImageRefused, match=r"over the site's limit of 0.1 MB"):
        check_image(image_origin.photo(8), Limits(max_bytes=100_000))
    with pytest.raises(ImageRefused, match=r"a JPEG image, which the site's image editor cannot handle"):
        check_image(image_origin.photo(1), Limits(formats=("png",)))


# --- The stage, through a real run -----------------------------------------------------------------


@pytest.fixture
def runner(tmp_path):
    settings = Settings.from_env({"ATAI_WORKER_SECRET": "images-secret", "ATAI_DATA_DIR": str(tmp_path),
                                  "ATAI_ALLOWED_HOSTS": "127.0.0.1", "ATAI_IMAGE_TIMEOUT": "2"})
    runner = Runner(settings, SqliteRunStore(tmp_path / "runs.db"))
    yield runner
    runner.close()


def drafts_of(runner: Runner, url: str, **options) -> dict:
    """Run the feed at url with AI off; its drafts by the case in their guid."""
    request = {"feed": {"id": 1, "url": url}, "max_items": 50, "seen_keys": [], "ai": {"enabled": False},
               "options": options, "callback_url": None}
    run_id = uuid.uuid4().hex
    _, rewrite = resolve_endpoint(request["ai"], runner.settings)
    runner.store.create_run(run_id, 1, request, rewrite)
    runner.process_run(run_id)
    give_up = time.monotonic() + 60
    while runner.store.get_run(run_id).state not in ("done", "failed"):
        assert time.monotonic() < give_up, "the run did not finish"
        time.sleep(0.05)
    document = json.loads(runner.store.run_json(run_id))
    contract_validator("Run").validate(document)
    return {draft["guid"].split("-", 1)[1]: draft for draft in document["drafts"]}


def refusals(draft: dict) -> list[str]:
    return [f["message"] for f in draft["findings"] if f["code"] == "image_refused"]


def test_the_featured_image_comes_from_each_kind_of_source(runner, feed_server):
    cases = ["media_content", "media_thumbnail", "enclosure", "itunes_image", "content_image", "page_image"]
    drafts = drafts_of(runner, feed_server.url("/gen/images.xml?cases=" + ",".join(cases)))
    expected = {"media_content": "/gen/photo/1.jpg", "media_thumbnail": "/gen/photo/2.jpg",
                "enclosure": "/gen/photo/3.jpg", "itunes_image": "/gen/photo/4.jpg",
                "content_image": "/gen/photo/5.jpg", "page_image": image_origin.PAGE_IMAGE}
    for case, path in expected.items():
        image = drafts[case]["image"]
        assert image["url"] == feed_server.url(path), case
        assert (image["mime_type"], image["width"], image["height"]) == ("image/jpeg", 960, 640)
        assert refusals(drafts[case]) == []
    # The content's 1 x 1 spacer is no featured image; its own alt text travels with the chosen one.
    assert drafts["content_image"]["image"]["alt"] == "The quay at dawn"
    served = runner.images.store.get(drafts["enclosure"]["image"]["sha256"])
    assert served.body == image_origin.photo(3)


def test_images_of_the_content_are_checked_and_the_refused_ones_taken_out(runner, feed_server):
    drafts = drafts_of(runner, feed_server.url("/gen/images.xml?cases=body_images"))
    draft = drafts["body_images"]
    assert [i["url"] for i in draft["images"]] == [feed_server.url("/gen/photo/7.jpg")]
    assert draft["images"][0]["alt"] == "Nets drying"
    assert "script.svg" not in draft["content"] and feed_server.url("/gen/photo/7.jpg") in draft["content"]
    assert refusals(draft) == [f"image: {feed_server.url('/img/script.svg')} was not copied: it is an SVG drawing, "
                               "which can carry scripts; only JPEG, PNG, GIF, WebP and AVIF images are copied"]
    remote = drafts_of(runner, feed_server.url("/gen/images.xml?cases=body_images&name=remote"),
                       body_images="remote")["body_images"]
    assert remote["images"] == [] and "script.svg" in remote["content"]


def test_every_bad_image_costs_only_that_image_with_the_reason(runner, feed_server):
    bad = ["private", "redirect_private", "not_found", "slow_drip", "html_page", "svg_script", "bomb", "huge",
           "truncated"]
    feed_server.reset_log()
    drafts = drafts_of(runner, feed_server.url("/gen/images.xml?cases=" + ",".join(bad)),
                       featured_image="feed")
    reasons = {case: refusals(draft) for case, draft in drafts.items()}
    assert set(drafts) == set(bad)
    assert all(draft["image"] is None and draft["content"] for draft in drafts.values())
    expected = {
        "private": "10.255.255.1 is a private address",
        "redirect_private": "169.254.169.254 is a link-local address",
        "not_found": "got 404 from",
        "slow_drip": "it did not arrive in full within 2 s (ATAI_IMAGE_TIMEOUT)",
        "html_page": "it is an HTML page, not an image",
        "svg_script": "it is an SVG drawing, which can carry scripts",
        "bomb": "it is larger than the site's limit of 10 MB",
        "huge": "it is 20,000 x 20,000 pixels",
        "truncated": "it is a damaged or incomplete JPEG file",
    }
    for case, words in expected.items():
        assert len(reasons[case]) == 1 and words in reasons[case][0], (case, reasons[case])
    # Nothing reached a private address: the origin saw only its own paths.
    assert not [r for r in feed_server.requests if "169.254" in r["path"] and r["path"] != "/redirect"
                and not r["path"].startswith("/redirect?")]


def test_an_image_named_by_many_entries_is_downloaded_once(runner, feed_server):
    feed_server.reset_log()
    first = drafts_of(runner, feed_server.url("/gen/images.xml?cases=shared&name=one"))["shared"]
    second = drafts_of(runner, feed_server.url("/gen/images.xml?cases=shared&name=two"))["shared"]
    assert first["image"]["sha256"] == second["image"]["sha256"]
    assert len([r for r in feed_server.requests if r["path"] == "/gen/photo/8.jpg"]) == 1


def test_the_image_store_forgets_nothing_a_url_named_within_a_day(tmp_path):
    store = SqliteImageStore(tmp_path / "images.db")
    from atai_worker.image_store import StoredImage
    body = image_origin.png_image(1)
    image = StoredImage("a" * 64, "image/png", 160, 120, len(body), body)
    store.put("https://larkmouth.example/a.png", image)
    assert store.for_url("https://larkmouth.example/a.png") == StoredImage("a" * 64, "image/png", 160, 120, len(body))
    assert store.get("a" * 64).body == image_origin.png_image(1)
    assert store.get("b" * 64) is None and store.for_url("https://larkmouth.example/b.png") is None

