"""MIDI from a controller: pedal.toml's [midi] says the channel and which CC moves what; program
change N plays the Nth rig or model of the footswitch's order; the bytes are read as a port
delivers them (running status, real-time bytes inside a message, sysex, garbage) and a flood of
control changes comes down to the latest value per target."""

import random
import shutil

import pytest

from pedal.config import ConfigError, parse_config
from pedal.midi.mapping import Mapping, level_of
from pedal.midi.parser import Parser
from pedal.midi.router import Router
from tests.support.paths import shared_model

def cc(control, value, channel=0):
    return bytes([0xB0 | channel, control, value])


# --- pedal.toml -------------------------------------------------------------------------------

def test_the_channel_is_1_to_16_or_omni_and_each_cc_moves_one_known_target():
    config = parse_config('[midi]\nchannel = 3\n\n[midi.cc]\nbypass = 80\noutput = 7\nknob1 = 21\n')
    assert config.midi.channel == 3 and config.midi.cc == {80: "bypass", 7: "output", 21: "knob1"}
    assert parse_config('[midi]\nchannel = "omni"\n').midi.channel is None
    assert parse_config("").midi.channel is None and parse_config("").midi.cc == {}


@pytest.mark.parametrize("text, error", [
    ("[midi]\nchannel = 17", "[midi] channel: must be 1..16, got 17"),
    ('[midi]\nchannel = "all"', '[midi] channel: expected an integer or "omni", got \'all\''),
    ("[midi.cc]\nvolume = 7", "[midi.cc] unknown target 'volume'; one of: bypass, tuner, input, output,"),
    ("[midi.cc]\nbypass = 128", "[midi.cc] bypass: expected a CC number 0..127, got 128"),
    ("[midi.cc]\nbypass = 32", "[midi.cc] bypass: CC 32 is bank select (LSB), which cannot be mapped"),
    ("[midi.cc]\nbypass = 123", "[midi.cc] bypass: CC 123 is a channel mode message, which cannot be mapped"),
    ("[midi.cc]\nbypass = 7\ntuner = 7", "[midi.cc] tuner: CC 7 already moves bypass"),
])
def test_a_wrong_midi_setting_stops_the_daemon_with_one_line(text, error):
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "/etc/pedal/pedal.toml")
    assert str(raised.value).startswith(f"/etc/pedal/pedal.toml: {error}")


def test_a_levels_cc_spans_the_whole_range():
    assert level_of("output", 0) == -60.0 and level_of("output", 127) == 12.0
    assert level_of("bass", 0) == -15.0 and level_of("gate", 127) == 0.0


# --- what the messages do ---------------------------------------------------------------------

def test_program_change_plays_the_nth_of_the_footswitch_order_and_one_past_the_end_is_refused(pedal, caplog):
    router = Router(Mapping(), pedal)
    router.feed(bytes([0xC0, 1]))
    assert router.apply() == ["program 1: model crunch"] and pedal.current == 1
    router.feed(bytes([0xC0, 0]))
    assert router.apply() == ["program 0: model clean"] and pedal.current == 0
    for _ in range(3):
        router.feed(bytes([0xC0, 5]))
        assert router.apply() == ["program 5: refused: there are 2 rigs and models (0..1); nothing at 5"]
    assert caplog.text.count("nothing at 5") == 1 and pedal.current == 0   # said once, and it plays on


def test_bank_select_reaches_past_128(pedal):
    router = Router(Mapping(), pedal)
    router.feed(cc(0, 0) + cc(32, 1) + bytes([0xC0, 1]))    # bank 1, program 1: number 129
    assert router.apply() == ["program 129: refused: there are 2 rigs and models (0..1); nothing at 129"]
    router.feed(cc(32, 0) + bytes([0xC0, 1]))
    assert router.apply() == ["program 1: model crunch"]


