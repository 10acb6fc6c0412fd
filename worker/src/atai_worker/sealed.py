"""The AI key a run brings, sealed while the run waits in the run store.

The key travels from the API to the consumer through the store (SQLite file or Redis), and stays there
until the run finishes: a copy of that file or a look into that Redis must not give it away. It is
encrypted (Fernet: AES with an HMAC) under a key derived from ATAI_WORKER_SECRET, which both processes
have and the store never holds. A run whose key was sealed under another secret (the secret changed
while it waited) cannot be read: it fails with the reason, and the next run brings the key again.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import WorkerError

SEALED_FIELD = "api_key_sealed"
# Where a registered site's token is kept, sealed, in the stored request of a run with a callback.
CALLBACK_SECRET_FIELD = "callback_secret_sealed"


class UnreadableKey(WorkerError):
    """The run's sealed AI key does not open with this worker's secret."""

    stage = "worker"
    code = "api_key_unreadable"
    retryable = True


def seal_request(request: dict, worker_secret: str) -> dict:
    """The run request as it is stored: ai.api_key replaced by its sealed form."""
    ai = dict(request["ai"])
    key = ai.pop("api_key", None)
    if key:
        ai[SEALED_FIELD] = _fernet(worker_secret).encrypt(key.encode()).decode("ascii")
    return {**request, "ai": ai}


def unsealed_ai(ai: dict, worker_secret: str) -> dict:
    """A stored request's ai settings with api_key in clear again, for the time of the run."""
    ai = dict(ai)
    token = ai.pop(SEALED_FIELD, None)
    if token:
        try:
            ai["api_key"] = _fernet(worker_secret).decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise UnreadableKey("worker: the AI key sent with this run cannot be read: ATAI_WORKER_SECRET changed "
                                "since the run was queued; the next run sends the key again") from None
    return ai


def seal_text(text: str, worker_secret: str) -> str:
    """Another secret a run keeps in the store (a site's token, to sign its callback), sealed the same way."""
    return _fernet(worker_secret).encrypt(text.encode()).decode("ascii")


def unseal_text(token: str | None, worker_secret: str) -> str | None:
    """The text of seal_text, or None when there is none or it does not open with this secret."""
    try:
        return _fernet(worker_secret).decrypt(token.encode("ascii")).decode() if token else None
    except (InvalidToken, ValueError):
        return None


@functools.lru_cache(maxsize=4)
def _fernet(worker_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"atai-worker run store: AI keys").derive(worker_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))
