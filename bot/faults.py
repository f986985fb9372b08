"""Named crash points for the crash-safety tests: `TIEPDAN_CRASH_AT=after_store` kills the process there.

A no-op unless the variable names the point. `TIEPDAN_CRASH_SKIP=N` lets the first N passes through, so a
test can crash in the middle of a conversation; `TIEPDAN_CRASH_MARKER=FILE` records the crash so that the
restarted process runs through. The kill is SIGKILL: nothing gets to clean up.

`TIEPDAN_DRILL_TIME_SCALE=K` runs the platforms' sending clocks K times faster (the bad-day drills' fake Bot
API enforces Telegram's limits times K), so a drill of thousands of conversations takes minutes, not hours.
"""

from __future__ import annotations

import os
import signal

# in_group_commit: several chats' steps done, before their COMMIT; after_group_commit: committed, before the
# replies are handed to the sender (bot.workers.consumer). Both only in a batch of two chats or more.
POINTS = ("after_store", "after_flow_commit", "in_group_commit", "after_group_commit", "after_send", "after_mark")
_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    if os.environ.get("TIEPDAN_CRASH_AT") != name:
        return
    marker = os.environ.get("TIEPDAN_CRASH_MARKER")
    if marker and os.path.exists(marker):
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] <= int(os.environ.get("TIEPDAN_CRASH_SKIP", "0")):
        return
    if marker:
        with open(marker, "w") as fh:
            fh.write(name)
    os.kill(os.getpid(), signal.SIGKILL)


def drill_time_scale() -> float:
    """How many times faster than real the platforms' sending limits run (1.0 outside drills)."""
    try:
        scale = float(os.environ.get("TIEPDAN_DRILL_TIME_SCALE", "1"))
    except ValueError:
        return 1.0
    return scale if scale > 0 else 1.0
