"""MIDI on a real path: a controller (a JACK MIDI port this test opens through python-rtmidi)
plugged in while pedald plays on JACK's dummy driver, sending program changes, control changes,
bytes no controller should send and a flood, then unplugged. This machine has no ALSA sequencer;
where /dev/snd/seq exists the same runs through it."""

import os
import statistics
import time

import pytest

from pedal.control import request
from pedal.demo import RATE, JackDummy, write_asoundrc, write_config, write_di
from pedal.midi.mapping import level_of
from pedal.midi.ports import SEQUENCER
from tests.support.jack_pedald import pedald_on
from tests.support.two_rigs import write_two_rigs
from tests.support.waiting import daemon_status, wait_for

rtmidi = pytest.importorskip("rtmidi", reason="python-rtmidi is not installed (pip install python-rtmidi)")
pytestmark = pytest.mark.skipif(not JackDummy.available(), reason="jackd is not installed (Debian package jackd2)")

PERIOD = 128
FOUND_S = 2.0          # a controller plugged in is listened to within this
PROGRAM_S = 0.020      # a program change starts the new rig's crossfade within this
POLL_S = 0.025         # status asked no faster (pedald's control threads are real-time)


def cc(control, value, channel=0):
    return [0xB0 | channel, control, value]


@pytest.fixture
def pedal_and_controller(tmp_path, monkeypatch):
    """pedald with two rigs on JACK, MIDI on channel 1 from JACK's ports; and a controller client
    (no port yet: the test plugs it in)."""
    write_two_rigs(tmp_path)
    write_di(tmp_path / "di.raw", 60.0)
    write_asoundrc(tmp_path, tmp_path / "di.raw", tmp_path / "out.raw")
    config = write_config(tmp_path, period=PERIOD, extra='[midi]\nbackend = "jack"\nchannel = 1\n\n'
                                                          '[midi.cc]\nbypass = 80\noutput = 7\n')
    with JackDummy(RATE, PERIOD, log_path=tmp_path / "jackd.log") as jack:
        for key, value in jack.env().items():
            monkeypatch.setenv(key, value)
        controller = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, "floorboard")
        try:
            with pedald_on(jack, tmp_path, config, 60) as daemon:
                yield daemon, tmp_path / "control.sock", controller, tmp_path
        finally:
            controller.delete()


