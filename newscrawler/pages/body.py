"""Clean an article body: lazy images, absolute URLs, page furniture out, then nh3.

The body is parsed once with lxml (the detail page's own tree, or the
fragment an item carries), with limits that cover real pages; every edit
works on that tree. nh3 (ammonia) then sanitizes the serialized result as
the last word on what may reach a reader's browser.

One bad piece costs only itself: a link or image whose URL does not parse, or
holds a control character, is dropped (a link keeps its text) and reported in
``CleanBody.dropped``; the rest of the body is kept. Every step is linear in
the size of the body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import lxml.html
import nh3
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, XMLSyntaxError
from w3lib.html import replace_entities

from newscrawler.pages.images import original, proxied_http
from newscrawler.sources.profile import DEFAULT_LAZY_IMAGES
from newscrawler.sources.queries import CSS, Query, compile_query
from newscrawler.text import needs_scrub, scrub
from newscrawler.urls import Resolver

# Characters no real image URL holds, but script-URL tricks do (`javascript:...`).
SUSPICIOUS_URL = re.compile(r"[`'\"<>\x00-\x1f]|script:", re.IGNORECASE)
# A CSS selector that is only a tag name ("script", "iframe").
TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
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
# Elements whose content HTML parsers read as raw text (or as markup only with scripts or plugins
# off, as <noscript>): none holds article text, and their content, kept as text, would come out
# escaped twice (or as markup made visible). Each goes with its content: in the cleaner whatever
# BODY_DROP_SELECTORS says, and in sanitize (nh3's clean_content_tags).
RAW_TEXT_TAGS = ("script", "style", "noscript", "noembed", "noframes", "xmp", "iframe", "plaintext")
# Why a piece of a body was dropped (stats ``body/dropped/<reason>``).
BAD_URL, CONTROL_CHAR, PARSER_DIFFERENCE = "bad_url", "control_char", "parser_difference"


# An image's address in sanitized HTML: nh3 writes every attribute value in double quotes.
IMAGE_SOURCE = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


def unproxied_image(html: str, proxy: str) -> bool:
    """Whether sanitized ``html`` holds an image a reader's browser would load other than through ``proxy``."""
    return any(not replace_entities(source[1]).startswith(proxy) for source in IMAGE_SOURCE.finditer(html))


def sanitize(html: str) -> str:
    r"""nh3 with the project's allowlists: the last word on what may reach a reader's browser.

    Sanitizing its own output changes nothing, so replay tells a stored-as-cleaned body by it.
    Characters no stored text may hold go, before nh3 (a lone surrogate cannot even reach it)
    and after (it decodes references such as ``&#13;`` into them). A parser drops the line
    break right after ``<pre>``; nh3 writes none back, so a ``<pre>`` whose text starts with one
    gets it again (``<pre>`` takes no attribute here: the tag is always written so).

    >>> sanitize("<pre>\n\nx</pre>")
    '<pre>\n\nx</pre>'
    """
    return _clean(html, None)


# Passes of nh3 that bring any body to a fixed point (two do for every case found so far).
SANITIZE_PASSES = 4


def stable_sanitize(html: str) -> str:
    """``sanitize`` until it changes nothing more: what the body stage stores is then what replay
    and every reader's check (``sanitize(x) == x``) take back. One pass is not always a fixed point:
    nh3 unwraps an element it does not allow and keeps its children, which can leave a nesting
    (``<dt><section><dt>`` becomes ``<dt><dt></dt></dt>``) that its parser reads differently next time."""
    for _ in range(SANITIZE_PASSES):
        cleaned = sanitize(html)
        if cleaned == html:
            break
        html = cleaned
    return html


def sanitize_images_through(html: str, proxy: str) -> str:
    """``sanitize``, every image not loaded through ``proxy`` left without a source (and so dropped
    by any browser): what nh3's parser (html5ever) reads as an image, whatever lxml read."""
    def keep(tag: str, attribute: str, value: str) -> str | None:
        return None if tag == "img" and attribute == "src" and not value.startswith(proxy) else value

    return _clean(html, keep)


