"""What the project commands share, and ``python -m newscrawler``, their alias.

The commands themselves live in ``newscrawler/commands/`` (``COMMANDS_MODULE``):
``scrapy query``, ``scrapy export``, ``scrapy replay``, ``scrapy replica``,
``scrapy demo`` and ``scrapy serve``. Scrapy loads the project settings and gives them ``-s``, ``-L``,
``--logfile`` and ``--help``; ``python -m newscrawler <command>`` runs the very
same code through ``scrapy.cmdline.execute``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from scrapy.cmdline import execute
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.log import configure_logging

from newscrawler.errors import ConfigError, RemovedSetting
from newscrawler.storage import Query, StoreError
from newscrawler.storage.causes import cause
from newscrawler.storage.options import OptionError, parse_query

SETTINGS_MODULE = "newscrawler.settings"


def store_query(args: argparse.Namespace, settings: BaseSettings) -> Query:
    """The validated filters (storage.options); OptionError names the bad one (exit status 2).

    ``--channel`` is typed by ``--source``'s profile (bundled or in SOURCES_DIR), when it has one.
    """
    channels = None
    if args.source is not None and args.channel is not None:
        from newscrawler.sources.registry import sources_dir
        from newscrawler.storage.upgrade import channel_names

        channels = channel_names(sources_dir(settings))
    return parse_query(args.since, args.until, args.channel, args.tag, args.limit, args.source, channels)


def add_filters(parser: argparse.ArgumentParser) -> None:
    # Dates and limit are checked by storage.options, the same for both stores and every command.
    parser.add_argument("--since", help="published at or after (ISO 8601, UTC unless a zone is given)")
    parser.add_argument("--until", help="published before (ISO 8601)")
    parser.add_argument("--source", help="one source's articles, by its name (as scrapy list shows it)")
    parser.add_argument("--channel", help="channel id, a whole number or a word, e.g. 255 (typed by --source's "
                                          "profile: see README, Querying)")
    parser.add_argument("--tag", help="articles carrying this tag")
    parser.add_argument("--limit", help="at most this many (a positive integer), newest first (default: all)")


class ProjectCommand(ScrapyCommand):
    """A project command that runs no crawl: Scrapy's options, logging as configured.

    Scrapy imports every module of ``COMMANDS_MODULE`` whenever it starts (even for
    ``scrapy crawl``), so subclasses import their heavy parts inside ``execute()``.
    """

    requires_project = True
    requires_crawler_process = False
    # Errors whose message already names the setting, path or host: one line, exit status 1.
    reported_errors: tuple[type[Exception], ...] = (ConfigError, StoreError)

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        assert self.settings is not None
        # These commands print their results; their log (stderr) keeps to warnings and errors
        # unless -L or -s LOG_LEVEL says otherwise. Set first, so that --help shows it.
        if (self.settings.getpriority("LOG_LEVEL") or 0) <= SETTINGS_PRIORITIES["project"]:
            self.settings.set("LOG_LEVEL", "WARNING", priority="project")
        super().add_options(parser)

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if args:  # Scrapy parses with parse_known_args: say what was not understood
            raise UsageError(f"unrecognized arguments: {' '.join(args)}")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        # LOG_LEVEL, LOG_FILE, -L, --logfile and --nolog, as for scrapy crawl.
        configure_logging(self.settings)
        try:
            self.exitcode = self.execute(opts)
        except (OptionError, RemovedSetting) as exc:  # a bad option, a setting that is gone: one line, exit 2
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
        except self.reported_errors as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 1
        except OSError as exc:  # an output file or folder (--out) that cannot be written; names the path
            print(f"error: {cause(exc)}", file=sys.stderr)
            self.exitcode = 1

    def execute(self, opts: argparse.Namespace) -> int:
        """Do the work with ``self.settings``; return the exit status."""
        raise NotImplementedError


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m newscrawler <command> [options]``: ``scrapy <command>`` from anywhere."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Outside the project folder there is no scrapy.cfg to name the settings.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    try:
        execute(["python -m newscrawler", *argv])
    except SystemExit as exc:  # execute() always ends with sys.exit()
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0
