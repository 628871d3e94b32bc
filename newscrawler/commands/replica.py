"""``scrapy replica``: serve the replica site on 127.0.0.1 (also as an HTTP proxy)."""

from __future__ import annotations

import argparse

from newscrawler.cli import ProjectCommand


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Serve the replica site on 127.0.0.1 (use it as http_proxy)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        from newscrawler.replica.options import add_arguments  # the sizes of the replica's sources

        super().add_options(parser)
        add_arguments(parser)

    def execute(self, opts: argparse.Namespace) -> int:
        # Only this command and `demo` load the replica.
        from newscrawler.replica.options import replica_config
        from newscrawler.replica.server import ReplicaServer

        server = ReplicaServer(opts.port, replica_config(opts), opts.detail_delay)
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
