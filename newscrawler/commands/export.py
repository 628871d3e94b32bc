"""``scrapy export FORMAT --out PATH``: stored articles as Hexo posts, JSON Feed, RSS, Atom or JSON Lines."""

from __future__ import annotations

import argparse

from newscrawler.cli import ProjectCommand, add_filters, store_query
from newscrawler.exporters.from_store import FORMATS, export_store


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Write stored articles as Hexo posts, JSON Feed, RSS, Atom or JSON Lines"

    def syntax(self) -> str:
        return "{" + ",".join(FORMATS) + "} --out PATH [--since DATE] [--until DATE] [--source NAME] [--channel ID] [--tag TAG] [--limit N]"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("format", choices=FORMATS, help="what to write")
        parser.add_argument("--out", required=True, help="a folder for hexo, a file otherwise")
        add_filters(parser)

    def execute(self, opts: argparse.Namespace) -> int:
        from newscrawler.commands.progress import progress

        report = export_store(opts.format, self.settings, store_query(opts, self.settings), opts.out, progress)
        print(report)
        return 1 if report.failed else 0  # an article that could not be exported
