"""RTNeural-family networks rebuilt from torch.nn layers: the ground truth for our core.

Three pieces, each written from the exporter or player it stands for:

- ``from_keras(doc)`` reads a Keras-style document (spec dialect A, incl. AIDA-X)
  into ``KerasStyleNet``: nn.Linear / nn.Conv1d / nn.LSTM / nn.GRU / nn.PReLU /
  nn.BatchNorm1d holding the file's weights, with AIDA-X's gains and skip around
  them. Its output on RTNeural's TensorFlow-made test vectors pins every
  transposition below to TensorFlow (tests/test_rtneural_matches_frameworks.py).
- ``keras_*`` go the other way, torch module -> Keras layout, as RTNeural's
  ``model_utils.py`` and AIDA-X's ``modelToKeras.py`` write it (kernel = weightᵀ,
  LSTM bias = bias_ih + bias_hh, GRU gate blocks r,z,n -> z,r,h with the two
  biases kept as two rows). ``Stack`` runs such modules in PyTorch, so a random
  network's truth is PyTorch's own forward pass.
- ``SimpleRNN`` is CoreAudioML's SimpleRNN (dialect C, NeuralPi/Proteus): the
  recurrent unit and the linear layer are loaded with ``load_state_dict``
  straight from the file, no conversion of ours in between.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = {
    "": lambda v: v,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,  # alpha 1
    "softmax": lambda v: torch.softmax(v, dim=-1),  # across channels, as Keras on (batch, time, channels)
}


def _tensor(values, dtype=torch.float32) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.float64), dtype=dtype)


def _keras_to_torch_gates(blocks: torch.Tensor, hidden: int) -> torch.Tensor:
    """Keras GRU column blocks z, r, h (along dim 0 once transposed) -> PyTorch rows r, z, n."""
    z, r, h = blocks[:hidden], blocks[hidden:2 * hidden], blocks[2 * hidden:]
    return torch.cat([r, z, h])


def _torch_to_keras_gates(rows: torch.Tensor, hidden: int) -> torch.Tensor:
    r, z, n = rows[:hidden], rows[hidden:2 * hidden], rows[2 * hidden:]
    return torch.cat([z, r, n])


class CausalConv1d(nn.Conv1d):
    """nn.Conv1d made causal by (K-1)*d zeros on the left: Keras' padding='causal'."""

    def forward(self, x):  # x: (batch, channels, time)
        left = (self.kernel_size[0] - 1) * self.dilation[0]
        return super().forward(F.pad(x, (left, 0)))


class Stack(nn.Module):
    """Layers applied in order to (batch, time, channels); each entry (module, activation)."""

    def __init__(self, entries: list[tuple[nn.Module | None, str]]):
        super().__init__()
        self.entries = entries
        self.body = nn.ModuleList(m for m, _ in entries if m is not None)

    def forward(self, x):
        for module, activation in self.entries:
            if isinstance(module, (nn.LSTM, nn.GRU)):
                x, _ = module(x)
            elif isinstance(module, (nn.Conv1d, nn.PReLU, nn.BatchNorm1d)):
                x = module(x.transpose(1, 2)).transpose(1, 2)  # these want (batch, channels, time)
            elif module is not None:
                x = module(x)
            x = ACTIVATIONS[activation](x)
        return x


class KerasStyleNet(nn.Module):
    """A dialect A network and AIDA-X's processing around it (spec §1.4)."""

    def __init__(self, stack: Stack, inputs: int = 1, in_skip: int = 0, in_gain_db: float = 0.0,
                 out_gain_db: float = 0.0):
        super().__init__()
        self.stack, self.inputs, self.in_skip = stack, inputs, in_skip
        self.in_gain = 0.0 if in_gain_db <= -90 else 10 ** (in_gain_db / 20)
        self.out_gain = 0.0 if out_gain_db <= -90 else 10 ** (out_gain_db / 20)

    def run(self, samples, knobs=None, dtype=torch.float32) -> np.ndarray:
        """Whole-signal forward of 1-D audio; knob inputs held at ``knobs`` (default 0, as AIDA-X's)."""
        knobs = [0.0] * (self.inputs - 1) if knobs is None else list(knobs)
        with torch.no_grad():
            a = torch.from_numpy(np.asarray(samples, dtype=np.float64)).to(dtype) * torch.tensor(self.in_gain, dtype=dtype)
            columns = [a] + [torch.full_like(a, k) for k in knobs]
            y = self.stack.to(dtype)(torch.stack(columns, dim=-1).unsqueeze(0))[0, :, 0]
            if self.in_skip:
                y = y + a
            y = y * torch.tensor(self.out_gain, dtype=dtype)
        return y.numpy().astype(np.float32)