def _clean(html: str, attribute_filter: Callable[[str, str, str], str | None] | None) -> str:
    return scrub(nh3.clean(
        scrub(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
        link_rel="noopener noreferrer",
        clean_content_tags=set(RAW_TEXT_TAGS),
        attribute_filter=attribute_filter,
    )).replace("<pre>\n", "<pre>\n\n")


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


@dataclass(frozen=True)
class BodyOptions:
    """How one source's bodies are cleaned besides the project's rules: its profile's ``article`` keys."""

    lazy_images: tuple[str, ...] = DEFAULT_LAZY_IMAGES  # attributes holding an image's real URL, first wins
    drop: tuple[str, ...] = ()  # CSS of the source's own furniture, besides BODY_DROP_SELECTORS


class ParsedBody(str):
    """A body element's inner HTML as text, carrying the element itself and its source's options.

    The spider parses the page once; the body pipeline cleans this element
    instead of parsing the text again. Everything else sees a plain string.
    """

    element: lxml.html.HtmlElement | None
    base_url: str
    error: str | None
    references: bool  # the page wrote character references (&#...;): see scrub_tree
    options: BodyOptions

    def __new__(
        cls, element: lxml.html.HtmlElement, base_url: str, error: str | None = None, references: bool = True,
        options: BodyOptions = BodyOptions(),
    ) -> ParsedBody:
        body = super().__new__(cls, inner_html(element))
        body.element, body.base_url, body.error, body.references = element, base_url, error, references
        body.options = options
        return body

    @classmethod
    def from_fragment(cls, fragment: str, base_url: str, options: BodyOptions = BodyOptions()) -> ParsedBody:
        """A body given as HTML text (a feed entry's content), parsed once, here."""
        root, error = parse_fragment(fragment)
        return cls(root, base_url, error, "&#" in fragment, options)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return str, (str(self),)  # copies and pickles are plain text


def inner_html(element: lxml.html.HtmlElement) -> str:
    """The element's content, its own tag left out.

    One serialization of the element, cut between its start and end tags: a serialization per
    child costs seven times as much on a body of 160,000 images. libxml2 writes a '>' inside an
    attribute value as ``&gt;``, so the first '>' ends the start tag.

    >>> inner_html(lxml.html.fragment_fromstring('<div title="a>b">x &lt; <p>y</p> z</div>'))
    'x &lt; <p>y</p> z'
    """
    html = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    start, end = html.find(">") + 1, html.rfind("</")
    return html[start:end] if start <= end else ""  # no end tag: a void element, empty


@dataclass(frozen=True)
class CleanBody:
    html: str
    text: str
    image_urls: list[str] = field(default_factory=list)  # originals, absolute, in order
    images: list[str] = field(default_factory=list)  # as written in ``html`` (proxied)
    # Pieces dropped, by (``link`` or ``image``, reason): the rest of the body was kept.
    dropped: dict[tuple[str, str], int] = field(default_factory=dict)


class BodyCleaner:
    """Reusable cleaner: selectors are compiled once per crawl."""

    def __init__(self, drop_selectors: Iterable[str], proxy_prefix: str = "") -> None:
        selectors = [s.strip() for s in drop_selectors if s.strip()]
        # A bare tag name is found by lxml's own walk, all of them in one pass (a third of
        # the selectors' time on a body of 160,000 images); the rest go in one grouped selector.
        tags = [s.lower() for s in selectors if TAG_NAME.fullmatch(s)]
        self.drop_tags = tuple(dict.fromkeys([*tags, *RAW_TEXT_TAGS]))
        others = [s for s in selectors if not TAG_NAME.fullmatch(s)]
        self.drop = CSSSelector(", ".join(others)) if others else None
        self.proxy_prefix = proxy_prefix
        self.source_drops: dict[tuple[str, ...], tuple[Query, ...]] = {}  # a profile's, compiled once

    def source_drop(self, selectors: tuple[str, ...]) -> tuple[Query, ...]:
        """A profile's ``article.drop``, compiled as its profile checked them (parsel's CSS)."""
        if selectors not in self.source_drops:
            self.source_drops[selectors] = tuple(compile_query(css, CSS) for css in selectors)
        return self.source_drops[selectors]

    def clean(self, fragment: str | None, base_url: str) -> CleanBody:
        """Clean a body: a ``ParsedBody`` in place (against its own base URL), text after one parse.

        Raises UnparseableBody when the parser stopped early: a truncated body is never cleaned.
        """
        if isinstance(fragment, ParsedBody) and fragment.error:
            raise UnparseableBody(fragment.error)
        if not fragment or fragment.isspace():
            return CleanBody("", "")
        options = BodyOptions()
        if isinstance(fragment, ParsedBody) and fragment.element is not None:
            root, base_url = fragment.element, fragment.base_url or base_url
            fragment.element = None  # cleaned in place: once only
            references, options = fragment.references, fragment.options
        else:
            root, error = parse_fragment(fragment)
            if error:
                raise UnparseableBody(error)
            references = "&#" in fragment
        # The text is read no more: when the caller kept no reference (see BodyPipeline), a large
        # body's serialized copy is freed before the serialization below makes another.
        del fragment
        dropped: Counter[tuple[str, str]] = Counter()
        # Raw, such characters were scrubbed before parsing: only a reference (&#14;) puts one in the tree.
        tainted = scrub_tree(root, options.lazy_images) if references else set()
        self._drop_furniture(root, self.source_drop(options.drop))
        urls = Resolver(base_url)
        image_urls, images = self._fix_images(root, urls, tainted, dropped, options.lazy_images)
        self._fix_links(root, urls, tainted, dropped)
        html = stable_sanitize(inner_html(root).strip())
        if self.proxy_prefix and unproxied_image(html, self.proxy_prefix):
            # lxml and nh3's html5ever read some markup differently: what only html5ever makes an
            # image (a browser reads it so too) was never rewritten above, and loses its source.
            html = sanitize_images_through(html, self.proxy_prefix)
            dropped["image", PARSER_DIFFERENCE] += 1
        return CleanBody(html, _readable_text(root), image_urls, images, dict(dropped))

    def _drop_furniture(self, root: lxml.html.HtmlElement, source_drop: tuple[Query, ...]) -> None:
        found = list(root.iter(*self.drop_tags)) if self.drop_tags else []
        found += self.drop(root) if self.drop is not None else []
        found += [e for query in source_drop for e in query.search(root) if isinstance(e, lxml.html.HtmlElement)]
        for element in found:
            # Not the body itself, nor twice (a <script class="ad"> is found by both).
            if element is not root and element.getparent() is not None:
                element.drop_tree()  # keeps the tail text

    def _fix_images(
        self, root: lxml.html.HtmlElement, urls: Resolver, tainted: set[lxml.html.HtmlElement],
        dropped: Counter[tuple[str, str]], lazy: tuple[str, ...],
    ) -> tuple[list[str], list[str]]:
        originals: dict[str, None] = {}  # an ordered set: one membership test per image, not a scan
        written: list[str] = []
        # <image> is <img> to every browser (the HTML parsing rules say so), and to nh3; lxml keeps
        # it as an unknown tag.
        for img in list(root.iter("img", "image")):
            if img.tag != "img":
                _as_image(img)
            if img in tainted:
                dropped["image", CONTROL_CHAR] += 1
                img.drop_tree()
                continue
            names = img.keys()  # read once: both helpers look at them
            src = _image_source(img, names, lazy)
            if not src or SUSPICIOUS_URL.search(src):
                img.drop_tree()  # a placeholder or script URL with nothing behind it
                continue
            resolved = urls.resolve(original(src, self.proxy_prefix))
            if resolved is None:
                dropped["image", BAD_URL] += 1
                img.drop_tree()
                continue
            url, is_http = resolved
            if not is_http:
                img.drop_tree()  # data:, ftp:...: nothing we can proxy
                continue
            shown = proxied_http(url, self.proxy_prefix)
            _set_source(img, shown, names, lazy)
            originals[url] = None
            written.append(shown)
        return list(originals), written

    @staticmethod
    def _fix_links(
        root: lxml.html.HtmlElement, urls: Resolver, tainted: set[lxml.html.HtmlElement],
        dropped: Counter[tuple[str, str]],
    ) -> None:
        for a in list(root.iter("a")):
            href = "" if a in tainted else (a.get("href") or "").strip()
            resolved = urls.resolve(href) if href else None
            if a in tainted or (href and resolved is None):
                dropped["link", CONTROL_CHAR if a in tainted else BAD_URL] += 1
                a.drop_tag()  # the link goes, its text stays
            elif resolved is not None:
                a.set("href", resolved[0])  # any scheme: nh3 keeps http(s) only
            elif "href" in a.attrib:
                del a.attrib["href"]  # an empty link points at the reader's own page: no link


def _as_image(element: lxml.html.HtmlElement) -> None:
    """``<image>`` made the ``<img>`` a browser reads: an empty element, so what lxml nested in it
    (its text, its children) follows it, in order."""
    text, tail, children = element.text, element.tail, list(element)
    element.tag, element.text, element.tail = "img", None, text
    parent = element.getparent()
    at = parent.index(element)
    for offset, child in enumerate(children, 1):
        parent.insert(at + offset, child)
    last = children[-1] if children else element
    last.tail = (last.tail or "") + (tail or "") or None


def parse_fragment(fragment: str) -> tuple[lxml.html.HtmlElement, str | None]:
    """A body given as text, parsed into a ``<div>``, and the parser's reason if it stopped early."""
    parser = html_parser()
    try:
        # Raw control characters go first; those written as references are scrub_tree's.
        pieces = lxml.html.fragments_fromstring(scrub(fragment).encode("utf-8"), parser=parser)
    except (ParserError, XMLSyntaxError) as exc:
        return lxml.html.Element("div"), str(exc)
    # fragment_fromstring(create_parent=...) as lxml writes it, but its leading text may hold
    # a decoded reference such as &#1; that lxml refuses to set.
    root = lxml.html.Element("div")
    if pieces and isinstance(pieces[0], str):
        root.text = scrub(pieces.pop(0))
    root.extend(pieces)
    return root, fatal_errors(parser)


def scrub_tree(root: lxml.html.HtmlElement, lazy: tuple[str, ...] = DEFAULT_LAZY_IMAGES) -> set[lxml.html.HtmlElement]:
    """Scrub text, tails and attribute values as ``text.scrub`` scrubs text, in one pass.

    The parser decodes references such as ``&#14;`` into characters no stored text may hold,
    which lxml then refuses in every edit. A link or image whose URL holds one is not repaired
    (``java&#14;script:`` is no typo): it is returned, for the caller to drop.
    """
    tainted: set[lxml.html.HtmlElement] = set()
    # Attributes that hold the URL of a link or an image: a bad one drops that link or image.
    url_attributes = {"a": frozenset({"href"}), "img": frozenset({"src", *lazy}), "image": frozenset({"src", *lazy})}
    for node in root.iter():
        if node.tail and needs_scrub(node.tail):
            node.tail = scrub(node.tail)
        if not isinstance(node.tag, str):
            continue  # a comment or processing instruction: nh3 strips them, their text is never read
        if node.text and needs_scrub(node.text):
            node.text = scrub(node.text)
        urls = url_attributes.get(node.tag, frozenset())
        for name, value in node.attrib.items():
            if needs_scrub(value):
                if name in urls:
                    tainted.add(node)
                else:
                    node.set(name, scrub(value))
    return tainted


def _image_source(img: lxml.html.HtmlElement, names: list[str], lazy: tuple[str, ...]) -> str:
    """The real image URL: a lazy attribute (``lazy``, in order) wins over a placeholder ``src``."""
    for name in lazy:
        lazy = (img.get(name) or "").strip() if name in names else ""
        if lazy:
            return lazy
    src = (img.get("src") or "").strip()
    return "" if PLACEHOLDER.search(src) else src


def _set_source(img: lxml.html.HtmlElement, url: str, names: list[str], lazy: tuple[str, ...]) -> None:
    """``src`` where the page had it (or its lazy stand-in); referrerpolicy last.

    Only the attributes nh3 keeps are set again: the others would go anyway.
    """
    if names == ["src"]:  # the common case, set in place
        img.set("src", url)
        img.set("referrerpolicy", "no-referrer")
        return
    attributes: list[tuple[str, str]] = []
    placed = False
    for name, value in img.attrib.items():
        if name == "src" or name in lazy:
            if not placed:
                attributes.append(("src", url))
                placed = True
        elif name != "referrerpolicy" and name in ALLOWED_ATTRIBUTES["img"]:
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
