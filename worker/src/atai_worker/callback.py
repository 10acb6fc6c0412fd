"""The run-finished webhook: signed with the shared secret and sent to the site that asked for the run.

The mirror of wp-plugin/inc/callback.php, which checks the signature and collects the run
(contract: webhooks.runFinished). The site answers whether it collected: one it did not (it was busy
collecting the run already, WordPress failed, or no answer came) is sent again after 1, 2, 4 and 8 s,
so that the posts appear within seconds and not at the next cron tick (issue 16). Every outcome is
logged with fixed keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from .timers import Timers

log = logging.getLogger(__name__)

# The callback goes to the WordPress site that sent the run, which imports the drafts before it
# answers: up to its 20 s time budget. Longer than that, and the site is not going to answer.
CALLBACK_TIMEOUT = httpx.Timeout(30.0, connect=3.0)
# Tries in all; the waits between them are 1, 2, 4 and 8 s.
CALLBACK_TRIES = 5


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    """The X-ATAI-Signature value: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def send_callback(client: httpx.Client, url: str, secret: str, run_id: str, state: str) -> tuple[int | None, dict]:
    """POST the signed runFinished webhook once: the HTTP status (None when no answer came) and the
    CallbackResult ({} when the answer was not one)."""
    body = json.dumps({"run_id": run_id, "state": state}, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-ATAI-Timestamp": timestamp,
               "X-ATAI-Signature": sign_callback(secret, timestamp, body)}
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError:
        return None, {}
    try:
        result = response.json()
    except ValueError:
        result = {}
    return response.status_code, result if isinstance(result, dict) else {}


class Callbacks:
    """Sends callbacks from a few threads of their own, with one client, and sends again those not collected."""

    def __init__(self, secret: str, timers: Timers):
        self.secret = secret
        self.timers = timers
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="atai-callback")
        self._client = httpx.Client(timeout=CALLBACK_TIMEOUT)

    def send(self, url: str, run_id: str, state: str, attempt: int = 1, secret: str | None = None) -> None:
        """Send the callback soon, on a callback thread, signed with `secret` (a site's own; the worker's by default)."""
        try:
            self._pool.submit(self._send, url, run_id, state, attempt, secret or self.secret)
        except RuntimeError:
            pass  # shutting down: the site's next tick collects the run

    def close(self) -> None:
        """Finish the callbacks in progress; the ones waiting to be sent again are dropped."""
        self._pool.shutdown(wait=True)
        self._client.close()

    def _send(self, url: str, run_id: str, state: str, attempt: int, secret: str) -> None:
        status, result = send_callback(self._client, url, secret, run_id, state)
        ok = status is not None and 200 <= status < 300
        collected = ok and result.get("collected") is True
        # A site that no longer tracks the run will not collect it whatever we send.
        done = collected or (ok and result.get("known") is False)
        again = None if done or attempt >= CALLBACK_TRIES else 2 ** (attempt - 1)
        log.log(logging.INFO if done or again else logging.WARNING,
                "callback outcome run_id=%s state=%s attempt=%d status=%s collected=%s owed=%s known=%s again_in=%s",
                run_id, state, attempt, status, collected, result.get("owed"), result.get("known"), again)
        if again is not None:
            self.timers.call_later(again, self.send, url, run_id, state, attempt + 1, secret)
