"""The core plays NAM "A2" (0.7.0) files exactly as Neural Amp Modeler's trainer runs them.

Ground truth is the trainer itself (neural-amp-modeler 0.13.0, the 'nam' extra). Random
networks are built by its own ``WaveNet.init_from_config`` from configurations in its own
spelling, one feature at a time and all together, and written by its own exporter; the
reference is the trainer's forward pass (``pad_start``: RF−1 zeros before the signal) over
that very module, which is all the file holds (a WaveNet has no state beyond its weights).
Real files (formats/nam-a2.md §7) run through the trainer's modules built from the file by
``tests/reference/nam.py``'s ``reference_wavenet``, which steps around the traps of NAM's
own loader (nam-a2.md §6) and is itself checked here against the in-memory module of every
random network.

Where NAM Core and the trainer disagree (nam-a2.md §5: a FiLM without "active" is inactive;
layer1x1 inactive means x + a; layer1x1_post_film always applies) the trainer is right.

The core is fed the signal in 64-frame blocks (it is a stream) and must match to 1e-5
absolute over 3 s of guitar-like audio; the reference must not be silent.
SlimmableContainers and slimmable WaveNets play at a ``size`` in [0, 1]: the first submodel
whose max_value ≥ size (the largest by default); a slimmable WaveNet of n widths offers
width i up to max_value (i+1)/n, so the sizes here sit inside those ranges when compared
with the trainer's ``set_slimming``, whose rule is index min(floor(v·n), n−1).
info["parameters"] counts every number the model plays with, a condition_dsp's included.
"""

import json

import numpy as np
import pytest

from pedal.core import Model
from pedal.signals import guitar_like
from tests.reference.nam_shapes import FILM_POSITIONS, a2_layer_array
from tests.support.paths import shared_model

# 1e-5 absolute, the bar for outputs of a guitar signal's size. float32 rounding grows with the
# output: NAM Core's slimmable_wavenet.nam (random weights) peaks at 19 at full width, where
# NAM's own float32 forward is 1.3e-5 (0.7e-6 of the peak) from the same module in float64 and
# ours 1.7e-5 (0.9e-6). Two float32 runs each within 1e-6 of the peak from the exact output are
# within 2e-6 of it from each other: the bar for outputs louder than 5 (ours: 2.1e-5 at 19).
TOLERANCE = 1e-5
RELATIVE_TOLERANCE = 2e-6
RATE = 48000
BLOCK = 64


@pytest.fixture(scope="module")
def guitar():
    return guitar_like(3.0, rate=RATE, seed=7)


def streamed(model, x, block=BLOCK):
    """The model's output with the signal fed in blocks of ``block`` frames."""
    return np.concatenate([model.process(x[i:i + block]) for i in range(0, len(x), block)])


def max_error(actual, expected):
    assert actual.shape == expected.shape
    return float(np.max(np.abs(actual.astype(np.float64) - expected)))


def assert_plays_like(actual, expected, what):
    """Within TOLERANCE of the trainer's output, which is not silence; the message says where the
    two first part and how loud the reference is (a loud output's float32 rounding is larger)."""
    peak = float(np.max(np.abs(expected)))
    assert peak > 1e-3, f"{what}: the reference is silent (peak {peak:.2e})"
    error = max_error(actual, expected)
    print(f"\n{what}: max abs error {error:.2e}, reference peak {peak:.3f}")  # shown by pytest -s
    tolerance = max(TOLERANCE, RELATIVE_TOLERANCE * peak)
    if error > tolerance:
        first = int(np.argmax(np.abs(actual.astype(np.float64) - expected) > tolerance))
        pytest.fail(f"{what}: max abs error {error:.2e} > {tolerance:.1e}, first at sample {first} "
                    f"(ours {actual[first]:.7f}, NAM {expected[first]:.7f}), reference peak {peak:.3f}")
    return error


