"""Scrapy settings for newscrawler. Every knob has a comment; override with -s."""

from __future__ import annotations

import os

from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

# Scrapy's project wiring: the bot's name (in logs) and where the spiders live.
BOT_NAME = "newscrawler"
SPIDER_MODULES = ["newscrawler.spiders"]
NEWSPIDER_MODULE = "newscrawler.spiders"
# Scrapy's spider loader plus one spider per source profile (bundled, and SOURCES_DIR's).
SPIDER_LOADER_CLASS = "newscrawler.spiders.loader.SourceSpiderLoader"
# Folder of your own source profiles (one YAML file per source, see README "Add a source"), relative
# to the working folder; a profile named as a bundled one replaces it. A missing folder is no error.
SOURCES_DIR = os.environ.get("SOURCES_DIR", "sources")
# Project commands (`scrapy export`, `scrapy query`, ...) next to Scrapy's own.
COMMANDS_MODULE = "newscrawler.commands"
# One article listed with many tracking keys is one request (see fingerprints.py).
REQUEST_FINGERPRINTER_CLASS = "newscrawler.scheduler.fingerprints.CanonicalRequestFingerprinter"

# --- Politeness: defaults a site operator would accept -----------------------
# Say who we are and where to complain.
USER_AGENT = "newscrawler/1.0 (+https://github.com/newscrawler/newscrawler; news archive bot)"
# Honour robots.txt.
ROBOTSTXT_OBEY = True
# Parallel requests per host; the listing API and the article hosts count apart.
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Seconds between requests to one host (randomized 0.5x-1.5x by Scrapy).
DOWNLOAD_DELAY = 0.25
# Back off when the site slows down.
AUTOTHROTTLE_ENABLED = True
# First delay AutoThrottle tries, in seconds.
AUTOTHROTTLE_START_DELAY = 0.5
# Most AutoThrottle may wait between two requests, in seconds.
AUTOTHROTTLE_MAX_DELAY = 10.0
# Requests in flight AutoThrottle aims for per host.
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Give up on a request after this many seconds (then retried).
DOWNLOAD_TIMEOUT = 20
# Retry 5xx, 408, 429 and timeouts this many times.
RETRY_TIMES = 3
# Statuses worth retrying.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Largest response body, in bytes, also after gzip/deflate/br decoding: news pages are far
# smaller, and Scrapy's 1 GiB default let a 1 MB gzip bomb take 2 GB of memory. Larger
# responses are cancelled, counted (<source>/*/error/too_large) and logged.
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
# Log a warning for responses over this many bytes (a page this big is unusual).
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Largest response head (status line and header lines), in bytes, and most header lines
# (continuation lines count): DOWNLOAD_MAXSIZE bounds bodies only, and a head that never
# ends took GiBs within one DOWNLOAD_TIMEOUT. 256 KiB is where browsers give up (Chrome);
# 500 lines is Twisted's own server limit. Over either, the download is cut, counted
# (<source>/*/error/headers_too_large) and logged.
DOWNLOAD_MAXHEADERSIZE = 256 * 1024
DOWNLOAD_MAXHEADERS = 500
# No cookie jar: nothing here needs one, and pages that each set 20 new 4 KB cookies made
# every later request carry the whole jar (15 MB a request, GiBs of memory, and requests a
# server refuses). True brings Scrapy's CookiesMiddleware back (and its first Set-Cookie
# makes tldextract reach for the network and write a cache under HOME).
COOKIES_ENABLED = False
# Never follow <meta http-equiv="refresh">: on article pages it is the author's markup, and
# the listing API is JSON. (HTTP redirects are still followed, within PrivateHostMiddleware.)
METAREFRESH_ENABLED = False
# Requests to localhost, loopback, link-local and private IP literals are refused (a listing
# or a redirect could point the crawler at this machine's services). True only for a crawl of
# a site served on such an address; a proxy on 127.0.0.1 (http_proxy) needs no exception.
ALLOW_PRIVATE_HOSTS = False
DOWNLOADER_MIDDLEWARES = {
    # Early, so that a refused URL costs nothing (not even a robots.txt request).
    "newscrawler.middlewares.privatehosts.PrivateHostMiddleware": 50,
    # A declared charset no browser reads (idna, rot13, utf-32...) gives way to the <meta>,
    # UTF-8 or detection. Below HttpCompressionMiddleware (590): it sees decoded bodies.
    "newscrawler.middlewares.charsets.CharsetMiddleware": 580,
    # Scrapy's HttpCompressionMiddleware, in its place, with its settings and DOWNLOAD_MAXSIZE bound;
    # a body that does not decompress is a counted, logged UndecodableBody, not the decoder's error.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "newscrawler.middlewares.decompression.DecompressionMiddleware": 590,
    # Scrapy's RedirectMiddleware, in its place, with its settings; a Location that does not parse
    # (`http://[`, a port out of range) is a counted, logged BadRedirect, not w3lib's ValueError.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "newscrawler.middlewares.redirects.LocationRedirectMiddleware": 600,
}
SPIDER_MIDDLEWARES = {
    # Incremental crawling: skips stored articles (INCREMENTAL_CRAWL_ENABLED, below).
    "newscrawler.middlewares.incremental.IncrementalCrawlMiddleware": 600,
}
# Readable Chinese in -O feeds instead of \u escapes.
FEED_EXPORT_ENCODING = "utf-8"
# Our own feed formats: `-O feed.json:jsonfeed`, `-O feed.xml:rss`, `-O feed.atom:atom`.
FEED_EXPORTERS = {
    "jsonfeed": "newscrawler.exporters.jsonfeed.JsonFeedItemExporter",
    "rss": "newscrawler.exporters.rss.RssItemExporter",
    "atom": "newscrawler.exporters.atom.AtomItemExporter",
}
# `-O` replaces the file only once the feed is complete (a killed crawl or a full disk leaves the
# last good feed in place); `-o` appends in place, as Scrapy does.
FEED_STORAGES = {
    "": "newscrawler.exporters.feedstorage.ReplacingFileFeedStorage",
    "file": "newscrawler.exporters.feedstorage.ReplacingFileFeedStorage",
}

