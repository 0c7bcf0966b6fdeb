"""Every broken or hostile RTNeural-family file is refused with its own one-line reason.

Each row: a name, the file's bytes, and words the message must contain (what was
wrong, where, and what was expected against what was found). None may crash
the process, load, or play something other than what the file describes.
"""

import copy
import json

import pytest

from pedal.core import Model, ModelError
from tests.support.paths import ROOT
from tests.support.refusals import assert_distinct_messages, assert_refused

GOLDEN = ROOT / "csrc" / "tests" / "golden"
# conv1d 1->3 (K=3, d=2, tanh), gru 3->4, lstm 4->3, dense 3->1
KERAS = json.loads((GOLDEN / "rtneural_conv_gru_lstm.model.json").read_text())
# dense 1->6 elu, batchnorm, prelu, conv1d 6->4 (K=2, d=3, groups 2, relu), batchnorm, prelu (shared), dense, dense
ZOO = json.loads((GOLDEN / "rtneural_dense_zoo.model.json").read_text())
# CoreAudioML SimpleRNN: GRU, input_size 2, hidden 6, 2 layers, skip 1
SIMPLE_RNN = json.loads((GOLDEN / "proteus_gru_two_layers_knob.model.json").read_text())


def doc(base, change=None, **top_level):
    """A valid small model with some changes, as bytes."""
    d = copy.deepcopy(base)
    d.update(top_level)
    if change:
        change(d)
    return json.dumps(d).encode()


def layer(n, **fields):
    return lambda d: d["layers"][n].update(fields)


def weights(n, i, value):
    return lambda d: d["layers"][n]["weights"].__setitem__(i, value)


def model_data(**fields):
    return lambda d: d["model_data"].update(fields)


def ragged(d):
    d["layers"][2]["weights"][1][1].pop()  # lstm recurrent kernel row 1: 11 of 12


def nan_string(d):
    d["layers"][3]["weights"][0][2][0] = "NaN"


def extra_simple_rnn_layer(d):
    d["model_data"]["num_layers"] = 1  # the file still holds the _l1 tensors


