"""Round trips per batch of ``MongoStore.write``, and the store rate with and without the journal,
on a SecantusDB wire server (or MONGO_TEST_URI).

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_mongo_roundtrips.py [ARTICLES] [BATCH]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from statistics import median

from pymongo.write_concern import WriteConcern

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newscrawler.storage.base import WriteResult, chunked  # noqa: E402
from newscrawler.storage.documents import to_document  # noqa: E402
from tests.articles import T0, article  # noqa: E402
from tests.servers import secantus  # noqa: E402
from tests.stores import mongo_store  # noqa: E402


def run(uri: str, count: int, batch_size: int) -> None:
    store = mongo_store(uri, f"bench_roundtrips_{os.getpid()}")
    commands = store.commands  # type: ignore[attr-defined]
    originals = [article(n) for n in range(count)]
    passes = [
        ("new", originals),
        ("unchanged (counters and crawl time moved)",
         [replace(a, stats={"read": 9}, crawled_at=T0 + timedelta(hours=1)) for a in originals]),
        ("one in ten changed", [replace(a, title=a.title + " 改" if n % 10 == 0 else a.title,
                                        crawled_at=T0 + timedelta(hours=2)) for n, a in enumerate(originals)]),
        ("stale (an old dead-letter file replayed)", originals),
    ]
    print(f"{count} articles in batches of {batch_size} on {uri.split('@')[-1]}")
    try:
        for name, items in passes:
            docs = [to_document(a) for a in items]
            before, total = commands.data(), WriteResult()
            started = time.perf_counter()
            batches = 0
            for batch in chunked(docs, batch_size):
                total.add(store.write(batch, T0))
                batches += 1
            elapsed = time.perf_counter() - started
            trips = commands.data() - before
            print(f"  {name:45} {batches:4} batches  {trips:4} round trips  {trips / batches:.2f} per batch  "
                  f"{elapsed:6.2f} s  new={total.new} updated={total.updated} unchanged={total.unchanged} "
                  f"stale={total.stale}")
        print(f"  commands by name: {dict(commands.commands)}")
    finally:
        store.client.drop_database(store.collection.database.name)
        store.close()


def store_rate(uri: str, count: int, batch_size: int, repeats: int = 3) -> None:
    """New articles per second through ``MongoStore.write``: journaled writes (the default, MONGO_JOURNAL)
    against the server's default write concern (acknowledged once applied in memory)."""
    docs = [to_document(article(n)) for n in range(count)]
    print(f"store rate, {count} new articles in batches of {batch_size} (median of {repeats} fresh collections):")
    for name, concern in (("journal=true (the default)", WriteConcern(j=True)),
                          ("no journal (w=1, the server's default)", WriteConcern())):
        rates = []
        for repeat in range(repeats):
            store = mongo_store(uri, f"bench_rate_{os.getpid()}_{repeat}", concern)
            try:
                started = time.perf_counter()
                for batch in chunked(docs, batch_size):
                    store.write(batch, T0)
                rates.append(count / (time.perf_counter() - started))
            finally:
                store.client.drop_database(store.collection.database.name)
                store.close()
        print(f"  {name:40} {median(rates):8.0f} articles/s  (runs: {', '.join(f'{r:.0f}' for r in rates)})")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    batch_size = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with ExitStack() as stack:
        uri = os.environ.get("MONGO_TEST_URI")
        if not uri:
            uri = stack.enter_context(secantus(Path(stack.enter_context(tempfile.TemporaryDirectory())))).uri
        run(uri, count, batch_size)
        for size in sorted({batch_size, 10}, reverse=True):  # small batches show the journal's fsync per batch
            store_rate(uri, count, size)


if __name__ == "__main__":
    main()
