"""The download handler: Scrapy's HTTP/1.1 handler with a bound on response heads."""
