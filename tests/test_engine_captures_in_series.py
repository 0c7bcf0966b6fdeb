"""Engine.set_chain: up to four captures in series (a drive into an amp), handed over as one."""

import numpy as np
import pytest

from pedal.core import MAX_CHAIN, Engine, Model
from tests.support.engine_audio import RATE, largest_step, run, sustained_note
from tests.support.paths import ROOT, shared_model

GOLDEN = ROOT / "csrc" / "tests" / "golden"
DRIVE, AMP = "NeuralPi/TS9.json", "NeuralPi/BluesJR_FullD.json"  # both trained at 44.1 kHz
RIG_OF_FOUR = (DRIVE, AMP, "NeuralAudio/BossLSTM-1x16.nam", "NeuralAudio/BossWN-nano.nam")


def bare_engine():
    """The chain around the model taken out, so the engine plays the captures and nothing else."""
    engine = Engine(RATE, 64)
    engine.set_block("dc_blocker", False)
    engine.set_block("limiter", False)
    return engine


def test_a_chain_plays_each_capture_on_the_one_before_at_its_own_rate_and_gains():
    note = sustained_note(1.0)
    chain = bare_engine()
    chain.set_chain([Model.load(shared_model(DRIVE)), Model.load(shared_model(AMP))],
                    input_gains_db=[6.0, -3.0], output_gains_db=[-2.0, 1.5])
    played = run(chain, note)
    # The same two captures in two engines one after the other, each with its gains.
    first, second = bare_engine(), bare_engine()
    first.set_model(Model.load(shared_model(DRIVE)), input_gain_db=6.0, output_gain_db=-2.0)
    second.set_model(Model.load(shared_model(AMP)), input_gain_db=-3.0, output_gain_db=1.5)
    expected = run(second, run(first, note))
    assert chain.latency == pytest.approx(first.latency + second.latency)
    settled = slice(RATE // 2, None)  # after both warm-ups and fades
    assert np.max(np.abs(played[settled] - expected[settled])) <= 1e-5
    assert np.sqrt(np.mean(played[settled] ** 2)) > 0.01  # it really played


def test_switching_between_rigs_of_four_captures_mid_note_does_not_click():
    note = sustained_note(2.0)

    def rig(order):
        return [Model.load(shared_model(name)) for name in order]

    steady = 0.0
    for order in (RIG_OF_FOUR, RIG_OF_FOUR[::-1]):
        alone = Engine(RATE, 64)
        alone.set_chain(rig(order))
        steady = max(steady, largest_step(run(alone, note)[RATE // 2:]))
    engine = Engine(RATE, 64)
    engine.set_chain(rig(RIG_OF_FOUR))
    before = run(engine, note[:RATE])
    assert engine.set_chain(rig(RIG_OF_FOUR[::-1])) == 2
    after = run(engine, note[RATE:])
    assert engine.stats()["model_id"] == 2 and not engine.stats()["switching"]
    assert largest_step(np.concatenate([before[-64:], after[:RATE // 2]])) <= steady


def cabinet(seed, frames=2400):
    """A cabinet-like impulse response: decaying noise, a different one per seed."""
    rng = np.random.default_rng(seed)
    decay = np.exp(-np.arange(frames) / (frames / 6))
    ir = rng.standard_normal(frames) * decay
    return (ir / np.sqrt(np.sum(ir ** 2))).astype(np.float32)


# Whole rigs as pedald changes them: the chain, the cabinet (or none), the EQ and the output level.
RIGS = [
    (RIG_OF_FOUR[3:], cabinet(1), {"bass_db": 4.0}, -3.0),
    (RIG_OF_FOUR, cabinet(2), {"treble_db": -6.0}, 0.0),
    (RIG_OF_FOUR[:2], None, {}, 2.0),
    (RIG_OF_FOUR[1:], cabinet(3), {"mid_db": 3.0}, -1.0),
]


def put_rig(engine, rig):
    """As pedald changes rig: the rig's sound staged to arrive with its chain (Engine.stage)."""
    captures, ir, eq, level = rig
    engine.stage_ir(ir, RATE)
    for band, db in {"bass_db": 0.0, "mid_db": 0.0, "treble_db": 0.0, **eq}.items():
        engine.stage(f"eq_{band}", db)
    engine.stage("output_level_db", level)
    engine.set_chain([Model.load(shared_model(name)) for name in captures])


def test_switching_whole_rigs_of_1_to_4_captures_with_their_cabinets_eq_and_levels_does_not_click():
    note = sustained_note(1.0)
    steady = 0.0
    for rig in RIGS:   # the bar: the largest step of any of these rigs' own steady output
        alone = Engine(RATE, 64)
        put_rig(alone, rig)
        steady = max(steady, largest_step(run(alone, note)[RATE // 2:]))
    engine = Engine(RATE, 64)
    put_rig(engine, RIGS[0])
    played = [run(engine, note)]
    for rig in RIGS[1:] + RIGS[:1]:
        put_rig(engine, rig)
        played.append(run(engine, note))
        assert not engine.stats()["switching"]
        # The switch: warm-up, then the chain's crossfade (30 ms) with its cabinet's (20 ms), EQ's and level's glides.
        assert largest_step(np.concatenate([played[-2][-64:], played[-1][:RATE // 4]])) <= steady
    engine.set_bypass(True)   # and into bypass and out again
    played.append(run(engine, note))
    engine.set_bypass(False)
    played.append(run(engine, note))
    assert largest_step(np.concatenate([played[-3][-64:], played[-2], played[-1][:RATE // 4]])) <= \
        max(steady, largest_step(note))


def test_an_empty_chain_passes_the_input_through():
    engine = bare_engine()
    engine.set_chain([Model.load(GOLDEN / "pedalnet_c4_d4_k3.model.json")])
    run(engine, sustained_note(0.5))
    assert engine.set_chain([]) == 0
    x = sustained_note(0.5)
    out = run(engine, x)
    assert np.allclose(out[RATE // 4:], x[RATE // 4:], rtol=0, atol=1e-6)  # once the fade to the dry signal is over


def test_a_chain_that_cannot_be_played_is_refused_and_its_models_stay_the_callers():
    engine = Engine(RATE, 64)
    models = [Model.load(GOLDEN / "pedalnet_c4_d4_k3.model.json") for _ in range(MAX_CHAIN + 1)]
    with pytest.raises(ValueError, match=f"at most {MAX_CHAIN} captures, got {MAX_CHAIN + 1}"):
        engine.set_chain(models)
    with pytest.raises(ValueError, match="input_gains_db has 1 values for 2 captures"):
        engine.set_chain(models[:2], input_gains_db=[0.0])
    with pytest.raises(ValueError, match="the same Model object appears twice"):
        engine.set_chain([models[0], models[0]])
    x = np.zeros(64, np.float32)
    for model in models:
        model.process(x)  # still usable: nothing was handed over
    assert MAX_CHAIN == 4
    engine.set_chain(models[:MAX_CHAIN])
    with pytest.raises(ValueError, match="owns it now"):
        models[0].process(x)
