"""pedal.audio: what ALSA really applied, and the audio loop, on fake PCMs (the codecs: test_sample_formats.py)."""

import errno
import logging
import threading
import time

import numpy as np
import pytest

import alsaaudio
from pedal import audio
from pedal.audio import AudioError, AudioInterface, negotiate
from pedal.config import Audio
from pedal.sample_formats import FORMATS
from pedal.xruns import DriftWatch
from tests.support.fake_alsa import FakePCM, periods_of
from tests.support.waiting import wait_for


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


def test_a_drift_is_one_that_holds_the_same_way_at_every_check_and_the_surely_held_part_is_corrected():
    watch = DriftWatch(periods=4, period=128)
    # A period off now and then, or off one way and then the other: a device period between two reads.
    assert [watch.off(offset) for offset in (0, 128, 0, 130, -128, 128, -200, 0)] == [None] * 8
    # Off the same way four times in a row: the least of them is what was surely held too much.
    assert [watch.off(offset) for offset in (256, 128, 140, 256)] == [None, None, None, 128]
    assert [watch.off(offset) for offset in (-128, -300, -129, -128)] == [None, None, None, -128]


def _float_stream(signal, process=lambda x, out: np.copyto(out, x), **playback):
    """An interface on a float device that plays ``signal`` (32-frame periods) through ``process``
    (a copy unless told)."""
    settings = Audio(capture_device="in", playback_device="out", period=32, capture_channels=1, playback_channels=1)
    capture = FakePCM(formats=("FLOAT_LE",), frames=periods_of(signal, 1, FORMATS["FLOAT_LE"], 32))
    playback = FakePCM(formats=("FLOAT_LE",), **playback)
    return run_interface(capture, playback, settings, process), playback


def _played(playback):
    return np.frombuffer(b"".join(playback.written), "<f4")


def test_an_underrun_plays_the_late_period_after_silence_that_restores_the_primed_latency():
    signal = np.linspace(0.1, 0.9, 32 * 20, dtype=np.float32)
    interface, playback = _float_stream(signal, underrun_at=5)   # write 0 primes; writes 1-4 are periods 0-3
    interface.start()
    try:
        assert wait_for(lambda: interface.periods >= 12)
    finally:
        interface.stop()
    out = _played(playback)
    # The device ran dry and kept nothing: a period of silence and the late period make the
    # primed two again (priming afresh would have added a period of latency for ever).
    np.testing.assert_array_equal(out[:64], 0)
    np.testing.assert_array_equal(out[64:64 + 4 * 32], signal[:4 * 32])
    np.testing.assert_array_equal(out[192:224], 0)
    np.testing.assert_array_equal(out[224:224 + 8 * 32], signal[4 * 32:12 * 32])
    assert interface.xruns == 1 and interface.xrun_account.last[0]["side"] == "playback"


def test_a_period_of_latency_the_device_gained_without_a_word_is_given_back():
    # JACK skipping ALSA's playback client for a cycle: playback stands still, capture goes on,
    # and from then on everything is heard a period later. After DRIFTED_S it is put back.
    signal = np.linspace(0.1, 0.9, 32 * 400, dtype=np.float32)
    sums = np.zeros(1, np.float64)

    def running_sum(x, out):   # a chain with memory: each output sample is the sum of all input so far
        summed = sums[0] + np.cumsum(x, dtype=np.float64)
        np.copyto(out, summed, casting="same_kind")
        sums[0] = summed[-1]

    interface, playback = _float_stream(signal, running_sum)
    interface.start()
    try:
        assert wait_for(lambda: interface.periods >= 10)
        playback.stand_still(1)
        assert wait_for(lambda: interface.xruns == 1)
        xrun, = interface.xrun_notes.take()
        assert wait_for(lambda: interface.periods >= xrun.at_s * 48000 / 32 + 10)
        held = interface._held()
    finally:
        interface.stop()
    assert xrun.side == "latency" and held == interface.latency_frames
    # The period after the one it was seen at was left unplayed to give the period back; the rest
    # plays in order. The chain heard that period all the same: its memory is the whole input's.
    out, expected = _played(playback)[64:], np.cumsum(signal, dtype=np.float64).astype(np.float32)
    seen = round(xrun.at_s * 48000) + 32
    np.testing.assert_array_equal(out[:seen], expected[:seen])
    np.testing.assert_array_equal(out[seen:seen + 32 * 8], expected[seen + 32:seen + 32 * 9])


