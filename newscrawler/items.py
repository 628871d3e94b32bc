"""The article item: the contract data teams query and exporters read, and the one home of its rules.

``Article`` is the only definition. A field's annotation is its type in a finished article, its
default what an article lacking it holds, and its metadata whether every article must carry it
(``required``) and whether it holds a URL a reader's browser loads (``url``). Everything else is
derived from the dataclass: the JSON Schema spidermon checks (``article_schema``), the fields the
validate stage requires (``missing_fields``), what replay trusts and fills in, and the stored
document's fields (``storage.documents``).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Field metadata keys.
REQUIRED = "required"  # True, or (field, value): required when that field holds that value
URL = "url"  # http(s) only: the pipelines write no other, replay refuses any other

# A channel id that is a word: the profile's YAML key, as `--channel` takes it too.
CHANNEL_WORD = re.compile(r"[\w.-]{1,64}", re.ASCII)
# A source's name, as a profile's (sources/schema.py): it starts every article id and names its
# Hexo posts, so it never holds a path separator or a dot.
SOURCE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _required(default: Any = None, when: tuple[str, Any] | None = None, **metadata: Any) -> Any:
    return field(default=default, metadata={REQUIRED: when or True, **metadata})


@dataclass
class Article:
    """One article. Field names are a public contract: keep them exactly.

    The spider fills raw listing/page values; the pipelines normalize them (see
    ``newscrawler.pipelines``): ``published_at`` may be a raw epoch or text until the normalize
    stage turns it into a UTC datetime, ``content_html`` the page's body until the body stage
    cleans it.
    """

    id: str | None = _required()  # article_id(source, native id)
    source: str | None = _required()  # the source profile's name
    source_id: str | None = None  # the source's own id of the article (the native id)
    url: str | None = _required(**{URL: True})  # canonical: tracking parameters removed (urls.canonical_url)
    title: str | None = _required()
    summary: str | None = None
    author: str | None = None
    # The source profile's channel id, typed as the profile writes it: 1 (a whole number) and
    # "1" (a word) are different ids. None for sources without channels.
    channel_id: int | str | None = None
    channel: str | None = None  # that channel's name
    category_id: int | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    content_type: Literal["article", "video"] = "article"
    published_at: datetime | str | int | None = _required()
    crawled_at: datetime | None = None
    cover_images: list[str] = field(default_factory=list, metadata={URL: True})
    image_urls: list[str] = field(default_factory=list, metadata={URL: True})
    headimg: str | None = field(default=None, metadata={URL: True})
    # A video's body may be empty: its intro is an <iframe> the sanitizer removes.
    content_html: str = _required("", when=("content_type", "article"))
    content_text: str | None = None
    stats: dict[str, int | None] = field(default_factory=dict)


# What counts as a change worth rewriting a stored article; counters and crawl time do not.
# The order is part of every stored content hash: never reorder it.
CONTENT_FIELDS: tuple[str, ...] = ("title", "content_html", "image_urls", "tags", "published_at")


def article_id(source: str, native_id: str) -> str:
    """The store key of an article: its source's name, then the source's own id.

    >>> article_id("news", "221131")
    'news:221131'
    """
    return f"{source}:{native_id}"


def channel_id_from_text(text: str, words: typing.Collection[int | str] = ()) -> int | str | None:
    """A channel id typed in as text: a whole number is a number unless ``words`` (the source's
    channel ids) holds it as a word; letters, digits, ``_ . -`` make a word; None otherwise.

    >>> channel_id_from_text("255"), channel_id_from_text("tech"), channel_id_from_text("1", {"1", 2})
    (255, 'tech', '1')
    >>> channel_id_from_text("推荐") is None
    True
    """
    text = text.strip()
    if re.fullmatch(r"-?[0-9]+", text) and not (text in words and int(text) not in words):
        return int(text)
    return text if CHANNEL_WORD.fullmatch(text) else None


def channel_id_of(value: Any) -> int | str | None:
    """A channel id as the contract holds it, typed as the source's profile wrote it: a whole
    number stays a number and a word a word (the word "1" is not the number 1); else None.

    >>> channel_id_of(255), channel_id_of("tech"), channel_id_of("1"), channel_id_of(True), channel_id_of("推荐")
    (255, 'tech', '1', None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and CHANNEL_WORD.fullmatch(value)):
        return value
    return None


@dataclass(frozen=True)
class Contract:
    """What the rules of one article class come to: read once, used by every stage."""

    fields: tuple[str, ...]
    types: dict[str, Any]  # field -> its Python annotation
    defaults: dict[str, Any]  # field -> default value (a fresh list or dict for factories)
    required: tuple[str, ...]  # always
    required_when: dict[str, tuple[str, Any]]  # field -> (other field, value) making it required
    urls: tuple[str, ...]
    dates: tuple[str, ...]
    texts: tuple[str, ...]  # text fields (dates aside: their raw values may be text)

    def default(self, name: str) -> Any:
        value = self.defaults[name]
        return value.copy() if isinstance(value, (list, dict)) else value


