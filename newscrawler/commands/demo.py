"""``scrapy demo`` (what ``make demo`` runs): crawl the replica into the embedded store, export, summarize."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand


class Command(ScrapyCommand):
    requires_project = True
    # Scrapy builds the crawler process after process_options(), on the demo's settings.
    requires_crawler_process = True

    def short_desc(self) -> str:
        return "Crawl the bundled replica into the embedded store, export it, print a summary"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--data-dir", default="data", help="where the store, exports and log go; default data/")
        parser.add_argument("--port", type=int, default=0, help="replica port; default: a free one")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        from newscrawler.replica.demo import demo_settings

        assert self.settings is not None
        demo_settings(self.settings, Path(opts.data_dir))
        super().process_options(args, opts)  # -s after the demo's values: the user's win

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Only this command and `replica` load the replica.
        from newscrawler.replica.demo import run_demo

        assert self.crawler_process is not None and self.settings is not None
        self.exitcode = run_demo(self.crawler_process, self.settings, Path(opts.data_dir), opts.port)
