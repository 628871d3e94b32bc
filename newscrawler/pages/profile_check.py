"""A profile tried on saved pages (``scrapy checkprofile``): what each rule read, what matched nothing.

The page objects a crawl uses read the files, given as the responses they were saved from:
nothing is fetched, nothing is stored.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings

from newscrawler.errors import ConfigError
from newscrawler.pages.detail import DetailPage
from newscrawler.pages.entries import ListingEntry, ListingError, ListingPage
from newscrawler.pages.kinds import article_page_object, listing_page_object
from newscrawler.sources.profile import SourceProfile, load_profile
from newscrawler.sources.registry import load_profiles

# Largest saved page read: as DOWNLOAD_MAXSIZE's default.
MAX_FILE_BYTES = 5 * 1024 * 1024
SHOWN = 100  # characters of a value shown in the table
# What an article must carry (the contract's required fields), from the listing or the page.
REQUIRED_FACTS = ("title", "published_at")
CONTENT_TYPES = {"json": "application/json", "html": "text/html", "feed": "application/xml"}


def check_profile(settings: BaseSettings, opts: argparse.Namespace, out: IO[str]) -> int:
    """Print the report; the exit status: 0 good, 1 a required field matched nothing, 2 a bad profile."""
    try:
        profile = find_profile(opts.source, settings.get("SOURCES_DIR"))
        now = when(opts.now)
    except ConfigError as exc:
        print(f"error: {exc}", file=out)
        return 2
    listing_url = opts.url or first_listing_url(profile)
    out.write(f"Profile {profile.name} ({profile.path}): a {profile.listing.kind} listing\n")
    out.write(f"Listing {opts.listing}, read as {listing_url}\n")
    try:
        return report(profile, opts, listing_url, now, out)
    except ConfigError as exc:  # a saved file that cannot be read
        print(f"error: {exc}", file=out)
        return 2


def report(profile: SourceProfile, opts: argparse.Namespace, listing_url: str, now: datetime, out: IO[str]) -> int:
    try:
        page = listing_page_object(profile).parse_response(saved(opts.listing, listing_url, profile), now)
    except ListingError as exc:
        out.write(f"  not a usable listing ({exc.reason}): {exc}\n")
        return 1
    failed = report_listing(profile, page, out)
    facts_found = {name for name in REQUIRED_FACTS if any(entry_value(e, name) for e in page.entries)}
    if opts.article:
        article_url = opts.article_url or (page.entries[0].url if page.entries else listing_url)
        detail = report_article(profile, opts.article, article_url, now, out)
        failed |= detail.content_html is None
        facts_found |= {name for name in REQUIRED_FACTS if getattr(detail, name)}
    missing = [name for name in REQUIRED_FACTS if name not in facts_found]
    # Without the page, a fact the listing lacks may still come from the page's own rule.
    maybe = [] if opts.article or not profile.article.fetch else [n for n in missing if n in profile.article.fields]
    nowhere = [name for name in missing if name not in maybe]
    if nowhere:
        out.write(f"Required for every article, found nowhere: {', '.join(nowhere)}\n")
        failed = True
    if maybe:
        out.write(f"Not in the listing: {', '.join(maybe)} (article.fields has a rule: give a saved article page "
                  "to check it)\n")
    return 1 if failed else 0


def find_profile(given: str, sources_dir: str | None) -> SourceProfile:
    """A profile file by its path, else a profile by its name."""
    path = Path(given)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_profile(path)
    return load_profiles(sources_dir).get(given)


def when(text: str | None) -> datetime:
    if not text:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(f"--now={text!r}: expected an ISO 8601 time with a zone, such as 2024-05-20T15:00+08:00")
    return moment.astimezone(timezone.utc)


def first_listing_url(profile: SourceProfile) -> str:
    channel = next(iter(profile.listing.channels), "")
    template = profile.listing.paging.first_url or profile.listing.url
    return template.format(channel=channel, page=1, limit=profile.listing.paging.per_page)


def saved(file: str, url: str, profile: SourceProfile | None) -> Response:
    """The saved file as the response it came in: a listing of the profile's kind, else an HTML page."""
    path = Path(file)
    try:
        with path.open("rb") as handle:
            body = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    if len(body) > MAX_FILE_BYTES:
        raise ConfigError(f"{file}: larger than {MAX_FILE_BYTES} bytes")
    kind = CONTENT_TYPES[profile.listing.kind] if profile is not None else "text/html"
    headers = {"Content-Type": kind}
    return responsetypes.from_args(headers=headers, url=url, body=body)(url=url, headers=headers, body=body)


def entry_value(entry: ListingEntry, field: str) -> Any:
    """The value an entry holds for one of the profile's listing fields."""
    if field == "id":
        return entry.source_id
    if field in ("read", "comment", "share", "like"):
        return entry.counts.get(field)
    value = getattr(entry, field)
    return value.isoformat() if isinstance(value, datetime) else value


def shown(value: Any) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def report_listing(profile: SourceProfile, page: ListingPage, out: IO[str]) -> bool:
    """The table of entries and the rules that matched nothing; True when id and url gave no entry."""
    fields = list(profile.listing.fields)
    out.write(f"  {len(page.entries)} entries, {page.skipped} skipped by listing.skip, "
              f"{page.invalid} without a usable id or url\n")
    width = max(len(f) for f in fields)
    for number, entry in enumerate(page.entries, 1):
        for row, field in enumerate(fields):
            value = entry_value(entry, field)
            if value in (None, (), "", False):
                continue
            out.write(f"  {str(number) if row == 0 else '':>4}  {field:<{width}}  {shown(value)}\n")
    if page.next_url:
        out.write(f"  next page: {page.next_url}\n")
    for problem, count in sorted(page.problems.items()):
        out.write(f"  {problem}: {count}\n")
    empty = [f for f in fields if not any(entry_value(e, f) for e in page.entries)]
    if empty:
        out.write("Rules that matched nothing:\n")
        for field in empty:
            queries = ", ".join(a.query.text if a.query else "(the URL)" for a in profile.listing.fields[field])
            out.write(f"  listing.fields.{field}: {queries}\n")
    return not page.entries


def report_article(profile: SourceProfile, file: str, url: str, now: datetime, out: IO[str]) -> DetailPage:
    out.write(f"Article page {file}, read as {url}\n")
    response = saved(file, url, None)
    if not isinstance(response, TextResponse):
        raise ConfigError(f"{file}: not an HTML page")
    page = article_page_object(profile).parse_response(response, now)
    bodies = ", ".join(q.text for q in profile.article.body)
    if page.content_html is None:
        out.write(f"  body: matched nothing ({bodies})\n")
    else:
        out.write(f"  body ({bodies}): {len(page.content_html)} characters of HTML: {shown(page.content_html)}\n")
    for name in ("title", "summary", "author", "published_at", "tags", "like"):
        rule = profile.article.fields.get(name)
        value = getattr(page, name)
        if rule is None:
            continue
        value = value.isoformat() if isinstance(value, datetime) else value
        queries = ", ".join(a.query.text for a in rule if a.query)
        out.write(f"  {name}: {shown(value) if value else f'matched nothing ({queries})'}\n")
    if page.bad_base is not None:
        out.write(f"  <base href={page.bad_base!r}> is unusable: relative URLs resolve against the page URL\n")
    for problem, count in sorted(page.problems.items()):
        out.write(f"  {problem}: {count}\n")
    return page
