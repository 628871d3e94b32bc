"""One rule per listing field: JSON of any shape in, the contract's type out.

Each rule returns ``(value, problem)``: ``problem`` is None for a value taken
as it came (or plainly absent) and a short word when the listing sent
something of the wrong kind, so the caller can count it under the field.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from w3lib.html import replace_entities

from newscrawler.dates import from_epoch, is_plausible
from newscrawler.text import scrub

Checked = tuple[Any, str | None]


def text_field(value: Any) -> Checked:
    """Strings as they are, numbers as decimal text; anything else is missing.

    >>> [text_field(v)[0] for v in ("标题", 12, 1.5, None, [1], {"k": "v"}, True, float("nan"))]
    ['标题', '12', '1.5', None, None, None, None, None]
    """
    if value is None:
        return None, None
    if isinstance(value, str):
        return scrub(value), None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    if isinstance(value, float) and math.isfinite(value):
        return repr(value), None
    return None, "wrong_type"


def id_field(value: Any) -> Checked:
    """A non-empty string or integer: trimmed, entities unescaped once.

    >>> [id_field(v)[0] for v in (" 221131 ", 221131, 7.0, "a&amp;b", "&nbsp;", True, 1.5, {"a": 1}, "")]
    ['221131', '221131', '7', 'a&b', None, None, None, None, None]
    """
    if isinstance(value, bool):
        return None, "wrong_type"
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            return None, "wrong_type"
        value = int(value)
    if isinstance(value, int):
        return str(value), None
    if not isinstance(value, str):
        return None, "wrong_type" if value is not None else "missing"
    text = scrub(replace_entities(value)).strip()
    return (text, None) if text else (None, "blank")


def string_list(value: Any) -> Checked:
    """A list of strings or one string; other members are dropped, other kinds give [].

    >>> [string_list(v) for v in (["a", " "], "a", ["a", 5], 5, None, {"a": 1})]
    [(['a', ' '], None), (['a'], None), (['a'], 'wrong_type'), ([], 'wrong_type'), ([], None), ([], 'wrong_type')]
    """
    if value is None:
        return [], None
    if isinstance(value, str):
        return [scrub(value)], None
    if not isinstance(value, list):
        return [], "wrong_type"
    strings = [scrub(v) for v in value if isinstance(v, str)]
    return strings, None if len(strings) == len(value) else "wrong_type"


def timestamp_field(value: Any, now: datetime) -> Checked:
    """An epoch (s or ms, number or digits) inside 1990 .. now + 2 days, as a UTC datetime.

    ``None``, ``""`` and ``0`` mean "not given"; anything else unusable is a problem.
    """
    if value is None or value in ("", "0") or (isinstance(value, (int, float)) and value == 0):
        return None, None
    if isinstance(value, bool):
        return None, "wrong_type"
    if not isinstance(value, (str, int, float)):
        return None, "wrong_type"
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        return None, "wrong_type"
    except OverflowError:  # an integer too big for a float
        return None, "out_of_range"
    moment = from_epoch(number)
    if moment is None or not is_plausible(moment, now):
        return None, "out_of_range"
    return moment, None
