"""Starting the server: the settings checked, the store's reader, the site on the reactor."""

from __future__ import annotations

import logging
import sys

from scrapy.settings import BaseSettings
from scrapy.utils.reactor import install_reactor

from newscrawler.checks import duration, positive_duration, positive_int, setting
from newscrawler.errors import ConfigError
from newscrawler.exporters.feedmeta import profiles_of
from newscrawler.extensions.removed_settings import check_removed
from newscrawler.serve.app import FeedApp
from newscrawler.serve.site import Limits, build_site
from newscrawler.storage import StoreError, store_target
from newscrawler.storage.options import OptionError
from newscrawler.storage.readonly import open_reader

logger = logging.getLogger(__name__)


# Worker threads beyond the builds: the health check always finds one free.
SPARE_THREADS = 4


def limits_of(settings: BaseSettings) -> Limits:
    return Limits(setting(settings, "SERVE_IDLE_TIMEOUT", positive_int),
                  setting(settings, "SERVE_MAX_HEADERS", positive_int),
                  setting(settings, "SERVE_MAX_HEADER_BYTES", positive_int),
                  setting(settings, "SERVE_MAX_URL_LENGTH", positive_int),
                  setting(settings, "SERVE_HEADER_TIMEOUT", positive_duration),
                  setting(settings, "SERVE_MAX_CONNECTIONS", positive_int),
                  setting(settings, "SERVE_MAX_BUILDS", positive_int))


def serve(settings: BaseSettings, host: str, port: int) -> int:
    """Serve until stopped (Ctrl-C, SIGTERM); the exit status."""
    check_removed(settings)
    limits = limits_of(settings)
    query_timeout = setting(settings, "SERVE_QUERY_TIMEOUT", positive_duration)
    max_age = setting(settings, "SERVE_CACHE_MAX_AGE", lambda v: int(duration(v)))
    max_feed_bytes = setting(settings, "SERVE_MAX_FEED_BYTES", positive_int)
    if not 0 <= port < 65536:
        raise OptionError(f"--port {port}: expected 0 to 65535")
    profiles = profiles_of(settings)
    for error in profiles.errors:
        logger.warning("Source profile not used: %s", error)
    reader = open_reader(settings, query_timeout)
    try:  # a store that does not answer yet is no reason not to start: /healthz says 503 until it does
        reader.last_crawl()
    except StoreError as exc:
        logger.warning("The store does not answer yet (feeds answer 503 until it does): %s", exc)
    install_reactor(settings.get("TWISTED_REACTOR") or "twisted.internet.selectreactor.SelectReactor")
    from twisted.internet import reactor

    # The builds take at most max_builds threads of the pool: it keeps some for the health check.
    reactor.suggestThreadPoolSize(max(10, limits.max_builds + SPARE_THREADS))
    site = build_site(FeedApp(reader, profiles.by_name, max_age, max_feed_bytes), limits)
    try:
        listening = reactor.listenTCP(port, site, interface=host)
    except Exception as exc:  # CannotListenError: the address is taken or not ours
        raise ConfigError(f"cannot listen on {host}:{port}: {exc}") from None
    address = listening.getHost()
    shown = f"[{address.host}]" if ":" in address.host else address.host
    logger.info("Serving %s read-only", store_target(settings))
    print(f"Serving feeds on http://{shown}:{address.port}/ (Ctrl-C stops it)", file=sys.stdout, flush=True)
    reactor.run()
    reader.close()
    return 0
