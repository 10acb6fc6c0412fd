"""Two checkouts on one machine each get their own demo site from `make up`, with the default site name.

Each checkout is a copy of this working tree with a marker file in its plugin that the other lacks, so the
site shows which checkout's plugin it loads. The copies share this checkout's .venv (the worker's code is the
same); everything `make up` makes outside the checkout must be their own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import stack  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_checkout(target: Path, marker: str) -> Path:
    """This working tree's files (tracked and new, not ignored) under target, plus a marker in the plugin."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, copy = REPO / name, target / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            copy.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, copy)
    (target / ".venv").symlink_to(REPO / ".venv")
    (target / "wp-plugin/checkout-marker.txt").write_text(marker)
    target.chmod(0o755)
    return target


class Checkout:
    def __init__(self, root: Path, marker: str):
        self.root = copy_checkout(root, marker)
        self.marker = marker
        self.ports = {"ATAI_WP_PORT": free_port(), "ATAI_WORKER_PORT": free_port(), "ATAI_SAMPLE_PORT": free_port()}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ATAI_"))}
        self.env.update({k: str(v) for k, v in self.ports.items()})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['ATAI_WP_PORT']}"

    def make(self, target: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(["make", target], cwd=self.root, env={**self.env, **env}, capture_output=True,
                              text=True, timeout=900)

    def up(self) -> str:
        """`make up`; returns the password it printed."""
        result = self.make("up")
        assert result.returncode == 0, result.stdout + result.stderr
        return re.search(r"^  Password: +(\S+)$", result.stdout, re.M).group(1)

    def site_parts(self) -> tuple[str, Path, Path]:
        """The demo site's database, config file and data directory, as this checkout's stack.py names them."""
        code = ("import json, stack; s = stack.WordPressSite('dev', 0); "
                "print(json.dumps([s.db_name, str(s.config_file), str(s.data_dir)]))")
        out = subprocess.run([sys.executable, "-c", code], cwd=self.root / "scripts", capture_output=True, text=True,
                             check=True).stdout
        db_name, config, data = json.loads(out)
        return db_name, Path(config), Path(data)


def logs_in(url: str, password: str) -> bool:
    """True when wp-login.php accepts admin with this password."""
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/wp-login.php")
        answer = client.post("/wp-login.php", data={"log": "admin", "pwd": password, "wp-submit": "Log In",
                                                     "redirect_to": url + "/wp-admin/", "testcookie": "1"})
        return answer.status_code == 302 and any(name.startswith("wordpress_logged_in") for name in client.cookies)


def plugin_marker(url: str) -> str:
    return httpx.get(url + "/wp-content/plugins/automationtools-ai/checkout-marker.txt", timeout=30).text


def database_exists(name: str) -> bool:
    return bool(stack.MariaDB.sql(f"SHOW DATABASES LIKE '{name}'").strip())


@pytest.fixture
def checkouts():
    # Somewhere the web server's user can read (pytest's own temporary directories are private to root).
    (REPO / ".run").mkdir(exist_ok=True)
    place = Path(tempfile.mkdtemp(prefix="checkouts-", dir=REPO / ".run"))
    place.chmod(0o755)
    first, second = Checkout(place / "first", "first checkout"), Checkout(place / "second", "second checkout")
    yield first, second
    for checkout in (first, second):
        checkout.make("clean")
    shutil.rmtree(place)


def test_each_checkout_gets_its_own_site_and_make_down_or_clean_in_one_leaves_the_other(checkouts):
    first, second = checkouts

    first_password = first.up()
    second_password = second.up()

    assert plugin_marker(first.url) == "first checkout"
    assert plugin_marker(second.url) == "second checkout"
    assert logs_in(first.url, first_password)
    assert logs_in(second.url, second_password)
    assert not logs_in(second.url, first_password)
    first_db, first_config, first_data = first.site_parts()
    second_db, second_config, second_data = second.site_parts()
    assert first_db != second_db and first_config != second_config and first_data != second_data

    down = first.make("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "make clean" in down.stdout
    assert logs_in(second.url, second_password)
    assert plugin_marker(second.url) == "second checkout"

    # The checkout's state is lost (a fresh clone in the same place) while its database stays: the new
    # password that `make up` prints is the one that logs in.
    shutil.rmtree(first.root / ".run")
    new_password = first.up()
    assert new_password != first_password
    assert logs_in(first.url, new_password)

    clean = first.make("clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert not database_exists(first_db) and not first_config.exists() and not first_data.exists()
    assert not (first.root / ".run" / "dev").exists()
    assert database_exists(second_db) and second_config.exists() and second_data.exists()
    assert logs_in(second.url, second_password)


def test_make_up_on_a_port_another_checkout_uses_says_so_and_how_to_fix_it(checkouts):
    first, second = checkouts
    first.up()

    clash = second.make("up", ATAI_WP_PORT=str(first.ports["ATAI_WP_PORT"]))

    assert clash.returncode != 0
    message = clash.stdout + clash.stderr
    assert f"port {first.ports['ATAI_WP_PORT']} (ATAI_WP_PORT) is already in use" in message
    assert "make up" in message and "ATAI_WP_PORT=" in message
    assert plugin_marker(first.url) == "first checkout"


def test_make_up_in_a_checkout_the_web_server_cannot_read_says_which_directory_and_how_to_fix_it(tmp_path):
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    checkout = Checkout(private / "atai", "private checkout")

    result = checkout.make("up")

    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "cannot read this checkout" in message
    assert re.search(r"setfacl -m u:www-data:x /\S+", message)