# --- Throughput and memory (see newscrawler/scheduler/priorities.py, README "Benchmarks") ---
# A detail page yields one item and a listing page a few requests: Scrapy's default of
# 100 started 100 asyncio tasks per response to process that one output.
CONCURRENT_ITEMS = 1
# One priority queue for every host: article pages (DETAIL_PRIORITY) before more listing pages,
# whatever host serves them: a bounded frontier, flat memory. Scrapy's default queue orders by
# priority within each host only, and the listing host ran ahead of the article hosts.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"
# The most entries one listing page gives, whatever `-a limit` asked for (the rest are logged and
# counted, <source>/listing/entries_over_cap): each is a queued request (~4 KB), and an API that
# ignores its limit answered 75,000. Real pages hold tens to hundreds; the largest the benchmarks
# serve holds 1,340 (an HTML channel page at scale 20).
LISTING_MAX_ENTRIES = 5000

# --- Incremental crawling ------------------------------------------------------
# Skip the detail pages of articles the store holds from earlier crawls, and stop
# a listing once a page brings nothing new (see incremental.py). -a refresh=1
# fetches them anyway for one crawl; False turns skipping off for good.
INCREMENTAL_CRAWL_ENABLED = True
# Stop a channel at a listing page whose articles were all stored by earlier crawls.
# Off when workers share one crawl (they cannot tell "earlier" from "another worker").
INCREMENTAL_STOP_AT_KNOWN_PAGE = True

# --- Item pipelines ---------------------------------------------------------
ITEM_PIPELINES = {
    "newscrawler.pipelines.normalize.NormalizePipeline": 100,
    "newscrawler.pipelines.body.BodyPipeline": 200,
    "newscrawler.pipelines.validate.ValidatePipeline": 300,
    "newscrawler.pipelines.store.StorePipeline": 900,
    # After the store: checks what was stored against SPIDERMON_VALIDATION_SCHEMAS, under
    # spidermon's stats keys (spidermon's ItemValidationPipeline, without its copy of each item).
    "newscrawler.pipelines.schema.SchemaCheckPipeline": 950,
}
# Prefix that makes hot-link-protected images load; empty turns rewriting off.
CORS_PROXY = "https://cors.zfour.workers.dev/?"
# Largest body stored, in bytes of UTF-8: its cleaned HTML, text and image URLs together, measured
# after cleaning (4.5 MB of '&' clean to 22.5 MB of '&amp;'). Larger articles are dropped before the
# store stage (body/too_large), on either store: MongoDB refuses documents over 16 MB, and 8 MiB
# leaves room for the other fields and BSON's overhead.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Blocks removed from bodies before sanitizing (share widgets, ads, scripts).
BODY_DROP_SELECTORS = [
    "script", "style", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "form", "input", "button", "select", "textarea", "svg", "math", "template", "link",
    "meta", "base",
    ".share", ".share-box", ".share-bar", ".ad", ".ad-box", ".ads", ".advert",
    ".recommend", ".download-app", "[id^=ad_]", "[class*=adsbygoogle]",
]

