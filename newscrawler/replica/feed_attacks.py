"""Hostile feeds on ``feeds.example.com/hostile/`` (only with ``ReplicaConfig(hostile=True)``).

Where the document can still be read, the three good entries (``GOOD_IDS``)
sit among the bad ones, so a crawler can prove it keeps every good article.
"""

from __future__ import annotations

import json
from email.utils import format_datetime
from typing import TYPE_CHECKING

from newscrawler.replica import hostile
from newscrawler.replica.served import Ask, Published, Reply, not_found

if TYPE_CHECKING:
    from newscrawler.replica.feeds import Feeds

GOOD_IDS = (9000001, 9000002, 9000003)
BAD_IDS = (9000101, 9000102, 9000103)  # entries of the scripts and dates feeds; their pages are served
ARTICLE_IDS = frozenset(GOOD_IDS + BAD_IDS)
XXE_PATH = "/private/xxe"  # on 127.0.0.1: what the external entity of xxe-http.xml names
XXE_SECRET = b"replica-private-secret: an external entity was resolved\n"
RSS = "application/rss+xml; charset=utf-8"
CASES = {
    "/hostile/not-xml.xml": "an HTML error page sent as application/rss+xml",
    "/hostile/truncated.xml": "RSS 2.0 cut short inside its third item (two whole good items before it)",
    "/hostile/billion-laughs.xml": "RSS 2.0 whose DOCTYPE nests entities a billion deep, used in one item",
    "/hostile/xxe-file.xml": "RSS 2.0 with an external entity naming file:///etc/passwd, used in one item",
    "/hostile/xxe-http.xml": f"RSS 2.0 with an external entity naming http://127.0.0.1:<port>{XXE_PATH}",
    "/hostile/scripts.xml": "RSS 2.0 whose entries carry script, iframe, onerror and javascript: links"
                            " (one entry's link is javascript:)",
    "/hostile/private-links.xml": "RSS 2.0 entries linking to 127.0.0.1, 10.1.2.3 and [::1]",
    "/hostile/dates.xml": "RSS 2.0 entries dated 2099, dated nonsense, and undated",
    "/hostile/gzip-bomb.xml": f"a gzip body inflating to {hostile.BOMB_INFLATED >> 20} MiB, as application/rss+xml",
    "/hostile/wrong-type.xml": "a good RSS 2.0 feed sent as text/html (must still be read)",
    "/hostile/wrong-type.atom": "a good Atom feed sent as application/octet-stream (must still be read)",
    "/hostile/wrong-type.json": "a good JSON Feed sent as text/plain (must still be read)",
    "/hostile/wrong-types.json": "JSON Feed items with an object id, a list title, a number for content_html,"
                                 " a javascript: url, a string and a null item",
}
LAUGHS = "".join(
    f'<!ENTITY lol{n} "{("&lol%d;" % (n - 1)) * 10}">' for n in range(1, 10)
)