def contract(cls: type = Article) -> Contract:
    """The rules of ``cls`` (``Article``, or a class made from it in a test)."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    members = {f.name: _members(hints[f.name]) for f in fields}
    defaults = {f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
                for f in fields}
    return Contract(
        fields=tuple(f.name for f in fields),
        types={f.name: hints[f.name] for f in fields},
        defaults=defaults,
        required=tuple(f.name for f in fields if f.metadata.get(REQUIRED) is True),
        required_when={f.name: f.metadata[REQUIRED] for f in fields if isinstance(f.metadata.get(REQUIRED), tuple)},
        urls=tuple(f.name for f in fields if f.metadata.get(URL)),
        dates=tuple(f.name for f in fields if datetime in members[f.name]),
        texts=tuple(f.name for f in fields if str in members[f.name] and datetime not in members[f.name]),
    )


def _members(annotation: Any) -> tuple[Any, ...]:
    """The alternatives of a union (``int | None`` -> ``(int, NoneType)``), else the annotation."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def is_filled(value: Any, text: bool) -> bool:
    """What a required field must hold: a value, and for a text field more than spaces.

    A text field holding something else is a bug upstream: ``strip`` raises, and Scrapy counts it.
    """
    if value is None:
        return False
    return bool(value.strip()) if text else True


def missing_fields(values: typing.Mapping[str, Any], rules: Contract | None = None) -> list[str]:
    """The required fields ``values`` (an article's fields) leaves empty, in contract order."""
    rules = rules or CONTRACT
    missing = []
    for name in rules.fields:
        when = rules.required_when.get(name)
        needed = name in rules.required or (when is not None and values.get(when[0]) == when[1])
        if needed and not is_filled(values.get(name), name in rules.texts):
            missing.append(name)
    return missing


# --- the JSON Schema of a finished article ------------------------------------------------------

# A date is a datetime on items and in documents read back (documents.from_json): none of JSON's
# own types, which a raw value the normalize stage missed would be (null aside, where allowed).
_VALUES = ["string", "number", "boolean", "array", "object"]
_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", float: "number", type(None): "null"}
# Text with a character other than spaces (is_filled), and an http(s) URL (as urls.is_http_url
# reads the scheme; replay checks the rest of the URL).
_FILLED_TEXT = r"\S"
_HTTP = "^[Hh][Tt][Tt][Pp][Ss]?://"


def json_type(annotation: Any, nullable: bool = True) -> dict[str, Any]:
    """The JSON Schema of values of ``annotation``.

    >>> json_type(int | str | None), json_type(list[str])
    ({'type': ['integer', 'string', 'null']}, {'type': 'array', 'items': {'type': 'string'}})
    >>> json_type(str | None, nullable=False)
    {'type': 'string'}
    """
    members = [m for m in _members(annotation) if nullable or m is not type(None)]
    if datetime in members:
        return {"not": {"type": _VALUES if type(None) in members else [*_VALUES, "null"]}}
    if len(members) == 1 and typing.get_origin(members[0]) is Literal:
        return {"enum": list(typing.get_args(members[0]))}
    if len(members) == 1 and typing.get_origin(members[0]) is list:
        return {"type": "array", "items": json_type(typing.get_args(members[0])[0])}
    if len(members) == 1 and typing.get_origin(members[0]) is dict:
        return {"type": "object", "additionalProperties": json_type(typing.get_args(members[0])[1])}
    names = [_JSON_TYPES[m] for m in members]
    return {"type": names[0] if len(names) == 1 else names}


def article_schema(rules: Contract | None = None) -> dict[str, Any]:
    """The JSON Schema of a finished article: the contract's types, its required fields filled
    in (text with more than spaces), its URLs http(s), its source a source's name. Fields it lacks are left to their defaults.

    Checked on every stored item by spidermon (monitors.ARTICLE_SCHEMA), and on every dead letter
    by replay (documents.check_storable).
    """
    rules = rules or CONTRACT
    properties: dict[str, Any] = {}
    for name in rules.fields:
        # A required field is never null; nor is one whose default is a value ("", [], {}).
        nullable = name not in rules.required and rules.defaults[name] is None
        schema = json_type(rules.types[name], nullable)
        if name in rules.required and schema.get("type") == "string":
            schema = {**schema, "pattern": _FILLED_TEXT}
        if name in rules.urls:
            schema = _http_urls(schema)
        if name == "source":
            schema = {**schema, "pattern": f"^{SOURCE_NAME.pattern}$"}
        properties[name] = schema
    schema: dict[str, Any] = {"type": "object", "required": list(rules.required), "properties": properties}
    conditions = [{"if": {"properties": {other: {"const": value}}, "required": [other]},
                   "then": {"required": [name], "properties": {name: {"pattern": _FILLED_TEXT}}}}
                  for name, (other, value) in rules.required_when.items()]
    if conditions:
        schema["allOf"] = conditions
    return schema


def _http_urls(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "array":
        return {**schema, "items": _http_urls(schema["items"])}
    return {**schema, "pattern": _HTTP}


CONTRACT = contract(Article)
ARTICLE_FIELDS: tuple[str, ...] = CONTRACT.fields
