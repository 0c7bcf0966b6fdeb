"""Validation before a model is installed: will it play, on this pedal, at the same loudness?

    >>> report = validate(data, rate=48000, period=128)   # ValidationError says why not
    >>> print(report.summary())
    NAM WaveNet, 13802 parameters, 48000 Hz (native); CPU 21.4 % of the 2.67 ms period; loudness -14.2 dBFS (metadata)

By the same core and chain the daemon plays with (pedal.core.Engine):

1. parse the file (ModelError: what and where);
2. measure its loudness the way pedald does (pedal.levels: NAM metadata, or the
   reference guitar signal) -- not finite or below SILENT_DB is refused;
3. run REFERENCE_SECONDS of the reference guitar signal through an Engine at the
   pedal's rate and period, in periods, timing each: the average is the CPU cost
   as a share of the period's real-time budget *on this device*; above
   ``max_cpu_percent`` it is refused unless ``force``. A model whose output the
   engine had to mute (NaN/Inf) is refused. The model's own rate is named:
   "native", or resampled to the pedal's.
4. a model with submodels (NAM A2 containers, slimmable WaveNets: pedal.submodels)
   has steps 2 and 3 done for every submodel, each with its own loudness; the
   largest that fits ``max_cpu_percent`` is chosen (``size``, kept in the
   sidecar by pedal.store), and when none fits the file is refused with every
   submodel's figures (``force``: the cheapest).

Nothing in a model file is run as code: it is data the core reads (pedal.core).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from pedal import levels, render
from pedal.core import Model, ModelError
from pedal.signals import guitar_like
from pedal.submodels import describe as describe_submodels, label as submodel_label

__all__ = ["REFERENCE_SECONDS", "Validation", "ValidationError", "validate"]

REFERENCE_SECONDS = 2.0
SILENT_DB = -90.0          # an output this quiet for a guitar phrase is a broken model
LOUDEST_DB = 40.0          # ... and this loud (100x full scale, RMS) too
WARM_UP_S = 0.1            # warm-up and crossfade in the engine: not the model's steady cost
DEFAULT_MAX_CPU = 70.0
SIZING_ROUNDS = 3          # rounds of timing for the submodels of one file (see validate)


class ValidationError(ValueError):
    """A model that must not be installed; the message says why in one line."""


@dataclass
class Validation:
    format: str
    architecture: str
    parameters: int
    model_rate: float
    rate: int
    period: int
    rate_handling: str          # "native" or "resampled from 44100 Hz"
    cpu_percent: float          # average per period, % of the period's duration
    cpu_max_percent: float      # the slowest period (noisy: other processes share the CPU)
    loudness_db: float          # RMS dBFS for the reference signal
    loudness_source: str        # "metadata" or "measured"
    output_gain_db: float       # what normalisation will apply
    forced: bool = False        # over the CPU limit, installed because --force
    # A model with submodels (pedal.submodels): each one's figures, and the one chosen
    # (the largest that fits); the figures above are the chosen one's.
    submodels: list | None = None
    size: float | None = None   # the size that plays it (its max_value)
    playing: int | None = None  # its index in submodels

    def summary(self) -> str:
        period_ms = self.period / self.rate * 1000
        return (f"{self.format} {self.architecture}, {self.parameters} parameters, {self.model_rate:g} Hz "
                f"({self.rate_handling}); CPU {self.cpu_percent:.1f} % of the {period_ms:.2f} ms period "
                f"(max {self.cpu_max_percent:.1f} %) at {self.rate} Hz / {self.period} frames; "
                f"loudness {self.loudness_db:.1f} dBFS ({self.loudness_source}), "
                f"normalised by {self.output_gain_db:+.1f} dB" + (" [over the CPU limit: forced]" if self.forced else "")
                + self.submodels_summary())

    def submodels_summary(self) -> str:
        """For a model with submodels: one line each (the chosen one marked) and the size chosen."""
        if not self.submodels:
            return ""
        lines = [f"{len(self.submodels)} submodels, measured on this device:"]
        lines += [f"  {line}" for line in describe_submodels(self.submodels, self.size, self.submodels)]
        lines.append(f"size {self.size:g} chosen: submodel {self.playing + 1} of {len(self.submodels)}, "
                     + ("the cheapest, over the CPU limit [forced]" if self.forced
                        else "the largest that fits the CPU limit"))
        return "\n" + "\n".join(lines)

    def as_dict(self) -> dict:
        return asdict(self)


def _noop(message: str) -> None:
    pass


def _check(data: bytes, size: float | None, rate: int, period: int, what: str,
           progress: Callable[[str], None]) -> dict:
    """Step 2 of the module's docstring for one model (or one submodel, ``size``): its loudness
    and levels, and an Engine playing it at the pedal's rate and period, ready to be timed."""
    model = Model.from_json(data, size=size)
    info = model.info
    progress(f"{what}measuring loudness")
    measured = levels.measure_loudness(model)  # the bare model on the reference signal
    if math.isnan(measured):
        raise ValidationError(f"{what}the model's output is not finite (NaN or infinity) for the reference guitar signal")
    if measured < SILENT_DB:
        raise ValidationError(f"{what}the model is silent for the reference guitar signal "
                              f"({measured:.0f} dBFS, below {SILENT_DB:.0f})")
    if measured > LOUDEST_DB:
        raise ValidationError(f"{what}the model's output is {measured:.0f} dBFS RMS for the reference guitar signal: "
                              "far beyond full scale, not sound")
    loudness, source = levels.loudness_db(model, measured)  # a submodel's from its own metadata
    output_db = levels.output_gain_db(model, loudness)
    engine, _ = render.chain(model, rate, period, loudness=loudness)  # the engine owns the model from here
    return {"info": info, "engine": engine, "what": what, "loudness_db": loudness, "loudness_source": source,
            "output_gain_db": output_db, "cpu_percent": math.inf, "cpu_max_percent": 0.0, "first": True}


