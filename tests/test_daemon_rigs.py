"""pedald plays rigs: the footswitch steps through the rigs, then the library's models as rigs of
one; a rig brings its chain, levels, EQ, gate and cabinet; changes made while it plays are its
live changes, kept across a restart until `rig save` writes them; a rig that cannot play is
skipped with one log line. A library made before rigs plays exactly as it did."""

import hashlib
import json
import logging
import shutil
import time

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory

from pedal import levels, wavfile
from pedal.config import parse_config
from pedal.control import request
from pedal.core import Model
from pedal.footswitch import LedState
from pedal.rigs import parse_rig
from tests.support.fake_alsa import in_process_config, in_process_pedals
from tests.support.paths import GOLDEN, shared_model
from tests.support.waiting import wait_for

MODELS = {"clean": "pedalnet_c3_d2_r2_k2", "crunch": "pedalnet_c4_d4_k3", "lead": "wavenetva_c2_d3_softgated"}

DRIVE_INTO_AMP = """\
output_level_db = -2.0
cabinet = "small box"

[[capture]]
model = "crunch"
input_gain_db = 6.0

[[capture]]
model = "clean"

[eq]
bass_db = 3.0
"""


@pytest.fixture
def library(tmp_path):
    """A library (three models, a cabinet, a rigs folder) and a way to start pedald on it."""
    models = tmp_path / "models"
    models.mkdir()
    for name, source in MODELS.items():
        shutil.copyfile(GOLDEN / f"{source}.model.json", models / f"{name}.json")
    (tmp_path / "irs").mkdir()
    cabinet = np.zeros((480, 1), np.float32)
    cabinet[0, 0], cabinet[40, 0] = 0.7, 0.2
    wavfile.write(tmp_path / "irs" / "small box.wav", cabinet, 48000)
    (tmp_path / "rigs").mkdir()
    factory = MockFactory()

    def config(actions=""):
        footswitch = "pin = 17\nled_pin = 27\nlong_press_s = 0.2\ndebounce_ms = 5.0\n" + actions
        return parse_config(in_process_config(tmp_path, models, footswitch, tmp_path / "state.json"))
    with in_process_pedals(factory) as start:
        yield lambda actions="": start(config(actions)), tmp_path, factory


def ask(path, **message):
    return request(path / "control.sock", message)


def press(factory, pin=17):
    factory.pin(pin).drive_low()
    time.sleep(0.03)
    factory.pin(pin).drive_high()


def test_the_footswitch_steps_through_the_rigs_then_the_models(library):
    start, path, factory = library
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP)
    (path / "rigs" / "just lead.toml").write_text('[[capture]]\nmodel = "lead"\n')
    pedal = start()
    assert pedal._now()["rig"] == "drive into amp" and pedal._now()["positions"] == 5
    heard = []
    for _ in range(5):
        heard.append(pedal._now()["rig"] or pedal._now()["model"])
        before = pedal.position
        press(factory)
        assert wait_for(lambda: pedal.position != before)
    assert heard == ["drive into amp", "just lead", "clean", "crunch", "lead"]
    assert pedal._now()["rig"] == "drive into amp"   # round again
    assert wait_for(lambda: pedal.controls.led.state is LedState.ACTIVE)   # once the sound has loaded


def test_a_rig_plays_its_chain_at_the_levels_of_pedal_levels(library):
    start, path, _ = library
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP)
    pedal = start()
    chain = [Model.load(path / "models" / f"{name}.json") for name in ("crunch", "clean")]
    inputs, outputs = levels.chain_gains_db(chain, [6.0, 0.0])
    captures, played_inputs, played_outputs = pedal._chain_playing
    assert len(captures) == 2 and list(played_inputs) == inputs and list(played_outputs) == outputs
    status = ask(path, cmd="status")
    assert status["rig"] == "drive into amp" and status["captures"] == ["crunch", "clean"]
    assert status["ir"] == "small box" and status["eq"] == {"bass_db": 3.0} and status["output_level_db"] == -2.0
    assert wait_for(lambda: pedal.engine.stats()["model_id"] == 1 and not pedal.engine.stats()["switching"])


