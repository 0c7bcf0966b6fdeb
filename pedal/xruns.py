"""Where each xrun came from: the audio thread notes what it saw, the control side names the cause.

    >>> log = XrunLog(rate=48000, period=128, buffered=2)
    >>> log.note(CAPTURE, frames, gap_s, busy_s)   # audio thread, at the xrun (no allocation)
    >>> log.take()                                  # control side: the new xruns, classified
    [Xrun(at_s=0.31, side='capture', cause='device', ...)]

An xrun is one of these, told apart by timing:

- "over budget": processing one period took longer than the period;
- the audio thread was late: its wait between finishing one period and getting the
  next (``gap_s``) plus its processing ran past what the buffer holds. Then either
  "machine stall": the hypervisor did not run this machine's CPUs (the kernel's steal
  time rose in the same moment; a bare C SCHED_FIFO thread stalls as long then), or
  "page faults": the thread waited on the disk for a page (major faults since its
  last xrun; with memory locked there should be none), or "garbage collection": Python's
  collector held the GIL meanwhile (pedal.gc_pauses saw a long one), or "late": held in
  this process (the GIL behind a long C call, a lock) or by the scheduler;
- "device": the audio thread was on time and the device side missed its deadline:
  on JACK's dummy driver the JACK client threads of ALSA's jack plugin (jackd logs
  "client ... was not finished"), on a sound card a USB or driver hiccup.

The audio thread writes into preallocated numpy rows and only then counts the xrun, so
the control side reads rows that are complete. At the xrun the thread's own rusage
is read (its major faults): the xrun has already happened, so that system call
costs no deadline. The control side reads the machine's steal time each housekeeping
tick and passes what it saw to ``take``. ``DriftWatch`` tells the audio thread of the one kind
no device reports: the latency it holds drifted a period or more from the primed one, for good.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["CAPTURE", "CAUSES", "DRIFTED_S", "DriftWatch", "LATENCY", "MOMENTS", "PLAYBACK", "STREAM", "Xrun",
           "XrunAccount", "XrunLog", "moment_of", "steal_ticks"]

CAPTURE, PLAYBACK, STREAM, LATENCY = 0, 1, 2, 3
# "stream": a stall longer than the buffer that ALSA did not report, because the device's clock
# stopped with the audio thread (JACK's clients run in this process: SIGSTOP stops both).
# "latency": the device held a period more or less than primed, and said nothing (JACK skipped
# one of ALSA's jack clients for a cycle: playback stood still while capture went on); put back.
SIDES = ("capture", "playback", "stream", "latency")
CAUSES = ("device", "late", "machine stall", "page faults", "garbage collection", "over budget")
MOMENTS = ("first second", "change", "steady")
ROWS = 256          # xruns kept for the control side to read; older ones are only counted
_FIELDS = 6         # frames, side, gap_s, busy_s, major faults since the previous xrun, noted at (perf_counter)


@dataclass(frozen=True)
class Xrun:
    at_s: float       # seconds of audio played when it happened
    side: str         # "capture" (overrun), "playback" (underrun), "stream" or "latency" (see SIDES)
    cause: str        # one of CAUSES
    gap_s: float      # the audio thread's wait between the previous period's end and this one's data
    busy_s: float     # the audio thread's processing time of the period before


class XrunLog:
    """The audio thread's notes on its xruns (``note``), and their causes for the control side (``take``)."""

    def __init__(self, rate: int, period: int, buffered: int) -> None:
        self.rate, self.buffered = rate, max(1, buffered)
        self.retime(period)
        self._rows = np.zeros((ROWS, _FIELDS))
        self.noted = 0
        self._taken = 0
        self._thread_usage: resource.struct_rusage | None = None

    def retime(self, period: int) -> None:
        """The period the device really gave (control side, before the audio thread streams)."""
        self.period_s = period / self.rate
        # Playback holds ``buffered`` periods primed ahead of the one being processed: the
        # audio thread can be that late before the device runs dry.
        self.slack_s = self.buffered * self.period_s

    def start_thread(self) -> None:
        """Call on the audio thread before it streams: the baseline of its own rusage."""
        self._thread_usage = resource.getrusage(resource.RUSAGE_THREAD)

    def note(self, side: int, frames: int, gap_s: float, busy_s: float) -> None:
        """Audio thread, right after an xrun. No allocation beyond the rusage read."""
        usage = resource.getrusage(resource.RUSAGE_THREAD)
        before = self._thread_usage or usage
        row = self._rows[self.noted % ROWS]
        row[0], row[1], row[2], row[3] = frames, side, gap_s, busy_s
        row[4] = usage.ru_majflt - before.ru_majflt
        row[5] = time.perf_counter()
        self._thread_usage = usage
        self.noted += 1

    def cause_of(self, gap_s: float, busy_s: float, major_faults: float, stolen: bool, collected: bool = False) -> str:
        if busy_s > self.period_s:
            return "garbage collection" if collected else "over budget"
        if gap_s + busy_s <= self.slack_s:
            return "device"
        if stolen:
            return "machine stall"
        if major_faults:
            return "page faults"
        if collected:
            return "garbage collection"
        return "late"

    def take(self, stolen: bool = False, collected: Callable[[float, float], bool] | None = None) -> list[Xrun]:
        """The xruns noted since the last call, oldest first (at most ROWS of them). ``stolen``:
        the machine's steal time rose since the last call (pedal.xruns.steal_ticks). ``collected``:
        whether a long garbage collection overlapped a span of perf_counter seconds (GcPauses)."""
        noted = self.noted
        first = max(self._taken, noted - ROWS)
        taken = []
        for index in range(first, noted):
            frames, side, gap_s, busy_s, major_faults, noted_at = self._rows[index % ROWS]
            held = collected is not None and collected(noted_at - gap_s - busy_s, noted_at)
            # at_s to the microsecond: it names the frame (a millisecond is 48 of them; the tests
            # and the recordings' alignment find the xrun's period from it).
            taken.append(Xrun(round(frames / self.rate, 6), SIDES[int(side)],
                              self.cause_of(gap_s, busy_s, major_faults, stolen, held), round(gap_s, 5),
                              round(busy_s, 5)))
        self._taken = noted
        return taken


