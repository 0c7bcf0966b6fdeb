"""PedalNetRT's WaveNet rebuilt from torch.nn layers: the ground truth for our core.

The network is written from PedalNetRT's model.py (GuitarML/PedalNetRT): causal
convolutions are nn.Conv1d with (K-1)*d zeros padded on the left, the gate splits
the conv output at C (tanh | sigmoid), each layer's gated output is a "skip" for
the final 1x1 mix, and a 1x1 residual conv adds back into the stream.
``to_json`` writes a model the way PedalNetRT's export.py does (weights permuted
to (tap, in, out), flattened, as decimal strings); ``from_json`` reads one back.
"""

from __future__ import annotations

import torch
from torch import nn

GATED = ("gated", "softgated")
PLAIN = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
         "softsign": nn.functional.softsign, "linear": lambda v: v}


class CausalConv1d(nn.Conv1d):
    def __init__(self, in_channels, out_channels, kernel_size, dilation=1):
        self.left_padding = (kernel_size - 1) * dilation
        super().__init__(in_channels, out_channels, kernel_size,
                         padding=self.left_padding, dilation=dilation)

    def forward(self, x):
        y = super().forward(x)
        return y[:, :, :-self.left_padding] if self.left_padding else y


class PedalNetWaveNet(nn.Module):
    def __init__(self, channels: int, dilations: list[int], kernel: int, activation: str = "gated"):
        super().__init__()
        self.channels, self.dilations, self.kernel, self.activation = channels, list(dilations), kernel, activation
        width = 2 * channels if activation in GATED else channels
        self.input_layer = CausalConv1d(1, channels, 1)
        self.hidden = nn.ModuleList(CausalConv1d(channels, width, kernel, d) for d in dilations)
        self.residuals = nn.ModuleList(CausalConv1d(channels, channels, 1) for _ in dilations)
        self.linear_mix = nn.Conv1d(channels * len(dilations), 1, 1)

    def activate(self, pre):
        if self.activation == "gated":
            filt, gate = torch.split(pre, self.channels, dim=1)
            return torch.tanh(filt) * torch.sigmoid(gate)
        if self.activation == "softgated":
            filt, gate = torch.split(pre, self.channels, dim=1)
            return nn.functional.softsign(filt) * nn.functional.softsign(gate)
        return PLAIN[self.activation](pre)

    def forward(self, x):
        out = self.input_layer(x)
        skips = []
        for hidden, residual in zip(self.hidden, self.residuals):
            layer_input = out
            out = self.activate(hidden(layer_input))
            skips.append(out)
            out = residual(out) + layer_input
        return self.linear_mix(torch.cat(skips, dim=1))

    def run(self, samples):
        """Whole-signal forward of a 1-D float32 numpy array, as PedalNetRT runs it."""
        import numpy as np
        with torch.no_grad():
            y = self(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)).view(1, 1, -1))
        return y.view(-1).numpy()


def _flat_tap_in_out(weight: torch.Tensor) -> list[str]:
    # PyTorch (out, in, tap) -> file (tap, in, out), row-major, as repr strings.
    return [repr(float(v)) for v in weight.detach().permute(2, 1, 0).reshape(-1)]


def _strings(tensor: torch.Tensor) -> list[str]:
    return [repr(float(v)) for v in tensor.detach().reshape(-1)]


def to_json(model: PedalNetWaveNet) -> dict:
    variables = [
        {"layer_idx": -1, "name": "W", "data": _flat_tap_in_out(model.input_layer.weight)},
        {"layer_idx": -1, "name": "b", "data": _strings(model.input_layer.bias)},
    ]
    for n, (hidden, residual) in enumerate(zip(model.hidden, model.residuals)):
        variables += [
            {"layer_idx": n, "name": "W_conv", "data": _flat_tap_in_out(hidden.weight)},
            {"layer_idx": n, "name": "b_conv", "data": _strings(hidden.bias)},
            {"layer_idx": n, "name": "W_out", "data": _flat_tap_in_out(residual.weight)},
            {"layer_idx": n, "name": "b_out", "data": _strings(residual.bias)},
        ]
    n = len(model.dilations)
    variables += [
        {"layer_idx": n, "name": "W", "data": _flat_tap_in_out(model.linear_mix.weight)},
        {"layer_idx": n, "name": "b", "data": _strings(model.linear_mix.bias)},
    ]
    return {"activation": model.activation, "output_channels": 1, "input_channels": 1,
            "residual_channels": model.channels, "filter_width": model.kernel,
            "dilations": model.dilations, "variables": variables}


def from_json(doc: dict) -> PedalNetWaveNet:
    model = PedalNetWaveNet(doc["residual_channels"], doc["dilations"], doc["filter_width"], doc["activation"])
    by_key = {(v["layer_idx"], v["name"]): torch.tensor([float(x) for x in v["data"]]) for v in doc["variables"]}

    def load(conv: nn.Conv1d, layer: int, w: str, b: str):
        out_ch, in_ch, taps = conv.weight.shape
        flat = by_key.get((layer, w), by_key.get((layer, "W")))
        conv.weight.data = flat.view(taps, in_ch, out_ch).permute(2, 1, 0).contiguous()
        conv.bias.data = by_key.get((layer, b), by_key.get((layer, "b"))).clone()

    load(model.input_layer, -1, "W", "b")
    for n, (hidden, residual) in enumerate(zip(model.hidden, model.residuals)):
        load(hidden, n, "W_conv", "b_conv")
        load(residual, n, "W_out", "b_out")
    load(model.linear_mix, len(model.dilations), "W", "b")
    return model


def random_model(channels: int, dilation_depth: int, repeat: int, kernel: int, seed: int,
                 activation: str = "gated") -> PedalNetWaveNet:
    """A freshly initialised PedalNetRT WaveNet, dilations as PedalNetRT builds them."""
    torch.manual_seed(seed)
    dilations = [2 ** d for d in range(dilation_depth)] * repeat
    return PedalNetWaveNet(channels, dilations, kernel, activation)
