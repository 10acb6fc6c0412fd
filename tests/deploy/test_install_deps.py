"""scripts/install-deps.sh on a machine where packages are missing, as root and as a user with sudo.

The script runs for real, in a copy of the repository's layout, with stand-ins first on PATH for the commands
that would change the machine (dpkg-query reports every package missing; apt-get, sudo and python3 record how
they were called). It runs in a mount namespace of its own whose /usr/sbin is an empty directory of the
test's, so the policy-rc.d it writes and removes is at the real path and the machine's own is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
POLICY = "/usr/sbin/policy-rc.d"
BASE_PACKAGES = ["wordpress", "wordpress-theme-twentytwentythree", "php-cli", "php-mysql", "php-xml", "php-curl",
                 "php-gd", "php-mbstring", "php-intl", "php-zip", "mariadb-server", "mariadb-client", "python3",
                 "python3-venv"]
TEST_PACKAGES = ["phpunit", "chromium", "chromium-driver", "docker-compose", "redis-server", "shellcheck", "gettext"]

# Every stand-in hands its name and arguments to `record`, which appends them as a JSON line to $CALLS with
# what the test needs to know about that moment: DEBIAN_FRONTEND and the policy-rc.d in force.
RECORDER = """import json, os, sys
policy = "/usr/sbin/policy-rc.d"
call = {"cmd": os.path.basename(sys.argv[1]), "args": sys.argv[2:], "frontend": os.environ.get("DEBIAN_FRONTEND"),
        "policy": open(policy).read() if os.path.exists(policy) else None}
with open(os.environ["CALLS"], "a") as calls:
    calls.write(json.dumps(call) + "\\n")
"""
STAND_INS = {
    "dpkg-query": 'record "$0" "$@"\necho "unknown ok not-installed"\n',
    "apt-get": 'record "$0" "$@"\n[ "$1" = install ] && [ -n "${FAIL_INSTALL:-}" ] && exit 100\nexit 0\n',
    "sudo": 'record "$0" "$@"\nexec "$@"\n',
    "id": 'if [ "$1" = -u ]; then echo "$FAKE_UID"; else exec /usr/bin/id "$@"; fi\n',
    # python3 -m venv DIR makes a venv whose pip records its calls too.
    "python3": 'record "$0" "$@"\nif [ "$1" = -m ] && [ "$2" = venv ]; then\n'
               '  mkdir -p "$3/bin"\n  printf \'#!/bin/sh\\nrecord pip "$@"\\n\' > "$3/bin/pip"\n'
               '  cp "$3/bin/pip" "$3/bin/python"\n  chmod +x "$3/bin/pip" "$3/bin/python"\nfi\n',
}
# What the script and the stand-ins use besides the stand-ins, for runs with a PATH that has no npm.
TOOLS = ("bash", "cat", "cut", "grep", "sha256sum", "tee", "chmod", "rm", "mkdir", "cp", "env", "dirname")


def privileged(cmd: list[str]) -> list[str]:
    return cmd if os.geteuid() == 0 else ["sudo", *cmd]


@pytest.fixture
def machine(tmp_path):
    """A copy of the repository's layout, stand-ins on PATH, and an empty /usr/sbin to mount."""
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "worker").mkdir()
    shutil.copy(REPO / "scripts/install-deps.sh", checkout / "scripts/install-deps.sh")
    shutil.copy(REPO / "worker/pyproject.toml", checkout / "worker/pyproject.toml")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "record").write_text(f"#!{os.path.realpath(sys.executable)}\n" + RECORDER)
    for name, body in STAND_INS.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
    for stand_in in bin_dir.iterdir():
        stand_in.chmod(0o755)
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:
        (tools / tool).symlink_to(shutil.which(tool))
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    return Machine(checkout, bin_dir, tools, sbin, tmp_path / "calls.jsonl")


class Machine:
    def __init__(self, checkout: Path, bin_dir: Path, tools: Path, sbin: Path, calls: Path):
        self.checkout, self.bin_dir, self.tools, self.sbin, self.calls = checkout, bin_dir, tools, sbin, calls

    def run(self, *args: str, uid: int, fail_install: bool = False, no_npm: bool = False) -> subprocess.CompletedProcess:
        """Run the script in its own mount namespace, where /usr/sbin is the test's empty directory."""
        path = f"{self.bin_dir}:{self.tools}" if no_npm else f"{self.bin_dir}:{os.environ['PATH']}"
        env = {"PATH": path, "CALLS": str(self.calls), "FAKE_UID": str(uid), "HOME": os.environ.get("HOME", "/root")}
        if fail_install:
            env["FAIL_INSTALL"] = "1"
        script = f'/bin/mount --bind {self.sbin} /usr/sbin && exec /bin/bash {self.checkout}/scripts/install-deps.sh "$@"'
        return subprocess.run(privileged(["unshare", "-m", "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()),
                                          "/bin/bash", "-c", script, "install-deps", *args]),
                              capture_output=True, text=True, timeout=120)

    def recorded(self) -> list[dict]:
        if not self.calls.exists():
            return []
        return [json.loads(line) for line in self.calls.read_text().splitlines() if line.strip()]

    def apt_calls(self) -> list[dict]:
        return [c for c in self.recorded() if c["cmd"] == "apt-get"]

    def sudo_calls(self) -> list[list[str]]:
        return [c["args"] for c in self.recorded() if c["cmd"] == "sudo"]