# The latency held off the primed one by a period or more for this long is put back (a device
# that stood still on one side and not the other without reporting it: JACK skipping a client).
DRIFTED_S = 0.05


class DriftWatch:
    """Whether the latency the device holds has left the primed one, for good: a period or more
    off, the same way, at every one of ``periods`` checks in a row. One period off at a single
    check is ordinary (a device period falling between reading capture and reading playback; on
    JACK, the playback client's cycle run after the capture client's and this thread's).

        >>> watch = DriftWatch(periods=19, period=128)
        >>> watch.off(held - target)   # each period: None, or the frames to correct (+ too many)
    """

    def __init__(self, periods: int, period: int) -> None:
        self.periods, self.period = periods, period
        self._run = 0      # checks in a row off the same way
        self._least = 0    # the smallest offset among them: what was surely held off

    def off(self, offset: int) -> int | None:
        if -self.period < offset < self.period:
            self._run = 0
            return None
        if self._run and (offset > 0) == (self._least > 0):
            self._least = min(self._least, offset) if offset > 0 else max(self._least, offset)
        else:
            self._least = offset
            self._run = 0
        self._run += 1
        if self._run < self.periods:
            return None
        self._run = 0
        return self._least


def steal_ticks() -> int:
    """The machine's steal time so far, in clock ticks (/proc/stat): time a hypervisor ran
    something else while this machine's CPUs had work. 0 where it cannot be read."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()
        return int(fields[8]) if fields[:1] == [b"cpu"] and len(fields) > 8 else 0
    except (OSError, ValueError):
        return 0


def moment_of(at_s: float, since_change_s: float | None) -> str:
    """When an xrun fell: "first second" of audio, a "change" (a model or rig loading or
    switching within the last second), or "steady"."""
    if at_s < 1.0:
        return "first second"
    if since_change_s is not None and since_change_s < 1.0:
        return "change"
    return "steady"


class XrunAccount:
    """The xruns so far by cause and by moment, and the last few, for status and the demo's summary."""

    KEEP = 64

    def __init__(self) -> None:
        self.by_cause = dict.fromkeys(CAUSES, 0)
        self.by_moment = dict.fromkeys(MOMENTS, 0)
        self.last: list[dict] = []

    def add(self, xrun: Xrun, moment: str) -> None:
        self.by_cause[xrun.cause] += 1
        self.by_moment[moment] += 1
        self.last = (self.last + [dict(vars(xrun), moment=moment)])[-self.KEEP:]

    def describe(self) -> str:
        """"1 in the first second, 0 after; device 1" (the causes that occurred)."""
        first = self.by_moment["first second"]
        after = sum(self.by_moment.values()) - first
        causes = ", ".join(f"{cause} {count}" for cause, count in self.by_cause.items() if count)
        return f"{first} in the first second, {after} after" + (f"; {causes}" if causes else "")

    def as_status(self) -> dict:
        return {"by_cause": {c: n for c, n in self.by_cause.items() if n},
                "by_moment": dict(self.by_moment), "last": list(self.last)}
