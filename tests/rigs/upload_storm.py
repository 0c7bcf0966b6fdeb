"""Uploads killed at random moments: the crash-safety tests' load (tests/test_store_crash.py).

    python -m tests.rigs.upload_storm --config pedal.toml --sources DIR --count 200 --parallel 4
    python -m tests.rigs.upload_storm --config pedal.toml --sources BUNDLES --rigs --count 60

Each upload is `pedalctl upload SOURCE --name stormNN`, or with ``--rigs`` `pedalctl rig import
BUNDLE --replace` (a rig with its captures and cabinet, pedal.transaction).

Imports pedalctl once, then forks one child per upload (each runs pedal.cli.main,
exactly what the console script runs) and SIGKILLs it after a random delay,
keeping ``--parallel`` in flight. Delays are drawn from the running median of
how long an upload takes when left alone: half anywhere in it, half in its
last part, where the file is written and pedald is told. Prints a JSON summary.
"""

import argparse
import json
import os
import random
import signal
import statistics
import sys
import time
from pathlib import Path

from pedal.cli import main as pedalctl


def child(argv: list[str]) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        status = pedalctl(argv)
    except BaseException:
        status = 99
    os._exit(status)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--sources", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--names", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rigs", action="store_true", help="the sources are rig bundles: rig import them")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sources = sorted(Path(args.sources).iterdir())
    durations = [1.0]
    running: dict[int, tuple[float, float | None, bool]] = {}   # pid -> (started, kill at or None, late)
    summary = {"started": 0, "killed": 0, "killed_late": 0, "finished": 0, "refused": 0, "failed": 0}
    while summary["started"] < args.count or running:
        while summary["started"] < args.count and len(running) < args.parallel:
            if args.rigs:
                argv = ["--config", args.config, "rig", "import", str(rng.choice(sources)), "--replace"]
            else:
                argv = ["--config", args.config, "upload", str(rng.choice(sources)),
                        "--name", f"storm{rng.randrange(args.names):02d}"]
                # Mostly --replace: an upload refused for a taken name ends before any kill could land.
                if rng.random() < 0.9:
                    argv.append("--replace")
            typical = statistics.median(durations[-20:])
            spared = rng.random() < 0.15            # some run to the end, to change the library for real
            delay = None if spared else (rng.uniform(0.0, 1.0) if rng.random() < 0.5 else rng.uniform(0.7, 1.0)) * typical
            pid = os.fork()
            if pid == 0:
                child(argv)
            now = time.monotonic()
            running[pid] = (now, None if delay is None else now + delay, delay is not None and delay > 0.8 * typical)
            summary["started"] += 1
        time.sleep(0.002)
        now = time.monotonic()
        for pid, (started, kill_at, late) in list(running.items()):
            if kill_at is not None and now >= kill_at:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                continue
            del running[pid]
            if os.WIFSIGNALED(status):
                summary["killed"] += 1
                summary["killed_late"] += late   # in the last fifth: writing, or telling pedald
            elif os.WEXITSTATUS(status) == 0:
                summary["finished"] += 1
                durations.append(now - started)
            elif os.WEXITSTATUS(status) == 1:
                summary["refused"] += 1
            else:
                summary["failed"] += 1
    summary["median_upload_s"] = round(statistics.median(durations), 3)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
