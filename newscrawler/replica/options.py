"""``scrapy replica``'s options: the size of each source the replica serves, its clock, its hostile pages."""

from __future__ import annotations

import argparse
from datetime import datetime

from newscrawler.replica.site import ReplicaConfig


def size(value: str) -> tuple[int, int]:
    """``PAGESxPER_PAGE`` (or a single number of entries, one page) as two whole numbers >= 0.

    >>> size("3x15"), size("20")
    ((3, 15), (1, 20))
    """
    parts = value.lower().split("x")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (1, 2) or min(numbers) < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not PAGESxPER_PAGE such as 3x15")
    return (numbers[0], numbers[1]) if len(numbers) == 2 else (1, numbers[0])


def instant(value: str) -> datetime:
    """An ISO 8601 time with its zone, e.g. ``2024-05-20T15:00+08:00``."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time with a zone such as 2024-05-20T15:00+08:00")
    return moment


def seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number < 60:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds from 0 to 60")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The replica's options: its port, each source's size, the seed, ZAKER's clock, hostile pages, delays."""
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one); default 8765")
    parser.add_argument("--channels", type=int, default=5, help="趣头条 channels with articles; default 5")
    parser.add_argument("--pages", type=int, default=5, help="趣头条 listing pages per channel; default 5")
    parser.add_argument("--per-page", type=int, default=10, help="趣头条 entries per listing page; default 10")
    parser.add_argument("--seed", type=int, default=2016, help="random seed of the generated sites")
    parser.add_argument("--dockone", type=size, default=(3, 15), metavar="PAGESxPER_PAGE", help="default 3x15")
    parser.add_argument("--woshipm", type=size, default=(3, 12), metavar="PAGESxPER_PAGE", help="default 3x12")
    parser.add_argument("--zaker", type=size, default=(4, 20), metavar="CHANNELSxROWS", help="default 4x20")
    parser.add_argument("--feed", type=size, default=(1, 20), metavar="[PAGESx]ENTRIES",
                        help="feed entries, optionally paged (e.g. 10x200: 10 pages of 200); default 20")
    parser.add_argument("--zaker-anchor", type=instant, default=None, metavar="TIME",
                        help="ZAKER's publication times count back from this time; default: at start")
    parser.add_argument("--hostile", action="store_true", help="also serve the hostile channels and pages")
    parser.add_argument("--delay", type=seconds, default=0.0,
                        help="seconds each response waits (network-like latency); default 0")
    parser.add_argument("--detail-delay", type=float, default=0.0, metavar="SECONDS",
                        help="seconds before each article page answers (a slow site); default 0")


def replica_config(opts: argparse.Namespace) -> ReplicaConfig:
    """The replica the options describe."""
    feed_pages, feed_per_page = opts.feed
    return ReplicaConfig(
        opts.channels, opts.pages, opts.per_page, opts.seed, hostile=opts.hostile, delay=opts.delay,
        dockone_pages=opts.dockone[0], dockone_per_page=opts.dockone[1],
        woshipm_pages=opts.woshipm[0], woshipm_per_page=opts.woshipm[1],
        zaker_channels=opts.zaker[0], zaker_per_channel=opts.zaker[1],
        feed_entries=feed_pages * feed_per_page, feed_per_page=feed_per_page if feed_pages > 1 else 0,
        zaker_anchor=opts.zaker_anchor,
    )
