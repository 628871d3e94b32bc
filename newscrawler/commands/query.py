"""``scrapy query``: stored articles as JSON Lines, newest first (or into a file with ``--out``)."""

from __future__ import annotations

import argparse
import sys

from newscrawler.cli import ProjectCommand, add_filters, store_query


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Print stored articles as JSON Lines, newest first"

    def syntax(self) -> str:
        return "[--since DATE] [--until DATE] [--source NAME] [--channel ID] [--tag TAG] [--limit N] [--out FILE]"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        add_filters(parser)
        parser.add_argument("--out", help="write the JSON Lines to this file (with a progress bar on a terminal)")

    def execute(self, opts: argparse.Namespace) -> int:
        from newscrawler.commands.progress import progress
        from newscrawler.exporters.from_store import query_lines, write_query
        from newscrawler.storage import open_store
        from newscrawler.storage.reading import BAD_ROWS

        query = store_query(opts, self.settings)  # bad options are refused before any store is opened
        store = open_store(self.settings, create=False)  # a mistyped path is an error, not a new database
        skipped = BAD_ROWS.skipped
        try:
            if opts.out:
                report = write_query(store, query, opts.out, progress)
                print(report)
                return 1 if report.failed else 0
            sys.stdout.writelines(query_lines(store, query))
        finally:
            store.close()
        skipped = BAD_ROWS.skipped - skipped
        if skipped:  # on stderr: standard output holds only the articles' lines
            print(f"{skipped} stored articles left out, unreadable (named in the log)", file=sys.stderr)
        return 1 if skipped else 0
