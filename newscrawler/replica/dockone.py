"""Dockone's WeCenter pages: ``http://weekly.dockone.io/`` (and ``dockone.io``), paged by a "next" link.

Listing rows are ``.aw-common-list .aw-item``: articles carry the ``article``
class, the rest are questions. The article page's body is
``.aw-question-detail .content``. Times are Beijing time without a zone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache

from newscrawler.replica import content
from newscrawler.replica.served import BEIJING, Ask, Published, Reply, digest, html_page, not_found, rng

HOSTS = ("weekly.dockone.io", "dockone.io")
HOME = "http://weekly.dockone.io/"
PAGE_URL = "http://{host}/sort_type-new__day-0__is_recommend-0__page-{page}"
PAGE_PATH = re.compile(r"^/sort_type-new__day-0__is_recommend-0__page-(\d+)$")
ARTICLE_PATH = re.compile(r"^/article/(\d+)$")
QUESTION_PATH = re.compile(r"^/question/(\d+)$")
FIRST_ID = 1000
NEWEST = datetime(2018, 3, 19, 10, 59, tzinfo=BEIJING)
QUESTION_EVERY = 4  # a question row after every fourth article row
HOSTILE_IDS = ("900001", "900002", "900003", "900004")  # the good rows of /hostile/rows (900004: a hostile body)
# Rows with a good link but a bad time (unreadable, next year); their pages show the real time.
HOSTILE_TIMES = ("900101", "900102")

TOPICS = ["Kubernetes", "Docker", "Service Mesh", "Istio", "Prometheus", "微服务", "DevOps", "容器网络",
          "CI/CD", "Serverless", "Helm", "etcd", "Mesos", "日志收集", "镜像仓库", "容器安全"]
PLACES = ["滴滴", "携程", "京东", "蘑菇街", "七牛云", "美团点评", "网易云", "小米", "中国移动", "某银行"]
TITLES = ["DockOne微信分享（{n}）：{place}基于{topic}的{thing}实践", "{topic}{thing}详解",
          "使用{topic}构建{thing}", "{place}的{topic}落地之路", "深入浅出{topic}：{thing}"]
THINGS = ["容器云平台", "持续交付", "监控告警", "多集群管理", "灰度发布", "存储方案", "网络方案", "弹性伸缩"]
SENTENCES = [
    "在生产环境中，我们首先遇到的问题是节点资源的碎片化。", "下面介绍一下整体架构，以及各个组件之间的关系。",
    "这个方案的核心思路是把配置和镜像彻底分开管理。", "经过三个月的灰度，线上故障率下降了一个数量级。",
    "需要注意的是，默认配置并不适合大规模集群。", "社区版本在 1.9 之后修复了这个问题，建议尽快升级。",
    "我们把调度策略抽象成了插件，方便业务方按需选择。", "监控数据通过 Prometheus 采集，再由 Grafana 展示。",
]
COMMANDS = ["kubectl get pods -n kube-system", "docker run -d --name web -p 80:80 nginx:1.13",
            "helm install stable/prometheus --name monitor", "etcdctl --endpoints=$ENDPOINTS member list"]
AUTHORS = ["Andy_Lee", "cyeaaa", "DaoCloud", "kelvinji", "grace_shi", "阿里云容器服务", "李颖杰", "kevinxu"]
QUESTIONS = ["Docker 容器里的时区怎么改？", "Kubernetes 的 Service 访问不通，求助", "harbor 同步镜像失败怎么排查？",
             "flannel 和 calico 该怎么选？", "容器日志应该怎么收集比较好？"]


def chinese_digits(number: int) -> str:
    """Digit by digit, as DockOne numbered its talks.

    >>> chinese_digits(162)
    '一六二'
    """
    return "".join("〇一二三四五六七八九"[int(d)] for d in str(number))


class Dockone:
    """The WeCenter site: ``pages`` listing pages of ``per_page`` articles, newest first."""

    name = "dockone"
    hosts = HOSTS

    def __init__(self, pages: int, per_page: int, seed: int, hostile: bool) -> None:
        self.pages, self.per_page, self.seed, self.hostile = max(0, pages), max(1, per_page), seed, hostile
        self.total = self.pages * self.per_page
        self.article = lru_cache(maxsize=4096)(self._article)

    # --- the articles ----------------------------------------------------
    def native_id(self, position: int) -> int:
        """Position 0 is the newest article; ids count up with time, as WeCenter's do."""
        return FIRST_ID + self.total - 1 - position

    def _article(self, native_id: int) -> Published:
        position = FIRST_ID + self.total - 1 - native_id
        r = rng(self.seed, self.name, native_id)
        # Each older article at least ~2 hours earlier: monotonic without summing every gap.
        published = NEWEST - timedelta(minutes=173 * position + r.randrange(60))
        host = "dockone.io" if native_id % 7 == 0 else "weekly.dockone.io"
        title = r.choice(TITLES).format(n=chinese_digits(100 + native_id % 400), place=r.choice(PLACES),
                                        topic=r.choice(TOPICS), thing=r.choice(THINGS))
        if native_id % 11 == 0:
            title = f"<{r.choice(TOPICS)}> & 容器：一次 OOM 的排查"  # text that must be escaped everywhere
        return Published(self.name, str(native_id), f"http://{host}/article/{native_id}", title, published,
                         r.choice(AUTHORS), tags=tuple(r.sample(TOPICS, 2)))

    def articles(self) -> Iterator[Published]:
        for position in range(self.total):
            yield self.article(self.native_id(position))

    def hostile_articles(self) -> Iterator[Published]:
        """The hostile listing's articles whose pages are served: a crawl can keep each of them."""
        if self.hostile:
            for sid in HOSTILE_IDS + HOSTILE_TIMES:
                yield self._hostile_article(sid)

    def _hostile_article(self, sid: str) -> Published:
        r = rng(self.seed, "dockone-hostile", sid)
        published = NEWEST - timedelta(days=1, minutes=int(sid) % 100)
        return Published(self.name, sid, f"http://weekly.dockone.io/article/{sid}", f"恶意列表里的好文章 {sid}",
                         published, r.choice(AUTHORS), tags=("安全",))

    def lookup(self, native_id: int) -> Published | None:
        if FIRST_ID <= native_id < FIRST_ID + self.total:
            return self.article(native_id)
        if self.hostile and str(native_id) in HOSTILE_IDS + HOSTILE_TIMES:
            return self._hostile_article(str(native_id))
        return None

    # --- serving ---------------------------------------------------------
    def reply(self, ask: Ask) -> Reply | None:
        if ask.path in ("/", ""):
            return html_page(self.listing_page(ask.host, 1))
        if match := PAGE_PATH.match(ask.path):
            return html_page(self.listing_page(ask.host, int(match[1])))
        if match := ARTICLE_PATH.match(ask.path):
            article = self.lookup(int(match[1]))
            if article is None:
                return not_found()
            body = content.HOSTILE_BODY if article.native_id == "900004" else self.body(article)
            return html_page(article_page(article, body))
        if match := QUESTION_PATH.match(ask.path):
            return html_page(question_page(int(match[1])))
        if self.hostile and ask.path.startswith("/hostile/"):
            return self.hostile_reply(ask)
        return None

    def listing_page(self, host: str, page: int) -> str:
        rows: list[str] = []
        if page >= 1:
            start = (page - 1) * self.per_page
            for index, position in enumerate(range(start, min(start + self.per_page, self.total))):
                rows.append(article_row(self.article(self.native_id(position))))
                if index % QUESTION_EVERY == QUESTION_EVERY - 1:
                    rows.append(question_row(self.native_id(position) * 3 + 1, self.seed))
        pager = pagination(host, page, self.pages) if 1 <= page <= self.pages else ""
        return listing_html("".join(rows), pager)

    def body(self, article: Published) -> str:
        """The article's ``.content``: paragraphs, a code block, absolute and relative images."""
        r = rng(self.seed, "dockone-body", article.native_id)
        day = article.published.astimezone(BEIJING).strftime("%Y%m%d")
        picture = f"http://dockone.io/uploads/article/{day}/{digest(article.native_id, 'png')[:32]}.png"
        paragraphs = [f"<p>{''.join(r.sample(SENTENCES, 2))}</p>" for _ in range(3)]
        return (
            f"{paragraphs[0]}<br />"
            f'<div class="aw-upload-img-list active"><a href="{picture}" target="_blank" data-fancybox-group="thumb"'
            f' rel="lightbox"><img src="{picture}" class="img-polaroid" title="1.png" alt="1.png" /></a></div>'
            f"<h2>{html.escape(r.choice(THINGS))}</h2>{paragraphs[1]}"
            f"<pre><code>$ {html.escape(r.choice(COMMANDS))}\n&lt;none&gt;   Running   0   3d</code></pre>"
            f'<p><img src="/uploads/article/{day}/{digest(article.native_id, "rel")[:32]}.jpg" alt="架构图" /></p>'
            f"{paragraphs[2]}<ul><li>{r.choice(TOPICS)}</li><li>{r.choice(TOPICS)}</li></ul>"
            f'<p>原文链接：<a href="https://kubernetes.io/docs/" rel="nofollow" target="_blank">https://kubernetes.io/docs/</a></p>'
        )

    # --- hostile ---------------------------------------------------------
    def hostile_reply(self, ask: Ask) -> Reply:
        own = f"http://127.0.0.1:{ask.port}"
        if ask.path == "/hostile/rows":
            good = [article_row(self._hostile_article(sid)) for sid in HOSTILE_IDS]
            bad = [article_row(self._hostile_article(sid), link=link, time_text=when) for sid, link, when in (
                ("900201", None, None),  # no <a> in the h4 at all
                ("900202", "", None),  # an <a> without href
                ("900203", "javascript:alert(document.cookie)", None),
                ("900204", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", None),
                ("900205", f"{own}/article/1001", None),
                ("900206", "http://10.0.0.8/article/1002", None),
                ("900101", "use", "未知时间"),  # its page shows the real time
                ("900102", "use", f"{ask.now.astimezone(BEIJING).year + 1}-01-01 10:00"),  # next year; the page: real
            )]
            rows = [good[0], bad[0], bad[1], good[1], bad[2], bad[3], bad[4], good[2], bad[5], bad[6], bad[7], good[3]]
            return html_page(listing_html("".join(rows), pager_html(f"http://{ask.host}/hostile/loop")))
        if ask.path == "/hostile/loop":  # one good row, and a next link back to itself
            row = article_row(self._hostile_article("900001"))
            return html_page(listing_html(row, pager_html(f"http://{ask.host}/hostile/loop")))
        if ask.path == "/hostile/empty":
            return html_page(listing_html("", ""))
        if ask.path == "/hostile/next-private":  # one good row; the next page is on this machine
            row = article_row(self._hostile_article("900002"))
            return html_page(listing_html(row, pager_html(f"{own}/private/next")))
        return not_found()

    def describe(self) -> list[str]:
        lines = [f"dockone: {HOME} (also http://dockone.io/), {self.pages} pages x {self.per_page} articles"
                 f" = {self.total}, question rows between them; paged by the '>' link"]
        if self.hostile:
            lines += [
                "  hostile html: http://weekly.dockone.io/hostile/rows: 4 good rows (900001-900004) among rows without"
                " a link, with an empty href, javascript:, data:, 127.0.0.1 and 10.0.0.8 links, and two good links"
                " showing an unreadable time (900101) and a time next year (900102; both pages show the real time);"
                " 900004's body carries scripts; its next link leads to /hostile/loop",
                "  hostile html: http://weekly.dockone.io/hostile/loop: a next link to itself",
                "  hostile html: http://weekly.dockone.io/hostile/next-private: a next link to 127.0.0.1",
                "  hostile html: http://weekly.dockone.io/hostile/empty: a listing page with no rows",
            ]
        return lines


# --- markup ----------------------------------------------------------------
def minute_text(article: Published) -> str:
    """``2018-03-19 10:59``: Beijing time, no zone, as the site showed it."""
    return article.published.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def article_row(article: Published, link: str | None = "use", time_text: str | None = None) -> str:
    """One ``aw-item article`` row; ``link`` replaces the article's URL (None: no <a>, "": no href)."""
    href = article.url if link == "use" else link
    title = html.escape(article.title)
    if href is None:
        heading = f"<h4>{title}</h4>"
    elif href == "":
        heading = f"<h4><a>{title}</a></h4>"
    else:
        heading = f'<h4><a href="{html.escape(href)}">{title}</a></h4>'
    people = f"http://weekly.dockone.io/people/{html.escape(article.author or '')}"
    views = int(digest(article.native_id, "views")[:3], 16)
    when = time_text or minute_text(article)
    tags = " • ".join(f'<a class="aw-question-tags" href="http://weekly.dockone.io/topic/{html.escape(t)}">'
                      f"{html.escape(t)}</a>" for t in article.tags)
    return f"""
<div class="aw-item article" data-topic-id="{digest(article.native_id)[:3]}">
  <a class="aw-user-name hidden-xs" data-id="{views}" href="{people}" rel="nofollow"><img src="http://weekly.dockone.io/static/common/avatar-max-img.png" alt="" /></a>
  <div class="aw-question-content">
    {heading}
    <p>
      {tags} •
      <a href="{people}" class="aw-user-name">{html.escape(article.author or '')}</a>
      <span class="text-color-999">发表了文章 • {views % 5} 个评论 • {views} 次浏览 • {when}</span>
      <span class="text-color-999 related-topic hide"> • 来自相关话题</span>
    </p>
  </div>
</div>"""


def question_row(question_id: int, seed: int) -> str:
    r = rng(seed, "dockone-question", question_id)
    asker = r.choice(AUTHORS)
    return f"""
<div class="aw-item" data-topic-id="{question_id % 997}">
  <a class="aw-user-name hidden-xs" data-id="{question_id}" href="http://weekly.dockone.io/people/{asker}" rel="nofollow"><img src="http://weekly.dockone.io/static/common/avatar-max-img.png" alt="" /></a>
  <div class="aw-question-content">
    <h4><a href="http://weekly.dockone.io/question/{question_id}">{html.escape(r.choice(QUESTIONS))}</a></h4>
    <a href="http://weekly.dockone.io/question/{question_id}#!answer_form" class="pull-right text-color-999">回复</a>
    <p>
      <a href="http://weekly.dockone.io/people/{asker}" class="aw-user-name">{asker}</a>
      <span class="text-color-999">回复了问题 • {question_id % 4} 人关注 • {question_id % 3} 个回复 • {question_id % 300} 次浏览 • 2018-03-18 21:02</span>
    </p>
  </div>
</div>"""


def pagination(host: str, page: int, pages: int) -> str:
    """WeCenter's pager: « ‹ numbers › »; the last page has no "›" (``&gt;``)."""
    def url(n: int) -> str:
        return PAGE_URL.format(host=host, page=n)

    items: list[str] = []
    if page > 1:
        items += [f'<li><a href="{url(1)}">&lt;&lt;</a></li>', f'<li><a href="{url(page - 1)}">&lt;</a></li>']
    for n in range(max(1, page - 2), min(pages, page + 2) + 1):
        items.append('<li class="active"><a href="javascript:;">%d</a></li>' % n if n == page
                     else f'<li><a href="{url(n)}">{n}</a></li>')
    if page < pages:
        items += [f'<li><a href="{url(page + 1)}">&gt;</a></li>', f'<li><a href="{url(pages)}">&gt;&gt;</a></li>']
    return f'<div class="page-control"><ul class="pagination pull-right">{"".join(items)}</ul></div>'


def pager_html(next_url: str) -> str:
    return (f'<div class="page-control"><ul class="pagination pull-right"><li class="active"><a href="javascript:;">1</a>'
            f'</li><li><a href="{html.escape(next_url)}">&gt;</a></li></ul></div>')


def listing_html(rows: str, pager: str) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="UTF-8" />
<title>DockOne.io</title>
<meta name="description" content="DockOne.io，为技术人员提供最专业的Cloud Native交流平台。" />
<link href="http://weekly.dockone.io/static/css/default/common.css" rel="stylesheet" type="text/css" />
<script src="http://weekly.dockone.io/static/js/jquery.2.js" type="text/javascript"></script>
<script type="text/javascript">var G_BASE_URL = 'http://weekly.dockone.io';</script>
</head><body>
<div class="aw-top-menu-wrap"><div class="aw-top-nav navbar"><ul class="nav navbar-nav">
<li><a href="http://weekly.dockone.io/" class="active">发现</a></li><li><a href="http://weekly.dockone.io/question/">问题</a></li>
<li><a href="http://weekly.dockone.io/article/">文章</a></li><li><a href="http://weekly.dockone.io/topic/">话题</a></li>
</ul></div></div>
<div class="aw-container-wrap"><div class="container"><div class="row"><div class="aw-content-wrap clearfix">
<div class="col-sm-12 col-md-9 aw-main-content">
<ul class="nav nav-tabs aw-nav-tabs active hidden-xs"><li class="active"><a href="http://weekly.dockone.io/sort_type-new">最新</a></li>
<li><a href="http://weekly.dockone.io/sort_type-hot__day-7">热门</a></li><h2 class="hidden-xs"><i class="icon icon-list"></i> 发现</h2></ul>
<div class="aw-mod aw-explore-list"><div class="mod-body"><div class="aw-common-list">{rows}
</div></div><div class="mod-footer">{pager}</div></div>
</div>
<div class="col-sm-12 col-md-3 aw-side-bar hidden-xs hidden-sm">
<div class="aw-mod aw-text-align-justify"><div class="mod-head"><h3>热门用户</h3></div><div class="mod-body">
<dl><dt class="pull-left aw-border-radius-5"><a href="http://weekly.dockone.io/people/DaoCloud"><img alt="" src="http://weekly.dockone.io/static/common/avatar-mid-img.png" /></a></dt>
<dd class="pull-left"><a href="http://weekly.dockone.io/people/DaoCloud" data-id="1" class="aw-user-name">DaoCloud</a></dd></dl>
</div></div></div>
</div></div></div></div>
<div class="aw-footer-wrap"><div class="aw-footer">Copyright © 2018, All Rights Reserved</div></div>
<script type="text/javascript">$(document).ready(function () {{ AWS.Init.init_article_list(); }});</script>
</body></html>
"""


def article_page(article: Published, body: str) -> str:
    title = html.escape(article.title)
    author = html.escape(article.author or "")
    topics = "".join(f'<span class="topic-tag"><a class="text" href="http://weekly.dockone.io/topic/{html.escape(t)}">'
                     f"{html.escape(t)}</a></span>" for t in article.tags)
    return f"""<!DOCTYPE html>
<html><head><meta charset="UTF-8" />
<title>{title} - DockOne.io</title>
<meta name="keywords" content="{html.escape(','.join(article.tags))}" />
<script src="http://weekly.dockone.io/static/js/jquery.2.js" type="text/javascript"></script>
</head><body>
<div class="aw-container-wrap"><div class="container"><div class="row"><div class="aw-content-wrap clearfix">
<div class="col-sm-12 col-md-9 aw-main-content aw-article-content">
<div class="aw-mod aw-topic-bar" id="question_topic_editor"><div class="tag-bar clearfix">{topics}</div></div>
<div class="aw-mod aw-question-detail">
<div class="mod-head"><h1>{title}</h1></div>
<div class="mod-body"><div class="content markitup-box">{body}</div></div>
<div class="mod-footer"><div class="meta"><span class="text-color-999">{minute_text(article)}</span>
<a class="text-color-999" href="javascript:;" onclick="AWS.dialog('shareOut', {{item_type:'article', item_id:{article.native_id}}});"><i class="icon icon-share"></i> 分享</a></div></div>
</div>
<div class="aw-mod aw-comment-box" id="comments"><div class="mod-head"><h2>0 个评论</h2></div>
<div class="mod-body"><ul><li><a class="aw-user-name" href="http://weekly.dockone.io/people/kelvinji">kelvinji</a>
<div class="markitup-box">感谢分享，请问网络插件用的是哪个？</div></li></ul></div></div>
</div>
<div class="col-sm-12 col-md-3 aw-side-bar hidden-sm hidden-xs">
<div class="aw-mod"><div class="mod-head"><h3>文章作者</h3></div><div class="mod-body">
<a href="http://weekly.dockone.io/people/{author}" class="aw-user-name">{author}</a></div></div>
<div class="aw-mod"><div class="mod-head"><h3>相关文章</h3></div><div class="mod-body"><ul>
<li><a href="http://weekly.dockone.io/article/{FIRST_ID}">DockOne技术分享（一）</a></li></ul></div></div>
</div>
</div></div></div></div>
<script type="text/javascript">var ITEM_ID = '{article.native_id}'; var COMMENT_UNFOLD = 'all';</script>
</body></html>
"""


def question_page(question_id: int) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="UTF-8" /><title>问题 {question_id} - DockOne.io</title></head><body>
<div class="aw-mod aw-question-detail aw-item"><div class="mod-head"><h1>问题 {question_id}</h1></div>
<div class="mod-body"><div class="markitup-box">这是一个问题，不是文章。</div></div></div>
</body></html>
"""
