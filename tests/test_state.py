"""The state file: restored after a reboot, never half-written, never fatal."""

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace

from pedal.files import TEMPORARY_PREFIX, remove_leftovers, write_atomically
from pedal.state import EqSettings, GateSettings, SoundSettings, State, load_state, save_state


def test_state_round_trips(tmp_path):
    path = tmp_path / "state.json"
    state = State(model="Tube Screamer", bypass=True, input_gain_db=6.0, output_level_db=-3.0,
                  sound=SoundSettings(eq=EqSettings(bass_db=1.0, treble_db=-2.5, on=False),
                                      gate=GateSettings(threshold_db=-60.0), ir="4x12"))
    save_state(path, state)
    assert load_state(path) == state


def test_sound_settings_are_kept_where_earlier_versions_kept_them_and_bad_ones_dropped(tmp_path, caplog):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"model": "amp", "extra": {"eq": {"bass_db": 3, "mid_db": "loud", "on": True},
                                                          "gate": {"threshold_db": -70.0, "on": 1}, "ir": "room"}}))
    assert load_state(path).sound == SoundSettings(eq=EqSettings(bass_db=3.0, on=True),
                                                   gate=GateSettings(threshold_db=-70.0), ir="room")
    assert "saved EQ mid_db unusable ('loud')" in caplog.text and "saved gate on unusable (1)" in caplog.text
    save_state(path, load_state(path))
    assert json.loads(path.read_text())["extra"] == {"eq": {"bass_db": 3.0, "on": True},
                                                     "gate": {"threshold_db": -70.0}, "ir": "room"}


def test_a_missing_or_broken_state_file_gives_the_defaults(tmp_path, caplog):
    assert load_state(tmp_path / "absent.json") == State()
    for broken in ('{"model": ', "[1, 2]", '{"bypass": "yes"}', '{"input_gain_db": NaN}', b"\xff\xfe"):
        path = tmp_path / "state.json"
        path.write_bytes(broken if isinstance(broken, bytes) else broken.encode())
        assert load_state(path) == State()
    assert "starting from the defaults" in caplog.text


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"model": "amp", "future_key": 1}))
    assert load_state(path) == State(model="amp")


def test_atomic_write_leaves_the_old_file_or_the_new_one_when_killed(tmp_path):
    """A writer killed at random moments never leaves a partial file behind the name."""
    target = tmp_path / "state.json"
    old = json.dumps({"model": "old", "pad": "x" * 200_000})
    write_atomically(target, old.encode())
    writer = ("import sys; from pedal.files import write_atomically\n"
              "new = ('{\"model\": \"new\", \"pad\": \"' + 'y' * 200000 + '\"}').encode()\n"
              "while True: write_atomically(sys.argv[1], new)\n")
    for delay in (0.01, 0.03, 0.05, 0.08, 0.13):
        process = subprocess.Popen([sys.executable, "-c", writer, str(target)], cwd=os.getcwd())
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert json.loads(target.read_text())["model"] in ("old", "new")
    remove_leftovers(tmp_path)
    assert not list(tmp_path.glob(TEMPORARY_PREFIX + "*"))


def test_save_replaces_the_previous_state(tmp_path):
    path = tmp_path / "state.json"
    save_state(path, State(model="a"))
    save_state(path, replace(load_state(path), bypass=True))
    assert load_state(path) == State(model="a", bypass=True)
