"""A deterministic replica of the 趣头条 listing API and article pages, for offline crawls."""
