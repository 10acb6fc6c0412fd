"""The settings page's questions to the AI endpoint: which models it offers, and whether a real call works.

Both resolve the endpoint as a run does (endpoints.resolve_endpoint: the site's fields over the worker's
environment) and answer in words; the endpoint's own text never reaches the answer (it can echo a key).
They must answer within the plugin's request time-out, so each call is bounded by PROBE_TIMEOUT.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import openai

from .errors import RewriteError, WorkerError
from .endpoints import Endpoint, resolve_endpoint
from .rewrite import Rewriter
from .settings import Settings

PROBE_TIMEOUT = 8.0
TEST_PROMPT = "Reply with the single word OK."


def _endpoint(ai: dict, settings: Settings) -> tuple[Endpoint | None, str]:
    try:
        endpoint, rewrite = resolve_endpoint({**ai, "enabled": True}, settings)
    except WorkerError as exc:
        return None, exc.message
    return endpoint, rewrite.get("reason") or ""


def _client(endpoint: Endpoint) -> openai.OpenAI:
    return openai.OpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, timeout=PROBE_TIMEOUT, max_retries=0)


def models(ai: dict, settings: Settings) -> dict:
    """The contract's ModelList for the endpoint the ai settings name."""
    endpoint, reason = _endpoint(ai, settings)
    if endpoint is None:
        return {"ok": False, "message": reason, "endpoint": None, "models": []}
    try:
        with _client(endpoint) as client:
            names = sorted({model.id for model in client.models.list() if isinstance(model.id, str)})
    except openai.OpenAIError as exc:
        failure = Rewriter(timeout=PROBE_TIMEOUT)._error(endpoint, exc)
        message = failure.message.replace("rewrite:", "models:", 1)
        if isinstance(exc, openai.NotFoundError):
            message = f"models: the AI endpoint at {endpoint.name} does not list its models (404); type the model's name"
        return {"ok": False, "message": message, "endpoint": endpoint.name, "models": []}
    names = [name[:200] for name in names][:2000]
    return {"ok": True, "endpoint": endpoint.name, "models": names,
            "message": f"models: the AI endpoint at {endpoint.name} offers {len(names)} model(s)"}


def test(ai: dict, settings: Settings,
         slot: Callable[[Endpoint], AbstractContextManager] = lambda endpoint: nullcontext()) -> dict:
    """The contract's AiTestResult: one small chat call with the configured key and model, made while
    holding `slot(endpoint)` (a model slot of the fleet's, given up after PROBE_TIMEOUT)."""
    endpoint, reason = _endpoint(ai, settings)
    if endpoint is None:
        return {"ok": False, "message": reason, "code": "not_configured", "model": None, "endpoint": None,
                "seconds": 0}
    started = time.monotonic()
    try:
        with slot(endpoint), _client(endpoint) as client:
            response = client.chat.completions.create(
                model=endpoint.model, max_tokens=5, messages=[{"role": "user", "content": TEST_PROMPT}])
    except RewriteError:
        return {"ok": False, "code": "model_busy", "model": endpoint.model, "endpoint": endpoint.name,
                "seconds": round(time.monotonic() - started, 3),
                "message": f"test: not called: no model slot came free within {PROBE_TIMEOUT:g} s (the runs in "
                           f"progress use every call the endpoint {endpoint.name} or this site may have in flight); "
                           "try again in a moment"}
    except openai.OpenAIError as exc:
        failure = Rewriter(timeout=PROBE_TIMEOUT)._error(endpoint, exc)
        return {"ok": False, "message": failure.message.replace("rewrite:", "test:", 1), "code": failure.code,
                "model": endpoint.model, "endpoint": endpoint.name, "seconds": round(time.monotonic() - started, 3)}
    seconds = round(time.monotonic() - started, 3)
    usage = None
    if response.usage is not None:
        usage = {"prompt_tokens": response.usage.prompt_tokens or 0,
                 "completion_tokens": response.usage.completion_tokens or 0}
    model = (response.model or endpoint.model)[:200]
    return {"ok": True, "code": None, "model": model, "endpoint": endpoint.name, "seconds": seconds, "usage": usage,
            "message": f"test: the model {model} at {endpoint.name} answered in {seconds:.1f} s with the "
                       "configured key"}
