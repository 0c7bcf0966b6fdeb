"""pedal.sample_formats: every format's codecs, checked against ALSA's storage as the fake devices write it."""

import numpy as np
import pytest

from pedal.sample_formats import FORMATS, Decoder, Encoder
from tests.support.fake_alsa import interleave


def ramp(frames, channel):
    return np.linspace(-0.9 + 0.1 * channel, 0.9 - 0.2 * channel, frames).astype(np.float32)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_guitar_channel_is_decoded_from_every_format(name):
    fmt = FORMATS[name]
    channels = [ramp(128, c) for c in range(3)]
    out = np.zeros(128, np.float32)
    n = Decoder(fmt, channels=3, channel=1, frames=128).decode(interleave(channels, fmt), out)
    assert n == 128
    # One step of the format's resolution (16-bit: 3e-5), or float32 rounding.
    tolerance = 1.0 / fmt.full_scale if not fmt.is_float else 0.0
    np.testing.assert_allclose(out, channels[1], atol=tolerance + 1e-7)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_output_goes_to_every_channel_in_every_format(name):
    fmt = FORMATS[name]
    mono = ramp(128, 0)
    raw = Encoder(fmt, channels=2, frames=128).encode(mono)
    assert raw.nbytes == 128 * 2 * fmt.width
    back = np.zeros(128, np.float32)
    for channel in (0, 1):
        Decoder(fmt, channels=2, channel=channel, frames=128).decode(raw.tobytes(), back)
        tolerance = 1.0 / fmt.full_scale if not fmt.is_float else 0.0
        np.testing.assert_allclose(back, mono, atol=tolerance + 1e-7)


@pytest.mark.parametrize("name", ["S16_LE", "S24_3LE", "S24_LE", "S32_LE"])
def test_integer_outputs_clip_instead_of_wrapping(name):
    fmt = FORMATS[name]
    loud = np.array([2.0, -2.0, 1.0, -1.0], np.float32)
    back = np.zeros(4, np.float32)
    Decoder(fmt, 1, 0, 4).decode(Encoder(fmt, 1, 4).encode(loud).tobytes(), back)
    assert back[0] > 0.99 and back[1] == -1.0 and back[2] > 0.99 and back[3] == -1.0


def test_a_short_read_decodes_only_the_frames_that_came():
    fmt = FORMATS["S16_LE"]
    data = interleave([ramp(40, 0), ramp(40, 1)], fmt)
    out = np.full(128, 7.0, np.float32)
    assert Decoder(fmt, 2, 0, 128).decode(data, out) == 40
    assert np.all(out[40:] == 7.0)


def test_conversion_makes_no_new_arrays_per_period():
    # The audio thread's rule: only views and the converters' own buffers.
    fmt = FORMATS["S24_3LE"]
    decoder, encoder = Decoder(fmt, 2, 1, 128), Encoder(fmt, 2, 128)
    data = interleave([ramp(128, 0), ramp(128, 1)], fmt)
    x = np.zeros(128, np.float32)
    import tracemalloc
    decoder.decode(data, x), encoder.encode(x)  # warm up numpy's caches
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(100):
        decoder.decode(data, x)
        encoder.encode(x)
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename") if s.size_diff > 0)
    tracemalloc.stop()
    assert grown < 4096  # view objects come and go; no period-sized buffer is ever left behind
