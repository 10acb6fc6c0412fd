#!/usr/bin/env python3
"""Run the plugin's PHPUnit suite inside a real WordPress on MariaDB, with a real worker.

The suite runs on three cores under Debian's PHP 8.2: Debian's WordPress 6.1 (site 'phpunit'), then
the newest release and the newest build that the npm package @wp-playground/wordpress-builds carries,
6.5 and the 6.7-alpha nightly (sites 'phpunit-6-5' and 'phpunit-nightly'; stack.wordpress_build() has
npm fetch it once into .run/cache/). For each, it provisions the site afresh (its own database, config
and content directory, the plugin symlinked and activated) with scripts/stack.py, starts the worker
(gunicorn API and job consumer) and the fake feed origin on free 127.0.0.1 ports, then runs Debian's
phpunit as the web server's user against that site. Last, php_wasm.check() compiles every plugin file
and loads the plugin in the nightly site under PHP 8.1 and 8.5 (WebAssembly builds from npm). It exits
non-zero if any of these failed.

    .venv/bin/python tests/plugin/run.py                 # the whole suite, on every core
    .venv/bin/python tests/plugin/run.py --filter Ledger # extra arguments go to phpunit, on every core
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import php_wasm  # noqa: E402  (beside this file)
import stack  # noqa: E402  (scripts/ is not a package)


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sites() -> list[stack.WordPressSite]:
    """The cores the suite runs on: the oldest the plugin supports, the newest release, and the newest build."""
    return [
        stack.WordPressSite("phpunit", free_port()),
        stack.WordPressSite("phpunit-6-5", free_port(), core=stack.wordpress_build("6.5")),
        # 6.7-alpha-58716, trunk after 6.6 branched: newer than the build's "beta" (6.6-RC3).
        stack.WordPressSite("phpunit-nightly", free_port(), core=stack.wordpress_build("nightly")),
        # A network of sites (Debian's core): the multisite group runs here, and only here.
        stack.WordPressSite("phpunit-multisite", free_port(), multisite=True),
    ]


def run_suite(site: stack.WordPressSite, argv: list[str]) -> tuple[str, int]:
    """Provision the site, run phpunit against it; returns WordPress's version and phpunit's status."""
    site.provision(fresh=True)
    version = site.php("site.php", "version").strip()
    what = "the multisite tests on a network" if site.multisite else "the plugin suite"
    print(f"\n== {what} on WordPress {version} ({site.core}) ==", flush=True)
    group = ["--group", "multisite"] if site.multisite else ["--exclude-group", "multisite"]

    worker = stack.Worker(site.state_dir, free_port(), secrets.token_urlsafe(24),
                          # Images that drip in are cut off after 2 s, so that test does not wait 10.
                          {"ATAI_ALLOWED_HOSTS": "127.0.0.1", "ATAI_IMAGE_TIMEOUT": "2"})
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
                                 "phpunit", "-c", str(REPO / "tests/plugin/phpunit.xml"), *group, *argv])
        return version, subprocess.run(cmd, cwd=REPO / "tests/plugin").returncode
    finally:
        feeds.stop()
        worker.stop()


def main(argv: list[str]) -> int:
    host_php = stack.run(["php", "-r", "echo PHP_VERSION;"]).stdout
    results = []  # (what ran, status, seconds)
    for site in sites():
        started = time.monotonic()
        version, status = run_suite(site, argv)
        network = ", a network of sites" if site.multisite else ""
        results.append((f"WordPress {version} ({site.core}){network}, PHP {host_php}", status, time.monotonic() - started))
        if not site.multisite:
            newest = (site, version)
    # The newest core: the one a site owner who upgrades PHP first is likely to run.
    site, version = newest
    for php in php_wasm.VERSIONS:
        print(f"\n== The plugin's files under PHP {php} (php-wasm), in WordPress {version} ==", flush=True)
        started = time.monotonic()
        status = php_wasm.check(site, php)
        results.append((f"PHP {php} (php-wasm): every plugin file compiles and loads in WordPress {version}",
                        status, time.monotonic() - started))
    print()
    for what, status, seconds in results:
        print(f"{what}: " + ("passed" if status == 0 else f"failed (status {status})") + f" in {seconds:.0f} s")
    return next((status for _, status, _ in results if status != 0), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