OUR_POLICY = "#!/bin/sh\nexit 101\n"


def expected_install(packages: list[str]) -> list[str]:
    return ["install", "-y", "-q", "--no-install-recommends", *packages]


@pytest.mark.parametrize("uid", [0, 1000], ids=["as root", "as a user with sudo"])
def test_missing_packages_are_installed_with_services_held_back_and_the_policy_removed_after(machine, uid):
    result = machine.run(uid=uid)

    assert result.returncode == 0, result.stdout + result.stderr
    update, install = machine.apt_calls()
    assert update["args"] == ["update", "-q"]
    assert install["args"] == expected_install(BASE_PACKAGES)
    assert install["frontend"] == "noninteractive"
    # While apt-get ran, dpkg was told not to start services; afterwards the script's policy is gone.
    assert update["policy"] == OUR_POLICY and install["policy"] == OUR_POLICY
    assert not (machine.sbin / "policy-rc.d").exists()
    if uid == 0:
        assert machine.sudo_calls() == []
    else:
        assert machine.sudo_calls() == [
            ["tee", POLICY], ["chmod", "+x", POLICY], ["apt-get", "update", "-q"],
            ["env", "DEBIAN_FRONTEND=noninteractive", *(["apt-get"] + expected_install(BASE_PACKAGES))],
            ["rm", "-f", POLICY],
        ]


@pytest.mark.parametrize("uid", [0, 1000], ids=["as root", "as a user with sudo"])
def test_a_policy_that_was_already_there_is_left_exactly_as_it_was(machine, uid):
    theirs = machine.sbin / "policy-rc.d"
    theirs.write_text("#!/bin/sh\n# the machine's own\nexit 0\n")
    theirs.chmod(0o750)

    result = machine.run(uid=uid)

    assert result.returncode == 0, result.stdout + result.stderr
    assert [c["policy"] for c in machine.apt_calls()] == [theirs.read_text()] * 2
    assert theirs.read_text() == "#!/bin/sh\n# the machine's own\nexit 0\n"
    assert stat.S_IMODE(theirs.stat().st_mode) == 0o750
    assert not any(call[0] in ("tee", "rm", "chmod") for call in machine.sudo_calls())


@pytest.mark.parametrize("uid", [0, 1000], ids=["as root", "as a user with sudo"])
def test_when_apt_get_fails_the_script_fails_and_still_removes_its_policy(machine, uid):
    result = machine.run(uid=uid, fail_install=True)

    assert result.returncode == 100
    assert [c["args"][0] for c in machine.apt_calls()] == ["update", "install"]
    assert machine.apt_calls()[1]["policy"] == OUR_POLICY
    assert not (machine.sbin / "policy-rc.d").exists()
    # Nothing after the failed install ran: no venv was made.
    assert not (machine.checkout / ".venv").exists()


def test_when_apt_get_fails_a_policy_that_was_there_stays(machine):
    theirs = machine.sbin / "policy-rc.d"
    theirs.write_text("#!/bin/sh\nexit 0\n")

    result = machine.run(uid=0, fail_install=True)

    assert result.returncode == 100
    assert theirs.read_text() == "#!/bin/sh\nexit 0\n"


def test_the_test_set_adds_the_test_tools_and_npm_when_there_is_none(machine):
    result = machine.run("--test", uid=0, no_npm=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert machine.apt_calls()[1]["args"] == expected_install(BASE_PACKAGES + TEST_PACKAGES + ["npm"])


def test_the_venv_is_built_once_and_again_only_when_the_worker_requirements_change(machine):
    first = machine.run(uid=0)
    assert first.returncode == 0, first.stdout + first.stderr
    venv = machine.checkout / ".venv"
    builds = [c["args"] for c in machine.recorded() if c["cmd"] == "python3"]
    pips = [c["args"] for c in machine.recorded() if c["cmd"] == "pip"]
    assert builds == [["-m", "venv", str(venv)]]
    assert pips == [["install", "-q", "--upgrade", "pip"], ["install", "-q", "-e", f"{machine.checkout}/worker[test]"]]
    assert (venv / ".installed").read_text().strip() == \
        subprocess.run(["sha256sum"], input=(machine.checkout / "worker/pyproject.toml").read_bytes(),
                       capture_output=True).stdout.decode().split()[0]

    machine.calls.unlink()
    again = machine.run(uid=0)
    assert again.returncode == 0
    assert not [c for c in machine.recorded() if c["cmd"] in ("python3", "pip")]

    with open(machine.checkout / "worker/pyproject.toml", "a") as pyproject:
        pyproject.write("\n# changed\n")
    changed = machine.run(uid=0)
    assert changed.returncode == 0
    assert [c["args"] for c in machine.recorded() if c["cmd"] == "python3"] == [["-m", "venv", str(venv)]]


def test_nothing_is_installed_when_every_package_is_there(machine):
    (machine.bin_dir / "dpkg-query").write_text("#!/bin/sh\necho 'install ok installed'\n")
    result = machine.run("--test", uid=1000)

    assert result.returncode == 0, result.stdout + result.stderr
    assert machine.apt_calls() == []
    assert machine.sudo_calls() == []
    assert not (machine.sbin / "policy-rc.d").exists()
