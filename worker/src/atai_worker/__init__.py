"""AutomationTools.AI worker: turns feeds into Drafts for the WordPress plugin."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, str] | None = None) -> "Flask":
    """The API application: settings from the environment (or a test mapping), store and queue built once."""
    # Imported here so that importing one stage module (atai_worker.parse, ...) does not load the web stack,
    # nor does the consumer, which starts faster without it (a dead consumer's runs wait on that start).
    from flask import Flask

    from . import api
    from .fleet import open_fleet
    from .image_store import open_image_store
    from .jobs import Jobs
    from .settings import Settings, configure_logging
    from .store import open_store
    from .tenants import SiteRegistry

    settings = Settings.from_env(os.environ if config is None else config)
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=api.MAX_BODY_BYTES)
    app.json.sort_keys = False
    # Drafts are megabytes of mostly non-ASCII text: UTF-8 as it is, not \u escapes (smaller and faster).
    app.json.ensure_ascii = False
    fleet = open_fleet(settings)
    images = open_image_store(settings)

    @functools.cache
    def stages():
        """The fetcher and pipeline of discovery and preview, with the fleet's model slots."""
        from .fetch import Fetcher
        from .images import ImageFetcher
        from .limits import SharedLimits
        from .owners import consumer_id
        from .pipeline import Pipeline
        from .rewrite import Rewriter

        fetcher = Fetcher(allowed_hosts=settings.allowed_hosts, timeout=settings.fetch_timeout,
                          max_bytes=settings.fetch_max_bytes)
        # A preview's drafts name their images as a run's do: checked, and kept for the plugin.
        checked_images = ImageFetcher(images, allowed_hosts=settings.allowed_hosts, timeout=settings.image_timeout)
        return Pipeline(fetcher, Rewriter(timeout=settings.ai_timeout, limits=SharedLimits(fleet, consumer_id())),
                        checked_images)

    app.extensions["atai"] = api.Services(settings=settings, store=open_store(settings), jobs=Jobs(settings),
                                          fleet=fleet, sites=SiteRegistry(fleet, settings.worker_secret),
                                          stages=stages, images=images)
    app.register_blueprint(api.blueprint)
    api.register_error_handlers(app)
    return app
