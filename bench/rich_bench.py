#!/usr/bin/env python3
"""Benchmark rich posts: small items with terms and authors, without and with a featured image each.

    .venv/bin/python bench/rich_bench.py               # both parts, about 2 minutes on 2 cores
    .venv/bin/python bench/rich_bench.py --part photos # one of them

The shape the other plugins were measured on: 20 feeds of 50 items of about 2.5 KB, each with 1-3
categories and an author, AI off. The feeds' categories are mapped to the site's (a term map of three
lines, the rest taken as tags) and the source's author is the byline, so every post has its terms and its
author mapped. Part "small" has no images; part "photos" gives each item a featured image (media:content),
one of 60 photographs of 100-400 KB, so most are shared between posts and each must become one attachment.
It uses stack_bench.py's harness (a throwaway site, the real worker, the fake origin, a system cron, MariaDB's
statement counter) and prints, beside its figures, what the issue measured for other plugins and the aims:
wall time to the 1,000th post, statements per post, attachments created, image bytes the worker downloaded,
peak PHP memory of any request, and the time the image editor then takes for the sub-sizes (a cron event
after the pass). Nothing here asserts on timing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import stack_bench as sb  # noqa: E402  (beside this file)
from tests.fakes import image_origin  # noqa: E402

PHOTOS = 60
# What the issue measured on the same kind of machine, AI off, 1,000 posts of ~2.5 KB.
COMPETITORS = (
    {"name": "WP RSS Aggregator 5.2", "seconds": 14.1, "queries_per_post": 37.2},
    {"name": "WPeMatico", "seconds": 17.6, "queries_per_post": 42.5},
)
AIMS = {"seconds_with_images": 7.0, "statements_per_post": 30.0, "php_memory_bytes": 64 * 1024 * 1024}
TERM_MAP = ["Harbour => category:Harbour news", "Food => category:Food and drink", "Sport => tag:sport"]

SMALL_PART = sb.PartSpec("small", "AI off: 20 feeds x 50 items of ~2.5 KB, 1-3 categories and an author each, "
                                  "terms mapped, no images",
                         feeds=20, items=50, item_bytes=2500, image=False, model_delay=None, deadline=200.0,
                         idle_passes=False)
PHOTOS_PART = sb.PartSpec("photos", "The same, with a featured image per post (60 photographs of 100-400 KB)",
                          feeds=20, items=50, item_bytes=2500, image=False, model_delay=None, deadline=200.0,
                          idle_passes=False)
PARTS = {part.key: part for part in (SMALL_PART, PHOTOS_PART)}
_PHOTO_PATH = re.compile(r"^/gen/photo/(\d+)\.jpg")


class RichPartRun(sb.PartRun):
    """A stack_bench part whose feeds carry terms, authors and (part photos) featured images."""

    def feed_url(self, number: int) -> str:
        url = super().feed_url(number) + "&terms=1"
        return url + f"&photos={PHOTOS}" if self.spec.key == "photos" else url

    def create_feeds(self) -> None:
        for number in range(1, self.spec.feeds + 1):
            url = self.feed_url(number)
            with sb.urllib.request.urlopen(url, timeout=60) as response:
                response.read()
            feed = sb.stack.rest(self.site, self.app_password, "POST", "atai/v1/feeds", {
                "url": url, "post_status": "publish", "max_posts": self.spec.items, "interval": "hourly",
                "term_map": TERM_MAP, "unmapped_terms": "tag", "byline": True,
                # The feed names each item's image: the article page is not fetched for one.
                "featured_image": "feed"})
            self.feed_ids.append(feed["id"])
        if self.spec.key == "photos":
            for number in range(PHOTOS):  # generated once by the origin, as the feeds are: the pass measures serving
                sb.urllib.request.urlopen(f"{self.origin_url}/gen/photo/{number}.jpg", timeout=60).read()

    def run(self) -> dict:
        result = super().run()
        first = result["first_pass"]
        db = self.site.db_name
        photos = [int(m.group(1)) for entry in self.image_log() if (m := _PHOTO_PATH.match(entry["path"]))]
        result["attachments"] = int(self.console.row(
            f"SELECT COUNT(*) FROM `{db}`.{sb.TABLE_PREFIX}posts WHERE post_type = 'attachment'")[0])
        result["posts_with_thumbnail"] = int(self.console.row(
            f"SELECT COUNT(DISTINCT post_id) FROM `{db}`.{sb.TABLE_PREFIX}postmeta WHERE meta_key = '_thumbnail_id'")[0])
        result["image_requests"] = len(photos)
        result["image_bytes"] = sum(len(image_origin.photo(n)) for n in photos)
        result["peak_php_memory"] = max((k.get("peak_memory", 0) for k in first["site_requests"].values()), default=0)
        result["sizes"] = self.make_sizes() if self.spec.key == "photos" else None
        return result

    def image_log(self) -> list[dict]:
        with sb.urllib.request.urlopen(self.origin_url + "/_log", timeout=10) as response:
            return json.loads(response.read())

    def make_sizes(self) -> dict:
        """Call wp-cron.php until the image editor has made every copied image's sub-sizes; its cost."""
        db, cron = self.site.db_name, sb.SystemCron(self.site.url)
        calls, started = 0, time.time()
        while int(self.console.row(f"SELECT COUNT(*) FROM `{db}`.{sb.TABLE_PREFIX}atai_media WHERE sizes_pending = 1")[0]):
            if calls >= 20:
                raise sb.BenchFailure(f"{self.spec.key}: sub-sizes still pending after {calls} cron requests")
            cron.call()
            calls += 1
        return {"cron_requests": calls, "seconds": round(time.time() - started, 2),
                "php_seconds": round(sum(c.seconds for c in cron.calls), 2)}


