"""The shared secret and the model's API key stay out of every log, page and API response of the stack."""

from __future__ import annotations

import json

from harness import STATE_DIR, unique_name


def test_the_shared_secret_and_the_model_key_appear_in_no_log_page_or_api_response(e2e):
    # Give every part something to log: a run with its callback, the status behind "Test connection".
    feed = e2e.create_feed(e2e.generated_feed_url(unique_name("e2e-secrets"), items=2))
    run_id = e2e.run_now(feed["id"])
    e2e.wait_for_run(feed["id"])

    texts = {
        "REST settings": json.dumps(e2e.rest("GET", "atai/v1/settings")),
        "REST worker status": json.dumps(e2e.rest("GET", "atai/v1/worker/status")),
        "REST feed items": json.dumps(e2e.items(feed["id"])),
        "Settings screen": e2e.admin_page("/wp-admin/admin.php?page=atai-settings"),
        "Feeds screen": e2e.admin_page("/wp-admin/admin.php?page=atai-feeds"),
        "WordPress debug.log": e2e.site.debug_log.read_text(errors="replace") if e2e.site.debug_log.exists() else "",
    }
    texts.update({path.name: path.read_text(errors="replace") for path in STATE_DIR.glob("*.log")})
    assert f"/v1/runs/{run_id}" in texts["worker-api.log"]  # the logs read are the ones this session writes
    for where, text in texts.items():
        assert e2e.secret not in text, f"the shared secret is in {where}"
        assert e2e.model_api_key not in text, f"the model's API key is in {where}"
