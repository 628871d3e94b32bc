"""``python -m newscrawler``: replica, demo, query, replay and export commands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from newscrawler.replica.site import ReplicaConfig

logger = logging.getLogger(__name__)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m newscrawler", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "demo":  # the demo's crawl configures Scrapy's own logging
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return args.handler(args)
