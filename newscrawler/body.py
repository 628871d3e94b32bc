"""Clean an article body: lazy images, absolute URLs, page furniture out, then nh3.

The body is parsed once with lxml (the detail page's own tree, or the
fragment an item carries), with limits that cover real pages; every edit
works on that tree. nh3 (ammonia) then sanitizes the serialized result as
the last word on what may reach a reader's browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urljoin

import lxml.html
import nh3
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, XMLSyntaxError

from newscrawler.images import original, proxied
from newscrawler.text import scrub
from newscrawler.urls import is_http_url

LAZY_ATTRIBUTES = ("data-src", "data-original", "data-lazy-src", "data-actualsrc")
# Characters no real image URL holds, but script-URL tricks do (`javascript:...`).
SUSPICIOUS_URL = re.compile(r"[`'\"<>\x00-\x1f]|script:", re.IGNORECASE)
PLACEHOLDER = re.compile(r"(^data:)|(/(loading|blank|placeholder|lazy|grey|default)[^/]*\.(gif|png|jpe?g|svg)$)", re.I)
BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "figure", "figcaption", "pre", "hr")

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "em", "strong", "b", "i", "u", "s", "sub", "sup", "mark", "small", "blockquote", "q", "cite",
    "pre", "code", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
    "figure", "figcaption", "a", "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "data-size", "referrerpolicy"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https"}


def sanitize(html: str) -> str:
    """nh3 with the project's allowlists: the last word on what may reach a reader's browser.

    Sanitizing its own output changes nothing, so replay tells a stored-as-cleaned body by it.
    """
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


class UnparseableBody(ValueError):
    """The parser gave up part way (nesting or text past even huge_tree's limits)."""


def html_parser() -> lxml.html.HTMLParser:
    """huge_tree lifts libxml2's depth (256) and text-run (10 MB) limits that real pages cross.

    A parser per document: its ``error_log`` tells whether that parse gave up.
    """
    return lxml.html.HTMLParser(huge_tree=True, encoding="utf-8")


def fatal_errors(parser: lxml.html.HTMLParser) -> str | None:
    """The parser's reason for stopping early, if it did: the tree is then truncated."""
    fatal = [e.message.strip() for e in parser.error_log if e.level_name == "FATAL"]
    return "; ".join(fatal) or None


class ParsedBody(str):
    """A body element's inner HTML as text, carrying the element itself.

    The spider parses the page once; the body pipeline cleans this element
    instead of parsing the text again. Everything else sees a plain string.
    """

    element: lxml.html.HtmlElement | None
    base_url: str
    error: str | None

    def __new__(cls, element: lxml.html.HtmlElement, base_url: str, error: str | None = None) -> ParsedBody:
        body = super().__new__(cls, inner_html(element))
        body.element, body.base_url, body.error = element, base_url, error
        return body

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return str, (str(self),)  # copies and pickles are plain text


def inner_html(element: lxml.html.HtmlElement) -> str:
    """The element's content, its own tag left out."""
    text = escape(element.text or "", quote=False)
    return text + "".join(lxml.html.tostring(child, encoding="unicode") for child in element)


@dataclass(frozen=True)
class CleanBody:
    html: str
    text: str
    image_urls: list[str] = field(default_factory=list)  # originals, absolute, in order
    images: list[str] = field(default_factory=list)  # as written in ``html`` (proxied)


class BodyCleaner:
    """Reusable cleaner: selectors are compiled once per crawl."""

    def __init__(self, drop_selectors: Iterable[str], proxy_prefix: str = "") -> None:
        # One grouped selector: one compiled XPath run over the tree, not one per selector.
        selectors = [s.strip() for s in drop_selectors if s.strip()]
        self.drop = CSSSelector(", ".join(selectors)) if selectors else None
        self.proxy_prefix = proxy_prefix

    def clean(self, fragment: str | None, base_url: str) -> CleanBody:
        """Clean a body: a ``ParsedBody`` in place (against its own base URL), text after one parse.

        Raises UnparseableBody when the parser stopped early: a truncated body is never cleaned.
        """
        if not fragment or not fragment.strip():
            return CleanBody("", "")
        if isinstance(fragment, ParsedBody) and fragment.element is not None:
            if fragment.error:
                raise UnparseableBody(fragment.error)
            root, base_url = fragment.element, fragment.base_url or base_url
            fragment.element = None  # cleaned in place: once only
        else:
            root = self._parse(fragment)
        self._drop_furniture(root)
        image_urls, images = self._fix_images(root, base_url)
        self._fix_links(root, base_url)
        html = sanitize(inner_html(root).strip())
        return CleanBody(html, _readable_text(root), image_urls, images)

    @staticmethod
    def _parse(fragment: str) -> lxml.html.HtmlElement:
        parser = html_parser()
        try:
            # Control characters lxml keeps from bytes but refuses when the tree is edited.
            root = lxml.html.fragment_fromstring(scrub(fragment).encode("utf-8"), create_parent="div", parser=parser)
        except (ParserError, XMLSyntaxError) as exc:
            raise UnparseableBody(str(exc)) from None
        error = fatal_errors(parser)
        if error:
            raise UnparseableBody(error)
        return root

    def _drop_furniture(self, root: lxml.html.HtmlElement) -> None:
        if self.drop is None:
            return
        for element in self.drop(root):
            if element is not root:
                element.drop_tree()  # keeps the tail text

    def _fix_images(self, root: lxml.html.HtmlElement, base_url: str) -> tuple[list[str], list[str]]:
        originals: list[str] = []
        written: list[str] = []
        for img in list(root.iter("img")):
            src = _image_source(img)
            url = "" if not src or SUSPICIOUS_URL.search(src) else original(urljoin(base_url, src), self.proxy_prefix)
            if not is_http_url(url):
                img.drop_tree()  # a placeholder or script URL with nothing behind it
                continue
            shown = proxied(url, self.proxy_prefix)
            _set_source(img, shown)
            if url not in originals:
                originals.append(url)
            written.append(shown)
        return originals, written

    def _fix_links(self, root: lxml.html.HtmlElement, base_url: str) -> None:
        for a in root.iter("a"):
            href = (a.get("href") or "").strip()
            if href:
                a.set("href", urljoin(base_url, href))
            elif "href" in a.attrib:
                del a.attrib["href"]  # an empty link points at the reader's own page: no link


def _image_source(img: lxml.html.HtmlElement) -> str:
    """The real image URL: a lazy attribute wins over a placeholder ``src``."""
    for name in LAZY_ATTRIBUTES:
        if (img.get(name) or "").strip():
            return img.get(name).strip()
    src = (img.get("src") or "").strip()
    return "" if PLACEHOLDER.search(src) else src


def _set_source(img: lxml.html.HtmlElement, url: str) -> None:
    """``src`` where the page had it (or its lazy stand-in); referrerpolicy last."""
    attributes: list[tuple[str, str]] = []
    placed = False
    for name, value in img.attrib.items():
        if name == "src" or name in LAZY_ATTRIBUTES:
            if not placed:
                attributes.append(("src", url))
                placed = True
        elif name != "referrerpolicy":
            attributes.append((name, value))
    if not placed:
        attributes.insert(0, ("src", url))
    img.attrib.clear()
    for name, value in attributes + [("referrerpolicy", "no-referrer")]:
        img.set(name, value)


def _readable_text(root: lxml.html.HtmlElement) -> str:
    """Text with a line per block; runs the tree after serialization, as it edits tails."""
    for element in root.iter(*BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)
