"""The contract document, contract/worker-api.json, read once for the whole process.

The API validates requests and responses against its schemas; the sanitizer takes its allowed HTML from
its "x-atai-html" key, the one list of it for the plugin and the worker alike.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

# A symlink to the repository's contract/worker-api.json (the Dockerfile copies both).
CONTRACT_PATH = Path(__file__).with_name("contract.json")


@functools.cache
def load_contract() -> dict:
    """The contract document (OpenAPI 3.1)."""
    return json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))


def allowed_html() -> dict:
    """The HTML a draft may hold: {"tags": [...], "attributes": {tag: [...]}, "url_schemes": [...]}."""
    return load_contract()["x-atai-html"]