# --- Storage ----------------------------------------------------------------
# MongoDB connection URI; when set, articles go to MongoDB, else to SQLite.
MONGO_URI = os.environ.get("MONGO_URI", "")
# MongoDB database name.
MONGO_DATABASE = os.environ.get("MONGO_DATABASE", "newscrawler")
# MongoDB collection name.
MONGO_COLLECTION = os.environ.get("MONGO_COLLECTION", "articles")
# Journaled MongoDB writes: a write counts as stored once it is in the server's journal on
# disk, so a server crash cannot lose it. Used unless MONGO_URI names its own w or journal
# (which then win); w=0 is refused. On a replica set, put w=majority in MONGO_URI.
MONGO_JOURNAL = True
# Items per write batch, MongoDB or SQLite (MONGO_BATCH_SIZE, the old name, still works).
STORE_BATCH_SIZE = 100
# Flush a partial batch after this many seconds.
STORE_FLUSH_INTERVAL = 5.0
# MongoDB server selection and connect timeouts, in milliseconds.
MONGO_SERVER_SELECTION_TIMEOUT_MS = 3000
MONGO_CONNECT_TIMEOUT_MS = 3000
# Attempts at writing one batch before it goes to the dead-letter file.
STORE_WRITE_ATTEMPTS = 3
# First backoff between write attempts, in seconds (doubles each time).
STORE_RETRY_BACKOFF = 0.5
# After a batch fails every attempt, spool new batches at once for this many
# seconds instead of waiting on timeouts again; then try the store again.
STORE_OUTAGE_COOLDOWN = 30.0
# Embedded SQLite database, used when MONGO_URI is empty.
NEWSCRAWLER_DB = os.environ.get("NEWSCRAWLER_DB", "data/newscrawler.sqlite3")
# Where items that could not be stored are kept (JSON Lines, one file per run).
DEADLETTER_DIR = os.environ.get("DEADLETTER_DIR", "data/deadletter")

# --- Distributed mode (scrapy-redis) -----------------------------------------
# Redis/Valkey URL shared by every worker; set, it switches on scrapy-redis's scheduler
# and dupefilter (newscrawler.scheduler.distributed); empty, the crawl runs in one process.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Add-ons: Scrapy's HTTP/1.1 handler with the two header limits above, for http and https, its
# limits checked at start (newscrawler/downloader/handler.py); distributed mode, on when REDIS_URL
# is set and doing nothing otherwise.
ADDONS = {
    "newscrawler.downloader.handler.HeadLimitsAddon": 0,
    "newscrawler.scheduler.distributed.DistributedAddon": 0,
}
# The shared frontier (a sorted set) and fingerprints (a set), one pair per run.
SCHEDULER_QUEUE_KEY = "%(spider)s:%(run)s:requests"
SCHEDULER_DUPEFILTER_KEY = "%(spider)s:%(run)s:dupefilter"
# scrapy-redis's priority queue with a receipt per pop and the fingerprint pushed with its
# request, so a command whose reply was lost (Valkey restarted) can be sent again; required.
SCHEDULER_QUEUE_CLASS = "newscrawler.scheduler.run_queue.RunQueue"
# A worker closes once the frontier has been empty, with no other worker busy, this long.
REDIS_IDLE_CLOSE = 5.0
# A worker silent this many seconds (killed) counts as dead; its run may then end.
REDIS_WORKER_TIMEOUT = 15.0
# redis-py client options (scrapy-redis's setting; -s replaces the whole dict): a command
# gives up on a silent server after 5 s instead of 30, and is retried 3 times with backoff
# on a fresh connection (a Valkey restart, a dropped connection) before the worker counts an
# outage (REDIS_OUTAGE_TIMEOUT).
REDIS_PARAMS = {
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=3),
}
# Seconds a worker waits for an unreachable Valkey/Redis (holding the requests it makes
# meanwhile) before it closes with one ERROR line and a non-zero exit status.
REDIS_OUTAGE_TIMEOUT = 300.0
# The name of this crawl's runs in Redis; empty: a digest of the spider, its arguments and
# the store target, so crawls that differ never share a frontier (see README "Scaling out").
REDIS_RUN_NAME = ""

# --- Exports ----------------------------------------------------------------
# Hexo front matter and a feed's title and home page come from each source's profile
# (hexo: categories, author, date_style; title; home_url). HEXO_CATEGORIES, HEXO_AUTHOR,
# FEED_TITLE, FEED_HOME_URL and FEED_DESCRIPTION are gone: given, they stop the export.

