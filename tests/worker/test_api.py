"""The HTTP API through Flask's test client: authentication, validation against the contract, JSON errors."""

import json
import logging
from pathlib import Path

import pytest

from atai_worker import create_app
from atai_worker.api import contract_validator
from atai_worker.settings import SettingsError

CONTRACT = Path(__file__).resolve().parents[2] / "contract" / "worker-api.json"
SECRET = "test-shared-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}
AI_KEY = "sk-very-secret-key-from-wordpress"


def run_request(**changes) -> dict:
    body = {"feed": {"id": 3, "url": "http://127.0.0.1:9/feed.xml", "etag": None, "last_modified": None},
            "max_items": 10, "seen_keys": [], "ai": {"enabled": True, "api_key": AI_KEY, "model": None},
            "callback_url": None}
    body.update(changes)
    return body


@pytest.fixture
def client(tmp_path):
    app = create_app({"ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path),
                      "OPENAI_API_KEY": "sk-env-key-never-shown", "ATAI_MODEL": "env-model"})
    return app.test_client()


def error_of(response, status: int) -> dict:
    assert response.status_code == status
    assert response.is_json
    contract_validator("Error").validate(response.json)
    return response.json["error"]


def test_healthz_needs_no_secret(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    contract_validator("Health").validate(response.json)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET},
                                     {"Authorization": f"Basic {SECRET}"}])
