"""Progress bars for the long store commands: on a terminal only, silent under cron and pipes.

The commands hand ``progress`` to the storage and export code (``storage.base.Progress``).
"""

from __future__ import annotations

import sys
from typing import IO, Any

from tqdm import tqdm


def progress(iterable: Any = None, *, desc: str, total: int | None = None, unit: str = "article",
             stream: IO[str] | None = None) -> tqdm:
    """A tqdm bar on ``stream`` (stderr) when it is a TTY; otherwise a silent pass-through.

    Use it as an iterable wrapper, or as a context manager and call ``update(n)``.
    """
    stream = stream if stream is not None else sys.stderr
    interactive = hasattr(stream, "isatty") and stream.isatty()
    return tqdm(iterable, desc=desc, total=total, unit=unit, file=stream, disable=not interactive,
                dynamic_ncols=True, leave=False)

