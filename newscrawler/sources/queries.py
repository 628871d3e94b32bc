"""A profile's queries, compiled once when it loads: JMESPath over JSON, CSS or XPath over HTML.

JMESPath also reads feed entries, which feedparser hands over as dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jmespath
from cssselect import SelectorError
from jmespath.exceptions import JMESPathError
from lxml import etree
from parsel.csstranslator import HTMLTranslator

JMESPATH, CSS, XPATH = "jmespath", "css", "xpath"
_TRANSLATOR = HTMLTranslator()  # parsel's: knows ::text and ::attr(name)


class QueryError(ValueError):
    """A query that does not compile; the message says why."""


@dataclass(frozen=True)
class Query:
    """One query as the profile wrote it, in its language, compiled.

    >>> compile_query("data.data", JMESPATH).search({"data": {"data": [1]}})
    [1]
    >>> import lxml.html
    >>> compile_query("h4 > a::attr(href)", CSS).search(lxml.html.fromstring('<div><h4><a href="/a/1">x</a></h4></div>'))
    ['/a/1']
    """

    text: str
    language: str
    compiled: Any
    # A JMESPath expression that is only field names (``title``, ``data.data``): those names.
    fields: tuple[str, ...] | None = None

    def search(self, node: Any) -> Any:
        """JMESPath: the value found (of any JSON type; None when absent). CSS/XPath: the list of matches."""
        if self.fields is not None:
            # Most listing fields are a plain name: JMESPath's own field rule (value.get(name),
            # None without .get) without building its tree interpreter for every lookup.
            for name in self.fields:
                try:
                    node = node.get(name)
                except AttributeError:
                    return None
            return node
        return self.compiled.search(node) if self.language == JMESPATH else self.compiled(node)


def field_path(parsed: dict[str, Any]) -> tuple[str, ...] | None:
    """The names of a JMESPath syntax tree that only reads fields, else None.

    >>> field_path(jmespath.compile("data.data").parsed), field_path(jmespath.compile("tag[0]").parsed)
    (('data', 'data'), None)
    """
    if parsed["type"] == "field":
        return (parsed["value"],)
    if parsed["type"] == "subexpression":
        names: tuple[str, ...] = ()
        for child in parsed["children"]:
            part = field_path(child)
            if part is None:
                return None
            names += part
        return names
    return None


def compile_query(text: str, language: str) -> Query:
    """Compile ``text``; QueryError when it is not a valid query of ``language``.

    >>> try:
    ...     compile_query("div[", CSS)
    ... except QueryError as exc:
    ...     print(exc)
    not a valid CSS selector (Expected ident or '*', got <EOF at 4>)
    """
    try:
        if language == JMESPATH:
            compiled: Any = jmespath.compile(text)
        elif language == CSS:
            compiled = etree.XPath(_TRANSLATOR.css_to_xpath(text))
        else:
            compiled = etree.XPath(text)
    except JMESPathError as exc:
        raise QueryError(f"not a valid JMESPath expression ({str(exc).splitlines()[0]})") from None
    except SelectorError as exc:
        raise QueryError(f"not a valid CSS selector ({exc})") from None
    except etree.XPathError as exc:
        raise QueryError(f"not a valid XPath expression ({exc})") from None
    return Query(text, language, compiled, field_path(compiled.parsed) if language == JMESPATH else None)
