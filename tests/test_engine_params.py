"""The engine's parameter table (csrc/engine/params.h), as pedal.core reads it: the daemon's
checks, the config loader and pedalctl's help take their ranges from it, not from copies."""

import pytest

from pedal import commands, config
from pedal.cli import build_parser
from pedal.core import PARAMS


def span(name: str) -> tuple[float, float]:
    return PARAMS[name].min, PARAMS[name].max


def test_every_engine_parameter_starts_inside_its_range():
    assert PARAMS["eq_bass_db"] == ("dB", -15.0, 15.0, 0.0)
    assert all(p.min <= p.default <= p.max for p in PARAMS.values())


def test_the_daemon_checks_levels_eq_and_gate_with_the_tables_ranges():
    assert commands.LEVEL_RANGES == {"input_gain_db": span("input_gain_db"),
                                     "output_level_db": span("output_level_db")}
    assert commands.EQ_RANGES == {"bass_db": span("eq_bass_db"), "mid_db": span("eq_mid_db"),
                                  "treble_db": span("eq_treble_db")}
    assert commands.GATE_RANGES == {"threshold_db": span("gate_threshold_db")}


def test_the_config_takes_the_crossfade_range_and_default_from_the_table():
    assert config.RANGES[("sound", "crossfade_ms")] == span("crossfade_ms")
    assert config.Sound().crossfade_ms == PARAMS["crossfade_ms"].default


@pytest.mark.parametrize("command, param", [("level", "output_level_db"), ("eq", "eq_treble_db"),
                                            ("gate", "gate_threshold_db")])
def test_pedalctl_help_gives_the_tables_ranges(capsys, command, param):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    low, high = span(param)
    assert f"{low:g}..{high:g} {PARAMS[param].unit}" in capsys.readouterr().out