def test_every_other_route_needs_the_shared_secret(client, headers):
    for method, path in [("get", "/v1/status"), ("post", "/v1/runs"), ("get", "/v1/runs/" + "a" * 32),
                         ("post", "/v1/runs/" + "a" * 32 + "/ack")]:
        response = getattr(client, method)(path, headers=headers, json=run_request())
        error = error_of(response, 401)
        assert error["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_status_describes_the_environment_without_its_key(client):
    response = client.get("/v1/status", headers=AUTH)
    assert response.status_code == 200
    contract_validator("Status").validate(response.json)
    assert response.json["ai"] == {"configured": True, "base_url": "https://api.openai.com/v1",
                                   "model": "env-model", "max_in_flight": 8}
    assert response.json["queue"] == {"backend": "sqlite", "pending": 0}
    assert "sk-env-key" not in response.get_data(as_text=True)


def test_status_names_the_contract_version_the_worker_implements(client):
    with open(CONTRACT, encoding="utf-8") as file:
        assert client.get("/v1/status", headers=AUTH).json["contract"] == json.load(file)["info"]["version"]


def test_a_run_is_queued_and_can_be_read_back(client):
    created = client.post("/v1/runs", headers=AUTH, json=run_request())
    assert created.status_code == 202
    contract_validator("RunCreated").validate(created.json)

    run = client.get(f"/v1/runs/{created.json['run_id']}", headers=AUTH)
    assert run.status_code == 200
    contract_validator("Run").validate(run.json)
    assert run.json["state"] == "queued" and run.json["feed_id"] == 3
    assert run.json["rewrite"] == {"mode": "ai", "model": "env-model", "reason": None}
    assert AI_KEY not in run.get_data(as_text=True)
    assert client.get("/v1/status", headers=AUTH).json["queue"]["pending"] == 1


def test_a_run_with_ai_off_says_drafts_are_the_original(client):
    created = client.post("/v1/runs", headers=AUTH, json=run_request(ai={"enabled": False}))
    rewrite = client.get(f"/v1/runs/{created.json['run_id']}", headers=AUTH).json["rewrite"]
    assert rewrite["mode"] == "original" and rewrite["reason"]


def without(body: dict, dotted: str) -> dict:
    *parents, name = dotted.split(".")
    target = body
    for part in parents:
        target = target[part]
    del target[name]
    return body


@pytest.mark.parametrize("body, field, message", [
    (without(run_request(), "feed.url"), "feed.url", "request: feed.url is required"),
    (without(run_request(), "ai"), "ai", "request: ai is required"),
    (run_request(feed={"id": 3, "url": "ftp://127.0.0.1/feed"}), "feed.url",
     "request: feed.url must be a full http:// or https:// URL"),
    (run_request(feed={"id": 3, "url": "https://"}), "feed.url", "request: feed.url must be a full http:// or https:// URL"),
    (run_request(feed={"id": "3", "url": "https://news.example/feed"}), "feed.id",
     "request: feed.id must be an integer"),
    (run_request(max_items=0), "max_items", "request: max_items must be at least 1"),
    (run_request(seen_keys=["a" * 64, "not-a-key"]), "seen_keys.1",
     "request: seen_keys.1 must be an item key (64 lowercase hexadecimal characters)"),
    (run_request(ai={"enabled": True, "max_in_flight": 100}), "ai.max_in_flight",
     "request: ai.max_in_flight must be at most 64"),
    (run_request(ai={"enabled": "yes"}), "ai.enabled", "request: ai.enabled must be true or false"),
    (run_request(surprise=1), "surprise", "request: surprise is not a field this API knows"),
    (run_request(callback_url="javascript:alert(1)"), "callback_url",
     "request: callback_url must be a full http:// or https:// URL"),
    ([], "body", "request: the body must be a JSON object"),
])
def test_a_malformed_run_request_is_refused_naming_the_field(client, body, field, message):
    error = error_of(client.post("/v1/runs", headers=AUTH, json=body), 400)
    assert (error["code"], error["field"], error["message"]) == ("invalid_request", field, message)


def test_a_refused_field_never_echoes_its_value(client):
    body = run_request(ai={"enabled": True, "api_key": AI_KEY * 200})
    response = client.post("/v1/runs", headers=AUTH, json=body)
    error = error_of(response, 400)
    assert error["field"] == "ai.api_key"
    assert AI_KEY not in response.get_data(as_text=True)


def test_a_body_that_is_not_json_is_refused(client):
    error = error_of(client.post("/v1/runs", headers=AUTH, data=b"{feed:", content_type="application/json"), 400)
    assert error == {"code": "invalid_json", "message": "request: the body is not valid JSON", "field": None}


def test_a_body_over_the_limit_is_refused_as_json(client):
    body = json.dumps(run_request(seen_keys=["a" * 64] * 70_000)).encode()
    error = error_of(client.post("/v1/runs", headers=AUTH, data=body, content_type="application/json"), 413)
    assert error["code"] == "body_too_large"


def test_an_unknown_run_is_404(client):
    for run_id in ("0" * 32, "not-a-run-id"):
        assert error_of(client.get(f"/v1/runs/{run_id}", headers=AUTH), 404)["code"] == "run_not_found"
        response = client.post(f"/v1/runs/{run_id}/ack", headers=AUTH, json={"keys": ["a" * 64]})
        assert error_of(response, 404)["code"] == "run_not_found"


def test_an_ack_needs_at_least_one_key(client):
    run_id = client.post("/v1/runs", headers=AUTH, json=run_request()).json["run_id"]
    error = error_of(client.post(f"/v1/runs/{run_id}/ack", headers=AUTH, json={"keys": []}), 400)
    assert (error["field"], error["message"]) == ("keys", "request: keys must not be empty")


def test_acking_a_queued_run_keeps_it(client):
    run_id = client.post("/v1/runs", headers=AUTH, json=run_request()).json["run_id"]
    response = client.post(f"/v1/runs/{run_id}/ack", headers=AUTH, json={"keys": ["a" * 64]})
    assert response.status_code == 200
    contract_validator("AckResult").validate(response.json)
    assert response.json == {"run_id": run_id, "remaining": 0, "deleted": False}


def test_unknown_routes_and_methods_answer_json(client):
    assert error_of(client.get("/v2/nothing", headers=AUTH), 404)["code"] == "not_found"
    assert error_of(client.delete("/v1/runs", headers=AUTH), 405)["code"] == "method_not_allowed"


def test_request_bodies_and_keys_are_never_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/v1/runs", headers=AUTH, json=run_request())
    client.post("/v1/runs", headers=AUTH, json=run_request(max_items="x", ai={"enabled": True, "api_key": AI_KEY}))
    assert caplog.records, "the API logs queued runs"
    assert all(AI_KEY not in record.getMessage() for record in caplog.records)


def test_the_api_refuses_to_start_without_the_shared_secret(tmp_path):
    with pytest.raises(SettingsError, match="ATAI_WORKER_SECRET is not set"):
        create_app({"ATAI_DATA_DIR": str(tmp_path)})


# --- Discovery and preview: the stages of a run, on demand, storing nothing ---------------------------------


@pytest.fixture
def source_client(tmp_path):
    """The API allowed to fetch from the fake origin on 127.0.0.1."""
    app = create_app({"ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path), "ATAI_ALLOWED_HOSTS": "127.0.0.1"})
    return app.test_client()


def answer_of(response, schema: str) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    contract_validator(schema).validate(response.json)
    return response.json


def test_discover_finds_the_feeds_a_page_names(source_client, feed_server):
    response = source_client.post("/v1/discover", headers=AUTH, json={"url": feed_server.url("/site/api/several.html")})

    feeds = answer_of(response, "Discovery")["feeds"]
    assert [f["url"] for f in feeds] == [feed_server.url("/gen/api.xml"), feed_server.url("/gen/api-comments.xml?items=2"),
                                         feed_server.url("/gen/api.json")]


@pytest.mark.parametrize("path", ["/v1/discover", "/v1/preview"])
def test_discover_and_preview_need_the_secret_and_a_web_address(source_client, path):
    assert error_of(source_client.post(path, json={"url": "https://x.example/"}), 401)["code"] == "unauthorized"
    body = {"url": "ftp://x.example/feed"} if path == "/v1/discover" else {"feed": {"url": "ftp://x.example/feed"},
                                                                          "ai": {"enabled": False}}
    error = error_of(source_client.post(path, headers=AUTH, json=body), 400)
    assert error["field"] == ("url" if path == "/v1/discover" else "feed.url")


def test_preview_shows_the_first_entries_the_filters_keep_as_cleaned_originals(source_client, feed_server):
    url = feed_server.url("/gen/preview.xml?items=5&image=1")
    body = {"feed": {"url": url}, "ai": {"enabled": True, "api_key": AI_KEY}, "entries": 2,
            "options": {"exclude_keywords": ["preview #1"], "whole_words": False}}

    preview = answer_of(source_client.post("/v1/preview", headers=AUTH, json=body), "Preview")

    assert (preview["url"], preview["format"], preview["entries_total"]) == (url, "rss20", 5)
    assert preview["title"] == "Larkmouth Notes: preview"
    assert preview["rewrite"]["mode"] == "original" and preview["error"] is None
    assert [d["source_title"].endswith(("(preview #2)", "(preview #3)")) for d in preview["drafts"]] == [True, True]
    assert not any(d["rewritten"] for d in preview["drafts"])
    assert all(d["image"]["url"].startswith(feed_server.url("/gen/img/")) for d in preview["drafts"])
    assert [s["code"] for s in preview["skipped"]] == ["filter_excluded"]
    assert AI_KEY not in json.dumps(preview)


def test_preview_with_the_rewrite_calls_the_model_once_per_entry_and_reports_its_usage(source_client, feed_server,
                                                                                        model_server):
    body = {"feed": {"url": feed_server.url("/gen/rewrite.xml?items=4")}, "entries": 1, "rewrite": True,
            "ai": {"enabled": True, "base_url": model_server.base_url, "api_key": "sk-test", "model": "fake-model"}}

    preview = answer_of(source_client.post("/v1/preview", headers=AUTH, json=body), "Preview")

    [draft] = preview["drafts"]
    assert preview["rewrite"] == {"mode": "ai", "model": "fake-model", "reason": None}
    assert draft["rewritten"] and draft["title"] == "Rewritten: " + draft["source_title"]
    assert draft["usage"]["prompt_tokens"] > 0 and draft["usage"]["completion_tokens"] > 0
    assert len(model_server.requests) == 1


def test_preview_of_an_address_that_is_not_a_feed_says_why(source_client, feed_server):
    for path, code, status in [("/status/404", "http_error", 404), ("/site/api/plain.html", "not_a_feed", None)]:
        body = {"feed": {"url": feed_server.url(path)}, "ai": {"enabled": False}}
        preview = answer_of(source_client.post("/v1/preview", headers=AUTH, json=body), "Preview")
        assert (preview["error"]["code"], preview["error"]["status"]) == (code, status)
        assert preview["drafts"] == [] and preview["entries_total"] == 0
