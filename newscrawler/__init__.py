"""newscrawler: crawl 趣头条-style news aggregators into MongoDB, feeds and Hexo posts."""
