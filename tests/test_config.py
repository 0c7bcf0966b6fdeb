"""pedal.toml: typed, documented, and refused with the key's name when wrong."""

import dataclasses
from pathlib import Path

import pytest

from pedal.config import Config, ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parent.parent / "pedal" / "data" / "pedal.toml.example"


def test_a_missing_file_means_the_defaults(tmp_path):
    assert load_config(tmp_path / "absent.toml") == Config()


def test_the_example_file_parses_to_the_defaults_and_documents_every_key():
    assert load_config(EXAMPLE).footswitch.previous_pin is None
    text = EXAMPLE.read_text()
    config = load_config(EXAMPLE)
    for section in dataclasses.fields(Config):
        assert f"[{section.name}]" in text
        for key in dataclasses.fields(getattr(config, section.name)):
            if key.name == "switch":   # a table of its own, shown commented out
                assert f"\n# [[{section.name}.switch]]\n" in text
                continue
            if key.name == "cc":       # likewise
                assert f"\n# [{section.name}.cc]\n" in text
                continue
            assert f"\n{key.name} = " in text, f"[{section.name}] {key.name} is not in the example"
    assert dataclasses.replace(config, footswitch=Config().footswitch) == Config()


def test_values_are_read_with_their_types():
    config = parse_config('[audio]\nperiod = 64\ncapture_device = "hw:CARD=USB"\n[footswitch]\nled_pin = "none"\n')
    assert config.audio.period == 64 and config.audio.capture_device == "hw:CARD=USB"
    assert config.footswitch.led_pin is None


@pytest.mark.parametrize("text, message", [
    ("[audio]\nperiod = 5000", "[audio] period: must be 32..1024, got 5000"),
    ("[audio]\nperiods = 1", "[audio] periods: must be 2..4, got 1"),
    ('[audio]\nrate = "fast"', "[audio] rate: expected an integer, got 'fast'"),
    ("[audio]\nrate = 44100.5", "[audio] rate: expected an integer, got 44100.5"),
    ("[audoi]\nrate = 48000", "unknown section [audoi]; known: audio, realtime"),
    ("[audio]\nperiodz = 64", "[audio] unknown key 'periodz'; known: capture_device"),
    ("[audio]\ninput_channel = 2\ncapture_channels = 2", "input_channel 2 is not one of the 2 capture channels"),
    ("[realtime]\nlock_memory = 1", "[realtime] lock_memory: expected true or false, got 1"),
    ('[footswitch]\npin = "GPIO17"', '[footswitch] pin: expected an integer or "none", got \'GPIO17\''),
    ("audio = 3", "[audio] must be a table"),
    ("[audio\n", "not valid TOML"),
])
def test_a_wrong_value_names_the_file_and_the_key(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "/etc/pedal/pedal.toml")
    assert str(caught.value).startswith("/etc/pedal/pedal.toml: ")
    assert message in str(caught.value)


def test_footswitch_actions_are_checked_at_start_naming_the_key():
    config = parse_config('[footswitch]\ndouble = "rig Clean Boost"\n[[footswitch.switch]]\npin = 5\nlong = "size up"\n')
    assert config.footswitch.double == "rig Clean Boost" and config.footswitch.switch[0].long == "size up"
    for text, error in [
        ('[footswitch]\nshort = "volume up"', "[footswitch] short: unknown action 'volume up'; one of: next, prev, "
                                              "bypass, tuner, none, rig NAME, size up, size down"),
        ('[footswitch]\nhold = "tuner on"', "[footswitch] hold: 'tuner on': tuner takes nothing after it"),
        ('[footswitch]\nhold_s = 0.5', "[footswitch] hold_s 0.5 must be longer than long_press_s 0.6"),
        ('[tuner]\noutput = "loud"', "[tuner] output: expected one of mute, through, got 'loud'"),
        ('[tuner]\na4 = 500', "[tuner] a4: must be 400..480, got 500"),
        ('[footswitch]\ndouble = "rig"', "[footswitch] double: 'rig': name the rig"),
        ('[footswitch]\nshort = "size sideways"', "[footswitch] short: 'size sideways': size up or size down"),
        ('[[footswitch.switch]]\nshort = "next"', "[footswitch.switch[1]] pin: missing"),
        ('[[footswitch.switch]]\npin = 27', "[footswitch] pins [17, 27, 27]: each switch and the LED need their own"),
        ('[[footswitch.switch]]\npin = 5\nshort = "nxt"', "[footswitch.switch[1]] short: unknown action 'nxt'"),
    ]:
        with pytest.raises(ConfigError) as refused:
            parse_config(text, "pedal.toml")
        assert str(refused.value).startswith(f"pedal.toml: {error}")
