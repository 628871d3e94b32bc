"""``scrapy serve [--host H] [--port P]``: the stored articles as feeds over HTTP, read-only."""

from __future__ import annotations

import argparse

from scrapy.settings import SETTINGS_PRIORITIES

from newscrawler.cli import ProjectCommand

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 1200  # RSSHub's port: its clients change only the host


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Serve the stored articles as RSS, Atom and JSON feeds over HTTP (read-only)"

    def syntax(self) -> str:
        return "[--host HOST] [--port PORT]"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        assert self.settings is not None
        # A server's log is its access log: INFO unless -L or -s LOG_LEVEL says otherwise. Set
        # just above the project's priority, where the other commands' WARNING goes, before --help shows it.
        if (self.settings.getpriority("LOG_LEVEL") or 0) <= SETTINGS_PRIORITIES["project"]:
            self.settings.set("LOG_LEVEL", "INFO", priority=SETTINGS_PRIORITIES["project"] + 1)
        super().add_options(parser)
        parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST})")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                            help=f"port to listen on, 0 for any free one (default: {DEFAULT_PORT})")

    def execute(self, opts: argparse.Namespace) -> int:
        from newscrawler.serve.server import serve

        return serve(self.settings, opts.host, opts.port)
