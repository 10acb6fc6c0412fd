#!/usr/bin/env python3
"""The local stack: MariaDB, WordPress sites on Debian's package, the worker and the sample feed.

`make up` / `make down` drive it for the demo site; the plugin and end-to-end test runners and the
benchmarks use the same classes for their own sites, each with its own database, content
directory and ports, so they never touch the demo site. A site can also run on a newer WordPress
core than Debian's, taken from the npm registry by wordpress_build().
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STATE = REPO / ".run"
# Databases, configs and content directories live outside the checkout, so their names carry the checkout's
# own mark: two clones on one machine each get their own sites, and never load each other's plugin.
CHECKOUT_ID = hashlib.sha256(str(REPO).encode()).hexdigest()[:8]
VENV_BIN = REPO / ".venv" / "bin"
DEBIAN_WP_CORE = Path("/usr/share/wordpress")
WP_CONFIG_DIR = Path("/etc/wordpress")
WP_DATA = Path("/var/lib/atai-wordpress")
THEME = "twentytwentythree"
PLUGIN_SLUG = "automationtools-ai"
WEB_USER = "www-data"

# Newer cores come from the npm package @wp-playground/wordpress-builds, pinned by version and integrity.
# It holds each core's PHP as src/wordpress/wp-<branch>.zip; the static CSS/JS it keeps elsewhere are not
# needed for PHP, REST and cron, so they are left out.
WORDPRESS_BUILDS = "@wp-playground/wordpress-builds"
WORDPRESS_BUILDS_VERSION = "0.9.19"
WORDPRESS_BUILDS_INTEGRITY = (
    "sha512-dlqvh/MJDpE5W68vgPPKUjpip6zMuBh59L3D18ZX+pdwurC4q4ydrTww/3sTMV69BBcoH6kF93YtAtujNC5Mpw=="
)


def privileged(cmd: list[str]) -> list[str]:
    """Prefix a command with sudo unless we are root already."""
    return cmd if os.geteuid() == 0 else ["sudo", *cmd]


def as_web_user(cmd: list[str]) -> list[str]:
    """Run a command as the web server's user, so files it writes stay the server's."""
    return ["runuser", "-u", WEB_USER, "--", *cmd] if os.geteuid() == 0 else ["sudo", "-u", WEB_USER, *cmd]


def check_web_user_can_read(path: Path) -> None:
    """Stop with the fix in words when the web server's user cannot read the checkout (a private home directory)."""
    if subprocess.run(as_web_user(["test", "-r", str(path)]), capture_output=True).returncode == 0:
        return
    blocking = next((parent for parent in reversed(path.parents)
                     if subprocess.run(as_web_user(["test", "-x", str(parent)]), capture_output=True).returncode != 0),
                    path.parent)
    raise SystemExit(
        f"stack: the web server's user ({WEB_USER}) cannot read this checkout: {blocking} is private to its owner.\n"
        f"WordPress runs as {WEB_USER} and loads the plugin from {REPO / 'wp-plugin'}. Either let {WEB_USER} pass "
        f"through that directory without listing it:\n    sudo setfacl -m u:{WEB_USER}:x {blocking}\n"
        f"or clone the repository where others can read it (for example under /srv or /opt).")


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("check", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("capture_output", True)
    try:
        return subprocess.run(cmd, **kwargs)
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"stack: `{' '.join(cmd)}` failed:\n{error.stdout}{error.stderr}") from error


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    """Wait until the URL answers at all (any HTTP status)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError as error:
            if time.monotonic() > deadline:
                raise SystemExit(f"stack: {url} did not answer within {timeout:.0f} s ({error})") from error
            time.sleep(0.2)


def npm_integrity(path: Path) -> str:
    """A file's digest in the npm registry's `integrity` form (sha512-<base64>)."""
    digest = hashlib.sha512()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def npm_tarball(package: str, version: str, integrity: str) -> Path:
    """A package's tarball, fetched once by `npm pack` into .run/cache/ and checked against its pinned integrity."""
    cache = STATE / "cache"
    tarball = cache / f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"  # the name npm pack gives it
    if tarball.exists() and npm_integrity(tarball) == integrity:
        return tarball
    if shutil.which("npm") is None:
        raise SystemExit(f"stack: fetching {package}@{version} needs npm (Node.js), which is not installed")
    cache.mkdir(parents=True, exist_ok=True)
    # A throw-away npm cache: npm's own would keep a second copy of the tarball.
    with tempfile.TemporaryDirectory() as npm_cache:
        run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(cache), "--cache", npm_cache,
             "--loglevel=error"])
    if npm_integrity(tarball) != integrity:
        tarball.unlink()
        raise SystemExit(f"stack: {package}@{version} does not match its pinned integrity {integrity}")
    return tarball


