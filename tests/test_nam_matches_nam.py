"""The core plays .nam files exactly as Neural Amp Modeler runs them.

Ground truth is NAM itself (neural-amp-modeler, the 'nam' extra): networks built by its own
code from its own configurations, written by its own exporter, and its forward pass over
the model re-loaded from that file (tests/reference/nam.py says why re-loaded). Both sides
run in float32 and differ only in summation order and in tanh/sigmoid rounding; 1e-4
absolute is the bar (the worst measured is 2.4e-5, a trained A1 standard whose output
peaks at 0.45).
"""

import copy
import json

import numpy as np
import pytest

from pedal.core import Model
from pedal.signals import guitar_like
from tests.support.paths import shared_model

TOLERANCE = 1e-4
RATE = 48000

REAL_MODELS = [
    "NeuralAmpModelerCore/example_models/wavenet_a1_standard.nam",  # 0.5.0, no sample rate
    "NeuralAmpModelerCore/example_models/wavenet.nam",
    "NeuralAmpModelerCore/example_models/lstm.nam",
    "NeuralAudio/BossWN-standard.nam",
    "NeuralAudio/BossWN-nano.nam",
    "NeuralAudio/BossLSTM-1x16.nam",
    "neural-amp-modeler/identity/wavenet_minimal.nam",  # 0.7.0 spelling
    "bench/wavenet_a1_feather.nam",  # exported by neural-amp-modeler 0.12.3
    "bench/lstm_2x8.nam",
]


@pytest.fixture(scope="module")
def guitar():
    return guitar_like(3.0, rate=RATE, seed=5)


def max_error(actual, expected):
    assert actual.shape == expected.shape
    return float(np.max(np.abs(actual.astype(np.float64) - expected)))


@pytest.mark.parametrize("relative", REAL_MODELS)
def test_real_nam_file_matches_nams_forward(relative, nam_reference, guitar):
    path = shared_model(relative)
    expected = nam_reference.reference_output(nam_reference.read(path), guitar)
    error = max_error(Model.load(path).process(guitar), expected)
    assert error <= TOLERANCE, f"{relative}: max abs error {error:.2e}"
    assert np.max(np.abs(expected)) > 1e-3  # the comparison is not between two silences


def odd_shapes(nam):
    """WaveNets beyond the presets: gating, three arrays, kernels 2 and 4, other activations."""
    array = nam.layer_array
    return {
        "gated": [array(1, 6, 3, [1, 2, 4, 8], False, gated=True),
                  array(6, 3, 1, [16, 32, 64, 128], True, gated=True)],
        "three_arrays_k2_k4": [
            array(1, 5, 4, [1, 3, 9], False, kernel_size=2, activation="Hardtanh"),
            array(5, 4, 3, [2, 7], True, kernel_size=4,
                  activation={"name": "LeakyReLU", "negative_slope": 0.2}),
            array(4, 3, 1, [1, 5, 25], True, kernel_size=3, activation="Sigmoid", gated=True),
        ],
        # 0.7 features that are still A1 maths: per-layer kernels and activations, a head kernel > 1.
        "per_layer_and_head_kernel": [
            {"input_size": 1, "condition_size": 1, "channels": 4, "kernel_size": [2, 5, 3],
             "dilations": [1, 4, 16], "head": {"out_channels": 2, "kernel_size": 3, "bias": True},
             "activation": ["ReLU", "Softsign", {"name": "PairMultiply", "primary": "SiLU", "secondary": "Hardswish"}]},
            {"input_size": 4, "condition_size": 1, "channels": 2, "kernel_size": 3, "dilations": [32, 1],
             "head": {"out_channels": 1, "kernel_size": 4, "bias": False},
             "activation": {"name": "LeakyHardtanh", "min_val": -0.3, "max_val": 0.6,
                            "min_slope": 0.05, "max_slope": 0.2}},
        ],
    }


WAVENET_NAMES = ["standard", "lite", "feather", "nano", "gated", "three_arrays_k2_k4", "per_layer_and_head_kernel"]


