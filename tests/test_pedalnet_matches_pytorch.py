"""The core plays PedalNetRT/WaveNetVA WaveNets exactly as PyTorch runs them.

Ground truth is PedalNetRT's architecture built from torch.nn layers with the
file's weights loaded into it (tests/reference/pedalnet.py); both run in
float32, so only summation order differs: 1e-5 absolute is the bar.
"""

import json

import numpy as np
import pytest

from pedal.core import Model
from tests.support.paths import shared_model
from pedal.signals import guitar_like

TOLERANCE = 1e-5
RATE = 44100

REAL_MODELS = [
    "PedalNetRT/pedalnet.json",
    "WaveNetVA/WaveNet1-ts7.json",
    "WaveNetVA/WaveNet2-ds1.json",
    "SmartGuitarPedal/ts9_fullD.json",
]


@pytest.fixture(scope="module")
def five_seconds():
    return guitar_like(5.0, rate=RATE, seed=3)


@pytest.mark.parametrize("relative", REAL_MODELS)
def test_real_model_matches_pytorch_over_five_seconds(relative, torch_reference, five_seconds):
    path = shared_model(relative)
    expected = torch_reference.from_json(json.loads(path.read_text())).run(five_seconds)
    actual = Model.load(path).process(five_seconds)
    error = np.max(np.abs(actual - expected))
    assert error <= TOLERANCE, f"{relative}: max abs error {error:.2e}"
    assert np.max(np.abs(expected)) > 1e-3  # the comparison is not between two silences


# (channels, dilation depth, repeat, kernel, activation): the corners of the
# issue's ranges and a few shapes between them.
RANDOM_SHAPES = [
    (2, 1, 1, 2, "gated"),
    (16, 10, 1, 3, "gated"),
    (7, 5, 3, 4, "gated"),
    (12, 8, 2, 2, "gated"),
    (3, 10, 3, 3, "gated"),
    (16, 3, 1, 4, "softgated"),
    (5, 4, 2, 3, "tanh"),
    (4, 3, 1, 3, "relu"),
]


@pytest.mark.parametrize("shape", RANDOM_SHAPES, ids=lambda s: "c{}_d{}_r{}_k{}_{}".format(*s))
def test_random_shapes_match_pytorch(shape, torch_reference, five_seconds):
    channels, depth, repeat, kernel, activation = shape
    reference = torch_reference.random_model(channels, depth, repeat, kernel, seed=sum(shape[:4]),
                                             activation=activation)
    model = Model.from_json(json.dumps(torch_reference.to_json(reference)))
    actual = model.process(five_seconds)
    expected = reference.run(five_seconds)
    error = np.max(np.abs(actual - expected))
    assert error <= TOLERANCE, f"max abs error {error:.2e}"
    assert model.info["receptive_field"] == 1 + (kernel - 1) * sum(2 ** d for d in range(depth)) * repeat
    assert model.info["parameters"] == sum(p.numel() for p in reference.parameters())


def test_committed_golden_vectors_are_pytorchs_output(torch_reference):
    """The C++ self-test's golden files (csrc/tests/golden) are what PyTorch computes."""
    from tests.support.paths import ROOT
    golden = ROOT / "csrc" / "tests" / "golden"
    models = sorted(p for p in golden.glob("*.model.json") if p.name.startswith(("pedalnet", "wavenetva")))
    assert len(models) == 4
    for model_file in models:
        io = json.loads(model_file.with_name(model_file.name.replace(".model", ".io")).read_text())
        x = np.array(io["input"], dtype=np.float32)
        expected = torch_reference.from_json(json.loads(model_file.read_text())).run(x)
        assert np.max(np.abs(np.array(io["output"], dtype=np.float32) - expected)) <= 1e-6, model_file.name
