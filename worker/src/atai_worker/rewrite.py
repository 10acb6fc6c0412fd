"""The AI stage: rewrite one entry with any OpenAI-compatible endpoint, through structured output.

The article goes to the model as a JSON value inside the user message and the instructions say it is
data: whatever the article says, it is text to rewrite, never an instruction. The answer is validated
here (the model's output is hostile too) and a failure is a RewriteError with a code and a message in
words; the pipeline never publishes the original in place of a failed rewrite unless the feed's failure
policy says so (drafting.py).

What the model is asked comes from prompts.py. JSON is asked for as json_schema, then (for an endpoint that
refuses it) json_object, then (for one that refuses both) plain text read by a tolerant parse (output.py).
An answer that still does not fit is asked for once more; one cut off at the token limit is asked for once
more with twice the room. Every call's tokens are counted, also those of answers thrown away.

Every valid answer is stored the moment it arrives (the run store's answers, by a hash of the endpoint,
the model, and the prompt: the preset and its version, the feed's settings and the article, as
prompts.Prompt.fingerprint), and looked up before the model is asked: a crash, a
retried item or the same entry sent again never pays for the same draft twice (issue 16). The SDK does
not retry: a call that failed for a reason that will pass (429, 502-504, a time-out, no connection)
raises a RewriteError with retry_after, and the runner tries it again without holding a model slot.
"""

from __future__ import annotations

import collections
import email.utils
import hashlib
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from . import prompts, tokens
from .decode import clean_text
from .endpoints import Endpoint
from .errors import RewriteError
from .models import Entry
from .output import OutputError, article_fields
from .prompts import MAX_TAGS, OUTPUT_SCHEMA, Prompt
from .sanitize import plain_text

# The openai SDK (40 MB and most of a second to import) is imported where a call is made: the API, and a
# consumer whose sites have AI off, never load it.
# How an endpoint is asked for JSON, best first; an endpoint that refuses one is asked the next way from then on.
JSON_MODES = ("json_schema", "json_object", "text")

# Statuses of an endpoint that is busy or down for a moment (a 500 is more often the prompt's fault).
TRANSIENT_STATUSES = (429, 502, 503, 504)
# A Retry-After longer than this is not waited for within a run; the plugin schedules the feed instead.
MAX_RETRY_AFTER = 3600.0


class Answers(Protocol):
    """Where answers are kept: the run store."""

    def get_answer(self, key: str) -> dict | None: ...

    def put_answer(self, key: str, answer: dict) -> None: ...

    def forget_answer(self, key: str) -> None: ...


@dataclass(frozen=True)
class Answer:
    """One model call's answer as it came: its text, why it stopped, and what it cost."""

    text: str | None
    finish_reason: str | None
    model: str
    call: dict  # the contract's Usage.calls entry


@dataclass(frozen=True)
class Rewritten:
    """The model's answer, validated: raw strings still to be sanitized by the caller."""

    title: str
    content: str
    excerpt: str
    tags: tuple[str, ...]
    model: str
    usage: dict | None
    calls: tuple[dict, ...] = ()  # every call made for it, the thrown-away answers too
    finish_reason: str | None = None


class InFlightGate:
    """At most `limit` model calls at once to one endpoint, across every run and thread of the process.

    Slots go to waiters in arrival order (a freed slot is handed to the oldest waiter, so a newcomer
    cannot take it first). Items arrive in the order their runs were queued, so the first run's drafts
    are done first and its posts appear while later runs still wait, instead of every run finishing
    at the very end. An item tried again after a rate limit waits ahead of the others: it had its turn
    already, and its run waits on it.
    """

    def __init__(self, limit: int):
        self._lock = threading.Lock()
        self._limit = limit
        self._in_flight = 0
        self._waiting: collections.deque[threading.Event] = collections.deque()
        self._waiting_ahead: collections.deque[threading.Event] = collections.deque()

    def set_limit(self, limit: int) -> None:
        """Change the limit; the latest run's setting wins for the endpoint it shares with others."""
        with self._lock:
            self._limit = limit
            self._hand_over()

    @contextmanager
    def slot(self, ahead: bool = False):
        """Hold one of the endpoint's slots for the duration of a call; `ahead` waits before the others."""
        with self._lock:
            if self._in_flight < self._limit and not self._waiting_ahead and (ahead or not self._waiting):
                self._in_flight += 1
                turn = None
            else:
                turn = threading.Event()
                (self._waiting_ahead if ahead else self._waiting).append(turn)
        if turn is not None:
            turn.wait()  # set once a slot has been counted for us
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._hand_over()

    def _hand_over(self) -> None:
        while (self._waiting_ahead or self._waiting) and self._in_flight < self._limit:
            self._in_flight += 1
            (self._waiting_ahead or self._waiting).popleft().set()


