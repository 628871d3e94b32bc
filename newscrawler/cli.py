"""python -m newscrawler: replica, demo, query, replay and export commands.

Store commands read the project settings (MONGO_URI, NEWSCRAWLER_DB, ...),
overridable as with scrapy: -s NAME=VALUE.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timezone

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from newscrawler.exporters.from_store import FORMATS
from newscrawler.replica.site import ReplicaConfig
from newscrawler.storage import Query, open_store


def project_settings(overrides: Sequence[str]) -> Settings:
    settings = get_project_settings()
    settings.setmodule("newscrawler.settings", priority="project")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep:
            raise SystemExit(f"-s {override!r}: expected NAME=VALUE")
        settings.set(name, value, priority="cmdline")
    return settings


def utc_date(text: str) -> datetime:
    """``--since``/``--until``: an ISO date or datetime; without a zone, UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date such as 2021-07-08 or 2021-07-08T10:00") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def store_query(args: argparse.Namespace) -> Query:
    return Query(since=args.since, until=args.until, channel=args.channel, tag=args.tag, limit=args.limit)


def _replica(args: argparse.Namespace) -> int:
    from newscrawler.replica.server import ReplicaServer

    server = ReplicaServer(args.port, ReplicaConfig(args.channels, args.pages, args.per_page, args.seed))
    print(f"Replica serving on {server.url} (use it as http_proxy=...); Ctrl-C stops it", flush=True)
    for line in server.site.describe():
        print(line, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from newscrawler.demo import run_demo

    return run_demo(args.data_dir, args.port)


def _query(args: argparse.Namespace) -> int:
    from newscrawler.exporters.from_store import query_lines, write_query

    store = open_store(project_settings(args.set))
    try:
        if args.out:
            print(write_query(store, store_query(args), args.out))
        else:
            sys.stdout.writelines(query_lines(store, store_query(args)))
    finally:
        store.close()
    return 0


def _replay(args: argparse.Namespace) -> int:
    from newscrawler.storage.deadletter import replay

    settings = project_settings(args.set)
    store = open_store(settings)
    try:
        result, problems = replay(store, settings.get("DEADLETTER_DIR"), settings.getint("MONGO_BATCH_SIZE"))
    finally:
        store.close()
    print(f"replayed into {store.description}: {result.new} new, {result.updated} updated, {result.unchanged} unchanged")
    for problem in problems:
        print(f"not done: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _export(args: argparse.Namespace) -> int:
    from newscrawler.exporters.from_store import export_store

    print(export_store(args.format, project_settings(args.set), store_query(args), args.out))
    return 0


def add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=utc_date, help="published at or after (ISO 8601, UTC unless a zone is given)")
    parser.add_argument("--until", type=utc_date, help="published before (ISO 8601)")
    parser.add_argument("--channel", type=int, help="channel id, e.g. 255")
    parser.add_argument("--tag", help="articles carrying this tag")
    parser.add_argument("--limit", type=int, help="at most this many, newest first (default: all)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m newscrawler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    with_settings = argparse.ArgumentParser(add_help=False)
    with_settings.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                               help="override a setting, as with scrapy -s")

    replica = commands.add_parser("replica", help="serve the replica site on 127.0.0.1")
    replica.add_argument("--port", type=int, default=8765, help="port (0 picks a free one); default 8765")
    replica.add_argument("--channels", type=int, default=5, help="channels with articles; default 5")
    replica.add_argument("--pages", type=int, default=5, help="listing pages per channel; default 5")
    replica.add_argument("--per-page", type=int, default=10, help="entries per listing page; default 10")
    replica.add_argument("--seed", type=int, default=2016, help="random seed of the generated site")
    replica.set_defaults(handler=_replica)

    demo = commands.add_parser("demo", help="crawl the replica into the embedded store and export it")
    demo.add_argument("--data-dir", default="data", help="where the store, exports and log go; default data/")
    demo.add_argument("--port", type=int, default=0, help="replica port; default: a free one")
    demo.set_defaults(handler=_demo)

    query = commands.add_parser("query", help="print stored articles as JSON Lines", parents=[with_settings])
    add_filters(query)
    query.add_argument("--out", help="write the JSON Lines to this file (with a progress bar on a terminal)")
    query.set_defaults(handler=_query)

    replay = commands.add_parser("replay", help="store the dead-letter files, removing each once stored",
                                 parents=[with_settings])
    replay.set_defaults(handler=_replay)

    export = commands.add_parser("export", help="write stored articles as Hexo posts, JSON Feed, RSS or JSON Lines",
                                 parents=[with_settings])
    export.add_argument("format", choices=FORMATS)
    export.add_argument("--out", required=True, help="a folder for hexo, a file otherwise")
    add_filters(export)
    export.set_defaults(handler=_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "demo":  # the demo's crawl configures Scrapy's own logging
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return args.handler(args)
