"""The MIDI thread inside pedald: every port is listened to, ports plugged in later are picked
up and unplugged ones let go; each port's bytes are read on their own (running status is the
port's); `pedalctl midi learn` stores the next CC in the state file, `midi forget` drops it, and
`midi monitor` shows what arrives and what it did. The ports here are stand-ins with rtmidi's
shape; tests/test_midi_jack.py runs the real ones on JACK."""

import json
import os
import queue
from pathlib import Path
import threading
import time

import pytest

from pedal.midi.mapping import Mapping, with_learned
from pedal.midi.router import Router
from pedal.midi.service import MidiService
from pedal.state import load_state
from tests.support.pedalctl import ctl
from tests.support.waiting import wait_for


class StandInPorts:
    """pedal.midi.reader.ReaderProcess's shape: ``plug``/``unplug`` as a hand would, ``send`` as a
    controller; ``events`` hands them over as the reader's lines would."""

    backend = "stand-in"

    def __init__(self) -> None:
        self.names: list[str] = []
        self._events: queue.Queue = queue.Queue()

    def plug(self, name):
        self._events.put(("opened", name, b""))

    def unplug(self, name):
        self._events.put(("closed", name, b""))

    def send(self, name, data: bytes):
        self._events.put(("message", name, bytes(data)))

    def events(self, timeout):
        try:
            events = [self._events.get(timeout=timeout)]
            while True:
                events.append(self._events.get_nowait())
        except queue.Empty:
            pass
        for kind, name, _ in events:
            if kind == "opened":
                self.names = self.names + [name]
            elif kind == "closed":
                self.names = [n for n in self.names if n != name]
        return events

    def close(self):
        self.names = []
        self._events.put(("closed", "", b""))   # as the reader's pipe ending wakes the MIDI thread


def cc(control, value, channel=0):
    return bytes([0xB0 | channel, control, value])


@pytest.fixture
def midi(pedal):
    """The pedal fixture's MIDI thread on stand-in ports."""
    pedal.midi.close()
    ports = StandInPorts()
    service = MidiService(Router(Mapping(cc={7: "output"}), pedal), ports, learned=pedal.state.midi_cc,
                          cc={7: "output"}, remember=pedal._remember_midi)
    pedal.midi = service
    service.start()
    yield service
    service.close()


def test_a_port_plugged_in_while_playing_is_listened_to_and_one_unplugged_is_let_go(pedal, midi):
    midi.ports.plug("floorboard")
    wait_for(lambda: midi.ports.names == ["floorboard"], 2.0, "the port was never opened")
    midi.ports.send("floorboard", bytes([0xC0, 1]))
    wait_for(lambda: pedal.current == 1, 2.0, "program change 1 did not play the second model")
    midi.ports.unplug("floorboard")
    wait_for(lambda: midi.ports.names == [], 2.0, "the unplugged port stayed open")
    assert pedal.status()["audio"] == "running" and pedal.status()["midi"] == []


def test_each_port_keeps_its_own_running_status(pedal, midi):
    midi.ports.plug("a")
    midi.ports.plug("b")
    wait_for(lambda: len(midi.ports.names) == 2, 2.0, "ports not opened")
    midi.ports.send("a", bytes([0xB0, 7, 127]))          # port a: CC 7 = 127 ...
    midi.ports.send("b", bytes([0xC0]))                  # port b: a program change, its number still to come
    midi.ports.send("a", bytes([7, 0]))                  # ... a again, running status: CC 7 = 0
    wait_for(lambda: pedal.status()["output_level_db"] == -60.0, 2.0, "port a's running status was lost")
    assert pedal.current == 0                            # port b's half message moved nothing