def assert_same_reference(rebuilt, expected, what=""):
    """The trainer's module re-made from the file (``reference_wavenet``, used for the real files)
    plays like the module that wrote it. Equal as a rule; PyTorch's CPU convolutions have been
    seen to differ by a few 1e-6 between calls on a loaded machine, hence the margin, far below
    what a structural mistake gives."""
    assert max_error(rebuilt, expected) <= 5e-6, f"{what}: reference_wavenet does not rebuild the exported network"


# ------------------------------------------------------------------------------------------
# Random networks in the trainer's spelling


def array(channels, dilations, *, input_size=1, condition_size=1, kernel_sizes=3, activation="Tanh",
          head=(1, 1, True), **features):
    """One layer array as the trainer's ``layers_configs`` take it; ``head`` is the array head's
    (out_channels, kernel_size, bias); ``features`` are the trainer's own keys (bottleneck,
    head_1x1_config, layer_1x1_config, film_params, groups_input, groups_input_mixin, slimmable)."""
    n = len(dilations)
    return {"input_size": input_size, "condition_size": condition_size, "channels": channels,
            "kernel_sizes": kernel_sizes if isinstance(kernel_sizes, list) else [kernel_sizes] * n,
            "dilations": list(dilations), "activation": activation,
            "head": {"out_channels": head[0], "kernel_size": head[1], "bias": head[2]}, **features}


def gated(primary, secondary="Sigmoid"):
    return {"name": "PairMultiply", "primary": primary, "secondary": secondary}


def blended(primary, secondary="Sigmoid"):
    return {"name": "PairBlend", "primary": primary, "secondary": secondary}


def films(positions=None, shift=True, groups=1):
    """FiLM at the given positions (all eight by default), in the trainer's ``film_params``."""
    return {key: {"active": True, "shift": shift, "groups": groups} for key in positions or FILM_POSITIONS}


HEAD1X1 = {"active": True, "out_channels": 4, "groups": 1}


def condition_wavenet(out_channels):
    """A small WaveNet whose output (``out_channels`` wide) replaces the condition c."""
    return {"name": "WaveNet", "config": {
        "layers_configs": [array(3, [1, 2, 4], activation=gated("Tanh"), head=(out_channels, 2, True))],
        "head_scale": 1.0}}


def a2(channels):
    return a2_layer_array(channels)


