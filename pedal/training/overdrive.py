"""The synthetic overdrive the bundled default model learned: a Tube-Screamer-
like chain of filters and a soft clipper, in numpy only, so anyone (and the
tests) can play the same pedal without PyTorch.

    >>> from pedal.training.overdrive import overdrive
    >>> wet = overdrive(dry, rate=44100)

The chain, in the order the guitar goes through it:

1. ``TIGHT_HZ`` first-order high-pass: the clipping stage hears less bass, so
   low strings stay tight instead of farting out.
2. ``DRIVE`` gain, then an asymmetric soft clipper tanh(v + BIAS) - tanh(BIAS):
   the offset makes positive and negative peaks clip differently, which adds the
   even harmonics of a real diode pair that is not perfectly matched.
3. ``TONE_HZ`` second-order (Butterworth) low-pass: the tone control, taking the
   fizz off the clipped edges.
4. ``DC_HZ`` first-order high-pass: the output coupling capacitor, removing the
   clipper's DC.
5. ``LEVEL`` output gain.

Filters are bilinear-transform designs run sample by sample (a plain loop: a
few tenths of a second per million samples, no SciPy needed).
"""

from __future__ import annotations

import math

import numpy as np

TIGHT_HZ = 300.0
DRIVE = 6.0
BIAS = 0.25
TONE_HZ = 3200.0
DC_HZ = 20.0
LEVEL = 0.6


def _first_order(x: np.ndarray, b0: float, b1: float, a1: float) -> np.ndarray:
    y = [0.0] * len(x)
    x_prev = y_prev = 0.0
    for n, value in enumerate(x.tolist()):
        y_prev = b0 * value + b1 * x_prev - a1 * y_prev
        x_prev = value
        y[n] = y_prev
    return np.array(y)


def highpass(x: np.ndarray, hz: float, rate: float) -> np.ndarray:
    """First-order high-pass at ``hz`` (bilinear transform, prewarped)."""
    k = math.tan(math.pi * hz / rate)
    norm = 1.0 / (1.0 + k)
    return _first_order(x, norm, -norm, (k - 1.0) * norm)


def lowpass2(x: np.ndarray, hz: float, rate: float) -> np.ndarray:
    """Second-order Butterworth low-pass at ``hz`` (RBJ cookbook, Q = 1/sqrt 2)."""
    w = 2.0 * math.pi * hz / rate
    alpha = math.sin(w) / math.sqrt(2.0)
    cos_w = math.cos(w)
    a0 = 1.0 + alpha
    b0 = b2 = (1.0 - cos_w) / 2.0 / a0
    b1 = (1.0 - cos_w) / a0
    a1, a2 = -2.0 * cos_w / a0, (1.0 - alpha) / a0
    y = [0.0] * len(x)
    x1 = x2 = y1 = y2 = 0.0
    for n, value in enumerate(x.tolist()):
        out = b0 * value + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, value, y1, out
        y[n] = out
    return np.array(y)


def soft_clip(v: np.ndarray, bias: float = BIAS) -> np.ndarray:
    """Asymmetric tanh clipper, 0 at 0."""
    return np.tanh(v + bias) - math.tanh(bias)


def overdrive(dry: np.ndarray, rate: float = 44100.0) -> np.ndarray:
    """The whole pedal: float32 in, float32 out, same length."""
    x = np.asarray(dry, dtype=np.float64).reshape(-1)
    clipped = soft_clip(DRIVE * highpass(x, TIGHT_HZ, rate))
    wet = LEVEL * highpass(lowpass2(clipped, TONE_HZ, rate), DC_HZ, rate)
    return wet.astype(np.float32)


# --- What the bundled default model learned, and what it is checked on ----------

RATE = 44100  # PedalNetRT json plays at 44.1 kHz
# (seed, peak): ten-second phrases from soft picking to digging in, so the model
# has heard the whole range of the drive, not one level.
TRAINING_TAKES = [(100, 0.15), (101, 0.3), (102, 0.5), (103, 0.7), (104, 0.9), (105, 0.4), (106, 0.6)]
# Phrases it never heard, at levels between the training ones.
HELD_OUT_TAKES = [(2024, 0.25), (2025, 0.6)]


def takes(recipe, seconds: float, rate: int = RATE) -> np.ndarray:
    """The phrases of ``recipe`` one after the other, float32."""
    from pedal.signals import guitar_like
    return np.concatenate([guitar_like(seconds, rate=rate, seed=seed, peak=peak) for seed, peak in recipe])


def training_audio(rate: int = RATE) -> np.ndarray:
    return takes(TRAINING_TAKES, 10.0, rate)


def held_out_audio(rate: int = RATE) -> np.ndarray:
    return takes(HELD_OUT_TAKES, 3.0, rate)
