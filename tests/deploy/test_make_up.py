"""The README's promise: `make up` on this machine gives a working site with the sample posts, twice, and
`make down` stops it. Run on its own ports and site name so a developer's own `make up` is left alone."""

import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import stack  # noqa: E402

SAMPLE_TITLES = ["The seed library opens at the tool shed", "Volunteer day: forty new raised beds"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def demo_env():
    ports = {"ATAI_WP_PORT": free_port(), "ATAI_WORKER_PORT": free_port(), "ATAI_SAMPLE_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ATAI_"))}
    env.update({k: str(v) for k, v in ports.items()}, ATAI_SITE="makeup-check")
    yield env, ports
    subprocess.run(["make", "down"], cwd=REPO, env=env, capture_output=True)
    stack.WordPressSite("makeup-check", ports["ATAI_WP_PORT"]).destroy()


def make(target, env):
    return subprocess.run(["make", target], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def test_make_up_twice_then_down(demo_env):
    env, ports = demo_env
    site_url = f"http://127.0.0.1:{ports['ATAI_WP_PORT']}"

    first = make("up", env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Site:                 {site_url}/" in first.stdout
    assert f"wp-admin:             {site_url}/wp-admin/" in first.stdout
    assert re.search(r"Application password: \S{4} \S{4} \S{4} \S{4} \S{4} \S{4}", first.stdout)
    assert "Sample posts:         5 imported; AI off" in first.stdout

    front_page = urllib.request.urlopen(site_url + "/", timeout=30).read().decode()
    for title in SAMPLE_TITLES:
        assert title in front_page
    # Each sample post with its picture, copied into the site's media library (never linked to the sample server).
    pictures = re.findall(r'<img [^>]*class="[^"]*wp-post-image[^"]*"[^>]*>', front_page)
    assert len(pictures) == 5, pictures
    assert all(f'src="{site_url}/wp-content/uploads/' in picture for picture in pictures), pictures

    second = make("up", env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Sample posts:         5 imported" in second.stdout

    down = make("down", env)
    assert down.returncode == 0, down.stdout + down.stderr
    for port in ports.values():
        assert not port_open(port)