def test_control_changes_move_bypass_the_tuner_and_the_levels(pedal):
    router = Router(Mapping(cc={80: "bypass", 81: "tuner", 7: "output", 8: "input", 20: "bass", 23: "gate"}), pedal)
    router.feed(cc(80, 127) + cc(7, 127) + cc(8, 64) + cc(20, 0) + cc(23, 127))
    done = router.apply()
    assert done == ["bypass 127: on", "output 127: output_level_db 12", "input 64: input_gain_db 0.31",
                    "bass 0: bass_db -15", "gate 127: threshold_db 0"]
    status = pedal.status()
    assert status["bypass"] and status["output_level_db"] == 12.0 and status["input_gain_db"] == 0.31
    router.feed(cc(80, 63) + cc(81, 64))
    assert router.apply() == ["bypass 63: off", "tuner 64: open"] and pedal.tuner.tuning
    router.feed(cc(81, 0))
    router.apply()
    assert not pedal.tuner.tuning


def test_only_the_chosen_channel_is_listened_to(pedal):
    router = Router(Mapping(channel=2, cc={80: "bypass"}), pedal)
    router.feed(cc(80, 127, channel=0) + bytes([0xC0, 1]))        # channel 1
    assert router.apply() == []
    router.feed(cc(80, 127, channel=1))                          # channel 2
    assert router.apply() == ["bypass 127: on"]


def test_a_flood_of_control_changes_comes_down_to_the_latest_value_per_target(pedal):
    router = Router(Mapping(cc={7: "output", 80: "bypass"}), pedal)
    flood = b"".join(cc(7, n % 128) for n in range(10_000)) + cc(80, 127) + cc(7, 100)
    router.feed(flood)
    assert router.messages == 10_002
    assert router.apply() == [f"output 100: output_level_db {round(level_of('output', 100), 2):g}", "bypass 127: on"]


def test_bytes_as_ports_deliver_them_running_status_realtime_sysex_and_garbage(pedal):
    router = Router(Mapping(cc={7: "output", 80: "bypass"}), pedal)
    stream = (bytes([0xB0, 7, 10, 80, 127])              # running status: the second CC has no status byte
              + bytes([0xB0, 0xF8, 7, 20])                # a clock tick inside a message
              + bytes([0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7])  # a sysex (identity request): ignored
              + bytes([0x45, 0x12, 0xFF & 0x7F])          # stray data bytes: skipped
              + bytes([0xB0, 7]))                         # cut short: waits for its value
    router.feed(stream)
    assert router.apply() == ["output 20: output_level_db -48.66", "bypass 127: on"]
    router.feed(bytes([30]))                              # the rest of the cut message, in the next read
    assert router.apply() == ["output 30: output_level_db -42.99"]


def test_garbage_never_raises():
    router = Router(Mapping(cc={7: "output"}), pedal=None)   # nothing mapped arrives whole
    noise = random.Random(23)
    for _ in range(200):
        router.feed(bytes(noise.choice([0xF0, 0xF7, 0xB1, 0x90, 0xC5, 0xFF, 0x00, 0x7F, 0x40])
                          for _ in range(noise.randrange(1, 64))))
    assert router.messages > 0


def test_a_knob_cc_turns_the_nth_knob_of_what_plays_over_its_range(pedal, caplog):
    ts9 = shared_model("NeuralPi/TS9.json")
    if not ts9.exists():
        pytest.skip(f"{ts9} is not here")
    shutil.copyfile(ts9, pedal.library.directory / "TS9.json")
    pedal.reload()
    router = Router(Mapping(cc={21: "knob1", 22: "knob2"}), pedal)
    pedal.select(pedal.model_named("TS9"))
    router.feed(cc(21, 127) + cc(22, 5))
    assert router.apply() == ["knob1 127: gain of capture 1 1", "knob2 5: refused: what plays has 1 knob"]
    assert pedal.knobs()["knobs"][0]["value"] == 1.0


def test_the_parser_keeps_every_channel_message_whole():
    parser = Parser()
    assert parser.feed(bytes([0x90, 60, 100, 62, 0])) == [(0x90, 0, 60, 100), (0x90, 0, 62, 0)]   # running status
    assert parser.feed(bytes([0xC3, 5, 6])) == [(0xC0, 3, 5, 0), (0xC0, 3, 6, 0)]     # one data byte each
    assert parser.feed(bytes([0xF2, 1, 2, 0x40])) == []      # song position ends the running status
    assert parser.feed(bytes([0xB1, 7, 0xF3])) == []         # cut short by a system common message
    assert parser.feed(bytes([0xE0, 0x00, 0x40])) == [(0xE0, 0, 0, 0x40)]   # pitch bend
