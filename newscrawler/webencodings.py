"""The encodings of the web: the only ones a page, or a feed, is ever read in.

Python has codecs no browser knows: ``idna`` refuses the error handler Scrapy decodes with,
``rot13``, ``base64`` or ``uu`` are not text encodings at all, ``unicode-escape``, ``utf-32`` or
``utf-7`` quietly garble a page (UTF-7 reads ``+ADw-script+AD4-`` as ``<script>``). Browsers
know only the encodings of the WHATWG Encoding Standard; so do the charset middleware
(``middlewares/charsets.py``) and the feed listing (``pages/feed_listing.py``).
"""

from __future__ import annotations

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

# The encodings of https://encoding.spec.whatwg.org/#names-and-labels, by their names there.
# w3lib resolves each to the Python codec it decodes with (windows-1252 for "latin1" and
# "ascii", gb18030 for "gbk"...); "replacement", "x-user-defined", "ISO-8859-8-I" and
# "x-mac-cyrillic" have no Python codec under those names, so labels naming them are
# unknown to w3lib already, and Scrapy skips them.
WHATWG_ENCODINGS = (
    "UTF-8", "IBM866", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5", "ISO-8859-6",
    "ISO-8859-7", "ISO-8859-8", "ISO-8859-10", "ISO-8859-13", "ISO-8859-14", "ISO-8859-15",
    "ISO-8859-16", "KOI8-R", "KOI8-U", "macintosh", "windows-874", "windows-1250", "windows-1251",
    "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256", "windows-1257",
    "windows-1258", "GBK", "gb18030", "Big5", "EUC-JP", "ISO-2022-JP", "Shift_JIS", "EUC-KR",
    "UTF-16BE", "UTF-16LE", "UTF-16",
)
WEB_ENCODINGS = frozenset(filter(None, map(resolve_encoding, WHATWG_ENCODINGS)))
# A <meta> can only be read in an ASCII-compatible encoding, so one naming UTF-16 is wrong about
# the very bytes it sits in: HTML's prescan reads such a page as UTF-8.
UTF_16 = frozenset(filter(None, map(resolve_encoding, ("UTF-16", "UTF-16LE", "UTF-16BE"))))


def is_web_encoding(codec: str | None) -> bool:
    """True for a codec (as w3lib resolves a label) that a browser would decode with.

    >>> [is_web_encoding(resolve_encoding(label)) for label in ("utf8", "GB2312", "latin-1", "idna", "rot13", "utf-32")]
    [True, True, True, False, False, False]
    """
    return codec in WEB_ENCODINGS


def meta_encoding(body: bytes) -> str | None:
    """The ``<meta>`` charset as HTML's prescan takes it: a UTF-16 label there means UTF-8.

    >>> meta_encoding(b'<meta charset="utf-16"><p>x</p>'), meta_encoding(b'<meta charset="gbk">')
    ('utf-8', 'gb18030')
    """
    meta = html_body_declared_encoding(body)
    return "utf-8" if meta in UTF_16 else meta


def fallback_encoding(body: bytes) -> tuple[str, str]:
    """The encoding to read a body whose declared charset is unusable, and where it came from."""
    meta = meta_encoding(body)
    if meta is not None and is_web_encoding(meta):
        return meta, "its <meta> charset"
    try:
        body.decode("utf-8")
        return "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    match = from_bytes(body, cp_isolation=sorted(WEB_ENCODINGS)).best()
    detected = resolve_encoding(match.encoding) if match else None
    if detected is not None and is_web_encoding(detected):
        return detected, "detected"
    return "utf-8", "UTF-8 with replacement characters"  # nothing fits: never fails
