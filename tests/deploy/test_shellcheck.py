"""Every shell script in the repository passes shellcheck (Debian's package, installed by `make test`)."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHELL_SHEBANGS = (b"#!/bin/sh", b"#!/bin/bash", b"#!/usr/bin/env bash", b"#!/usr/bin/env sh")


def shell_scripts() -> list[Path]:
    """Tracked files that are shell scripts, by name or by their first line."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    scripts = []
    for name in tracked.decode().split("\0"):
        path = REPO / name
        if not name or not path.is_file() or path.is_symlink():
            continue
        with open(path, "rb") as file:
            first_line = file.readline()
        if name.endswith(".sh") or first_line.startswith(SHELL_SHEBANGS):
            scripts.append(path)
    return scripts


def test_the_repository_has_the_shell_scripts_we_know_of():
    names = {str(p.relative_to(REPO)) for p in shell_scripts()}
    assert {"scripts/install-deps.sh", ".ci/run"} <= names


def test_every_shell_script_passes_shellcheck():
    result = subprocess.run(["shellcheck", "--severity=style", *map(str, shell_scripts())], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
