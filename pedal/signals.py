"""Reference guitar signals: deterministic audio that behaves like a guitar DI
(plucked strings by Karplus-Strong: sharp attacks, long decays, chords, a tail
into silence). Used by the benchmark, the tests and model validation, so every
measurement sees the same kind of input a pedal does."""

from __future__ import annotations

from pathlib import Path

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


# --- The DI clip: a short phrase played on a synthetic guitar ---------------------

# (start in seconds, string 0-5 low E to high E, fret, loudness 0-1, seconds it rings)
# A few bars in E minor pentatonic, a bend-free lick, then a strummed E5 chord
# left to ring into silence: attacks, single notes, a chord and a decay tail.
PHRASE = [
    (0.00, 0, 0, 0.9, 0.30), (0.30, 0, 3, 0.7, 0.25), (0.55, 1, 0, 0.8, 0.25), (0.80, 1, 2, 0.7, 0.30),
    (1.10, 2, 0, 0.8, 0.20), (1.30, 2, 2, 0.9, 0.35), (1.65, 3, 0, 0.7, 0.20), (1.85, 3, 2, 1.0, 0.45),
    (2.30, 0, 0, 1.0, 1.70), (2.31, 1, 2, 0.9, 1.70), (2.32, 2, 2, 0.9, 1.70), (2.33, 3, 0, 0.6, 1.70),
]
OPEN_STRINGS = (82.41, 110.0, 146.83, 196.0, 246.94, 329.63)  # Hz, standard tuning
PHRASE_SECONDS = 3.5


def plucked_string(frequency: float, seconds: float, rate: int, rng: np.random.Generator,
                   t60: float = 2.5, brightness: float = 0.5, pick_position: float = 0.15) -> np.ndarray:
    """One plucked note by Karplus-Strong, with the two classic extensions: the
    excitation is noise, low-passed (softer pick) and comb-filtered at the
    picking position; the loop loses energy so that the note decays by 60 dB
    in ``t60`` seconds whatever its pitch.

    Only additions and multiplications on arrays (no transcendental numpy
    calls, whose last bits differ between CPUs), so the same seed gives the
    same samples everywhere.
    """
    period = max(2, int(round(rate / frequency)))
    total = int(seconds * rate)
    burst = rng.uniform(-1.0, 1.0, period)
    for n in range(1, period):  # one-pole low-pass: less brightness, a softer pick
        burst[n] = brightness * burst[n] + (1.0 - brightness) * burst[n - 1]
    notch = max(1, int(pick_position * period))
    line = burst - np.concatenate([np.zeros(notch), burst[:-notch]])
    loss = 10.0 ** (-3.0 * period / (rate * t60))  # per pass round the loop
    out = np.empty(total)
    for start in range(0, total, period):
        stop = min(total, start + period)
        out[start:stop] = line[: stop - start]
        line = loss * 0.5 * (line + np.concatenate([line[1:], line[:1]]))
    return out


def guitar_phrase(rate: int = 48000, seed: int = 7, peak: float = 0.5) -> np.ndarray:
    """The DI clip's phrase (PHRASE) as float64 in [-peak, peak], PHRASE_SECONDS long."""
    rng = np.random.default_rng(seed)
    total = int(PHRASE_SECONDS * rate)
    out = np.zeros(total)
    release = int(0.03 * rate)  # a finger lifting off the string: 30 ms fade
    for start, string, fret, loudness, rings in PHRASE:
        frequency = OPEN_STRINGS[string] * 2.0 ** (fret / 12.0)
        first = int(start * rate)
        length = min(total - first, int(rings * rate))
        note = plucked_string(frequency, length / rate, rate, rng, brightness=0.35 + 0.3 * loudness)
        length = len(note)
        fade = min(release, length)
        note[length - fade:] *= np.linspace(1.0, 0.0, fade)
        out[first:first + length] += loudness * note
    tail = int(0.4 * rate)  # the last chord dies away into silence
    out[total - tail:] *= np.linspace(1.0, 0.0, tail)
    return peak * out / np.max(np.abs(out))


DI_CLIP = Path(__file__).resolve().parent / "data" / "di_clip.wav"
DI_CLIP_RATE = 48000


def di_clip_bytes() -> bytes:
    """What tools/make_di_clip.py writes to DI_CLIP: guitar_phrase at 48 kHz, 16-bit mono."""
    from pedal.wavfile import encode
    return encode(guitar_phrase(DI_CLIP_RATE), DI_CLIP_RATE)


def di_clip() -> np.ndarray:
    """The bundled DI clip (float32, 48 kHz, PHRASE_SECONDS long): a guitar
    phrase as it leaves the pickup, for demos, tests and `compare`.

        >>> dry = di_clip()
        >>> wet = Model.load("drive.json").process(dry)
    """
    from pedal.wavfile import read_mono
    samples, _ = read_mono(DI_CLIP, "DI clip")
    return samples
