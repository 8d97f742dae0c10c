"""How a winback process tunes Python's garbage collector.

Applying events, feed rows and CSV rows allocates pydantic models, dicts and
rows by the hundred thousand, and many of them live for a batch. With the
default thresholds (700, 10, 10) the collector runs a young collection every
700 allocations and, as survivors pile up, full collections that walk every
object the process holds: about a fifth of a feed sync's or an orders
import's CPU went there. Almost all of that garbage is freed by reference
counting, so collecting rarely costs little memory.
"""

from __future__ import annotations

import gc

# A young collection every 50,000 net allocations; a full one at most every 20x20 of them.
THRESHOLDS = (50_000, 20, 20)


def tune_garbage_collection() -> None:
    """For processes that apply data in bulk: the CLI, the server's workers, the feed reader."""
    gc.set_threshold(*THRESHOLDS)
