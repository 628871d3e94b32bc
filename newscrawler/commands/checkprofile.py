"""``scrapy checkprofile``: try a source profile on saved pages, offline, before any crawl.

Exit status: 0 when the profile reads the pages, 1 when a required field matched nothing (or the
listing cannot be read at all), 2 when the profile itself is bad (its one message).
"""

from __future__ import annotations

import argparse
import sys

from newscrawler.cli import ProjectCommand


class Command(ProjectCommand):
    def short_desc(self) -> str:
        return "Show what a source profile reads from a saved listing page (and article page); fetches nothing"

    def syntax(self) -> str:
        return ("<profile name or file> <saved listing> [<saved article page>] "
                "[--url URL] [--article-url URL] [--now TIME]")

    def long_desc(self) -> str:
        return ("Read a saved listing page (a JSON answer, an HTML page or a feed, as the profile's listing.kind says) "
                "with a profile, print what each field rule extracted for each entry and which rules matched nothing; "
                "with a saved article page, print its body and page facts too. Nothing is fetched. Exit status: 0 "
                "good; 1 a required field (id, url, title, published_at, the body) matched nothing; 2 a bad profile.")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        # not "profile": Scrapy's own --profile (cProfile) writes to that name
        parser.add_argument("source", metavar="profile",
                            help="a profile's name (bundled or in SOURCES_DIR) or a profile file")
        parser.add_argument("listing", help="a saved listing page: the API's JSON, the HTML page or the feed")
        parser.add_argument("article", nargs="?", help="a saved article page (optional)")
        parser.add_argument("--url", help="where the listing was saved from (relative links resolve against it); "
                                          "default: the profile's first listing URL")
        parser.add_argument("--article-url", help="where the article page was saved from; default: the first entry's")
        parser.add_argument("--now", help="the time relative dates (5分钟前) count back from, ISO 8601 with a zone; "
                                          "default: now")

    def execute(self, opts: argparse.Namespace) -> int:
        from newscrawler.pages.profile_check import check_profile

        assert self.settings is not None
        return check_profile(self.settings, opts, sys.stdout)
