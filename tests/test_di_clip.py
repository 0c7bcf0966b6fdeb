"""The bundled DI clip: our own plucked-string synthesis, committed as a WAV,
and regenerating it gives the same bytes."""

import numpy as np

from pedal import wavfile
from pedal.signals import DI_CLIP, PHRASE, DI_CLIP_RATE, PHRASE_SECONDS, di_clip, di_clip_bytes


def test_regenerating_the_clip_gives_the_committed_bytes():
    # tools/make_di_clip.py writes exactly di_clip_bytes(); a change to the
    # synthesis must come with a regenerated clip.
    assert di_clip_bytes() == DI_CLIP.read_bytes()


def test_the_clip_is_a_small_mono_48k_file_at_di_level():
    samples, rate = wavfile.read_wav(DI_CLIP)
    assert rate == DI_CLIP_RATE and samples.shape == (int(PHRASE_SECONDS * rate), 1)
    assert DI_CLIP.stat().st_size < 400_000
    dry = di_clip()
    assert 0.45 < np.max(np.abs(dry)) <= 0.5  # peaks at -6 dBFS, like a hot pickup
    assert np.max(np.abs(dry[-100:])) < 1e-3  # ends in silence


def test_the_clip_has_the_attacks_of_plucked_notes():
    dry = di_clip().astype(np.float64)
    # Energy in 10 ms frames: each pluck after the first is a jump of more than
    # 6 dB over the frame before (they measure ~25 dB), where PHRASE starts one.
    frames = dry[: len(dry) // 480 * 480].reshape(-1, 480)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    onsets = np.flatnonzero(np.diff(level) > 6.0) + 1
    starts = sorted(start for start, *_ in PHRASE)
    plucks = [round(b * 100) for a, b in zip(starts, starts[1:]) if b - a > 0.05]  # a strum is one onset
    assert [int(n) for n in onsets] == plucks
