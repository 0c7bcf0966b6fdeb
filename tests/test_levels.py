"""Every model plays at the same loudness; files that say their input level are calibrated."""

import numpy as np
import pytest

from pedal import levels
from pedal.core import Engine, Model
from pedal.signals import guitar_like
from tests.support.paths import shared_model

CAPTURES = ["WaveNetVA/WaveNet1-ts7.json", "SmartGuitarPedal/ts9_fullD.json", "WaveNetVA/WaveNet2-ds1.json"]


@pytest.mark.parametrize("relative", CAPTURES)
def test_normalised_models_play_at_the_target_loudness(relative):
    model = Model.load(shared_model(relative))
    gain = levels.output_gain_db(model)
    engine = Engine(model.sample_rate, 256)
    engine.set_model(Model.load(shared_model(relative)), output_gain_db=gain)
    x = guitar_like(levels.REFERENCE_SECONDS, rate=int(model.sample_rate), seed=4)
    y = engine.process(x)
    rms_db = 20 * np.log10(np.sqrt(np.mean(np.square(y[len(y) // 10:], dtype=np.float64))))
    # The engine warms the model up first (its receptive field), so a little differs from the measurement.
    assert rms_db == pytest.approx(levels.TARGET_LOUDNESS_DB, abs=0.5)


def test_loudness_comes_from_metadata_when_the_file_has_it():
    class Stub:
        info = {"metadata": {"loudness": -8.64}}
    assert levels.loudness_db(Stub()) == (-8.64, "metadata")
    assert levels.output_gain_db(Stub()) == pytest.approx(-18.0 + 8.64)


def test_measuring_loudness_leaves_the_model_as_loaded():
    model = Model.load(shared_model(CAPTURES[0]))
    x = guitar_like(0.2, rate=44100)
    fresh = Model.load(shared_model(CAPTURES[0])).process(x)
    _, source = levels.loudness_db(model)
    assert source == "measured"
    assert np.array_equal(model.process(x), fresh)


def test_input_calibration_follows_the_files_dbu_level():
    assert levels.input_gain_db({"metadata": {"input_level_dbu": 18.3}}) == pytest.approx(12.0 - 18.3)
    assert levels.input_gain_db({"metadata": {"input_level_dbu": None}}) == 0.0
    assert levels.input_gain_db({}, interface_dbu=6.0) == 0.0
