"""The AI endpoint a run names: resolved from its request and the worker's environment, before any call.

The API resolves it to say how drafts will be written (Run.rewrite) and to refuse a request early; the
runner, to make the calls. Kept apart from rewrite.py so the API does not load what a rewrite needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import RewriteError
from .settings import DEFAULT_AI_MAX_INPUT_TOKENS, DEFAULT_AI_MAX_OUTPUT_TOKENS, OPENAI_DEFAULT_BASE_URL, Settings

# Local endpoints (Ollama, vLLM, LM Studio) need no key, but the SDK insists on one.
KEYLESS_PLACEHOLDER = "no-key-needed"


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible endpoint and the model to call on it."""

    base_url: str
    api_key: str = field(repr=False)
    model: str
    max_in_flight: int
    max_input_tokens: int = DEFAULT_AI_MAX_INPUT_TOKENS
    max_output_tokens: int = DEFAULT_AI_MAX_OUTPUT_TOKENS
    check_model: str | None = None  # the relevance pass and the second opinion; None: `model`

    @property
    def name(self) -> str:
        """The endpoint as a person names it: host and port, never the key or the path."""
        parts = urlsplit(self.base_url)
        return parts.netloc.rpartition("@")[2] or self.base_url


class EndpointKeyRequired(RewriteError):
    """A run names an endpoint the worker's own API key may not go to, and brings no key of its own."""

    code = "api_key_required"
    retryable = False


def resolve_endpoint(ai: dict, settings: Settings) -> tuple[Endpoint | None, dict]:
    """The endpoint a run request's ai settings name (each field overrides the environment) and Run.rewrite.

    The environment's API key goes only to the environment's endpoint (or one the operator lists in
    ATAI_AI_ALLOWED_BASE_URLS): a run that names another endpoint without a key of its own raises
    EndpointKeyRequired, instead of handing the operator's key to an address a site chose.
    """
    if not ai.get("enabled"):
        return None, {"mode": "original", "model": None,
                      "reason": "AI rewriting is turned off for this feed, so drafts are the cleaned original."}
    base_url = ai.get("base_url") or settings.openai_base_url
    api_key = ai.get("api_key")
    if not api_key and settings.openai_api_key:
        own = [settings.openai_base_url or OPENAI_DEFAULT_BASE_URL, *settings.ai_allowed_base_urls]
        if base_url and _endpoint_id(base_url) not in {_endpoint_id(url) for url in own}:
            raise EndpointKeyRequired(
                "request: ai.api_key is required when ai.base_url names an endpoint other than the worker's own: "
                "the worker's API key is only sent to OPENAI_BASE_URL and the endpoints in "
                "ATAI_AI_ALLOWED_BASE_URLS (for an endpoint that needs no key, send any text as the key)")
        api_key = settings.openai_api_key
    if not (api_key or base_url):
        return None, {"mode": "original", "model": None,
                      "reason": "AI rewriting is on but no AI endpoint is configured (no API key or base URL in "
                                "the plugin's settings or the worker's environment), so drafts are the cleaned "
                                "original."}
    endpoint = Endpoint(
        base_url=(base_url or OPENAI_DEFAULT_BASE_URL).rstrip("/"),
        api_key=api_key or KEYLESS_PLACEHOLDER,
        model=ai.get("model") or settings.model,
        max_in_flight=ai.get("max_in_flight") or settings.ai_max_in_flight,
        max_input_tokens=settings.ai_max_input_tokens,
        max_output_tokens=settings.ai_max_output_tokens,
        check_model=ai.get("check_model") or None,
    )
    return endpoint, {"mode": "ai", "model": endpoint.model, "reason": None}


def _endpoint_id(url: str) -> tuple:
    """What makes two base URLs the same endpoint: scheme, host, port and path, as a client would use them."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").rstrip("."), port or {"http": 80, "https": 443}.get(scheme), \
        parts.path.rstrip("/")