def test_changes_made_while_a_rig_plays_are_its_own_and_survive_a_restart(library):
    start, path, _ = library
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP)
    first = start()
    assert ask(path, cmd="eq", bass_db=5.0)["eq"] == {"bass_db": 5.0}
    assert ask(path, cmd="ir", action="off")["ir"] is None
    assert ask(path, cmd="set", output_level_db=-4.0)["ok"]
    assert first.state.rig_changes == {"eq.bass_db": 5.0, "cabinet": "", "output_level_db": -4.0}
    assert first.state.sound.eq.bass_db is None and first.state.output_level_db == 0.0  # the bare models' own
    ask(path, cmd="select", name="lead")
    assert ask(path, cmd="status")["eq"] == {} and ask(path, cmd="status")["ir"] is None
    ask(path, cmd="eq", bass_db=-2.0)
    first.close()

    # A restart plays the rig with its live changes once more, the bare model's settings kept apart.
    state = json.loads((path / "state.json").read_text())
    assert state["model"] == "lead" and state["rig"] is None and state["extra"]["eq"] == {"bass_db": -2.0}
    state.update(model=None, rig="drive into amp", rig_changes={"eq.bass_db": 5.0, "output_level_db": -4.0})
    (path / "state.json").write_text(json.dumps(state))
    second = start()
    status = ask(path, cmd="status")
    assert status["rig"] == "drive into amp" and status["eq"] == {"bass_db": 5.0}
    assert status["output_level_db"] == -4.0 and status["ir"] == "small box"
    assert status["rig_changes"] == {"eq.bass_db": 5.0, "output_level_db": -4.0}
    assert second.state.sound.eq.bass_db == -2.0


def test_rig_save_writes_the_live_changes_into_the_rig_file(library):
    start, path, _ = library
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP)
    pedal = start()
    ask(path, cmd="gate", threshold_db=-55.0, on=True)
    saved = ask(path, cmd="rig", action="save")
    assert saved["rig"] == "drive into amp" and saved["saved"] == ["gate.on", "gate.threshold_db"]
    rig = parse_rig((path / "rigs" / "drive into amp.toml").read_text(), "drive into amp.toml")
    assert rig.sound.gate.threshold_db == -55.0 and rig.sound.gate.on is True and rig.sound.eq.bass_db == 3.0
    assert pedal.state.rig_changes == {} and ask(path, cmd="status")["gate"] == {"threshold_db": -55.0, "on": True}
    ask(path, cmd="select", name="clean")
    assert ask(path, cmd="rig", action="save")["error"].startswith("no rig is playing")


def test_stepping_away_from_a_rig_drops_its_unsaved_changes(library):
    start, path, _ = library
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP)
    start()
    ask(path, cmd="eq", treble_db=4.0)
    ask(path, cmd="next")
    ask(path, cmd="rig", action="select", name="Drive Into Amp")  # names are found whatever their case
    status = ask(path, cmd="status")
    assert status["rig"] == "drive into amp" and status["eq"] == {"bass_db": 3.0} and status["rig_changes"] == {}


def test_a_rig_that_cannot_play_is_skipped_with_one_log_line_and_the_pedal_plays(library, caplog):
    start, path, _ = library
    (path / "rigs" / "no such amp.toml").write_text('[[capture]]\nmodel = "plexi"\n')
    (path / "rigs" / "five.toml").write_text('[[capture]]\nmodel = "clean"\n' * 5)
    (path / "rigs" / "typo.toml").write_text('[[capture]]\nmodel = "clean"\nvolume = 3\n')
    (path / "rigs" / "no cabinet.toml").write_text('cabinet = "4x12"\n[[capture]]\nmodel = "clean"\n')
    (path / "rigs" / "knobby.toml").write_text('[[capture]]\nmodel = "clean"\nknobs = { volume = 1.0 }\n')
    (path / "rigs" / "fine.toml").write_text('[[capture]]\nmodel = "clean"\n')
    with caplog.at_level(logging.WARNING):
        pedal = start()
    skips = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()]
    assert sorted(skips) == [
        "rigs: skipping five.toml: capture: a rig holds 1 to 4 captures; it has 5",
        "rigs: skipping knobby.toml: capture[1].knobs.volume: clean has no knob called 'volume' (knobs: none)",
        "rigs: skipping no cabinet.toml: cabinet: no impulse response called '4x12'",
        "rigs: skipping no such amp.toml: capture[1].model: no playable model called 'plexi'",
        "rigs: skipping typo.toml: capture[1].volume: unknown key (known: input_gain_db, knobs, model, size)"]
    assert pedal._now()["rig"] == "fine" and ask(path, cmd="rig", action="list")["rigs"] == ["fine"]
    assert wait_for(lambda: pedal.audio.periods > 5)