def test_a_stall_the_device_did_not_see_counts_wherever_it_fell_in_the_period():
    # JACK's clients stop with pedald (SIGSTOP): ALSA reports nothing. A stop during processing
    # leaves the wait before it ordinary; it is timed from one write to the next.
    signal = np.linspace(0.1, 0.9, 32 * 200, dtype=np.float32)
    calls = []

    def process(x, out):
        calls.append(1)
        if len(calls) == 20:
            time.sleep(0.08)
        np.copyto(out, x)

    settings = Audio(capture_device="in", playback_device="out", period=32, capture_channels=1, playback_channels=1)
    capture = FakePCM(formats=("FLOAT_LE",), frames=periods_of(signal, 1, FORMATS["FLOAT_LE"], 32))
    interface = run_interface(capture, FakePCM(formats=("FLOAT_LE",)), settings, process)
    interface.start()
    try:
        assert wait_for(lambda: interface.periods >= 30)
    finally:
        interface.stop()
    assert interface.xruns == 1
    xrun, = interface.xrun_account.last
    assert xrun["side"] == "stream" and xrun["gap_s"] >= 0.08 and xrun["at_s"] == round(19 * 32 / 48000, 6)


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


def test_a_device_that_stops_without_an_error_is_given_up_after_half_a_second_and_reopened(monkeypatch, caplog):
    # jackd killed under ALSA's jack plugin: no error, no data, a blocking read would wait for ever.
    monkeypatch.setattr(audio, "RETRY_SECONDS", 0.05)
    settings = Audio(capture_device="in", playback_device="out", period=32, capture_channels=1,
                     playback_channels=1)
    capture = FakePCM(frames=periods_of(np.zeros(0, np.float32), 1, FORMATS["S32_LE"], 32))
    interface = run_interface(capture, FakePCM(), settings, lambda x, out: np.copyto(out, x))
    interface.start()
    try:
        assert wait_for(lambda: interface.periods >= 3)
        capture.silent = True
        assert wait_for(lambda: interface.state == "waiting", 2.0)
        assert interface.problem == f"no audio from 'in' for {audio.SILENT_DEVICE_S:g} s" and interface.healthy()
        capture.silent = False
        assert wait_for(lambda: interface.state == "running" and interface.reopens >= 1, 2.0)
        periods = interface.periods
        assert wait_for(lambda: interface.periods > periods + 3)
    finally:
        interface.stop()
    assert "device lost (no audio from 'in' for 0.5 s)" in caplog.text


def test_an_overrun_is_noted_with_its_moment_and_a_cause():
    settings = Audio(capture_device="in", playback_device="out", period=32, capture_channels=1,
                     playback_channels=1)
    capture = FakePCM(frames=periods_of(np.zeros(0, np.float32), 1, FORMATS["S32_LE"], 32), fail=-errno.EPIPE)
    interface = run_interface(capture, FakePCM(), settings, lambda x, out: np.copyto(out, x))
    interface.start()
    try:
        assert wait_for(lambda: interface.periods >= 3)
        interface.report()
    finally:
        interface.stop()
    account = interface.xrun_account.as_status()
    assert account["by_moment"] == {"first second": 1, "change": 0, "steady": 0}
    assert sum(account["by_cause"].values()) == 1
    assert account["last"][0]["side"] == "capture" and account["last"][0]["at_s"] == 0.0


def test_an_absent_device_at_start_is_waited_for():
    settings = Audio(capture_device="nowhere-pedal-test", playback_device="nowhere-pedal-test")
    interface = AudioInterface(settings, lambda x, out: None)
    interface.start()
    try:
        assert interface.state == "waiting" and interface.healthy()
    finally:
        interface.stop()
    assert interface.state == "stopped"
