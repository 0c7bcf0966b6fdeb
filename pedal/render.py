"""A signal through the pedal's chain, offline: the Engine pedald plays with, at the pedal's block
size, the model at its levels (or bare), the output aligned with the input. `pedalctl render`,
`compare`, validation, the demo's expectation and the end-to-end test all play through here, so
no two of them can disagree on what a capture sounds like.

    >>> engine, info = chain(data, rate=48000, block=128)  # as pedald plays it: levels, DC blocker, limiter
    >>> wet = play(engine, dry, block=128)                 # aligned with dry
    >>> bare, info = chain(data, 48000, 128, bare=True)    # the model alone, through the rate bridge
    >>> rig = chain_of([drive, amp], [6.0, 0.0], 48000, 128)  # captures in series, at a capture's loudness

The engine owns the one Model it is given: its levels are worked out from that Model first (which
is then reset), so a file is parsed once.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from pedal import levels
from pedal.core import PARAMS, Engine, Model

__all__ = ["PREROLL_S", "chain", "chain_of", "play"]

PREROLL_S = 0.2   # longer than any warm-up (>= 10 ms) plus crossfade (<= 50 ms)
# What `bare` takes out of the chain, leaving the model and its rate bridge.
CHAIN_BLOCKS = ("gate", "eq", "cabinet", "dc_blocker", "limiter")


def chain(source: bytes | Model, rate: int, block: int, *, size: float | None = None,
          interface_dbu: float = levels.INTERFACE_DBU, loudness: float | None = None,
          crossfade_ms: float = PARAMS["crossfade_ms"].default, bare: bool = False,
          settings: Callable[[Engine], None] | None = None) -> tuple[Engine, dict]:
    """An Engine at ``rate`` and ``block`` playing the model in ``source`` (a file's bytes, read at
    ``size`` when it has submodels; or a Model, which the engine then owns): with its input
    calibrated for ``interface_dbu`` and its loudness (``loudness``, else its metadata's or
    measured) normalised, as pedald plays it; or, ``bare``, the model alone
    at unity gain with nothing else in the chain (what compare holds against a recording).
    ``settings(engine)`` may set EQ, gate, cabinet, levels before the model goes in. Returns the
    engine and the model's info (the Model itself is the engine's)."""
    model = Model.from_json(source, size=size) if isinstance(source, (bytes, bytearray, str)) else source
    info = model.info
    if bare:
        gains = (0.0, 0.0)
    else:
        gains = levels.gains_db(model, interface_dbu, loudness)
        model.reset()  # measuring the loudness ran the reference signal through it
    engine = Engine(rate, block)
    engine.set_crossfade_ms(crossfade_ms)
    if bare:
        for name in CHAIN_BLOCKS:
            engine.set_block(name, False)
    if settings is not None:
        settings(engine)
    engine.set_model(model, *gains)
    return engine, info


def chain_of(models: list[Model], drives_db: list[float], rate: int, block: int, *,
             interface_dbu: float = levels.INTERFACE_DBU, loudness: float | None = None,
             crossfade_ms: float = PARAMS["crossfade_ms"].default,
             settings: Callable[[Engine], None] | None = None,
             knobs: list[dict[str, float]] | None = None) -> Engine:
    """An Engine playing ``models`` in series (a rig's captures, each driven by its entry of
    ``drives_db``) with the gains levels.chain_gains_db gives, so the chain lands at the loudness
    one capture does; the engine owns the models. ``knobs``: per capture, its knobs' positions
    by name, set after the loudness is measured (at the knobs' defaults: a knob turned louder
    plays louder, as on the gear). As ``chain`` otherwise."""
    inputs, outputs = levels.chain_gains_db(models, drives_db, interface_dbu, loudness)
    for model, positions in zip(models, knobs or []):
        for name, value in positions.items():
            model.set_knob(name, value)
    engine = Engine(rate, block)
    engine.set_crossfade_ms(crossfade_ms)
    if settings is not None:
        settings(engine)
    engine.set_chain(models, inputs, outputs)
    return engine


def play(engine: Engine, dry: np.ndarray, block: int, progress: Callable[[str], None] | None = None, *,
         from_start: bool = False) -> np.ndarray:
    """``dry`` through ``engine`` in blocks of ``block`` frames, after PREROLL_S of silence (the
    model warmed up and faded in), the chain's latency taken out: sample i of the result is what
    the pedal plays for sample i of ``dry``. ``from_start``: as the pedal plays from the moment
    it starts instead (no pre-roll: the model's warm-up and fade-in are heard; the latency kept)."""
    rate = engine.sample_rate
    silence = np.zeros(block, np.float32)
    for _ in range(0 if from_start else math.ceil(PREROLL_S * rate / block)):
        engine.process(silence, silence)
        silence[:] = 0.0
    delay = 0 if from_start else int(round(engine.latency))
    source = np.concatenate([np.asarray(dry, np.float32), np.zeros(delay, np.float32)])
    out = np.empty_like(source)
    step = max(block, (len(source) // 10 // block) * block)
    for start in range(0, len(source), block):
        engine.process(source[start:start + block], out[start:start + block])
        if progress is not None and start % step < block and start:
            progress(f"rendering: {100 * start // len(source)} %")
    return out[delay:]
