"""The chain around the model: resampling, cabinet IR, robustness, denormals."""

import json
import time

import numpy as np
import pytest

from pedal.core import Engine, Model

RATE = 48000


def identity_model(weight=1.0):
    """A PedalNetRT-format network whose output is weight * input (linear, one tap), at 44.1 kHz."""
    variables = [{"layer_idx": -1, "name": "W", "data": [1.0]}, {"layer_idx": -1, "name": "b", "data": [0.0]},
                 {"layer_idx": 0, "name": "W_conv", "data": [weight]}, {"layer_idx": 0, "name": "b_conv", "data": [0.0]},
                 {"layer_idx": 0, "name": "W_out", "data": [0.0]}, {"layer_idx": 0, "name": "b_out", "data": [0.0]},
                 {"layer_idx": 1, "name": "W", "data": [1.0]}, {"layer_idx": 1, "name": "b", "data": [0.0]}]
    return Model.from_json(json.dumps({"activation": "linear", "residual_channels": 1, "filter_width": 1,
                                       "dilations": [1], "variables": variables}))


def bare_engine(block=128):
    """An engine with only the parts under test: no DC blocker, no limiter."""
    engine = Engine(RATE, block)
    engine.set_block("dc_blocker", False)
    engine.set_block("limiter", False)
    return engine


def run(engine, x, block=128):
    out = np.empty_like(x)
    for start in range(0, len(x), block):
        engine.process(x[start:start + block], out=out[start:start + block])
    return out


def tone(frequency, seconds=1.0, level=0.5):
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def spectrum_db(x):
    """Magnitude spectrum in dB relative to a full-scale sine, Blackman-Harris window (sidelobes < -92 dB)."""
    window = np.blackman(len(x)) ** 2  # squared Blackman: sidelobes far below the -80 dB being measured
    magnitude = np.abs(np.fft.rfft(x * window)) / (np.sum(window) / 2)
    return 20 * np.log10(np.maximum(magnitude, 1e-12))


