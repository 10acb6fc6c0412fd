"""The AI endpoint test Site Health asks for (POST /v1/ai/test), against the fake model over HTTP."""

from tests.fakes.model_server import ModelServer

from atai_worker import create_app
from atai_worker.api import contract_validator

SECRET = "test-shared-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}


def client_for(tmp_path, **env):
    return create_app({"ATAI_WORKER_SECRET": SECRET, "ATAI_DATA_DIR": str(tmp_path), **env}).test_client()


def test_the_configured_model_answering_is_ok_in_words(tmp_path):
    with ModelServer(api_key="sk-probe-key") as model:
        client = client_for(tmp_path, OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="sk-probe-key",
                            ATAI_MODEL="probe-model")
        response = client.post("/v1/ai/test", headers=AUTH, json={"ai": {}})
    assert response.status_code == 200
    contract_validator("AiTestResult").validate(response.json)
    assert response.json["ok"] is True and response.json["model"]
    assert response.json["message"].startswith("test: the model ") and "with the configured key" in response.json["message"]


def test_a_refused_key_is_said_in_words_without_the_endpoints_text_or_the_key(tmp_path):
    with ModelServer(api_key="sk-the-right-key") as model:
        client = client_for(tmp_path)
        response = client.post("/v1/ai/test", headers=AUTH, json={"ai": {
            "base_url": model.base_url, "api_key": "sk-a-wrong-key", "model": "probe-model"}})
    contract_validator("AiTestResult").validate(response.json)
    assert response.json["ok"] is False and response.json["code"] == "model_auth_failed"
    assert response.json["message"] == "test: the AI endpoint refused the API key (401)"
    assert "sk-a-wrong-key" not in response.get_data(as_text=True)
    assert "Incorrect API key" not in response.get_data(as_text=True)


def test_no_endpoint_anywhere_is_not_configured(tmp_path):
    response = client_for(tmp_path).post("/v1/ai/test", headers=AUTH, json={"ai": {}})
    contract_validator("AiTestResult").validate(response.json)
    assert (response.json["ok"], response.json["code"]) == (False, "not_configured")


def test_the_request_is_checked_against_the_contract(tmp_path):
    response = client_for(tmp_path).post("/v1/ai/test", headers=AUTH, json={"ai": {"temperature": 2}})
    assert response.status_code == 400
