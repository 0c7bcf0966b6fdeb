"""Every broken or hostile .nam file is refused with its own one-line reason.

Each row: a name, the file's bytes, and words the message must contain (what was wrong and
where). None may crash the process, load, or play something other than what NAM would.
"""

import copy
import json
import math

import pytest

from pedal.core import Model, ModelError
from tests.support.refusals import assert_refused


def weights(count, last=0.3):
    values = [0.5 * math.sin(1.7 * i + 0.3) for i in range(count)]
    values[-1] = last
    return values


# Two chained arrays (gated Tanh, 3 channels, head 2; then LeakyReLU, 2 channels, head 1):
# the same network as csrc/tests/nam_fixtures.h, 197 weights.
VALID_WAVENET = {
    "version": "0.5.4",
    "architecture": "WaveNet",
    "config": {
        "layers": [
            {"input_size": 1, "condition_size": 1, "channels": 3, "head_size": 2, "kernel_size": 3,
             "dilations": [1, 2], "activation": "Tanh", "gated": True, "head_bias": False},
            {"input_size": 3, "condition_size": 1, "channels": 2, "head_size": 1, "kernel_size": 3,
             "dilations": [4], "activation": {"type": "LeakyReLU", "negative_slope": 0.2}, "gated": False,
             "head_bias": True},
        ],
        "head": None,
        "head_scale": 0.3,
    },
    "weights": weights(197),
    "sample_rate": 48000,
    "metadata": {"loudness": -12.0, "name": "test"},
}

VALID_LSTM = {
    "version": "0.5.4",
    "architecture": "LSTM",
    "config": {"input_size": 1, "hidden_size": 3, "num_layers": 2},
    "weights": weights(160, 0.1),
    "sample_rate": 48000,
}


def edit(base, change):
    d = copy.deepcopy(base)
    change(d)
    return json.dumps(d).encode()


def wavenet(change):
    return edit(VALID_WAVENET, change)


def lstm(change):
    return edit(VALID_LSTM, change)


def layer(index, **values):
    return lambda d: d["config"]["layers"][index].update(values)


def config(**values):
    return lambda d: d["config"].update(values)


def top(**values):
    return lambda d: d.update(values)


def drop(key):
    return lambda d: d.pop(key)


def set_weight(index, value):
    return lambda d: d["weights"].__setitem__(index, value)


def head_object(**head):
    """Array 1's head in the 0.7 spelling."""
    def change(d):
        array = d["config"]["layers"][1]
        del array["head_size"], array["head_bias"]
        array["head"] = {"out_channels": 1, **head}
    return change


def kernel_list(kernels):
    def change(d):
        del d["config"]["layers"][0]["kernel_size"]
        d["config"]["layers"][0]["kernel_sizes"] = kernels
    return change


def film_first_layer(d):
    d["version"] = "0.7.0"
    d["config"]["layers"][0]["conv_pre_film"] = {"active": True, "shift": True, "groups": 1}


def huge_compute(d):
    """Within the memory bounds, but 4 million weights run over 60,000 samples of prewarm."""
    d["config"]["layers"][0].update(channels=64, kernel_size=64, dilations=[64] * 15)
    d["config"]["layers"][1].update(input_size=64)


def absurd_history(d):
    d["config"]["layers"][0].update(kernel_size=64, dilations=[65536] * 8)