def test_a_rig_named_by_the_state_file_that_is_gone_gives_way_to_its_model(library, caplog):
    start, path, _ = library
    (path / "state.json").write_text(json.dumps({"model": "crunch", "rig": "vanished",
                                                 "rig_changes": {"eq.bass_db": 2.0}}))
    with caplog.at_level(logging.WARNING):
        pedal = start()
    assert pedal._now()["model"] == "crunch"
    assert any("rig 'vanished' from the state file is gone" in r.getMessage() for r in caplog.records)


def test_reload_plays_on_an_unchanged_rig_and_renews_a_changed_one(library):
    start, path, _ = library
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP)
    pedal = start()
    ask(path, cmd="eq", mid_db=1.0)
    assert wait_for(lambda: pedal.engine.stats()["model_id"] == 1)
    (path / "rigs" / "later.toml").write_text('[[capture]]\nmodel = "lead"\n')
    assert ask(path, cmd="reload")["rigs"] == 2
    assert pedal.engine.stats()["model_id"] == 1 and pedal.state.rig_changes == {"eq.mid_db": 1.0}
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP.replace("6.0", "9.0"))
    assert ask(path, cmd="reload")["rig"] == "drive into amp"
    assert wait_for(lambda: pedal.engine.stats()["model_id"] == 2)   # a new chain: the drive changed
    assert pedal.state.rig_changes == {}                               # the file is the newer word
    (path / "rigs" / "drive into amp.toml").rename(path / "rigs" / "crunchy.toml")   # pedalctl rig rename
    assert ask(path, cmd="reload")["rig"] == "crunchy"
    (path / "rigs" / "crunchy.toml").unlink()
    assert ask(path, cmd="reload")["rig"] == "later"   # gone: the first


def test_a_switch_set_to_a_rig_plays_it_and_the_led_follows_what_plays(library):
    start, path, factory = library
    (path / "rigs" / "drive into amp.toml").write_text(DRIVE_INTO_AMP)
    (path / "rigs" / "just lead.toml").write_text('[[capture]]\nmodel = "lead"\n')
    pedal = start('double = "rig just lead"\n[[footswitch.switch]]\npin = 5\nshort = "bypass"\n')
    press(factory)
    time.sleep(0.05)
    press(factory)
    assert wait_for(lambda: pedal._now()["rig"] == "just lead")
    press(factory)                                     # alone: next, once the double's window has passed
    assert wait_for(lambda: pedal._now()["model"] == "clean")
    press(factory, pin=5)
    assert wait_for(lambda: pedal.state.bypass and pedal.controls.led.state is LedState.BYPASSED)
    press(factory, pin=5)
    assert wait_for(lambda: not pedal.state.bypass and pedal.controls.led.state is LedState.ACTIVE)


