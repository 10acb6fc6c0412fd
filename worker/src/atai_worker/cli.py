"""The atai-worker command: `atai-worker consume` runs the job consumer; `atai-worker sites ...` manages the
sites (tenants) that may use the worker."""

from __future__ import annotations

import argparse
import logging
import sys

from .settings import Settings, SettingsError, configure_logging

log = logging.getLogger(__name__)


def consume(settings: Settings) -> int:
    """Run the Huey consumer with thread workers, the item pool, the lease keeper and the reaper."""
    from .callback import Callbacks
    from .fleet import open_fleet
    from .jobs import Jobs, Reaper
    from .memory import limit_malloc_arenas
    from .store import open_store
    from .tenants import SiteRegistry
    from .timers import Timers

    limit_malloc_arenas()  # before the threads start
    store = open_store(settings)
    fleet = open_fleet(settings)
    jobs = Jobs(settings)
    timers = Timers()
    callbacks = Callbacks(settings.worker_secret, timers)
    # The reaper first: it takes back the runs of a consumer that died here and tells their sites about
    # the drafts they hold, while the runner's imports (the openai SDK, trafilatura: seconds) load.
    reaper = Reaper(jobs, store, callbacks=callbacks, sites=SiteRegistry(fleet, settings.worker_secret))
    reaper.start()
    from .runner import Runner

    jobs.runner = Runner(settings, store, timers=timers, callbacks=callbacks, fleet=fleet)
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


def sites(settings: Settings, args: argparse.Namespace) -> int:
    """Add, list, change, rotate or remove sites in the registry the queue's backend keeps."""
    from .fleet import open_fleet
    from .tenants import SiteError, SiteRegistry

    registry = SiteRegistry(open_fleet(settings), settings.worker_secret)
    try:
        if args.action == "list":
            print_sites(registry.list())
            return 0
        if args.action == "remove":
            registry.remove(args.site_id)
            print(f"Site {args.site_id} removed: its secrets no longer work.")
            return 0
        if args.action == "set":
            changes = {name: getattr(args, name) for name in ("callback_url_pattern", "weight", "max_in_flight",
                                                              "rate_per_minute") if getattr(args, name) is not None}
            for name in ("max_in_flight", "rate_per_minute"):
                if changes.get(name) == 0:
                    changes[name] = None  # 0 removes the limit
            print_sites([registry.update(args.site_id, **changes)])
            return 0
        if args.action == "add":
            site, token = registry.add(args.site_id, callback_url_pattern=args.callback_url_pattern,
                                       weight=args.weight or 1.0, max_in_flight=args.max_in_flight or None,
                                       rate_per_minute=args.rate_per_minute or None)
            print(f"Site {site.id} added. Its token (shown only now; the worker keeps only a hash of it):")
        else:
            site, token = registry.rotate(args.site_id, args.grace * 3600)
            print(f"Site {site.id} has a new secret; the old one stays valid for {args.grace:g} hours. Its token:")
        print(f"\n    {token}\n")
        print("Enter it as the Worker secret in the site's AutomationTools.AI settings (or as ATAI_WORKER_SECRET in "
              "its wp-config.php).")
        return 0
    except SiteError as exc:
        print(f"atai-worker: {exc}", file=sys.stderr)
        return 1


def print_sites(registered) -> None:
    """One line per site: id, callback pattern, share and limits, secrets."""
    import time

    if not registered:
        print("No sites registered (ATAI_WORKER_SECRET opens the default site).")
        return
    now = time.time()
    for site in registered:
        grace = [s.expires_at for s in site.secrets if s.expires_at is not None and s.valid(now)]
        secrets = "1 secret" + (f", and {len(grace)} old one(s) valid until "
                                + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(max(grace))) if grace else "")
        print(f"{site.id}  callbacks to {site.callback_url_pattern}  weight {site.weight:g}  "
              f"in flight {site.max_in_flight or 'unlimited'}  per minute {site.rate_per_minute or 'unlimited'}  "
              f"{secrets}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the atai-worker command."""
    parser = argparse.ArgumentParser(prog="atai-worker", description="AutomationTools.AI worker.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("consume", help="run the job consumer (the API runs under gunicorn)")
    sites_parser = commands.add_parser("sites", help="manage the sites that may use this worker")
    actions = sites_parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="list the sites")
    for action, help_text in (("add", "register a site and print its token"),
                              ("set", "change a site's callback URL pattern or limits"),
                              ("rotate", "give a site a new secret; the old one stays valid for a grace period"),
                              ("remove", "forget a site; its secrets stop working at once")):
        action_parser = actions.add_parser(action, help=help_text)
        action_parser.add_argument("site_id", help="lowercase letters, digits and hyphens")
        if action in ("add", "set"):
            action_parser.add_argument("--callback-url-pattern", required=action == "add",
                                       help="where callbacks may go: https://blog.example.org/, "
                                            "https://*.example.org/ or http://127.0.0.1:*/")
            action_parser.add_argument("--weight", type=float, help="share of the worker against other sites "
                                                                    "(default 1; 2 gets twice the turns)")
            action_parser.add_argument("--max-in-flight", type=int,
                                       help="model calls of this site in flight at once, fleet-wide (0: no limit)")
            action_parser.add_argument("--rate-per-minute", type=int,
                                       help="model calls of this site started per minute, fleet-wide (0: no limit)")
        if action == "rotate":
            action_parser.add_argument("--grace", type=float, default=24.0,
                                       help="hours the old secret stays valid (default 24)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"atai-worker: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.command == "consume":
        return consume(settings)
    if args.command == "sites":
        return sites(settings, args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
