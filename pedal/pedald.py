"""pedald, the process: its command line, the real-time set-up every thread inherits, the
signals, and the Pedal (pedal.daemon) run until they stop it.

    pedald [--config /etc/pedal/pedal.toml] [--models DIR] [--demo] [--seconds N]
    python -m pedal.pedald ...
"""

from __future__ import annotations

import os

# numpy's OpenBLAS would start a thread per core, each with a large buffer that
# mlockall then makes resident; the daemon does no linear algebra. Set before
# numpy is first imported (pedal.levels, pedal.audio).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import logging
import signal
import sys
import threading

from pedal.audio import AudioError, lock_memory, make_realtime
from pedal.config import DEFAULT_PATH, ConfigError, load_config
from pedal.control import ControlError
from pedal.daemon import Pedal

log = logging.getLogger("pedald")

# The GIL is handed between threads at this interval (CPython's default is 5 ms,
# longer than a 128-frame period): the audio thread waits at most this long for
# it when a control thread runs Python code.
SWITCH_INTERVAL_S = 0.0005
# ... but only while the thread holding the GIL runs. At normal priority, any
# busy process on the machine preempts it (for milliseconds, CFS's slice) while
# it holds the GIL, and the SCHED_FIFO audio thread waits that long: priority
# inversion, and an xrun. So every other thread of pedald (main, control socket,
# footswitch) runs SCHED_FIFO too, at the lowest priority: below the audio
# thread and JACK, above everything ordinary. They run for microseconds at a time.
CONTROL_PRIORITY = 1
THREAD_STACK_BYTES = 1 << 20  # 1 MiB (Linux's default is 8 MiB)


def _pin_factory():
    if os.environ.get("PEDAL_GPIO_MOCK") != "1":
        return None
    from gpiozero.pins.mock import MockFactory
    log.info("footswitch: mock GPIO (PEDAL_GPIO_MOCK=1)")
    return MockFactory()


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="pedald", description="The pedal daemon.")
    parser.add_argument("--config", default=str(DEFAULT_PATH), help="configuration file (default: %(default)s)")
    parser.add_argument("--models", help="models directory (default: [library] models_dir)")
    parser.add_argument("--demo", action="store_true", help="print a status line every 5 s and a summary at the end")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"pedald: {error}", file=sys.stderr)
        return 2
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # Before any other thread starts, so that all of them inherit it (the audio thread raises its own).
    if config.realtime.priority > CONTROL_PRIORITY:
        make_realtime(CONTROL_PRIORITY, "control threads")
    # mlockall makes every thread's whole stack resident: our threads need little.
    threading.stack_size(THREAD_STACK_BYTES)
    if config.realtime.lock_memory:
        lock_memory()
    pedal = Pedal(config, models_dir=args.models, pin_factory=_pin_factory(), demo=args.demo)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: pedal.stop())
    try:
        pedal.start()
    except (AudioError, ControlError) as error:
        print(f"pedald: {error}", file=sys.stderr)
        pedal.close()
        return 1
    try:
        pedal.run(args.seconds)
    finally:
        pedal.close()
    summary = pedal.summary()
    log.info("stopped after %s", summary)
    if args.demo:
        print(f"demo: {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