CASES = [
    # The file's header
    ("missing version", wavenet(drop("version")), ['nam: ', 'missing key "version"']),
    ("version as a number", wavenet(top(version=0.5)), ["version (line 1", "expected a string, got number"]),
    ("version of two parts", wavenet(top(version="0.5")), ['"0.5" is not a MAJOR.MINOR.PATCH version']),
    ("version with a suffix", wavenet(top(version="0.5.4-beta")), ['"0.5.4-beta" is not a MAJOR.MINOR.PATCH']),
    ("version too new", wavenet(top(version="0.8.0")),
     ["unsupported nam file version 0.8.0", "supported: 0.5.x, 0.6.x, 0.7.x"]),
    ("version too old", wavenet(top(version="0.4.2")), ["unsupported nam file version 0.4.2"]),
    ("missing config", wavenet(drop("config")), ['missing key "config"']),
    ("missing weights", wavenet(drop("weights")), ['missing key "weights"']),
    ("sample rate as text", wavenet(top(sample_rate="48000")), ["sample_rate", "expected a number, got string"]),
    ("sample rate of zero", wavenet(top(sample_rate=0)), ["sample_rate", "between 8000 and 768000"]),
    ("loudness as text", wavenet(top(metadata={"loudness": "-12 dB"})),
     ["metadata.loudness", "expected a number, got string"]),
    ("gear name as a number", wavenet(top(metadata={"gear_model": 5150})),
     ["metadata.gear_model", "expected a string or null"]),
    # Architectures beyond what is played
    ("ConvNet", wavenet(top(architecture="ConvNet")), ["unsupported nam architecture 'ConvNet'"]),
    # A2 (0.7) layer features, each in a shape that cannot be computed
    ("groups that do not divide the channels", wavenet(layer(0, groups_input=2)),
     ["config.layers[0].groups_input", "2 groups do not divide channels (3)"]),
    ("mixin groups that do not divide the condition", wavenet(layer(0, groups_input_mixin=2)),
     ["config.layers[0].groups_input_mixin", "2 groups do not divide condition_size (1)"]),
    ("layer1x1 groups that do not divide", wavenet(layer(0, layer1x1={"active": True, "groups": 2})),
     ["config.layers[0].layer1x1.groups", "2 groups do not divide bottleneck (3)"]),
    ("head1x1 groups that do not divide", wavenet(layer(1, head1x1={"active": True, "out_channels": 3, "groups": 3})),
     ["config.layers[1].head1x1.groups", "3 groups do not divide bottleneck (2)"]),
    ("FiLM groups that do not divide", wavenet(layer(0, conv_pre_film={"active": True, "shift": True, "groups": 2})),
     ["config.layers[0].conv_pre_film.groups", "2 groups do not divide condition_size (1)"]),
    ("bottleneck other than channels without a layer1x1",
     wavenet(layer(0, bottleneck=4, layer1x1={"active": False, "groups": 1})),
     ["config.layers[0].layer1x1.active", "bottleneck (4) must equal channels (3)"]),
    ("FiLM after an inactive head1x1", wavenet(layer(1, head1x1_post_film={"active": True})),
     ["config.layers[1].head1x1_post_film", "needs an active head1x1"]),
    ("unknown gating mode", wavenet(layer(0, gating_mode="mixed", gated=False)),
     ["config.layers[0].gating_mode", 'unknown gating_mode; expected "none", "gated" or "blended"']),
    ("unknown secondary activation", wavenet(layer(0, secondary_activation="Swish")),
     ["config.layers[0].secondary_activation", "unsupported nam activation \"Swish\""]),
    ("gated contradicts gating_mode", wavenet(layer(0, gating_mode=["none", "none"])),
     ["config.layers[0].gated", "contradicts gating_mode"]),
    ("slimmable of another method", wavenet(layer(0, slimmable={"method": "prune", "kwargs": {}})),
     ["config.layers[0].slimmable.method", "unknown method; supported: slice_channels_uniform"]),
    ("slimmable in a network of two arrays",
     wavenet(layer(0, slimmable={"method": "slice_channels_uniform", "kwargs": {}})),
     ["config.layers[0].slimmable", "only in a network of one array"]),
    ("condition_dsp that is not a model", wavenet(config(condition_dsp={"layers": []})),
     ["config.condition_dsp", "expected a .nam WaveNet document"]),
    ("condition_dsp at another rate", wavenet(config(condition_dsp={**copy.deepcopy(VALID_WAVENET), "sample_rate": 44100})),
     ["config.condition_dsp.sample_rate", "runs at 44100 Hz but the model at 48000 Hz"]),
    # A FiLM before layer 0's conv (scale and shift rows for 3 channels, from the
    # 1-channel condition: 6 weights + 6 biases, in each of its 2 layers) needs 197 + 24.
    ("A2 weights one short", wavenet(lambda d: (film_first_layer(d), d.update(weights=weights(220)))),
     ["weights (line 1", "has 220 weights; the WaveNet config (2 layer arrays) needs 221"]),
    ("A2 weights one too many", wavenet(lambda d: (film_first_layer(d), d.update(weights=weights(222)))),
     ["weights (line 1", "has 222 weights; the WaveNet config (2 layer arrays) needs 221"]),
    ("post-stack head to two channels",
     wavenet(config(head={"channels": 2, "out_channels": 2, "kernel_sizes": [1], "activation": "Tanh"})),
     ["config.head.out_channels", "the network's output must be 1 channel"]),
    ("head given twice", wavenet(layer(1, head={"out_channels": 1, "kernel_size": 1, "bias": True})),
     ["config.layers[1].head", "give head or head_size/head_bias, not both"]),
    ("dilated head", wavenet(head_object(kernel_size=2, bias=True, head_dilation=2)),
     ["config.layers[1].head.head_dilation", "a dilated head is not supported"]),
    ("unknown layer key", wavenet(layer(1, film=True)), ["config.layers[1].film", "unknown key"]),
    ("stereo condition", wavenet(layer(0, condition_size=2)),
     ["config.layers[0].condition_size", "2 must equal 1 (the mono input)"]),
    # Shapes
    ("a billion channels", wavenet(layer(0, channels=10 ** 9)),
     ["config.layers[0].channels", "1..256", "1000000000"]),
    ("absurd dilations", wavenet(absurd_history), ["config.layers", "MiB of history; the limit is 64 MiB"]),
    ("too big to prewarm", wavenet(huge_compute),
     ["config.layers", "too big to prewarm", "samples of silence is over the limit of 2147483648 multiply-adds"]),
    ("negative dilation", wavenet(layer(0, dilations=[1, -2])), ["config.layers[0].dilations[1]", "got -2"]),
    ("no layers in an array", wavenet(layer(1, dilations=[])), ["config.layers[1].dilations", "got 0"]),
    ("channels differ from the previous head", wavenet(layer(1, channels=3)),
     ["config.layers[1].channels", "3 must equal 2, the head size of config.layers[0]"]),
    ("input differs from the previous channels", wavenet(layer(1, input_size=5)),
     ["config.layers[1].input_size", "5 must equal 3, the channels of config.layers[0]"]),
    ("stereo output", wavenet(layer(1, head_size=2)),
     ["config.layers[1] (line", "the network's output must be 1 channel (the mono output), got 2"]),
    ("kernel twice", wavenet(layer(0, kernel_sizes=[3, 3])), ["config.layers[0]", "kernel_size or kernel_sizes"]),
    ("kernel list too short", wavenet(kernel_list([3])),
     ["config.layers[0].kernel_sizes", "one entry per layer (2), got 1"]),
    ("unknown activation", wavenet(layer(0, activation="Swish")),
     ['unsupported nam activation "Swish"', "supported: Tanh, Hardtanh, Fasttanh"]),
    ("activation in lower case", wavenet(layer(0, activation="tanh")), ['unsupported nam activation "tanh"']),
    ("activation parameter unknown", wavenet(layer(1, activation={"type": "LeakyReLU", "alpha": 0.2})),
     ["config.layers[1].activation.alpha", "unknown key"]),
    ("PReLU slopes for the wrong width", wavenet(layer(1, activation={"type": "PReLU", "negative_slopes": [0.1] * 3})),
     ["config.layers[1].activation.negative_slopes", "1 or 2 slopes"]),
    ("Hardtanh upside down", wavenet(layer(1, activation={"type": "Hardtanh", "min_val": 1, "max_val": -1})),
     ["config.layers[1].activation", "min_val must be below max_val"]),
    # Weights
    ("weights not a list", wavenet(top(weights={"w": 1})), ["weights", "expected an array of weights, got object"]),
    ("weight is a word", wavenet(set_weight(3, "abc")), ["weights[3]", 'weight "abc" is not a finite decimal']),
    ("NaN weight as a string", wavenet(set_weight(17, "NaN")), ["weights[17]", 'weight "NaN" is not a finite']),
    ("weight of the wrong type", wavenet(set_weight(5, True)), ["weights[5]", "expected a number, got boolean"]),
    ("weight beyond float32", wavenet(set_weight(6, 1e39)), ["weights[6]", "outside the float32 range"]),
    ("one weight too few", wavenet(lambda d: d["weights"].pop()),
     ["has 196 weights; the WaveNet config (2 layer arrays) needs 197"]),
    ("one weight too many", wavenet(lambda d: d["weights"].append(0.0)),
     ["has 198 weights; the WaveNet config (2 layer arrays) needs 197"]),
    # LSTM
    ("LSTM without units", lstm(config(hidden_size=0)), ["config.hidden_size", "1..1024", "got 0"]),
    ("LSTM of a million units", lstm(config(hidden_size=10 ** 6)), ["config.hidden_size", "got 1000000"]),
    ("LSTM with negative layers", lstm(config(num_layers=-1)), ["config.num_layers", "got -1"]),
    ("LSTM on two inputs", lstm(config(input_size=2)), ["config.input_size", "only 1 (the mono input)"]),
    ("LSTM option unknown", lstm(config(bidirectional=True)), ["config.bidirectional", "unknown key"]),
    ("LSTM weights short", lstm(lambda d: d["weights"].pop()), ["has 159 weights; the LSTM config (2 x 3) needs 160"]),
]


