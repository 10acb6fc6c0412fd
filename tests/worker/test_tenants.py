"""Sites as tenants: the registry, secret rotation, callback URL patterns, and the API keeping every site to
its own runs (through Flask's test client, on the SQLite and the Redis backend)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from atai_worker import create_app
from atai_worker.api import contract_validator
from atai_worker.fleet import SqliteFleetState
from atai_worker.tenants import SiteError, SiteRegistry, callback_matches

SECRET = "tenants-test-secret"
CALLBACK = "https://blog-a.example.org/wp-json/atai/v1/worker/callback"


def run_request(**changes) -> dict:
    body = {"feed": {"id": 3, "url": "http://127.0.0.1:9/feed.xml"}, "max_items": 10, "seen_keys": [],
            "ai": {"enabled": False}, "callback_url": None}
    body.update(changes)
    return body


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("pattern, url, allowed", [
    ("https://blog.example.org/", "https://blog.example.org/wp-json/atai/v1/worker/callback", True),
    ("https://blog.example.org/", "https://BLOG.example.org:443/x", True),
    ("https://blog.example.org/", "http://blog.example.org/x", False),
    ("https://blog.example.org/", "https://blog.example.org:8443/x", False),
    ("https://blog.example.org/", "https://blog.example.org.evil.test/x", False),
    ("https://blog.example.org/", "https://user@blog.example.org/x", False),
    ("https://blog.example.org/wp-json", "https://blog.example.org/wp-json/atai", True),
    ("https://blog.example.org/wp-json", "https://blog.example.org/wp-jsonx", False),
    ("https://*.example.org/", "https://a.b.example.org/x", True),
    ("https://*.example.org/", "https://example.org/x", False),
    ("https://*.example.org/", "https://evilexample.org/x", False),
    ("http://127.0.0.1:*/", "http://127.0.0.1:8123/cb", True),
    ("http://127.0.0.1:*/", "http://127.0.0.2:8123/cb", False),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8081/cb", False),
])
def test_a_callback_url_must_match_the_sites_pattern(pattern, url, allowed):
    assert callback_matches(pattern, url) is allowed


@pytest.mark.parametrize("pattern", ["ftp://blog.example.org/", "https:///x", "https://a*b.example.org/",
                                     "https://user@blog.example.org/", "https://blog.example.org/?q=1",
                                     "https://blog.example.org:port/"])
def test_a_malformed_callback_pattern_is_refused_in_words(tmp_path, pattern):
    registry = SiteRegistry(SqliteFleetState(tmp_path / "fleet.db"), SECRET)
    with pytest.raises(SiteError, match="callback URL pattern"):
        registry.add("blog-a", callback_url_pattern=pattern)


def test_the_registry_keeps_only_a_hash_of_each_secret(tmp_path):
    state = SqliteFleetState(tmp_path / "fleet.db")
    _, token = SiteRegistry(state, SECRET).add("blog-a", callback_url_pattern=CALLBACK)
    secret = token.partition(":")[2]
    assert token.startswith("blog-a:") and len(secret) >= 40
    assert secret not in (tmp_path / "fleet.db").read_bytes().decode("latin-1")
    assert secret not in repr(state.get_site("blog-a"))


def test_a_rotated_secret_and_the_old_one_are_both_valid_until_the_grace_period_ends(tmp_path):
    registry = SiteRegistry(SqliteFleetState(tmp_path / "fleet.db"), SECRET)
    _, old = registry.add("blog-a", callback_url_pattern=CALLBACK)
    site, new = registry.rotate("blog-a", grace_seconds=3600)
    assert registry.authenticate(old).id == registry.authenticate(new).id == "blog-a"
    old_secret, new_secret = old.partition(":")[2], new.partition(":")[2]
    ends = max(s.expires_at for s in site.secrets if s.expires_at)
    assert site.accepts(old_secret, ends - 1) and not site.accepts(old_secret, ends + 1)
    assert site.accepts(new_secret, ends + 10 * 365 * 24 * 3600)


@pytest.fixture(params=["sqlite", "redis"])
def app(request, tmp_path):
    config = {"ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path), "ATAI_ALLOWED_HOSTS": "127.0.0.1"}
    if request.param == "redis":
        url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/3"
        redis.Redis.from_url(url).flushdb()
        config["ATAI_REDIS_URL"] = url
    return create_app(config)


@pytest.fixture
def sites(app):
    """Two registered sites: {"a": token, "b": token}."""
    registry = app.extensions["atai"].sites
    return {name: registry.add(f"blog-{name}", callback_url_pattern=f"https://blog-{name}.example.org/")[1]
            for name in ("a", "b")}


def not_found(response) -> None:
    assert response.status_code == 404
    contract_validator("Error").validate(response.json)
    assert response.json["error"]["code"] == "run_not_found"


def test_a_site_cannot_read_acknowledge_or_cancel_another_sites_run(app, sites):
    client = app.test_client()
    a, b = bearer(sites["a"]), bearer(sites["b"])
    run_id = client.post("/v1/runs", headers=a, json=run_request()).json["run_id"]
    for headers in (b, bearer(SECRET)):
        not_found(client.get(f"/v1/runs/{run_id}", headers=headers))
        not_found(client.post(f"/v1/runs/{run_id}/ack", headers=headers, json={"keys": ["a" * 64]}))
        not_found(client.delete(f"/v1/runs/{run_id}", headers=headers))
    # The same answer as for a run that does not exist at all.
    not_found(client.get("/v1/runs/" + "0" * 32, headers=b))
    document = client.get(f"/v1/runs/{run_id}", headers=a)
    assert document.status_code == 200 and document.json["state"] == "queued"


def test_a_site_cancels_its_own_run_and_it_is_gone(app, sites):
    client = app.test_client()
    a = bearer(sites["a"])
    run_id = client.post("/v1/runs", headers=a, json=run_request()).json["run_id"]
    response = client.delete(f"/v1/runs/{run_id}", headers=a)
    assert response.status_code == 200
    contract_validator("AckResult").validate(response.json)
    assert response.json == {"run_id": run_id, "remaining": 0, "deleted": True}
    not_found(client.get(f"/v1/runs/{run_id}", headers=a))
    not_found(client.delete(f"/v1/runs/{run_id}", headers=a))


@pytest.mark.parametrize("token", ["blog-z:{secret}", "blog-a:not-the-secret", "blog-a:", "{secret}",
                                   "default:" + SECRET, "blog-a:{secret}x"])
def test_an_unknown_site_or_a_wrong_secret_gets_401(app, sites, token):
    secret = sites["a"].partition(":")[2]
    response = app.test_client().get("/v1/status", headers=bearer(token.format(secret=secret)))
    assert response.status_code == 401
    contract_validator("Error").validate(response.json)
    assert response.json["error"]["code"] == "unauthorized"


def test_the_single_secret_keeps_working_as_the_default_site(app, sites):
    client = app.test_client()
    run_id = client.post("/v1/runs", headers=bearer(SECRET), json=run_request(callback_url="http://anywhere.test/cb"))
    assert run_id.status_code == 202
    assert client.get(f"/v1/runs/{run_id.json['run_id']}", headers=bearer(SECRET)).status_code == 200
    not_found(client.get(f"/v1/runs/{run_id.json['run_id']}", headers=bearer(sites["a"])))


def test_a_callback_url_outside_the_sites_pattern_is_refused_naming_the_field(app, sites):
    client = app.test_client()
    response = client.post("/v1/runs", headers=bearer(sites["a"]),
                           json=run_request(callback_url="https://blog-b.example.org/wp-json/cb"))
    assert response.status_code == 400
    contract_validator("Error").validate(response.json)
    assert response.json["error"]["field"] == "callback_url"
    assert "https://blog-a.example.org/" in response.json["error"]["message"]
    allowed = client.post("/v1/runs", headers=bearer(sites["a"]),
                          json=run_request(callback_url="https://blog-a.example.org/wp-json/cb"))
    assert allowed.status_code == 202


def test_after_a_rotation_both_secrets_open_the_site_until_the_grace_period_ends(app, sites):
    client = app.test_client()
    registry = app.extensions["atai"].sites
    site, new = registry.rotate("blog-a", grace_seconds=1.5)
    old = sites["a"]
    run_id = client.post("/v1/runs", headers=bearer(old), json=run_request()).json["run_id"]
    assert client.get(f"/v1/runs/{run_id}", headers=bearer(new)).status_code == 200
    assert client.get(f"/v1/runs/{run_id}", headers=bearer(old)).status_code == 200
    ends = max(s.expires_at for s in site.secrets if s.expires_at)
    while time.time() <= ends:
        time.sleep(0.1)
    assert client.get(f"/v1/runs/{run_id}", headers=bearer(old)).status_code == 401
    assert client.get(f"/v1/runs/{run_id}", headers=bearer(new)).status_code == 200


def test_a_removed_site_is_refused_at_once(app, sites):
    app.extensions["atai"].sites.remove("blog-b")
    assert app.test_client().get("/v1/status", headers=bearer(sites["b"])).status_code == 401
    assert app.test_client().get("/v1/status", headers=bearer(sites["a"])).status_code == 200


@pytest.mark.parametrize("path", ["/v1/discover", "/v1/preview"])
def test_discovery_and_preview_need_a_known_sites_token(app, sites, path):
    secret = sites["a"].partition(":")[2]
    response = app.test_client().post(path, headers=bearer("blog-z:" + secret), json={"url": "https://x.example/"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_a_previews_model_calls_hold_to_the_sites_own_in_flight_limit(app, feed_server, model_server):
    _, token = app.extensions["atai"].sites.add("blog-c", callback_url_pattern="https://blog-c.example.org/",
                                                  max_in_flight=1)
    model_server.delay = 0.3
    body = {"feed": {"url": feed_server.url("/gen/tenant-preview.xml?items=3")}, "entries": 3, "rewrite": True,
            "ai": {"enabled": True, "base_url": model_server.base_url, "api_key": "sk-test", "model": "fake-model"}}

    response = app.test_client().post("/v1/preview", headers=bearer(token), json=body)

    assert response.status_code == 200, response.get_data(as_text=True)
    contract_validator("Preview").validate(response.json)
    assert [draft["rewritten"] for draft in response.json["drafts"]] == [True, True, True]
    # The preview makes its three drafts at once; the site's limit lets one call through at a time.
    assert len(model_server.requests) == 3 and model_server.peak_in_flight == 1


def test_the_probe_routes_need_a_known_sites_token(app, sites):
    secret = sites["a"].partition(":")[2]
    for path in ("/v1/ai/models", "/v1/ai/test"):
        response = app.test_client().post(path, headers=bearer("blog-z:" + secret), json={"ai": {}})
        assert response.status_code == 401


def test_a_test_call_counts_against_the_sites_own_rate_and_says_so_when_it_must_wait(app, model_server):
    _, token = app.extensions["atai"].sites.add("blog-c", callback_url_pattern="https://blog-c.example.org/",
                                                  rate_per_minute=1)
    body = {"ai": {"base_url": model_server.base_url, "api_key": "sk-test", "model": "fake-model"}}
    client = app.test_client()

    first = client.post("/v1/ai/test", headers=bearer(token), json=body)
    second = client.post("/v1/ai/test", headers=bearer(token), json=body)

    for response in (first, second):
        assert response.status_code == 200
        contract_validator("AiTestResult").validate(response.json)
    assert first.json["ok"] is True
    # The site's one call a minute is spent: the second test is not sent, and says why in words.
    assert (second.json["ok"], second.json["code"]) == (False, "model_busy")
    assert "no model slot came free" in second.json["message"]
    assert len(model_server.requests) == 1


def test_the_sites_command_adds_lists_changes_rotates_and_removes_a_site(tmp_path):
    command = str(Path(sys.executable).parent / "atai-worker")
    env = {**os.environ, "ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path), "ATAI_LOG_LEVEL": "WARNING"}
    env.pop("ATAI_REDIS_URL", None)

    def sites(*args):
        return subprocess.run([command, "sites", *args], env=env, capture_output=True, text=True, timeout=60)

    added = sites("add", "blog-a", "--callback-url-pattern", CALLBACK, "--weight", "2")
    assert added.returncode == 0, added.stderr
    token = next(line.strip() for line in added.stdout.splitlines() if line.startswith("    "))
    registry = SiteRegistry(SqliteFleetState(tmp_path / "fleet.db"), SECRET)
    assert registry.authenticate(token).weight == 2
    assert "blog-a  callbacks to " + CALLBACK in sites("list").stdout
    rotated = sites("rotate", "blog-a", "--grace", "1")
    new = next(line.strip() for line in rotated.stdout.splitlines() if line.startswith("    "))
    assert registry.authenticate(token) is not None and registry.authenticate(new) is not None
    assert "and 1 old one(s) valid until" in sites("list").stdout
    assert "in flight 3" in sites("set", "blog-a", "--max-in-flight", "3").stdout
    refused = sites("add", "blog-b", "--callback-url-pattern", "ftp://blog-b.example.org/")
    assert refused.returncode == 1 and "callback URL pattern" in refused.stderr
    assert sites("remove", "blog-a").returncode == 0
    assert registry.authenticate(new) is None
    assert "No sites registered" in sites("list").stdout
    assert sites("remove", "blog-a").returncode == 1
