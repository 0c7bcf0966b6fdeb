"""Shared by the pedalctl tests: running it in-process, and model files made to order."""

import io
import json
from dataclasses import dataclass

import numpy as np

from pedal.cli import main
from pedal.library import DEFAULT_MODEL

DATA = DEFAULT_MODEL.read_bytes()


@dataclass
class Run:
    status: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        return json.loads(self.out)


def pedalctl(*argv, stdin: bytes = b"") -> Run:
    """pedalctl's main() with its own stdout/stderr/stdin (what a shell would give it)."""
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in argv], stdout=out, stderr=err, stdin=io.TextIOWrapper(io.BytesIO(stdin)))
    return Run(status, out.getvalue(), err.getvalue())


def model_bytes(mix_scale: float = 1.0, channels: int | None = None, layers: int | None = None, seed: int = 0) -> bytes:
    """A PedalNetRT WaveNet: the bundled model with its output mix scaled (0: silent;
    3e38: overflows to infinity), or a random one of ``channels`` x ``layers`` (heavy)."""
    model = json.loads(DATA)
    if channels is not None:
        rng = np.random.default_rng(seed)
        dilations = [2 ** (i % 10) for i in range(layers)]
        c, k = channels, model["filter_width"]
        variables = [{"layer_idx": -1, "name": "W", "data": rng.normal(0, 0.5, c).tolist()},
                     {"layer_idx": -1, "name": "b", "data": [0.0] * c}]
        for layer in range(layers):
            variables += [{"layer_idx": layer, "name": "W_conv", "data": rng.normal(0, 0.2, k * c * 2 * c).tolist()},
                          {"layer_idx": layer, "name": "b_conv", "data": [0.0] * (2 * c)},
                          {"layer_idx": layer, "name": "W_out", "data": rng.normal(0, 0.2, c * c).tolist()},
                          {"layer_idx": layer, "name": "b_out", "data": [0.0] * c}]
        variables += [{"layer_idx": layers, "name": "W", "data": rng.normal(0, 0.2, c * layers).tolist()},
                      {"layer_idx": layers, "name": "b", "data": [0.0]}]
        model.update(residual_channels=c, dilations=dilations, variables=variables)
    else:
        weights, bias = model["variables"][-2], model["variables"][-1]
        weights["data"] = [repr(float(np.float32(float(v) * mix_scale))) for v in weights["data"]]
        if mix_scale == 0.0:
            bias["data"] = ["0.0"]                  # no DC either: silence
        elif mix_scale > 1e30:
            bias["data"] = [repr(float(np.float32(3e38)))]   # + the mix: beyond float32, infinity
    return json.dumps(model).encode()


def ctl(pedal, *argv, stdin=b""):
    """pedalctl against the in-process pedal of the `pedal` fixture (conftest)."""
    return pedalctl("--config", pedal.config_path, *argv, stdin=stdin)
