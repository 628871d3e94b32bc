"""Whole numbers written in ASCII digits: the one reading of a number from text, a listing or a -a."""

from __future__ import annotations

from typing import Any

# More digits than a 64-bit counter holds is no count, no id and no page number.
MAX_DIGITS = 18


def to_int(value: Any) -> int | None:
    """'2344' -> 2344; anything that is not a whole number in ASCII digits -> None.

    Python's ``int()`` also reads "1_0" as 10, signs, and digits of other scripts ("１", "١").

    >>> [to_int(v) for v in ("2344", 7, " 12 ", "", None, "1.2万", True, "²", "9" * 5000)]
    [2344, 7, 12, None, None, None, None, None, None]
    >>> [to_int(v) for v in ("1_0", "１", "١", "+1", "-1", "0x10")]
    [None, None, None, None, None, None]
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    # ASCII digits only ("²".isdigit() is True), and no more than a counter can hold.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS else None
