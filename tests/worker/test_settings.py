"""Settings: documented defaults, clear refusals, secrets kept out of repr."""

from pathlib import Path

import pytest

from atai_worker.settings import Settings, SettingsError, allowed_host


def test_defaults_are_the_documented_ones():
    settings = Settings.from_env({"ATAI_WORKER_SECRET": "s"})
    assert settings == Settings(worker_secret="s", data_dir=Path("./atai-data"), redis_url=None, allowed_hosts=(),
                                openai_api_key=None, openai_base_url=None, model="gpt-4o-mini", ai_max_in_flight=8,
                                ai_timeout=60.0, fetch_timeout=20.0, fetch_max_bytes=20_000_000,
                                consumer_workers=4, lease_seconds=10.0, item_retry_seconds=120.0, log_level="INFO")
    assert not settings.ai_configured


def test_every_variable_is_read():
    settings = Settings.from_env({
        "ATAI_WORKER_SECRET": " s ", "ATAI_DATA_DIR": "/var/lib/atai", "ATAI_REDIS_URL": "redis://127.0.0.1:6379/0",
        "ATAI_ALLOWED_HOSTS": "127.0.0.1, Feeds.Internal ,", "OPENAI_API_KEY": "sk-x",
        "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "ATAI_MODEL": "llama3", "ATAI_AI_MAX_IN_FLIGHT": "3",
        "ATAI_AI_TIMEOUT": "90", "ATAI_FETCH_TIMEOUT": "5", "ATAI_FETCH_MAX_BYTES": "1000000",
        "ATAI_CONSUMER_WORKERS": "2", "ATAI_LEASE_SECONDS": "30", "ATAI_ITEM_RETRY_SECONDS": "0",
        "ATAI_LOG_LEVEL": "debug"})
    assert settings.worker_secret == "s" and settings.data_dir == Path("/var/lib/atai")
    assert settings.allowed_hosts == ("127.0.0.1", "feeds.internal")
    assert (settings.model, settings.ai_max_in_flight, settings.ai_timeout) == ("llama3", 3, 90.0)
    assert (settings.fetch_timeout, settings.fetch_max_bytes, settings.consumer_workers) == (5.0, 1_000_000, 2)
    assert (settings.lease_seconds, settings.item_retry_seconds) == (30.0, 0.0)
    assert settings.log_level == "DEBUG" and settings.ai_configured


@pytest.mark.parametrize("env, message", [
    ({}, "settings: ATAI_WORKER_SECRET is not set"),
    ({"ATAI_WORKER_SECRET": "  "}, "settings: ATAI_WORKER_SECRET is not set"),
    ({"ATAI_WORKER_SECRET": "s", "ATAI_AI_MAX_IN_FLIGHT": "many"}, "settings: ATAI_AI_MAX_IN_FLIGHT must be a number"),
    ({"ATAI_WORKER_SECRET": "s", "ATAI_CONSUMER_WORKERS": "0"}, "settings: ATAI_CONSUMER_WORKERS must be at least 1"),
    ({"ATAI_WORKER_SECRET": "s", "ATAI_LEASE_SECONDS": "1"}, "settings: ATAI_LEASE_SECONDS must be at least 2"),
    ({"ATAI_WORKER_SECRET": "s", "ATAI_LOG_LEVEL": "loud"}, "settings: ATAI_LOG_LEVEL must be DEBUG"),
])
def test_bad_settings_are_refused_in_words(env, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert str(caught.value).startswith(message)


def test_secrets_stay_out_of_repr():
    settings = Settings.from_env({"ATAI_WORKER_SECRET": "shared-secret-value", "OPENAI_API_KEY": "sk-key-value",
                                  "ATAI_REDIS_URL": "redis://:password-value@127.0.0.1:6379/0"})
    text = repr(settings)
    assert "shared-secret-value" not in text and "sk-key-value" not in text and "password-value" not in text


@pytest.mark.parametrize("url", [
    "redis://127.0.0.1:6379/0", "redis://localhost:6379/0", "redis://[::1]:6379/0",
    "redis://:secret@redis.internal:6379/0", "redis://worker:secret@redis.internal:6379/0",
    "rediss://redis.internal:6380/0", "redis://redis.internal:6379/0?password=secret", "unix:///run/redis.sock",
])
def test_a_redis_on_loopback_or_with_a_password_or_tls_is_accepted(url):
    assert Settings.from_env({"ATAI_WORKER_SECRET": "s", "ATAI_REDIS_URL": url}).redis_url == url


@pytest.mark.parametrize("url, message", [
    ("redis://redis.internal:6379/0", "settings: ATAI_REDIS_URL reaches redis.internal, another machine, without a "
                                      "password or TLS"),
    ("redis://worker@10.0.0.5:6379/0", "settings: ATAI_REDIS_URL reaches 10.0.0.5, another machine"),
    ("http://127.0.0.1:6379/0", "settings: ATAI_REDIS_URL must start with redis://, rediss:// or unix://"),
])
def test_a_redis_anyone_on_the_network_could_write_to_is_refused_in_words(url, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"ATAI_WORKER_SECRET": "s", "ATAI_REDIS_URL": url})
    assert str(caught.value).startswith(message)


def test_allowed_hosts_name_a_host_and_optionally_a_port():
    assert [allowed_host(e) for e in ("127.0.0.1", "Feeds.Internal.:8080", "[::1]:80", "::1", "[::1]")] == [
        ("127.0.0.1", None), ("feeds.internal", 8080), ("::1", 80), ("::1", None), ("::1", None)]
    for entry in ("127.0.0.1:0", "127.0.0.1:http", "[::1]x", "http://127.0.0.1/", ":80"):
        with pytest.raises(SettingsError):
            Settings.from_env({"ATAI_WORKER_SECRET": "s", "ATAI_ALLOWED_HOSTS": entry})


def test_the_hostile_input_settings_are_read():
    settings = Settings.from_env({
        "ATAI_WORKER_SECRET": "s", "ATAI_AI_ALLOWED_BASE_URLS": "http://127.0.0.1:11434/v1, https://llm.internal/v1",
        "ATAI_AI_MAX_INPUT_TOKENS": "8000", "ATAI_AI_MAX_OUTPUT_TOKENS": "4000", "ATAI_STAGE_BUDGET": "30"})
    assert settings.ai_allowed_base_urls == ("http://127.0.0.1:11434/v1", "https://llm.internal/v1")
    assert (settings.ai_max_input_tokens, settings.ai_max_output_tokens, settings.stage_budget) == (8000, 4000, 30.0)
