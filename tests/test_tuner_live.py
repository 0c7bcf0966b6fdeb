"""The tuner in pedald (in-process, on fake ALSA devices playing a held note and gpiozero's mock
pins): opened from the socket, `pedalctl tune` or a footswitch hold; the output muted or passing
dry; readings streamed to watchers 20 times a second; the LED as the needle; any press closes it.
The JACK end-to-end test is in test_daemon_e2e.py."""

import math
import time

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory

from pedal.config import Tuner, parse_config
from pedal.control import request, stream
from pedal.footswitch import LedState
from pedal.live_tuner import led_state_of
from pedal.tuner import Reading
from tests.support.fake_alsa import in_process_config, in_process_pedals
from tests.support.pedalctl import pedalctl
from tests.support.paths import GOLDEN
from tests.support.waiting import wait_for

RATE = 48000
A2 = 110.0


def held_note(hz, cents=0.0, level_db=-20.0, periods=1500):
    """A plucked-steady string: a fundamental and two harmonics, a whole number of 64-frame
    periods long and looping without a seam (a whole number of cycles)."""
    frames = 64 * periods
    cycles = round(hz * 2 ** (cents / 1200) * frames / RATE)
    t = np.arange(frames) / frames * cycles * 2 * np.pi
    note = np.sin(t) + 0.5 * np.sin(2 * t) + 0.25 * np.sin(3 * t)
    return (note / np.sqrt(np.mean(note ** 2)) * 10 ** (level_db / 20)).astype(np.float32), cycles * RATE / frames


