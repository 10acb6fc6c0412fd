"""Reading a model's answer: strict JSON first, then a tolerant parse for endpoints without JSON modes.

An endpoint that honours json_schema answers exactly the object asked for. One that knows only json_object,
or no JSON mode at all, may wrap it in a code fence or a sentence, leave a trailing comma, give the tags as one
string or forget the excerpt. What can be read without guessing is read (json-repair does the repairs); a
missing title or content cannot, and is an OutputError with the reason in words.
"""

from __future__ import annotations

import json

import json_repair


class OutputError(Exception):
    """The answer does not hold the fields asked for; the message says which, in words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_object(text: str | None) -> dict:
    """The JSON object in a model's answer, strictly or after repair; OutputError when there is none."""
    if not text or not text.strip():
        raise OutputError("the model returned no text (it may have refused)")
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = json_repair.loads(text)
        except Exception:  # json-repair raises a variety of errors on hopeless input
            data = None
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        data = data[0]
    if not isinstance(data, dict) or not data:
        raise OutputError("the model returned text that is not valid JSON")
    return data


def article_fields(text: str | None) -> dict:
    """title, content, excerpt and tags from a rewrite answer; OutputError naming what is missing."""
    data = read_object(text)
    missing = [name for name in ("title", "content") if not isinstance(data.get(name), str) or not data[name].strip()]
    if missing:
        raise OutputError("the model's JSON has no " + " and no ".join(missing))
    excerpt = data.get("excerpt")
    tags = data.get("tags")
    if isinstance(tags, str):
        tags = [t for t in tags.split(",")]
    if not isinstance(tags, list):
        tags = []
    return {"title": data["title"], "content": data["content"], "excerpt": excerpt if isinstance(excerpt, str) else "",
            "tags": [t for t in tags if isinstance(t, str)]}