@pytest.fixture(scope="module")
def resampled_identity():
    """Output of a 44.1 kHz identity model in a 48 kHz engine, per test tone."""
    def play(frequency):
        engine = bare_engine()
        engine.set_model(identity_model())
        out = run(engine, tone(frequency, 1.2))
        return out[RATE // 5:], engine.latency
    return play


def test_a_model_at_another_rate_is_resampled_with_a_flat_passband(resampled_identity):
    levels = []
    for frequency in (100, 440, 1000, 3000, 6000, 10000, 14000, 16000, 18000):
        out, _ = resampled_identity(frequency)
        levels.append(20 * np.log10(np.sqrt(2) * np.std(out) / 0.5))
    assert max(levels) - min(levels) <= 0.1, levels  # ripple to 18 kHz
    assert max(abs(level) for level in levels) <= 0.1


def test_resampling_adds_no_images_or_aliases_above_minus_80_db(resampled_identity):
    for frequency in (1000, 12000, 17000):
        out, _ = resampled_identity(frequency)
        spectrum = spectrum_db(out)
        bins = np.fft.rfftfreq(len(out), 1 / RATE)
        away = np.abs(bins - frequency) > 200  # everything but the tone itself
        assert spectrum[away].max() - 20 * np.log10(0.5) <= -80, frequency


def test_content_the_model_rate_cannot_hold_is_removed_not_aliased(resampled_identity):
    out, _ = resampled_identity(23000)  # above 44.1 kHz's Nyquist frequency
    assert spectrum_db(out).max() - 20 * np.log10(0.5) <= -80


def test_the_reported_latency_is_where_an_impulse_comes_out():
    engine = bare_engine()
    engine.set_model(identity_model())
    x = np.zeros(RATE // 2, dtype=np.float32)
    x[10000] = 1.0
    y = run(engine, x)
    assert abs(int(np.argmax(np.abs(y))) - 10000 - engine.latency) <= 1
    assert engine.latency > 0


@pytest.mark.parametrize("ir_rate", [48000, 44100])
def test_the_cabinet_ir_is_a_convolution(ir_rate):
    rng = np.random.default_rng(1)
    ir = (rng.standard_normal(int(0.2 * ir_rate)) * np.exp(-np.arange(int(0.2 * ir_rate)) / 800)).astype(np.float32) * 0.1
    x = (rng.standard_normal(RATE) * 0.1).astype(np.float32)
    engine = bare_engine(64)
    engine.set_ir(ir, ir_rate)
    y = run(engine, x, 64)
    if ir_rate == RATE:
        expected = np.convolve(x.astype(np.float64), ir.astype(np.float64))[:len(x)]
        assert np.max(np.abs(y - expected)) <= 1e-5
        assert engine.latency == 0  # no added latency
    else:  # resampled to the engine's rate first: compare energy, not samples
        assert engine.latency > 0
        assert np.std(y) == pytest.approx(np.std(np.convolve(x, ir)) * np.sqrt(RATE / ir_rate) * (ir_rate / RATE),
                                          rel=0.1)


def test_clearing_the_ir_restores_the_dry_path():
    engine = bare_engine(64)
    engine.set_ir(np.array([0.5, 0.25], dtype=np.float32), RATE)
    x = tone(440, 0.1)
    run(engine, x, 64)
    engine.clear_ir()
    y = run(engine, x, 64)
    assert np.max(np.abs(y[1024:] - x[1024:])) <= 1e-6  # a flat EQ is transparent to float rounding


def test_unusable_impulse_responses_are_refused():
    engine = bare_engine()
    with pytest.raises(ValueError, match="finite"):
        engine.set_ir(np.array([0.1, np.nan], dtype=np.float32), RATE)
    with pytest.raises(ValueError):
        engine.set_ir(np.zeros((2, 2), dtype=np.float32), RATE)


def test_a_model_that_blows_up_is_muted_and_counted():
    engine = Engine(RATE, 128)
    engine.set_model(identity_model(weight=3e38))  # a valid file whose output overflows to Inf
    y = run(engine, tone(220, 0.5))
    assert np.all(np.isfinite(y))
    assert engine.stats()["muted_blocks"] > 0


def test_eq_at_zero_is_transparent_and_boost_changes_the_level():
    engine = bare_engine()
    x = tone(100, 0.5)
    assert np.max(np.abs(run(engine, x) - x)) <= 1e-6
    engine.set_eq(bass_db=6.0)
    boosted = run(engine, x)[RATE // 4:]
    # A shelf is halfway (in dB) at its corner: +3 dB of the +6 at 100 Hz.
    assert 20 * np.log10(np.std(boosted) / np.std(x[RATE // 4:])) == pytest.approx(3.0, abs=0.5)


def test_the_gate_silences_noise_between_notes():
    engine = bare_engine()
    engine.set_gate(threshold_db=-50, release_ms=20, on=True)
    noise = (np.random.default_rng(2).standard_normal(RATE // 2) * 1e-4).astype(np.float32)  # -80 dBFS hiss
    y = run(engine, noise)
    assert np.max(np.abs(y[RATE // 4:])) <= 1e-4 * 10 ** (-60 / 20) * 10


def test_a_decay_to_silence_costs_no_more_than_playing():
    """Denormals are flushed: a note fading into silence is not slower than a steady one."""
    engine = Engine(RATE, 64)
    engine.set_model(Model.load(str(__import__("pathlib").Path(__file__).resolve().parent.parent
                                    / "csrc" / "tests" / "golden" / "pedalnet_c4_d4_k3.model.json")))
    steady = tone(220, 0.5, level=0.3)
    decay = (tone(220, 0.5, level=0.3) * np.exp(-np.arange(len(steady)) / 300)).astype(np.float32)  # to 1e-30 and below
    silence = np.zeros_like(steady)

    def cost(x):
        begin = time.perf_counter_ns()
        run(engine, x, 64)
        return time.perf_counter_ns() - begin

    run(engine, steady, 64)
    steady_costs, decay_costs = [], []
    for _ in range(9):  # interleaved, medians: robust to a noisy machine
        steady_costs.append(cost(steady))
        decay_costs.append(cost(decay) + cost(silence))
    assert np.median(decay_costs) / 2 <= 1.2 * np.median(steady_costs)
