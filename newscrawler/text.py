"""Characters no stored text may hold, whatever a listing or page sent."""

from __future__ import annotations

import re

# Lone surrogates cannot be encoded (UnicodeEncodeError in every store and export);
# C0 controls other than tab and newline are invisible junk or terminal escapes.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")


def scrub(text: str) -> str:
    """Drop lone surrogates and C0 controls except tab and newline.

    >>> scrub("a\\x00b\\tc\\nd\\ud800e\\x1b[31m")
    'ab\\tc\\nde[31m'
    """
    return _UNWANTED.sub("", text)
