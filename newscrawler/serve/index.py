"""The page at ``/``: each source and channel, its article count, newest article and last crawl,
and links to subscribe. Built with lxml's HTML builder, which escapes every text and attribute,
and written as polyglot markup (well-formed XML that HTML reads the same)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from lxml import etree
from lxml.html import builder as E

from newscrawler.items import SOURCE_NAME, channel_id_of
from newscrawler.serve.formats import FORMATS
from newscrawler.serve.routes import feed_path, rsshub_path
from newscrawler.sources.profile import SourceProfile
from newscrawler.storage.readonly import ChannelSummary

STYLE = """
body{font:16px/1.5 system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:60em;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #ddd}
td.n{text-align:right}a{color:#0645ad}.feeds a{margin-right:.4em}
@media (max-width:40em){thead{display:none}tr{display:block;border-bottom:1px solid #ccc;padding:.4em 0}
td{display:block;border:0;padding:.1em 0}td.n{text-align:left}td[data-label]::before{content:attr(data-label) ": ";color:#666}}
"""


def _time(value: datetime | None) -> etree._Element | str:
    if value is None:
        return "—"
    return E.E.time(value.strftime("%Y-%m-%d %H:%M UTC"), datetime=value.isoformat())


def _links(path: str) -> etree._Element:
    """Subscribe links to one feed, in each format."""
    return E.SPAN(*[E.A(name, href=path if name == "rss" else f"{path}.{name}") for name in FORMATS],
                  E.CLASS("feeds"))


def _row(label: str, count: int, newest: datetime | None, crawled: datetime | None, path: str | None,
         extra: str | None = None) -> etree._Element:
    name: list[object] = [E.A(label, href=path) if path else label]
    if extra:
        name += [E.BR(), E.SMALL("RSSHub: ", E.A(extra, href=extra))]
    return E.TR(E.TD(*name), E.TD(str(count), E.CLASS("n"), **{"data-label": "articles"}),
                E.TD(_time(newest), **{"data-label": "newest"}), E.TD(_time(crawled), **{"data-label": "crawled"}),
                E.TD(_links(path) if path else "", **{"data-label": "subscribe"}))


def render_index(summaries: Sequence[ChannelSummary], profiles: Mapping[str, SourceProfile]) -> bytes:
    """The index page as UTF-8 HTML: every profile's source, and every source the store holds."""
    by_source: dict[str, list[ChannelSummary]] = {}
    for summary in summaries:
        by_source.setdefault(str(summary.source), []).append(summary)
    sections = []
    for source in sorted(set(profiles) | set(by_source)):
        profile = profiles.get(source)
        channels = by_source.get(source, [])
        linked = SOURCE_NAME.fullmatch(source) is not None
        title = profile.title if profile is not None else source
        newest = max((c.newest for c in channels if c.newest), default=None)
        crawled = max((c.crawled for c in channels if c.crawled), default=None)
        rows = [_row(f"All of {title}", sum(c.count for c in channels), newest, crawled,
                     feed_path(source) if linked else None)]
        for summary in channels:
            if summary.channel_id is None:  # articles of no channel: in the source's row only
                continue
            channel = channel_id_of(summary.channel_id)
            if channel is None:
                rows.append(_row(f"channel {summary.channel_id!r}", summary.count, summary.newest, summary.crawled,
                                 None))
                continue
            name = profile.channel_name(channel) if profile is not None else None
            label = f"{name} ({channel})" if name else str(channel)
            rsshub = rsshub_path(profile, channel) if profile is not None else None
            rows.append(_row(label, summary.count, summary.newest, summary.crawled,
                             feed_path(source, channel) if linked else None, rsshub))
        sections.append(E.E.section(
            E.H2(title, " ", E.SMALL(f"({source})")),
            E.P(E.A(profile.home_url, href=profile.home_url)) if profile is not None and profile.home_url else "",
            E.TABLE(E.E.thead(E.TR(E.TH("Feed"), E.TH("Articles"), E.TH("Newest article"), E.TH("Last crawl"),
                                   E.TH("Subscribe"))), E.TBODY(*rows)),
        ))
    page = E.HTML(
        E.HEAD(E.META(charset="utf-8"), E.META(name="viewport", content="width=device-width, initial-scale=1"),
               E.TITLE("newscrawler feeds"), E.STYLE(STYLE),
               *[E.LINK(rel="alternate", type=FORMATS["rss"].content_type.split(";")[0], href=feed_path(source),
                        title=source) for source in sorted(by_source) if SOURCE_NAME.fullmatch(source)]),
        E.BODY(E.H1("newscrawler feeds"),
               E.P("Subscribe to a source or one of its channels in RSS, Atom or JSON Feed. Feeds take ",
                   E.CODE("?limit="), " (1 to 200, 20 by default) and ", E.CODE("?since="), " (an ISO 8601 date). ",
                   E.A("Health", href="/healthz"), "."),
               *sections),
        lang="en",
    )
    return b"<!DOCTYPE html>\n" + polyglot(page) + b"\n"


VOID = frozenset({"meta", "link", "br"})


def polyglot(page: etree._Element) -> bytes:
    """``page`` as markup that reads the same as HTML and as XML: every element closed, void ones
    self-closed, every text escaped. Tests then check it with a strict XML parser."""
    for element in page.iter():
        if element.tag not in VOID and element.text is None and len(element) == 0:
            element.text = ""  # <td></td>, not <td/>, which HTML reads as an opening tag
    return etree.tostring(page, encoding="unicode").encode("utf-8")