# name: (the trainer's init config, weight_scale). PyTorch's default init, weights scaled up and
# biases scaled by 0.3, so that the output follows the input rather than sitting on the
# biases' constant; head scales bring the peak near 1 (the test checks both).
RANDOM_CONFIGS = {
    # NAM's A2 standard shapes (nam-a2.md §1), as the trainer's A2 config trains them.
    "a2_full": lambda: ({"layers_configs": [a2(8)], "head_scale": 0.004}, 2.0),
    "a2_lite": lambda: ({"layers_configs": [a2(3)], "head_scale": 0.002}, 2.0),
    # Gated layers (PairMultiply), one secondary activation per layer.
    "gated_secondaries": lambda: ({"layers_configs": [array(
        4, [1, 2, 4, 8, 16, 3], activation=[gated("Tanh"), gated("SiLU", "Hardswish"), gated("ReLU", "Softsign"),
                                            gated("LeakyReLU", "Hardtanh"), gated("Softsign", "Softsigmoid"),
                                            gated("Hardswish", "Tanh")])], "head_scale": 0.1}, 2.5),
    # Blended layers (PairBlend: α·f(z) + (1−α)·z), beside an ungated one.
    "blended_secondaries": lambda: ({"layers_configs": [array(
        4, [1, 3, 9, 27, 2], kernel_sizes=[2, 3, 4, 3, 5],
        activation=[blended("Tanh"), blended("ReLU", "Hardswish"), "SiLU", blended("Hardtanh", "Softsigmoid"),
                    blended("LeakyReLU", "Hardtanh")])], "head_scale": 0.2}, 1.5),
    # Bottleneck < channels, the head summing the activations themselves (head1x1 off).
    "bottleneck": lambda: ({"layers_configs": [array(
        6, [1, 2, 4, 8], bottleneck=2, activation=["ReLU", gated("Tanh"), "Softsign", blended("SiLU")])],
        "head_scale": 0.3}, 2.5),
    # Bottleneck < channels with a head1x1 of its own width.
    "bottleneck_head1x1": lambda: ({"layers_configs": [array(
        6, [1, 2, 4, 8], bottleneck=3, activation=[gated("Tanh"), "ReLU", blended("Tanh"), "LeakyReLU"],
        head_1x1_config={"active": True, "out_channels": 5, "groups": 1})], "head_scale": 0.1}, 2.0),
    # Grouped dilated convs with grouped layer1x1 and head1x1.
    "grouped": lambda: ({"layers_configs": [array(
        6, [1, 2, 4, 8], groups_input=3, activation=["Tanh", gated("Tanh"), "ReLU", blended("Tanh")],
        layer_1x1_config={"active": True, "groups": 2},
        head_1x1_config={"active": True, "out_channels": 6, "groups": 3})], "head_scale": 0.1}, 2.5),
    # FiLM at every position, with shift.
    "film_every_position": lambda: ({"layers_configs": [array(
        4, [1, 2, 4], activation=["Tanh", gated("Tanh"), "ReLU"], head_1x1_config=HEAD1X1,
        film_params=films())], "head_scale": 0.3}, 2.5),
    # FiLM at every position, scale only.
    "film_every_position_no_shift": lambda: ({"layers_configs": [array(
        4, [1, 2, 4], activation=["Tanh", blended("Tanh"), "ReLU"], head_1x1_config=HEAD1X1,
        film_params=films(shift=False))], "head_scale": 1.5}, 2.5),
    # FiLM with groups (a 4-channel condition from condition_dsp), grouped input mixin.
    "film_groups": lambda: ({"layers_configs": [array(
        4, [1, 2, 4], condition_size=4, groups_input_mixin=2, activation=["Tanh", gated("Tanh"), "SiLU"],
        head_1x1_config=HEAD1X1,
        film_params={**films(shift=True, groups=2), **films(["conv_post_film", "activation_post_film",
                                                            "head1x1_post_film"], shift=False, groups=4)})],
        "head_scale": 0.07, "condition_dsp": condition_wavenet(4)}, 2.5),
    # Array heads with kernels > 1 (with and without bias), two arrays chained.
    "head_kernels_two_arrays": lambda: ({"layers_configs": [
        array(6, [1, 2, 4, 8], activation="Tanh", head=(3, 4, False)),
        array(3, [16, 32, 1], input_size=6, activation=gated("Tanh"), head=(1, 3, True))],
        "head_scale": 0.1}, 2.5),
    # The post-stack head: (activation → conv) blocks after head_scale. The trainer's exporter
    # writes the head's activation as it was given, here in its init spelling {"name": ...}
    # (nam/models/wavenet/_head.py keeps the config as given), which is also what its loader reads.
    "post_stack_head": lambda: ({"layers_configs": [array(4, [1, 2, 4, 8], head=(2, 1, True))],
                                 "head": {"channels": 3, "out_channels": 1, "kernel_sizes": [3, 1, 2],
                                          "activation": {"name": "LeakyReLU", "negative_slope": 0.2}},
                                 "head_scale": 0.3}, 2.0),
    # Three arrays, each feeding the next its residual and its head output.
    "three_arrays": lambda: ({"layers_configs": [
        array(5, [1, 2, 4], activation="Tanh", head=(4, 2, False)),
        array(4, [8, 16], input_size=5, activation=blended("Tanh"), head=(2, 1, True)),
        array(3, [1, 3], input_size=4, bottleneck=2, activation=gated("ReLU"), head=(1, 3, True))],
        "head_scale": 0.15}, 2.0),
    # condition_dsp: a nested WaveNet's 3-channel output is the condition of every layer.
    "condition_dsp": lambda: ({"layers_configs": [array(4, [1, 2, 4, 8], condition_size=3,
                                                        activation=["Tanh", gated("Tanh"), "ReLU", "Tanh"])],
                               "head_scale": 0.25, "condition_dsp": condition_wavenet(3)}, 2.5),
    # layer1x1 inactive: the residual adds the activation itself (x + a).
    "layer1x1_inactive": lambda: ({"layers_configs": [array(
        4, [1, 2, 4, 8], activation=["Tanh", gated("Tanh"), "ReLU", blended("SiLU")],
        layer_1x1_config={"active": False, "groups": 1})], "head_scale": 0.3}, 2.5),
    # Softsigmoid, plain and as a gate.
    "softsigmoid": lambda: ({"layers_configs": [array(
        4, [1, 2, 4], activation=["Softsigmoid", gated("Tanh", "Softsigmoid"), blended("ReLU", "Softsigmoid")])],
        "head_scale": 0.5}, 2.5),
    # Everything at once.
    "everything": lambda: ({"layers_configs": [
        array(6, [1, 3, 7], condition_size=4, kernel_sizes=[2, 6, 3], bottleneck=4, groups_input=2,
              groups_input_mixin=2, activation=[gated("Tanh", "Softsigmoid"), blended("LeakyReLU"), "SiLU"],
              layer_1x1_config={"active": True, "groups": 2},
              head_1x1_config={"active": True, "out_channels": 4, "groups": 2},
              film_params={**films(["conv_pre_film", "input_mixin_post_film", "activation_pre_film",
                                    "layer1x1_post_film"], shift=True, groups=2),
                           **films(["activation_post_film", "head1x1_post_film"], shift=False, groups=1)},
              head=(3, 3, True)),
        array(3, [1, 13, 2], input_size=6, condition_size=4, kernel_sizes=[15, 2, 3],
              activation=["Hardswish", gated("Softsign", "Hardtanh"), "Tanh"],
              layer_1x1_config={"active": False, "groups": 1}, film_params=films(["conv_post_film"]),
              head=(2, 4, True))],
        "head": {"channels": 3, "activation": "SiLU", "out_channels": 1, "kernel_sizes": [2, 3]},
        "head_scale": 2.4, "condition_dsp": condition_wavenet(4)}, 1.75),
}