class Rewriter:
    """Rewrites entries; built once per process so clients, in-flight gates and the answers are shared."""

    def __init__(self, timeout: float, answers: Answers | None = None, limits=None):
        self.timeout = timeout
        # Where answers are kept (the run store), so that the same input is never paid for twice.
        self.answers = answers
        # The fleet's shared slots (limits.SharedLimits) when given; otherwise this process counts on its own.
        self._limits = limits
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], "openai.OpenAI"] = {}
        self._gates: dict[str, InFlightGate] = {}
        # The JSON mode each (endpoint, model) accepted last: one that refused json_schema is asked for json_object.
        self._json_modes: dict[tuple[str, str], str] = {}

    def _client(self, endpoint: Endpoint) -> "openai.OpenAI":
        import openai

        with self._lock:
            client = self._clients.get((endpoint.base_url, endpoint.api_key))
            if client is None:
                client = openai.OpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key,
                                       timeout=self.timeout, max_retries=0)
                self._clients[(endpoint.base_url, endpoint.api_key)] = client
            return client

    def gate(self, endpoint: Endpoint):
        """The endpoint's gate (shared by the fleet, or process-wide), set to the endpoint's current limit."""
        if self._limits is not None:
            return self._limits.gate(endpoint)
        with self._lock:
            gate = self._gates.get(endpoint.base_url)
            if gate is None:
                gate = self._gates[endpoint.base_url] = InFlightGate(endpoint.max_in_flight)
        gate.set_limit(endpoint.max_in_flight)
        return gate

    def rewrite(self, endpoint: Endpoint, entry: Entry, source_html: str, prompt: Prompt | None = None, *,
                retried: bool = False) -> Rewritten:
        """The model's draft of the entry's cleaned HTML (stored, or asked for); RewriteError with a clear message.
        A `retried` item (its call failed for a reason that will pass) waits for a model slot before the others.

        An answer that is not the JSON asked for is asked for once more, and one cut off at the token limit
        once more with twice the room; the error then carries every call's usage in its details.
        """
        prompt = prompt or prompts.build(entry, source_html)
        key = answer_key(endpoint, prompt)
        stored = self.answers.get_answer(key) if self.answers is not None else None
        if stored is not None:
            return from_stored(stored, entry.key)
        room = min(endpoint.max_output_tokens, 2 * tokens.estimate(prompt.user) + 1024)
        calls: list[dict] = []
        problem = None
        for attempt in range(2):
            answer = self.ask(endpoint, prompt.system, prompt.user, purpose="rewrite", schema=OUTPUT_SCHEMA,
                              schema_name="rewritten_article", max_tokens=room, ahead=retried)
            calls.append(answer.call)
            if answer.finish_reason == "length":
                problem = RewriteError("rewrite: the model's answer was cut off at its output token limit "
                                       f"({room:,} tokens)" + (" twice" if attempt else ""), code="model_output_cut")
                if room >= endpoint.max_output_tokens:
                    break
                room = min(endpoint.max_output_tokens, 2 * room)
                continue
            try:
                fields = article_fields(answer.text)
            except OutputError as exc:
                problem = RewriteError(f"rewrite: {exc.message}" + (" (twice)" if attempt else ""),
                                       code="model_invalid_output")
                continue
            # The model's text enters the worker here: characters XML forbids go, as they do from feeds.
            rewritten = Rewritten(title=clean_text(fields["title"]), content=clean_text(fields["content"]),
                                  excerpt=clean_text(fields["excerpt"]),
                                  tags=clean_tags([clean_text(tag) for tag in fields["tags"]]), model=answer.model,
                                  usage=usage_of(calls), calls=tuple(calls), finish_reason=answer.finish_reason)
            if self.answers is not None:
                self.answers.put_answer(key, to_stored(rewritten, entry.key))
            return rewritten
        problem.details["calls"] = calls
        raise problem

    def forget(self, endpoint: Endpoint, entry: Entry, source_html: str, prompt: Prompt | None = None) -> None:
        """Drop the stored answer for this entry, so that trying it again asks the model again."""
        if self.answers is not None:
            self.answers.forget_answer(answer_key(endpoint, prompt or prompts.build(entry, source_html)))

    def ask(self, endpoint: Endpoint, system: str, user: str, *, purpose: str, schema: dict, schema_name: str,
            max_tokens: int | None = None, model: str | None = None, ahead: bool = False) -> Answer:
        """One call for a JSON answer in the best JSON mode the endpoint accepts; RewriteError when it fails.
        An `ahead` call waits for a model slot before the others (its item was tried already)."""
        import openai

        model = model or endpoint.model
        remembered = (endpoint.base_url, model)
        with self.gate(endpoint).slot(ahead):
            mode = self._json_modes.get(remembered, JSON_MODES[0])
            while True:
                if mode == "json_schema":
                    system_text, response_format = system, {
                        "type": "json_schema", "json_schema": {"name": schema_name, "strict": True, "schema": schema}}
                else:
                    system_text = system + "\nThe JSON object must match this JSON Schema:\n" + json.dumps(schema)
                    response_format = {"type": "json_object"} if mode == "json_object" else None
                try:
                    response = self._call(endpoint, model, system_text, user, response_format, max_tokens)
                    break
                except openai.BadRequestError as exc:
                    if mode == JSON_MODES[-1] or not refuses_response_format(exc):
                        raise self._error(endpoint, exc, model) from None
                    mode = JSON_MODES[JSON_MODES.index(mode) + 1]
                    self._json_modes[remembered] = mode
        choice = response.choices[0] if response.choices else None
        usage = response.usage
        call = {"purpose": purpose, "model": clean_text((response.model or model)[:200]),
                "prompt_tokens": (usage.prompt_tokens or 0) if usage else tokens.estimate(system_text + user),
                "completion_tokens": (usage.completion_tokens or 0) if usage else 0, "cached": False}
        return Answer(text=choice.message.content if choice is not None else None,
                      finish_reason=choice.finish_reason if choice is not None else None,
                      model=call["model"], call=call)

    def _call(self, endpoint: Endpoint, model: str, system: str, user: str, response_format: dict | None,
              max_tokens: int | None):
        import openai

        arguments = {"model": model, "messages": [{"role": "system", "content": system},
                                                  {"role": "user", "content": user}]}
        if response_format is not None:
            arguments["response_format"] = response_format
        if max_tokens is not None:
            arguments["max_tokens"] = max_tokens
        try:
            return self._client(endpoint).chat.completions.create(**arguments)
        except openai.BadRequestError:
            raise  # the caller decides whether it is the response_format refusal
        except openai.OpenAIError as exc:
            raise self._error(endpoint, exc, model) from None

    def _error(self, endpoint: Endpoint, exc: "openai.OpenAIError", model: str | None = None) -> RewriteError:
        import openai

        # Messages are ours, never the endpoint's text: that can echo part of the key.
        if isinstance(exc, openai.APITimeoutError):
            return RewriteError(f"rewrite: the model did not answer within {self.timeout:g} s", code="model_timeout",
                                retry_after=0)
        if isinstance(exc, openai.APIConnectionError):
            return RewriteError(f"rewrite: could not connect to the AI endpoint at {endpoint.base_url}",
                                code="model_unreachable", retry_after=0)
        status = getattr(exc, "status_code", None)
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return RewriteError(f"rewrite: the AI endpoint refused the API key ({status})",
                                code="model_auth_failed", retryable=False)
        if isinstance(exc, openai.NotFoundError):
            return RewriteError(f"rewrite: the AI endpoint does not know the model '{model or endpoint.model}' (404)",
                                code="model_not_found", retryable=False)
        wait = retry_after(exc.response.headers) if isinstance(exc, openai.APIStatusError) else None
        if isinstance(exc, openai.RateLimitError):
            return RewriteError("rewrite: the AI endpoint is rate limiting requests (429); the item can be tried "
                                "again later", code="model_rate_limited", retry_after=wait or 0)
        if status in TRANSIENT_STATUSES:
            return RewriteError(f"rewrite: the AI endpoint is unavailable for now (HTTP {status}); the item can be "
                                "tried again later", code="model_unavailable", retry_after=wait or 0)
        if status is not None:
            return RewriteError(f"rewrite: the AI endpoint answered HTTP {status}", code="model_http_error")
        return RewriteError(f"rewrite: the AI call failed ({type(exc).__name__})", code="model_http_error")


