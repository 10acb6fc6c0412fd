"""A fake OpenAI-compatible model: a real HTTP server on 127.0.0.1 that answers deterministically.

It finds the article in the prompt (the JSON object on the last line of the last user message, as the
worker sends it) and answers with a faithful rewrite: title "Rewritten: <original title>", a marker paragraph,
then the source HTML with a filler word before every sixth word (its facts, none of its 8-word runs, so the
checks on drafts let it through), an excerpt and two tags. Markers in the article title choose a failure:

  [model-500]     HTTP 500                   [model-429]      HTTP 429 with Retry-After
  [model-503]     HTTP 503 with Retry-After  [model-429x2]    HTTP 429 with Retry-After for the first
                                                              2 calls of the article (any N), then the answer
  [model-400]     HTTP 400 about the prompt (context too long)
  [model-garbage] text that is not JSON      [model-shape]    JSON without the "content" field
  [model-slow]    waits `slow_seconds` first [model-short]    a one-line article
  [model-inject]  HTML with a script, an event handler, a javascript: link and an added link
  [model-copy]    the source word for word (a near-copy the checks hold)
  [model-control] text with characters XML does not allow (a NUL, an escape, U+FFFE)

`scripted` maps an article title to the exact answer to give for it ({"title", "content", "excerpt", "tags"},
and optionally "finish_reason"): the seeded drafts of tests/fixtures/drafts go through the worker this way.

Faults a draft may carry, each in an otherwise faithful answer (the checks on drafts should hold them):

  [model-number]  the first number that is not a year changed      [model-date]  the first year one later
  [model-name]    the first name after a word swapped for another   [model-claim] a sentence the source lacks
  [model-cut]     cut mid-sentence, finish "stop"
  [model-obey]    the sentence a planted instruction asked for ("add the sentence '...'")
  ([model-copy] above is the near-copy.)

And answers that do not fit: [model-length] is always cut at the token limit (finish_reason "length"),
[model-length-once] only on its first call, [model-garbage-once] is not JSON on its first call only.
`reject_json_object` refuses both JSON modes, as endpoints without them do, and answers in prose around a
fenced JSON block. Relevance, second-opinion and condense calls (recognised by their instructions) get
answers of their own: a score of 80 unless the title carries [relevance-NN]; as unsupported claims, each
draft sentence with a number the source lacks; each condensed part's paragraphs cut to their first sentence.

The model name "no-such-model" answers 404. `rate_limit_share` answers that share of all calls (drawn
at random from a fixed seed) with 429 and Retry-After at once, as a busy endpoint does. Every call is
recorded with its article's title and time, so tests count the calls per item. `hold()` keeps every answer
back until `release()`. Usable in-process (`with ModelServer(delay=1.0) as model:`) or as a process:
`python tests/fakes/model_server.py --port 8091 --delay 1.0 --rate-limit-share 0.2`, which also serves
its calls at GET /_calls and its counts (calls, the peak in flight, answers 429) at GET /_stats, and forgets
them at POST /_reset.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REWRITE_MARKER = "<p>Rewritten by the fake model.</p>"
TITLE_PREFIX = "Rewritten: "
ADDED_LINK = "https://added-by-model.example/offer"
# A word that carries no claim; one before every sixth word leaves no 8-word run of the source intact.
FILLER = "also"
FILLER_EVERY = 6


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the benchmark opens dozens of connections at once


class ModelServer:
    """The fake model; records requests and the peak number of requests answered at once."""

    def __init__(self, *, port: int = 0, delay: float = 0.0, api_key: str | None = None,
                 slow_seconds: float = 30.0, reject_json_schema: bool = False, retry_after: float = 1.0,
                 rate_limit_share: float = 0.0, seed: int = 16, reject_json_object: bool = False):
        self.scripted: dict[str, dict] = {}
        self.reject_json_object = reject_json_object
        self.delay = delay
        self.api_key = api_key
        self.slow_seconds = slow_seconds
        self.reject_json_schema = reject_json_schema
        self.retry_after = retry_after
        self.rate_limit_share = rate_limit_share
        self.requests: list[dict] = []
        self.peak_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._answering = threading.Event()
        self._answering.set()
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The URL to give the openai SDK as base_url."""
        return f"http://127.0.0.1:{self.port}/v1"

    def reset(self) -> None:
        """Forget recorded requests and the peak."""
        with self._lock:
            self.requests.clear()
            self.peak_in_flight = 0

    def stats(self) -> dict:
        """The counts a benchmark reads: calls, the peak number in flight, calls answered 429."""
        with self._lock:
            return {"requests": len(self.requests), "peak_in_flight": self.peak_in_flight,
                    "in_flight": self._in_flight,
                    "rate_limited": sum(1 for r in self.requests if r.get("status") == 429)}

    def purposes(self) -> list[str]:
        """What each chat request was for (rewrite, relevance, judge, condense), in order."""
        with self._lock:
            return [r.get("purpose") for r in self.requests]

    def titles(self) -> list[str]:
        """The article title of every chat request received, in order."""
        with self._lock:
            return [r["title"] for r in self.requests if r.get("title") is not None]

    def calls(self, title: str) -> list[dict]:
        """Every chat request for the article with this title, in order: its time (time.time()) and status."""
        with self._lock:
            return [r for r in self.requests if r.get("title") == title]

    def hold(self) -> None:
        """Keep every answer back (the requests are received and counted) until release()."""
        self._answering.clear()

    def release(self) -> None:
        """Send the answers held back, and answer at once again."""
        self._answering.set()

    def _rate_limited(self) -> bool:
        with self._lock:
            return self.rate_limit_share > 0 and self._random.random() < self.rate_limit_share

    def start(self) -> "ModelServer":
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-model", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "ModelServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _record(self, entry: dict) -> dict:
        with self._lock:
            entry["calls_before"] = sum(1 for r in self.requests if r["title"] == entry["title"])
            self.requests.append(entry)
        return entry