def build_random(nam_reference, name):
    config, weight_scale = RANDOM_CONFIGS[name]()
    return nam_reference.random_a2_wavenet(config, seed=sorted(RANDOM_CONFIGS).index(name) + 1,
                                           weight_scale=weight_scale, bias_scale=0.3)


def scaled_to_peak(nam_reference, network, x, peak=0.8, size=1.0):
    """Sets the network's head_scale (a float32 number, as the file stores it) so that the
    trainer's output peaks at ``peak`` (at slimming ``size``); the output is proportional to
    head_scale when there is no post-stack head."""
    assert network._net._head is None
    current = float(np.max(np.abs(nam_reference.slimmed_output(network, size, x))))
    network._net._head_scale = float(np.float32(network._net._head_scale * peak / current))
    return network


def check_random_network(nam_reference, network, name, guitar, tmp_path):
    """Exports the network with NAM's exporter, plays the file, compares with the trainer's forward."""
    path = nam_reference.export(network, tmp_path, name)
    doc = nam_reference.read(path)
    assert doc["version"] == "0.7.0" and doc["architecture"] == "WaveNet"
    expected = nam_reference.in_memory_output(network, guitar)
    # The reference builder used for real files re-makes this very network from its file.
    rebuilt = nam_reference.in_memory_output(nam_reference.reference_wavenet(doc), guitar)
    assert_same_reference(rebuilt, expected, name)
    peak, spread = float(np.max(np.abs(expected))), float(np.std(expected))
    assert 0.05 < peak < 2.0, f"{name}: reference peak {peak:.3f} (too quiet to test, or loud enough to blur float32)"
    assert spread > 0.01, f"{name}: the reference hardly follows the input (std {spread:.4f})"
    model = Model.load(path)
    error = assert_plays_like(streamed(model, guitar), expected, name)
    assert model.info["receptive_field"] == network.receptive_field
    assert model.info["parameters"] == nam_reference.weight_count(doc)
    assert "submodels" not in model.info
    return error


