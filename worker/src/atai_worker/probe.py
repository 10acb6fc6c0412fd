"""One small real call to the AI endpoint with the configured key and model, for the site's Site Health.

The endpoint is resolved as a run's is (rewrite.resolve_endpoint: the site's fields over the worker's
environment), and the answer is in words of ours: the endpoint's own text never reaches it (it can echo a key).
It must answer within the plugin's request time-out, so the call is bounded by PROBE_TIMEOUT.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import openai

from .errors import WorkerError
from .rewrite import Rewriter, resolve_endpoint
from .settings import Settings

PROBE_TIMEOUT = 8.0
TEST_PROMPT = "Reply with the single word OK."


def endpoint_name(base_url: str) -> str:
    """The endpoint as messages name it: host and port, never a path or credentials."""
    parts = urlsplit(base_url)
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else base_url


def test(ai: dict, settings: Settings) -> dict:
    """The contract's AiTestResult for the endpoint the ai settings name."""
    try:
        endpoint, rewrite = resolve_endpoint({**ai, "enabled": True}, settings)
    except WorkerError as exc:
        return {"ok": False, "message": exc.message, "code": exc.code, "model": None, "endpoint": None, "seconds": 0}
    if endpoint is None:
        return {"ok": False, "message": rewrite["reason"], "code": "not_configured", "model": None, "endpoint": None,
                "seconds": 0}
    name = endpoint_name(endpoint.base_url)
    started = time.monotonic()
    try:
        with openai.OpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, timeout=PROBE_TIMEOUT,
                           max_retries=0) as client:
            response = client.chat.completions.create(
                model=endpoint.model, max_tokens=5, messages=[{"role": "user", "content": TEST_PROMPT}])
    except openai.OpenAIError as exc:
        failure = Rewriter(timeout=PROBE_TIMEOUT)._error(endpoint, exc)
        return {"ok": False, "message": failure.message.replace("rewrite:", "test:", 1), "code": failure.code,
                "model": endpoint.model, "endpoint": name, "seconds": round(time.monotonic() - started, 3)}
    seconds = round(time.monotonic() - started, 3)
    model = (response.model or endpoint.model)[:200]
    return {"ok": True, "code": None, "model": model, "endpoint": name, "seconds": seconds,
            "message": f"test: the model {model} at {name} answered in {seconds:.1f} s with the configured key"}
