"""The atai-worker command: `atai-worker consume` runs the job consumer."""

from __future__ import annotations

import argparse
import logging
import sys

from .settings import Settings, SettingsError, configure_logging

log = logging.getLogger(__name__)


def consume(settings: Settings) -> int:
    """Run the Huey consumer with thread workers, the item pool, the lease keeper and the reaper."""
    from .callback import Callbacks
    from .jobs import Jobs, Reaper
    from .store import open_store
    from .timers import Timers

    store = open_store(settings)
    jobs = Jobs(settings)
    timers = Timers()
    callbacks = Callbacks(settings.worker_secret, timers)
    # The reaper first: it takes back the runs of a consumer that died here and tells their sites about
    # the drafts they hold, while the runner's imports (the openai SDK, trafilatura: seconds) load.
    reaper = Reaper(jobs, store, callbacks=callbacks)
    reaper.start()
    from .runner import Runner

    jobs.runner = Runner(settings, store, timers=timers, callbacks=callbacks)
    # max_delay: an idle SQLite queue is polled five times a second, so a new run starts at once; the
    # polls cost about half a second of CPU a minute (Redis wakes the consumer itself).
    consumer = jobs.huey.create_consumer(workers=settings.consumer_workers, worker_type="thread", periodic=False,
                                         max_delay=0.2)
    log.info("consumer started backend=%s workers=%d owner=%s lease_seconds=%g", jobs.backend,
             settings.consumer_workers, jobs.runner.owner, settings.lease_seconds)
    try:
        consumer.run()
    finally:
        reaper.stop()
        jobs.runner.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the atai-worker command."""
    parser = argparse.ArgumentParser(prog="atai-worker", description="AutomationTools.AI worker.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("consume", help="run the job consumer (the API runs under gunicorn)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"atai-worker: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.command == "consume":
        return consume(settings)
    return 2


if __name__ == "__main__":
    sys.exit(main())
