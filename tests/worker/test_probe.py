"""POST /v1/ai/models and /v1/ai/test against the fake model: the endpoint resolved as for a run, answers in words."""

import pytest
from tests.fakes.model_server import ModelServer

from atai_worker import create_app
from atai_worker.api import contract_validator

SECRET = "probe-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture
def client(tmp_path):
    return create_app({"ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path)}).test_client()


def ask(client, path: str, ai: dict, schema: str) -> dict:
    response = client.post(path, headers=AUTH, json={"ai": ai})
    assert response.status_code == 200, response.text
    contract_validator(schema).validate(response.json)
    return response.json


def test_the_models_the_endpoint_offers_are_listed(client, model_server):
    answer = ask(client, "/v1/ai/models", {"base_url": model_server.base_url, "api_key": "sk-t"}, "ModelList")
    assert answer == {"ok": True, "endpoint": f"127.0.0.1:{model_server.port}", "models": ["fake-model"],
                      "message": f"models: the AI endpoint at 127.0.0.1:{model_server.port} offers 1 model(s)"}


def test_a_test_call_uses_the_configured_key_and_model_and_says_so(client, model_server):
    answer = ask(client, "/v1/ai/test", {"base_url": model_server.base_url, "api_key": "sk-t", "model": "fake-model"},
                 "AiTestResult")
    assert answer["ok"] and answer["model"] == "fake-model" and answer["usage"]["prompt_tokens"] > 0
    assert answer["message"].startswith(f"test: the model fake-model at 127.0.0.1:{model_server.port} answered in ")
    assert model_server.requests[-1]["authorization"] == "Bearer sk-t"


def test_a_refused_key_and_an_unknown_model_are_reported_in_words_without_the_key(client):
    with ModelServer(api_key="sk-right") as model:
        ai = {"base_url": model.base_url, "api_key": "sk-wrong-and-secret", "model": "fake-model"}
        refused = ask(client, "/v1/ai/test", ai, "AiTestResult")
        listed = ask(client, "/v1/ai/models", ai, "ModelList")
        unknown = ask(client, "/v1/ai/test", dict(ai, api_key="sk-right", model="no-such-model"), "AiTestResult")
    assert (refused["ok"], refused["code"]) == (False, "model_auth_failed")
    assert refused["message"] == "test: the AI endpoint refused the API key (401)"
    assert listed == {"ok": False, "endpoint": f"127.0.0.1:{model.port}", "models": [],
                      "message": "models: the AI endpoint refused the API key (401)"}
    assert (unknown["code"], unknown["message"]) == (
        "model_not_found", "test: the AI endpoint does not know the model 'no-such-model' (404)")
    assert "sk-wrong" not in str(refused) + str(listed)


def test_an_endpoint_that_cannot_be_reached_or_is_not_configured_is_said_so(client, free_port):
    closed = ask(client, "/v1/ai/test", {"base_url": f"http://127.0.0.1:{free_port()}/v1"}, "AiTestResult")
    assert closed["code"] == "model_unreachable" and closed["message"].startswith("test: could not connect")
    nothing = ask(client, "/v1/ai/models", {}, "ModelList")
    assert not nothing["ok"] and "no AI endpoint is configured" in nothing["message"]


def test_the_probe_routes_need_the_secret_and_a_valid_body(client):
    assert client.post("/v1/ai/test", json={"ai": {}}).status_code == 401
    response = client.post("/v1/ai/models", headers=AUTH, json={"ai": {"base_url": "ftp://x"}})
    assert response.status_code == 400 and response.json["error"]["field"] == "ai.base_url"
