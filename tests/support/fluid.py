"""Real sampled instruments for the tuner's tests: one note of a General MIDI program, written as
a Standard MIDI File and rendered by FluidSynth with Debian's FluidR3 soundfont (packages
`fluidsynth`, `fluid-soundfont-gm`; tools/setup-system.sh test installs them).

    >>> samples = render(tmp_path, program=27, note=40)   # a clean electric guitar's low E, 48 kHz mono
"""

import shutil
import subprocess
import struct
from pathlib import Path

import numpy as np
import pytest

from pedal.wavfile import read_wav

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
RATE = 48000
HELD_S = 3.0   # how long render() holds the key down


def needs_fluidsynth():
    """Skips the calling test, saying what to install, when FluidSynth or the soundfont is missing."""
    if shutil.which("fluidsynth") is None or not SOUNDFONT.exists():
        pytest.skip("needs fluidsynth and fluid-soundfont-gm (tools/setup-system.sh test installs them)")


def midi_file(program: int, note: int, seconds: float, velocity: int = 100) -> bytes:
    """A Standard MIDI File (format 0, 480 ticks a beat at 120 bpm): program change, then ``note``
    held for ``seconds`` on channel 1."""
    ticks = round(seconds * 2 * 480)

    def delta(n: int) -> bytes:  # a variable-length quantity
        groups = [n & 0x7F]
        while n > 0x7F:
            n >>= 7
            groups.append(0x80 | (n & 0x7F))
        return bytes(reversed(groups))
    events = (delta(0) + bytes([0xC0, program]) + delta(0) + bytes([0x90, note, velocity]) +
              delta(ticks) + bytes([0x80, note, 0]) + delta(0) + bytes([0xFF, 0x2F, 0]))
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(events)) + events


def render(directory: Path, program: int, note: int, seconds: float = HELD_S) -> np.ndarray:
    """The note as FluidSynth plays it (no reverb, no chorus: nothing that moves the pitch), mono."""
    needs_fluidsynth()
    stem = directory / f"gm{program}-{note}"
    stem.with_suffix(".mid").write_bytes(midi_file(program, note, seconds))
    subprocess.run(["fluidsynth", "-ni", "-R", "0", "-C", "0", "-r", str(RATE), "-g", "0.5",
                    "-F", str(stem.with_suffix(".wav")), str(SOUNDFONT), str(stem.with_suffix(".mid"))],
                   check=True, capture_output=True, timeout=60)
    samples, rate = read_wav(stem.with_suffix(".wav"))
    assert rate == RATE
    return samples[:, 0].astype(np.float64)


class Partials:
    """A note's first ``count`` partials, each isolated from ``x`` (a Gaussian band around n f0,
    zero-phase) as an analytic signal, to time the note apart from the tuner."""

    def __init__(self, x: np.ndarray, f0: float, count: int = 4) -> None:
        size = 1 << int(np.ceil(np.log2(len(x))))
        spectrum = np.fft.fft(x, size)
        freqs = np.fft.fftfreq(size, 1 / RATE)
        self.bands = []
        for n in range(1, count + 1):
            band = 2 * np.exp(-0.5 * ((freqs - n * f0) / (0.15 * f0)) ** 2) * (freqs > 0)
            self.bands.append(np.fft.ifft(spectrum * band)[:len(x)])

    def pitch(self, start: int, end: int) -> tuple[float, float]:
        """The note's pitch over samples ``start:end``: each partial's frequency (the slope of its
        unwrapped phase) divided by n, averaged weighted by the partials' levels. Returns (Hz, the
        partials' spread about it in cents): a real string's partials are not whole multiples,
        and wander apart as it rings."""
        t = np.arange(start, end) / RATE
        pitches, levels = [], []
        for n, partial in enumerate(self.bands, 1):
            pitches.append(np.polyfit(t, np.unwrap(np.angle(partial[start:end])), 1)[0] / (2 * np.pi) / n)
            levels.append(np.sqrt(np.mean(np.abs(partial[start:end]) ** 2)))
        hz = float(np.average(pitches, weights=levels))
        spread = float(np.sqrt(np.average((1200 * np.log2(np.array(pitches) / hz)) ** 2, weights=levels)))
        return hz, spread
