"""Writes the golden vectors of the C++ self-test (csrc/tests/golden/) from PyTorch.

    python tests/reference/make_golden.py

Each case is a small randomly initialised network (<name>.model.json, exported as
its trainer does: PedalNetRT WaveNets, RTNeural/AIDA-X Keras-style layer lists)
and PyTorch's output for a guitar-like input (<name>.io.json: {"input": [...],
"output": [...]}). The self-test runs the same
files natively, under sanitizers and under qemu for ARM, so every target is held
to the framework's numbers. Rerun only when the cases below change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.reference import pedalnet, rtneural  # noqa: E402
from pedal.signals import guitar_like  # noqa: E402

OUT = HERE.parent.parent / "csrc" / "tests" / "golden"
SAMPLES = 2048

# name: (channels, dilation_depth, repeat, kernel, activation, weights as strings?)
CASES = {
    "pedalnet_c4_d4_k3": (4, 4, 1, 3, "gated", True),
    "pedalnet_c3_d2_r2_k2": (3, 2, 2, 2, "gated", True),
    "wavenetva_c5_d3_k4_numbers": (5, 3, 1, 4, "gated", False),
    "wavenetva_c2_d3_softgated": (2, 3, 1, 3, "softgated", False),
}


# name: (layers for rtneural.random_stack, inputs, AIDA-X top-level keys)
RTNEURAL_CASES = {
    "rtneural_conv_gru_lstm": ([("conv1d", 3, 3, 2, 1, "tanh"), ("gru", 4, 1), ("lstm", 3, 1), ("dense", 1, "")], 1, {}),
    "rtneural_dense_zoo": ([("dense", 6, "elu"), ("batchnorm", True, 1e-3), ("prelu", False),
                            ("conv1d", 4, 2, 3, 2, "relu"), ("batchnorm", False, 0.5), ("prelu", True),
                            ("dense", 3, "softmax"), ("dense", 1, "sigmoid")], 1, {}),
    "aidax_lstm_two_knobs_skip": ([("lstm", 5, 1), ("dense", 1, "")], 3,
                                  {"in_skip": 1, "in_gain": -3.0, "out_gain": 2.5,
                                   "metadata": {"name": "golden", "samplerate": "44100"}}),
}

# name: SimpleRNN(...) keyword arguments (CoreAudioML's, as NeuralPi/Proteus files carry them)
PROTEUS_CASES = {
    "proteus_gru_two_layers_knob": dict(input_size=2, unit_type="GRU", hidden_size=6, skip=1, num_layers=2),
    "proteus_lstm_no_skip_no_bias": dict(input_size=1, unit_type="LSTM", hidden_size=5, skip=0, bias_fl=False),
}


def write_case(name: str, doc: dict, x, y) -> None:
    (OUT / f"{name}.model.json").write_text(json.dumps(doc))
    io = {"input": [float(v) for v in x], "output": [float(v) for v in y]}
    (OUT / f"{name}.io.json").write_text(json.dumps(io))
    print(f"{name}: {len(x)} samples, output peak {abs(y).max():.3f}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    x = guitar_like(SAMPLES / 44100, rate=44100, seed=7)
    for seed, (name, (channels, depth, repeat, kernel, activation, strings)) in enumerate(CASES.items()):
        model = pedalnet.random_model(channels, depth, repeat, kernel, seed=seed, activation=activation)
        doc = pedalnet.to_json(model)
        if not strings:
            for variable in doc["variables"]:
                variable["data"] = [float(v) for v in variable["data"]]
        write_case(name, doc, x, pedalnet.from_json(doc).run(x))
    for seed, (name, (layers, inputs, aidax)) in enumerate(RTNEURAL_CASES.items()):
        stack = rtneural.random_stack(layers, inputs, seed=100 + seed)
        doc = rtneural.keras_document(stack, inputs, **aidax)
        write_case(name, doc, x, rtneural.net_of(stack, doc).run(x))
    for seed, (name, arguments) in enumerate(PROTEUS_CASES.items()):
        rtneural.torch.manual_seed(200 + seed)
        model = rtneural.SimpleRNN(**arguments)
        write_case(name, model.to_json(), x, model.run(x))


if __name__ == "__main__":
    main()
