#!/usr/bin/env python3
"""Run the plugin's PHPUnit suite inside a real WordPress on MariaDB, with a real worker.

The suite runs twice: on Debian's WordPress 6.1 (site 'phpunit') and on WordPress 6.5 from the
npm package @wp-playground/wordpress-builds (site 'phpunit-6-5'; stack.wordpress_build() has npm
fetch it once into .run/cache/). For each, it provisions the site afresh (its own database, config and
content directory, the plugin symlinked and activated) with scripts/stack.py, starts the worker
(gunicorn API and job consumer) and the fake feed origin on free 127.0.0.1 ports, then runs
Debian's phpunit as the web server's user against that site. It exits non-zero if either run failed.

    .venv/bin/python tests/plugin/run.py                 # the whole suite, on both cores
    .venv/bin/python tests/plugin/run.py --filter Ledger # extra arguments go to phpunit, on both cores
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import stack  # noqa: E402  (scripts/ is not a package)


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sites() -> list[stack.WordPressSite]:
    """The sites the suite runs on: the oldest core the plugin supports and a newer one."""
    return [
        stack.WordPressSite("phpunit", free_port()),
        stack.WordPressSite("phpunit-6-5", free_port(), core=stack.wordpress_build("6.5")),
    ]


def run_suite(site: stack.WordPressSite, argv: list[str]) -> tuple[str, int]:
    """Provision the site, run phpunit against it; returns WordPress's version and phpunit's status."""
    site.provision(fresh=True)
    version = site.php("site.php", "version").strip()
    print(f"\n== The plugin suite on WordPress {version} ({site.core}) ==", flush=True)

    worker = stack.Worker(site.state_dir, free_port(), secrets.token_urlsafe(24),
                          {"ATAI_ALLOWED_HOSTS": "127.0.0.1"})
    feeds = stack.Process("feed-origin", site.state_dir)
    feeds_port = free_port()
    shutil.rmtree(worker.data_dir, ignore_errors=True)
    try:
        worker.start()
        feeds.start([sys.executable, str(REPO / "tests/fakes/feed_server.py"), "--port", str(feeds_port)])
        stack.wait_for_http(f"http://127.0.0.1:{feeds_port}/status/200")
        env = {
            **site.env(),
            "ATAI_TEST_WORKER_URL": worker.url,
            "ATAI_TEST_WORKER_SECRET": worker.secret,
            "ATAI_TEST_FEED_ORIGIN": f"http://127.0.0.1:{feeds_port}",
        }
        cmd = stack.as_web_user(["env", *(f"{key}={value}" for key, value in env.items()),
                                 "phpunit", "-c", str(REPO / "tests/plugin/phpunit.xml"), *argv])
        return version, subprocess.run(cmd, cwd=REPO / "tests/plugin").returncode
    finally:
        feeds.stop()
        worker.stop()


def main(argv: list[str]) -> int:
    results = [(site.core, *run_suite(site, argv)) for site in sites()]
    print()
    for core, version, status in results:
        print(f"WordPress {version} ({core}): " + ("passed" if status == 0 else f"failed (phpunit status {status})"))
    return next((status for _, _, status in results if status != 0), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