@pytest.mark.parametrize("name", list(RANDOM_CONFIGS))
def test_random_a2_wavenet_exported_by_nam_matches_nams_forward(name, nam_reference, guitar, tmp_path):
    check_random_network(nam_reference, build_random(nam_reference, name), name, guitar, tmp_path)


@pytest.mark.parametrize("position", FILM_POSITIONS)
@pytest.mark.parametrize("shift", [True, False], ids=["shift", "scale_only"])
def test_film_at_one_position_matches_nams_forward(position, shift, nam_reference, guitar, tmp_path):
    """Each FiLM alone (a wrong one is named by its test), grouped in two, on a gated, a blended and
    a plain layer, with a 2-channel condition from a condition_dsp."""
    config = {"layers_configs": [array(
        4, [1, 2, 4], condition_size=2, activation=[gated("Tanh"), blended("Tanh"), "ReLU"],
        head_1x1_config=HEAD1X1, film_params=films([position], shift=shift, groups=2))],
        "head_scale": 1.0, "condition_dsp": condition_wavenet(2)}
    network = nam_reference.random_a2_wavenet(config, seed=40 + FILM_POSITIONS.index(position), weight_scale=2.0,
                                              bias_scale=0.3)
    scaled_to_peak(nam_reference, network, guitar)
    check_random_network(nam_reference, network, position, guitar, tmp_path)


def test_film_without_active_key_is_inactive_as_in_the_trainer(nam_reference, guitar, tmp_path):
    """A FiLM object with no "active" key is inactive for the trainer (its pydantic default), so it
    has no weights and changes nothing; NAM Core would call it active (nam-a2.md §5)."""
    config, weight_scale = RANDOM_CONFIGS["film_every_position"]()
    del config["layers_configs"][0]["film_params"]["conv_post_film"]
    network = nam_reference.random_a2_wavenet(config, seed=30, weight_scale=weight_scale, bias_scale=0.3)
    doc = nam_reference.read(nam_reference.export(network, tmp_path, "seven_films"))
    assert doc["config"]["layers"][0]["conv_post_film"]["active"] is False
    doc["config"]["layers"][0]["conv_post_film"] = {"shift": True, "groups": 1}
    expected = nam_reference.in_memory_output(network, guitar)
    assert_same_reference(nam_reference.in_memory_output(nam_reference.reference_wavenet(doc), guitar), expected)
    model = Model.from_json(json.dumps(doc))
    assert_plays_like(streamed(model, guitar), expected, "FiLM without active")
    assert model.info["parameters"] == nam_reference.weight_count(doc)


# ------------------------------------------------------------------------------------------
# Slimmable WaveNets made by the trainer

SLIMMABLE = {"method": "slice_channels_uniform"}

# name: (the trainer's init config, number of widths)
SLIMMABLE_CONFIGS = {
    # An A2-shaped array (head kernel 1: the trainer slims no other) over four widths.
    "a2_widths_2_4_6_8": lambda: ({"layers_configs": [{
        **a2(8), "head": {"out_channels": 1, "kernel_size": 1, "bias": True},
        "slimmable": {**SLIMMABLE, "kwargs": {"allowed_channels": [2, 4, 6, 8]}}}], "head_scale": 0.01}, 4),
    # Gated layers slim to the leading 2C' rows of their dilated conv: primary rows 0..C'-1 and
    # gate rows C'..2C'-1 of the full conv (not rows C..C+C'-1, where the full model's gate is).
    "gated_every_width": lambda: ({"layers_configs": [array(
        4, [1, 2, 4, 8], activation=[gated("Tanh"), "ReLU", blended("Tanh"), gated("SiLU", "Hardswish")],
        slimmable={**SLIMMABLE, "kwargs": {}})], "head_scale": 0.5}, 4),
    # Bottleneck 4 < channels 8, allowed widths [2, 4]: the trainer slims the bottleneck to the same
    # allowed widths as the residual (B' = C'; the widest plays 4 channels of 8), not to B·C'/C
    # as NAM Core does (nam-a2.md §2).
    "bottleneck_below_channels": lambda: ({"layers_configs": [array(
        8, [1, 2, 4, 8], bottleneck=4, activation=["Tanh", "ReLU", "Tanh", "SiLU"],
        slimmable={**SLIMMABLE, "kwargs": {"allowed_channels": [2, 4]}})], "head_scale": 0.5}, 2),
}


