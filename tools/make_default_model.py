#!/usr/bin/env python3
"""Writes pedal/data/default.model.json: the model the pedal plays when its
library is empty. A small PedalNetRT WaveNet whose weights are set by hand, not
trained: a mild, slightly asymmetric overdrive (a bank of tanh stages of rising
drive, each after a gentle low-pass), so the pedal sounds like a pedal out of
the box. A later trained capture replaces it.

    python tools/make_default_model.py [OUTPUT]

Deterministic: running it again gives the same bytes. Needs only numpy.

The network (see tests/reference/pedalnet.py for PedalNetRT's maths): the
input layer copies the guitar to C channels; each hidden layer's filter half
is drive * (1/4, 1/2, 1/4)-smoothed input + a small bias (the asymmetry: even
harmonics), its gate half a constant sigmoid(6) ~ 1, so each skip output is
~tanh(drive * lowpass(x) + bias). Residual convolutions are zero (every layer
hears the dry input), and the final 1x1 mix weighs the stages and removes the
biases' DC at silence.
"""

import json
import sys
from pathlib import Path

import numpy as np

CHANNELS = 4
KERNEL = 3
DILATIONS = [1, 2]
GATE_BIAS = 6.0
# Per layer, per channel: (drive, bias, mix weight).
STAGES = [
    [(0.8, 0.00, 0.55), (2.0, 0.10, 0.25), (4.0, 0.20, 0.12), (8.0, 0.30, 0.05)],
    [(1.0, 0.00, 0.30), (0.0, 0.00, 0.00), (0.0, 0.00, 0.00), (0.0, 0.00, 0.00)],
]
SMOOTHING = np.array([0.25, 0.5, 0.25])  # taps oldest first, as PyTorch's conv weight[..., k]


def strings(array) -> list[str]:
    return [repr(float(v)) for v in np.asarray(array, dtype=np.float32).reshape(-1)]


def build() -> dict:
    c = CHANNELS
    variables = [{"layer_idx": -1, "name": "W", "data": strings(np.ones((1, 1, c)))},
                 {"layer_idx": -1, "name": "b", "data": strings(np.zeros(c))}]
    mix = []
    dc = 0.0
    gate = 1.0 / (1.0 + np.exp(-GATE_BIAS))
    for layer, stages in enumerate(STAGES):
        w_conv = np.zeros((KERNEL, c, 2 * c))  # (tap, in, out): out = filter channels, then gate channels
        b_conv = np.zeros(2 * c)
        for channel, (drive, bias, weight) in enumerate(stages):
            w_conv[:, channel, channel] = drive * SMOOTHING
            b_conv[channel] = bias
            b_conv[c + channel] = GATE_BIAS
            mix.append(weight)
            dc += weight * np.tanh(bias) * gate
        variables += [{"layer_idx": layer, "name": "W_conv", "data": strings(w_conv)},
                      {"layer_idx": layer, "name": "b_conv", "data": strings(b_conv)},
                      {"layer_idx": layer, "name": "W_out", "data": strings(np.zeros((1, c, c)))},
                      {"layer_idx": layer, "name": "b_out", "data": strings(np.zeros(c))}]
    variables += [{"layer_idx": len(STAGES), "name": "W", "data": strings(np.array(mix).reshape(1, -1, 1))},
                  {"layer_idx": len(STAGES), "name": "b", "data": strings([-dc])}]
    return {"activation": "gated", "output_channels": 1, "input_channels": 1, "residual_channels": c,
            "filter_width": KERNEL, "dilations": DILATIONS, "variables": variables}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "pedal" / "data" / "default.model.json"
    target.write_text(json.dumps(build(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
