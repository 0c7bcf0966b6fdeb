"""Neural Amp Modeler itself as the ground truth for .nam files (the optional 'nam' extra).

NAM's trainer (neural-amp-modeler 0.13.0) builds the networks, exports them with its own
exporter and runs its own forward pass. Two traps of that package are handled here
(formats/nam.md §3.1 and §7):

- its loader (``init_from_nam``) reads only the 0.7 spelling of a layer array, so a 0.5
  ("A1") file is rewritten first: ``head_size``/``head_bias`` become a ``head`` object and
  ``"gated": true`` a PairMultiply activation;
- a model made in code runs from its own initial LSTM state, not from the one its exporter
  writes, so the reference is always the model re-loaded from the exported file.

    >>> path = export(random_wavenet(PRESETS["nano"], seed=1), tmp_path, "nano")
    >>> expected = reference_output(json.loads(path.read_text()), guitar)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import torch

from nam.models._from_nam import init_from_nam
from nam.models.recurrent import LSTM
from nam.models.wavenet import WaveNet

RATE = 48000


def layer_array(input_size, channels, head_size, dilations, head_bias, kernel_size=3, activation="Tanh", gated=False):
    """One layer array in the legacy (0.5) spelling of the file format."""
    return {"input_size": input_size, "condition_size": 1, "channels": channels, "head_size": head_size,
            "kernel_size": kernel_size, "dilations": list(dilations), "activation": activation, "gated": gated,
            "head_bias": head_bias}


_TEN = [2 ** i for i in range(10)]
_SEVEN = [2 ** i for i in range(7)]
_THIRTEEN = [128, 256, 512] + _TEN

# NAM's A1 WaveNet presets, in the legacy spelling of the file format, as
# nam.train.core.get_wavenet_config wrote them up to neural-amp-modeler 0.12.3
# (0.13.0 dropped them for its "A2" default).
PRESETS = {
    "standard": [layer_array(1, 16, 8, _TEN, False), layer_array(16, 8, 1, _TEN, True)],
    "lite": [layer_array(1, 12, 6, _SEVEN, False), layer_array(12, 6, 1, _THIRTEEN, True)],
    "feather": [layer_array(1, 8, 4, _SEVEN, False), layer_array(8, 4, 1, _THIRTEEN, True)],
    "nano": [layer_array(1, 4, 2, _SEVEN, False), layer_array(4, 2, 1, _THIRTEEN, True)],
}

# NAM's LSTM presets (nam.train.core.get_lstm_config, 0.12.3): (num_layers, hidden_size).
LSTM_PRESETS = {"standard": (1, 24), "lite": (2, 8), "feather": (1, 16), "nano": (1, 12)}


def _current_activation(activation, gated):
    """A legacy layer's activation in the form NAM 0.13's layer arrays take."""
    if not gated:
        return activation
    return {"name": "PairMultiply", "primary": activation, "secondary": "Sigmoid"}


def _current_layer_array(layer: dict) -> dict:
    """One legacy (0.5) layer-array config in the 0.7 spelling NAM 0.13 reads (formats/nam.md §3.1)."""
    layer = copy.deepcopy(layer)
    if "head_size" in layer:
        layer["head"] = {"out_channels": layer.pop("head_size"), "kernel_size": 1, "bias": layer.pop("head_bias")}
    gated = layer.pop("gated", False)
    if gated and "gating_mode" not in layer:
        layer["activation"] = _current_activation(layer["activation"], True)
    return layer


def random_wavenet(layers: list[dict], seed: int, head_scale: float = 0.02) -> WaveNet:
    """A NAM WaveNet of the given legacy-spelled layer arrays, with PyTorch's default random init."""
    torch.manual_seed(seed)
    return WaveNet.init_from_config({"layers_configs": [_current_layer_array(layer) for layer in layers],
                                     "head": None, "head_scale": head_scale, "sample_rate": RATE})


def random_lstm(num_layers: int, hidden_size: int, seed: int) -> LSTM:
    torch.manual_seed(seed)
    return LSTM(hidden_size=hidden_size, num_layers=num_layers, sample_rate=RATE)


def export(model, directory: Path, name: str, measure_loudness: bool = False) -> Path:
    """Writes the model with NAM's own exporter; returns the .nam path.

    The exporter's loudness and gain metadata run the model a dozen times over a second of
    audio (seconds per model); config and weights do not depend on them, so unless asked
    they are replaced by fixed numbers on this instance.
    """
    if not measure_loudness:
        model._metadata_loudness = lambda *args, **kwargs: -18.0
        model._metadata_gain = lambda: 0.5
    model.export(Path(directory), basename=name)
    return Path(directory) / f"{name}.nam"


def loadable(doc: dict) -> dict:
    """The document as NAM 0.13's loader can read it (legacy layer arrays rewritten)."""
    doc = copy.deepcopy(doc)
    if doc["architecture"] == "WaveNet":
        doc["config"]["layers"] = [_current_layer_array(layer) for layer in doc["config"]["layers"]]
    return doc


def reference_output(doc: dict, x: np.ndarray) -> np.ndarray:
    """NAM's forward of the model loaded from a .nam document: pad_start (RF-1 zeros) for a
    WaveNet, the stored h0/c0 for an LSTM; float32 like the file."""
    model = init_from_nam(loadable(doc))
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(np.asarray(x, dtype=np.float32))).numpy()


def in_memory_output(model, x: np.ndarray) -> np.ndarray:
    """NAM's forward of a model as built in code (for WaveNets, whose file holds all of its state)."""
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(np.asarray(x, dtype=np.float32))).numpy()


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text())
