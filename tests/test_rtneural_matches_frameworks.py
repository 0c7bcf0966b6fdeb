"""The core plays RTNeural's Keras-style layer lists (incl. AIDA-X) as their frameworks do.

Ground truth, in order of authority: the vectors the training framework wrote
next to each shared model (TensorFlow for RTNeural's Keras files, PyTorch for
its state_dict files and AIDA-X's input_batch/output_batch), then PyTorch
modules holding the same weights (tests/reference/rtneural.py), which are
themselves checked against the TensorFlow vectors first. Both sides run in
float32 (the conv1d_torch references in float64), so only rounding and the
order of sums differ: 1e-5 absolute is the bar.
"""

import json

import numpy as np
import pytest

from pedal.core import Model, ModelError
from pedal.signals import guitar_like
from tests.support.paths import shared_model

TOLERANCE = 1e-5

KERAS_FILES = ["dense", "conv", "lstm", "lstm_1d", "gru", "gru_1d"]
AIDAX_FILES = ["aida-x/tw40_california_clean_deerinkstudios.json", "NeuralAudio/tw40_blues_deluxe_deerinkstudios.json"]
# RTNeural's Keras test models were trained on inputs up to 10 (dense: 500), far
# beyond a DI signal; guitar audio is scaled to that peak so their layers work.
INPUT_PEAK = {f"RTNeural/models/{name}.json": 10.0 for name in KERAS_FILES + ["full_model"]}
INPUT_PEAK["RTNeural/models/dense.json"] = 500.0
KERAS_STYLE_FILES = ([f"RTNeural/models/{name}.json" for name in KERAS_FILES + ["full_model"]] + AIDAX_FILES +
                     ["bench/lstm40.json", "bench/gru40.json", "bench/conv16x10.json"])


def csv(relative):
    return np.loadtxt(shared_model(relative), delimiter=",", ndmin=1)


def weight_count(doc):
    """What Keras' count_params() reports: every number in every layer's weights."""
    return sum(np.asarray(w, dtype=np.float64).size for layer in doc["layers"] for w in layer.get("weights", []))


def max_error(actual, expected):
    return float(np.max(np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(expected, dtype=np.float64))))


@pytest.fixture(scope="module")
def three_seconds():
    return guitar_like(3.0, rate=48000, seed=3)


# --- the frameworks' own vectors (no PyTorch needed) -------------------------------

@pytest.mark.parametrize("name", KERAS_FILES)
def test_keras_file_matches_tensorflow_vectors(name):
    model = Model.load(shared_model(f"RTNeural/models/{name}.json"))
    x = csv(f"RTNeural/test_data/{name}_x_python.csv").astype(np.float32)
    error = max_error(model.process(x), csv(f"RTNeural/test_data/{name}_y_python.csv"))
    assert error <= TOLERANCE, f"{name}: max abs error {error:.2e}"


@pytest.mark.parametrize("relative", AIDAX_FILES)
def test_aidax_file_matches_its_training_batch(relative):
    doc = json.loads(shared_model(relative).read_text())
    actual = Model.load(shared_model(relative)).process(np.array(doc["input_batch"], dtype=np.float32))
    error = max_error(actual, doc["output_batch"])
    assert error <= TOLERANCE, f"{relative}: max abs error {error:.2e}"


def test_aidax_file_reports_its_metadata():
    info = Model.load(shared_model(AIDAX_FILES[0])).info
    assert (info["format"], info["architecture"], info["sample_rate"]) == ("rtneural", "Sequential", 48000)
    assert info["parameters"] == 685 and info["receptive_field"] == 0  # recurrent: unbounded memory
    assert info["config"] == {"inputs": 1, "layers": [{"type": "lstm", "outputs": 12}, {"type": "dense", "outputs": 1}]}
    metadata = info["metadata"]
    assert metadata["license"] == "CC BY-NC-ND 4.0" and metadata["samplerate"] == "48000"
    assert metadata["esr"] == pytest.approx(0.17783235013484955)
    assert metadata["dialect"] == "aida-x" and metadata["sample_rate_source"] == "metadata.samplerate"
    assert (metadata["in_skip"], metadata["in_gain_db"], metadata["out_gain_db"], metadata["knob_values"]) == (0, 0, 0, [])


# --- the reference itself, pinned to TensorFlow --------------------------------------

@pytest.mark.parametrize("name", KERAS_FILES)
def test_pytorch_rebuild_reproduces_tensorflow_vectors(name, rtneural_reference):
    doc = json.loads(shared_model(f"RTNeural/models/{name}.json").read_text())
    expected = rtneural_reference.from_keras(doc).run(csv(f"RTNeural/test_data/{name}_x_python.csv"))
    # float32 PyTorch vs float32 TensorFlow.
    assert max_error(expected, csv(f"RTNeural/test_data/{name}_y_python.csv")) <= 1e-6


# --- every shared Keras-style model against PyTorch on guitar audio -------------------