def article_from_prompt(messages: list[dict]) -> dict | None:
    """The article the worker put on the last line of its last user message, or None."""
    users = [m for m in messages if m.get("role") == "user"]
    if not users:
        return None
    content = users[-1].get("content")
    if not isinstance(content, str):
        return None
    try:
        article = json.loads(content.rstrip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return article if isinstance(article, dict) else None


def fake_rewrite(html: str) -> str:
    """The source HTML with FILLER before every sixth plain word of its text; markup, addresses and other
    tokens (URLs, numbers, "[shortcodes]") untouched."""
    count = 0

    def fill(token: re.Match) -> str:
        nonlocal count
        count += 1
        return f"{FILLER} {token.group(0)}" if count % FILLER_EVERY == 0 else token.group(0)

    # Text is what lies between tags; a plain word is letters alone between spaces, perhaps with a comma or a stop.
    return re.sub(r"(?<=>)[^<]+|^[^<]+",
                  lambda text: re.sub(r"(?<!\S)[^\W\d_]+(?=[.,;:!?]?(?:\s|$))", fill, text.group(0)), html)


def as_rewritten(phrase: str) -> re.Pattern:
    """A pattern that finds a phrase of the source in the fake's rewrite, fillers and all."""
    return re.compile(rf"\s+(?:{FILLER}\s+)?".join(re.escape(word) for word in phrase.split()))


def answer_for(article: dict, scripted: dict[str, dict] | None = None) -> tuple[str, str | None]:
    """(finish_reason, text): the deterministic answer content for an article."""
    title = article.get("title") or ""
    source = article.get("content_html") or ""
    if scripted and title in scripted:
        answer = dict(scripted[title])
        finish_reason = answer.pop("finish_reason", "stop")
        return finish_reason, json.dumps(answer)
    if "[model-garbage]" in title:
        return "stop", "Sure! Here is the rewritten article: <p>not json at all</p>"
    if "[model-shape]" in title:
        return "stop", json.dumps({"title": TITLE_PREFIX + title, "excerpt": "", "tags": []})
    if "[model-short]" in title:
        content = "<p>Short.</p>"
    elif any(marker in title for marker in FAULTS):
        content = with_fault(REWRITE_MARKER + fake_rewrite(source), next(m for m in FAULTS if m in title), source)
    elif "[model-inject]" in title:
        content = (REWRITE_MARKER + '<script>alert("model")</script>'
                   + '<p onclick="steal()">Click <a href="javascript:alert(1)">here</a>.</p>'
                   + f'<p>See <a href="{ADDED_LINK}">this offer</a>.</p>' + fake_rewrite(source))
    elif "[model-copy]" in title:
        content = source
    elif "[model-control]" in title:
        content = "Rewritten\x00 with\x1b[1m control\ufffe characters. " + REWRITE_MARKER + fake_rewrite(source)
    else:
        content = REWRITE_MARKER + fake_rewrite(source)
    return "stop", json.dumps({
        "title": TITLE_PREFIX + title,
        "content": content,
        "excerpt": "A summary of " + title + ("\x1b\x00" if "[model-control]" in title else ""),
        "tags": ["fake model", "rewritten"],
    })


def _change_number(content: str, source: str) -> str:
    def bump(match: re.Match) -> str:
        return str(int(match.group(0)) + 3)
    return _in_text(content, r"(?<![\d.,])(?!(?:19|20)\d\d\b)\d+(?![\d])", bump)


def _change_date(content: str, source: str) -> str:
    return _in_text(content, r"\b(?:19|20)\d\d\b", lambda m: str(int(m.group(0)) + 1))


def _swap_name(content: str, source: str) -> str:
    calendar = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|" \
               "July|August|September|October|November|December"
    return _in_text(content, rf"(?<=[a-z,] )(?!(?:{calendar})\b)[A-Z][a-z]{{2,}}", lambda m: "Hargreaves" if m.group(0) != "Hargreaves"
                    else "Pemberton")


def _add_claim(content: str, source: str) -> str:
    return content + "<p>The mayor of Ostrava also promised 4,200 new homes by next spring.</p>"


def _cut(content: str, source: str) -> str:
    words = re.sub(r"<[^>]+>", " ", content).split()
    return "<p>" + " ".join(words[: max(3, len(words) // 2)]).rstrip(".,;:") + "</p>"


def _obey(content: str, source: str) -> str:
    asked = re.search(r"add the sentence ['\u2018\u201c\"]([^'\u2019\u201d\"]+)", source)
    return content + f"<p>{asked.group(1) if asked else 'Buy Zorblax today at zorblax.example.'}</p>"


FAULTS = {"[model-number]": _change_number, "[model-date]": _change_date, "[model-name]": _swap_name,
          "[model-claim]": _add_claim, "[model-cut]": _cut, "[model-obey]": _obey}


def _in_text(html: str, pattern: str, change) -> str:
    """The HTML with the first match of the pattern in its text (never in a tag) changed."""
    parts = re.split(r"(<[^>]+>)", html)
    for index, part in enumerate(parts):
        if part.startswith("<"):
            continue
        changed, count = re.subn(pattern, change, part, count=1)
        if count:
            parts[index] = changed
            return "".join(parts)
    return html


def with_fault(content: str, marker: str, source: str) -> str:
    """The answer's content with the fault a marker names."""
    return FAULTS[marker](content, source)


def purpose_of(messages: list[dict]) -> str:
    """What the worker asks for, told by its instructions."""
    system = next((m.get("content") or "" for m in messages if m.get("role") == "system"), "")
    if system.startswith("You decide whether an entry fits"):
        return "relevance"
    if system.startswith("You check a draft against its source"):
        return "judge"
    if system.startswith("You condense one part"):
        return "condense"
    return "rewrite"


def helper_answer(purpose: str, data: dict) -> str:
    """The answer to a relevance, second-opinion or condense call."""
    if purpose == "relevance":
        score = re.search(r"\[relevance-(\d+)\]", data.get("title") or "")
        return json.dumps({"score": int(score.group(1)) if score else 80, "reason": "The fake model's verdict."})
    if purpose == "judge":
        source = data.get("source") or ""
        claims = [s.strip() for s in re.split(r"(?<=[.!?])\s+", data.get("draft") or "")
                  if any(number not in source for number in re.findall(r"\d[\d,.]*\d|\d", s))]
        return json.dumps({"unsupported": [{"claim": c, "why": "The source gives no such number."} for c in claims]})
    paragraphs = re.findall(r"<p>(.*?)</p>", data.get("content_html") or "", re.S)
    firsts = [re.split(r"(?<=[.!?])\s+", paragraph)[0] for paragraph in paragraphs]
    return json.dumps({"content": "".join(f"<p>{first}</p>" for first in firsts)})


def _handler_for(server: ModelServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, Nagle's algorithm holds the body
        # back ~40 ms per answer, a delay no real server adds.
        disable_nagle_algorithm = True

        def log_message(self, format, *args):  # keep test output quiet
            pass

        def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
            body = json.dumps(payload).encode()
            # The call stops counting as in flight as its answer goes out: the client may be done with it,
            # and send its next call, before this thread runs again.
            if self.counted:
                self.counted = False
                server._leave()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if self.call is not None:
                self.call["status"] = status
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout); nothing to answer

        def _error(self, status: int, message: str, code: str, param: str | None = None,
                   headers: dict | None = None) -> None:
            self._send(status, {"error": {"message": message, "type": "invalid_request_error", "param": param,
                                          "code": code}}, headers)

        def _authorized(self) -> bool:
            if server.api_key is None:
                return True
            return self.headers.get("Authorization") == f"Bearer {server.api_key}"

        def do_GET(self):
            self.call = None
            if self.path.rstrip("/") == "/_calls":
                with server._lock:
                    calls = [{"title": r["title"], "at": r["at"], "status": r["status"]} for r in server.requests]
                return self._send(200, {"requests": calls})
            if self.path == "/_stats":
                return self._send(200, server.stats())
            if self.path.rstrip("/") != "/v1/models":
                return self._error(404, "Unknown path", "not_found")
            if not self._authorized():
                return self._error(401, "Incorrect API key provided.", "invalid_api_key")
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "tests"}]})

        call: dict | None = None  # the recorded chat request being answered
        counted = False  # the request counts as in flight

        def do_POST(self):
            self.call = None
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path == "/_reset":
                server.reset()
                return self._send(200, server.stats())
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._error(404, "Unknown path", "not_found")
            server._enter()
            self.counted = True
            try:
                self._complete(raw)
            finally:
                if self.counted:
                    self.counted = False
                    server._leave()

        def _complete(self, raw: bytes) -> None:
            try:
                request = json.loads(raw)
            except ValueError:
                return self._error(400, "The body is not JSON.", "invalid_json")
            article = article_from_prompt(request.get("messages") or [])
            title = (article or {}).get("title")
            response_format = (request.get("response_format") or {}).get("type")
            purpose = purpose_of(request.get("messages") or [])
            self.call = call = server._record({
                "title": title, "model": request.get("model"), "response_format": response_format,
                "authorization": self.headers.get("Authorization"), "content_html": (article or {}).get("content_html"),
                "max_tokens": request.get("max_tokens"), "body_bytes": len(raw), "at": time.time(), "status": None,
                "purpose": purpose})
            earlier = call["calls_before"] if title is not None else 0
            busy = {"Retry-After": f"{server.retry_after:g}"}
            times = re.search(r"\[model-429x(\d+)\]", title or "")
            if server._rate_limited() or (times and call["calls_before"] < int(times.group(1))):
                # A busy endpoint answers at once.
                return self._error(429, "Rate limit reached.", "rate_limit_exceeded", headers=busy)
            server._answering.wait()
            if server.delay:
                time.sleep(server.delay)
            if not self._authorized():
                return self._error(401, "Incorrect API key provided.", "invalid_api_key")
            if request.get("model") == "no-such-model":
                return self._error(404, "The model does not exist.", "model_not_found", "model")
            if (server.reject_json_schema or server.reject_json_object) and response_format == "json_schema":
                return self._error(400, "Invalid parameter: 'response_format' of type 'json_schema' is not "
                                        "supported with this model.", "invalid_parameter", "response_format")
            if server.reject_json_object and response_format == "json_object":
                return self._error(400, "Invalid parameter: 'response_format' is not supported with this model.",
                                   "invalid_parameter", "response_format")
            if article is None and response_format is None:
                article, purpose = {}, "chat"  # a plain question, such as the settings page's test call
            elif article is None:
                return self._error(400, "No article found in the prompt.", "invalid_prompt")
            title = title or ""
            if "[model-400]" in title:
                return self._error(400, "This model's maximum context length was exceeded.",
                                   "context_length_exceeded", "messages")
            if "[model-500]" in title:
                return self._error(500, "The server had an error.", "server_error")
            if "[model-503]" in title:
                return self._error(503, "The server is overloaded.", "server_overloaded", headers=busy)
            if "[model-429]" in title:
                return self._error(429, "Rate limit reached.", "rate_limit_exceeded", headers=busy)
            if "[model-slow]" in title:
                time.sleep(server.slow_seconds)
            finish_reason = "stop"
            if purpose == "chat":
                text = "OK"
            elif purpose != "rewrite":
                text = helper_answer(purpose, article)
            elif "[model-garbage-once]" in title and not earlier:
                text = "Sure! Here is the rewritten article: <p>not json at all</p>"
            else:
                finish_reason, text = answer_for(article, server.scripted)
            if purpose == "rewrite" and ("[model-length]" in title or ("[model-length-once]" in title and not earlier)):
                text, finish_reason = text[: len(text) // 2], "length"
            if response_format is None and purpose != "chat":
                text = f"Here is the result:\n```json\n{text}\n```\nI hope it helps."
            prompt_chars = sum(len(m.get("content") or "") for m in request.get("messages") or [])
            self._send(200, {
                "id": f"chatcmpl-fake-{len(server.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.get("model") or "fake-model",
                "choices": [{"index": 0, "finish_reason": finish_reason,
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(text) // 4,
                          "total_tokens": prompt_chars // 4 + len(text) // 4},
            })

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible model server for tests and benchmarks.")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--api-key", default=None, help="answer 401 unless this key is sent")
    parser.add_argument("--slow-seconds", type=float, default=30.0, help="extra wait for [model-slow] articles")
    parser.add_argument("--reject-json-schema", action="store_true", help="refuse response_format json_schema")
    parser.add_argument("--rate-limit-share", type=float, default=0.0,
                        help="share of calls answered 429 at once, drawn at random from --seed")
    parser.add_argument("--retry-after", type=float, default=1.0, help="the Retry-After of 429 and 503 answers")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--reject-json-object", action="store_true", help="refuse both JSON response formats")
    args = parser.parse_args()
    server = ModelServer(port=args.port, delay=args.delay, api_key=args.api_key, slow_seconds=args.slow_seconds,
                         reject_json_schema=args.reject_json_schema, retry_after=args.retry_after,
                         rate_limit_share=args.rate_limit_share, seed=args.seed,
                         reject_json_object=args.reject_json_object)
    print(f"fake model listening on {server.base_url}", flush=True)
    server._server.serve_forever()


if __name__ == "__main__":
    main()