def from_keras(doc: dict, dtype=torch.float32) -> KerasStyleNet:
    """Builds the torch network a Keras-style document describes, with its weights."""
    width = doc["in_shape"][-1]
    entries: list[tuple[nn.Module | None, str]] = []
    for layer in doc["layers"]:
        kind, weights = layer["type"], layer.get("weights", [])
        activation = layer.get("activation", "")
        out = layer["shape"][-1]
        module: nn.Module | None
        if kind in ("dense", "time-distributed-dense"):
            module = nn.Linear(width, out, bias=len(weights) > 1)
            module.weight.data = _tensor(weights[0], dtype).T.contiguous()
            if len(weights) > 1:
                module.bias.data = _tensor(weights[1], dtype)
        elif kind == "conv1d":
            kernel = np.asarray(weights[0])
            groups = layer.get("groups", 1)
            module = CausalConv1d(width, out, kernel.shape[0], dilation=layer["dilation"][-1], groups=groups)
            module.weight.data = _tensor(kernel, dtype).permute(2, 1, 0).contiguous()  # (K, in/g, out) -> (out, in/g, K)
            module.bias.data = _tensor(weights[1], dtype)
        elif kind == "lstm":
            module = nn.LSTM(width, out, batch_first=True)
            module.weight_ih_l0.data = _tensor(weights[0], dtype).T.contiguous()
            module.weight_hh_l0.data = _tensor(weights[1], dtype).T.contiguous()
            module.bias_ih_l0.data = _tensor(weights[2], dtype)
            module.bias_hh_l0.data = torch.zeros(4 * out, dtype=dtype)
            activation = ""  # the cell's own tanh, not a layer after it
        elif kind == "gru":
            module = nn.GRU(width, out, batch_first=True)
            bias = _tensor(weights[2], dtype)
            module.weight_ih_l0.data = _keras_to_torch_gates(_tensor(weights[0], dtype).T, out).contiguous()
            module.weight_hh_l0.data = _keras_to_torch_gates(_tensor(weights[1], dtype).T, out).contiguous()
            module.bias_ih_l0.data = _keras_to_torch_gates(bias[0], out)
            module.bias_hh_l0.data = _keras_to_torch_gates(bias[1], out)
            activation = ""
        elif kind == "prelu":
            alpha = _tensor(weights[0], dtype)[0]
            module = nn.PReLU(num_parameters=len(alpha))
            module.weight.data = alpha
        elif kind == "batchnorm":
            affine = len(weights) == 4
            module = nn.BatchNorm1d(width, eps=layer["epsilon"], affine=affine).eval()
            if affine:
                module.weight.data, module.bias.data = _tensor(weights[0], dtype), _tensor(weights[1], dtype)
            module.running_mean.data, module.running_var.data = _tensor(weights[-2], dtype), _tensor(weights[-1], dtype)
        elif kind == "activation":
            module = None
        else:
            raise ValueError(f"no torch rebuild for layer type {kind!r}")
        entries.append((module, activation))
        width = out
    return KerasStyleNet(Stack(entries).to(dtype), inputs=doc["in_shape"][-1], in_skip=doc.get("in_skip", 0),
                         in_gain_db=doc.get("in_gain", 0.0), out_gain_db=doc.get("out_gain", 0.0))


# --- torch modules -> Keras layout (what the exporters write) ---------------------

def _floats(tensor: torch.Tensor):
    return tensor.detach().to(torch.float64).tolist()