@pytest.mark.parametrize("relative", KERAS_STYLE_FILES)
def test_shared_model_matches_pytorch_over_three_seconds(relative, rtneural_reference, three_seconds):
    doc = json.loads(shared_model(relative).read_text())
    x = three_seconds * np.float32(INPUT_PEAK.get(relative, 0.5) / 0.5)
    expected = rtneural_reference.from_keras(doc).run(x)
    model = Model.load(shared_model(relative))
    error = max_error(model.process(x), expected)
    assert error <= TOLERANCE, f"{relative}: max abs error {error:.2e}"
    assert np.max(np.abs(expected - expected.mean())) > 1e-3  # not a comparison of two constants
    assert model.info["parameters"] == weight_count(doc)


# --- RTNeural's PyTorch state_dict files, played through the Keras layout -------------

def torch_network(reference, kind, state):
    """RTNeural's python/{lstm,gru}_torch.py topology: RNN 1->8, RNN 8->8 x3, Linear 8->1."""
    import torch
    module = getattr(torch.nn, kind.upper())
    stack = reference.Stack([(module(1, 8, batch_first=True), ""), (module(8, 8, 3, batch_first=True), ""),
                             (torch.nn.Linear(8, 1), "")])
    names = {kind: "body.0", f"{kind}2": "body.1", "dense": "body.2"}
    stack.load_state_dict({names[k.split(".")[0]] + "." + k.split(".", 1)[1]: torch.tensor(v)
                           for k, v in state.items()})
    return stack


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_torch_state_dict_network_plays_as_pytorch_computed_it(kind, rtneural_reference):
    state = json.loads(shared_model(f"RTNeural/models/{kind}_torch.json").read_text())
    x = csv(f"RTNeural/test_data/{kind}_torch_x_python.csv")
    y = csv(f"RTNeural/test_data/{kind}_torch_y_python.csv")
    stack = torch_network(rtneural_reference, kind, state)
    doc = rtneural_reference.keras_document(stack)
    assert max_error(rtneural_reference.net_of(stack, doc).run(x), y) <= 1e-6  # the topology is RTNeural's
    error = max_error(Model.from_json(json.dumps(doc)).process(x.astype(np.float32)), y)
    assert error <= TOLERANCE, f"{kind}_torch: max abs error {error:.2e}"


@pytest.mark.parametrize("name", ["lstm_torch", "gru_torch", "conv1d_torch", "conv1d_torch_group_6_3_4_10_3"])
def test_bare_state_dict_files_are_refused_for_want_of_a_topology(name):
    with pytest.raises(ModelError, match=r"json: pytorch: a bare PyTorch state_dict .* cannot be played safely"):
        Model.load(shared_model(f"RTNeural/models/{name}.json"))


def test_conv1d_torch_matches_pytorch_on_every_output_channel(rtneural_reference):
    """Conv1d(1 -> 12, K=5, float64): channel c is played by adding a dense layer that picks it."""
    import torch
    state = json.loads(shared_model("RTNeural/models/conv1d_torch.json").read_text())
    conv = torch.nn.Conv1d(1, 12, 5, dtype=torch.float64)
    conv.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()})
    x = csv("RTNeural/test_data/conv1d_torch_x_python.csv")
    y = csv("RTNeural/test_data/conv1d_torch_y_python.csv")  # 12 rows x 996: PyTorch 'valid' outputs
    assert y.shape == (12, 996)
    for channel in range(12):
        pick = {"type": "dense", "activation": "", "shape": [None, None, 1],
                "weights": [[[1.0 if c == channel else 0.0] for c in range(12)], [0.0]]}
        doc = {"in_shape": [None, None, 1], "layers": [rtneural_reference.keras_conv1d(conv), pick]}
        out = Model.from_json(json.dumps(doc)).process(x.astype(np.float32))
        # float32 against the float64 reference; streaming output n + 4 is PyTorch's n.
        assert max_error(out[4:], y[channel]) <= TOLERANCE, f"channel {channel}"


def test_grouped_conv_file_is_the_layer_its_name_says(rtneural_reference):
    """conv1d_torch_group_6_3_4_10_3: Conv1d(6 -> 3, K=4, dilation 10, groups 3); the C++
    self-test plays its six input channels through the core with exactly this reading."""
    import torch
    state = json.loads(shared_model("RTNeural/models/conv1d_torch_group_6_3_4_10_3.json").read_text())
    conv = torch.nn.Conv1d(6, 3, 4, dilation=10, groups=3, dtype=torch.float64)
    conv.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()})
    x = csv("RTNeural/test_data/conv1d_torch_group_x_python.csv")
    with torch.no_grad():
        y = conv(torch.from_numpy(x.T.copy()).unsqueeze(0))[0].numpy()
    assert max_error(y, csv("RTNeural/test_data/conv1d_torch_group_y_python_6_3_4_10_3.csv")) <= 1e-12


# --- random networks built in PyTorch, written in the Keras layout ---------------------

