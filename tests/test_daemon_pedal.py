"""pedal.daemon.Pedal in-process, on fake ALSA devices and gpiozero's mock pins:
the control commands, the footswitch, and the state file across a restart."""

import json
import shutil
import time

import pytest
from gpiozero.pins.mock import MockFactory

from pedal.config import parse_config
from pedal.control import request
from pedal.footswitch import LedState
from tests.support.fake_alsa import in_process_config, in_process_pedals
from tests.support.paths import GOLDEN
from tests.support.waiting import wait_for


@pytest.fixture
def rig(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for name, source in (("clean", "pedalnet_c3_d2_r2_k2"), ("crunch", "pedalnet_c4_d4_k3"),
                         ("lead", "wavenetva_c2_d3_softgated")):
        shutil.copyfile(GOLDEN / f"{source}.model.json", models / f"{name}.json")
    (models / "order.txt").write_text("lead\n")
    footswitch = "pin = 17\nprevious_pin = 22\nled_pin = 27\nlong_press_s = 0.2\ndebounce_ms = 5.0"
    config = parse_config(in_process_config(tmp_path, models, footswitch, tmp_path / "state" / "state.json"))
    factory = MockFactory()
    with in_process_pedals(factory) as start:
        yield lambda: start(config), tmp_path, factory


def ask(path, **message):
    return request(path / "control.sock", message)


def test_commands_move_through_the_library_in_footswitch_order(rig):
    start, path, _ = rig
    start()
    listed = ask(path, cmd="list")
    assert [m["name"] for m in listed["models"]] == ["lead", "clean", "crunch"] and listed["current"] == "lead"
    assert ask(path, cmd="next")["model"] == "clean"
    assert ask(path, cmd="prev")["model"] == "lead"
    assert ask(path, cmd="prev")["model"] == "crunch"  # wraps around
    assert ask(path, cmd="select", name="clean")["index"] == 1
    assert ask(path, cmd="select", index=2)["model"] == "crunch"
    assert ask(path, cmd="select", name="nope") == {"ok": False, "error": "no model called 'nope'"}
    assert ask(path, cmd="select", index=9)["ok"] is False


def test_status_reports_what_plays_and_how_the_audio_runs(rig):
    start, path, _ = rig
    pedal = start()
    assert wait_for(lambda: pedal.audio.periods > 5)
    status = ask(path, cmd="status")
    assert status["ok"] and status["model"] == "lead" and status["audio"] == "running"
    # Two periods of buffering plus what the engine adds (resampling these 44.1 kHz models, limiter look-ahead).
    buffered = (128 + pedal.engine.latency) / 48000 * 1000
    assert status["period"] == 64 and status["latency_ms"] == pytest.approx(buffered, abs=0.01)
    assert status["xruns"] == 0 and status["frames"] > 0 and status["models"] == 3


def test_levels_and_bypass_are_set_checked_and_saved(rig):
    start, path, _ = rig
    start()
    assert ask(path, cmd="set", input_gain_db=6, output_level_db=-3.5)["ok"]
    assert ask(path, cmd="set", output_level_db=40)["error"] == "output_level_db must be a number in -60..12, got 40"
    assert ask(path, cmd="set", volume=1)["error"].startswith("unknown setting 'volume'")
    assert ask(path, cmd="set")["ok"] is False
    assert ask(path, cmd="bypass", on=True)["bypass"] is True
    assert ask(path, cmd="bypass")["bypass"] is False      # toggles
    assert ask(path, cmd="bypass", on="yes")["ok"] is False
    saved = json.loads((path / "state" / "state.json").read_text())
    assert saved["input_gain_db"] == 6.0 and saved["output_level_db"] == -3.5 and saved["bypass"] is False


def test_a_restart_restores_model_bypass_and_levels(rig):
    start, path, _ = rig
    first = start()
    ask(path, cmd="select", name="crunch")
    ask(path, cmd="bypass", on=True)
    ask(path, cmd="set", output_level_db=-6)
    first.close()
    second = start()
    assert second._now().items() >= {"model": "crunch", "index": 2, "rig": None, "bypass": True}.items()
    assert second.state.output_level_db == -6.0
    assert wait_for(lambda: second.engine.stats()["bypassed"])


def test_the_footswitch_moves_and_bypasses_and_the_led_shows_it(rig):
    start, path, factory = rig
    pedal = start()
    assert pedal.controls.led.state is LedState.ACTIVE
    factory.pin(17).drive_low()
    time.sleep(0.03)
    factory.pin(17).drive_high()
    assert wait_for(lambda: pedal._now()["model"] == "clean")
    factory.pin(22).drive_low()
    time.sleep(0.03)
    factory.pin(22).drive_high()
    assert wait_for(lambda: pedal._now()["model"] == "lead")
    assert ask(path, cmd="press", pin=17, seconds=0.3)["ok"]  # held past long_press_s: bypass
    assert wait_for(lambda: pedal.state.bypass)
    assert pedal.controls.led.state is LedState.BYPASSED


def test_reload_keeps_the_model_playing_and_finds_new_ones(rig):
    start, path, _ = rig
    pedal = start()
    ask(path, cmd="select", name="crunch")
    assert wait_for(lambda: pedal.engine.stats()["model_id"] == 2)  # lead was 1
    shutil.copyfile(GOLDEN / "wavenetva_c5_d3_k4_numbers.model.json", path / "models" / "boost.json")
    answer = ask(path, cmd="reload")
    assert answer["models"] == 4 and answer["model"] == "crunch"
    time.sleep(0.1)
    assert pedal.engine.stats()["model_id"] == 2  # not handed over again
    (path / "models" / "crunch.json").unlink()
    assert ask(path, cmd="reload")["model"] == "lead"   # gone: the first plays
