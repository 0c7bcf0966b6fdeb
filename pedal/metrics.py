"""How close a model's output is to its target: the numbers a capture is judged by.

    >>> from pedal.metrics import esr, find_lag
    >>> esr(target, output)            # 0 is perfect; 0.01 is a very good capture
    >>> find_lag(target, output)       # > 0: output comes that many samples late

numpy only.
"""

from __future__ import annotations

import numpy as np


def esr(target: np.ndarray, output: np.ndarray) -> float:
    """Error-to-signal ratio: energy of (target - output) over the target's energy."""
    target = np.asarray(target, dtype=np.float64)
    error = target - np.asarray(output, dtype=np.float64)
    energy = float(np.dot(target, target))
    return float(np.dot(error, error)) / energy if energy > 0.0 else float("inf")


def pre_emphasis(x: np.ndarray, coefficient: float = 0.85) -> np.ndarray:
    """First-order high-pass 1 - c z^-1 (Wright & Välimäki): errors in the
    treble, where the ear hears fizz, count more."""
    x = np.asarray(x, dtype=np.float64)
    return x[1:] - coefficient * x[:-1]


def find_lag(target: np.ndarray, output: np.ndarray, max_lag: int = 4800) -> int:
    """The shift (samples) that best lines ``output`` up with ``target``, by
    cross-correlation through the FFT: positive when ``output`` comes late.
    Searched within +-max_lag."""
    a = np.asarray(target, dtype=np.float64)
    b = np.asarray(output, dtype=np.float64)
    n = len(a) + len(b)
    size = 1 << (n - 1).bit_length()
    correlation = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([correlation[: max_lag + 1], correlation[size - max_lag:]])
    return int(lags[int(np.argmax(values))])


def shift(output: np.ndarray, lag: int) -> np.ndarray:
    """``output`` moved ``lag`` samples earlier (later when negative), same length, zeros in."""
    output = np.asarray(output)
    moved = np.zeros_like(output)
    if lag >= 0:
        moved[: len(output) - lag] = output[lag:]
    else:
        moved[-lag:] = output[: len(output) + lag]
    return moved