@pytest.mark.parametrize("name", WAVENET_NAMES)
def test_random_wavenet_exported_by_nam_matches_nams_forward(name, nam_reference, guitar, tmp_path):
    shapes = {**nam_reference.PRESETS, **odd_shapes(nam_reference)}
    # The presets keep NAM's head_scale of 0.02; the others play louder, so a small error stands out.
    head_scale = 0.02 if name in nam_reference.PRESETS else 1.0
    network = nam_reference.random_wavenet(shapes[name], seed=WAVENET_NAMES.index(name) + 1, head_scale=head_scale)
    path = nam_reference.export(network, tmp_path, name)
    doc = nam_reference.read(path)
    expected = nam_reference.reference_output(doc, guitar)
    model = Model.load(path)
    error = max_error(model.process(guitar), expected)
    peak = np.max(np.abs(expected))
    assert error <= TOLERANCE, f"{name}: max abs error {error:.2e}"
    # Random weights give quiet outputs: also hold the error to 0.1% of the output's peak.
    assert peak > 1e-3 and error <= 1e-3 * peak, f"{name}: max abs error {error:.2e}, peak {peak:.2e}"
    assert model.info["receptive_field"] == network.receptive_field
    assert model.info["parameters"] == len(doc["weights"])
    assert doc["version"] == "0.7.0"  # NAM's exporter writes the 0.7 spelling


@pytest.mark.parametrize("name", ["standard", "lite", "feather", "nano", "three_layers_of_5"])
def test_random_lstm_exported_by_nam_matches_nams_forward(name, nam_reference, guitar, tmp_path):
    num_layers, hidden_size = {**nam_reference.LSTM_PRESETS, "three_layers_of_5": (3, 5)}[name]
    path = nam_reference.export(nam_reference.random_lstm(num_layers, hidden_size, seed=hidden_size), tmp_path, name)
    expected = nam_reference.reference_output(nam_reference.read(path), guitar)
    model = Model.load(path)
    error = max_error(model.process(guitar), expected)
    assert error <= TOLERANCE, f"{name}: max abs error {error:.2e}"
    assert np.max(np.abs(expected)) > 1e-3
    assert model.info["config"] == {"num_layers": num_layers, "hidden_size": hidden_size, "input_size": 1}


def test_every_nam_activation_matches_nams_forward(nam_reference, guitar, tmp_path):
    """One layer per activation NAM's trainer can build, per-channel PReLU slopes included.

    NAM's loader drops PReLU slopes (they live in the config, which it does not read back
    into the module), so here the reference is the network as built, whose file holds all
    of its state (a WaveNet has none beyond its weights)."""
    activations = ["Tanh", {"name": "Hardtanh", "min_val": -0.7, "max_val": 0.4}, "ReLU",
                   {"name": "LeakyReLU", "negative_slope": 0.3}, {"name": "PReLU", "num_parameters": 4},
                   "Sigmoid", "SiLU", "Hardswish", "Softsign",
                   {"name": "LeakyHardtanh", "min_val": -0.5, "max_val": 0.5, "min_slope": 0.1, "max_slope": 0.3},
                   {"name": "PairMultiply", "primary": "Tanh", "secondary": "Sigmoid"}]
    layers = [{"input_size": 1, "condition_size": 1, "channels": 4, "kernel_size": 3,
               "dilations": [1 + 2 * j for j in range(len(activations))], "activation": activations,
               "head": {"out_channels": 1, "kernel_size": 1, "bias": True}}]
    import torch  # present whenever nam_reference is

    network = nam_reference.random_wavenet(layers, seed=11, head_scale=0.3)
    torch.manual_seed(12)
    for module in network.modules():
        if isinstance(module, torch.nn.PReLU):
            module.weight.data = torch.rand(module.weight.shape)
    path = nam_reference.export(network, tmp_path, "activations")
    written = nam_reference.read(path)["config"]["layers"][0]["activation"]
    assert [a["type"] for a in written] == ["Tanh", "Hardtanh", "ReLU", "LeakyReLU", "PReLU", "Sigmoid", "SiLU",
                                            "Hardswish", "Softsign", "LeakyHardtanh", "Tanh"]
    expected = nam_reference.in_memory_output(network, guitar)
    error = max_error(Model.load(path).process(guitar), expected)
    assert error <= TOLERANCE, f"max abs error {error:.2e}"
    assert np.max(np.abs(expected)) > 1e-3


