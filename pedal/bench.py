"""How fast does a model run here? ns/sample and real-time factor per block size.

    python -m pedal.bench MODEL [MODEL...] [--blocks 32,64,128,256] [--json] [--overhead]

Each (model, block size) is timed over ``--runs`` runs of ``--seconds`` of a
reference guitar signal, after a warm-up, all in one process; the median is the
figure to compare and the spread (min..max) says how noisy the machine was.
Real-time factor is audio time / compute time at ``--rate`` (a factor of 20
means the model uses 5 % of one core). ``--overhead`` adds what Python costs
around the core: a process() call with 0 frames (the binding), and the audio
loop's decode, process and encode per period in each sample format, and the tuner's
push per period (what it adds to the audio thread while tuning).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from pedal.core import Engine, Model, ModelError, PitchDetector, core_isa, core_version
from pedal.sample_formats import FORMATS, Decoder, Encoder
from pedal.signals import guitar_like

DEFAULT_BLOCKS = (32, 64, 128, 256)


@dataclass
class Timing:
    model: str
    block: int
    ns_per_sample: float      # median over runs
    ns_per_sample_min: float
    ns_per_sample_max: float
    realtime_factor: float    # median
    core_percent: float       # % of one core at the benchmark rate
    runs: int
    seconds_per_run: float


def time_block_size(model: Model, signal: np.ndarray, block: int, runs: int) -> list[float]:
    """ns/sample of each run; one run pushes the whole signal through in blocks.

    As in pedald's audio loop, every block goes through the same two arrays
    (each block is copied in first): process() then reuses its views of them,
    so what is timed is the call an audio loop makes. Each call is timed on
    its own, leaving out the copies, and the clock's own cost is taken off.
    """
    x = np.empty(block, np.float32)
    y = np.empty(block, np.float32)
    blocks = [signal[s:s + block] for s in range(0, len(signal) - block + 1, block)]
    process, clock = model.process, time.perf_counter_ns
    samples = len(blocks) * block
    model.process(signal[: min(len(signal), 8192)])  # warm caches and branch predictors
    clock_cost = _clock_cost()
    results = []
    for _ in range(runs):
        busy = 0
        for piece in blocks:
            np.copyto(x, piece)
            begin = clock()
            process(x, y)
            busy += clock() - begin - clock_cost
        results.append(busy / samples)
    return results


def _clock_cost() -> int:
    """What timing an empty stretch reads, in ns (the median of many tries)."""
    clock = time.perf_counter_ns
    tries = []
    for _ in range(2001):
        begin = clock()
        tries.append(clock() - begin)
    return int(statistics.median(tries))


def time_calls(model: Model, frames: int, calls: int = 20000, rounds: int = 7) -> float:
    """ns per ``model.process(x, out=y)`` call on the same two arrays of ``frames``
    samples, as an audio loop makes it: the median of ``rounds``. With 0 frames
    the core returns at once, so this is what the binding costs a call."""
    x, y = np.zeros(frames, np.float32), np.zeros(frames, np.float32)
    process, clock = model.process, time.perf_counter_ns
    process(x, out=y)
    per_round = []
    for _ in range(rounds):
        begin = clock()
        for _ in range(calls):
            process(x, out=y)
        per_round.append((clock() - begin) / calls)
    return statistics.median(per_round)


def time_tuner_push(period: int = 64, rate: int = 48000, calls: int = 5000, rounds: int = 7) -> dict:
    """What the tuner adds to the audio thread per period: the pitch detector's push (two rings
    and the decimation filter) of ``period`` frames of a guitar signal, less the binding's cost (a
    push of 0 frames), in ns and as % of the period. Median of rounds. (Its analysis, 20 times a
    second, runs on the tuner's own thread.)"""
    ear = PitchDetector(rate)
    signal = guitar_like(1.0, rate=rate, seed=6)
    blocks = [np.ascontiguousarray(signal[i:i + period]) for i in range(0, len(signal) - period, period)][:64]
    empty, clock, push = np.zeros(0, np.float32), time.perf_counter_ns, ear.push
    costs = []
    for _ in range(rounds):
        begin = clock()
        for n in range(calls):
            push(blocks[n % len(blocks)])
        full = (clock() - begin) / calls
        begin = clock()
        for _ in range(calls):
            push(empty)
        costs.append(full - (clock() - begin) / calls)
    ns = max(0.0, statistics.median(costs))
    period_ns = period / rate * 1e9
    return {"period": period, "ns_per_period": round(ns, 1), "percent_of_period": round(100 * ns / period_ns, 3)}


def time_audio_loop(period: int = 64, rate: int = 48000, format_name: str = "S32_LE", channels: int = 2,
                    seconds: float = 2.0, rounds: int = 5) -> dict:
    """The Python share of pedald's audio loop per period (pedal.audio's _stream):
    decode the captured bytes, Engine.process, encode, on the same objects every
    period. ALSA's read and write are left out: they are the waits for the card.
    What the engine reports spending in the core is taken off; the rest is
    Python's, in us and as % of the period. The median of ``rounds``."""
    fmt = FORMATS[format_name]
    decoder, encoder = Decoder(fmt, channels, 0, period), Encoder(fmt, channels, period)
    engine = Engine(rate, max_block=period)
    x, y = np.zeros(period, np.float32), np.zeros(period, np.float32)
    captured = encoder.encode(guitar_like(period / rate, rate=rate, seed=3)[:period]).tobytes()
    periods, clock = max(1, int(seconds * rate / period)), time.perf_counter_ns
    totals, python = [], []
    for _ in range(rounds):
        engine.stats()  # starts the engine's own block timing afresh
        begin = clock()
        for _ in range(periods):
            decoder.decode(captured, x)
            engine.process(x, y)
            encoder.encode(y)
        total_us = (clock() - begin) / periods / 1000
        totals.append(total_us)
        python.append(total_us - engine.stats()["block_us"]["avg"])
    period_us = 1e6 * period / rate
    overhead = statistics.median(python)
    return {"period": period, "format": format_name, "channels": channels, "period_us": round(period_us, 1),
            "loop_us": round(statistics.median(totals), 2), "python_us": round(overhead, 2),
            "python_percent_of_period": round(100 * overhead / period_us, 2)}


def bench_model(path: str, blocks, runs: int, seconds: float, rate: int, progress) -> list[Timing]:
    """Times the model at each block size; a file of several sizes (NAM A2) at each of its
    submodels, named ``FILE @MAX_VALUE``."""
    model = Model.load(path)
    submodels = model.info.get("submodels")
    if not submodels:
        return _bench_one(model, os.path.basename(path), blocks, runs, seconds, rate, progress)
    timings = []
    for submodel in submodels:
        size = submodel["max_value"]
        timings += _bench_one(Model.load(path, size=size), f"{os.path.basename(path)} @{size:g}", blocks, runs,
                              seconds, rate, progress)
    return timings


def _bench_one(model: Model, name: str, blocks, runs: int, seconds: float, rate: int, progress) -> list[Timing]:
    signal = guitar_like(seconds, rate=rate, seed=2)
    timings = []
    for block in blocks:
        progress(f"{name}: block {block} ({runs} runs of {seconds:g} s)")
        per_run = time_block_size(model, signal, block, runs)
        median = statistics.median(per_run)
        factor = 1e9 / rate / median
        timings.append(Timing(name, block, round(median, 2), round(min(per_run), 2), round(max(per_run), 2),
                              round(factor, 2), round(100.0 / factor, 2), runs, seconds))
    return timings


def measure_overhead(paths, rate: int, progress, period: int = 64) -> dict:
    """The binding's cost per call (the first model that loads, at 0 frames and a
    period) and the audio loop's Python share per period, in each sample format."""
    calls = {}
    for path in paths:
        try:
            model = Model.load(path)
        except (OSError, ModelError):
            continue
        progress(f"overhead: process() calls on {os.path.basename(path)}")
        calls = {"model": os.path.basename(path), "period": period,
                 "ns_per_call_0_frames": round(time_calls(model, 0), 1),
                 "ns_per_call_period": round(time_calls(model, period), 1)}
        break
    progress("overhead: the audio loop's decode, process and encode")
    loops = [time_audio_loop(period, rate, name, seconds=0.5) for name in ("S16_LE", "S32_LE", "S24_3LE", "FLOAT_LE")]
    progress("overhead: the tuner's share of the audio thread")
    return {"process_call": calls, "audio_loop": loops, "tuner_push": time_tuner_push(period, rate)}


def render_overhead(overhead: dict) -> str:
    lines = []
    calls = overhead["process_call"]
    if calls:
        lines.append(f"process() call on {calls['model']}: {calls['ns_per_call_0_frames']:.0f} ns with 0 frames "
                     f"(the binding), {calls['ns_per_call_period']:.0f} ns with {calls['period']}")
    for loop in overhead["audio_loop"]:
        lines.append(f"audio loop, {loop['format']} x{loop['channels']}, {loop['period']} frames: "
                     f"Python {loop['python_us']:.1f} us a period ({loop['python_percent_of_period']:.2f} % of "
                     f"{loop['period_us']:.0f} us), with the core {loop['loop_us']:.1f} us")
    tuner = overhead.get("tuner_push")
    if tuner:
        lines.append(f"tuner on the audio thread, {tuner['period']} frames: {tuner['ns_per_period']:.0f} ns a period "
                     f"({tuner['percent_of_period']:.3f} % of it)")
    return "\n".join(lines)


def machine_description() -> dict:
    return {"machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "core": core_version(), "core_isa": core_isa()}


def render_table(timings: list[Timing], rate: int) -> str:
    lines = [f"{'model':32} {'block':>5} {'ns/sample':>10} {'spread':>17} {'x realtime':>10} {'% core':>7}"]
    for t in timings:
        spread = f"{t.ns_per_sample_min:.1f}..{t.ns_per_sample_max:.1f}"
        lines.append(f"{t.model[:32]:32} {t.block:5d} {t.ns_per_sample:10.1f} {spread:>17} "
                     f"{t.realtime_factor:10.1f} {t.core_percent:7.1f}")
    lines.append(f"(median of runs; real-time factor and % of one core at {rate} Hz)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pedal.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="MODEL", help="model files to time")
    parser.add_argument("--blocks", default=",".join(map(str, DEFAULT_BLOCKS)),
                        help="comma-separated block sizes in frames (default %(default)s)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per block size (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=2.0, help="audio per run (default %(default)s)")
    parser.add_argument("--rate", type=int, default=48000, help="sample rate for real-time figures (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    parser.add_argument("--overhead", action="store_true",
                        help="also time the binding's per-call cost and the audio loop's Python share")
    args = parser.parse_args(argv)
    try:
        blocks = [int(b) for b in args.blocks.split(",")]
        if not blocks or min(blocks) < 1 or args.runs < 1 or args.seconds <= 0:
            raise ValueError
    except ValueError:
        parser.error("--blocks takes positive integers like 32,64; --runs and --seconds must be positive")

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)
        else:
            print(message, file=sys.stderr, flush=True)

    timings, refused = [], []
    for path in args.models:
        try:
            timings += bench_model(path, blocks, args.runs, args.seconds, args.rate, progress)
        except (OSError, ModelError) as error:  # say why, and time the others
            refused.append({"model": os.path.basename(path), "error": str(error)})
            print(f"bench: skipped {error}", file=sys.stderr)
    overhead = measure_overhead(args.models, args.rate, progress, min(blocks)) if args.overhead else None
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    if args.json:
        report = {"rate": args.rate, "host": machine_description(), "results": [asdict(t) for t in timings],
                  "refused": refused}
        if overhead:
            report["overhead"] = overhead
        print(json.dumps(report, indent=2))
    else:
        print(render_table(timings, args.rate))
        if overhead:
            print(render_overhead(overhead))
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
