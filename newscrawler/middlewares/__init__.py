"""Spider and downloader middlewares: private hosts, charsets, incremental crawling, lost requests."""