def refuses_response_format(exc: "openai.BadRequestError") -> bool:
    """Whether a 400 is the endpoint refusing the response_format asked for (not a problem with the prompt)."""
    return "response_format" in str(exc.message) + json.dumps(exc.body, default=str)


def usage_of(calls) -> dict | None:
    """The contract's Usage for a list of calls: totals, and the calls themselves."""
    calls = list(calls)
    if not calls:
        return None
    return {"prompt_tokens": sum(c["prompt_tokens"] for c in calls),
            "completion_tokens": sum(c["completion_tokens"] for c in calls), "calls": calls}


def answer_key(endpoint: Endpoint, prompt: Prompt) -> str:
    """The key of a stored answer: the endpoint, the model and everything the prompt is made of (never the key)."""
    return hashlib.sha256(f"{endpoint.base_url}\n{endpoint.model}\n{prompt.fingerprint}".encode()).hexdigest()


def to_stored(rewritten: Rewritten, item_key: str) -> dict:
    """A Rewritten as the answer store keeps it, with the item that paid for it."""
    return {"title": rewritten.title, "content": rewritten.content, "excerpt": rewritten.excerpt,
            "tags": list(rewritten.tags), "model": rewritten.model, "calls": list(rewritten.calls),
            "finish_reason": rewritten.finish_reason, "paid_by": item_key, "stored_at": time.time()}


