"""The AI key a run brings is sealed in the run store under a key derived from ATAI_WORKER_SECRET."""

import pytest

from atai_worker.sealed import SEALED_FIELD, UnreadableKey, seal_request, unsealed_ai

REQUEST = {"feed": {"id": 1, "url": "https://larkmouth.example/feed"}, "max_items": 5, "seen_keys": [],
           "ai": {"enabled": True, "base_url": "https://llm.example/v1", "api_key": "sk-site-key", "model": "m"}}


def test_the_key_is_stored_sealed_and_opens_with_the_same_secret():
    stored = seal_request(REQUEST, "secret-one")

    assert "api_key" not in stored["ai"] and "sk-site-key" not in repr(stored)
    assert stored["feed"] == REQUEST["feed"] and REQUEST["ai"]["api_key"] == "sk-site-key"
    assert unsealed_ai(stored["ai"], "secret-one") == REQUEST["ai"]


def test_a_request_without_a_key_is_stored_as_it_is():
    request = {**REQUEST, "ai": {"enabled": True, "api_key": None}}
    assert seal_request(request, "secret-one")["ai"] == {"enabled": True}
    assert unsealed_ai({"enabled": True}, "secret-one") == {"enabled": True}


@pytest.mark.parametrize("token", ["gAAAAA-not-a-token", None])
def test_a_key_sealed_under_another_secret_fails_in_words(token):
    ai = seal_request(REQUEST, "secret-one")["ai"]
    if token:
        ai[SEALED_FIELD] = token
    with pytest.raises(UnreadableKey) as caught:
        unsealed_ai(ai, "secret-two")
    assert caught.value.code == "api_key_unreadable"
    assert caught.value.message.startswith("worker: the AI key sent with this run cannot be read: ATAI_WORKER_SECRET "
                                           "changed since the run was queued")
