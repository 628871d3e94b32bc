"""Characters no stored text may hold, whatever a listing or page sent."""

from __future__ import annotations

import re

# Lone surrogates cannot be encoded (UnicodeEncodeError in every store and export);
# C0 controls other than tab and newline are invisible junk or terminal escapes; the
# noncharacters U+FFFE and U+FFFF are no XML characters (lxml refuses them, so does RSS).
# The HTML parser decodes character references (``&#14;``) into any of them.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


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