def _time(figures: dict, signal: np.ndarray, rate: int, period: int) -> None:
    """Step 3 for one round: the signal through the engine in periods, each timed; keeps the
    round's average when it is the lowest so far (ValidationError when the engine muted output)."""
    engine, out, times = figures["engine"], np.empty(period, np.float32), []
    for start in range(0, len(signal) - period + 1, period):
        block = signal[start:start + period]
        begin = time.perf_counter_ns()
        engine.process(block, out)
        times.append(time.perf_counter_ns() - begin)
    stats = engine.stats()
    if stats["muted_blocks"]:
        raise ValidationError(f"{figures['what']}the model's output is not finite (NaN or infinity): the engine "
                              f"muted {stats['muted_blocks']} of {len(times)} periods")
    # The engine's warm-up and crossfade are not the model's steady cost: skipped in the first round.
    steady = (times[int(WARM_UP_S * rate / period):] if figures["first"] else times) or times
    figures["first"] = False
    budget_ns = period / rate * 1e9
    figures["cpu_percent"] = min(figures["cpu_percent"], float(np.mean(steady)) / budget_ns * 100)
    figures["cpu_max_percent"] = max(figures["cpu_max_percent"], float(np.max(steady)) / budget_ns * 100)


def validate(data: bytes, rate: int = 48000, period: int = 128, max_cpu_percent: float = DEFAULT_MAX_CPU,
             force: bool = False, progress: Callable[[str], None] = _noop) -> Validation:
    """Checks a model file's bytes (see the module's docstring); raises ValidationError.

    A model with submodels (pedal.submodels) has each of them checked and timed;
    the report is the largest that fits ``max_cpu_percent`` (its ``size`` and
    ``playing``), with every submodel's figures in ``submodels``. When none fits
    it is refused with the figures, or with ``force`` installed at the cheapest.
    The choice compares costs, so submodels are timed in SIZING_ROUNDS rounds,
    one after another within each round, and each keeps its lowest average: a
    burst of another process's work lands on one round, not on the comparison."""
    progress("parsing")
    try:
        info = Model.from_json(data).info
    except ModelError as error:
        raise ValidationError(f"not a model we can play: {error}") from None
    listed = info.get("submodels") or []

    signal = guitar_like(REFERENCE_SECONDS, rate=rate, seed=3)
    if not listed:
        chosen = _check(data, None, rate, period, "", progress)
        progress(f"playing {REFERENCE_SECONDS:g} s at {rate} Hz in periods of {period}")
        _time(chosen, signal, rate, period)
        measured, fits = None, chosen["cpu_percent"] <= max_cpu_percent
        if not fits and not force:
            raise ValidationError(f"the model needs {chosen['cpu_percent']:.0f} % of each {period}-frame period "
                                  f"at {rate} Hz on this device (limit {max_cpu_percent:g} %); it would crackle. "
                                  "--force installs it anyway")
    else:
        measured = []
        for index, submodel in enumerate(listed):
            size = float(submodel["max_value"])
            what = f"submodel {index + 1} of {len(listed)} ({submodel_label(submodel)}): "
            try:
                measured.append(dict(_check(data, size, rate, period, what, progress), max_value=size))
            except ModelError as error:
                raise ValidationError(f"{what}not a model we can play: {error}") from None
        for round_ in range(SIZING_ROUNDS):
            progress(f"timing {len(listed)} submodels, round {round_ + 1} of {SIZING_ROUNDS}: "
                     f"{REFERENCE_SECONDS:g} s each at {rate} Hz in periods of {period}")
            for figures in measured:
                _time(figures, signal, rate, period)
        fitting = [i for i, m in enumerate(measured) if m["cpu_percent"] <= max_cpu_percent]
        fits = bool(fitting)
        if not fits and not force:
            costs = "; ".join(f"{submodel_label(s)}: {m['cpu_percent']:.1f} %" for s, m in zip(listed, measured))
            raise ValidationError(f"none of its {len(listed)} submodels fits the limit of {max_cpu_percent:g} % of "
                                  f"each {period}-frame period at {rate} Hz on this device ({costs}); it would "
                                  "crackle. --force installs the cheapest anyway")
        chosen = measured[fitting[-1]] if fits else min(measured, key=lambda m: m["cpu_percent"])

    info = chosen["info"]
    model_rate = float(info["sample_rate"])
    report = Validation(format=str(info.get("format")), architecture=str(info.get("architecture")),
                        parameters=int(info.get("parameters") or 0), model_rate=model_rate, rate=int(rate),
                        period=int(period),
                        rate_handling="native" if model_rate == rate else f"resampled to {rate} Hz",
                        cpu_percent=round(chosen["cpu_percent"], 2),
                        cpu_max_percent=round(chosen["cpu_max_percent"], 2),
                        loudness_db=round(chosen["loudness_db"], 3), loudness_source=chosen["loudness_source"],
                        output_gain_db=round(chosen["output_gain_db"], 3), forced=not fits)
    if measured is not None:
        report.submodels = [{"max_value": m["max_value"], "architecture": s.get("architecture"),
                             "parameters": s.get("parameters"), "receptive_field": s.get("receptive_field"),
                             "cpu_percent": round(m["cpu_percent"], 2),
                             "cpu_max_percent": round(m["cpu_max_percent"], 2),
                             "loudness_db": round(m["loudness_db"], 3), "loudness_source": m["loudness_source"],
                             "output_gain_db": round(m["output_gain_db"], 3)}
                            for s, m in zip(listed, measured)]
        report.size = chosen["max_value"]
        report.playing = measured.index(chosen)
    return report
