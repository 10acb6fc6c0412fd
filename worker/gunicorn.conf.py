"""gunicorn settings for the worker API: `gunicorn -c worker/gunicorn.conf.py`.

Binds to loopback unless ATAI_WORKER_BIND says otherwise: the API must never face a public interface
by default. Requests are short (the work happens in the consumer); a stuck one is cut off after 30 s,
set here explicitly like every other timeout of the worker.
"""

import os
import sys

from atai_worker.memory import limit_malloc_arenas
from atai_worker.settings import Settings, SettingsError

limit_malloc_arenas()  # in the master, so every worker forked from it has the cap too

wsgi_app = "atai_worker:create_app()"
bind = os.environ.get("ATAI_WORKER_BIND", "127.0.0.1:8090")
# One process with four threads, by measurement (bench/fleet_bench.py --part memory; 2 cores, 20 feeds of
# 50 articles of 125 KB): about 75 MB idle and 100 MB at peak, against about 120 and 195 MB for two
# processes, and no slower: the API only stores requests and serves stored JSON. More processes only pay
# on more cores (WEB_CONCURRENCY, one per two cores); they then share the preloaded application's memory.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 1)
threads = 4
preload_app = workers > 1
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("ATAI_LOG_LEVEL", "info").lower()
# Recent gunicorn opens a control socket at one fixed path per user; two workers on one machine (or a
# test run beside a demo) would fight over it, and nothing here uses it.
control_socket_disable = True


def on_starting(server):
    """Refuse to start, with the reason, when the settings are incomplete."""
    try:
        Settings.from_env()
    except SettingsError as exc:
        print(f"atai-worker API: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
