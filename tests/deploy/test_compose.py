"""The Docker route: docker-compose.yml is valid and wires the worker and WordPress together.

No Docker engine runs here; `docker-compose config` validates and resolves the file without one.
"""

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def compose(*args, env=None):
    return subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=REPO)


SECRETS = {"ATAI_WORKER_SECRET": "a-long-random-secret", "ATAI_REDIS_PASSWORD": "a-long-redis-password"}


def test_the_compose_file_is_valid_and_has_every_service():
    result = compose("config", "--services", env=SECRETS)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"db", "wordpress", "wp-setup", "redis", "worker-api", "worker-consumer"}


def test_the_compose_file_refuses_to_start_without_a_shared_secret_or_a_redis_password():
    for missing in SECRETS:
        env = {k: v for k, v in {**os.environ, **SECRETS}.items() if k != missing}
        result = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config"],
                                capture_output=True, text=True, env=env, cwd=REPO)
        assert result.returncode != 0
        assert missing in result.stderr


def test_redis_is_private_and_authenticated_and_every_worker_uses_it():
    result = compose("config", env=SECRETS)
    assert result.returncode == 0, result.stderr
    # The redis service's block of the resolved file: from "  redis:" to the next service at that indent.
    redis = re.search(r"^  redis:\n(.*?)(?=^  \S)", result.stdout, re.MULTILINE | re.DOTALL).group(1)
    assert "ports" not in redis  # reached only over the compose network
    assert "--requirepass" in redis and "a-long-redis-password" in redis and "--appendonly" in redis
    assert result.stdout.count("ATAI_REDIS_URL: redis://:a-long-redis-password@redis:6379/0") == 2


def test_settings_from_the_environment_reach_the_worker_and_wordpress():
    result = compose("config", env={**SECRETS, "ATAI_WORKER_SECRET": "s3cret-for-test",
                                    "OPENAI_API_KEY": "sk-test-key",
                                    "OPENAI_BASE_URL": "http://ollama:11434/v1", "ATAI_MODEL": "llama3.1"})
    assert result.returncode == 0, result.stderr
    config = result.stdout
    assert "OPENAI_BASE_URL: http://ollama:11434/v1" in config
    assert "ATAI_MODEL: llama3.1" in config
    assert "ATAI_WORKER_SECRET: s3cret-for-test" in config
    assert "./wp-plugin" not in config  # resolved to an absolute path by compose
    assert str(REPO / "wp-plugin") in config
    assert str(REPO / "contract") in config


def test_the_worker_image_builds_from_the_repository_root_with_the_contract():
    dockerfile = (REPO / "worker" / "Dockerfile").read_text()
    assert "COPY contract" in dockerfile
    assert "COPY worker" in dockerfile
