"""Replays a set of labelled drafts through the checks on AI drafts and prints how many of each kind are held.

    .venv/bin/python bench/trust_bench.py                   # the seeded set, tests/fixtures/drafts/
    .venv/bin/python bench/trust_bench.py /path/to/set      # another set in the same format (bench/README.md)
    .venv/bin/python bench/trust_bench.py --verbose         # also every draft whose outcome is wrong, and why

Each draft goes through the rule-based checks alone, then through the worker's real draft path
(Pipeline.draft_for: the rewrite stage against the fake model answering with the stored draft, the
sanitizer, the guards). Then it times the checks on a long article: CPU time per draft. It prints
figures and never fails on them; it exits 1 only when the set cannot be read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from atai_worker.checks import held, review  # noqa: E402
from atai_worker.sanitize import plain_text, sanitize_html  # noqa: E402
from tests.fakes.draft_replay import Replay  # noqa: E402
from tests.fakes.draft_set import FAITHFUL_KINDS, FAULT_KINDS, SET_DIR, SetDraft, SetError, load_set  # noqa: E402
from tests.fakes.model_server import ModelServer  # noqa: E402

LONG_ARTICLE_WORDS = 1500
TIMING_ROUNDS = 30


def checks_hold(draft: SetDraft) -> tuple[bool, list[str]]:
    """Whether the checks alone hold the draft, and every finding's message."""
    findings = review(sanitize_html(draft.source_html), sanitize_html(draft.content), source_title=draft.source_title,
                      draft_title=draft.title, draft_excerpt=draft.excerpt, language=draft.language,
                      raw_content=draft.content, finish_reason=draft.finish_reason)
    return held(findings), [("HOLD " if f.hold else "note ") + f.message for f in findings]


def table(title: str, drafts: list[SetDraft], stopped: dict[int, bool]) -> dict:
    """Print held/total per kind and the totals; return the totals."""
    kinds = [k for k in FAITHFUL_KINDS + FAULT_KINDS if any(d.kind == k for d in drafts)]
    kinds += sorted({d.kind for d in drafts} - set(kinds))
    total, caught = Counter(), Counter()
    for index, draft in enumerate(drafts):
        total[draft.kind] += 1
        caught[draft.kind] += stopped[index]
    print(f"\n{title}")
    print(f"  {'kind':22} {'held':>6} {'of':>4}")
    for kind in kinds:
        print(f"  {kind:22} {caught[kind]:6} {total[kind]:4}   {caught[kind] / total[kind]:6.1%}")
    faulty = [i for i, d in enumerate(drafts) if not d.faithful]
    faithful = [i for i, d in enumerate(drafts) if d.faithful]
    faulty_held = sum(stopped[i] for i in faulty)
    faithful_held = sum(stopped[i] for i in faithful)
    print(f"  faulty drafts held:   {faulty_held} of {len(faulty)} ({faulty_held / max(len(faulty), 1):.1%}; aim >= 95%)")
    print(f"  faithful drafts held: {faithful_held} of {len(faithful)} "
          f"({faithful_held / max(len(faithful), 1):.1%}; aim <= 5%)")
    return {"faulty": (faulty_held, len(faulty)), "faithful": (faithful_held, len(faithful))}


def long_article(drafts: list[SetDraft]) -> tuple[str, str, int, int]:
    """A source of at least LONG_ARTICLE_WORDS words and its faithful rewrite, joined from the set's articles."""
    sources, rewrites = [], []
    for draft in drafts:
        # One language, as one article has: English, the set's commonest (or whatever the first draft is in).
        if draft.kind != "faithful_rewrite" or draft.language != drafts[0].language:
            continue
        sources.append(sanitize_html(draft.source_html))
        rewrites.append(sanitize_html(draft.content))
        if len(plain_text("".join(rewrites)).split()) >= LONG_ARTICLE_WORDS:
            break
    source, rewrite = "".join(sources), "".join(rewrites)
    return source, rewrite, len(plain_text(source).split()), len(plain_text(rewrite).split())


def cpu_ms(function, rounds: int = TIMING_ROUNDS) -> tuple[float, float]:
    """The median and the least CPU milliseconds of one call, over `rounds` calls.

    Process time leaves out other processes, but on a busy machine they still slow this one (shared
    caches): the least is the figure of a quiet machine, the median what a busy one gives.
    """
    function()
    times = []
    for _ in range(rounds):
        start = time.process_time()
        function()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(SET_DIR), help="a folder of article files (*.json)")
    parser.add_argument("--verbose", action="store_true", help="print every draft whose outcome is wrong")
    args = parser.parse_args()
    try:
        drafts = load_set(Path(args.folder))
    except SetError as exc:
        print(f"trust_bench: {exc}", file=sys.stderr)
        return 1
    print(f"set: {args.folder}: {len({d.article for d in drafts})} articles, {len(drafts)} drafts "
          f"({sum(d.faithful for d in drafts)} faithful)")

    alone, messages = {}, {}
    for index, draft in enumerate(drafts):
        alone[index], messages[index] = checks_hold(draft)
    table("The checks alone", drafts, alone)

    path, why = {}, {}
    with ModelServer() as model:
        replay = Replay(model)
        for index, draft in enumerate(drafts):
            outcome = replay.run(draft)
            path[index] = outcome.stopped
            why[index] = [outcome.error.message] if outcome.error else [
                ("HOLD " if f.hold else "note ") + f.message for f in outcome.result.findings]
    table("The worker's draft path (rewrite stage with the fake model, sanitizer, guards)", drafts, path)

    if args.verbose:
        print("\nDrafts with the wrong outcome on the worker's path:")
        for index, draft in enumerate(drafts):
            if path[index] == draft.faithful:
                print(f"  {draft.article} / {draft.name}: {'held' if path[index] else 'not held'}")
                for line in why[index]:
                    print(f"      {line}")

    source, rewrite, source_words, rewrite_words = long_article(drafts)
    median, least = cpu_ms(lambda: review(source, rewrite, raw_content=rewrite))
    per_draft = [(sanitize_html(d.source_html), sanitize_html(d.content), d) for d in drafts]
    set_median, _ = cpu_ms(lambda: [review(s, c, source_title=d.source_title, draft_title=d.title,
                                           raw_content=d.content) for s, c, d in per_draft], rounds=5)
    print(f"\nCPU time of the checks for a {source_words}-word source and its {rewrite_words}-word rewrite: "
          f"{median:.1f} ms per draft (median of {TIMING_ROUNDS}; least {least:.1f} ms; aim < 20 ms)")
    print(f"CPU time of the checks per draft of the set: {set_median / len(per_draft):.2f} ms (median)")
    print(f"load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
