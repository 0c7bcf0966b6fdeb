"""pedald's main thread: every TICK_S, the work that keeps the pedal healthy and its status
fresh, none of it on the audio thread.

    >>> run(pedal, seconds=30)   # until pedal.stop(), or 30 s after the start

Each tick frees what the engine handed back, reads the engine's statistics into the CPU
meter, tells systemd the pedal is ready (once audio flows) and alive (while the audio
thread makes progress), and every STATUS_EVERY_S reads the memory (and with --demo prints
a status line). systemd: READY=1 once audio flows; WATCHDOG=1 only while periods flow or
the audio thread keeps retrying a vanished device -- a hung audio thread gets the daemon
restarted. Both are no-ops without $NOTIFY_SOCKET.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import socket
import time

log = logging.getLogger("pedald")

__all__ = ["CpuMeter", "STATUS_EVERY_S", "TICK_S", "UNREAD_MEMORY", "peaks_db", "read_memory", "run", "sd_notify"]

TICK_S = 0.25             # housekeeping period: garbage, stats, watchdog, reports
STATUS_EVERY_S = 5.0      # a memory reading (and with --demo a status line) this often
STALL_S = 2.0             # no progress on the audio thread for this long: unhealthy
UNREAD_MEMORY = {"rss_kb": None, "traced_kb": None, "traced_bytes": None}  # what status says before a reading


def sd_notify(message: str) -> bool:
    """Sends ``message`` (e.g. "READY=1") to systemd; False when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        return False
    return True


class CpuMeter:
    """Turns the engine's per-read block times into percent of the period, over
    a window (the status line) and since the start (the summary)."""

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self.window = [0.0, 0, 0.0]   # sum of us, blocks, max us
        self.total = [0.0, 0, 0.0]

    def add(self, stats: dict) -> None:
        blocks = stats["blocks"]
        if not blocks:
            return
        us = stats["block_us"]
        for acc in (self.window, self.total):
            acc[0] += us["avg"] * blocks
            acc[1] += blocks
            acc[2] = max(acc[2], us["max"])

    def percent(self, acc) -> tuple[float, float]:
        if not acc[1]:
            return 0.0, 0.0
        return acc[0] / acc[1] / (self.period_s * 1e4), acc[2] / (self.period_s * 1e4)

    def take_window(self) -> tuple[float, float]:
        result = self.percent(self.window)
        self.window = [0.0, 0, 0.0]
        return result


def run(pedal, seconds: float | None = None) -> None:
    """Housekeeping for ``pedal`` (a pedal.daemon.Pedal) until pedal.stop() (or SIGTERM/SIGINT
    via main), or ``seconds`` after start. What it reads lands where status() looks:
    pedal._last_stats, pedal._recent_cpu, pedal._memory."""
    audio, rate = pedal.audio, pedal.config.audio.rate
    progress, progress_at = None, time.monotonic()
    last_watchdog = last_status = 0.0
    busy_before, frames_before = audio.busy_s, audio.frames
    while not pedal._stop.wait(TICK_S):
        now = time.monotonic()
        pedal.engine.collect_garbage()
        pedal._last_stats = pedal.engine.stats()
        pedal.cpu.add(pedal._last_stats)
        audio.report()
        if audio.capture is not None:
            pedal.cpu.period_s = audio.period / rate
        moved = (audio.periods, audio.attempts)
        if moved != progress:
            progress, progress_at = moved, now
        healthy = audio.healthy() and now - progress_at < STALL_S
        if not pedal.ready and audio.periods > 0:
            pedal.ready = True
            sd_notify("READY=1\nSTATUS=playing")
            log.info("audio running: %d Hz, period %d, latency %.2f ms, %s", rate, audio.period,
                     pedal.latency_ms(), "SCHED_FIFO" if audio.realtime else "normal priority")
        if healthy and now - last_watchdog >= 1.0:
            sd_notify("WATCHDOG=1")
            last_watchdog = now
        if now - last_status >= STATUS_EVERY_S and now - pedal.started_at >= STATUS_EVERY_S - TICK_S:
            # Read here, at the same point of every tick, so that what the
            # reading holds itself is the same each time (a reading inside
            # a status request caught that request's varying objects).
            pedal._memory = read_memory()
            pedal._recent_cpu = pedal.cpu.take_window()
            frames = audio.frames - frames_before
            loop = (audio.busy_s - busy_before) / (frames / rate) * 100 if frames else 0.0
            busy_before, frames_before = audio.busy_s, audio.frames
            if pedal.demo:
                print(status_line(pedal, now, loop), flush=True)
            last_status = now
        pedal._show()
        if seconds is not None and now - pedal.started_at >= seconds:
            break
    sd_notify("STOPPING=1")


def status_line(pedal, now: float, loop_percent: float) -> str:
    """--demo's line every STATUS_EVERY_S: what plays, how long, how hard the CPU works."""
    recent_avg, recent_max = pedal._recent_cpu
    return (f"pedald: {now - pedal.started_at:5.1f} s, {pedal._now()['model']}"
            f"{' (bypassed)' if pedal.state.bypass else ''}, audio {pedal.audio.state}, "
            f"latency {pedal.latency_ms():.1f} ms, cpu avg {recent_avg:.0f}% "
            f"max {recent_max:.0f}% (whole loop {loop_percent:.0f}%), xruns {pedal.audio.xruns}")


def peaks_db(stats: dict) -> dict:
    """Input and output peaks of the last housekeeping tick in dBFS (None: silence)."""
    def db(value):
        return round(20 * math.log10(value), 1) if isinstance(value, (int, float)) and value > 0 else None
    return {"input_dbfs": db(stats.get("input_peak")), "output_dbfs": db(stats.get("output_peak"))}


def read_memory() -> dict:
    """Resident memory, and Python's own live allocations when tracemalloc runs (PYTHONTRACEMALLOC=1);
    status answers with the housekeeping thread's reading of every STATUS_EVERY_S.

    Read with os.read rather than open(): a text file object per call left
    blocks behind that the soak's 0-byte growth check counts."""
    import tracemalloc
    memory = dict(UNREAD_MEMORY)
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            resident_pages = int(os.read(fd, 256).split()[1])
        finally:
            os.close(fd)
        memory["rss_kb"] = resident_pages * _PAGE_KB
    except (OSError, IndexError, ValueError):
        pass
    if tracemalloc.is_tracing():
        # A collection first: it also empties CPython's free lists (of dicts,
        # floats, tuples...), caches that fill towards a fixed size over minutes
        # and would otherwise read as growth. Cheap: start() froze the
        # long-lived objects, so only those made since are looked at.
        gc.collect()
        memory["traced_bytes"] = tracemalloc.get_traced_memory()[0]
        memory["traced_kb"] = memory["traced_bytes"] // 1024
    return memory


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
