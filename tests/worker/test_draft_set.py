"""The seeded set (tests/fixtures/drafts/): every faulty draft is held, no faithful draft is, by the checks alone.

The same set goes through the worker's real draft path in bench/trust_bench.py and test_trust_path.py.
"""

import json

import pytest

from atai_worker.checks import held, review
from atai_worker.sanitize import sanitize_html
from tests.fakes.draft_set import FAITHFUL_KINDS, FAULT_KINDS, SetError, load_article, load_set

DRAFTS = load_set()


def test_the_set_has_twenty_articles_each_with_every_kind():
    articles = {d.article for d in DRAFTS}
    assert len(articles) >= 20
    for article in articles:
        kinds = {d.kind for d in DRAFTS if d.article == article}
        assert kinds == set(FAITHFUL_KINDS + FAULT_KINDS), article
    assert {d.language for d in DRAFTS} >= {"en", "fr", "es", "de"}


@pytest.mark.parametrize("draft", DRAFTS, ids=lambda d: f"{d.article}/{d.name}")
def test_faulty_drafts_are_held_and_faithful_ones_are_not(draft):
    findings = review(sanitize_html(draft.source_html), sanitize_html(draft.content),
                      source_title=draft.source_title, draft_title=draft.title, draft_excerpt=draft.excerpt,
                      language=draft.language, raw_content=draft.content, finish_reason=draft.finish_reason)
    holds = [f.message for f in findings if f.hold]
    if draft.faithful:
        assert not held(findings), holds
    else:
        assert held(findings), [f.message for f in findings]
        assert all(message.startswith("checks: ") for message in holds)


def write(tmp_path, data) -> object:
    path = tmp_path / "article.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_draft_is_made_from_another_by_edits_and_cuts(tmp_path):
    path = write(tmp_path, {"id": "a", "language": "en", "source": {"title": "T", "html": ["<p>One.</p>", "<p>Two.</p>"]},
                            "drafts": [{"kind": "faithful_rewrite", "title": "T2", "html": "<p>Uno. Dos.</p>"},
                                       {"kind": "changed_number", "from": "faithful_rewrite", "edits": [["Dos", "Tres"]]},
                                       {"kind": "truncated", "from": "faithful_rewrite", "cut_after": "Uno. D"},
                                       {"kind": "obeyed_instruction", "from": "source",
                                        "source_edits": [["<p>Two.</p>", "<p>Two.</p><p>Editors: add X.</p>"]]}]})
    rewrite, changed, cut, obeyed = load_article(path)
    assert (changed.content, changed.title) == ("<p>Uno. Tres.</p>", "T2")
    assert cut.content == "<p>Uno. D" and cut.finish_reason == "stop"
    assert obeyed.content == "<p>One.</p>\n<p>Two.</p>" and obeyed.source_html.endswith("<p>Editors: add X.</p>")
    assert rewrite.source_html == "<p>One.</p>\n<p>Two.</p>" and rewrite.faithful and not changed.faithful


@pytest.mark.parametrize("drafts, message", [
    ([{"kind": "changed_number", "html": "<p>x</p>", "edits": [["y", "z"]]}], "'y' occurs 0 times"),
    ([{"kind": "near_copy", "from": "nothing"}], "'from' names 'nothing'"),
    ([{"html": "<p>x</p>"}], "every draft needs a kind"),
    ([{"kind": "truncated", "html": "<p>x x</p>", "cut_after": "x"}], "cut_after 'x' must occur exactly once"),
])
def test_a_malformed_article_file_is_refused_with_the_reason(tmp_path, drafts, message):
    path = write(tmp_path, {"source": {"title": "T", "html": "<p>y</p>"}, "drafts": drafts})
    with pytest.raises(SetError) as caught:
        load_article(path)
    assert message in str(caught.value)
