"""``python -m tests.peakrss REPORT COMMAND...``: run COMMAND, then write its peak RSS (KiB) to REPORT.

Linux hands a process the memory high-water mark of the process it was started from
(recorded when it execs), so a crawl started straight from a large pytest process would
report pytest's peak as its own. Started from this small process, its figure is its own.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> int:
    report, *command = sys.argv[1:]
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    with open(report, "w") as out:
        out.write(str(usage.ru_maxrss))
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