def test_learn_stores_the_next_cc_in_the_state_and_forget_drops_it(pedal, midi):
    midi.ports.plug("floorboard")
    wait_for(lambda: midi.ports.names, 2.0, "port not opened")
    learned = {}
    learning = threading.Thread(target=lambda: learned.update(ctl(pedal, "--json", "midi", "learn", "bypass").json))
    learning.start()
    time.sleep(0.3)
    midi.ports.send("floorboard", bytes([0xF8]) + cc(0, 1) + cc(85, 127))   # clock and bank select are not learned
    learning.join(5.0)
    assert learned["control"] == 85 and learned["cc"]["85"] == {"target": "bypass", "learned": True}
    assert load_state(pedal.state_path).midi_cc == {"bypass": 85}
    midi.ports.send("floorboard", cc(85, 0) + cc(85, 127))
    wait_for(lambda: pedal.status()["bypass"], 2.0, "the learned CC did not move bypass")

    # Learning the CC that pedal.toml gave output takes it from output.
    assert with_learned({7: "output"}, {"gate": 7}) == {7: "gate"}
    forgotten = ctl(pedal, "--json", "midi", "forget", "bypass").json
    assert forgotten["forgotten"] and load_state(pedal.state_path).midi_cc == {}
    assert forgotten["cc"] == {"7": {"target": "output", "learned": False}}


def test_learn_gives_up_after_its_time_with_one_line(pedal, midi):
    run = ctl(pedal, "midi", "learn", "tuner", "--timeout", "1")
    assert run.status == 1
    assert run.err.splitlines()[-1] == "pedalctl: no control change arrived in 1 s (no MIDI port is open)"
    with pytest.raises(SystemExit):                              # not a target: argparse names the choices
        ctl(pedal, "midi", "learn", "volume")


def test_the_monitor_shows_what_arrives_and_what_it_did(pedal, midi):
    midi.ports.plug("floorboard")
    wait_for(lambda: midi.ports.names, 2.0, "port not opened")
    lines = []

    def watch():
        for line in midi.watch():
            lines.append(line)
            if len(lines) >= 4:
                return
    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.1)
    midi.ports.send("floorboard", cc(7, 127, channel=2) + bytes([0xC2, 1]))
    watcher.join(5.0)
    assert lines[0] == {"ports": ["floorboard"]}
    assert lines[1] == {"port": "floorboard", "channel": 3, "kind": "control_change", "control": 7, "value": 127,
                        "target": "output"}
    assert lines[2] == {"port": "floorboard", "channel": 3, "kind": "program_change", "program": 1}
    assert lines[3] == {"did": "program 1: model crunch"}


def test_a_program_change_is_handed_to_the_engine_within_20_ms_of_arriving(pedal, midi):
    """(The JACK test measures from the controller's send; this is pedald's own part.)"""
    midi.ports.plug("floorboard")
    wait_for(lambda: midi.ports.names, 2.0, "port not opened")
    took = []
    for program in (1, 0, 1, 0, 1):
        midi.last_program = None
        midi.ports.send("floorboard", bytes([0xC0, program]))
        wait_for(lambda: midi.last_program is not None, 2.0, "program change not handed on")
        took.append(midi.last_program["handed"] - midi.last_program["received"])
    assert sorted(took)[2] < 0.020, took


def test_pedalctl_midi_shows_the_ports_channel_and_mapping(pedal, midi):
    midi.ports.plug("floorboard")
    wait_for(lambda: midi.ports.names, 2.0, "port not opened")
    run = ctl(pedal, "midi")
    assert run.status == 0
    assert run.out.splitlines() == ["ports: floorboard (stand-in)",
                                    "channel: omni; program change N plays the Nth rig or model (from 0)",
                                    "CC   7: output"]
    assert json.loads(ctl(pedal, "--json", "midi").out)["channel"] == "omni"


def test_learned_ccs_that_no_longer_make_sense_are_dropped_from_the_state(tmp_path, caplog):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"midi_cc": {"bypass": 80, "tuner": 80, "volume": 7, "output": 32, "gate": 9}}))
    assert load_state(path).midi_cc == {"bypass": 80, "gate": 9}
    assert "CC 80 already moves bypass" in caplog.text and "unknown target 'volume'" in caplog.text


