"""Levels: every model plays at the same loudness, and inputs are calibrated.

    >>> from pedal import levels
    >>> model = Model.load("amp.nam")
    >>> engine.set_model(model, input_gain_db=levels.input_gain_db(model.info),
    ...                  output_gain_db=levels.output_gain_db(model))

Loudness is the RMS level (dBFS) of a model's output for a reference input.
NAM files carry it in their metadata (measured by the trainer); for every other
model it is measured once, at load, on the reference guitar signal. The output
gain brings it to TARGET_LOUDNESS_DB, the level NAM's players normalise to.
"""

from __future__ import annotations

import math

import numpy as np

from pedal.signals import guitar_like

TARGET_LOUDNESS_DB = -18.0
# dBu that a typical interface delivers at 0 dBFS (NAM's players assume 12 dBu too).
INTERFACE_DBU = 12.0
REFERENCE_SECONDS = 3.0


def measure_loudness(model) -> float:
    """RMS dBFS of the model's output for the reference guitar signal, played at
    the model's own rate. Resets the model before and after."""
    reference = guitar_like(REFERENCE_SECONDS, rate=int(model.sample_rate), seed=4)
    model.reset()
    out = model.process(reference)
    model.reset()
    rms = float(np.sqrt(np.mean(np.square(out[len(out) // 10:], dtype=np.float64))))
    if not math.isfinite(rms):
        return math.nan  # NaN or infinity came out: validation refuses such a model
    return 20.0 * math.log10(rms) if rms > 0.0 else -math.inf


def loudness_db(model, measured: float | None = None) -> tuple[float, str]:
    """(loudness in dBFS, where it came from: "metadata" or "measured").
    ``measured``: measure_loudness(model) when the caller has it already."""
    stored = (model.info.get("metadata") or {}).get("loudness")
    if isinstance(stored, (int, float)) and math.isfinite(stored):
        return float(stored), "metadata"
    return (measure_loudness(model) if measured is None else measured), "measured"


def output_gain_db(model, loudness: float | None = None) -> float:
    """Gain that brings the model to TARGET_LOUDNESS_DB (0 for a silent model,
    which validation refuses anyway). ``loudness``: one measured earlier by
    loudness_db (e.g. stored at upload, pedal.store), to skip measuring again."""
    if loudness is None:
        loudness, _ = loudness_db(model)
    return TARGET_LOUDNESS_DB - loudness if math.isfinite(loudness) else 0.0


def gains_db(model, interface_dbu: float = INTERFACE_DBU, loudness: float | None = None) -> tuple[float, float]:
    """(input, output) gains in dB the engine plays ``model`` with: what pedald,
    validation and `pedalctl render` all use, so they sound the same.

        >>> engine.set_model(model_copy, *levels.gains_db(model))
    """
    return input_gain_db(model.info, interface_dbu), output_gain_db(model, loudness)


def chain_gains_db(models, drives_db, interface_dbu: float = INTERFACE_DBU,
                   loudness: float | None = None) -> tuple[list[float], list[float]]:
    """(input gains, output gains) in dB, one per capture, that a rig's chain plays with, so a
    rig lands at TARGET_LOUDNESS_DB as one capture does:

    - the first capture's input is calibrated for the interface, as a capture alone is;
    - every capture's input also gets the rig's drive for it (``drives_db``);
    - a capture inside the chain feeds the next at its own gain, as the pedal would feed the
      amp: its output is not normalised (0 dB);
    - the last capture's output gain brings the whole chain's loudness to the target:
      measured on the reference signal through every capture in turn at its drive (as a
      capture's own loudness is measured, without the interface calibration), or
      ``loudness``, one measured earlier. A rig of one undriven capture gets exactly the
      gains ``gains_db`` gives that capture alone (its file's loudness first).

    Resets the models after measuring."""
    models, drives = list(models), [float(d) for d in drives_db]
    if not models or len(drives) != len(models):
        raise ValueError(f"{len(drives)} drive gains for {len(models)} captures")
    inputs = [d + (input_gain_db(models[0].info, interface_dbu) if n == 0 else 0.0) for n, d in enumerate(drives)]
    if loudness is None:
        alone = len(models) == 1 and drives[0] == 0.0
        loudness = loudness_db(models[0])[0] if alone else measure_chain_loudness(models, drives)
    outputs = [0.0] * (len(models) - 1) + [TARGET_LOUDNESS_DB - loudness if math.isfinite(loudness) else 0.0]
    return inputs, outputs


def measure_chain_loudness(models, input_gains_db) -> float:
    """RMS dBFS of a chain's output for the reference guitar signal: each capture hears the
    one before at its input gain (every capture at its own sample rate's worth of the same
    samples; the few percent a rate bridge would stretch them do not move an RMS). Resets
    the models before and after."""
    signal = guitar_like(REFERENCE_SECONDS, rate=int(models[0].sample_rate), seed=4)
    for model, gain_db in zip(models, input_gains_db):
        model.reset()
        signal = model.process((signal * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32))
        model.reset()
    rms = float(np.sqrt(np.mean(np.square(signal[len(signal) // 10:], dtype=np.float64))))
    if not math.isfinite(rms):
        return math.nan
    return 20.0 * math.log10(rms) if rms > 0.0 else -math.inf


def input_gain_db(info: dict, interface_dbu: float = INTERFACE_DBU) -> float:
    """Input calibration from the file's input level in dBu, where it gives one:
    a capture made with +18 dBu at 0 dBFS hears our 12 dBu interface 6 dB lower."""
    level = (info.get("metadata") or {}).get("input_level_dbu")
    if isinstance(level, (int, float)) and math.isfinite(level):
        return float(interface_dbu) - float(level)
    return 0.0
