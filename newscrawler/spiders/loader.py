"""``SPIDER_LOADER_CLASS``: Scrapy's spider loader, plus one spider per source profile.

The profiles are the bundled ones and those in ``SOURCES_DIR`` (``sources/registry.py``), so
``scrapy list``, ``scrapy crawl <name>`` and Scrapyd's ``listspiders.json`` know every source,
and a profile dropped into that folder is crawlable with no code. A profile file that cannot be
used is one WARNING naming it, the key and the value; the others still list and crawl, and
crawling the bad one stops at start with that message (exit status 2).
"""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newscrawler.errors import ConfigError
from newscrawler.sources.profile import SourceProfile
from newscrawler.sources.registry import load_profiles
from newscrawler.spiders.source import SourceSpider

logger = logging.getLogger(__name__)


def profile_spider(profile: SourceProfile) -> type[SourceSpider]:
    """The spider class of one profile: ``SourceSpider`` reading ``profile``, named after it."""
    return type(f"{profile.name.title().replace('_', '')}Spider", (SourceSpider,),
                {"name": profile.name, "profile": profile, "__module__": __name__})


def unusable_profile_spider(name: str, error: ConfigError) -> type[SourceSpider]:
    """A spider for a profile file that could not be used: starting it raises the file's error."""
    return type(f"Unusable{name.title().replace('_', '')}Spider", (SourceSpider,),
                {"name": name, "profile_error": error, "__module__": __name__})


class SourceSpiderLoader(SpiderLoader):
    """The spiders of ``SPIDER_MODULES`` (the ``feed`` spider), then one per profile."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        sources_dir = settings.get("SOURCES_DIR") or None
        try:
            profiles = load_profiles(sources_dir)
        except ConfigError as exc:  # SOURCES_DIR unreadable: the bundled sources still crawl
            logger.warning("%s; only the bundled source profiles are loaded", exc)
            profiles = load_profiles(None)
        self.profile_spiders: dict[str, type[SourceSpider]] = {
            name: profile_spider(profile) for name, profile in profiles.by_name.items()
        }
        self.unusable: dict[str, type[SourceSpider]] = {}
        spiders = set(super().list())
        for error in profiles.errors:
            logger.warning("Source profile left out: %s", error)
            name = Path(error.path).stem
            # A bad file of a bundled profile's name was meant to replace it: crawling it must not
            # quietly crawl the bundled one. (A feed.yaml cannot take the feed spider's name.)
            if name not in spiders:
                self.unusable[name] = unusable_profile_spider(name, error)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name in self.unusable:
            return self.unusable[spider_name]
        if spider_name in self.profile_spiders:
            return self.profile_spiders[spider_name]
        return super().load(spider_name)

    def list(self) -> list[str]:
        return super().list() + [name for name in sorted(self.profile_spiders) if name not in self.unusable]

    def find_by_request(self, request: Request) -> list[str]:
        return super().find_by_request(request) + [
            name for name, spider in sorted(self.profile_spiders.items()) if spider.handles_request(request)
        ]