def wordpress_build(branch: str) -> Path:
    """The WordPress core of a branch ("6.5") from the pinned @wp-playground/wordpress-builds, under .run/cores/."""
    core = STATE / "cores" / f"wordpress-builds-{WORDPRESS_BUILDS_VERSION}-wp-{branch}"
    if core.is_dir():
        return core
    tarball = npm_tarball(WORDPRESS_BUILDS, WORDPRESS_BUILDS_VERSION, WORDPRESS_BUILDS_INTEGRITY)
    with tarfile.open(tarball, "r:gz") as package:
        try:
            archive = zipfile.ZipFile(io.BytesIO(package.extractfile(f"package/src/wordpress/wp-{branch}.zip").read()))
        except KeyError as error:
            raise SystemExit(f"stack: {tarball.name} has no WordPress {branch}") from error
    partial = core.with_name(core.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for entry in archive.infolist():
        # Each site has its own content directory and wp-config.php: the build's are Playground's, on SQLite.
        if entry.filename.startswith("wp-content/") or entry.filename == "wp-config.php":
            continue
        archive.extract(entry, partial)
    # The web server's user reads the tree whatever the umask was.
    for path in [partial, *partial.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    partial.rename(core)
    return core


# What wp-config.php says of a network once it is installed (scripts/wp/site.php install-network).
NETWORK_CONSTANTS = {"MULTISITE": True, "SUBDOMAIN_INSTALL": False, "DOMAIN_CURRENT_SITE": "127.0.0.1",
                     "PATH_CURRENT_SITE": "/", "SITE_ID_CURRENT_SITE": 1, "BLOG_ID_CURRENT_SITE": 1}


class MariaDB:
    """The system's MariaDB server, reached as root over its unix socket."""

    @staticmethod
    def ensure_running() -> None:
        if subprocess.run(privileged(["mysqladmin", "ping"]), capture_output=True).returncode == 0:
            return
        run(privileged(["service", "mariadb", "start"]))
        deadline = time.monotonic() + 30
        while subprocess.run(privileged(["mysqladmin", "ping"]), capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise SystemExit("stack: MariaDB did not start within 30 s")
            time.sleep(0.3)

    @staticmethod
    def sql(statement: str) -> str:
        return run(privileged(["mysql", "--batch", "--skip-column-names", "-e", statement])).stdout

    @classmethod
    def create_database(cls, name: str, user: str, password: str, *, fresh: bool = False) -> None:
        drop = f"DROP DATABASE IF EXISTS `{name}`;" if fresh else ""
        cls.sql(
            f"{drop} CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            f" CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY '{password}';"
            f" ALTER USER '{user}'@'localhost' IDENTIFIED BY '{password}';"
            f" GRANT ALL ON `{name}`.* TO '{user}'@'localhost';"
        )

    @classmethod
    def questions(cls) -> int:
        """MariaDB's own count of statements received from clients, server-wide."""
        return int(cls.sql("SHOW GLOBAL STATUS LIKE 'Questions'").split()[1])


class Process:
    """A background process with a pid file and a log under a state directory."""

    def __init__(self, name: str, state_dir: Path):
        self.name = name
        self.pid_file = state_dir / f"{name}.pid"
        self.log_file = state_dir / f"{name}.log"

    def start(self, cmd: list[str], *, env: dict | None = None, cwd: Path | None = None) -> None:
        if self.running():
            return
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))

    def pid(self) -> int | None:
        """The pid from the pid file, if that process is still one of ours (pids get reused)."""
        try:
            pid = int(self.pid_file.read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        # Every command we start names a path inside the repository.
        return pid if str(REPO).encode() in command else None

    def running(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # A zombie (exited, not reaped by us) is not running.
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        """Signal the whole process group, wait for it, then forget the pid."""
        pid = self.pid()
        if pid is not None and self.running():
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.running():
                os.killpg(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, os.WNOHANG)  # reap it if we started it, so no zombie is left
            except ChildProcessError:
                pass
        self.pid_file.unlink(missing_ok=True)


@dataclass
class WordPressSite:
    """One WordPress site: its own database, config file, content directory and port.

    On Debian's core (the default) the config is /etc/wordpress/config-<config_name>.php, which Debian's
    wp-config.php loads; any other core (see wordpress_build()) serves one site, whose wp-config.php it holds.
    """

    name: str
    port: int
    title: str = "AutomationTools.AI demo"
    admin_user: str = "admin"
    admin_email: str = "admin@example.org"
    debug: bool = True
    core: Path = DEBIAN_WP_CORE
    # A network of sites in subdirectories of 127.0.0.1, the plugin network-activated. It is driven from PHP
    # only (the plugin suite): WordPress networks do not run on a port other than 80 or 443.
    multisite: bool = False
    state_dir: Path = field(init=False)

    def __post_init__(self):
        self.state_dir = STATE / self.name

    # Names of this site's parts. Debian's wp-config.php loads /etc/wordpress/config-<WORDPRESS_CONFIG>.php.
    @property
    def slug(self) -> str:
        """The site's machine-wide name: its own name and this checkout's mark."""
        return f"{self.name}-{CHECKOUT_ID}"

    @property
    def config_name(self) -> str:
        return f"atai-{self.slug}"

    @property
    def config_file(self) -> Path:
        if self.core == DEBIAN_WP_CORE:
            return WP_CONFIG_DIR / f"config-{self.config_name}.php"
        return self.core / "wp-config.php"

    @property
    def db_name(self) -> str:
        return "atai_" + self.slug.replace("-", "_")

    @property
    def data_dir(self) -> Path:
        """Everything of the site's outside the checkout but its config: content, and the owner mark."""
        return WP_DATA / self.slug

    @property
    def content_dir(self) -> Path:
        return self.data_dir / "wp-content"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def debug_log(self) -> Path:
        return self.content_dir / "debug.log"

    def _secret(self, name: str) -> str:
        """A random value kept in the state directory, so a second `up` reuses it."""
        path = self.state_dir / name
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def db_password(self) -> str:
        return self._secret("db-password")

    @property
    def admin_password(self) -> str:
        return self._secret("admin-password")

    def env(self) -> dict:
        return {"WORDPRESS_CONFIG": self.config_name, "ATAI_WP_CORE": str(self.core),
                "ATAI_WP_CONTENT_DIR": str(self.content_dir)}

    def provision(self, *, fresh: bool = False, constants: dict | None = None) -> None:
        """Create the database, config and content directory, install WordPress, activate the plugin."""
        check_web_user_can_read(REPO / "wp-plugin" / f"{PLUGIN_SLUG}.php")
        MariaDB.ensure_running()
        MariaDB.create_database(self.db_name, self.db_name, self.db_password, fresh=fresh)
        if fresh:
            run(privileged(["rm", "-rf", str(self.content_dir)]))
        constants = constants or {}
        self._write_config({**constants, "WP_ALLOW_MULTISITE": True} if self.multisite else constants)
        self._make_content_dir()
        self.php("site.php", "install", self.url, self.title, self.admin_user, self.admin_password, self.admin_email)
        if self.multisite:
            self.php("site.php", "install-network", self.title, self.admin_email)
            self._write_config({**constants, **NETWORK_CONSTANTS})
            self.php("site.php", "activate", "--network")
        else:
            self.php("site.php", "activate")

    def destroy(self) -> None:
        """Remove everything provision() made: database, database user, config, content and state."""
        self.stop()
        MariaDB.ensure_running()
        MariaDB.sql(f"DROP DATABASE IF EXISTS `{self.db_name}`; DROP USER IF EXISTS '{self.db_name}'@'localhost';")
        run(privileged(["rm", "-rf", str(self.config_file), str(self.data_dir)]))
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def exists(self) -> bool:
        """True when the site's config or content directory is there (provision makes both with the database)."""
        return self.config_file.exists() or self.data_dir.exists()

    def _write_config(self, constants: dict) -> None:
        # A network's sites each have their own address: none is forced on them all.
        addresses = {} if self.multisite else {"WP_HOME": self.url, "WP_SITEURL": self.url}
        values = {
            "DB_NAME": self.db_name,
            "DB_USER": self.db_name,
            "DB_PASSWORD": self.db_password,
            "DB_HOST": "localhost",
            **addresses,
            "WP_CONTENT_DIR": str(self.content_dir),
            # Application passwords need HTTPS unless the site says it is a local one.
            "WP_ENVIRONMENT_TYPE": "local",
            # There is no internet here: without this every update check waits for a time-out.
            "WP_HTTP_BLOCK_EXTERNAL": True,
            "AUTOMATIC_UPDATER_DISABLED": True,
            "WP_DEBUG": self.debug,
            "WP_DEBUG_LOG": str(self.debug_log),
            "WP_DEBUG_DISPLAY": False,
            **constants,
        }
        for salt in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                     "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"):
            values[salt] = self._secret("salt-" + salt.lower())
        lines = ["<?php", f"// Written by scripts/stack.py for the '{self.name}' site; rewritten by every provision."]
        lines += [f"define( {json.dumps(key)}, {_php_value(value)} );" for key, value in values.items()]
        lines.append("$table_prefix = 'wp_';")
        if self.core != DEBIAN_WP_CORE:
            # What Debian's wp-config.php does after loading its config file.
            lines += ["if ( ! defined( 'ABSPATH' ) ) {", "\tdefine( 'ABSPATH', __DIR__ . '/' );", "}",
                      "require_once ABSPATH . 'wp-settings.php';"]
        tmp = self.state_dir / "wp-config.php"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text("\n".join(lines) + "\n")
        run(privileged(["install", "-m", "0640", "-o", "root", "-g", WEB_USER, str(tmp), str(self.config_file)]))
        tmp.unlink()

    def _make_content_dir(self) -> None:
        plugins, themes = self.content_dir / "plugins", self.content_dir / "themes"
        run(privileged(["mkdir", "-p", str(plugins), str(themes), str(self.content_dir / "uploads")]))
        for link, target in ((plugins / PLUGIN_SLUG, REPO / "wp-plugin"),
                             (themes / THEME, DEBIAN_WP_CORE / "wp-content/themes" / THEME)):
            if not link.is_symlink():
                run(privileged(["ln", "-s", str(target), str(link)]))
        run(privileged(["chown", "-R", f"{WEB_USER}:{WEB_USER}", str(self.data_dir)]))

    def php(self, script: str, *args: str) -> str:
        """Run one of scripts/wp/*.php against this site as the web server's user."""
        cmd = as_web_user(["env", *(f"{k}={v}" for k, v in self.env().items()), "php", str(REPO / "scripts/wp" / script), *args])
        return run(cmd).stdout

    def app_password(self, name: str = "AutomationTools.AI stack") -> str:
        return json.loads(self.php("site.php", "app-password", self.admin_user, name))["password"]

    @property
    def server(self) -> Process:
        return Process("wordpress", self.state_dir)

    def serve(self, *, workers: int = 4) -> None:
        """Serve the site with PHP's built-in server (several workers: WP-Cron's loopback request needs one free)."""
        env = {**self.env(), "PHP_CLI_SERVER_WORKERS": str(workers)}
        cmd = as_web_user(["env", *(f"{k}={v}" for k, v in env.items()),
                           "php", "-d", "opcache.enable_cli=1", "-S", f"127.0.0.1:{self.port}",
                           "-t", str(self.core), str(REPO / "scripts/wp/router.php")])
        self.server.start(cmd)
        wait_for_http(self.url + "/wp-login.php")

    def stop(self) -> None:
        self.server.stop()


class Worker:
    """The worker: its API under gunicorn and its job consumer, sharing one data directory."""

    def __init__(self, state_dir: Path, port: int, secret: str, env: dict | None = None):
        self.port = port
        self.secret = secret
        self.data_dir = state_dir / "worker-data"
        self.extra_env = env or {}
        self.api = Process("worker-api", state_dir)
        self.consumer = Process("worker-consumer", state_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        return {
            "ATAI_WORKER_SECRET": self.secret,
            "ATAI_WORKER_BIND": f"127.0.0.1:{self.port}",
            "ATAI_DATA_DIR": str(self.data_dir),
            **self.extra_env,
        }

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.api.start([str(VENV_BIN / "gunicorn"), "-c", str(REPO / "worker/gunicorn.conf.py"), "atai_worker:create_app()"],
                       env=self.env(), cwd=REPO / "worker")
        self.consumer.start([str(VENV_BIN / "atai-worker"), "consume"], env=self.env(), cwd=REPO / "worker")
        wait_for_http(self.url + "/healthz")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.api.stop(sig)
        self.consumer.stop(sig)


class SampleFeed:
    """The demo feed (demo/ in the repo) served on loopback, with its links pointing at its own port."""

    def __init__(self, state_dir: Path, port: int):
        self.port = port
        self.root = state_dir / "sample"
        self.server = Process("sample-feed", state_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def feed_url(self) -> str:
        return self.url + "/feed.xml"

    def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.copytree(REPO / "demo", self.root)
        for page in [self.root / "feed.xml", *self.root.glob("articles/*.html")]:
            page.write_text(page.read_text().replace("{{base}}", self.url))
        self.server.start([sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
                           "--directory", str(self.root)])
        wait_for_http(self.feed_url)

    def stop(self) -> None:
        self.server.stop()


def _php_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def rest(site: WordPressSite, app_password: str, method: str, path: str, body: dict | None = None,
         accept: tuple[int, ...] = ()):
    """Call the site's REST API as its administrator, with an application password.

    An error status listed in `accept` returns its JSON body instead of stopping.
    """
    token = base64.b64encode(f"{site.admin_user}:{app_password}".encode()).decode()
    request = urllib.request.Request(
        site.url + "/wp-json/" + path.lstrip("/"), method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Basic " + token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        if error.code in accept:
            return json.loads(error.read() or b"null")
        raise SystemExit(f"stack: {method} {path} answered {error.code}: {error.read().decode(errors='replace')}") from error


def setting(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value else default


def demo_parts() -> tuple[WordPressSite, Worker, SampleFeed]:
    """The demo stack's parts, configured from the environment (defaults in README.md)."""
    site = WordPressSite(setting("ATAI_SITE", "dev"), int(setting("ATAI_WP_PORT", "8080")))
    secret = setting("ATAI_WORKER_SECRET", "") or site._secret("worker-secret")
    passed = {name: os.environ[name] for name in (
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "ATAI_MODEL", "ATAI_REDIS_URL", "ATAI_AI_MAX_IN_FLIGHT",
        "ATAI_AI_TIMEOUT", "ATAI_AI_ALLOWED_BASE_URLS", "ATAI_AI_MAX_INPUT_TOKENS", "ATAI_AI_MAX_OUTPUT_TOKENS",
        "ATAI_FETCH_TIMEOUT", "ATAI_FETCH_MAX_BYTES", "ATAI_STAGE_BUDGET", "ATAI_CONSUMER_WORKERS", "ATAI_LOG_LEVEL",
        "ATAI_LEASE_SECONDS", "ATAI_ITEM_RETRY_SECONDS",
    ) if os.environ.get(name)}
    passed["ATAI_ALLOWED_HOSTS"] = setting("ATAI_ALLOWED_HOSTS", "127.0.0.1")
    worker = Worker(site.state_dir, int(setting("ATAI_WORKER_PORT", "8090")), secret, passed)
    sample = SampleFeed(site.state_dir, int(setting("ATAI_SAMPLE_PORT", "8091")))
    return site, worker, sample


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def check_ports(parts: list[tuple[str, int, Process]]) -> None:
    """Stop with the fix in words when a port we need is taken by something that is not ours."""
    taken = [(variable, port) for variable, port, process in parts if port_in_use(port) and not process.running()]
    if not taken:
        return
    names = ", ".join(f"{port} ({variable})" for variable, port in taken)
    suggestion = " ".join(f"{variable}={port + 100}" for variable, port, _ in parts)
    raise SystemExit(
        f"stack: port {names} is already in use by another program, perhaps another checkout's `make up`.\n"
        f"Stop that one (`make down` in its checkout), or give this checkout other ports:\n"
        f"    {suggestion} make up")


# Which checkouts' demo sites are up, so that `make down` in one stops MariaDB only when it started it and
# no other checkout's site still needs it.
UP_MARKERS = WP_DATA / "up"
MARIADB_STARTED = WP_DATA / "mariadb-started"


def mark_up(site: WordPressSite) -> None:
    run(privileged(["mkdir", "-p", str(UP_MARKERS)]))
    run(privileged(["tee", str(UP_MARKERS / site.slug)]), input=str(site.server.pid_file))


def others_up(site: WordPressSite) -> list[str]:
    """Slugs of other demo sites whose server is still running."""
    alive = []
    for marker in UP_MARKERS.glob("*") if UP_MARKERS.is_dir() else ():
        if marker.name == site.slug:
            continue
        try:
            os.kill(int(Path(marker.read_text().strip()).read_text()), 0)
        except (OSError, ValueError):
            continue  # that checkout's site is down, or the checkout is gone
        alive.append(marker.name)
    return alive


def up() -> None:
    """Provision and start the demo site, import the sample feed once and print where to log in."""
    site, worker, sample = demo_parts()
    check_ports([("ATAI_WP_PORT", site.port, site.server), ("ATAI_WORKER_PORT", worker.port, worker.api),
                 ("ATAI_SAMPLE_PORT", sample.port, sample.server)])
    started_mariadb = subprocess.run(privileged(["mysqladmin", "ping"]), capture_output=True).returncode != 0
    site.provision(constants={"ATAI_WORKER_URL": worker.url, "ATAI_WORKER_SECRET": worker.secret})
    if started_mariadb:
        run(privileged(["touch", str(MARIADB_STARTED)]))
    sample.start()
    worker.start()
    site.serve()
    mark_up(site)
    app_password = site.app_password("make up")

    feeds = rest(site, app_password, "GET", "atai/v1/feeds")
    feed = next((f for f in feeds if f["url"] == sample.feed_url), None)
    if feed is None:
        feed = rest(site, app_password, "POST", "atai/v1/feeds",
                    {"url": sample.feed_url, "post_status": "publish", "max_posts": 10})
    if not feed.get("current_run"):
        rest(site, app_password, "POST", f"atai/v1/feeds/{feed['id']}/run", accept=(409,))
    feed = wait_for_run(site, app_password, feed["id"], timeout=float(setting("ATAI_UP_TIMEOUT", "300")))
    items = rest(site, app_password, "GET", f"atai/v1/feeds/{feed['id']}/items")
    status = rest(site, app_password, "GET", "atai/v1/worker/status")

    print()
    print("AutomationTools.AI is up.")
    print(f"  Site:                 {site.url}/")
    print(f"  wp-admin:             {site.url}/wp-admin/")
    print(f"  User:                 {site.admin_user}")
    print(f"  Password:             {site.admin_password}")
    print(f"  Application password: {app_password}  (REST API: {site.url}/wp-json/atai/v1/)")
    print(f"  Worker:               {worker.url}  (data in {worker.data_dir})")
    print(f"  Sample feed:          {sample.feed_url}")
    print(f"  Sample posts:         {feed['posts_made']} imported; {describe_rewrite(status)}")
    if feed.get("last_error"):
        print(f"  Last error:           {feed['last_error']['message']}")
    for item in items:
        if item.get("error"):
            print(f"    {item.get('title') or item.get('link')}: {item['error']['message']}")
    print("Stop everything with `make down`.")


def describe_rewrite(status: dict) -> str:
    ai = status.get("worker", {}).get("ai", {})
    if ai.get("configured"):
        return f"rewritten by {ai.get('model')} at {ai.get('base_url') or 'api.openai.com'}"
    return "AI off (set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server): cleaned originals with their source link"


def wait_for_run(site: WordPressSite, app_password: str, feed_id: int, timeout: float) -> dict:
    """Drive WP-Cron until the feed's run is collected (the worker's callback usually gets there first)."""
    deadline = time.monotonic() + timeout
    while True:
        feed = rest(site, app_password, "GET", f"atai/v1/feeds/{feed_id}")
        if not feed.get("current_run") and feed.get("last_run"):
            return feed
        if time.monotonic() > deadline:
            print(f"stack: the sample import is still running after {timeout:.0f} s; posts will appear as it finishes.")
            return feed
        try:
            urllib.request.urlopen(site.url + "/wp-cron.php?doing_wp_cron", timeout=30).close()
        except OSError:
            pass
        time.sleep(1)


def stop_demo(site: WordPressSite, worker: Worker, sample: SampleFeed) -> None:
    """Stop the demo's processes, and MariaDB if `up` started it and no other checkout's site needs it."""
    site.stop()
    worker.stop()
    sample.stop()
    run(privileged(["rm", "-f", str(UP_MARKERS / site.slug)]))
    if MARIADB_STARTED.exists() and not others_up(site):
        run(privileged(["service", "mariadb", "stop"]))
        run(privileged(["rm", "-f", str(MARIADB_STARTED)]))


def down() -> None:
    """Stop what `up` started; say what stays and how to remove it."""
    site, worker, sample = demo_parts()
    stop_demo(site, worker, sample)
    print("AutomationTools.AI is down.")
    if site.exists():
        print(f"Kept, so that the next `make up` finds the site as it was: its database {site.db_name}, its config "
              f"{site.config_file}, its content directory {site.data_dir} (uploads) and {site.state_dir} "
              f"(passwords, worker data). `make clean` removes them.")


def clean() -> None:
    """Stop the demo site and remove it: database, database user, config, content and state of this checkout only."""
    site, worker, sample = demo_parts()
    mariadb_was_running = subprocess.run(privileged(["mysqladmin", "ping"]), capture_output=True).returncode == 0
    worker.stop()
    sample.stop()
    site.destroy()  # stops the site's server first; starts MariaDB to drop the database
    stop_demo(site, worker, sample)
    if not mariadb_was_running and not others_up(site):
        run(privileged(["service", "mariadb", "stop"]))
    print(f"Removed the '{site.name}' site of this checkout: database and user {site.db_name}, {site.config_file}, "
          f"{site.data_dir} and {site.state_dir}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="provision and start the demo site, import the sample feed")
    sub.add_parser("down", help="stop the demo site")
    sub.add_parser("clean", help="stop the demo site and remove its database, config, content and state")
    site = sub.add_parser("site", help="provision a WordPress site (no server)")
    site.add_argument("name")
    site.add_argument("--port", type=int, default=8080)
    site.add_argument("--fresh", action="store_true", help="drop its database and content first")
    args = parser.parse_args(argv)
    if args.command == "up":
        up()
    elif args.command == "down":
        down()
    elif args.command == "clean":
        clean()
    elif args.command == "site":
        wp = WordPressSite(args.name, args.port)
        wp.provision(fresh=args.fresh)
        print(json.dumps({"url": wp.url, "config": wp.config_name, "db": wp.db_name, "user": wp.admin_user,
                          "password": wp.admin_password}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
