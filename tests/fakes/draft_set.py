"""The seeded set of drafts: articles we wrote, each with its source and drafts labelled by kind.

One JSON file per article (format in bench/README.md). A draft is written out in full, or made `from`
another draft (or the source) by `edits`: [old, new] pairs, each `old` found exactly once, and an optional
`cut_after` that ends the HTML right after a passage, markup left open as a cut-off model answer leaves it.
`source_edits` change the source for that draft only (to plant an instruction in it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SET_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "drafts"
FAITHFUL_KINDS = ("faithful_rewrite", "faithful_summary")
FAULT_KINDS = ("changed_number", "changed_date", "swapped_name", "invented_claim", "near_copy", "truncated",
               "obeyed_instruction")


class SetError(ValueError):
    """A file of the set that does not follow the format."""


@dataclass(frozen=True)
class SetDraft:
    """One draft of the set with the source it is judged against."""

    article: str
    name: str
    kind: str
    source_title: str
    source_html: str
    title: str
    content: str
    excerpt: str
    finish_reason: str
    language: str | None

    @property
    def faithful(self) -> bool:
        """A draft that says what its source says; every other kind carries one planted fault."""
        return self.kind.startswith("faithful")


def _html(value, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "\n".join(value)
    raise SetError(f"{where}: expected HTML as a string or a list of strings")


def _edit(text: str, edits, where: str) -> str:
    for pair in edits or ():
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise SetError(f"{where}: each edit is a pair [old, new] of strings")
        old, new = pair
        count = text.count(old)
        if count != 1:
            raise SetError(f"{where}: {old!r} occurs {count} times; an edit needs it exactly once")
        text = text.replace(old, new)
    return text


def load_article(path: Path) -> list[SetDraft]:
    """The drafts of one article file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SetError(f"{path.name}: not valid JSON ({exc})") from None
    article = data.get("id") or path.stem
    source = data.get("source") or {}
    source_title = source.get("title", "")
    source_html = _html(source.get("html", ""), f"{path.name}: source")
    written: dict[str, dict] = {"source": {"title": source_title, "content": source_html, "excerpt": ""}}
    drafts = []
    for number, spec in enumerate(data.get("drafts") or ()):
        kind = spec.get("kind")
        name = spec.get("name") or kind
        where = f"{path.name}: draft {name or number}"
        if not isinstance(kind, str) or not kind:
            raise SetError(f"{where}: every draft needs a kind")
        if name in written:
            raise SetError(f"{where}: the name is used twice; give one draft a name")
        base = written.get(spec.get("from") or "", {"title": "", "content": "", "excerpt": ""})
        if spec.get("from") and spec["from"] not in written:
            raise SetError(f"{where}: 'from' names {spec['from']!r}, which is not an earlier draft")
        title = spec.get("title", base["title"])
        content = _html(spec["html"], where) if "html" in spec else base["content"]
        excerpt = spec.get("excerpt", base["excerpt"])
        content = _edit(content, spec.get("edits"), where)
        title = _edit(title, spec.get("title_edits"), where)
        if spec.get("cut_after"):
            at = content.find(spec["cut_after"])
            if at < 0 or content.count(spec["cut_after"]) != 1:
                raise SetError(f"{where}: cut_after {spec['cut_after']!r} must occur exactly once")
            content = content[:at + len(spec["cut_after"])]
        written[name] = {"title": title, "content": content, "excerpt": excerpt}
        drafts.append(SetDraft(
            article=article, name=name, kind=kind, source_title=source_title,
            source_html=_edit(source_html, spec.get("source_edits"), where + " (source_edits)"),
            title=title, content=content, excerpt=excerpt, finish_reason=spec.get("finish_reason", "stop"),
            language=data.get("language")))
    return drafts


def load_set(folder: Path = SET_DIR) -> list[SetDraft]:
    """Every draft of every article file in a folder, in file order."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise SetError(f"{folder}: no article files (*.json)")
    return [draft for path in files for draft in load_article(path)]