def report(result: dict) -> list[str]:
    """The part's figures beside the other plugins' and the aims."""
    spec = PARTS[result["part"]]
    lines = ["", f"== {spec.title} =="]
    first = result.get("first_pass")
    if not first:
        return lines + ["  (no figures: the part stopped early)"]
    posts = max(first["posts"], 1)
    wall = first["seconds_to_last_post"]
    per_post = first["statements"] / posts
    own = sum(k["queries"] for k in first["site_requests"].values())
    theirs = ", ".join(f"{c['name']} {c['seconds']} s" for c in COMPETITORS)
    aim = f"; aim with images <= {AIMS['seconds_with_images']:g} s" if spec.key == "photos" else ""
    lines.append(sb.row("", "ours", "reference"))
    lines.append(sb.row(f"first trigger -> {spec.feeds * spec.items}th post", sb.seconds(wall), theirs + aim))
    lines.append(sb.row("first trigger -> every run closed", sb.seconds(first["seconds_to_all_closed"])))
    lines.append(sb.row("MariaDB statements per post", f"{per_post:.1f}",
                        ", ".join(f"{c['name'].split()[0]} {c['queries_per_post']:g}" for c in COMPETITORS)
                        + f"; aim <= {AIMS['statements_per_post']:g}"))
    lines.append(sb.row("", f"({first['statements']} in all)", f"site's own $wpdb queries: {own / posts:.1f} per post"))
    lines.extend(sb.contamination(first))
    lines.append(sb.row("attachments created", str(result["attachments"]),
                        f"{result['posts_with_thumbnail']} posts with a featured image"))
    lines.append(sb.row("image bytes downloaded (by the worker)", f"{result['image_bytes'] / 1e6:.1f} MB",
                        f"{result['image_requests']} image requests to the origin"))
    lines.append(sb.row("peak PHP memory of a request", sb.mib(result["peak_php_memory"]),
                        f"aim < {sb.mib(AIMS['php_memory_bytes'])}"))
    if result.get("sizes"):
        sizes = result["sizes"]
        lines.append(sb.row("image sub-sizes afterwards (cron event)", sb.seconds(sizes["seconds"]),
                            f"{sizes['cron_requests']} wp-cron.php request(s)"))
    lines.append(sb.row("posts delivered by", sb.delivery(first["site_requests"])))
    lines.append("  CPU seconds during the pass: " + sb.cpu_line(first["cpu_seconds"], first["seconds_to_all_closed"]))
    cpu = first["cpu_seconds"]
    lines.append(sb.row("CPU per post: worker / PHP / MariaDB",
                        f"{1000 * (cpu.get('worker_consumer', 0) + cpu.get('worker_api', 0)) / posts:.1f} / "
                        f"{1000 * cpu.get('wordpress_php', 0) / posts:.1f} / {1000 * cpu.get('mariadb', 0) / posts:.1f} ms"))
    problems = result.get("log_problems") or {}
    lines.append(sb.row("warnings and errors in the logs", str(sum(problems.values())),
                        ", ".join(f"{kind} x{count}" for kind, count in problems.items())))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the parts, print the report, write the JSON; 1 when the stack failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=sorted(PARTS), action="append", help="run only this part (repeatable)")
    args = parser.parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    sb.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    info = sb.machine()
    sb.stack.MariaDB.ensure_running()
    console = sb.SqlConsole()
    results: list[dict] = []
    failed = False
    try:
        failed = sb.run_parts([RichPartRun(PARTS[key], console) for key in args.part or ("small", "photos")],
                              results, stamp)
    finally:
        console.close()
        lines = [f"Rich posts benchmark, {stamp}, {info['cpus']} CPUs ({info['cpu_model']})"]
        for result in results:
            lines += report(result)
        print("\n".join(lines), flush=True)
        output = sb.RESULTS_DIR / f"{stamp}-rich.json"
        output.write_text(json.dumps({"machine": info, "parts": results}, indent=2, default=str) + "\n")
        sb.log(f"figures written to {output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
