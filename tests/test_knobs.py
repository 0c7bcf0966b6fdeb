"""A capture's own knobs: models trained with knob inputs (NeuralPi's gain, AIDA-X's PARAM1/2)
list them, start where their own player starts them, and turn live without zipper noise."""

import numpy as np
import pytest

from pedal.core import Engine, Model
from tests.support.engine_audio import RATE, largest_step, run, sustained_note
from tests.support.paths import ROOT, shared_model

TS9 = "NeuralPi/TS9.json"   # an LSTM conditioned on its gain knob (0..1)
GOLDEN = ROOT / "csrc" / "tests" / "golden"


def test_a_model_trained_with_knobs_lists_them_and_a_model_without_lists_none():
    assert Model.load(shared_model(TS9)).knobs == [{"name": "gain", "min": 0.0, "max": 1.0, "default": 0.5}]
    assert [k["name"] for k in Model.load(GOLDEN / "aidax_lstm_two_knobs_skip.model.json").knobs] == ["param1", "param2"]
    assert Model.load(GOLDEN / "pedalnet_c4_d4_k3.model.json").knobs == []


def test_a_knob_set_before_playing_holds_from_the_first_sample_and_changes_the_sound():
    note = sustained_note(0.3)
    turned = Model.load(shared_model(TS9))
    turned.set_knob("Gain", 1.0)    # names are found whatever their case
    default = Model.load(shared_model(TS9)).process(note)
    assert np.sqrt(np.mean((turned.process(note) - default) ** 2)) > 0.01
    with pytest.raises(ValueError, match="no knob called 'drive'; knobs: gain"):
        turned.set_knob("drive", 0.5)
    with pytest.raises(ValueError, match="this model has no knobs"):
        Model.load(GOLDEN / "pedalnet_c4_d4_k3.model.json").set_knob("gain", 0.5)


def test_turning_a_knob_while_it_plays_makes_no_zipper_noise():
    """The issue's measure: a knob sweep's output has no step larger than the steady signal's."""
    note = sustained_note(2.0)
    steady = 0.0
    for position in (0.0, 0.5, 1.0):  # the bar: the largest step with the knob held anywhere on its way
        alone = Engine(RATE, 64)
        model = Model.load(shared_model(TS9))
        model.set_knob("gain", position)
        alone.set_model(model)
        steady = max(steady, largest_step(run(alone, note)[RATE // 2:]))
    engine = Engine(RATE, 64)
    engine.set_model(Model.load(shared_model(TS9)))
    played = [run(engine, note[:RATE // 2])]
    sweep = np.concatenate([np.linspace(0.5, 1.0, 100), np.linspace(1.0, 0.0, 200)])  # a hand on the knob
    start = RATE // 2
    for value in sweep:
        engine.set_knob(0, 0, float(value))
        played.append(run(engine, note[start:start + 64]))
        start += 64
    engine.set_knob(0, 0, 1.0)        # and all the way round at once: a footswitch or a MIDI message
    played.append(run(engine, note[start:]))
    out = np.concatenate(played)
    # The knob at 1 ends the sweep, where the held knob's steepest step is: the same step to float
    # rounding (its LSTM state came by another path); a zipper step would be a large fraction more.
    assert largest_step(out[RATE // 4:]) <= steady * 1.0001
    with pytest.raises(ValueError, match="no knob 1 on capture 0"):
        engine.set_knob(0, 1, 0.5)
