"""Articles as stored documents: the item contract plus bookkeeping, and their JSON form."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from itemadapter import ItemAdapter
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from newscrawler.dates import is_plausible
from newscrawler.items import ARTICLE_FIELDS, CONTENT_FIELDS, CONTRACT, article_id, article_schema
from newscrawler.pages.body import sanitize, unproxied_image
from newscrawler.text import body_bytes
from newscrawler.urls import is_http_url

# The store's own bookkeeping beside the contract's fields.
BOOKKEEPING_DATES = ("first_seen_at", "updated_at")
DATE_FIELDS = (*CONTRACT.dates, *BOOKKEEPING_DATES)
# Fields a reader's browser loads or follows: http(s) only, as the pipelines write them.
URL_FIELDS = CONTRACT.urls
STORABLE_FIELDS = frozenset(ARTICLE_FIELDS) | {"content_hash"}
# The integers both stores hold (SQLite's INTEGER, BSON's int64): a larger one is refused by
# their encoders, so it is a bad document, not a store failure.
INT64 = range(-(2**63), 2**63)
SCHEMA = Draft202012Validator(article_schema())


def iso(value: datetime) -> str:
    """ISO 8601 in UTC, the text form of every date we write."""
    return value.astimezone(timezone.utc).isoformat()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, default=_default, sort_keys=False)


def to_json_line(doc: dict[str, Any]) -> str:
    """One JSON line that any UTF-8 file can take: text that UTF-8 cannot encode (a lone
    surrogate) is written as a JSON escape, so the document survives exactly as it was."""
    line = to_json(doc)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(doc, ensure_ascii=True, default=_default)
    return line


class BadDocument(ValueError):
    """A JSON text that is not a storable article; the message is the reason."""


def from_json(text: str) -> dict[str, Any]:
    """Parse a JSON document back, dates included; BadDocument says what is wrong."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise BadDocument("not JSON") from None
    except RecursionError:  # arrays or objects nested deeper than the parser's stack
        raise BadDocument("not JSON (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise BadDocument(f"not a JSON object (a {type(doc).__name__})")
    for name in ("id", "content_hash"):
        if not isinstance(doc.get(name), str) or not doc[name]:
            raise BadDocument(f"missing {name}")
    for name in DATE_FIELDS:
        value = doc.get(name)
        if value is None:
            continue
        try:
            doc[name] = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            raise BadDocument(f"bad date in {name}: {value!r}") from None
        if doc[name].tzinfo is None:
            raise BadDocument(f"bad date in {name}: {value!r} has no time zone")
        try:  # stored and written back in UTC (iso), which year 1 or 9999 with an offset leaves
            doc[name].astimezone(timezone.utc)
        except OverflowError:
            raise BadDocument(f"bad date in {name}: {value!r} is out of range in UTC") from None
    return doc


def with_defaults(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with every optional contract field it lacks set to the field's default: a field
    added to the contract after ``doc`` was written (a dead letter, an old stored copy) is
    optional on the way in. A required field it lacks stays missing (check_storable says so)."""
    for name in ARTICLE_FIELDS:
        if name not in doc and name not in CONTRACT.required:
            doc[name] = CONTRACT.default(name)
    return doc


def check_storable(doc: dict[str, Any], proxy: str = "", max_body_bytes: int | None = None) -> None:
    """BadDocument unless ``doc`` (read by from_json, its missing fields filled by with_defaults)
    is what the pipelines store: the contract's schema (items.article_schema), its id built from
    its source and source id, a publication time the normalize stage keeps, http(s) URLs, a body
    the sanitizer leaves as it is, every image a reader loads through ``proxy`` (CORS_PROXY, when set), and a body within ``max_body_bytes``."""
    unknown = sorted(set(doc) - STORABLE_FIELDS)
    if unknown:
        raise BadDocument(f"unknown field {unknown[0]}")
    error = best_match(SCHEMA.iter_errors(doc))
    if error is not None:
        raise BadDocument(_contract_reason(error))
    # The key the pipelines build; source_id is optional in the contract: without it, the id's
    # own native part stands in for it.
    source_id = doc["source_id"] if doc["source_id"] is not None else doc["id"].partition(":")[2]
    if doc["id"] != article_id(doc["source"], source_id):
        raise BadDocument("id is not article_id(source, source_id)")
    # A crawl time is when a crawl ran: never ahead of now (a copy dated in the future would win
    # over every later crawl of the article, newest wins). The normalize stage keeps a publication
    # time only from 1990 to two days past the crawl.
    now = datetime.now(timezone.utc)
    if isinstance(doc.get("crawled_at"), datetime) and not is_plausible(doc["crawled_at"], now):
        raise BadDocument(f"crawled_at {iso(doc['crawled_at'])} is outside 1990 .. now + 2 days")
    published, crawled = doc["published_at"], doc.get("crawled_at") or now
    if isinstance(published, datetime) and isinstance(crawled, datetime) and not is_plausible(published, crawled):
        raise BadDocument(f"published_at {iso(published)} is outside 1990 .. crawled_at + 2 days")
    for name, value in doc.items():
        _check_encodable(name, value)
    for name in URL_FIELDS:
        values = doc[name] if isinstance(doc[name], list) else [doc[name]]
        for index, url in enumerate(values):
            if url is not None and not is_http_url(url):
                where = f"{name}[{index}]" if isinstance(doc[name], list) else name
                raise BadDocument(f"{where} is not an http(s) URL")
    if sanitize(doc["content_html"]) != doc["content_html"]:
        raise BadDocument("content_html is not sanitized")
    if proxy:
        _check_proxied(doc, proxy)
    if max_body_bytes is not None:
        size = body_bytes(doc["content_html"], doc["content_text"] or "", doc["image_urls"])
        if size > max_body_bytes:
            raise BadDocument(f"body too large: {size} bytes > MAX_BODY_BYTES {max_body_bytes}")


def _check_proxied(doc: dict[str, Any], proxy: str) -> None:
    """BadDocument unless every image a reader's browser loads (the body's, the covers, the
    headimg) goes through the CORS proxy, as the body stage writes them."""
    if unproxied_image(doc["content_html"], proxy):
        raise BadDocument("content_html has an image not through the proxy")
    for index, cover in enumerate(doc["cover_images"]):
        if not cover.startswith(proxy):
            raise BadDocument(f"cover_images[{index}] is not through the proxy")
    if doc["headimg"] is not None and not doc["headimg"].startswith(proxy):
        raise BadDocument("headimg is not through the proxy")


def _check_encodable(where: str, value: Any) -> None:
    r"""BadDocument if a store's encoder would refuse ``value``: text UTF-8 cannot encode (a lone
    surrogate, which JSON can spell as an escape) or an integer beyond 64 bits.

    >>> _check_encodable("title", "标题\udc80")
    Traceback (most recent call last):
    ...
    newscrawler.storage.documents.BadDocument: bad text in title: not UTF-8 (a lone surrogate)
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadDocument(f"bad text in {where}: not UTF-8 (a lone surrogate)") from None
    elif isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        raise BadDocument(f"bad value in {where}: beyond a 64-bit integer")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_encodable(f"{where}[{index}]", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_encodable(f"{where} (a key)", key)
            _check_encodable(f"{where}.{key}", item)


def _contract_reason(error: ValidationError) -> str:
    """The reason without the value (a poisoned value may be megabytes long): field and expectation."""
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)[1:]
    field = error.absolute_path[0] if error.absolute_path else None
    if error.validator == "required":
        return f"missing {next(name for name in error.validator_value if name not in error.instance)}"
    if error.validator == "pattern" and field == "source":
        return "bad value in source: expected a source's name"
    if error.validator == "pattern" and field in URL_FIELDS:
        return f"{where} is not an http(s) URL"
    if error.validator == "pattern":
        return f"empty {where}"
    if error.validator == "not" and field in DATE_FIELDS:  # null where a date is required
        return f"missing {where}" if error.instance is None else f"bad date in {where}"
    if error.validator == "type":
        expected = error.validator_value
        return f"bad type in {where}: expected {' or '.join([expected] if isinstance(expected, str) else expected)}"
    if error.validator == "enum":
        return f"bad value in {where}: expected one of {', '.join(map(repr, error.validator_value))}"
    return f"bad value in {where}: {error.validator} {error.validator_value!r}"


def content_hash(doc: dict[str, Any]) -> str:
    material = to_json({name: doc.get(name) for name in CONTENT_FIELDS})
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def to_document(item: Any) -> dict[str, Any]:
    """The item's contract fields (nothing else) and its content hash.

    Dates are cut to milliseconds, BSON's precision, so both stores hold the same.
    """
    adapter = ItemAdapter(item)
    doc = {name: adapter.get(name) for name in ARTICLE_FIELDS}
    for name in DATE_FIELDS:
        if isinstance(doc.get(name), datetime):
            doc[name] = doc[name].replace(microsecond=doc[name].microsecond // 1000 * 1000)
    doc["content_hash"] = content_hash(doc)
    return doc


def contract_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """What data teams get back: the item contract's fields, in order."""
    return {name: doc.get(name) for name in ARTICLE_FIELDS}
