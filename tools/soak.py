#!/usr/bin/env python3
"""`make soak`: pedald for SOAK_SECONDS (default 600) on JACK's dummy driver at a
SOAK_PERIOD-frame period (default 64), while SOAK_LOAD processes (default 2: one per
core of a Pi-sized machine) spin at normal priority beside it. Reports xruns (by
cause and moment, pedal.xruns), the engine's CPU per period, and memory growth
after a warm-up: resident memory (RSS) and Python's own live allocations
(tracemalloc in the daemon, PYTHONTRACEMALLOC=1, read after a garbage collection
that also empties CPython's free lists: those are caches that fill towards a fixed
size over minutes, not growth).

    make soak                                   # or: .venv/bin/python tools/soak.py
    SOAK_SECONDS=1800 make soak                 # the issue's 30 minutes
    SOAK_PERIOD=128 SOAK_LOAD=1 make soak       # the period and load of CI's two-minute soak

Exits 1 when there were xruns, when resident memory grew at all after the
warm-up (SOAK_MAX_GROWTH_KB, default 0), or when Python's live allocations
trend upwards by more than SOAK_PYTHON_TREND_BYTES (default 256) per 10 minutes.
The trend is the median of the slopes between every pair of readings after the
warm-up (Theil-Sen): a one-off step (a cache filled once, a float that two
holders stop sharing) or a reading that caught a transient object barely moves
it, while a leak of one object per period, housekeeping tick or status request
is a steady slope of kilobytes per 10 minutes. The last line is the summary, and
with SOAK_JSON=1 a JSON object of the same figures follows it.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pedal.control import request  # noqa: E402
from pedal.demo import JackDummy, daemon_command, spinning, write_asoundrc, write_config, write_di  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
LOAD = int(os.environ.get("SOAK_LOAD", "2"))
MAX_GROWTH_KB = int(os.environ.get("SOAK_MAX_GROWTH_KB", "0"))
PYTHON_TREND_BYTES = int(os.environ.get("SOAK_PYTHON_TREND_BYTES", "256"))  # per 10 minutes
PERIOD = int(os.environ.get("SOAK_PERIOD", "64"))
POLL_S = float(os.environ.get("SOAK_POLL_S", "10"))
FLOOR_READINGS = 12  # two minutes of polls (at the default SOAK_POLL_S)


def status(sock):
    try:
        answer = request(sock, {"cmd": "status"}, timeout=2)
        return answer if answer.get("ok") else None
    except OSError:
        return None


def main() -> int:
    warmup = min(60.0, SECONDS / 5)
    print(f"soak: {SECONDS:g} s at period {PERIOD} beside {LOAD} spinning process(es); warm-up {warmup:g} s",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="pedal-soak-") as temporary:
        directory = Path(temporary)
        di_raw = directory / "di.raw"
        write_di(di_raw, SECONDS + 30)
        write_asoundrc(directory, di_raw, Path("/dev/null"))
        config = write_config(directory, period=PERIOD, periods=2)
        sock = directory / "control.sock"
        with spinning(LOAD), JackDummy(period=PERIOD, log_path=directory / "jackd.log") as jack:
            env = jack.env()
            env.update(HOME=str(directory), PYTHONTRACEMALLOC="1")
            daemon = subprocess.Popen(daemon_command(config, "--seconds", f"{SECONDS + 5:g}"), env=env,
                                      cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(directory / "log", "wb"))
            try:
                return watch(daemon, sock, warmup, jack.realtime)
            finally:
                if daemon.poll() is None:
                    daemon.terminate()
                    daemon.wait(15)


def watch(daemon, sock, warmup, jack_realtime) -> int:
    start = time.monotonic()
    while status(sock) is None:
        if daemon.poll() is not None or time.monotonic() - start > 30:
            print("soak: pedald did not start", file=sys.stderr)
            return 1
        time.sleep(0.2)
    start = time.monotonic()
    # Resident memory is compared as the floor (minimum) of the readings in the
    # first and in the last FLOOR_READINGS polls after the warm-up: a reading
    # can catch transient pages, never fewer than what is really kept.
    after_warmup = []
    cpu_max = 0.0
    last = None
    while time.monotonic() - start < SECONDS:
        time.sleep(POLL_S)
        now = status(sock)
        if now is None:
            print("soak: pedald stopped answering", file=sys.stderr)
            return 1
        last = now
        elapsed = time.monotonic() - start
        cpu_max = max(cpu_max, now["cpu"]["recent_max_percent"])
        if elapsed >= warmup:
            after_warmup.append((elapsed, now["memory"]))
        print(f"soak: {elapsed:6.0f} s  xruns {now['xruns']}  cpu avg {now['cpu']['recent_avg_percent']:.1f}% "
              f"max {now['cpu']['recent_max_percent']:.1f}%  rss {now['memory']['rss_kb']} KiB  "
              f"python {now['memory']['traced_bytes']} bytes", flush=True)
    first, final = after_warmup[:FLOOR_READINGS], after_warmup[-FLOOR_READINGS:]
    growth_rss = min(m["rss_kb"] or 0 for _, m in final) - min(m["rss_kb"] or 0 for _, m in first)
    trend_py = python_trend(after_warmup)
    causes = last["xrun_causes"]
    print(f"soak: {SECONDS:g} s, xruns {last['xruns']} (by moment {causes['by_moment']}, by cause "
          f"{causes['by_cause']}), cpu avg {last['cpu']['avg_percent']:.1f}% "
          f"max {cpu_max:.1f}% of a {PERIOD}-frame period, memory after warm-up: rss {growth_rss:+d} KiB, "
          f"python {trend_py:+.0f} bytes per 10 min, longest gc pause {last['gc']['longest_ms']:.2f} ms of "
          f"{last['gc']['collections']} collections (audio thread SCHED_FIFO: {last['realtime']}, "
          f"jackd realtime: {jack_realtime}, {LOAD} spinning)", flush=True)
    if os.environ.get("SOAK_JSON"):
        print(json.dumps({"seconds": SECONDS, "period": PERIOD, "load": LOAD, "xruns": last["xruns"],
                          "xrun_causes": causes, "rss_growth_kb": growth_rss, "python_trend_bytes": round(trend_py),
                          "cpu_avg_percent": last["cpu"]["avg_percent"], "cpu_max_percent": cpu_max,
                          "gc": last["gc"]}), flush=True)
    return 0 if last["xruns"] == 0 and growth_rss <= MAX_GROWTH_KB and trend_py <= PYTHON_TREND_BYTES else 1


def python_trend(readings) -> float:
    """Bytes per 10 minutes: the median slope over every pair of (seconds, memory) readings."""
    points = [(t, m["traced_bytes"]) for t, m in readings if m["traced_bytes"] is not None]
    slopes = [(b - a) / (u - t) for i, (t, a) in enumerate(points) for u, b in points[i + 1:]]
    return statistics.median(slopes) * 600 if slopes else 0.0


if __name__ == "__main__":
    sys.exit(main())
