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

Nothing in a model file is run as code: it is data the core reads (pedal.core).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from pedal import levels
from pedal.core import Engine, Model, ModelError
from pedal.signals import guitar_like

__all__ = ["REFERENCE_SECONDS", "Validation", "ValidationError", "validate"]

REFERENCE_SECONDS = 2.0
SILENT_DB = -90.0          # an output this quiet for a guitar phrase is a broken model
LOUDEST_DB = 40.0          # ... and this loud (100x full scale, RMS) too
WARM_UP_S = 0.1            # warm-up and crossfade in the engine: not the model's steady cost
DEFAULT_MAX_CPU = 70.0


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

    def summary(self) -> str:
        period_ms = self.period / self.rate * 1000
        return (f"{self.format} {self.architecture}, {self.parameters} parameters, {self.model_rate:g} Hz "
                f"({self.rate_handling}); CPU {self.cpu_percent:.1f} % of the {period_ms:.2f} ms period "
                f"(max {self.cpu_max_percent:.1f} %) at {self.rate} Hz / {self.period} frames; "
                f"loudness {self.loudness_db:.1f} dBFS ({self.loudness_source}), "
                f"normalised by {self.output_gain_db:+.1f} dB" + (" [over the CPU limit: forced]" if self.forced else ""))

    def as_dict(self) -> dict:
        return asdict(self)


def _noop(message: str) -> None:
    pass


def validate(data: bytes, rate: int = 48000, period: int = 128, max_cpu_percent: float = DEFAULT_MAX_CPU,
             force: bool = False, progress: Callable[[str], None] = _noop) -> Validation:
    """Checks a model file's bytes (see the module's docstring); raises ValidationError."""
    progress("parsing")
    try:
        model = Model.from_json(data)
    except ModelError as error:
        raise ValidationError(f"not a model we can play: {error}") from None
    info = model.info

    progress("measuring loudness")
    measured = levels.measure_loudness(model)  # the bare model on the reference signal
    if math.isnan(measured):
        raise ValidationError("the model's output is not finite (NaN or infinity) for the reference guitar signal")
    if measured < SILENT_DB:
        raise ValidationError(f"the model is silent for the reference guitar signal "
                              f"({measured:.0f} dBFS, below {SILENT_DB:.0f})")
    if measured > LOUDEST_DB:
        raise ValidationError(f"the model's output is {measured:.0f} dBFS RMS for the reference guitar signal: "
                              "far beyond full scale, not sound")
    loudness, source = levels.loudness_db(model, measured)

    progress(f"playing {REFERENCE_SECONDS:g} s at {rate} Hz in periods of {period}")
    input_db, output_db = levels.input_gain_db(info), levels.output_gain_db(model, loudness)
    engine = Engine(rate, period)
    engine.set_model(Model.from_json(data), input_db, output_db)
    signal = guitar_like(REFERENCE_SECONDS, rate=rate, seed=3)
    out = np.empty(period, np.float32)
    times = []
    for start in range(0, len(signal) - period + 1, period):
        block = signal[start:start + period]
        begin = time.perf_counter_ns()
        engine.process(block, out)
        times.append(time.perf_counter_ns() - begin)
    stats = engine.stats()
    if stats["muted_blocks"]:
        raise ValidationError(f"the model's output is not finite (NaN or infinity): the engine muted "
                              f"{stats['muted_blocks']} of {len(times)} periods")
    steady = times[int(WARM_UP_S * rate / period):] or times
    budget_ns = period / rate * 1e9
    cpu = float(np.mean(steady)) / budget_ns * 100
    cpu_max = float(np.max(steady)) / budget_ns * 100

    model_rate = float(info["sample_rate"])
    report = Validation(format=str(info.get("format")), architecture=str(info.get("architecture")),
                        parameters=int(info.get("parameters") or 0), model_rate=model_rate, rate=int(rate),
                        period=int(period),
                        rate_handling="native" if model_rate == rate else f"resampled to {rate} Hz",
                        cpu_percent=round(cpu, 2), cpu_max_percent=round(cpu_max, 2),
                        loudness_db=round(loudness, 3), loudness_source=source,
                        output_gain_db=round(output_db, 3))
    if cpu > max_cpu_percent:
        if not force:
            raise ValidationError(f"the model needs {cpu:.0f} % of each {period}-frame period at {rate} Hz "
                                  f"on this device (limit {max_cpu_percent:g} %); it would crackle. "
                                  "--force installs it anyway")
        report.forced = True
    return report
