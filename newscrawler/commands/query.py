"""``scrapy query``: stored articles as JSON Lines, newest first."""

from __future__ import annotations

import argparse
import sys

from newscrawler.cli import ProjectCommand, add_filters, store_query


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Print stored articles as JSON Lines, newest first"

    def syntax(self) -> str:
        return "[--since DATE] [--until DATE] [--channel ID] [--tag TAG] [--limit N]"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        add_filters(parser)

    def execute(self, opts: argparse.Namespace) -> int:
        from newscrawler.storage import open_store
        from newscrawler.storage.documents import contract_fields, to_json

        store = open_store(self.settings)
        try:
            for doc in store.query(store_query(opts)):
                sys.stdout.write(to_json(contract_fields(doc)) + "\n")
        finally:
            store.close()
        return 0
