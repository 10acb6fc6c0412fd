"""Duplicate detection (issue #12): quality on a set of feeds, and the cost of the decision.

    .venv/bin/python bench/dedupe_quality.py [SET_DIR] [--past 100000] [--skip-speed]

SET_DIR (default tests/fixtures/dedupe/set) holds feeds and the right answer in the format of
bench/README.md. Every feed snapshot goes through the worker's real stages in this process (parse,
select the entries not seen before, full text, sanitize, identity; AI off), and every draft through the
plugin's real import (Runs\\import_drafts) in a throwaway WordPress site, round by round. It prints the
posts made against the right answer, pair recall, false merges and look-alike pairs merged; then the
decision's cost per item with --past past posts in the index, and the worker's CPU for the fingerprints
of a 1,500-word article. Figures, never assertions: the exit status is 1 only when something breaks.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import socket
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import stack  # noqa: E402  (scripts/ is not a package)

from atai_worker import identity, parse  # noqa: E402
from atai_worker.fetch import Fetcher  # noqa: E402
from atai_worker.pipeline import Pipeline  # noqa: E402
from atai_worker.rewrite import Rewriter  # noqa: E402
from atai_worker.sanitize import plain_text  # noqa: E402

DEFAULT_SET = REPO / "tests/fixtures/dedupe/set"
SITE_NAME = "dedupe-bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_set(folder: Path) -> tuple[list[str], list[list[tuple[str, dict]]], dict, list[list[str]]]:
    """The feeds, the drafts round by round (the worker's stages), the story of each draft, and look-alikes."""
    answers = json.loads((folder / "answers.json").read_text())
    feeds = sorted(p.name for p in (folder / "feeds").iterdir() if p.is_dir())
    snapshots = {name: sorted((folder / "feeds" / name).iterdir(), key=lambda p: int(p.stem)) for name in feeds}
    rounds_count = max(len(s) for s in snapshots.values())
    pipeline = Pipeline(Fetcher(timeout=5), Rewriter(timeout=5))
    seen: dict[str, set[str]] = defaultdict(set)
    rounds, story_of, unanswered = [], {}, []
    for number in range(rounds_count):
        drafts = []
        for feed_id, name in enumerate(feeds, start=1):
            if number >= len(snapshots[name]):
                continue
            parsed = parse.parse_feed(snapshots[name][number].read_bytes(), feed_id=feed_id,
                                      feed_url=f"https://{name}.example/feed.xml")
            for entry in parsed.entries:
                if entry.key in seen[name]:
                    continue  # the ledger already has it: the worker is never asked again
                seen[name].add(entry.key)
                draft = pipeline.draft_for(entry, None).to_dict()
                story = answer_for(answers["items"], name, entry)
                if story is None:
                    unanswered.append(f"{name}: {entry.title}")
                    continue
                story_of[draft["key"]] = story
                drafts.append((name, draft))
        rounds.append(drafts)
    if unanswered:
        print("items without an answer (left out):", *unanswered, sep="\n  ")
    return feeds, rounds, story_of, answers.get("lookalikes", [])


def answer_for(answers: list[dict], feed: str, entry) -> str | None:
    for answer in answers:
        if answer["feed"] != feed:
            continue
        if "guid" in answer and answer["guid"] == entry.guid:
            return answer["story"]
        if "guid" not in answer and "link" in answer and answer["link"] == entry.link:
            return answer["story"]
        if "guid" not in answer and "link" not in answer and answer.get("title") == entry.title:
            return answer["story"]
    return None


def score(outcomes: dict, story_of: dict, lookalikes: list[list[str]]) -> dict:
    """Posts against the right answer, pair recall, false merges, look-alike pairs merged."""
    post_of, post_story = {}, {}
    for key, outcome in outcomes.items():
        if "post" in outcome:
            post_of[key] = outcome["post"]
            post_story.setdefault(outcome["post"], story_of[key])
    for key, outcome in outcomes.items():
        if "skipped" in outcome:
            post_of[key] = outcome["skipped"]
    stories = set(story_of[k] for k in outcomes)
    by_story = defaultdict(list)
    for key in outcomes:
        by_story[story_of[key]].append(key)
    pairs = caught = 0
    for keys in by_story.values():
        for a, b in itertools.combinations(keys, 2):
            pairs += 1
            caught += post_of.get(a) is not None and post_of.get(a) == post_of.get(b)
    false_merges = [(key, story_of[key], post_story.get(o["skipped"])) for key, o in outcomes.items()
                    if "skipped" in o and post_story.get(o["skipped"]) != story_of[key]]
    merged_lookalikes = sum(1 for a, b in lookalikes
                            if {post_of.get(k) for k in by_story.get(a, [])} & {post_of.get(k) for k in by_story.get(b, [])})
    layers = defaultdict(int)
    for o in outcomes.values():
        if "skipped" in o:
            layers[o["layer"]] += 1
    return {"items": len(outcomes), "stories (right answer)": len(stories),
            "posts made": sum(1 for o in outcomes.values() if "post" in o),
            "repeated stories": sum(1 for keys in by_story.values() if len(keys) > 1),
            "pair recall": f"{caught}/{pairs}" + (f" ({caught / pairs:.1%})" if pairs else ""),
            "false merges": len(false_merges), "look-alike pairs": len(lookalikes),
            "look-alike pairs merged": merged_lookalikes, "skips by layer": dict(layers),
            "errors": sum(1 for o in outcomes.values() if "error" in o),
            "_false_merges": false_merges}


def worker_cpu() -> dict:
    """CPU per 1,500-word article for the identity layers (text extraction included), mean of 200."""
    sys.path.insert(0, str(REPO / "tests/fixtures/dedupe"))
    from stories import LOCAL, WIRE

    paragraphs = [p for _, ps in (*WIRE.values(), *LOCAL.values()) for p in ps]
    rng = random.Random(12)
    articles = []
    for _ in range(20):
        chosen, words = [], 0
        while words < 1500:
            paragraph = rng.choice(paragraphs)
            chosen.append(f"<p>{paragraph}</p>")
            words += len(paragraph.split())
        articles.append("".join(chosen))
    start = time.process_time()
    for n in range(200):
        identity.identity_of(plain_text(articles[n % 20]), "https://example.org/news/a?utm_source=x", "link")
    return {"article words": 1500, "ms per article": round((time.process_time() - start) / 200 * 1000, 3)}


def speed_drafts(count: int) -> list[dict]:
    """Drafts with real identities of made-up 600-word texts (new stories: the common case)."""
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(20000)]
    drafts = []
    for n in range(count):
        text = " ".join(rng.choice(vocabulary) for _ in range(600))
        story = identity.identity_of(text, f"https://speed.example/news/{n}", "link").to_dict()
        drafts.append({"key": f"{n:064x}", "guid": f"speed-{n}", "source_url": f"https://speed.example/news/{n}",
                       "source_title": f"Speed {n}", "title": f"Speed {n}", "content": f"<p>{text}</p>",
                       "excerpt": "x", "tags": [], "categories": [], "image": None, "published": None,
                       "author": None, "rewritten": False, "model": None, "usage": None, "findings": [],
                       "identity": story})
    return drafts


