"""Cabinet impulse responses: where they are kept, what a file must be to be one, and reading
one back. pedalctl ir upload checks and stores (crash-safely, like a model: pedal.store);
pedald loads by name, at start and on `ir select`.

    >>> irs = store("/var/lib/pedal/irs", max_bytes=64 << 20)
    >>> check("4x12", samples, rate)           # CabinetError: too long, silent
    >>> path, samples, rate = load(irs, "4x12") # CabinetError: unknown, unreadable
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pedal.store import ModelStore, StoreError
from pedal.wavfile import WavError, read_wav

__all__ = ["CabinetError", "MAX_IR_SECONDS", "check", "load", "store"]

MAX_IR_SECONDS = 10.0   # the engine keeps 1 s; a file longer than this is not a cabinet IR


class CabinetError(ValueError):
    """An impulse response that cannot be stored or played; the message says why in one line."""


def store(directory: Path | str, max_bytes: int) -> ModelStore:
    """The impulse responses' directory: WAV files, stored and named as models are."""
    return ModelStore(directory, max_bytes=max_bytes, extensions=(".wav",), what="impulse response")


def check(name: str, samples: np.ndarray, rate: int) -> None:
    """CabinetError unless ``samples`` ([frames][channels] at ``rate``) can be a cabinet IR."""
    seconds = len(samples) / rate
    if seconds > MAX_IR_SECONDS:
        raise CabinetError(f"{name}: {seconds:.1f} s long; a cabinet impulse response is under {MAX_IR_SECONDS:g} s "
                           "(the pedal keeps the first second)")
    if float(np.max(np.abs(samples[:, 0]))) == 0.0:
        raise CabinetError(f"{name}: the first channel is silent")


def load(irs: ModelStore, name: str) -> tuple[Path, np.ndarray, int]:
    """(path, samples, rate) of the impulse response called ``name`` in ``irs``."""
    try:
        path = irs.find(name)
    except StoreError as error:
        raise CabinetError(str(error)) from None
    if path is None:
        raise CabinetError(f"no impulse response called {name!r} in {irs.directory}")
    try:
        samples, rate = read_wav(path, max_bytes=irs.max_bytes)
    except WavError as error:
        raise CabinetError(str(error)) from None
    return path, samples, rate
