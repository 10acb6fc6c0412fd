"""The run-finished webhook: signed with the shared secret and sent to the site that asked for the run.

The mirror of wp-plugin/inc/callback.php, which checks the signature (contract: webhooks.runFinished).
A callback is a hint: the site collects the run at its next tick anyway, so a failed one is only logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import httpx

log = logging.getLogger(__name__)

# The callback goes to the WordPress site that sent the run, which imports the drafts before it
# answers: up to its 20 s time budget. Longer than that, and the site is not going to answer.
CALLBACK_TIMEOUT = httpx.Timeout(30.0, connect=3.0)


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    """The X-ATAI-Signature value: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def send_callback(client: httpx.Client, url: str, secret: str, run_id: str, state: str) -> None:
    """POST the signed runFinished webhook; best effort, failures are only logged."""
    body = json.dumps({"run_id": run_id, "state": state}, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-ATAI-Timestamp": timestamp,
               "X-ATAI-Signature": sign_callback(secret, timestamp, body)}
    try:
        response = client.post(url, content=body, headers=headers)
        if response.status_code >= 300:
            log.warning("callback refused run_id=%s status=%s", run_id, response.status_code)
    except httpx.HTTPError as exc:
        log.warning("callback failed run_id=%s error=%s", run_id, type(exc).__name__)
