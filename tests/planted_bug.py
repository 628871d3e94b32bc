"""``python -m tests.planted_bug STAGE SOURCE_ID SCRAPY_ARGS...``: a scrapy command with a planted bug.

STAGE ``callback`` makes the detail callback raise RuntimeError on the article SOURCE_ID, ``body`` the
body stage, ``middleware`` a downloader middleware (KeyError, on the article page's response). The rest runs as ``scrapy SCRAPY_ARGS...`` would (scrapy.cmdline.execute, exit status included).
"""

from __future__ import annotations

import sys
from typing import Any

from scrapy.cmdline import execute


def plant(stage: str, source_id: str) -> None:
    message = f"a planted bug in the {stage} stage, on {source_id}"
    if stage == "callback":
        from newscrawler.spiders import source

        build_article = source.build_article

        def build(entry: Any, *args: Any) -> Any:
            if entry.source_id == source_id:
                raise RuntimeError(message)
            return build_article(entry, *args)

        source.build_article = build
    elif stage == "body":
        from newscrawler.pipelines.body import BodyPipeline

        process_item = BodyPipeline.process_item

        def process(self: BodyPipeline, item: Any) -> Any:
            if item.source_id == source_id:
                raise RuntimeError(message)
            return process_item(self, item)

        BodyPipeline.process_item = process  # type: ignore[method-assign]
    elif stage == "middleware":  # a downloader middleware: its error reaches the spider's errback
        from newscrawler.middlewares.charsets import CharsetMiddleware

        process_response = CharsetMiddleware.process_response

        def respond(self: CharsetMiddleware, request: Any, response: Any) -> Any:
            if f"/{source_id}.html" in request.url:
                raise KeyError(message)
            return process_response(self, request, response)

        CharsetMiddleware.process_response = respond  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown stage {stage!r}: callback, body or middleware")


if __name__ == "__main__":
    stage, source_id, *arguments = sys.argv[1:]
    plant(stage, source_id)
    execute(["scrapy", *arguments])
