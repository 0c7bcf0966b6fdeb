"""The recording a capture is trained from: what went into the gear (input, the
DI) and what came out (target), checked and split.

    >>> pair = load_pair("di.wav", "amp.wav")       # PairError with one line if unusable
    >>> training, validation = pair.split(0.2)      # the last 20 % is held out

Both files must be mono, at the same rate and of the same length (sample for
sample: a capture is a time-aligned recording). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pedal.metrics import find_lag
from pedal.wavfile import WavError, read_mono


class PairError(ValueError):
    """An input/target pair that cannot be trained on; one line says why."""


@dataclass
class Pair:
    dry: np.ndarray   # float32, the input (DI)
    wet: np.ndarray   # float32, the target (the gear's output)
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.dry) / self.rate

    def split(self, validation_fraction: float) -> tuple["Pair", "Pair"]:
        """(training, validation): validation is the last part of the recording."""
        cut = int(round(len(self.dry) * (1.0 - validation_fraction)))
        return (Pair(self.dry[:cut], self.wet[:cut], self.rate),
                Pair(self.dry[cut:], self.wet[cut:], self.rate))

    def lag(self) -> int:
        """Samples by which the target comes late (cross-correlation over the
        first 10 s); a capture whose chain added latency shows it here."""
        n = min(len(self.dry), 10 * self.rate)
        return find_lag(self.dry[:n], self.wet[:n], max_lag=min(n - 1, self.rate // 10))


def load_pair(input_path: Path | str, target_path: Path | str) -> Pair:
    """Reads and checks the two WAVs; raises PairError (a ValueError) naming the file."""
    try:
        dry, dry_rate = read_mono(input_path, "input")
        wet, wet_rate = read_mono(target_path, "target")
    except WavError as error:
        raise PairError(str(error)) from None
    if dry_rate != wet_rate:
        raise PairError(f"{input_path} is at {dry_rate} Hz but {target_path} is at {wet_rate} Hz: "
                        "record (or resample) both at the same rate")
    if len(dry) != len(wet):
        raise PairError(f"{input_path} has {len(dry)} samples ({len(dry) / dry_rate:.3f} s) but {target_path} "
                        f"has {len(wet)} ({len(wet) / wet_rate:.3f} s): input and target must be the same "
                        "recording, sample for sample")
    for path, samples, role in ((input_path, dry, "input"), (target_path, wet, "target")):
        if not np.any(samples):
            raise PairError(f"{path}: the {role} is silent")
    return Pair(dry, wet, dry_rate)