def from_stored(stored: dict, item_key: str) -> Rewritten:
    """A stored answer for an item: its calls are the item's own if that item paid for them, else cached (free)."""
    own = stored.get("paid_by") == item_key
    calls = tuple(dict(call, cached=call.get("cached", False) or not own) for call in stored.get("calls") or ())
    return Rewritten(title=stored["title"], content=stored["content"], excerpt=stored["excerpt"],
                     tags=tuple(stored["tags"]), model=stored["model"], usage=usage_of(calls), calls=calls,
                     finish_reason=stored.get("finish_reason"))


def retry_after(headers) -> float | None:
    """Seconds an endpoint asked us to wait (retry-after-ms, or Retry-After in seconds or as a date), or None."""
    try:
        if headers.get("retry-after-ms"):
            return min(max(float(headers["retry-after-ms"]) / 1000, 0.0), MAX_RETRY_AFTER)
        value = (headers.get("retry-after") or "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError, OverflowError):
        return None


def clean_tags(tags: list[str]) -> tuple[str, ...]:
    """Plain-text, trimmed, de-duplicated (case-insensitive) tags of 1 to 60 characters, at most MAX_TAGS."""
    kept: dict[str, str] = {}
    for tag in tags:
        tag = " ".join(plain_text(tag).split())[:60].strip()
        if tag and tag.lower() not in kept:
            kept[tag.lower()] = tag
    return tuple(kept.values())[:MAX_TAGS]
