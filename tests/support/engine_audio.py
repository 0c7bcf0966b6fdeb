"""Shared by the Engine tests: a held note, block-by-block playing, and the click measure."""

import numpy as np

RATE = 48000


def sustained_note(seconds, frequency=196.0, level=0.3):
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * frequency * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def run(engine, x, block=64):
    """``x`` through ``engine`` in blocks, as an audio loop plays it."""
    out = np.empty_like(x)
    for start in range(0, len(x), block):
        engine.process(x[start:start + block], out=out[start:start + block])
    return out


def largest_step(x):
    """The largest sample-to-sample step: a click shows as one larger than the steady signal's."""
    return float(np.max(np.abs(np.diff(x))))
