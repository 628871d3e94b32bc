"""The test oracle: what a complete crawl of a replica site must emit and store.

It reads the replica's layout (slots, statuses, malformed pages), not the
crawler's code, so a crawl that loses or invents articles disagrees with it.
"""

from __future__ import annotations

from newscrawler.replica.site import Site


def expected(site: Site, cids: tuple[int, ...] | None = None, limit: int = 10, pages: int = 10) -> dict[str, set[str]]:
    """Source ids a complete crawl of ``cids`` emits ("emitted") and stores ("stored")."""
    emitted: set[str] = set()
    for cid in cids or site.channels:
        for page in range(1, pages + 1):
            slots = site.page_slots(cid, page, limit)
            if not slots:
                break
            if (cid, page) in site.malformed:
                continue
            emitted.update(v for k, v in slots if k == "article" and site.articles[v].status != "missing")
    stored = {s for s in emitted if not site.articles[s].empty_body}
    return {"emitted": emitted, "stored": stored}