def test_a_controller_plugged_in_while_playing_switches_rigs_moves_levels_and_never_disturbs_the_audio(
        pedal_and_controller):
    daemon, sock, controller, directory = pedal_and_controller

    def status():
        return daemon_status(sock, daemon, directory / "pedald.log")

    def midi():
        return request(sock, {"cmd": "midi"})

    first = wait_for(lambda: (s := status()) and s["audio"] == "running" and s, 30, "audio to run", poll=POLL_S)
    assert first["rig"] == "crunch" and first["midi"] == []

    # Plugged in while playing: listened to within 2 s. (Xruns from here on are MIDI's to answer
    # for; those of the start are issue 23's, counted by pedald as "first second".)
    midi_from_s = status()["frames"] / RATE
    plugged = time.monotonic()
    controller.open_virtual_port("out")
    wait_for(lambda: midi()["ports"] == ["floorboard:out"], 5, "the controller's port", poll=POLL_S)
    found_s = time.monotonic() - plugged
    assert found_s <= FOUND_S

    # Program change N plays the Nth rig: handed to the engine (its crossfade starts at the next
    # period) within 20 ms of the controller sending it. Each time is split into the way to pedald
    # (JACK's MIDI cycle, the reader's poll, its pipe) and pedald's own part (the rig built and handed
    # over). This virtual machine wakes a thread up to 12 ms late now and then (issue 23): the
    # median of 10 must hold, and the slowest is printed with its parts.
    took = []
    for program, rig in [(1, "clean"), (0, "crunch")] * 5:
        sent = time.monotonic()
        controller.send_message([0xC0, program])
        last = wait_for(lambda: (p := midi()["last_program"]) and p["handed"] > sent and p, 5,
                        f"program {program}", poll=POLL_S)
        took.append((last["handed"] - sent + PERIOD / RATE, last["received"] - sent, last["handed"] - last["received"]))
        wait_for(lambda: status()["rig"] == rig, 5, f"rig {rig}", poll=POLL_S)
    total = sorted(t[0] for t in took)
    slowest = max(took)
    print(f"\nMIDI: port found in {found_s * 1000:.0f} ms; program change to crossfade: median "
          f"{statistics.median(total) * 1000:.1f} ms, max {slowest[0] * 1000:.1f} ms of {len(took)} (its way to "
          f"pedald {slowest[1] * 1000:.1f} ms, pedald's part {slowest[2] * 1000:.1f} ms)")
    assert statistics.median(total) <= PROGRAM_S and total[-3] <= PROGRAM_S, took

    # Control changes on channel 1 move what they are mapped to; channel 2 moves nothing.
    controller.send_message(cc(80, 127))
    wait_for(lambda: status()["bypass"], 5, "bypass on", poll=POLL_S)
    controller.send_message(cc(80, 0, channel=1))
    controller.send_message(cc(80, 0))
    wait_for(lambda: not status()["bypass"], 5, "bypass off", poll=POLL_S)

    # What no controller should send: running status, a clock tick, sysex, stray and cut-short
    # bytes, and programs past the end. Each JACK event carries the bytes as they are.
    for event in ([0xB0, 7, 10], [7, 20], [0xF8], [0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7], [0x45, 0x12],
                  [0xB0, 7], [0xC0, 99], [0xFF]):
        controller.send_message(event)
    wait_for(lambda: status()["output_level_db"] == round(level_of("output", 20), 2), 5,
             "running status to move output", poll=POLL_S)
    assert status()["rig"] == "crunch"          # program 99 was refused: it plays on

    # A flood: 10,000 CC a second for 2 s, then a last value: coalesced to the latest per target.
    flood_started = time.monotonic()
    for n in range(200):
        for k in range(100):
            controller.send_message(cc(7, (n + k) % 128))
        time.sleep(max(0.0, flood_started + (n + 1) * 0.01 - time.monotonic()))
    controller.send_message(cc(7, 100))
    wait_for(lambda: status()["output_level_db"] == round(level_of("output", 100), 2), 5,
             "the flood's last value", poll=POLL_S)
    seen = midi()["messages"]
    assert seen >= 20_000, f"pedald read {seen} messages of the 20,000 sent"

    # Unplugged: let go within 2 s, the audio plays on.
    controller.close_port()
    wait_for(lambda: midi()["ports"] == [], 5, "the port let go", poll=POLL_S)
    last = status()
    assert last["audio"] == "running" and daemon.poll() is None
    during = [x for x in last["xrun_causes"]["last"] if x["at_s"] >= midi_from_s]
    print(f"MIDI: {seen} messages read; xruns {len(during)} while the controller played "
          f"({last['xruns']} in all); engine cpu avg {last['cpu']['avg_percent']}% max {last['cpu']['max_percent']}%")
    assert during == [], last["xrun_causes"]


@pytest.mark.skipif(not SEQUENCER.exists(), reason=f"no ALSA sequencer here ({SEQUENCER}): the JACK test runs instead")
def test_the_alsa_sequencer_path_reads_a_controller(tmp_path, monkeypatch):
    from pedal.midi.ports import Ports
    controller = rtmidi.MidiOut(rtmidi.API_LINUX_ALSA, "floorboard")
    controller.open_virtual_port("out")
    ports = Ports("alsa", client=f"pedal-test-{os.getpid()}")
    try:
        opened, _ = ports.scan()
        name = next(n for n in opened if n.startswith("floorboard"))
        controller.send_message([0xC0, 3])
        assert wait_for(lambda: ports.read(), 2) == [(name, bytes([0xC0, 3]))]
    finally:
        ports.close()
        controller.delete()
