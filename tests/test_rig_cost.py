"""What a rig costs on this device: checked when it is stored (refused over max_cpu_percent with
every capture's figure), and the peak while the pedal changes between two rigs of four captures
(both chains and both cabinets play during the crossfade), which must stay within one period."""

import shutil

import numpy as np
import pytest

from pedal import rig_cost, wavfile
from pedal.core import Engine, Model
from pedal.rigs import RigError
from tests.support.paths import shared_model
from tests.support.pedalctl import pedalctl

RIG_OF_FOUR = ("NeuralPi/TS9.json", "NeuralPi/BluesJR_FullD.json", "NeuralAudio/BossLSTM-1x16.nam",
               "NeuralAudio/BossWN-standard.nam")


def cabinet(seed, frames=4800):
    rng = np.random.default_rng(seed)
    ir = rng.standard_normal(frames) * np.exp(-np.arange(frames) / (frames / 6))
    return (ir / np.sqrt(np.sum(ir ** 2))).astype(np.float32)


def putter(order, seed):
    def put(engine):
        engine.stage_ir(cabinet(seed), 48000)
        engine.stage("eq_bass_db", float(seed))
        engine.set_chain([Model.load(shared_model(name)) for name in order])
    return put


def test_changing_between_two_rigs_of_four_captures_stays_within_one_period():
    for period in (64, 128):
        cost = rig_cost.measure_switch(putter(RIG_OF_FOUR, 1), putter(RIG_OF_FOUR[::-1], 2), 48000, period)
        print(f"\nrig switch, 4 captures + cabinet each, {period} frames at 48 kHz: slowest period "
              f"{cost.peak_percent:.1f} % (median of {cost.switches} changes {cost.median_peak_percent:.1f} %), "
              f"playing {cost.steady_percent:.1f} %, a change {cost.periods_per_switch:.0f} periods")
        assert cost.switches == 6 and cost.periods_per_switch > 1
        assert cost.median_peak_percent < 100.0
        assert cost.steady_percent < cost.median_peak_percent   # both chains play while changing


def test_a_rig_over_the_limit_is_refused_naming_each_captures_share():
    def engine_of(names):
        def make():
            engine = Engine(48000, 128)
            engine.set_chain([Model.load(shared_model(n)) for n in names])
            return engine
        return make
    cost = rig_cost.measure_rig(engine_of(RIG_OF_FOUR[:2]), [(f"{n}. {name}", engine_of([name]))
                                                              for n, name in enumerate(RIG_OF_FOUR[:2], 1)], 48000, 128)
    assert [c["model"] for c in cost.captures] == ["1. NeuralPi/TS9.json", "2. NeuralPi/BluesJR_FullD.json"]
    assert cost.cpu_percent > 0 and all(c["cpu_percent"] > 0 for c in cost.captures)
    rig_cost.check_cost(cost, 100.0, "crunch.toml")
    with pytest.raises(RigError) as refused:
        rig_cost.check_cost(cost, cost.cpu_percent / 2, "crunch.toml")
    assert str(refused.value).startswith(f"crunch.toml: the rig needs {cost.cpu_percent:.0f} % of each 128-frame "
                                         f"period at 48000 Hz on this device (limit {cost.cpu_percent / 2:g} %; "
                                         f"alone: 1. NeuralPi/TS9.json {cost.captures[0]['cpu_percent']:.1f} %, ")


def test_pedalctl_measures_a_rig_when_it_stores_it_and_refuses_one_the_pedal_cannot_play(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(shared_model("NeuralAudio/BossWN-standard.nam"), models / "standard.nam")
    (tmp_path / "irs").mkdir()
    wavfile.write(tmp_path / "irs" / "box.wav", cabinet(3).reshape(-1, 1), 48000)
    # 96 kHz in periods of 32 frames, four standard WaveNets and a cabinet: well over 5 % of a period.
    (tmp_path / "pedal.toml").write_text("[audio]\nrate = 96000\nperiod = 32\n[library]\nmax_cpu_percent = 5\n")
    argv = ["--library", models, "--config", tmp_path / "pedal.toml", "rig", "new", "heavy", "--ir", "box"]
    argv += ["--capture", "standard"] * 4
    refused = pedalctl(*argv)
    assert refused.status == 1 and "pedalctl: heavy.toml: the rig needs " in refused.err
    assert "of each 32-frame period at 96000 Hz on this device (limit 5 %; alone: 1. standard " in refused.err
    assert "4. standard" in refused.err and not (tmp_path / "rigs" / "heavy.toml").exists()
    forced = pedalctl("--json", *argv, "--force")
    assert forced.status == 0, forced.err
    assert forced.json["cpu"]["cpu_percent"] > 5 and len(forced.json["cpu"]["captures"]) == 4
