"""How long Python's garbage collector held the GIL, and on which thread.

A collection runs on whichever thread's allocation crosses gc's threshold (the audio thread's
among them: it makes a few objects every period) and holds the GIL throughout; the switch
interval cannot break into it. So pedald times every collection (gc.callbacks) and keeps the
longest, by thread, for status, and the moments of long ones, so that an xrun that fell in
one can say so.

    >>> pauses = GcPauses().install()
    >>> pauses.as_status()
    {'collections': 12, 'longest_ms': 0.41, 'by_thread': {'pedal-audio': {...}}, 'long': 0}
    >>> pauses.held_during(start_s, end_s)    # a long collection overlapped (perf_counter times)
    False
"""

from __future__ import annotations

import gc
import threading
import time
from collections import deque

__all__ = ["LONG_S", "GcPauses"]

LONG_S = 0.001     # a collection this long is noted with its moment (a 64-frame period is 1.3 ms)
KEPT_LONG = 32     # the moments of the last this many long ones


class GcPauses:
    def __init__(self, clock=time.perf_counter) -> None:
        self._clock = clock
        self._began: dict[int, float] = {}            # thread id -> when its collection began
        self._by_thread: dict[str, list] = {}         # name -> [collections, longest_s, total_s]
        self._long: deque[tuple[float, float]] = deque(maxlen=KEPT_LONG)
        self.collections = 0
        self.long = 0

    def install(self) -> "GcPauses":
        gc.callbacks.append(self._callback)
        return self

    def remove(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        # Runs inside the collection, on its thread, with the GIL held: a few dict operations.
        now, ident = self._clock(), threading.get_ident()
        if phase == "start":
            self._began[ident] = now
            return
        began = self._began.pop(ident, None)
        if began is None:      # installed in the middle of a collection
            return
        took = now - began
        name = threading.current_thread().name
        counts = self._by_thread.get(name)
        if counts is None:
            counts = self._by_thread[name] = [0, 0.0, 0.0]
        counts[0] += 1
        counts[1] = max(counts[1], took)
        counts[2] += took
        self.collections += 1
        if took >= LONG_S:
            self.long += 1
            self._long.append((began, now))

    def held_during(self, start_s: float, end_s: float) -> bool:
        """Whether a long collection overlapped [start_s, end_s] (the clock's seconds)."""
        return any(began < end_s and ended > start_s for began, ended in list(self._long))

    @property
    def longest_s(self) -> float:
        return max((counts[1] for counts in list(self._by_thread.values())), default=0.0)

    def as_status(self) -> dict:
        return {"collections": self.collections, "longest_ms": round(self.longest_s * 1000, 3), "long": self.long,
                "by_thread": {name: {"collections": n, "longest_ms": round(longest * 1000, 3),
                                     "total_ms": round(total * 1000, 3)}
                              for name, (n, longest, total) in list(self._by_thread.items())}}