def slim_cases():
    return [(name, width) for name, make in SLIMMABLE_CONFIGS.items() for width in range(make()[1])]


@pytest.mark.parametrize("name,width", slim_cases())
def test_random_slimmable_wavenet_matches_nams_set_slimming(name, width, nam_reference, guitar, tmp_path):
    config, n = SLIMMABLE_CONFIGS[name]()
    size = (width + 0.5) / n
    network = nam_reference.random_a2_wavenet(config, seed=50 + width, weight_scale=2.0, bias_scale=0.3)
    scaled_to_peak(nam_reference, network, guitar, size=size)
    path = nam_reference.export(network, tmp_path, name)
    doc = nam_reference.read(path)
    expected = nam_reference.slimmed_output(network, size, guitar)
    assert_same_reference(nam_reference.slimmed_output(nam_reference.reference_wavenet(doc), size, guitar), expected)
    model = Model.load(path, size=size)
    assert_plays_like(streamed(model, guitar), expected, f"{name} at width {width} (size {size})")
    info = model.info
    assert info["playing"] == width and info["size"] == pytest.approx(size)
    assert [s["max_value"] for s in info["submodels"]] == pytest.approx([(i + 1) / n for i in range(n)])
    assert [s["architecture"] for s in info["submodels"]] == ["WaveNet"] * n
    assert [s["receptive_field"] for s in info["submodels"]] == [network.receptive_field] * n
    assert [s["parameters"] for s in info["submodels"]] == \
        [nam_reference.slimmed_parameter_count(network, (i + 0.5) / n) for i in range(n)]


# ------------------------------------------------------------------------------------------
# A2 containers as the trainer makes them (PackedWaveNet, its default A2 config)


@pytest.fixture(scope="module")
def packed_a2(nam_reference, tmp_path_factory):
    packed = nam_reference.random_packed_a2(seed=60, weight_scale=1.75, bias_scale=0.3)
    path = nam_reference.export_container(packed, tmp_path_factory.mktemp("packed"), "a2_packed")
    return packed, path


@pytest.mark.parametrize("index,size", [(0, 0.25), (1, 0.75), (1, 1.0)])
def test_container_exported_by_nams_packed_wavenet_matches_its_submodels(index, size, packed_a2, nam_reference,
                                                                          guitar):
    packed, path = packed_a2
    doc = nam_reference.read(path)
    assert doc["architecture"] == "SlimmableContainer"
    assert [value for value, _ in nam_reference.submodels(doc)] == [0.5, 1.0]
    expected = nam_reference.in_memory_output(packed.extract_submodel(index), guitar)
    _, submodel_doc = nam_reference.submodels(doc)[index]
    assert_same_reference(nam_reference.in_memory_output(nam_reference.reference_wavenet(submodel_doc), guitar),
                          expected)
    model = Model.load(path, size=size)
    assert_plays_like(streamed(model, guitar), expected, f"packed A2 submodel {index}")
    assert model.info["playing"] == index
    assert model.info["parameters"] == len(submodel_doc["weights"]) == [1871, 12146][index]
    assert model.info["receptive_field"] == 6347


# ------------------------------------------------------------------------------------------
# Real A2 files (formats/nam-a2.md §7), at each of their submodels

