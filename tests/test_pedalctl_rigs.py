"""pedalctl rig and pedalctl render RIG on a library directory (--library), without pedald."""

import shutil

import numpy as np
import pytest

from pedal import render, rigs, wavfile
from pedal.core import Model
from pedal.signals import guitar_like
from tests.support.paths import shared_model
from tests.support.pedalctl import pedalctl

DRIVE, AMP = "NeuralPi/TS9.json", "NeuralPi/BluesJR_FullD.json"


@pytest.fixture
def lib(tmp_path):
    """models/ with a drive and an amp, irs/ with a cabinet, rigs/ beside them, and settings."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(shared_model(DRIVE), models / "TS9.json")
    shutil.copy(shared_model(AMP), models / "Blues Junior.json")
    irs = tmp_path / "irs"
    irs.mkdir()
    cabinet = np.zeros((480, 1), np.float32)
    cabinet[0, 0], cabinet[40, 0] = 0.6, 0.3
    wavfile.write(irs / "4x12.wav", cabinet, 48000, float32=True)
    config = tmp_path / "pedal.toml"
    config.write_text("[audio]\nperiod = 64\n")
    return tmp_path


def run(lib, *argv):
    return pedalctl("--library", lib / "models", "--config", lib / "pedal.toml", *argv)


def test_rig_new_checks_the_rig_whole_and_stores_it_as_a_file_a_person_can_edit(lib):
    made = run(lib, "rig", "new", "crunch", "--capture", "TS9", "--drive", "6", "--capture", "Blues Junior",
               "--ir", "4x12", "--output-level", "-2")
    assert made.status == 0, made.err
    assert made.out.startswith("stored rig 'crunch': TS9 (+6 dB) -> Blues Junior -> cabinet 4x12; CPU ")
    assert "% of the 1.33 ms period on this device (alone: 1. TS9 " in made.out   # measured whole and per capture
    text = (lib / "rigs" / "crunch.toml").read_text()
    rig = rigs.parse_rig(text, "crunch.toml")
    assert [c.model for c in rig.captures] == ["TS9", "Blues Junior"] and rig.captures[0].input_gain_db == 6.0
    assert rig.sound.ir == "4x12" and rig.output_level_db == -2.0
    shown = run(lib, "rig", "show", "crunch")
    assert shown.status == 0 and shown.out.rstrip("\n") == text.rstrip("\n")
    assert run(lib, "--json", "rig", "list").json["rigs"][0]["captures"][1]["model"] == "Blues Junior"


@pytest.mark.parametrize("argv, error", [
    (("--capture", "Plexi"), "crunch.toml: capture[1].model: no model called 'Plexi' in "),
    (("--capture", "TS9", "--ir", "2x12"), "crunch.toml: cabinet: no impulse response called '2x12' in "),
    (("--capture", "TS9") * 5, "crunch.toml: capture: a rig holds 1 to 4 captures; it has 5"),
    (("--capture", "TS9", "--drive", "99"), "crunch.toml: capture[1].input_gain_db: 99 is outside -40..40 dB"),
    (("--capture", "TS9", "--drive", "1", "--drive", "2"), "2 --drive values for 1 --capture models"),
])
def test_a_rig_that_cannot_play_is_refused_naming_the_key_and_nothing_is_written(lib, argv, error):
    refused = run(lib, "rig", "new", "crunch", *argv)
    assert refused.status != 0 and error in refused.err and len(refused.err.strip().splitlines()) == 1
    assert not (lib / "rigs" / "crunch.toml").exists()


def test_rig_set_changes_keys_as_the_file_spells_them_and_refuses_bad_values(lib):
    run(lib, "rig", "new", "crunch", "--capture", "TS9", "--capture", "Blues Junior")
    changed = run(lib, "rig", "set", "crunch", "eq.bass_db=2.5", "capture[2].input_gain_db=-3", "cabinet=4x12",
                  "gate.on=true")
    assert changed.status == 0, changed.err
    rig = rigs.parse_rig((lib / "rigs" / "crunch.toml").read_text(), "crunch.toml")
    assert rig.sound.eq.bass_db == 2.5 and rig.captures[1].input_gain_db == -3.0
    assert rig.sound.ir == "4x12" and rig.sound.gate.on is True
    before = (lib / "rigs" / "crunch.toml").read_text()
    for setting, error in (("eq.bass_db=40", "crunch.toml: eq.bass_db: 40 is outside -15..15 dB"),
                           ("reverb=1", "crunch.toml: reverb: unknown key"),
                           ("capture[3].model=TS9", "crunch.toml: capture[3].model: the rig has captures 1 to 2"),
                           ("cabinet=2x12", "crunch.toml: cabinet: no impulse response called '2x12'"),
                           ("level", "'level': give settings as key=value")):
        refused = run(lib, "rig", "set", "crunch", setting)
        assert refused.status != 0 and error in refused.err, refused.err
    assert (lib / "rigs" / "crunch.toml").read_text() == before  # nothing half-changed


def test_rigs_are_renamed_ordered_and_removed_without_touching_their_captures(lib):
    for name in ("clean", "crunch", "lead"):
        run(lib, "rig", "new", name, "--capture", "Blues Junior")
    assert run(lib, "rig", "rename", "crunch", "Crunch 2").status == 0
    assert (lib / "rigs" / "Crunch 2.toml").read_text().startswith("# Crunch 2: Blues Junior")
    assert run(lib, "rig", "order", "lead", "Crunch 2").status == 0
    assert [r["name"] for r in run(lib, "--json", "rig", "list").json["rigs"]] == ["lead", "Crunch 2", "clean"]
    assert run(lib, "rig", "remove", "lead").status == 0
    assert [r["name"] for r in run(lib, "--json", "rig", "list").json["rigs"]] == ["Crunch 2", "clean"]
    assert (lib / "models" / "Blues Junior.json").exists()
    missing = run(lib, "rig", "show", "lead")
    assert missing.status != 0 and "no rig called 'lead'" in missing.err


def test_render_plays_a_rig_as_its_chain_of_captures_with_its_cabinet(lib, tmp_path):
    run(lib, "rig", "new", "crunch", "--capture", "TS9", "--drive", "6", "--capture", "Blues Junior", "--ir", "4x12")
    dry = guitar_like(1.0, rate=48000, seed=5)
    wavfile.write(tmp_path / "di.wav", dry[:, None], 48000, float32=True)
    rendered = run(lib, "render", "crunch", tmp_path / "di.wav", tmp_path / "out.wav")
    assert rendered.status == 0, rendered.err
    wet, rate = wavfile.read_wav(tmp_path / "out.wav")
    # The same chain by hand: the two captures in series, the rig's drive, the cabinet.
    engine = render.chain_of([Model.load(shared_model(DRIVE)), Model.load(shared_model(AMP))], [6.0, 0.0],
                             48000, 64, settings=lambda e: e.set_ir(np.array([0.6] + [0.0] * 39 + [0.3],
                                                                             np.float32), 48000))
    expected = render.play(engine, dry, 64)
    assert rate == 48000 and np.max(np.abs(wet[:, 0] - expected)) <= 1e-6
    mixed = run(lib, "render", "crunch", tmp_path / "di.wav", tmp_path / "out.wav", "--bass", "3")
    assert mixed.status != 0 and "crunch.toml is a rig" in mixed.err and "--bass" in mixed.err