def test_a_monitor_that_falls_behind_is_told_how_much_it_missed_and_never_holds_midi_up(pedal, midi):
    midi.ports.plug("floorboard")
    wait_for(lambda: midi.ports.names, 2.0, "port not opened")
    lines = midi.watch()
    assert next(lines) == {"ports": ["floorboard"]}
    midi.ports.send("floorboard", b"".join(cc(7, n % 128) for n in range(5000)))   # read by nobody yet
    wait_for(lambda: midi.router.messages >= 5000, 2.0, "the flood to be read")
    missed = next(lines)
    assert missed["missed"] > 5000 - 2048
    following = next(lines)
    assert following["kind"] == "control_change"


def test_the_monitor_reads_as_a_player_would_say_it():
    from pedal.cli.midi import shown
    assert shown({"port": "fcb:out", "channel": 1, "kind": "control_change", "control": 80, "value": 127,
                  "target": "bypass"}) == "fcb:out  ch  1  CC  80 = 127  (bypass)"
    assert shown({"port": "fcb:out", "channel": 16, "kind": "program_change", "program": 3}) == \
        "fcb:out  ch 16  program 3"
    assert shown({"did": "program 3: rig Crunch"}) == "  -> program 3: rig Crunch"
    assert shown({"ports": [], "opened": ["fcb:out"], "closed": []}) == "ports: + fcb:out"
    assert shown({"missed": 12}) == "... 12 message(s) came faster than shown"


# --- the MIDI reader, a process of its own ------------------------------------------------------

def test_a_reader_that_dies_is_started_again_and_its_ports_count_as_unplugged(monkeypatch, caplog):
    from pedal.midi import reader
    monkeypatch.setattr(reader, "RESTART_S", 0.2)
    process = reader.ReaderProcess("auto", sequencer=Path("/"))   # as if there were one
    try:
        process.events(0.01)
        first = process._process
        process.names = ["floorboard"]               # as if it had opened one
        first.kill()
        events = wait_for(lambda: process.events(0.1), 5.0, "the reader's end")
        assert events == [("closed", "floorboard", b"")] and process.names == []
        assert "the MIDI reader ended (status -9); starting another in 0.2 s" in caplog.text
        wait_for(lambda: process.events(0.05) or (process._process not in (None, first)), 5.0, "another reader")
    finally:
        process.close()


def test_the_reader_ends_when_pedald_does_even_killed(tmp_path):
    import subprocess
    import sys
    parent = subprocess.run([sys.executable, "-c", (
        "import os, signal, time\n"
        "from pedal.midi.reader import ReaderProcess\n"
        "from pathlib import Path\n"
        "reader = ReaderProcess('auto', sequencer=Path('/')); reader.events(0.01)\n"
        "print(reader._process.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")], capture_output=True, text=True, timeout=30)
    child = int(parent.stdout.split()[0])

    def gone():
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return open(f"/proc/{child}/stat").read().split()[2] == "Z"   # ended, not yet reaped
    assert wait_for(gone, 5.0), "the MIDI reader outlived a killed pedald"


def test_the_readers_lines_become_events():
    from pedal.midi.reader import ReaderProcess
    process = ReaderProcess("auto")
    assert process._event(b"+ fcb:out 1") == ("opened", "fcb:out 1", b"") and process.names == ["fcb:out 1"]
    assert process._event(b"m b00764 fcb:out 1") == ("message", "fcb:out 1", bytes([0xB0, 7, 100]))
    assert process._event(b"- fcb:out 1") == ("closed", "fcb:out 1", b"") and process.names == []
    assert process._event(b"? what") is None


def test_with_no_alsa_sequencer_no_reader_is_started_until_one_appears(tmp_path, caplog):
    from pedal.midi.reader import ReaderProcess
    sequencer = tmp_path / "seq"
    process = ReaderProcess("auto", sequencer=sequencer)
    try:
        assert process.events(0.01) == [] and process._process is None
        assert "no ALSA sequencer" in caplog.text
        sequencer.touch()                          # snd-seq loaded: the next look starts one
        wait_for(lambda: process.events(0.05) or process._process is not None, 5.0, "a reader")
    finally:
        process.close()
