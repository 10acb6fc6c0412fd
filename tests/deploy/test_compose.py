"""The Docker route: docker-compose.yml is valid and wires the worker and WordPress together.

No Docker engine runs here; `docker-compose config` validates and resolves the file without one.
"""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def compose(*args, env=None):
    return subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=REPO)


def test_the_compose_file_is_valid_and_has_every_service():
    result = compose("config", "--services", env={"ATAI_WORKER_SECRET": "a-long-random-secret"})
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"db", "wordpress", "wp-setup", "worker-api", "worker-consumer"}


def test_the_compose_file_refuses_to_start_without_a_shared_secret():
    env = {k: v for k, v in os.environ.items() if k != "ATAI_WORKER_SECRET"}
    result = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, env=env, cwd=REPO)
    assert result.returncode != 0
    assert "ATAI_WORKER_SECRET" in result.stderr


def test_settings_from_the_environment_reach_the_worker_and_wordpress():
    result = compose("config", env={"ATAI_WORKER_SECRET": "s3cret-for-test", "OPENAI_API_KEY": "sk-test-key",
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