CASES = [
    ("conv2d layer", doc(KERAS, layer(1, type="conv2d")),
     ["rtneural: layers[1].type", "unsupported layer type 'conv2d' at layer 1",
      "supported: dense, time-distributed-dense, conv1d, lstm, gru, prelu, batchnorm, activation"]),
    ("unknown layer type", doc(KERAS, layer(3, type="attention")), ["unsupported layer type 'attention' at layer 3"]),
    ("conv2d in_shape", doc(KERAS, in_shape=[None, 100, 8, 1]),
     ["in_shape", "4 elements describe a conv2d model", "supported: 1-D models"]),
    ("unknown activation", doc(KERAS, layer(3, activation="swish")),
     ["layers[3].activation", "unsupported activation 'swish'", 'supported: "" (linear), tanh, relu, sigmoid, softmax, elu']),
    ("lstm with a relu cell", doc(KERAS, layer(2, activation="relu")),
     ["layers[2].activation", "an lstm layer with cell activation 'relu' is not supported"]),
    ("activation on a prelu", doc(ZOO, layer(2, activation="tanh")),
     ["layers[2].activation", "a prelu layer takes no activation (RTNeural skips it), got 'tanh'"]),
    ("activation not a string", doc(KERAS, layer(0, activation=1)), ["layers[0].activation", "expected a string, got number"]),
    ("layer not an object", doc(KERAS, lambda d: d["layers"].__setitem__(1, 7)), ["layers[1]", "expected a layer object, got number"]),
    ("no layers", doc(KERAS, layers=[]), ["layers", "expected 1..64 layers, got 0"]),
    ("missing weights", doc(KERAS, lambda d: d["layers"][2].pop("weights")), ["layers[2]", 'missing key "weights"']),
    ("lstm with two weight arrays", doc(KERAS, lambda d: d["layers"][2]["weights"].pop()),
     ["layers[2].weights", "an lstm layer needs 3 arrays (kernel, recurrent kernel, bias), got 2"]),
    ("mismatched shapes between layers", doc(KERAS, weights(3, 0, [[0.1], [0.2], [0.3], [0.4]])),
     ["layers[3].weights[0]", "has 4 entries; dense kernel (inputs, outputs) = (3, 1) needs 3"]),
    ("declared size contradicts the weights", doc(KERAS, layer(1, shape=[None, None, 5])),
     ["layers[1].weights[0][0]", "has 12 entries; gru kernel (inputs, 3*units) = (3, 15) needs 15 at this depth"]),
    ("conv kernel of the wrong tap count", doc(KERAS, layer(0, kernel_size=[4])),
     ["layers[0].weights[0]", "has 3 entries; conv1d kernel (taps, inputs/groups, outputs) = (4, 1, 3) needs 4"]),
    ("ragged nested arrays", doc(KERAS, ragged),
     ["layers[2].weights[1][1]", "has 11 entries; lstm recurrent kernel (units, 4*units) = (3, 12) needs 12 at this depth"]),
    ("NaN as a string", doc(KERAS, nan_string),
     ["layers[3].weights[0][2][0]", 'expected a number in dense kernel (inputs, outputs) = (3, 1), got string "NaN"']),
    ("weight beyond float32", doc(KERAS, lambda d: d["layers"][3]["weights"][1].__setitem__(0, 1e39)),
     ["layers[3].weights[1][0]", "weight is outside the float32 range"]),
    ("a billion hidden units", doc(KERAS, layer(2, shape=[None, None, 10**9])),
     ["layers[2].shape[2]", "expected an integer in 1..1024, got 1000000000"]),
    ("absurd history", doc(KERAS, layer(0, kernel_size=[256], dilation=[65536]), in_shape=[None, None, 3]),
     ["layers[0].dilation", "MiB of history; the limit is 64 MiB"]),
    ("groups that do not divide", doc(ZOO, layer(3, groups=4)),
     ["layers[3].groups", "groups 4 must divide both the input width 6 and the output width 4"]),
    ("Keras reset_after=False GRU", doc(KERAS, weights(1, 2, [0.0] * 12)),
     ["layers[1].weights[2]", "reset_after=False", "supported: reset_after=True (bias of shape (2, 3*units))"]),
    ("batchnorm with three arrays", doc(ZOO, lambda d: d["layers"][1]["weights"].pop(0)),
     ["layers[1].weights", "needs 4 arrays (gamma, beta, mean, variance) or 2 (mean, variance), got 3"]),
    ("negative variance", doc(ZOO, lambda d: d["layers"][4]["weights"][1].__setitem__(2, -1.0)),
     ["layers[4].weights[1][2]", "moving variance + epsilon must be > 0"]),
    ("prelu alpha per time step", doc(ZOO, weights(2, 0, [[0.25] * 6] * 100)),
     ["layers[2].weights[0]", "has 100 entries; prelu alpha (1, channels or 1) = (1, 6) needs 1"]),
    ("activation layer with weights", doc(ZOO, lambda d: d["layers"].insert(1, {
        "type": "activation", "activation": "tanh", "shape": [None, None, 6], "weights": [[1.0]]})),
     ["layers[1].weights", "an activation layer has no weights"]),
    ("in_shape not an array", doc(KERAS, in_shape="[null, null, 1]"), ["in_shape", "expected an array, got string"]),
    ("six inputs", doc(KERAS, in_shape=[None, None, 6]),
     ["in_shape[2]", "an input vector of 6 values; the pedal feeds mono audio plus at most 2 knob values"]),
    ("in_skip 2", doc(KERAS, in_skip=2), ["in_skip", "expected an integer in 0..1, got 2"]),
    ("in_gain as text", doc(KERAS, in_gain="6 dB"), ["in_gain", "expected a gain in dB (a number up to 120)"]),
    ("sample rate that is not one", doc(KERAS, metadata={"samplerate": "48k"}),
     ["metadata.samplerate", 'expected a sample rate in Hz (8000..384000), such as "48000"']),
    ("metadata not an object", doc(KERAS, metadata="AIDA-X"), ["metadata", "expected an object, got string"]),
    ("SimpleRNN hidden_size contradicting its tensors", doc(SIMPLE_RNN, model_data(hidden_size=5)),
     ["proteus: state_dict.rec.weight_ih_l0", "has 18 entries; GRU weight_ih (3*hidden_size, input_size) = (15, 2) needs 15"]),
    ("SimpleRNN unit_type unknown", doc(SIMPLE_RNN, model_data(unit_type="RNN")),
     ["model_data.unit_type", "unsupported unit_type 'RNN'; supported: LSTM, GRU"]),
    ("SimpleRNN of another architecture", doc(SIMPLE_RNN, model_data(model="RecNet")),
     ["proteus: unsupported proteus architecture 'RecNet'; supported: SimpleRNN"]),
    ("SimpleRNN skip 2", doc(SIMPLE_RNN, model_data(skip=2)), ["model_data.skip", "expected an integer in 0..1, got 2"]),
    ("SimpleRNN with four inputs", doc(SIMPLE_RNN, model_data(input_size=4)),
     ["model_data.input_size", "an input vector of 4 values; the pedal feeds mono audio plus at most 2 knob values"]),
    ("SimpleRNN tensors of an undeclared layer", doc(SIMPLE_RNN, extra_simple_rnn_layer),
     ['state_dict.rec.weight_ih_l1', 'unexpected tensor "rec.weight_ih_l1" for a 1-layer GRU SimpleRNN']),
    ("SimpleRNN missing its linear bias", doc(SIMPLE_RNN, lambda d: d["state_dict"].pop("lin.bias")),
     ["state_dict", 'missing key "lin.bias"']),
    ("SimpleRNN a billion hidden units", doc(SIMPLE_RNN, model_data(hidden_size=10**9)),
     ["model_data.hidden_size", "expected an integer in 1..1024, got 1000000000"]),
    ("SimpleRNN model_data not an object", doc(SIMPLE_RNN, model_data=[1]), ["model_data", "expected an object, got array"]),
    ("bare PyTorch state_dict", json.dumps({"lstm.weight_ih_l0": [[0.1]] * 4, "lstm.weight_hh_l0": [[0.1]] * 4,
                                            "lstm.bias_ih_l0": [0.0] * 4, "lstm.bias_hh_l0": [0.0] * 4,
                                            "dense.weight": [[1.0]], "dense.bias": [0.0]}).encode(),
     ["pytorch: a bare PyTorch state_dict", '"lstm.weight_ih_l0"', "cannot be played safely",
      "export it as RTNeural Keras-style json"]),
]


def test_the_table_is_at_least_ten_distinct_cases():
    assert len(CASES) >= 10
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("name, data, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_rtneural_family_file_is_refused_with_a_specific_message(name, data, fragments):
    assert_refused(name, data, fragments)


def test_every_bad_file_gets_a_different_message():
    assert_distinct_messages(CASES)


def test_the_unchanged_base_documents_load():
    assert Model.from_json(doc(KERAS)).info["format"] == "rtneural"
    assert Model.from_json(doc(ZOO)).info["format"] == "rtneural"
    assert Model.from_json(doc(SIMPLE_RNN)).info["format"] == "proteus"


def test_a_json_that_only_looks_like_weights_is_not_taken_for_a_state_dict():
    with pytest.raises(ModelError, match="unrecognised model file"):
        Model.from_json(json.dumps({"weights": [1, 2], "gain": [3]}))
