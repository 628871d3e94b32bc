"""newscrawler: crawl news aggregators and feeds, each source a profile file, into MongoDB, feeds and Hexo posts."""
