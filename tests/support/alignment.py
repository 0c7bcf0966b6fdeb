"""Comparing what pedald played (as ALSA's file plugin recorded it) with an offline render, when
xruns happened on the way.

The recording holds every frame pedald wrote, in order (the file plugin reads the DI from its file
as pedald reads, so an overrun loses no input). At an xrun pedald puts the latency back to its
primed periods: with silence ahead of the output where the device ran dry (the recording keeps it:
from there on the output is later than the input by that much), or by leaving input unplayed where
the device held too much (earlier by that much): at most a prime either way. So the input's timeline
is cut at each xrun (pedald's status says at which frame, ``xrun_causes.last``), and each piece is
compared at its own lag, found by cross-correlation near where the xruns put it; a margin either
side of an xrun is left out (the periods around it may have been dropped from the device's buffer).

    >>> error, lags = compare(out, render, xrun_frames, lo, hi, first_lag=256, reprime=256)
"""

import numpy as np

MARGIN = 960              # frames left out either side of an xrun (20 ms at 48 kHz)
SHORTEST = 12000          # pieces shorter than this (0.25 s) are not compared: too short to align surely


def xrun_frames(status: dict, rate: int) -> list[int]:
    """The input frames at which pedald had its xruns (from its status)."""
    return sorted(round(xrun["at_s"] * rate) for xrun in status["xrun_causes"]["last"])


def pieces(xruns: list[int], lo: int, hi: int, margin: int = MARGIN) -> list[tuple[int, int, int]]:
    """[lo, hi) cut around each xrun: (begin, end, how many xruns came before the piece)."""
    cuts = [x for x in xruns if lo - margin < x < hi + margin]
    before = sum(x <= lo - margin for x in xruns)
    result, begin = [], lo
    for x in cuts:
        if x - margin > begin:
            result.append((begin, x - margin, before))
        before += 1
        begin = max(begin, x + margin)
    if hi > begin:
        result.append((begin, hi, before))
    return result


def lag_near(out, reference, begin: int, end: int, low: int, high: int) -> int:
    """The lag in [low, high] at which ``out`` best matches ``reference[begin:end]``."""
    window = reference[begin:end]
    scores = [float(np.dot(out[begin + lag:begin + lag + len(window)], window))
              if begin + lag + len(window) <= len(out) else -np.inf for lag in range(low, high + 1)]
    return low + int(np.argmax(scores))


def compare(out, reference, xruns: list[int], lo: int, hi: int, first_lag: int, reprime: int):
    """(max |out - reference| over the pieces of [lo, hi), [(begin, end, lag), ...]). Before any
    xrun the lag is ``first_lag``; after k of them it is searched within (k + 1) * reprime of it
    (each xrun moves it by at most one prime, either way)."""
    error, lags = 0.0, []
    for begin, end, before in pieces(xruns, lo, hi):
        if before == 0:
            lag = first_lag
        elif end - begin < SHORTEST:
            continue
        else:
            reach = (before + 1) * reprime
            lag = lag_near(out, reference, begin, end, max(0, first_lag - reach), first_lag + reach)
        if begin + lag >= len(out):
            continue
        end = min(end, len(out) - lag)
        error = max(error, float(np.max(np.abs(out[begin + lag:end + lag] - reference[begin:end]))))
        lags.append((begin, end, lag))
    return error, lags
