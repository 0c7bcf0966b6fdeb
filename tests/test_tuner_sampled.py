"""The tuner on real sampled guitars and basses (FluidSynth's FluidR3 General MIDI soundfont):
plucked open strings and a 12th-fret note, from 150 ms after the pluck until they ring out, name
the note played (no octave errors, no flicker) and say no note below the threshold. Guitars read
within a cent of the note's pitch, measured apart from the tuner on the same stretch of sound,
allowing for the spread between the string's own partials (a real string's partials are not
whole multiples of one pitch, and drift apart as it rings). The basses' partials wander further
(a finger bass's A1 drifts 5 cents in its first half second, its partials apart by up to 3.5):
most of their readings are within a cent, and the share is held."""

import numpy as np
import pytest

from pedal.tuner import THRESHOLD_DB, name_of, read_take
from tests.support.fluid import HELD_S, RATE, Partials, render

# General MIDI programs (from 0) and the notes plucked: open strings, and the high E's 12th fret.
GUITARS = {24: "nylon guitar", 25: "steel guitar", 26: "jazz guitar", 27: "clean electric guitar"}
GUITAR_NOTES = (40, 45, 50, 55, 59, 64, 76)    # E2 A2 D3 G3 B3 E4, E5
BASSES = {33: "finger bass", 34: "picked bass"}
BASS_NOTES = (28, 33, 38, 43)                  # E1 A1 D2 G2
CASES = [(p, n) for p in GUITARS for n in GUITAR_NOTES] + [(p, n) for p in BASSES for n in BASS_NOTES]


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """(program, note) -> (samples, the pluck's time in s, the tuner's readings), rendered once."""
    directory, cache = tmp_path_factory.mktemp("fluidsynth"), {}

    def play(program, note):
        if (program, note) not in cache:
            x = render(directory, program, note)
            pluck = int(np.argmax(np.abs(x) > 1e-3)) / RATE
            cache[program, note] = x, pluck, read_take(x.astype(np.float32), RATE)
        return cache[program, note]
    return play


@pytest.mark.parametrize("program, note", CASES)
def test_a_sampled_string_names_its_note_from_150_ms_until_it_rings_out_without_flicker(played, program, note):
    _, pluck, readings = played(program, note)
    after = [r for r in readings if r.time_s >= pluck + 0.150]
    sounding = [r for r in after if r.level_db >= THRESHOLD_DB + 1.0]
    named = [r for r in sounding if r.note is not None]
    assert len(sounding) >= 8 and len(named) >= 0.95 * len(sounding), f"{len(named)} of {len(sounding)} read"
    # Every reading names the note played: no octave errors, no flicker to a neighbour.
    assert {(r.note, r.octave) for r in named} == {name_of(note)}
    # Rung out: no note, rather than a guess.
    assert all(r.note is None for r in after if r.level_db < THRESHOLD_DB)


def errors_beyond_spread(played, program, note, from_s):
    """For each reading from ``from_s`` after the pluck: how far it is from the note's pitch measured
    apart (Partials.pitch, over the stretch the tuner timed: 85..170 ms), beyond the partials' spread,
    until the key is let go (the damper is no pluck's decay)."""
    x, pluck, readings = played(program, note)
    partials = Partials(x, 440.0 * 2 ** ((note - 69) / 12))
    excess = []
    for r in readings:
        if r.time_s < pluck + from_s or r.time_s > pluck + HELD_S or r.note is None:
            continue
        span = max(0.085, min(8 / r.hz, 0.170))
        pitch, spread = partials.pitch(int((r.time_s - span) * RATE), int(r.time_s * RATE))
        excess.append(max(0.0, abs(1200 * np.log2(r.hz / pitch)) - spread))
    return np.array(excess)


@pytest.mark.parametrize("program", GUITARS)
def test_a_sampled_guitar_reads_within_a_cent_of_each_strings_pitch(played, program):
    worst = {}
    for note in GUITAR_NOTES:
        excess = errors_beyond_spread(played, program, note, from_s=0.150)
        worst["%s%d" % name_of(note)] = float(excess.max())
    print(f"\n{GUITARS[program]}: worst cents beyond the partials' spread, from 150 ms: " +
          ", ".join(f"{name} {e:.2f}" for name, e in worst.items()))
    assert max(worst.values()) <= 1.0


@pytest.mark.parametrize("program", BASSES)
def test_a_sampled_bass_reads_within_a_cent_of_each_strings_pitch(played, program):
    share = {}
    for note in BASS_NOTES:
        excess = errors_beyond_spread(played, program, note, from_s=0.150)
        share["%s%d" % name_of(note)] = (float(np.mean(excess <= 1.0)), float(excess.max()))
    print(f"\n{BASSES[program]}: share of readings within a cent beyond the partials' spread, and the worst: " +
          ", ".join(f"{name} {s:.0%} ({w:.1f})" for name, (s, w) in share.items()))
    assert min(s for s, _ in share.values()) >= 0.7
