"""Check the parse and extract stages against a corpus of real feeds and article pages.

    python bench/corpus_check.py <corpus-dir>

The corpus directory holds feeds/, articles/ (<id>.html with <id>.json ground truth) and
MANIFEST.tsv. Feeds: every file is parsed; the table shows the format detected, the entry count
and the first title, and flags counts that differ from the "(N items" the manifest states.
Articles: extract_article runs on every page and is scored with the article-extraction
benchmark's own metric (multisets of 4-token \\w+ shingles, per-page TP/FP/FN normalized, P and R
averaged over pages, F1 of the averages). It prints every page's scores and CPU time, the worst ten
pages, and the overall figures in the ranking of the published extractors on the same pages.

Exits non-zero on a crash or when a feed the manifest does not mark "NOT well-formed" fails to parse.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from atai_worker.errors import ParseError
from atai_worker.extract import extract_article
from atai_worker.parse import parse_feed
from atai_worker.sanitize import plain_text

_ITEM_COUNT = re.compile(r"\((\d+) items")
_TOKEN = re.compile(r"\w+")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="corpus directory (feeds/, articles/, MANIFEST.tsv)")
    args = parser.parse_args()
    manifest = _read_manifest(args.corpus / "MANIFEST.tsv")
    failures = check_feeds(args.corpus / "feeds", manifest)
    check_articles(args.corpus / "articles")
    if failures:
        print(f"\nFAILED: {len(failures)} well-formed feed(s) did not parse: {', '.join(failures)}")
        return 1
    return 0


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["local_path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def check_feeds(feeds_dir: Path, manifest: dict[str, dict[str, str]]) -> list[str]:
    """Parse every feed, print a table and a summary; return the well-formed feeds that failed."""
    files = sorted(p for p in feeds_dir.iterdir() if p.is_file())
    print(f"{'file':52} {'format':8} {'entries':>7}  {'first title':40}  result")
    parsed_count = with_entries = 0
    failures: list[str] = []
    mismatches: list[str] = []
    started = time.perf_counter()
    for path in files:
        row = manifest.get(f"feeds/{path.name}", {})
        note = row.get("note", "")
        well_formed = "NOT well-formed" not in note
        try:
            feed = parse_feed(path.read_bytes(), feed_id=1, feed_url=f"https://corpus.invalid/feeds/{path.name}")
        except ParseError as exc:
            result = f"error {exc.code}: {exc.message}" + ("" if well_formed else " (expected: not well-formed)")
            print(f"{path.name[:52]:52} {'-':8} {'-':>7}  {'':40}  {result}")
            if well_formed:
                failures.append(path.name)
            continue
        parsed_count += 1
        with_entries += bool(feed.entries)
        title = feed.entries[0].title if feed.entries else ""
        result = "ok"
        expected = _ITEM_COUNT.search(note)
        if expected and int(expected.group(1)) != len(feed.entries):
            result = f"ok, but the manifest says {expected.group(1)} items [{row.get('tags', '')}]"
            mismatches.append(path.name)
        print(f"{path.name[:52]:52} {feed.format:8} {len(feed.entries):>7}  {title[:40]:40}  {result}")
    elapsed = time.perf_counter() - started
    print(f"\nfeeds: {parsed_count} of {len(files)} parsed, {with_entries} with entries, "
          f"{len(mismatches)} entry counts differ from the manifest, {elapsed:.1f} s")
    return failures


def check_articles(articles_dir: Path) -> None:
    """Extract every page; print per-page scores, the worst ten, CPU time and P/R/F1 beside the published figures."""
    pages = sorted(articles_dir.glob("*.html"))
    if not pages:
        print("\narticles: none found")
        return
    rows = []  # (f1, precision, recall, cpu ms, id, url)
    empty = 0
    started = time.perf_counter()
    print(f"\n{'page':12} {'F1':>6} {'P':>6} {'R':>6} {'ms':>5}  url")
    for page in pages:
        truth = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        url = truth.get("url") or ""
        cpu = time.process_time()
        extracted = extract_article(page.read_bytes(), url)
        cpu_ms = (time.process_time() - cpu) * 1000
        empty += extracted is None
        precision, recall = _page_scores(truth.get("articleBody") or "", plain_text(extracted or ""))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((f1, precision, recall, cpu_ms, page.stem[:12], url))
        print(f"{page.stem[:12]:12} {f1:6.3f} {precision:6.3f} {recall:6.3f} {cpu_ms:5.0f}  {url[:90]}")
    elapsed = time.perf_counter() - started
    precision = sum(row[1] for row in rows) / len(rows)
    recall = sum(row[2] for row in rows) / len(rows)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cpu_times = sorted(row[3] for row in rows)
    print("\nworst ten:")
    for row in sorted(rows)[:10]:
        print(f"  {row[4]:12} F1 {row[0]:.3f}  P {row[1]:.3f}  R {row[2]:.3f}  {row[5][:90]}")
    print(f"\narticles: {len(pages)} pages, {empty} with nothing extracted, {elapsed:.1f} s; CPU per page "
          f"{sum(cpu_times) / len(cpu_times):.0f} ms mean, {cpu_times[len(cpu_times) // 2]:.0f} ms median, "
          f"{cpu_times[-1]:.0f} ms max")
    print(f"  extract_article   precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    published = _published_scores(articles_dir / "PUBLISHED_SCORES.md")
    if published:
        print(f"\n  {'extractor':22} {'F1 here':>8}   {'F1':>5} {'P':>5} {'R':>5} (all 181 pages, as published)")
        ours = {"name": "extract_article (ours)", "public_f1": f"{f1:.3f}", "f1": "", "p": "", "r": ""}
        for row in sorted(published + [ours], key=lambda r: float(r["public_f1"]), reverse=True)[:12]:
            print(f"  {row['name'][:22]:22} {row['public_f1']:>8}   {row['f1']:>5} {row['p']:>5} {row['r']:>5}")


def _shingles(text: str) -> Counter:
    tokens = _TOKEN.findall(text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


def _page_scores(truth: str, predicted: str) -> tuple[float, float]:
    """Precision and recall of one page, as the benchmark computes them."""
    expected, got = _shingles(truth), _shingles(predicted)
    tp = sum((expected & got).values())
    fp = sum(got.values()) - tp
    fn = sum(expected.values()) - tp
    total = tp + fp + fn
    if total == 0:
        return 1.0, 1.0
    tp, fp, fn = tp / total, fp / total, fn / total  # every page weighs the same
    if fp == 0 and fn == 0:
        return 1.0, 1.0
    if tp == 0:
        return 0.0, 0.0
    return tp / (tp + fp), tp / (tp + fn)


def _published_scores(path: Path) -> list[dict[str, str]]:
    """The table of published scores restricted to these pages (PUBLISHED_SCORES.md), one dict per extractor."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and re.fullmatch(r"\d\.\d+", cells[5]):
            rows.append(dict(zip(("name", "version", "f1", "p", "r", "public_f1"), cells)))
    return rows


if __name__ == "__main__":
    sys.exit(main())
