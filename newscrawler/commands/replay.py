"""``scrapy replay``: write the dead-letter files into the configured store."""

from __future__ import annotations

import argparse
import sys

from newscrawler.cli import ProjectCommand
from newscrawler.storage.batchsize import store_batch_size


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Store the dead-letter files (DEADLETTER_DIR), removing each once stored"

    def execute(self, opts: argparse.Namespace) -> int:
        from newscrawler.commands.progress import progress
        from newscrawler.storage import open_store
        from newscrawler.checks import positive_int, setting, url_prefix
        from newscrawler.storage.replay import Trust, replay

        settings = self.settings
        trust = Trust(setting(settings, "CORS_PROXY", url_prefix), setting(settings, "MAX_BODY_BYTES", positive_int))
        store = open_store(settings)
        try:
            report = replay(store, settings.get("DEADLETTER_DIR"), store_batch_size(settings), progress, trust)
        finally:
            store.close()
        summary, *problems = report.summary(store.description)
        print(summary)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 0 if report.ok else 1  # anything set aside or kept is not stored
