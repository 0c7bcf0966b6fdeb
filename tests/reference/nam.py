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

import contextlib
import copy
import json
from pathlib import Path

import numpy as np
import torch

from nam.models._from_nam import init_from_nam
from nam.models.recurrent import LSTM
from nam.models.wavenet import WaveNet

from tests.reference.nam_shapes import FILM_POSITIONS

# One thread: PyTorch's CPU convolutions sum in an order that follows the thread count (and,
# on a loaded machine, has been seen to differ by 2e-5 between two builds of one network);
# a reference must give the same samples every time.
torch.set_num_threads(1)

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
    with _pairs_of_nams_own_activations_exportable():
        model.export(Path(directory), basename=name)
    return Path(directory) / f"{name}.nam"


@contextlib.contextmanager
def _pairs_of_nams_own_activations_exportable():
    """NAM 0.13's exporter cannot write a gated or blended layer one of whose halves is one of NAM's
    own activations (Softsign, Softsigmoid, LeakyHardtanh): ``PairMultiply.export_config`` passes
    them to ``_export_pytorch_activation_config``, which asserts they are PyTorch's
    (nam/models/_activations.py:239). While exporting, those halves are written as the exporter
    writes the same activation outside a pair (its own ``export_config()``); nothing else changes."""
    from nam.models import _activations

    original = _activations._export_pytorch_activation_config

    def export(module):
        if isinstance(module, _activations._GeneralizedActivation):
            return module.export_config()
        return original(module)

    _activations._export_pytorch_activation_config = export
    try:
        yield
    finally:
        _activations._export_pytorch_activation_config = original


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


# ----------------------------------------------------------------------------------------
# "A2" (0.7.0) WaveNets, slimmable WaveNets and SlimmableContainers (formats/nam-a2.md)

def _scale_convs(network, weight_scale: float, bias_scale: float) -> None:
    """Every convolution's weights times ``weight_scale``, its biases times ``bias_scale``."""
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.Conv1d):
                module.weight.mul_(weight_scale)
                if module.bias is not None:
                    module.bias.mul_(bias_scale)


def random_a2_wavenet(config: dict, seed: int, weight_scale: float = 1.0, bias_scale: float = 1.0) -> WaveNet:
    """A NAM WaveNet from a config in the trainer's init spelling (``layers_configs``, ``head``,
    ``head_scale``, ``condition_dsp``), PyTorch's default random init with the weights of every
    convolution (FiLMs' included) multiplied by ``weight_scale`` and its biases by ``bias_scale``
    (PyTorch's init makes deep random networks put out mostly their biases' constant)."""
    torch.manual_seed(seed)
    network = WaveNet.init_from_config({"head": None, "head_scale": 1.0, **copy.deepcopy(config), "sample_rate": RATE})
    _scale_convs(network, weight_scale, bias_scale)
    return network


def _activation_module(spec) -> torch.nn.Module:
    """One simple activation of a .nam file ("Tanh" or {"type": ..., params}) as the trainer's module,
    with what NAM's loader drops restored (PReLU slopes, parameters of a gate's activations)."""
    from nam.models._activations import get_activation

    spec = {"type": spec} if isinstance(spec, str) else dict(spec)
    name = spec.pop("type", None) or spec.pop("name")
    if name == "PReLU":
        slopes = spec.get("negative_slopes", [spec.get("negative_slope", 0.01)])
        module = torch.nn.PReLU(num_parameters=len(slopes))
        module.weight.data = torch.tensor(slopes, dtype=torch.float32)
        return module
    if name == "LeakyHardTanh":
        name = "LeakyHardtanh"
    return get_activation({"name": name, **spec})


def _broadcast(value, n: int) -> list:
    return list(value) if isinstance(value, list) else [value] * n


def _layer_activations(layer: dict) -> list[torch.nn.Module]:
    """Each layer's activation module from a file's layer array in any spelling (0.5 ``gated``;
    0.6/0.7 ``gating_mode``/``secondary_activation``, scalar or per layer)."""
    from nam.models._activations import PairBlend, PairMultiply

    n = len(layer["dilations"])
    primaries = _broadcast(layer.get("activation", "Tanh"), n)
    if "gating_mode" in layer:
        modes = _broadcast(layer["gating_mode"], n)
    else:
        modes = ["gated" if layer.get("gated", False) else "none"] * n
    secondaries = _broadcast(layer.get("secondary_activation", "Sigmoid"), n)
    modules = []
    for primary, mode, secondary in zip(primaries, modes, secondaries):
        if mode == "none":
            modules.append(_activation_module(primary))
            continue
        if secondary in ("", None):
            raise ValueError(f"a {mode} layer without a secondary activation")
        pair = {"gated": PairMultiply, "blended": PairBlend}[mode]
        modules.append(pair(primary=_activation_module(primary), secondary=_activation_module(secondary)))
    return modules


def _init_layer_array(layer: dict) -> dict:
    """A file's layer array (any spelling) as ``WaveNet.init_from_config`` takes it, with placeholder
    activations of the right kind (paired or not: that decides the layer's widths); the real
    activation modules are put in after building (``reference_wavenet``)."""
    from nam.models._activations import PairingActivation

    lc = copy.deepcopy(layer)
    for key in ("activation", "gating_mode", "secondary_activation", "gated"):
        lc.pop(key, None)
    if "head_size" in lc:
        lc["head"] = {"out_channels": lc.pop("head_size"), "kernel_size": 1, "bias": lc.pop("head_bias", False)}
    if "head1x1" in lc:
        lc["head_1x1_config"] = lc.pop("head1x1")
    if "layer1x1" in lc:
        lc["layer_1x1_config"] = lc.pop("layer1x1")
    films = {key: lc.pop(key) for key in FILM_POSITIONS if key in lc}
    if films:
        lc["film_params"] = films
    lc["activation"] = [{"name": "PairMultiply", "primary": "Tanh", "secondary": "Sigmoid"}
                        if isinstance(module, PairingActivation) else "Tanh"
                        for module in _layer_activations(layer)]
    return lc


