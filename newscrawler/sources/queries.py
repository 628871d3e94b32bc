"""A profile's queries, compiled once when it loads: JMESPath over JSON, CSS or XPath over HTML.

JMESPath also reads feed entries, which feedparser hands over as dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jmespath
from cssselect import SelectorError
from jmespath.exceptions import JMESPathError
from jmespath.visitor import TreeInterpreter
from lxml import etree
from parsel.csstranslator import HTMLTranslator

JMESPATH, CSS, XPATH = "jmespath", "css", "xpath"
_TRANSLATOR = HTMLTranslator()  # parsel's: knows ::text and ::attr(name)
# Stateless but for its dispatch cache, so one serves every query (jmespath.search makes one per call).
_INTERPRETER = TreeInterpreter()


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

    def search(self, node: Any) -> Any:
        """JMESPath: the value found (of any JSON type; None when absent). CSS/XPath: the list of matches."""
        if self.language == JMESPATH:
            # JMESPath's own interpreter on the compiled tree; one for every query, where
            # ``ParsedResult.search`` builds a new one per lookup (a third of a lookup's time).
            return _INTERPRETER.visit(self.compiled.parsed, node)
        return self.compiled(node)


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
    return Query(text, language, compiled)
