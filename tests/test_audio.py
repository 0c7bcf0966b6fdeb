"""pedal.audio: sample formats, what ALSA really applied, and the audio loop, on fake PCMs."""

import errno
import logging
import threading

import numpy as np
import pytest

import alsaaudio
from pedal import audio
from pedal.audio import AudioError, AudioInterface, negotiate
from pedal.config import Audio
from pedal.sample_formats import FORMATS, Decoder, Encoder
from tests.support.fake_alsa import FakePCM, interleave, periods_of
from tests.support.waiting import wait_for

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


def test_the_format_the_device_really_took_is_the_one_converted():
    # ALSA's jack plugin only does FLOAT_LE: asked for S32_LE, pyalsaaudio quietly gives FLOAT_LE.
    fake = FakePCM(formats=("FLOAT_LE",))
    _, applied = negotiate("capture", "jack", 48000, 2, 128, 2, pcm_factory=fake)
    assert applied.format.name == "FLOAT_LE"


def test_a_format_we_cannot_convert_is_swapped_for_one_the_device_offers():
    fake = FakePCM(formats=("U8", "S16_LE"))  # ALSA picks the lowest: U8
    _, applied = negotiate("playback", "usb", 48000, 2, 128, 2, pcm_factory=fake)
    assert fake.opened == ["U8", "S16_LE"] and applied.format.name == "S16_LE"


def test_a_device_with_no_format_we_convert_is_refused_in_one_line():
    with pytest.raises(AudioError, match=r"sample format U8.*cannot convert") as error:
        negotiate("playback", "odd", 48000, 2, 128, 2, pcm_factory=FakePCM(formats=("U8",)))
    assert "\n" not in str(error.value)


def test_another_rate_than_configured_is_refused_with_the_fix():
    with pytest.raises(AudioError, match=r"runs at 44100 Hz, not the configured 48000 Hz.*rate = 44100"):
        negotiate("capture", "hw:1", 48000, 2, 128, 2, pcm_factory=FakePCM(rate=44100))


def test_another_period_is_adopted_and_logged(caplog):
    _, applied = negotiate("capture", "hw:1", 48000, 2, 128, 2, pcm_factory=FakePCM(period=144))
    assert applied.period == 144
    assert "gave 144" in caplog.text


def run_interface(capture, playback, settings, process):
    factories = {"in": capture, "out": playback}

    def factory(type, device, **kw):
        return factories[device](type=type, device=device, **kw)

    return AudioInterface(settings, process, pcm_factory=factory)


def test_the_loop_processes_the_input_channel_and_copies_it_to_every_output():
    settings = Audio(capture_device="in", playback_device="out", period=64, capture_channels=2,
                     input_channel=1, playback_channels=2)
    signal = np.sin(np.arange(640) / 10).astype(np.float32) * 0.5
    fmt_in = FORMATS["S32_LE"]
    capture = FakePCM(formats=("S32_LE",), frames=periods_of(signal, 2, fmt_in, 64))
    playback = FakePCM(formats=("S16_LE",))
    calls = []

    def process(x, out):
        calls.append(threading.current_thread().name)
        np.multiply(x, 0.5, out=out)

    interface = run_interface(capture, playback, settings, process)
    interface.start()
    try:
        assert wait_for(lambda: interface.periods >= 10)
    finally:
        interface.stop()
    assert calls[0] == "pedal-audio"
    written = np.frombuffer(b"".join(playback.written), "<i2").reshape(-1, 2) / 32768.0
    assert np.all(written[:128] == 0)  # two periods of silence primed before the first output
    np.testing.assert_allclose(written[128:128 + 640, 0], 0.5 * signal, atol=1 / 32768 + 1e-7)
    np.testing.assert_array_equal(written[:, 0], written[:, 1])
    assert interface.latency_frames == 128 and interface.xruns == 0


def test_an_overrun_is_counted_and_playback_reprimed():
    settings = Audio(capture_device="in", playback_device="out", period=32, capture_channels=1,
                     playback_channels=1)
    fmt = FORMATS["S32_LE"]
    capture = FakePCM(frames=periods_of(np.zeros(0, np.float32), 1, fmt, 32), fail=-errno.EPIPE)
    interface = run_interface(capture, FakePCM(), settings, lambda x, out: np.copyto(out, x))
    interface.start()
    try:
        assert wait_for(lambda: interface.periods >= 3)
        assert interface.xruns == 1
    finally:
        interface.stop()


def test_a_vanished_device_is_waited_for_and_comes_back(monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(audio, "RETRY_SECONDS", 0.05)
    settings = Audio(capture_device="in", playback_device="out", period=32, capture_channels=1,
                     playback_channels=1)
    fmt = FORMATS["S32_LE"]
    capture = FakePCM(frames=periods_of(np.zeros(0, np.float32), 1, fmt, 32),
                      fail=alsaaudio.ALSAAudioError("No such device [in]"))
    interface = run_interface(capture, FakePCM(), settings, lambda x, out: np.copyto(out, x))
    interface.start()
    try:
        assert wait_for(lambda: interface.reopens == 1 and interface.periods >= 3)
        assert interface.state == "running" and interface.healthy()
    finally:
        interface.stop()
    assert "device lost (No such device [in])" in caplog.text and "devices back" in caplog.text


def test_an_absent_device_at_start_is_waited_for():
    settings = Audio(capture_device="nowhere-pedal-test", playback_device="nowhere-pedal-test")
    interface = AudioInterface(settings, lambda x, out: None)
    interface.start()
    try:
        assert interface.state == "waiting" and interface.healthy()
    finally:
        interface.stop()
    assert interface.state == "stopped"
