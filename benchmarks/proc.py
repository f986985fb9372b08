"""What a child process reports about itself: resident memory now and at its peak, as one JSON line."""

from __future__ import annotations

import ctypes
import gc
import json
import resource
from pathlib import Path


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def rss_kb() -> int:
    """Resident set size now, in KiB (Linux)."""
    return _status_kb("VmRSS")


def peak_rss_kb() -> int:
    """This process's peak resident set size, in KiB. Not getrusage's ru_maxrss: Linux carries that across
    exec, so a child would report its parent's peak if it was larger."""
    return _status_kb("VmHWM")


def cpu_seconds() -> float:
    """CPU time this process has used so far, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def trimmed_rss_kb() -> int | None:
    """Resident memory once garbage is collected and glibc hands its free heap back to the system: what is
    really live, as opposed to heap the allocator keeps for reuse. None where there is no glibc."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return None
    return rss_kb()


def report(**figures: object) -> None:
    """The child's last line on stdout; the parent reads it."""
    print(json.dumps({**figures, "rss_peak_kb": peak_rss_kb()}), flush=True)