def keras_dense(linear: nn.Linear, activation: str = "") -> dict:
    weights = [_floats(linear.weight.T)]
    if linear.bias is not None:
        weights.append(_floats(linear.bias))
    return {"type": "dense", "activation": activation, "shape": [None, None, linear.out_features], "weights": weights}


def keras_conv1d(conv: nn.Conv1d, activation: str = "") -> dict:
    return {"type": "conv1d", "activation": activation, "shape": [None, None, conv.out_channels],
            "kernel_size": [conv.kernel_size[0]], "dilation": [conv.dilation[0]], "groups": conv.groups,
            "weights": [_floats(conv.weight.permute(2, 1, 0)), _floats(conv.bias)]}


def keras_lstm(lstm: nn.LSTM, layer: int = 0) -> dict:
    w_ih, w_hh = getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}")
    bias = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
    return {"type": "lstm", "activation": "tanh", "shape": [None, None, lstm.hidden_size],
            "weights": [_floats(w_ih.T), _floats(w_hh.T), _floats(bias)]}


def keras_gru(gru: nn.GRU, layer: int = 0) -> dict:
    h = gru.hidden_size
    w_ih = _torch_to_keras_gates(getattr(gru, f"weight_ih_l{layer}"), h)
    w_hh = _torch_to_keras_gates(getattr(gru, f"weight_hh_l{layer}"), h)
    b_ih = _torch_to_keras_gates(getattr(gru, f"bias_ih_l{layer}"), h)
    b_hh = _torch_to_keras_gates(getattr(gru, f"bias_hh_l{layer}"), h)
    return {"type": "gru", "activation": "tanh", "shape": [None, None, h],
            "weights": [_floats(w_ih.T), _floats(w_hh.T), [_floats(b_ih), _floats(b_hh)]]}


def keras_layers(stack: Stack) -> list[dict]:
    """The Keras-layout layer list of a Stack of Linear/CausalConv1d/LSTM/GRU (+ activations)."""
    layers = []
    for module, activation in stack.entries:
        if isinstance(module, nn.Linear):
            layers.append(keras_dense(module, activation))
        elif isinstance(module, nn.Conv1d):
            layers.append(keras_conv1d(module, activation))
        elif isinstance(module, (nn.LSTM, nn.GRU)):
            export = keras_lstm if isinstance(module, nn.LSTM) else keras_gru
            layers += [export(module, n) for n in range(module.num_layers)]
            if activation:
                layers.append({"type": "activation", "activation": activation,
                               "shape": [None, None, module.hidden_size], "weights": []})
        elif isinstance(module, nn.PReLU):
            layers.append({"type": "prelu", "activation": activation, "shape": layers[-1]["shape"],
                           "weights": [[_floats(module.weight)]]})
        elif isinstance(module, nn.BatchNorm1d):
            statistics = [module.running_mean, module.running_var]
            weights = ([module.weight, module.bias] if module.affine else []) + statistics
            layers.append({"type": "batchnorm", "activation": activation, "shape": layers[-1]["shape"],
                           "epsilon": module.eps, "weights": [_floats(w) for w in weights]})
        elif module is None:
            layers.append({"type": "activation", "activation": activation, "shape": layers[-1]["shape"], "weights": []})
        else:
            raise ValueError(f"no Keras export for {type(module).__name__}")
    return layers


def keras_document(stack: Stack, inputs: int = 1, **aidax) -> dict:
    """A dialect A file for the stack; ``aidax`` adds in_skip/in_gain/out_gain/metadata."""
    return {"in_shape": [None, None, inputs], "layers": keras_layers(stack), **aidax}


def net_of(stack: Stack, doc: dict) -> KerasStyleNet:
    """The stack with AIDA-X's processing as the document asks for it."""
    return KerasStyleNet(stack, inputs=doc["in_shape"][-1], in_skip=doc.get("in_skip", 0),
                         in_gain_db=doc.get("in_gain", 0.0), out_gain_db=doc.get("out_gain", 0.0))


# --- CoreAudioML SimpleRNN (NeuralPi / Proteus) -----------------------------------