def test_a_captures_own_knobs_are_listed_turned_live_kept_and_saved(library):
    start, path, _ = library
    shutil.copyfile(shared_model("NeuralPi/TS9.json"), path / "models" / "TS9.json")   # conditioned on its gain
    (path / "rigs" / "boosted.toml").write_text(
        '[[capture]]\nmodel = "TS9"\nknobs = { gain = 0.8 }\n\n[[capture]]\nmodel = "clean"\n')
    pedal = start()
    assert ask(path, cmd="knob")["knobs"] == [{"name": "gain", "min": 0.0, "max": 1.0, "default": 0.5,
                                               "capture": 1, "model": "TS9", "value": 0.8}]
    assert wait_for(lambda: pedal.engine.stats()["model_id"] == 1)
    turned = ask(path, cmd="knob", name="gain", value=0.3)
    assert turned["knob"] == "gain" and turned["capture"] == 1 and turned["value"] == 0.3
    assert pedal.state.rig_changes == {"capture[1].knobs.gain": 0.3}
    assert pedal.engine.stats()["model_id"] == 1    # turned in the chain playing, not a new chain
    assert ask(path, cmd="knob", name="gain", value=3)["error"] == "gain must be a number in 0..1, got 3"
    assert ask(path, cmd="knob", name="drive", value=0.1)["error"] == "no knob called 'drive' in what plays"
    assert ask(path, cmd="knob", name="gain", value=0.1, capture=2)["error"] == "capture 2 has no knob called 'gain'"
    ask(path, cmd="rig", action="save")
    assert parse_rig((path / "rigs" / "boosted.toml").read_text()).captures[0].knobs == {"gain": 0.3}
    # A bare model keeps its knob positions in the state file, across a restart.
    ask(path, cmd="select", name="TS9")
    assert ask(path, cmd="knob")["knobs"][0]["value"] == 0.5            # its own default, not the rig's
    ask(path, cmd="knob", name="gain", value=0.9)
    pedal.close()
    again = start()
    ask(path, cmd="select", name="TS9")
    assert again.state.knobs == {"TS9": {"gain": 0.9}} and ask(path, cmd="knob")["knobs"][0]["value"] == 0.9


# --- a library made before rigs ---------------------------------------------------------------

def test_a_library_made_before_rigs_plays_as_it_did(library):
    """The files main wrote before rigs (models, order.txt, a validation sidecar, a cabinet, the
    state file with the sound under "extra", no rigs folder) play untouched: the same model at
    the same levels and sound, the footswitch in the same order, no file rewritten."""
    start, path, factory = library
    shutil.rmtree(path / "rigs")
    (path / "models" / "order.txt").write_text("lead\n")
    crunch = (path / "models" / "crunch.json").read_bytes()
    (path / "models" / ".crunch.json.meta.json").write_text(json.dumps(
        {"sha256": hashlib.sha256(crunch).hexdigest(), "file": "crunch.json", "loudness_db": -30.0, "cpu_percent": 4.0}))
    state = {"bypass": False, "extra": {"eq": {"bass_db": 3.0, "on": True}, "gate": {"on": True, "threshold_db": -60.0},
                                        "ir": "small box"},
             "input_gain_db": 2.0, "model": "crunch", "output_level_db": -3.0}
    (path / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    before = {p: p.read_bytes() for p in path.rglob("*") if p.is_file()}
    pedal = start()
    status = ask(path, cmd="status")
    assert status["model"] == "crunch" and status["rig"] is None and status["rigs"] == 0
    assert status["eq"] == {"bass_db": 3.0, "on": True} and status["gate"] == {"on": True, "threshold_db": -60.0}
    assert status["ir"] == "small box" and status["input_gain_db"] == 2.0 and status["output_level_db"] == -3.0
    assert pedal._chain_playing[2] == (pytest.approx(levels.TARGET_LOUDNESS_DB + 30.0),)   # the sidecar's loudness
    assert all(p.read_bytes() == data for p, data in before.items())                     # nothing rewritten
    assert {p.name for p in path.rglob("*") if p.is_file() and p not in before} <= {".lock", "control.sock"}
    heard = []
    for _ in range(3):
        before_press = pedal.position
        press(factory)
        assert wait_for(lambda: pedal.position != before_press)
        heard.append(pedal._now()["model"])
    assert heard == ["lead", "clean", "crunch"]
    assert ask(path, cmd="status")["eq"] == {"bass_db": 3.0, "on": True}   # the sound stays across models
    pedal.close()
    kept = json.loads((path / "state.json").read_text())
    assert kept["model"] == "crunch" and kept["extra"] == state["extra"] and kept["rig"] is None
