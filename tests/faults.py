"""Ways to make a file unreadable or read-only for a process, even when tests run as root."""

from __future__ import annotations

import os
import shutil

# Root reads and writes past file modes through these capabilities.
_CAPS = "-dac_override,-dac_read_search"


def without_file_override() -> list[str]:
    """A command prefix that runs a process without CAP_DAC_OVERRIDE, so file modes bind it."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise RuntimeError("running as root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    return [setpriv, f"--bounding-set={_CAPS}", f"--inh-caps={_CAPS}"]