CONTAINERS = [
    "NeuralAudio/BossWN-a2.nam",  # trained Lite/Full
    "NeuralAmpModelerCore/example_models/A2.nam",
    "NeuralAmpModelerCore/example_models/slimmable_container.nam",  # an LSTM and two A1 WaveNets
    "bench/wavenet_a2_packed_default.nam",
]


def container_cases():
    """(file, submodel index, a size inside that submodel's range)."""
    max_values = {"NeuralAmpModelerCore/example_models/slimmable_container.nam": [0.33, 0.66, 1.0]}
    cases = []
    for relative in CONTAINERS:
        lower = 0.0
        for i, value in enumerate(max_values.get(relative, [0.5, 1.0])):
            cases.append((relative, i, round((lower + value) / 2, 3)))
            lower = value
    return cases


_reference_cache = {}


def reference_of_submodel(nam_reference, relative, index, x):
    """The trainer's forward of a container's submodel (cached: the size tests reuse it)."""
    key = (relative, index)
    if key not in _reference_cache:
        _, doc = nam_reference.submodels(nam_reference.read(shared_model(relative)))[index]
        _reference_cache[key] = nam_reference.in_memory_output(nam_reference.reference_network(doc), x)
    return _reference_cache[key]


@pytest.mark.parametrize("relative,index,size", container_cases())
def test_real_container_at_each_submodel_matches_nams_forward(relative, index, size, nam_reference, guitar):
    path = shared_model(relative)
    doc = nam_reference.read(path)
    _, submodel_doc = nam_reference.submodels(doc)[index]
    expected = reference_of_submodel(nam_reference, relative, index, guitar)
    model = Model.load(path, size=size)
    assert_plays_like(streamed(model, guitar), expected, f"{relative} submodel {index} (size {size})")
    info = model.info
    assert info["architecture"] == "SlimmableContainer"
    assert info["playing"] == index and info["size"] == pytest.approx(size)
    assert [s["max_value"] for s in info["submodels"]] == [v for v, _ in nam_reference.submodels(doc)]
    assert info["submodels"][index]["architecture"] == submodel_doc["architecture"]
    assert info["parameters"] == info["submodels"][index]["parameters"] == nam_reference.weight_count(submodel_doc)
    assert info["receptive_field"] == info["submodels"][index]["receptive_field"] == \
        nam_reference.reference_network(submodel_doc).receptive_field


SLIMMABLE_FILE = "NeuralAmpModelerCore/example_models/slimmable_wavenet.nam"  # allowed_channels [1, 2, 3]


@pytest.mark.parametrize("width", [0, 1, 2])
def test_real_slimmable_wavenet_at_each_width_matches_nams_set_slimming(width, nam_reference, guitar):
    path = shared_model(SLIMMABLE_FILE)
    doc = nam_reference.read(path)
    size = (width + 0.5) / 3
    network = nam_reference.reference_wavenet(doc)
    expected = nam_reference.slimmed_output(network, size, guitar)
    model = Model.load(path, size=size)
    assert_plays_like(streamed(model, guitar), expected, f"slimmable_wavenet.nam width {width}")
    assert model.info["playing"] == width
    assert [s["max_value"] for s in model.info["submodels"]] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert model.info["submodels"][width]["parameters"] == nam_reference.slimmed_parameter_count(network, size)


def test_real_slimmable_wavenet_plays_full_width_by_default(nam_reference, guitar):
    path = shared_model(SLIMMABLE_FILE)
    network = nam_reference.reference_wavenet(nam_reference.read(path))
    model = Model.load(path)
    assert model.info["playing"] == 2
    assert_plays_like(streamed(model, guitar), nam_reference.in_memory_output(network, guitar), "slimmable default")


