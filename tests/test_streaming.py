"""A model is a stream: how the audio is cut into blocks never changes a sample."""

import numpy as np
import pytest

from pedal.core import Model
from tests.support.paths import shared_model
from pedal.signals import guitar_like

BLOCK_SIZES = [1, 7, 64, 128, 4096]


def run_in_blocks(model, x, sizes):
    out = np.empty_like(x)
    start, i = 0, 0
    while start < len(x):
        n = min(sizes[i % len(sizes)], len(x) - start)
        model.process(x[start:start + n], out=out[start:start + n])
        start, i = start + n, i + 1
    return out


@pytest.fixture(scope="module")
def signal():
    return guitar_like(1.5, rate=44100, seed=11)


@pytest.fixture(scope="module")
def whole_signal_output(signal):
    return Model.load(shared_model("PedalNetRT/pedalnet.json")).process(signal)


@pytest.mark.parametrize("block", BLOCK_SIZES)
def test_fixed_block_sizes_equal_one_call_over_the_whole_signal(block, signal, whole_signal_output):
    model = Model.load(shared_model("PedalNetRT/pedalnet.json"))
    assert np.max(np.abs(run_in_blocks(model, signal, [block]) - whole_signal_output)) <= 1e-6


def test_random_mix_of_block_sizes_equals_one_call(signal, whole_signal_output):
    sizes = list(np.random.default_rng(5).integers(1, 700, size=200))
    model = Model.load(shared_model("PedalNetRT/pedalnet.json"))
    assert np.max(np.abs(run_in_blocks(model, signal, sizes) - whole_signal_output)) <= 1e-6


def test_reset_restores_the_initial_state_exactly(signal):
    model = Model.load(shared_model("PedalNetRT/pedalnet.json"))
    first = model.process(signal)
    model.reset()
    assert np.array_equal(model.process(signal), first)


def test_zero_length_block_is_a_no_op(signal, whole_signal_output):
    model = Model.load(shared_model("PedalNetRT/pedalnet.json"))
    assert model.process(np.empty(0, dtype=np.float32)).shape == (0,)
    assert np.array_equal(model.process(signal), whole_signal_output)
