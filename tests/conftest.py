"""Fixtures shared by the test modules: the optional ground-truth frameworks (skipping, or
failing in CI, when one is missing) and a pedal running in-process."""

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

# tests/ helpers (support, reference, rigs) import as top-level modules of the repo.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _require(module: str, what: str, why: str) -> None:
    """Skips the test when ``module`` (an optional extra) is missing; fails it instead where CI
    sets PEDAL_REQUIRE_REFERENCE=1, so a comparison can never silently skip there."""
    if importlib.util.find_spec(module) is None:
        if os.environ.get("PEDAL_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"PEDAL_REQUIRE_REFERENCE=1 but {what} is not installed")
        pytest.skip(why)


def _require_torch() -> None:
    _require("torch", "PyTorch", "PyTorch is the ground truth here: make test EXTRAS=,reference")


@pytest.fixture(scope="session")
def torch_reference():
    """PedalNetRT's WaveNet rebuilt in PyTorch (the optional 'reference' extra)."""
    _require_torch()
    from tests.reference import pedalnet
    return pedalnet


@pytest.fixture(scope="session")
def nam_reference():
    """Neural Amp Modeler's own exporter and forward pass (the optional 'nam' extra)."""
    _require("nam", "neural-amp-modeler", "Neural Amp Modeler is the ground truth here: make test EXTRAS=,reference,nam")
    from tests.reference import nam
    return nam


@pytest.fixture(scope="session")
def rtneural_reference():
    """RTNeural-family networks (Keras-style lists, SimpleRNN) rebuilt in PyTorch."""
    _require_torch()
    from tests.reference import rtneural
    return rtneural


@pytest.fixture(scope="session")
def torch_training():
    """pedal.training's PyTorch side: the trainer (the optional 'train' extra)."""
    _require_torch()
    from pedal.training import trainer
    return trainer


@pytest.fixture(scope="session")
def matplotlib_plots():
    """matplotlib for `compare --plot` (the optional 'plot' extra)."""
    _require("matplotlib", "matplotlib", "plots need matplotlib: make test EXTRAS=,plot")
    import matplotlib
    return matplotlib


@pytest.fixture
def pedal(tmp_path):
    """pedal.daemon.Pedal in-process on fake ALSA devices and gpiozero's mock pins, with two models
    (clean, crunch), its socket, state and IR directory under tmp_path; pedalctl reaches it with
    tests.support.pedalctl.ctl."""
    from gpiozero.pins.mock import MockFactory

    from pedal.config import parse_config
    from pedal.daemon import Pedal
    from tests.support.fake_alsa import devices, in_process_config
    from tests.support.paths import GOLDEN

    models = tmp_path / "models"
    models.mkdir()
    for name, source in (("clean", "pedalnet_c3_d2_r2_k2"), ("crunch", "pedalnet_c4_d4_k3")):
        shutil.copyfile(GOLDEN / f"{source}.model.json", models / f"{name}.json")
    config_path = tmp_path / "pedal.toml"
    config_path.write_text(in_process_config(tmp_path, models, "pin = 17\nled_pin = 27", tmp_path / "state.json"))
    factory = MockFactory()
    pedal = Pedal(parse_config(config_path.read_text()), pin_factory=factory, pcm_factory=devices())
    pedal.start()
    pedal.config_path = config_path
    pedal.tmp = tmp_path
    yield pedal
    pedal.close()
    factory.reset()
