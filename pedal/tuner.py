"""The tuner: note, octave and cents from the core's pitch detector (pedal.core.PitchDetector),
against a reference A4 (440 Hz unless set, 400..480), with the note held steady through a decay.

    >>> note_of(441.0)
    ('A', 4, 3.93)
    >>> for reading in read_take(samples, 48000):     # one Reading every 50 ms
    ...     print(reading.time_s, reading.note, reading.octave, reading.cents)

A guitarist reads a tuner's note name first: it must not flicker between neighbours as a note
decays or a string is bent. ``NoteHold`` keeps the note it shows until the pitch has moved more
than HOLD_CENTS from it (so a string 45 cents flat still reads as its own note, flat), and only
then takes the nearest note again.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from pedal.core import Pitch, PitchDetector

__all__ = ["A4_RANGE", "DEFAULT_A4", "IN_TUNE_CENTS", "NOTE_NAMES", "READ_EVERY_S", "NoteHold", "Reading", "Tuner",
           "note_of", "read_take", "reading_of"]

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
DEFAULT_A4 = 440.0
A4_RANGE = (400.0, 480.0)
HOLD_CENTS = 60.0          # beyond this from the note shown, the nearest note is taken again
THRESHOLD_DB = -50.0       # RMS below which there is no note: a string rung out, or hum
READ_EVERY_S = 0.05        # one reading per 50 ms
IN_TUNE_CENTS = 2.0        # within this, a string reads as in tune (the LED's steady light, pedalctl's "in tune")


def midi_of(hz: float, a4: float = DEFAULT_A4) -> float:
    """The MIDI note number of ``hz`` (69 = A4), fractional."""
    return 69.0 + 12.0 * math.log2(hz / a4)


def name_of(midi: int) -> tuple[str, int]:
    """(note name, octave) of a MIDI note: 40 is ("E", 2), a guitar's low E."""
    return NOTE_NAMES[midi % 12], midi // 12 - 1


def note_of(hz: float, a4: float = DEFAULT_A4) -> tuple[str, int, float]:
    """(name, octave, cents) of the note nearest ``hz``; cents from -50 to +50."""
    midi = midi_of(hz, a4)
    nearest = round(midi)
    return (*name_of(nearest), round((midi - nearest) * 100.0, 2))


class NoteHold:
    """The note to show for each pitch heard, held steady (see the module's docstring)."""

    def __init__(self, a4: float = DEFAULT_A4) -> None:
        self.a4 = a4
        self.held: int | None = None

    def update(self, hz: float | None) -> tuple[int, float] | None:
        """(MIDI note shown, cents from it) for ``hz``; None (and nothing held) for no note."""
        if not hz:
            self.held = None
            return None
        midi = midi_of(hz, self.a4)
        if self.held is None or abs(midi - self.held) * 100.0 > HOLD_CENTS:
            self.held = round(midi)
        return self.held, (midi - self.held) * 100.0


@dataclass(frozen=True)
class Reading:
    time_s: float
    note: str | None          # None: no note
    octave: int | None
    hz: float | None
    cents: float | None
    confidence: float         # the detector's clarity, 0..1
    level_db: float

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """One line for a person: "  0.150 s  E2   +0.3 cents  82.41 Hz"."""
        if self.note is None:
            return f"{self.time_s:7.3f} s  --   no note ({self.level_db:.0f} dBFS)"
        return (f"{self.time_s:7.3f} s  {self.note}{self.octave:<3} {self.cents:+6.1f} cents  {self.hz:8.2f} Hz  "
                f"(confidence {self.confidence:.2f})")


def check_a4(a4: float) -> float:
    if not (isinstance(a4, (int, float)) and math.isfinite(a4) and A4_RANGE[0] <= a4 <= A4_RANGE[1]):
        raise ValueError(f"the reference A4 is {A4_RANGE[0]:g}..{A4_RANGE[1]:g} Hz, got {a4!r}")
    return float(a4)


class Tuner:
    """Input in, readings out: the core's detector, the note held steady, at reference ``a4``."""

    def __init__(self, rate: float, a4: float = DEFAULT_A4, threshold_db: float = THRESHOLD_DB) -> None:
        self.ear = PitchDetector(rate)
        self.hold = NoteHold(check_a4(a4))
        self.threshold_db = threshold_db

    def push(self, samples: np.ndarray) -> None:
        self.ear.push(samples)

    def read(self, time_s: float) -> Reading:
        return reading_of(self.ear.analyse(self.threshold_db), self.hold, time_s)


def reading_of(pitch: Pitch, hold: NoteHold, time_s: float) -> Reading:
    """What a tuner shows for ``pitch`` heard at ``time_s``, the note held by ``hold``."""
    shown = hold.update(pitch.hz or None)
    if shown is None:
        return Reading(round(time_s, 4), None, None, None, None, round(pitch.clarity, 3), round(pitch.level_db, 1))
    name, octave = name_of(shown[0])
    return Reading(round(time_s, 4), name, octave, round(pitch.hz, 3), round(shown[1], 2), round(pitch.clarity, 3),
                   round(pitch.level_db, 1))


def read_take(samples: np.ndarray, rate: int, a4: float = DEFAULT_A4, every_s: float = READ_EVERY_S,
              threshold_db: float = THRESHOLD_DB) -> list[Reading]:
    """A recording read as the pedal's tuner reads its input: one Reading every ``every_s``,
    each of the window (85 ms) that ends then."""
    tuner = Tuner(rate, a4, threshold_db)
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    step = max(1, int(round(every_s * rate)))
    readings = []
    for end in range(step, len(samples) + 1, step):
        tuner.push(samples[end - step:end])
        readings.append(tuner.read(end / rate))
    return readings
