"""pedal.core.Engine: the chain the audio thread runs, driven from Python."""

import threading

import numpy as np
import pytest

from pedal.core import Engine, Model
from tests.support.engine_audio import RATE, largest_step, run, sustained_note
from tests.support.paths import ROOT, shared_model

GOLDEN = ROOT / "csrc" / "tests" / "golden"


def test_an_engine_without_a_model_and_its_filters_out_passes_audio_through():
    engine = Engine(RATE, 64)
    engine.set_block("dc_blocker", False)
    engine.set_block("limiter", False)
    x = sustained_note(0.1)
    assert np.array_equal(engine.process(x), x)
    assert engine.latency == 0


def test_the_engine_owns_the_model_it_is_given():
    engine = Engine(RATE, 64)
    model = Model.load(GOLDEN / "pedalnet_c4_d4_k3.model.json")
    assert engine.set_model(model) == 1
    with pytest.raises(ValueError, match="owns it now"):
        model.process(np.zeros(4, dtype=np.float32))
    assert model.info["architecture"] == "WaveNet"  # facts about it stay readable


def test_switching_real_captures_mid_note_does_not_click():
    a = Model.load(shared_model("WaveNetVA/WaveNet1-ts7.json"))
    b = Model.load(shared_model("SmartGuitarPedal/ts9_fullD.json"))
    note = sustained_note(2.0)
    # The bar: the largest step in either capture's own steady output.
    steady = max(largest_step(Model.load(p).process(note)[RATE // 2:])
                 for p in (shared_model("WaveNetVA/WaveNet1-ts7.json"), shared_model("SmartGuitarPedal/ts9_fullD.json")))
    engine = Engine(RATE, 64)
    engine.set_model(a)
    first = run(engine, note[:RATE])
    engine.set_model(b)
    second = run(engine, note[RATE:])
    assert engine.stats()["model_id"] == 2
    around_switch = np.concatenate([first[-64:], second[:RATE // 4]])
    assert largest_step(around_switch) <= steady


def test_bypass_fades_to_the_dry_signal_and_back_without_a_click():
    note = sustained_note(1.5)
    capture = shared_model("WaveNetVA/WaveNet1-ts7.json")
    # The bar: the largest step of the capture's own steady output over the whole note, or of the dry note.
    alone = Engine(RATE, 64)
    alone.set_model(Model.load(capture))
    steady = max(largest_step(run(alone, note)[RATE // 4:]), largest_step(note))
    engine = Engine(RATE, 64)
    engine.set_model(Model.load(capture))
    on = run(engine, note[:RATE // 2])
    engine.set_bypass(True)
    off = run(engine, note[RATE // 2:RATE])
    assert engine.stats()["bypassed"]
    delay = int(engine.latency)  # the dry signal is kept aligned with the effect
    assert np.array_equal(off[-1000:], note[RATE - 1000 - delay:RATE - delay])  # fully bypassed: the dry signal
    engine.set_bypass(False)
    back = run(engine, note[RATE:])
    assert largest_step(np.concatenate([on[-64:], off, back])) <= steady


def test_nan_input_never_reaches_the_output_and_is_counted():
    engine = Engine(RATE, 64)
    x = sustained_note(0.05)
    x[100] = np.nan
    x[200] = np.inf
    y = engine.process(x)
    assert np.all(np.isfinite(y))
    assert engine.stats()["bad_input_blocks"] == 2


def test_stats_report_levels_cpu_time_and_state():
    engine = Engine(RATE, 64)
    model_id = engine.set_model(Model.load(GOLDEN / "pedalnet_c4_d4_k3.model.json"))
    run(engine, sustained_note(0.2, level=0.5))
    stats = engine.stats()
    assert stats["blocks"] == 150
    assert stats["input_peak"] == pytest.approx(0.5 * 1.3, rel=0.02)
    assert 0 < stats["block_us"]["min"] <= stats["block_us"]["avg"] <= stats["block_us"]["max"]
    assert stats["model_id"] == model_id and not stats["switching"]
    # This 44.1 kHz model is resampled: the round trip plus the limiter's look-ahead, a few ms at most.
    assert 0 < engine.latency == stats["latency"] <= 0.005 * RATE


def test_parameters_refuse_nonsense():
    engine = Engine(RATE, 64)
    with pytest.raises(ValueError):
        engine.set_output_level(float("nan"))
    engine.set_output_level(-6.0)
    engine.set_input_gain(3.0)
    engine.set_crossfade_ms(20)


def test_engine_arguments_are_checked():
    with pytest.raises(ValueError, match="sample rate"):
        Engine(0, 64)
    with pytest.raises(ValueError, match="max_block"):
        Engine(RATE, 0)


def test_models_can_be_swapped_from_another_thread_while_audio_runs():
    engine = Engine(RATE, 64)
    models = [Model.load(GOLDEN / f"{name}.model.json")
              for name in ("pedalnet_c4_d4_k3", "wavenetva_c5_d3_k4_numbers", "wavenetva_c2_d3_softgated")]
    ids = []

    def control():
        for model in models:
            ids.append(engine.set_model(model))
            engine.collect_garbage()

    thread = threading.Thread(target=control)
    thread.start()
    x = sustained_note(0.02)
    for _ in range(2000):  # about 2.7 s of audio, far longer than three switches take
        assert np.all(np.isfinite(engine.process(x[:64])))
    thread.join(timeout=10)
    assert ids == [1, 2, 3]
    assert engine.stats()["model_id"] == 3
    assert engine.stats()["muted_blocks"] == 0