@pytest.mark.parametrize("relative", [
    "NeuralAmpModelerCore/example_models/wavenet_a2_max.nam",  # 0.6.0: every feature, legacy keys, condition_dsp
    "NeuralAmpModelerCore/example_models/wavenet_condition_dsp.nam",  # 0.6.0 A1 arrays with a condition_dsp
])
def test_real_a2_wavenet_matches_nams_forward(relative, nam_reference, guitar):
    path = shared_model(relative)
    doc = nam_reference.read(path)
    network = nam_reference.reference_wavenet(doc)
    model = Model.load(path)
    assert_plays_like(streamed(model, guitar), nam_reference.in_memory_output(network, guitar), relative)
    assert model.info["receptive_field"] == network.receptive_field
    assert model.info["parameters"] == nam_reference.weight_count(doc)
    assert "submodels" not in model.info


# ------------------------------------------------------------------------------------------
# Streaming, reset and size choice

BOSS_A2 = "NeuralAudio/BossWN-a2.nam"


def in_blocks(model, x, block):
    out = np.empty_like(x)
    for i in range(0, len(x), block):
        model.process(x[i:i + block], out=out[i:i + block])
    return out


def stream_cases():
    """An A2 container at each submodel, a slimmable WaveNet at a middle width, and the random
    network with every feature."""
    return [("container", 0.3), ("container", 1.0), ("slimmable", 0.5), ("everything", 1.0)]


def model_for_stream_case(case, size, request, tmp_path):
    """A maker of fresh models for the case (only the random network needs the 'nam' extra)."""
    if case in ("container", "slimmable"):
        path = shared_model(BOSS_A2 if case == "container" else SLIMMABLE_FILE)
        return lambda: Model.load(path, size=size)
    nam_reference = request.getfixturevalue("nam_reference")
    path = nam_reference.export(build_random(nam_reference, case), tmp_path, case)
    return lambda: Model.load(path)


@pytest.mark.parametrize("case,size", stream_cases())
def test_block_size_never_changes_a_sample(case, size, request, guitar, tmp_path):
    make = model_for_stream_case(case, size, request, tmp_path)
    x = guitar[:RATE]
    whole = make().process(x)
    for block in (1, 64, 1000):
        assert np.array_equal(in_blocks(make(), x, block), whole), f"block {block}"


@pytest.mark.parametrize("case,size", stream_cases())
def test_reset_restores_the_initial_state_exactly(case, size, request, guitar, tmp_path):
    model = model_for_stream_case(case, size, request, tmp_path)()
    x = guitar[:RATE // 2]
    first = streamed(model, x)
    model.reset()
    assert np.array_equal(streamed(model, x), first)


def test_size_chooses_the_first_submodel_whose_max_value_reaches_it():
    path = shared_model(BOSS_A2)  # Lite (3 channels) up to 0.5, Full (8) up to 1.0
    playing = {size: Model.load(path, size=size).info["playing"] for size in (0.0, 0.3, 0.5, 0.51, 1.0)}
    assert playing == {0.0: 0, 0.3: 0, 0.5: 0, 0.51: 1, 1.0: 1}
    default = Model.load(path).info
    assert default["playing"] == 1 and default["size"] == 1.0
    assert default["parameters"] == 12146 and default["receptive_field"] == 6347
    assert Model.load(path, size=0.3).info["parameters"] == 1871
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            Model.load(path, size=bad)


def test_boss_a2_at_lite_and_full_sizes_matches_nams_forward(nam_reference, guitar):
    path = shared_model(BOSS_A2)
    text = path.read_text()
    for size, index in ((0.3, 0), (1.0, 1)):
        expected = reference_of_submodel(nam_reference, BOSS_A2, index, guitar)
        model = Model.load(path, size=size)
        assert model.info["playing"] == index
        out = streamed(model, guitar)
        assert_plays_like(out, expected, f"BossWN-a2 at size {size}")
        # The container at that size is that submodel: same samples as the submodel's own file,
        # and from_json takes the size too.
        _, submodel_doc = nam_reference.submodels(json.loads(text))[index]
        assert np.array_equal(streamed(Model.from_json(json.dumps(submodel_doc)), guitar), out)
        assert np.array_equal(streamed(Model.from_json(text, size=size), guitar), out)
