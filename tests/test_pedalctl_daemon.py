"""pedalctl against a running pedal (pedal.daemon.Pedal in-process on fake ALSA devices and
gpiozero's mock pins): uploads reach the daemon, every command answers in words and JSON,
status shows what the issue lists, and the socket refuses users outside the group."""

import grp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from pedal import levels, wavfile
from pedal.control import ControlServer
from pedal.core import Model
from tests.support.paths import ROOT
from tests.support.pedalctl import DATA, ctl, model_bytes, pedalctl
from tests.support.waiting import wait_for


def test_an_upload_lands_in_the_daemons_library_and_plays_with_select(pedal):
    result = ctl(pedal, "upload", "-", "--name", "boost", "--select", stdin=model_bytes(mix_scale=2.0))
    assert result.status == 0, result.err
    assert "pedald: playing boost" in result.out
    assert pedal._now()["model"] == "boost" and len(pedal.library.entries) == 3
    # pedald took the loudness validation stored, for these bytes: the same gain it would measure.
    entry = pedal.library.entries[pedal.current]
    assert pedal._levels[(entry.data, None)] == pytest.approx(levels.gains_db(Model.from_json(entry.data)), abs=1e-3)


def test_pedald_uses_the_stored_loudness_instead_of_measuring(pedal):
    ctl(pedal, "upload", "-", "--name", "boost", stdin=DATA)
    sidecar = pedal.library.directory / ".boost.json.meta.json"
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps(dict(meta, loudness_db=-30.0)))   # what it says is what pedald uses
    pedal._levels.clear()     # forget what was measured: reload reads the sidecar again
    pedal.reload()
    assert pedal._levels[(DATA, None)][1] == pytest.approx(levels.TARGET_LOUDNESS_DB + 30.0)


def test_playing_commands_answer_in_words_and_json(pedal):
    assert ctl(pedal, "list").out.splitlines()[0].startswith(">  1  clean")
    assert ctl(pedal, "next").out.strip() == "playing crunch (2)"
    assert ctl(pedal, "prev").out.strip() == "playing clean (1)"
    assert ctl(pedal, "select", "2").out.strip() == "playing crunch (2)"          # numbers count from 1
    assert ctl(pedal, "--json", "select", "clean").json.items() >= {"ok": True, "model": "clean", "index": 0, "rig": None,
                                                                    "bypass": False}.items()
    missing = ctl(pedal, "select", "plexi")
    assert missing.status == 1 and missing.err.strip() == "pedalctl: no model called 'plexi'"
    assert ctl(pedal, "bypass", "on").out.strip() == "bypass on (clean)"
    assert ctl(pedal, "bypass").out.strip() == "bypass off (clean)"          # toggles
    assert ctl(pedal, "--json", "bypass", "toggle").json["bypass"] is True


def test_remove_rename_order_tell_the_daemon(pedal):
    ctl(pedal, "upload", "-", "--name", "lead", stdin=DATA)
    assert ctl(pedal, "order", "lead", "crunch").status == 0
    assert [m["name"] for m in ctl(pedal, "--json", "list").json["models"]] == ["lead", "crunch", "clean"]
    ctl(pedal, "select", "lead")
    assert ctl(pedal, "rename", "lead", "solo").status == 0
    assert pedal._now()["model"] == "solo"
    assert ctl(pedal, "remove", "solo").out.strip() == "removed 'solo' (solo.json); playing crunch"


def test_level_eq_and_gate_are_set_checked_and_kept(pedal):
    assert ctl(pedal, "level", "--input", "6", "--output", "-3").out.strip() == "input +6.0 dB, output -3.0 dB"
    assert ctl(pedal, "eq", "--bass", "3", "--treble", "-2.5").out.strip() == \
        "eq: bass +3.0 dB, mid +0.0 dB, treble -2.5 dB"
    assert ctl(pedal, "gate", "--threshold", "-65", "--on").out.strip() == "gate on, threshold -65.0 dBFS"
    too_much = ctl(pedal, "eq", "--mid", "20")
    assert too_much.status == 1 and "mid_db must be a number in -15..15, got 20.0" in too_much.err
    saved = json.loads((pedal.tmp / "state.json").read_text())
    assert saved["extra"]["eq"] == {"bass_db": 3.0, "treble_db": -2.5}
    assert saved["extra"]["gate"] == {"threshold_db": -65.0, "on": True}
    assert ctl(pedal, "--json", "gate").json["gate"]["on"] is True


