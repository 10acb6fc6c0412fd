"""gunicorn settings for the worker API: `gunicorn -c worker/gunicorn.conf.py`.

Binds to loopback unless ATAI_WORKER_BIND says otherwise: the API must never face a public interface
by default. Requests are short (the work happens in the consumer); a stuck one is cut off after 30 s,
set here explicitly like every other timeout of the worker.
"""

import os
import sys

from atai_worker.settings import Settings, SettingsError

wsgi_app = "atai_worker:create_app()"
bind = os.environ.get("ATAI_WORKER_BIND", "127.0.0.1:8090")
worker_class = "gthread"
workers = 2
threads = 4
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
