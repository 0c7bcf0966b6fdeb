"""Holding one thread of a process off the CPU for a moment while the rest run on: how a
machine stall, a long system call or a preempting kernel thread looks to pedald's audio thread.

    >>> hold_thread(daemon.pid, priority=70, seconds=0.008, beside=[jackd.pid])

The threads of that priority (pedald's audio thread; none other has it) go to the second CPU
with a SCHED_FIFO 99 spinner for ``seconds``; every other thread of the process and of
``beside`` stays on the first, so JACK's clock and its clients go on. Needs root and two CPUs.
"""

import os
import subprocess
import sys

SPIN = ("import os, time\n"
        "os.sched_setaffinity(0, {1})\n"
        "os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(99))\n"
        "end = time.perf_counter() + float(os.environ['HOLD_S'])\n"
        "while time.perf_counter() < end:\n"
        "    pass\n")


def can_hold() -> bool:
    return os.geteuid() == 0 and len(os.sched_getaffinity(0)) >= 2 and {0, 1} <= os.sched_getaffinity(0)


def threads_of(pid: int) -> list[int]:
    return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]


def hold_thread(pid: int, priority: int, seconds: float, beside=()) -> None:
    held = [tid for tid in threads_of(pid) if os.sched_getparam(tid).sched_priority == priority]
    assert held, f"no thread of priority {priority} in process {pid}"
    rest = [tid for tid in threads_of(pid) if tid not in held] + [tid for other in beside for tid in threads_of(other)]
    cpus = os.sched_getaffinity(0)
    try:
        for tid in rest:
            os.sched_setaffinity(tid, {0})
        for tid in held:
            os.sched_setaffinity(tid, {1})
        subprocess.run([sys.executable, "-c", SPIN], env=dict(os.environ, HOLD_S=str(seconds)), check=True)
    finally:
        for tid in held + rest:
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:   # a thread that ended meanwhile
                pass