# (id, layers for reference.random_stack, inputs, AIDA-X top-level keys)
RANDOM_SHAPES = [
    ("lstm16", [("lstm", 16, 1), ("dense", 1, "")], 1, {}),
    ("gru12", [("gru", 12, 1), ("dense", 1, "")], 1, {}),
    ("lstm8x2", [("lstm", 8, 2), ("dense", 1, "")], 1, {}),
    ("gru8x2_tanh_head", [("gru", 8, 2), ("dense", 4, "tanh"), ("dense", 1, "")], 1, {}),
    ("dense_gru_lstm", [("dense", 4, "tanh"), ("gru", 6, 1), ("lstm", 5, 1), ("dense", 1, "")], 1, {}),
    ("tcn", [("conv1d", 8, 3, 1, 1, "tanh"), ("conv1d", 8, 3, 4, 1, "tanh"), ("conv1d", 8, 2, 16, 2, "relu"),
             ("dense", 1, "")], 1, {}),
    ("conv_groups", [("dense", 6, ""), ("conv1d", 6, 4, 10, 3, "sigmoid"), ("conv1d", 3, 1, 1, 3, ""),
                     ("dense", 1, "")], 1, {}),
    ("conv_then_gru", [("dense", 8, "tanh"), ("conv1d", 4, 3, 2, 1, "tanh"), ("gru", 8, 1), ("dense", 1, "")], 1, {}),
    ("dense_zoo", [("dense", 8, "elu"), ("batchnorm", True, 1e-3), ("prelu", False), ("dense", 8, "softmax"),
                   ("batchnorm", False, 1e-3), ("prelu", True), ("dense", 4, "relu"), ("dense", 1, "sigmoid")], 1, {}),
    ("aidax_lstm40_knob_skip_gains", [("lstm", 40, 1), ("dense", 1, "")], 2,
     {"in_skip": 1, "in_gain": 6.0, "out_gain": -4.5, "metadata": {"samplerate": "48000"}}),
    ("aidax_gru20_two_knobs", [("gru", 20, 1), ("dense", 1, "")], 3, {"out_gain": 3.0}),
]


@pytest.mark.parametrize("name, layers, inputs, aidax", RANDOM_SHAPES, ids=[s[0] for s in RANDOM_SHAPES])
def test_random_network_matches_pytorch(name, layers, inputs, aidax, rtneural_reference, three_seconds):
    stack = rtneural_reference.random_stack(layers, inputs, seed=len(name))
    doc = rtneural_reference.keras_document(stack, inputs, **aidax)
    expected = rtneural_reference.net_of(stack, doc).run(three_seconds)  # knob inputs at 0, as AIDA-X's defaults
    model = Model.from_json(json.dumps(doc))
    error = max_error(model.process(three_seconds), expected)
    assert error <= TOLERANCE, f"{name}: max abs error {error:.2e}"
    assert np.max(np.abs(expected - expected.mean())) > 1e-3
    assert model.info["parameters"] == weight_count(doc)
    assert model.info["metadata"]["knob_values"] == [0] * (inputs - 1)


def test_in_gain_at_or_below_minus_90_db_is_silence_as_in_aidax():
    doc = json.loads((shared_model(AIDAX_FILES[0])).read_text())
    x = guitar_like(0.2, rate=48000, seed=1)
    silent = Model.from_json(json.dumps({**doc, "in_gain": -90})).process(x)
    assert np.array_equal(silent, Model.load(shared_model(AIDAX_FILES[0])).process(np.zeros_like(x)))


def test_a_top_level_numeric_samplerate_is_read_as_neuralaudio_does():
    doc = json.loads((shared_model(AIDAX_FILES[0])).read_text())
    del doc["metadata"]
    info = Model.from_json(json.dumps({**doc, "samplerate": 44100})).info
    assert info["sample_rate"] == 44100 and info["metadata"]["sample_rate_source"] == "samplerate"
    assert Model.from_json(json.dumps({"in_shape": doc["in_shape"], "layers": doc["layers"]})).sample_rate == 48000
    with pytest.raises(ModelError, match="samplerate .* disagrees with metadata.samplerate"):
        Model.from_json(json.dumps({**doc, "samplerate": 44100, "metadata": {"samplerate": "48000"}}))


def test_committed_golden_vectors_are_pytorchs_output(rtneural_reference):
    """The C++ self-test's RTNeural golden files (csrc/tests/golden) are what PyTorch computes."""
    from tests.support.paths import ROOT
    golden = ROOT / "csrc" / "tests" / "golden"
    names = ["rtneural_conv_gru_lstm", "rtneural_dense_zoo", "aidax_lstm_two_knobs_skip"]
    for name in names:
        doc = json.loads((golden / f"{name}.model.json").read_text())
        io = json.loads((golden / f"{name}.io.json").read_text())
        expected = rtneural_reference.from_keras(doc).run(io["input"])
        assert max_error(io["output"], expected) <= 1e-6, name