def reference_wavenet(doc: dict) -> WaveNet:
    """NAM's WaveNet for a .nam WaveNet document of any version, around the traps of NAM's own
    loader (nam-a2.md §6): legacy and scalar spellings, PReLU slopes and parameterised gate
    activations, and ``condition_dsp`` (built the same way from its nested document and wired in).

    The result is the trainer's own module (layers, FiLMs, heads, slimming), its weights imported
    by the trainer's own ``import_weights``; only the activation modules are made here."""
    config = doc["config"]
    network = WaveNet.init_from_config({
        "layers_configs": [_init_layer_array(layer) for layer in config["layers"]],
        "head": config.get("head"), "head_scale": config["head_scale"], "sample_rate": doc.get("sample_rate")})
    used = network.import_weights(torch.Tensor(doc["weights"]))
    assert used == len(doc["weights"]), f"the trainer's module takes {used} of {len(doc['weights'])} weights"
    for layer_array, layer in zip(network._net._layer_arrays, config["layers"]):
        for module, activation in zip(layer_array._layers, _layer_activations(layer)):
            module._activation = activation
    if config.get("condition_dsp") is not None:
        network._net._condition_dsp = reference_wavenet(config["condition_dsp"])._net
    return network


def weight_count(doc: dict) -> int:
    """The numbers a WaveNet document's model plays with: its weights and, recursively, those of its
    condition_dsp (which live in the nested document, not in the outer ``weights``)."""
    nested = doc["config"].get("condition_dsp") if doc["architecture"] == "WaveNet" else None
    return len(doc["weights"]) + (weight_count(nested) if nested else 0)


def reference_network(doc: dict):
    """NAM's module for one (non-container) .nam document."""
    if doc["architecture"] == "WaveNet":
        return reference_wavenet(doc)
    return init_from_nam(loadable(doc))


def submodels(doc: dict) -> list[tuple[float, dict]]:
    """A SlimmableContainer's (max_value, model document) pairs, by max_value (NAM's loader cannot
    read the container itself)."""
    assert doc["architecture"] == "SlimmableContainer"
    return sorted(((s["max_value"], s["model"]) for s in doc["config"]["submodels"]), key=lambda s: s[0])


def slimmed_output(network: WaveNet, value: float, x: np.ndarray) -> np.ndarray:
    """NAM's forward of a slimmable WaveNet slimmed with ``set_slimming(value)`` (width index
    min(floor(value·n), n−1) of n allowed widths); the network is left at full width."""
    network._net.set_slimming(value)
    try:
        return in_memory_output(network, x)
    finally:
        network._net.set_slimming(1.0)


def slimmed_parameter_count(network: WaveNet, value: float) -> int:
    """How many weights a slimmable WaveNet uses at ``set_slimming(value)``: what a WaveNet file of
    that width would hold (every sliced tensor, head_scale included)."""
    from nam.models.wavenet._slimmable_conv import SlimmableConv1dBase

    network._net.set_slimming(value)
    try:
        count = 1  # head_scale
        for module in network._net.modules():
            if isinstance(module, torch.nn.Conv1d):
                weight, bias = (module._get_adjusted_weight_and_bias() if isinstance(module, SlimmableConv1dBase)
                                else (module.weight, module.bias))
                count += weight.numel() + (0 if bias is None else bias.numel())
        return count
    finally:
        network._net.set_slimming(1.0)


def random_packed_a2(seed: int, weight_scale: float = 1.0, bias_scale: float = 1.0):
    """NAM's A2 container as the trainer trains it: a PackedWaveNet (Lite and Full packed in one
    network) from the trainer's default model config (nam/train/_resources/config_model_packed.json),
    PyTorch's default random init scaled as in ``random_a2_wavenet``."""
    from importlib.resources import files

    from nam.models.wavenet import PackedWaveNet

    config = json.loads(files("nam").joinpath("train/_resources/config_model_packed.json").read_text())
    torch.manual_seed(seed)
    packed = PackedWaveNet.init_from_config({**config["net"]["config"], "sample_rate": RATE})
    _scale_convs(packed, weight_scale, bias_scale)
    packed.apply_mask()  # the blocks between submodels stay zero
    return packed


def export_container(packed, directory: Path, name: str) -> Path:
    """Writes a PackedWaveNet as the SlimmableContainer the trainer exports (loudness and gain
    metadata replaced by fixed numbers, as in ``export``: the submodels are new instances, so this
    is done on their class while exporting)."""
    from nam.models.base import BaseNet

    saved = BaseNet._metadata_loudness, BaseNet._metadata_gain
    BaseNet._metadata_loudness = lambda self, *args, **kwargs: -18.0
    BaseNet._metadata_gain = lambda self: 0.5
    try:
        packed.export(Path(directory), basename=name)
    finally:
        BaseNet._metadata_loudness, BaseNet._metadata_gain = saved
    return Path(directory) / f"{name}.nam"