@pytest.fixture
def tuner_pedal(tmp_path):
    """start(tuner_settings="") -> (pedal, socket): a pedal playing `lead`, the guitar holding
    A2 a few cents sharp, hold_s 0.5."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "lead.json").write_bytes((GOLDEN / "wavenetva_c2_d3_softgated.model.json").read_bytes())
    note, hz = held_note(A2, cents=7.0)
    factory = MockFactory()
    footswitch = "pin = 17\nled_pin = 27\nlong_press_s = 0.2\nhold_s = 0.5\ndebounce_ms = 5.0"

    def start(tuner_settings=""):
        text = in_process_config(tmp_path, models, footswitch, tmp_path / "state.json") + tuner_settings
        pedal = starter(parse_config(text))
        return pedal, tmp_path / "control.sock"
    with in_process_pedals(factory, guitar=note) as starter:
        yield start, factory, hz


def played(pedal, periods):
    """The last ``periods`` periods the pedal wrote (S32_LE mono), as floats."""
    written = pedal.audio._factory.playback.written[-periods:]
    return np.frombuffer(b"".join(written), dtype="<i4").astype(np.float64) / 2 ** 31


def readings(socket, seconds):
    """What a watcher hears for ``seconds``: every line, with the time it came."""
    lines, began = [], time.monotonic()
    for line in stream(socket, {"cmd": "tuner", "watch": True}):
        lines.append((time.monotonic() - began, line))
        if time.monotonic() - began >= seconds:
            break
    return lines


def test_opened_from_the_socket_it_reads_the_guitar_20_times_a_second_and_mutes_the_output(tuner_pedal):
    start, _, hz = tuner_pedal
    pedal, socket = start()
    assert wait_for(lambda: pedal.audio.periods > 400)   # past the first model's warm-up and fade
    amp = np.abs(played(pedal, 50)).max()
    assert amp > 1e-3   # the amp plays
    opened = request(socket, {"cmd": "tuner", "on": True})
    assert opened["ok"] and opened["tuner"]["on"] and opened["tuner"]["output"] == "mute"
    assert opened["tuner"]["a4"] == 440.0 and opened["tuner"]["reading"]["note"] is None   # nothing heard yet
    heard = readings(socket, 1.5)
    notes = [line for _, line in heard if line.get("note")]
    # Readings come 20 a second; after the first 85 ms window each names the note to the cent.
    assert len(heard) >= 15 * 1.5 and all(line["tuning"] for _, line in heard)
    assert len(notes) >= len(heard) - 4
    expected_cents = 1200 * math.log2(hz / A2)
    assert {(n["note"], n["octave"]) for n in notes} == {("A", 2)}
    assert all(abs(n["cents"] - expected_cents) < 0.5 and abs(n["hz"] - hz) < 0.05 for n in notes)
    assert 0 < expected_cents < 10
    # The output: silent while tuning.
    assert np.abs(played(pedal, 200)).max() == 0.0
    status = request(socket, {"cmd": "status"})
    assert status["tuner"]["on"] and status["tuner"]["reading"]["note"] == "A"
    shown = pedalctl("--socket", socket, "status").out
    assert "tuner      open (mute, A4 = 440 Hz): A2 +" in shown
    closed = request(socket, {"cmd": "tuner", "on": False})
    assert closed["tuner"]["on"] is False
    assert wait_for(lambda: np.abs(played(pedal, 20)).max() > 0.5 * amp)   # the amp again
    assert request(socket, {"cmd": "tuner", "on": "yes"})["error"] == "on must be true or false, got 'yes'"
    assert request(socket, {"cmd": "tuner", "on": True, "a4": 500})["error"] == "a4 must be a number in 400..480, got 500"


def test_through_lets_the_dry_guitar_pass_while_tuning(tuner_pedal):
    start, _, _ = tuner_pedal
    pedal, socket = start('[tuner]\noutput = "through"\n')
    assert wait_for(lambda: pedal.audio.periods > 400)   # past the first model's warm-up and fade
    request(socket, {"cmd": "tuner", "on": True})
    time.sleep(0.3)
    out = played(pedal, 100)
    guitar_rms = 10 ** (-20 / 20)
    assert np.sqrt(np.mean(out ** 2)) == pytest.approx(guitar_rms, rel=0.02)   # the dry note, at its own level
    assert request(socket, {"cmd": "status"})["bypass"] is False             # and bypass untouched


def test_a_footswitch_hold_opens_it_the_led_is_the_needle_and_any_press_closes_it(tuner_pedal):
    start, factory, _ = tuner_pedal
    pedal, socket = start()
    assert wait_for(lambda: pedal.audio.periods > 400)   # past the first model's warm-up and fade
    assert request(socket, {"cmd": "press", "pin": 17, "seconds": 0.7})["ok"]  # past long_press_s and hold_s
    assert pedal.tuner.tuning
    # The long press's bypass (at 0.2 s) was undone when the hold opened the tuner.
    assert pedal.state.bypass is False
    # 7 cents sharp: the fast blink.
    assert wait_for(lambda: pedal.controls.led.state is LedState.SHARP)
    # A short press only closes the tuner: the same model plays, unbypassed, the LED steady.
    time.sleep(0.1)   # a foot lifts and comes down again (sooner would be one press with a bounce)
    assert request(socket, {"cmd": "press", "pin": 17, "seconds": 0.05})["ok"]
    assert wait_for(lambda: not pedal.tuner.tuning)
    assert request(socket, {"cmd": "status"})["model"] == "lead" and pedal.state.bypass is False
    assert pedal.controls.led.state is LedState.ACTIVE
    # Open again, then a long press closes it without toggling bypass, and nothing more.
    request(socket, {"cmd": "tuner", "on": True})
    time.sleep(0.1)
    assert request(socket, {"cmd": "press", "pin": 17, "seconds": 0.7})["ok"]
    assert not pedal.tuner.tuning and pedal.state.bypass is False


def test_pedalctl_tune_streams_json_readings_and_closes_the_tuner_when_done(tuner_pedal):
    start, _, hz = tuner_pedal
    pedal, socket = start()
    assert wait_for(lambda: pedal.audio.periods > 400)   # past the first model's warm-up and fade
    run = pedalctl("--socket", socket, "tune", "--json", "--seconds", "1")
    assert run.status == 0, run.err
    import json
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert len(lines) >= 15 and all(line["tuning"] for line in lines)
    assert {(line["note"], line["octave"]) for line in lines[3:]} == {("A", 2)}
    assert not pedal.tuner.tuning   # closed on the way out
    human = pedalctl("--socket", socket, "tune", "--seconds", "0.5", "--a4", "442")
    shown = human.out.splitlines()[-1]
    assert shown.startswith("A2") and "cents [" in shown and "Hz" in shown
    assert pedal.tuner.a4 == 442.0


def test_a_watcher_that_hangs_up_or_is_slow_holds_nothing_up(tuner_pedal):
    start, _, _ = tuner_pedal
    pedal, socket = start()
    request(socket, {"cmd": "tuner", "on": True})
    for _ in range(20):   # clients that read one line and go
        lines = stream(socket, {"cmd": "tuner", "watch": True})
        assert next(lines)["tuning"]
        lines.close()
    slow = stream(socket, {"cmd": "tuner", "watch": True})
    next(slow)
    time.sleep(1.0)       # one that stops reading: the others still hear the latest, at once
    fresh = stream(socket, {"cmd": "tuner", "watch": True})
    assert next(fresh)["time_s"] >= 0.9 and next(fresh)["tuning"]
    fresh.close()
    slow.close()
    request(socket, {"cmd": "tuner", "on": False})
    assert not pedal.tuner.tuning and request(socket, {"cmd": "status"})["ok"]
    # While closed, a watcher hears so at once and each second after.
    heard = readings(socket, 1.5)
    assert [line["tuning"] for _, line in heard] == [False, False, False]
    assert heard[0][0] < 0.1 and heard[1][0] == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("cents, led", [(0.0, LedState.IN_TUNE), (1.9, LedState.IN_TUNE), (-1.9, LedState.IN_TUNE),
                                        (-2.5, LedState.FLAT), (-40.0, LedState.FLAT), (2.5, LedState.SHARP),
                                        (None, LedState.NO_NOTE)])
def test_the_led_steady_in_tune_slow_blink_flat_fast_blink_sharp(cents, led):
    note = None if cents is None else "E"
    assert led_state_of(Reading(1.0, note, 2, 82.4, cents, 0.99, -20.0)) is led


def test_the_defaults_open_the_tuner_from_a_hold_and_mute():
    config = parse_config("")
    assert config.footswitch.hold == "tuner" and config.footswitch.hold_s == 1.5
    assert config.footswitch.short == "next" and config.footswitch.long == "bypass"   # as before the tuner
    assert config.tuner == Tuner(a4=440.0, output="mute", threshold_db=-50.0)