class SimpleRNN(nn.Module):
    """CoreAudioML's SimpleRNN: nn.LSTM/nn.GRU (sequence-first), nn.Linear, skip of the first input."""

    def __init__(self, input_size=1, output_size=1, unit_type="LSTM", hidden_size=32, skip=1, bias_fl=True,
                 num_layers=1):
        super().__init__()
        self.input_size, self.output_size, self.unit_type = input_size, output_size, unit_type
        self.rec = getattr(nn, unit_type)(input_size, hidden_size, num_layers)
        self.lin = nn.Linear(hidden_size, output_size, bias=bias_fl)
        self.skip, self.bias_fl = skip, bias_fl

    def forward(self, x):  # x: (time, batch, inputs)
        if self.skip:
            res = x[:, :, 0:self.skip]
            y, _ = self.rec(x)
            return self.lin(y) + res
        y, _ = self.rec(x)
        return self.lin(y)

    def to_json(self) -> dict:
        model_data = {"model": "SimpleRNN", "input_size": self.input_size, "skip": self.skip,
                      "output_size": self.output_size, "unit_type": self.unit_type,
                      "num_layers": self.rec.num_layers, "hidden_size": self.rec.hidden_size, "bias_fl": self.bias_fl}
        return {"model_data": model_data, "state_dict": {k: _floats(v) for k, v in self.state_dict().items()}}

    @classmethod
    def from_json(cls, doc: dict) -> "SimpleRNN":
        d = doc["model_data"]
        model = cls(d["input_size"], d["output_size"], d["unit_type"], d["hidden_size"], d["skip"],
                    d.get("bias_fl", True), d.get("num_layers", 1))
        model.load_state_dict({k: _tensor(v) for k, v in doc["state_dict"].items()})
        return model

    def run(self, samples, knobs=None) -> np.ndarray:
        """Whole-signal forward; knob inputs held at ``knobs`` (default 0.5, the GuitarML players')."""
        knobs = [0.5] * (self.input_size - 1) if knobs is None else list(knobs)
        with torch.no_grad():
            a = torch.from_numpy(np.asarray(samples, dtype=np.float32))
            x = torch.stack([a] + [torch.full_like(a, k) for k in knobs], dim=-1).unsqueeze(1)
            return self(x)[:, 0, 0].numpy().astype(np.float32)


# --- random networks for tests and golden vectors ------------------------------------

def random_stack(layers: list[tuple], inputs: int = 1, seed: int = 0) -> Stack:
    """A freshly initialised Stack; each entry one of
    ("dense", outputs, activation), ("conv1d", outputs, kernel, dilation, groups, activation),
    ("lstm"|"gru", hidden, num_layers), ("prelu", shared), ("batchnorm", affine, epsilon),
    ("activation", name). Weights: PyTorch's default initialisation; statistics and
    alphas drawn so that every layer changes its input."""
    torch.manual_seed(seed)
    width, entries = inputs, []
    for kind, *args in layers:
        if kind == "dense":
            out, activation = args
            entries.append((nn.Linear(width, out), activation))
            width = out
        elif kind == "conv1d":
            out, kernel, dilation, groups, activation = args
            entries.append((CausalConv1d(width, out, kernel, dilation=dilation, groups=groups), activation))
            width = out
        elif kind in ("lstm", "gru"):
            hidden, num_layers = args
            entries.append((getattr(nn, kind.upper())(width, hidden, num_layers, batch_first=True), ""))
            width = hidden
        elif kind == "prelu":
            (shared,) = args
            module = nn.PReLU(num_parameters=1 if shared else width)
            module.weight.data = torch.rand(module.weight.shape) * 0.5
            entries.append((module, ""))
        elif kind == "batchnorm":
            affine, epsilon = args
            module = nn.BatchNorm1d(width, eps=epsilon, affine=affine).eval()
            module.running_mean.data = torch.randn(width) * 0.1
            module.running_var.data = torch.rand(width) + 0.5
            if affine:
                module.weight.data = torch.rand(width) + 0.5
                module.bias.data = torch.randn(width) * 0.1
            entries.append((module, ""))
        elif kind == "activation":
            entries.append((None, args[0]))
        else:
            raise ValueError(kind)
    return Stack(entries)