def legacy_spelling(doc):
    """A 0.7 export of an A1 network rewritten as a 0.5 file would say it (formats/nam.md §3.1)."""
    doc = copy.deepcopy(doc)
    doc["version"] = "0.5.4"
    for i, layer in enumerate(doc["config"]["layers"]):
        gated = layer["gating_mode"][0] == "gated"
        doc["config"]["layers"][i] = {
            "input_size": layer["input_size"], "condition_size": layer["condition_size"],
            "head_size": layer["head"]["out_channels"], "channels": layer["channels"],
            "kernel_size": layer["kernel_sizes"][0], "dilations": layer["dilations"],
            "activation": layer["activation"][0]["type"], "gated": gated, "head_bias": layer["head"]["bias"]}
    return doc


def test_legacy_and_07_spellings_of_one_network_play_the_same(nam_reference, guitar, tmp_path):
    network = nam_reference.random_wavenet(odd_shapes(nam_reference)["gated"], seed=21)
    current = nam_reference.read(nam_reference.export(network, tmp_path, "gated"))
    legacy = legacy_spelling(current)
    assert "head_size" in legacy["config"]["layers"][0]
    from_current = Model.from_json(json.dumps(current)).process(guitar)
    from_legacy = Model.from_json(json.dumps(legacy)).process(guitar)
    assert np.array_equal(from_current, from_legacy)
    assert max_error(from_legacy, nam_reference.reference_output(legacy, guitar)) <= TOLERANCE


def test_head_scale_is_the_last_weight_not_the_config_copy(nam_reference, guitar, tmp_path):
    doc = nam_reference.read(nam_reference.export(
        nam_reference.random_wavenet(nam_reference.PRESETS["nano"], seed=31), tmp_path, "nano"))
    reference = Model.from_json(json.dumps(doc)).process(guitar)
    doc["config"]["head_scale"] = 5.0
    assert np.array_equal(Model.from_json(json.dumps(doc)).process(guitar), reference)
    doc["weights"][-1] *= 2
    assert max_error(Model.from_json(json.dumps(doc)).process(guitar), 2 * reference.astype(np.float64)) <= 1e-6


def test_real_file_info_and_metadata():
    info = Model.load(shared_model("NeuralAmpModelerCore/example_models/wavenet.nam")).info
    assert (info["format"], info["architecture"], info["sample_rate"]) == ("nam", "WaveNet", 48000)
    assert info["parameters"] == 131
    assert info["receptive_field"] == 1 + 2 * (1 + 2) + 2 * 8
    metadata = info["metadata"]
    assert metadata["sample_rate_source"] == "file" and metadata["version"] == "0.5.4"
    assert metadata["loudness"] == pytest.approx(-20.020729064941406)
    assert (metadata["input_level_dbu"], metadata["output_level_dbu"]) == (18.3, 12.3)
    assert (metadata["name"], metadata["modeled_by"], metadata["gear_type"], metadata["tone_type"]) == \
        ("Test Model", "Steve", "amp", "clean")
    assert (metadata["gear_make"], metadata["gear_model"]) == ("Darkglass Electronics", "Microtubes 900 v2")
    assert metadata["gain"] == pytest.approx(0.19575619747898518)
    array = info["config"]["layer_arrays"][1]
    assert (array["channels"], array["dilations"], array["activation"], array["gated"], array["head_size"]) == \
        (2, [8], "Tanh", False, 1)


def test_old_file_without_sample_rate_is_assumed_48k():
    model = Model.load(shared_model("NeuralAmpModelerCore/example_models/wavenet_a1_standard.nam"))
    info = model.info
    assert model.sample_rate == 48000.0
    assert info["metadata"]["sample_rate_source"] == "assumed (the file stores none)"
    assert "loudness" not in info["metadata"]
    assert info["parameters"] == 13802 and info["receptive_field"] == 4093
    assert [a["channels"] for a in info["config"]["layer_arrays"]] == [16, 8]
    assert info["config"]["head_scale"] == pytest.approx(0.02)
