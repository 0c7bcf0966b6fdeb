"""What a rig costs on this device, as pedald would play it: the whole chain per period, each
capture alone, and the peak while changing from one rig to another (both chains play during the
new one's warm-up and crossfade).

    >>> cost = measure_rig(lambda: whole_rig_engine(), [("TS9", lambda: ts9_engine())], 48000, 128)
    >>> cost.cpu_percent, cost.captures          # 23.5, [{"model": "TS9", "cpu_percent": 6.1}, ...]
    >>> check_cost(cost, limit=70.0, where="crunch.toml")   # RigError with every capture's figure
    >>> switch = measure_switch(put_rig_a, put_rig_b, 48000, 128)   # each puts its rig into an Engine
    >>> switch.peak_percent                      # the slowest period while changing

Timed as pedal.validate times a model: the reference guitar signal through an Engine in periods,
each period timed, the engine's warm-up left out; the average is the figure a limit is held to
(the slowest period says how noisy the machine was).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from pedal.core import Engine
from pedal.rigs import RigError
from pedal.signals import guitar_like

__all__ = ["RigCost", "SwitchCost", "check_cost", "measure_rig", "measure_switch", "time_periods"]

RIG_SECONDS = 2.0          # the whole rig: as long as validation plays a model
CAPTURE_SECONDS = 1.0      # each capture alone: the figure that says which one to trim
WARM_UP_S = 0.1            # the engine's warm-up and fade in: not the steady cost


def time_periods(engine: Engine, signal: np.ndarray, period: int) -> list[int]:
    """Nanoseconds each period of ``signal`` took through ``engine`` (whole periods only)."""
    out, times = np.empty(period, np.float32), []
    for start in range(0, len(signal) - period + 1, period):
        block = signal[start:start + period]
        begin = time.perf_counter_ns()
        engine.process(block, out)
        times.append(time.perf_counter_ns() - begin)
    return times


def _percent(times: list[int], rate: int, period: int) -> tuple[float, float]:
    budget_ns = period / rate * 1e9
    return float(np.mean(times)) / budget_ns * 100, float(np.max(times)) / budget_ns * 100


@dataclass
class RigCost:
    rate: int
    period: int
    cpu_percent: float          # the whole rig: average per period, % of the period's duration
    cpu_max_percent: float      # its slowest period
    captures: list[dict] = field(default_factory=list)   # {"model", "cpu_percent"} each alone

    def figures(self) -> str:
        return ", ".join(f"{c['model']} {c['cpu_percent']:.1f} %" for c in self.captures)


def measure_rig(whole: Callable[[], Engine], captures: list[tuple[str, Callable[[], Engine]]], rate: int,
                period: int) -> RigCost:
    """The rig's cost: ``whole()`` an Engine playing the whole rig, and for each of ``captures``
    (its name, a maker of an Engine playing it alone as the rig drives it) its own."""
    skip = int(WARM_UP_S * rate / period)
    signal = guitar_like(RIG_SECONDS, rate=rate, seed=3)
    average, slowest = _percent(time_periods(whole(), signal, period)[skip:], rate, period)
    cost = RigCost(rate, period, round(average, 2), round(slowest, 2))
    part = signal[:int(CAPTURE_SECONDS * rate)]
    for name, engine in captures:
        cost.captures.append({"model": name,
                              "cpu_percent": round(_percent(time_periods(engine(), part, period)[skip:], rate,
                                                            period)[0], 2)})
    return cost


def check_cost(cost: RigCost, limit: float, where: str) -> None:
    """RigError, naming every capture's figure, when the rig costs more than ``limit`` % of a period."""
    if cost.cpu_percent <= limit:
        return
    raise RigError(f"{where}: the rig needs {cost.cpu_percent:.0f} % of each {cost.period}-frame period at "
                   f"{cost.rate} Hz on this device (limit {limit:g} %; alone: {cost.figures()}); it would "
                   "crackle. A smaller size or fewer captures fit; --force stores it anyway")


@dataclass
class SwitchCost:
    rate: int
    period: int
    switches: int
    peak_percent: float          # the slowest period of any change, % of the period's duration
    median_peak_percent: float   # the median over the changes of each one's slowest period
    steady_percent: float        # the average period of the rigs playing (no change)
    periods_per_switch: float    # how long a change lasts (warm-up and crossfade), in periods


def measure_switch(put_a: Callable[[Engine], None], put_b: Callable[[Engine], None], rate: int, period: int,
                   switches: int = 6) -> SwitchCost:
    """Changes back and forth between two rigs on a guitar signal, timing every period while the
    change runs and after it. ``put_a(engine)`` hands the engine rig A as pedald does (its sound
    staged, then its chain of fresh Models), ``put_b`` rig B."""
    engine = Engine(rate, period)
    signal = guitar_like(4.0, rate=rate, seed=5)
    position = 0

    def play(periods: int) -> list[int]:
        nonlocal position
        if position + periods * period > len(signal):
            position = 0
        times = time_periods(engine, signal[position:position + periods * period], period)
        position += periods * period
        return times

    put_a(engine)
    play(int(0.5 * rate / period))          # warmed up and faded in
    peaks, lengths, steady = [], [], []
    for n in range(switches):
        (put_b if n % 2 == 0 else put_a)(engine)
        times = []
        while True:
            times += play(1)
            if not engine.stats()["switching"] and len(times) > 1:
                break
        peaks.append(max(times))
        lengths.append(len(times))
        steady += play(int(0.2 * rate / period))
    budget_ns = period / rate * 1e9
    return SwitchCost(rate, period, switches, round(max(peaks) / budget_ns * 100, 2),
                      round(statistics.median(peaks) / budget_ns * 100, 2),
                      round(float(np.mean(steady)) / budget_ns * 100, 2), float(statistics.mean(lengths)))
