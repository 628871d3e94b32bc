"""``scrapy replica``: serve the replica site on 127.0.0.1 (also as an HTTP proxy)."""

from __future__ import annotations

import argparse

from newscrawler.cli import ProjectCommand


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Serve the replica site on 127.0.0.1 (use it as http_proxy)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one); default 8765")
        parser.add_argument("--channels", type=int, default=5, help="channels with articles; default 5")
        parser.add_argument("--pages", type=int, default=5, help="listing pages per channel; default 5")
        parser.add_argument("--per-page", type=int, default=10, help="entries per listing page; default 10")
        parser.add_argument("--seed", type=int, default=2016, help="random seed of the generated site")
        parser.add_argument("--detail-delay", type=float, default=0.0, metavar="SECONDS",
                            help="seconds before each article page answers (a slow site); default 0")

    def execute(self, opts: argparse.Namespace) -> int:
        # Only this command and `demo` load the replica.
        from newscrawler.replica.server import ReplicaServer
        from newscrawler.replica.site import ReplicaConfig

        config = ReplicaConfig(opts.channels, opts.pages, opts.per_page, opts.seed)
        server = ReplicaServer(opts.port, config, opts.detail_delay)
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
