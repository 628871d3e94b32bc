"""A profile's queries, compiled once when it loads: JMESPath over JSON, CSS or XPath over HTML.

JMESPath also reads feed entries, which feedparser hands over as dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jmespath
from cssselect import SelectorError
from jmespath.exceptions import JMESPathError, JMESPathTypeError
from jmespath.functions import Functions
from jmespath.visitor import TreeInterpreter
from lxml import etree
from parsel.csstranslator import HTMLTranslator

JMESPATH, CSS, XPATH = "jmespath", "css", "xpath"
_TRANSLATOR = HTMLTranslator()  # parsel's: knows ::text and ::attr(name)
# Stateless but for its dispatch cache, so one serves every query (jmespath.search makes one per call).
_INTERPRETER = TreeInterpreter()


class QueryError(ValueError):
    """A query that does not compile; the message says why."""


class WrongKind(Exception):
    """A query's function given a value of the wrong kind: ``join`` over a string, ``floor`` of NaN."""


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
        """JMESPath: the value found (of any JSON type; None when absent or when a function of the
        query refuses the value: a skip rule then does not skip). CSS/XPath: the list of matches.

        >>> compile_query("contains(tips, 'ad')", JMESPATH).search({"tips": 5}) is None
        True
        """
        try:
            return self.evaluate(node)
        except WrongKind:
            return None

    def evaluate(self, node: Any) -> Any:
        """As ``search``, but WrongKind when a JMESPath function refuses the value it is given
        (an absent value is None, as a plain path gives it).

        >>> compile_query("join(' ', title)", JMESPATH).evaluate({"title": "text"})
        Traceback (most recent call last):
        ...
        newscrawler.sources.queries.WrongKind: join() refuses a string
        >>> compile_query("join(' ', title)", JMESPATH).evaluate({}) is None
        True
        """
        if self.language != JMESPATH:
            try:
                return self.compiled(node)
            except etree.XPathEvalError as exc:  # what the probe at load (compile_query) cannot meet
                raise WrongKind(f"XPath: {exc}") from None
        try:
            # JMESPath's own interpreter on the compiled tree; one for every query, where
            # ``ParsedResult.search`` builds a new one per lookup (a third of a lookup's time).
            return _INTERPRETER.visit(self.compiled.parsed, node)
        except JMESPathTypeError as exc:
            if exc.actual_type == "null":  # the value is absent (floor(n) of an entry without n): no value
                return None
            raise WrongKind(f"{exc.function_name}() refuses a {exc.actual_type}") from None
        except (OverflowError, ValueError) as exc:  # floor/ceil of Infinity or NaN (JSON allows both here)
            if isinstance(exc, JMESPathError):  # an unknown function or arity: refused at load, a bug here
                raise
            raise WrongKind(f"{type(exc).__name__}: {exc}") from None


# A small page every XPath of a profile runs over once, at load.
_PROBE = etree.fromstring("<html><body><div><p>p</p></div></body></html>")


def compile_query(text: str, language: str) -> Query:
    """Compile ``text``; QueryError when it is not a valid query of ``language``.

    >>> try:
    ...     compile_query("div[", CSS)
    ... except QueryError as exc:
    ...     print(exc)
    not a valid CSS selector (Expected ident or '*', got <EOF at 4>)
    >>> try:
    ...     compile_query("//p[re:test(., 'a')]", XPATH)
    ... except QueryError as exc:
    ...     print(exc)
    not a valid XPath expression (Undefined namespace prefix)
    """
    try:
        if language == JMESPATH:
            compiled: Any = jmespath.compile(text)
            _check_functions(compiled.parsed)
        elif language == CSS:
            compiled = etree.XPath(_TRANSLATOR.css_to_xpath(text))
        else:
            compiled = etree.XPath(text)
            # lxml finds an undefined variable, namespace prefix (profiles declare none: no
            # EXSLT, no re:) or function only when the expression runs: run it once here.
            compiled(_PROBE)
    except JMESPathError as exc:
        raise QueryError(f"not a valid JMESPath expression ({str(exc).splitlines()[0]})") from None
    except SelectorError as exc:
        raise QueryError(f"not a valid CSS selector ({exc})") from None
    except etree.XPathError as exc:
        raise QueryError(f"not a valid XPath expression ({exc})") from None
    return Query(text, language, compiled)


def _check_functions(node: dict[str, Any]) -> None:
    """JMESPathError for a function JMESPath does not have or a wrong number of arguments.

    The library finds both only when the function runs, on the first entry a crawl reads.

    >>> try:
    ...     compile_query("data[].nosuch(title)", JMESPATH)
    ... except QueryError as exc:
    ...     print(exc)
    not a valid JMESPath expression (Unknown function: nosuch())
    """
    if node.get("type") == "function_expression":
        name, arguments = node["value"], node["children"]
        spec = Functions.FUNCTION_TABLE.get(name)
        if spec is None:
            raise JMESPathError(f"Unknown function: {name}()")
        signature = spec["signature"]
        variadic = bool(signature) and signature[-1].get("variadic", False)
        if len(arguments) < len(signature) or (not variadic and len(arguments) > len(signature)):
            raise JMESPathError(f"{name}() takes {'at least ' if variadic else ''}{len(signature)} argument(s), "
                                f"given {len(arguments)}")
    for child in node.get("children", ()):
        if isinstance(child, dict):
            _check_functions(child)
