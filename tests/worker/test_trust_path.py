"""The seeded set through the worker's real draft path: rewrite stage, sanitizer and guards, the fake model
answering each article with the stored draft over HTTP. Faulty drafts are held (or refused), faithful ones pass.
"""

import pytest

from atai_worker.api import contract_validator
from tests.fakes.draft_replay import Replay
from tests.fakes.draft_set import load_set
from tests.fakes.model_server import ModelServer

DRAFTS = load_set()


@pytest.fixture(scope="module")
def replay():
    with ModelServer() as model:
        yield Replay(model)


@pytest.mark.parametrize("draft", DRAFTS, ids=lambda d: f"{d.article}/{d.name}")
def test_the_worker_holds_faulty_drafts_and_passes_faithful_ones(replay, draft):
    outcome = replay.run(draft)
    if outcome.result is not None:
        # What the plugin gets: valid against the contract, held exactly when a finding holds it.
        data = outcome.result.to_dict()
        contract_validator("Draft").validate(data)
        assert data["hold"] == any(finding["hold"] for finding in data["findings"])
    if draft.faithful:
        assert outcome.result is not None, outcome.error
        assert not outcome.held, [f.message for f in outcome.result.findings if f.hold]
        assert outcome.result.to_dict()["hold"] is False
    else:
        assert outcome.stopped
        if outcome.result is not None:
            assert outcome.result.to_dict()["hold"] is True


def test_a_draft_cut_at_the_token_limit_is_never_published_as_a_rewrite(replay):
    draft = next(d for d in DRAFTS if d.kind == "faithful_rewrite")
    outcome = replay.run(draft.__class__(**{**draft.__dict__, "finish_reason": "length"}))
    # Asked once more with more room, cut again: the cleaned original waits for review with the reason.
    assert outcome.held and not outcome.result.rewritten
    assert [f.code for f in outcome.result.findings if f.hold] == ["model_output_cut"]
