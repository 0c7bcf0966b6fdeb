"""Reference guitar signals: deterministic audio that behaves like a guitar DI
(plucked strings by Karplus-Strong: sharp attacks, long decays, chords, a tail
into silence). Used by the benchmark, the tests and model validation, so every
measurement sees the same kind of input a pedal does."""

from __future__ import annotations

import numpy as np


def pluck(frequency: float, seconds: float, rate: int, rng: np.random.Generator, decay: float = 0.996) -> np.ndarray:
    period = max(2, int(round(rate / frequency)))
    total = int(seconds * rate)
    out = np.empty(total)
    line = rng.uniform(-1.0, 1.0, period)
    for start in range(0, total, period):
        stop = min(total, start + period)
        out[start:stop] = line[: stop - start]
        # Karplus-Strong: average neighbours and lose a little energy each pass.
        line = decay * 0.5 * (line + np.roll(line, -1))
    return out


def guitar_like(seconds: float, rate: int = 48000, seed: int = 1, peak: float = 0.5) -> np.ndarray:
    """A phrase of single notes and chords at DI level, as float32 in [-peak, peak]."""
    rng = np.random.default_rng(seed)
    total = int(seconds * rate)
    out = np.zeros(total)
    notes = [82.41, 110.0, 146.83, 196.0, 246.94, 329.63]  # open strings, low E to high E
    t = 0
    while t < total:
        length = int(rng.uniform(0.15, 0.6) * rate)
        chord = rng.choice(notes, size=int(rng.integers(1, 4)), replace=False)
        for f in chord:
            f *= 2 ** (int(rng.integers(0, 8)) / 12)
            tone = pluck(f, (total - t) / rate if t + 3 * rate > total else 3.0, rate, rng)
            end = min(total, t + len(tone))
            out[t:end] += tone[: end - t] * rng.uniform(0.3, 1.0)
        t += length
    out[int(0.9 * total):] *= np.linspace(1.0, 0.0, total - int(0.9 * total))  # a tail into silence
    return (peak * out / np.max(np.abs(out))).astype(np.float32)