def reply(feeds: Feeds, ask: Ask) -> Reply:
    """The hostile document at ``ask.path``."""
    good = [feeds.article(n) for n in GOOD_IDS]
    if ask.path == "/hostile/not-xml.xml":
        return Reply(200, RSS, b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>")
    if ask.path == "/hostile/truncated.xml":
        text = feeds.rss20(good, 1, 1, full=True)
        cut = text.index("<item>", text.index("<item>", text.index("<item>") + 1) + 1) + 60
        return Reply(200, RSS, text[:cut].encode())
    if ask.path in ("/hostile/billion-laughs.xml", "/hostile/xxe-file.xml", "/hostile/xxe-http.xml"):
        if ask.path == "/hostile/billion-laughs.xml":
            subset, reference = f'<!ENTITY lol "lol">{LAUGHS.replace("&lol0;", "&lol;")}', "&lol9;"
        elif ask.path == "/hostile/xxe-file.xml":
            subset, reference = '<!ENTITY xxe SYSTEM "file:///etc/passwd">', "&xxe;"
        else:
            subset, reference = f'<!ENTITY xxe SYSTEM "http://127.0.0.1:{ask.port}{XXE_PATH}">', "&xxe;"
        text = feeds.rss20(good, 1, 1, full=True)
        poisoned = (f"<item><title>实体 {reference}</title><link>http://feeds.example.com/posts/{BAD_IDS[0]}.html</link>"
                    f"<description>{reference}</description></item>\n")
        text = text.replace("<rss ", f"<!DOCTYPE rss [{subset}]>\n<rss ", 1).replace("<item>", poisoned + "<item>", 1)
        return Reply(200, RSS, text.encode())
    if ask.path == "/hostile/scripts.xml":
        return Reply(200, RSS, _with_items(feeds, good, _script_items(good[0])).encode())
    if ask.path == "/hostile/private-links.xml":
        port = ask.port
        items = "".join(f"<item><title>内网 {n}</title><link>{link}</link><guid>private-{n}</guid>"
                        f"<description>内网地址</description></item>\n" for n, link in enumerate((
                            f"http://127.0.0.1:{port}/private/post.html", "http://10.1.2.3/post.html", "http://[::1]/post.html")))
        return Reply(200, RSS, _with_items(feeds, good, items).encode())
    if ask.path == "/hostile/dates.xml":
        items = "".join(
            f"<item><title>日期 {sid}</title><link>http://feeds.example.com/posts/{sid}.html</link>"
            f'<guid isPermaLink="false">tag:feeds.example.com,2021:post-{sid}</guid>{date}'
            f"<description>日期有问题</description></item>\n"
            for sid, date in zip(BAD_IDS, ("<pubDate>Thu, 01 Jan 2099 10:00:00 +0800</pubDate>",
                                           "<pubDate>去年夏天</pubDate>", ""))
        )
        return Reply(200, RSS, _with_items(feeds, good, items).encode())
    if ask.path == "/hostile/gzip-bomb.xml":
        return Reply(200, RSS, hostile.gzip_bomb(), {"Content-Encoding": "gzip"})
    if ask.path == "/hostile/wrong-type.xml":
        return Reply(200, "text/html; charset=utf-8", feeds.rss20(good, 1, 1, full=True).encode())
    if ask.path == "/hostile/wrong-type.atom":
        return Reply(200, "application/octet-stream", feeds.atom(good, 1, 1, full=True).encode())
    if ask.path == "/hostile/wrong-type.json":
        return Reply(200, "text/plain; charset=utf-8", feeds.json_feed(good, 1, 1).encode())
    if ask.path == "/hostile/wrong-types.json":
        document = json.loads(feeds.json_feed(good, 1, 1))
        template = document["items"][0]
        document["items"] = [
            {**template, "id": {"guid": 1}}, document["items"][0],
            {**template, "id": "wrong-title", "title": ["标", "题"]},
            {**template, "id": "wrong-content", "content_html": 42}, document["items"][1],
            {**template, "id": "wrong-url", "url": "javascript:alert(1)"},
            {**template, "id": "wrong-date", "date_published": "yesterday-ish"},
            "一个字符串", None, document["items"][2],
        ]
        return Reply(200, "application/feed+json; charset=utf-8", json.dumps(document, ensure_ascii=False).encode())
    return not_found()


def _script_items(dated_like: Published) -> str:
    body = ('<p>正文<script>alert(document.cookie)</script><img src="x" onerror="alert(1)"></p>'
            '<iframe src="http://evil.example/"></iframe><p><a href="javascript:alert(1)">点我</a></p>'
            '<p style="background:url(javascript:alert(1))"><svg onload="alert(1)"></svg>结尾</p>')
    first = (f"<item><title>&lt;script&gt;alert(1)&lt;/script&gt;标题</title>"
             f"<link>http://feeds.example.com/posts/{BAD_IDS[1]}.html</link>"
             f'<guid isPermaLink="false">tag:feeds.example.com,2021:post-{BAD_IDS[1]}</guid>'
             f"<pubDate>{format_datetime(dated_like.published)}</pubDate>"
             f"<content:encoded><![CDATA[{body}]]></content:encoded></item>\n")
    steering = ("<item><title>链接是脚本</title><link>javascript:alert(document.domain)</link>"
                "<guid isPermaLink=\"false\">script-link</guid>"
                f"<description>{body.replace('&', '&amp;').replace('<', '&lt;')}</description></item>\n")
    return first + steering


def _with_items(feeds: Feeds, good: list[Published], items: str) -> str:
    """An RSS 2.0 document of the good entries with ``items`` after the first of them."""
    text = feeds.rss20(good, 1, 1, full=True)
    second = text.index("<item>", text.index("<item>") + 1)
    return text[:second] + items + text[second:]