def test_the_table_has_at_least_ten_distinct_cases():
    assert len(CASES) >= 10
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("name, data, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_nam_file_is_refused_with_a_specific_message(name, data, fragments):
    assert assert_refused(name, data, fragments).startswith("nam: ")


def test_every_bad_nam_file_gets_a_different_message():
    messages = []
    for _, data, _ in CASES:
        with pytest.raises(ModelError) as caught:
            Model.from_json(data)
        messages.append(str(caught.value))
    assert len(set(messages)) == len(messages)


@pytest.mark.parametrize("base", [VALID_WAVENET, VALID_LSTM], ids=["wavenet", "lstm"])
def test_the_unchanged_base_documents_load(base):
    info = Model.from_json(json.dumps(base)).info
    assert info["format"] == "nam"
    assert info["parameters"] == len(base["weights"])


def test_07_spelling_of_a1_defaults_is_accepted():
    """A 0.7 file may spell out every A1 default; those values are not refusals."""
    def spell_out(d):
        d["version"] = "0.7.0"
        for array in d["config"]["layers"]:
            array.update(bottleneck=array["channels"], groups_input=1, groups_input_mixin=1,
                         layer1x1={"active": True, "groups": 1},
                         head1x1={"active": False, "out_channels": 1, "groups": 1},
                         conv_pre_film={"active": False, "shift": True, "groups": 1}, input_mixin_post_film=False,
                         slimmable=None, head={"out_channels": array.pop("head_size"), "kernel_size": 1,
                                               "bias": array.pop("head_bias")})
    spelled = Model.from_json(wavenet(spell_out))
    assert spelled.info["parameters"] == 197