def run_php(site: stack.WordPressSite, command: str, payload: dict, workdir: Path) -> dict:
    path = workdir / f"{command}.json"
    path.write_text(json.dumps(payload))
    path.chmod(0o644)
    cmd = stack.as_web_user(["env", *(f"{k}={v}" for k, v in site.env().items()), "php",
                             str(REPO / "bench/dedupe_site.php"), command, str(path)])
    return json.loads(stack.run(cmd).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--past", type=int, default=100_000, help="past posts in the index for the speed part")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()

    feeds, rounds, story_of, lookalikes = load_set(args.set)
    print(f"set: {args.set} ({len(feeds)} feeds, {len(rounds)} rounds)")
    print("worker: fingerprints of a 1,500-word article:", json.dumps(worker_cpu()))

    site = stack.WordPressSite(SITE_NAME, free_port(), title="Dedupe benchmark", debug=False)
    stack.MariaDB.ensure_running()
    workdir = Path(tempfile.mkdtemp(prefix="atai-dedupe-"))
    workdir.chmod(0o755)
    status = 0
    try:
        site.provision(fresh=True)
        outcomes = run_php(site, "import", {"feeds": feeds, "rounds": [[{"feed": f, "draft": d} for f, d in r]
                                                                        for r in rounds]}, workdir)
        figures = score(outcomes, story_of, lookalikes)
        for merge in figures.pop("_false_merges"):
            print("  false merge:", merge)
        print("quality:", json.dumps(figures, indent=1))
        if not args.skip_speed:
            site.provision(fresh=True)
            speed = run_php(site, "speed", {"past": args.past, "drafts": speed_drafts(200)}, workdir)
            print(f"WordPress: the decision with {args.past} past posts in the index:", json.dumps(speed, indent=1))
    except Exception as exc:  # the site's or a script's failure: say what, keep the exit status
        print(f"dedupe bench: failed: {exc}", file=sys.stderr)
        status = 1
    finally:
        site.destroy()
    return status


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
