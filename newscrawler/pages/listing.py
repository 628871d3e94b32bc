"""Parse one response of the 趣头条 listing API (``/content/outList``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from newscrawler.urls import canonical_url, is_http_url, unescape_url

AD_TIPS = "广告"
# content_type "5" is a sponsored download card that carries an id and a URL.
AD_CONTENT_TYPES = frozenset({"5"})


class ListingError(Exception):
    """A listing page that cannot be used. ``reason`` is a short stats key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ListingEntry:
    """One non-ad entry: its id, URLs and the raw API dict."""

    source_id: str
    url: str
    canonical_url: str
    raw: dict[str, Any]


@dataclass
class ListingPage:
    entries: list[ListingEntry] = field(default_factory=list)
    ads: int = 0
    invalid: int = 0

    @property
    def is_empty(self) -> bool:
        """No entry at all (ads included): the channel has no more pages."""
        return not (self.entries or self.ads or self.invalid)


def is_ad(raw: dict[str, Any]) -> bool:
    """Ads come as ``type: "ad"`` slots, or as sponsored cards tipped 广告."""
    return (
        raw.get("type") == "ad"
        or raw.get("tips") == AD_TIPS
        or str(raw.get("content_type", "")) in AD_CONTENT_TYPES
    )


def parse_listing(body: bytes | str) -> ListingPage:
    """Turn a listing body into entries; raise ListingError when unusable.

    Captures from 2016 sometimes lack ``code``/``message``: a body with a
    ``data`` object and no ``code`` counts as a success.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8-sig", errors="replace")
    if not body.strip():
        raise ListingError("empty_body", "empty body")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise ListingError("malformed_json", f"malformed JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ListingError("unexpected_shape", f"top level is {type(doc).__name__}, not an object")
    code = doc.get("code", 0)
    if str(code) != "0":
        raise ListingError("api_error", f"API code {code}: {doc.get('message', '')}")
    data = doc.get("data")
    if isinstance(data, list) and not data:
        return ListingPage()  # some API versions send "data": [] past the last page
    if not isinstance(data, dict) or not isinstance(data.get("data", []), list):
        raise ListingError("unexpected_shape", "no data.data list in the response")
    page = ListingPage()
    for raw in data.get("data") or []:
        if not isinstance(raw, dict):
            page.invalid += 1
        elif is_ad(raw):
            page.ads += 1
        else:
            url = unescape_url(str(raw.get("url") or ""))
            if not str(raw.get("id") or "").strip() or not is_http_url(url):
                page.invalid += 1
            else:
                page.entries.append(ListingEntry(str(raw["id"]).strip(), url, canonical_url(url), raw))
    return page