# --- Monitoring (spidermon) and progress ----------------------------------------
# Close monitors (newscrawler/extensions/monitors.py) decide the exit status; -s SPIDERMON_ENABLED=0 turns them off.
SPIDERMON_ENABLED = True
# Spidermon runs the monitors; Scrapy's PeriodicLog writes the progress lines (PERIODIC_LOG_*).
EXTENSIONS = {
    # A setting this project no longer reads, still given: the crawl stops at start, naming its replacement.
    "newscrawler.extensions.removed_settings.RemovedSettings": 0,
    "newscrawler.extensions.monitor_report.CloseMonitors": 500,  # spidermon's extension, tidy report
    "scrapy.extensions.periodic_log.PeriodicLog": 0,
    # An exception in an item pipeline (a bug) is counted, as Scrapy counts one in a callback.
    "newscrawler.extensions.itemerrors.PipelineExceptionStats": 0,
    # The objects the crawl starts with are frozen out of garbage collection (gc.freeze) until it
    # closes, and young objects are collected every 10,000 allocations instead of 700.
    "newscrawler.extensions.gcfreeze.FreezeStartupObjects": 0,
}
# The suite run when the spider closes.
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newscrawler.extensions.monitors.CloseMonitorSuite"]
# Finish reasons that count as healthy.
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
# Every stored article is checked against this JSON Schema (the contract's types; title, url, published_at, content_html)...
SPIDERMON_VALIDATION_SCHEMAS = ["newscrawler.extensions.monitors.ARTICLE_SCHEMA"]
# ...and any article that fails it fails the crawl.
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0
# Most detail pages that may fail (HTTP errors, timeouts), as a share of those requested.
MONITOR_MAX_DETAIL_ERROR_RATIO = 0.1
# Most articles the pipelines may drop (missing fields, no body), as a share of those parsed.
MONITOR_MAX_DROPPED_RATIO = 0.1
# Both ratios are taken over at least this many pages or articles, so that an incremental
# run that tries its two broken articles again and finds nothing new is not "50% failed".
MONITOR_RATIO_MIN_BASE = 20
# Seconds between progress lines in the crawl log (Scrapy's LogStats and PeriodicLog; 0 turns both off).
LOGSTATS_INTERVAL = 60.0
# PeriodicLog's line, every LOGSTATS_INTERVAL and at the end: the counters an operator reads first
# (stats whose key holds one of these), and how much a few of them grew since the last line.
PERIODIC_LOG_STATS = {"include": ["/listing/pages", "/detail/parsed", "/error/", "item_scraped_count",
                                  "item_dropped_count", "store/", "urllength/", "_exceptions/count"]}
PERIODIC_LOG_DELTA = {"include": ["/listing/pages", "/detail/parsed", "item_scraped_count", "store/new"]}

# --- Scrapy housekeeping ----------------------------------------------------
# The asyncio reactor, Scrapy's default, spelled out for Scrapyd deployments.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Per-request DEBUG lines drown the failures that matter; -L DEBUG brings them back.
LOG_LEVEL = "INFO"
# No telnet console: an open local port with no use here.
TELNETCONSOLE_ENABLED = False
# No remote control either: Scrapy 2.19's HTTP server that runs Python code sent to it (an
# open local port again), whose job file under HOME also made every crawl with an
# unwritable HOME log an ERROR with a traceback.
REMOTE_CONTROL_ENABLED = False
# Dropped items are logged by reason and URL, without their body.
LOG_FORMATTER = "newscrawler.extensions.logformatter.ArticleLogFormatter"

# --- scrapy serve (newscrawler/serve/, README "Serve feeds") ---
# Seconds a client connection may stay silent before the server closes it.
SERVE_IDLE_TIMEOUT = 60
# Seconds one store read may take (SQLite's progress handler, MongoDB's maxTimeMS): then a 503.
SERVE_QUERY_TIMEOUT = 10
# Cache-Control max-age of feeds and the index page, in seconds (readers revalidate with ETag).
SERVE_CACHE_MAX_AGE = 60
# Request bounds: header lines, bytes of request line plus headers, bytes of the request line (the URL).
SERVE_MAX_HEADERS = 50
SERVE_MAX_HEADER_BYTES = 16384
SERVE_MAX_URL_LENGTH = 4096
# Seconds from a request's first byte to the end of its head; a slower client is closed (slowloris).
SERVE_HEADER_TIMEOUT = 10
# Open client connections at most; a connection past it is closed at once.
SERVE_MAX_CONNECTIONS = 512
# Feeds and index pages built (read from the store, rendered) at once; more wait their turn.
SERVE_MAX_BUILDS = 4
# Bytes of one rendered feed at most: the newest articles that fit are served (always one), the rest left out.
SERVE_MAX_FEED_BYTES = 8388608
