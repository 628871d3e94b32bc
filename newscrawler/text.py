"""Characters no stored text may hold, whatever a listing or page sent, and those XML cannot carry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Lone surrogates cannot be encoded (UnicodeEncodeError in every store and export); the
# noncharacters U+FFFE and U+FFFF are no XML characters (lxml refuses them, so does RSS).
_NEVER = "\ud800-\udfff\ufffe\uffff"
# In stored text, C0 controls other than tab and newline are invisible junk or terminal escapes.
# The HTML parser decodes character references (``&#14;``) into any of them.
_UNWANTED = re.compile(f"[\x00-\x08\x0b-\x1f{_NEVER}]")
# XML 1.0 cannot carry C0 controls but tab, newline and carriage return at all, even escaped; it
# asks documents to avoid the C1 controls (2.2), which feed readers turn into other characters:
# feedparser reads U+0080 as "€" and U+0085 as "…", as windows-1252.
_NOT_XML = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_NEVER}]")


def scrub(text: str) -> str:
    """Drop lone surrogates, C0 controls except tab and newline, U+FFFE and U+FFFF.

    >>> scrub("a\\x00b\\tc\\nd\\ud800e\\x1b[31m\\ufffe")
    'ab\\tc\\nde[31m'
    """
    return _UNWANTED.sub("", text)


def needs_scrub(text: str) -> bool:
    """True when ``scrub`` would change ``text``.

    >>> needs_scrub("正文\\n"), needs_scrub(" \\x0ejavascript:")
    (False, True)
    """
    return _UNWANTED.search(text) is not None


def xml_text(value: Any) -> str:
    """``value`` as text an XML document (an RSS feed) can carry.

    >>> xml_text("a\\x00b\\r\\n\\x85c\\ufffe")
    'ab\\r\\nc'
    """
    return _NOT_XML.sub("", str(value))


def utf8_length(text: str) -> int:
    """``len(text.encode())`` without a copy of a large text.

    >>> utf8_length("a&amp;"), utf8_length("正文" * 40_000)
    (6, 240000)
    """
    if text.isascii():
        return len(text)
    return sum(len(text[i:i + 65536].encode("utf-8", "surrogatepass")) for i in range(0, len(text), 65536))


def body_bytes(html: str, text: str, image_urls: Iterable[str]) -> int:
    """What an article's body takes in its stored document, in UTF-8: its HTML, its text and its
    image URLs (MAX_BODY_BYTES bounds it, in the body stage and in replay's trust check)."""
    return utf8_length(html) + utf8_length(text) + sum(utf8_length(url) for url in image_urls)
