"""Writing output files so that readers never see half of one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` only once it is completely written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as file:
            yield file
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
