"""A deterministic replica of every bundled source (趣头条's API, Dockone, 人人都是产品经理, ZAKER)
and a feed blog, hostile pages included, for offline crawls, tests and the demo."""
