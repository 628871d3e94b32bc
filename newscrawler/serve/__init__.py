"""``scrapy serve``: the stored articles as feeds over HTTP, read-only, with Twisted Web.

``routes`` reads a request's path, ``params`` its query, ``formats`` picks the exports' renderer,
``conditional`` answers ETag and Last-Modified, ``index`` draws the page at ``/``, ``app`` answers
a request (in a worker thread) and ``site`` is the Twisted side: resource, limits and access log.
"""
