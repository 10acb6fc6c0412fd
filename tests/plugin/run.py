#!/usr/bin/env python3
"""Run the plugin's PHPUnit suite inside a real WordPress on MariaDB, with a real worker.

Provisions the 'phpunit' site afresh (its own database, config and content directory, the plugin
symlinked and activated) with scripts/stack.py, starts the worker (gunicorn API and job consumer)
and the fake feed origin on free 127.0.0.1 ports, then runs Debian's phpunit as the web server's
user with WORDPRESS_CONFIG pointing at that site, and exits with phpunit's status.

    .venv/bin/python tests/plugin/run.py                 # the whole suite
    .venv/bin/python tests/plugin/run.py --filter Ledger # extra arguments go to phpunit
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

SITE_NAME = "phpunit"
SITE_PORT = 8180


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str]) -> int:
    site = stack.WordPressSite(SITE_NAME, SITE_PORT)
    site.provision(fresh=True)

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
        return subprocess.run(cmd, cwd=REPO / "tests/plugin").returncode
    finally:
        feeds.stop()
        worker.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
