"""PedalNetRT's WaveNet in PyTorch, and its export to the json pedal.core plays.

    >>> net = WaveNet(channels=12, dilations=dilations(depth=9, repeat=1), kernel=3)
    >>> wet = net(dry_batch)                 # (batch, 1, T) -> (batch, 1, T - receptive_field + 1)
    >>> wet = net.play(dry)                  # 1-D numpy, zero history: what the core outputs
    >>> Path("drive.json").write_text(json.dumps(to_pedalnet_json(net)))

The maths is PedalNetRT's (see docs/formats in ../shared and
tests/reference/pedalnet.py): a 1x1 input layer, then per layer a dilated causal
convolution whose output splits into tanh | sigmoid halves (the gate), whose
product is both the layer's "skip" and, through a 1x1 convolution, a residual
added to the stream; the skips of all layers are concatenated and mixed by a
final 1x1 convolution.

Two ways to run it, same weights:

- ``forward`` (training): "valid" convolutions, no padding. Each output sample
  sees a full receptive field of real audio, so a batch of crops of
  ``receptive_field - 1 + L`` samples gives L outputs, none of them computed
  from made-up zeros; no work is spent on padding.
- ``play`` (export check, whole files): every convolution's input padded with
  zeros on the left, exactly PedalNetRT's CausalConv1d and exactly what the
  core does from reset (zero histories).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional


def dilations(depth: int, repeat: int) -> list[int]:
    """PedalNetRT's dilation pattern: 1, 2, 4, ... 2**(depth-1), ``repeat`` times."""
    return [2 ** d for d in range(depth)] * repeat


class WaveNet(nn.Module):
    def __init__(self, channels: int, dilations: list[int], kernel: int = 3) -> None:
        super().__init__()
        self.channels, self.dilations, self.kernel = channels, list(dilations), kernel
        self.input_layer = nn.Conv1d(1, channels, 1)
        self.hidden = nn.ModuleList(nn.Conv1d(channels, 2 * channels, kernel, dilation=d) for d in dilations)
        self.residuals = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in dilations)
        self.linear_mix = nn.Conv1d(channels * len(dilations), 1, 1)

    @property
    def receptive_field(self) -> int:
        return 1 + (self.kernel - 1) * sum(self.dilations)

    def config(self) -> dict:
        return {"channels": self.channels, "dilations": self.dilations, "kernel": self.kernel}

    def _run(self, x: torch.Tensor, pad: bool) -> torch.Tensor:
        stream = self.input_layer(x)
        skips = []
        last = len(self.dilations) - 1
        for n, (hidden, residual, dilation) in enumerate(zip(self.hidden, self.residuals, self.dilations)):
            reach = (self.kernel - 1) * dilation
            pre = hidden(functional.pad(stream, (reach, 0)) if pad else stream)
            gated = torch.tanh(pre[:, : self.channels]) * torch.sigmoid(pre[:, self.channels:])
            skips.append(gated)
            if n < last:  # the last layer's residual feeds nothing
                stream = residual(gated) + (stream if pad else stream[:, :, reach:])
        length = skips[-1].shape[-1]
        return self.linear_mix(torch.cat([skip[:, :, skip.shape[-1] - length:] for skip in skips], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 1, T) -> (batch, 1, T - receptive_field + 1), no padding."""
        return self._run(x, pad=False)

    def play(self, samples: np.ndarray) -> np.ndarray:
        """A whole 1-D signal from zero history, as pedal.core.Model.process plays it."""
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)).view(1, 1, -1)
            return self._run(x, pad=True).view(-1).numpy().copy()


def _tap_in_out(weight: torch.Tensor) -> list[str]:
    # PyTorch (out, in, tap) -> the file's (tap, in, out), row-major, as PedalNetRT writes numbers: repr strings.
    return [repr(float(v)) for v in weight.detach().permute(2, 1, 0).reshape(-1)]


def _flat(tensor: torch.Tensor) -> list[str]:
    return [repr(float(v)) for v in tensor.detach().reshape(-1)]


def to_pedalnet_json(net: WaveNet) -> dict:
    """The PedalNetRT / WaveNetVA json document (export.py's layout) for ``net``.
    The format has no sample-rate field: players assume 44.1 kHz."""
    variables = [{"layer_idx": -1, "name": "W", "data": _tap_in_out(net.input_layer.weight)},
                 {"layer_idx": -1, "name": "b", "data": _flat(net.input_layer.bias)}]
    for n, (hidden, residual) in enumerate(zip(net.hidden, net.residuals)):
        variables += [{"layer_idx": n, "name": "W_conv", "data": _tap_in_out(hidden.weight)},
                      {"layer_idx": n, "name": "b_conv", "data": _flat(hidden.bias)},
                      {"layer_idx": n, "name": "W_out", "data": _tap_in_out(residual.weight)},
                      {"layer_idx": n, "name": "b_out", "data": _flat(residual.bias)}]
    n = len(net.dilations)
    variables += [{"layer_idx": n, "name": "W", "data": _tap_in_out(net.linear_mix.weight)},
                  {"layer_idx": n, "name": "b", "data": _flat(net.linear_mix.bias)}]
    return {"activation": "gated", "output_channels": 1, "input_channels": 1,
            "residual_channels": net.channels, "filter_width": net.kernel,
            "dilations": net.dilations, "variables": variables}