def test_a_cabinet_ir_is_uploaded_selected_and_turned_off(pedal, tmp_path):
    rate = 44100
    ir = np.zeros(2048, np.float32)
    ir[0], ir[10] = 1.0, -0.5
    wavfile.write(tmp_path / "4x12.wav", ir, rate, float32=True)
    result = ctl(pedal, "ir", "upload", tmp_path / "4x12.wav", "--select")
    assert result.status == 0, result.err
    assert "stored impulse response '4x12': 2048 frames at 44100 Hz" in result.out
    assert (pedal.tmp / "irs" / "4x12.wav").exists()
    assert ctl(pedal, "--json", "ir", "list").json["irs"] == ["4x12"]
    assert json.loads((pedal.tmp / "state.json").read_text())["extra"]["ir"] == "4x12"
    assert ctl(pedal, "ir", "off").out.strip() == "cabinet: off"
    assert ctl(pedal, "ir", "select", "4x12").out.strip() == "cabinet: 4x12"
    (tmp_path / "noise.wav").write_bytes(b"RIFF....WAVEjunk")
    bad = ctl(pedal, "ir", "upload", tmp_path / "noise.wav")
    assert bad.status == 1 and "no fmt chunk" in bad.err


def test_status_shows_everything_the_guitarist_needs_with_units(pedal):
    assert wait_for(lambda: pedal.audio.periods > 5)
    pedal._last_stats = pedal.engine.stats()
    status = ctl(pedal, "--json", "status").json
    for key in ("model", "bypass", "rate", "period", "latency_ms", "cpu", "xruns", "peaks", "uptime_s"):
        assert key in status
    assert set(status["cpu"]) >= {"avg_percent", "max_percent"}
    assert set(status["peaks"]) == {"input_dbfs", "output_dbfs"}
    human = ctl(pedal, "status").out
    for pattern in (r"model +clean \(1 of 2\)", r"bypass +off", r"audio +running at 48000 Hz, period 64 frames \(1\.33 ms\)",
                    r"latency +\d+\.\d\d ms round trip", r"cpu +avg \d+\.\d %, max \d+\.\d % of the period",
                    r"xruns +0 since start", r"peaks +in (silence|-?\d+\.\d dBFS), out", r"uptime +\d+ s"):
        assert re.search(pattern, human), (pattern, human)


def test_status_watch_redraws_in_place(pedal):
    result = ctl(pedal, "status", "--watch", "--count", "3", "--interval", "0.05")
    height = result.out.split("\033[")[0].count("\n")        # lines of the first drawing
    # Each refresh moves the cursor back up to the first line and clears to the end, then draws again.
    assert result.status == 0 and result.out.count(f"\033[{height}F\033[J") == 2
    assert result.out.count("model      clean") == 3
    assert len(ctl(pedal, "--json", "status", "--watch", "--count", "2", "--interval", "0.05").out.splitlines()) == 2


def test_without_a_daemon_the_message_says_how_to_start_it(tmp_path):
    config = tmp_path / "pedal.toml"
    config.write_text(f'[control]\nsocket = "{tmp_path / "none.sock"}"\n')
    result = pedalctl("--config", config, "next")
    assert result.status == 1
    assert result.err.strip() == (f"pedalctl: pedald is not running (nothing answers on {tmp_path / 'none.sock'}); "
                                  "start it with `sudo systemctl start pedald`, or use --library DIR for the "
                                  "library commands")


NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another user")
def test_the_socket_refuses_users_outside_the_group_and_says_how_to_join():
    group = grp.getgrnam("audio")
    directory = tempfile.mkdtemp(prefix="pedal-sock-")
    try:
        os.chmod(directory, 0o755)
        path = os.path.join(directory, "control.sock")
        server = ControlServer(path, {"status": lambda m: {"model": "clean"}}, group="audio", mode=0o666)
        server.start()  # mode 0666: only the credentials check stands between the socket and everyone
        client = ("import json, socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                  "s.sendall(b'{\"cmd\": \"status\"}\\n')\nprint(s.makefile().readline(), end='')\n")

        def ask_as(groups):
            done = subprocess.run(["/usr/bin/python3", "-c", client, path], user=NOBODY, group=NOBODY,
                                  extra_groups=groups, capture_output=True, text=True, timeout=30)
            return json.loads(done.stdout)

        try:
            refused = ask_as([])
            member = ask_as([group.gr_gid])
        finally:
            server.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    assert refused == {"ok": False, "error": "permission denied: user 'nobody' is not in group 'audio', which may "
                                             "control the pedal; join it with `sudo usermod -aG audio nobody`, then "
                                             "log out and in again"}
    assert member == {"ok": True, "model": "clean"}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run pedalctl as another user")
def test_pedalctl_run_by_someone_outside_the_group_is_told_how_to_join():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        probe = subprocess.run([sys.executable, "-c", "import pedal.cli"], user=NOBODY, group=NOBODY,
                               extra_groups=[], capture_output=True, text=True, timeout=60, cwd="/", env=env)
        usable = probe.returncode == 0
    except PermissionError:
        usable = False
    if not usable:  # e.g. the interpreter lives under /root
        pytest.skip("user nobody cannot run this Python with pedal here (the interpreter is not readable to it)")
    directory = tempfile.mkdtemp(prefix="pedal-sock-")
    try:
        os.chmod(directory, 0o755)
        path = os.path.join(directory, "control.sock")
        server = ControlServer(path, {"next": lambda m: {"model": "clean"}}, group="audio")  # mode 0660
        server.start()
        try:
            result = subprocess.run([sys.executable, "-m", "pedal.cli", "--socket", path, "next"], user=NOBODY,
                                    group=NOBODY, extra_groups=[], capture_output=True, text=True, timeout=60,
                                    cwd="/", env=env)
        finally:
            server.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"pedalctl: cannot use {path}: permission denied: user 'nobody' is not in group "
                                     "'pedal', which may control the pedal; join it with `sudo usermod -aG pedal "
                                     "nobody`, then log out and in again")


def test_a_socket_this_user_may_not_open_gets_the_join_hint(tmp_path, monkeypatch):
    # Root opens any socket, so the refusal is what connect() raises for others (EACCES), made here.
    import getpass

    import pedal.cli.common as common

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(common, "request", refused)
    monkeypatch.setattr(getpass, "getuser", lambda: "bob")
    result = pedalctl("--socket", tmp_path / "control.sock", "next")
    assert result.status == 1
    assert result.err.strip() == (f"pedalctl: cannot use {tmp_path / 'control.sock'}: permission denied: user 'bob' "
                                  "is not in group 'pedal', which may control the pedal; join it with "
                                  "`sudo usermod -aG pedal bob`, then log out and in again")


def test_a_rig_made_with_pedalctl_plays_on_pedald_and_rig_save_keeps_what_was_changed_live(pedal):
    made = ctl(pedal, "rig", "new", "lead", "--capture", "crunch", "--drive", "3", "--capture", "clean")
    assert made.status == 0, made.err                       # pedald reads it at once (a reload)
    assert ctl(pedal, "rig", "select", "lead").out.strip() == "playing rig lead: crunch -> clean"
    assert "rig        lead (1 of 1 rigs): crunch -> clean\n" in ctl(pedal, "status").out
    ctl(pedal, "eq", "--bass", "2")
    assert "live changes: eq.bass_db" in ctl(pedal, "status").out
    assert ctl(pedal, "rig", "save").out.strip() == "saved rig 'lead': eq.bass_db"
    assert ctl(pedal, "--json", "rig", "show", "lead").json["eq"] == {"bass_db": 2.0}
    assert ctl(pedal, "next").out.strip() == "playing clean (1)"      # after the rigs, the models
    missing = ctl(pedal, "rig", "select", "solo")
    assert missing.status == 1 and missing.err.strip() == "pedalctl: no playable rig called 'solo' (rigs: lead)"
