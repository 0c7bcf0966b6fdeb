import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODELS = ROOT.parent / "shared" / "models"

# tests/ helpers (reference) import as top-level modules of the repo.
sys.path.insert(0, str(ROOT))


def shared_model(relative: str) -> Path:
    """A real model file from ../shared/models; the test skips when it is absent."""
    path = SHARED_MODELS / relative
    if not path.exists():
        pytest.skip(f"shared model {relative} is not present at {path}")
    return path


def _require_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        # CI installs the extra and sets this, so a comparison can never silently skip there.
        if os.environ.get("PEDAL_REQUIRE_REFERENCE") == "1":
            pytest.fail("PEDAL_REQUIRE_REFERENCE=1 but PyTorch is not installed")
        pytest.skip("PyTorch is the ground truth here: make test EXTRAS=,reference")


@pytest.fixture(scope="session")
def torch_reference():
    """PedalNetRT's WaveNet rebuilt in PyTorch (the optional 'reference' extra)."""
    _require_torch()
    from tests.reference import pedalnet
    return pedalnet


@pytest.fixture(scope="session")
def nam_reference():
    """Neural Amp Modeler's own exporter and forward pass (the optional 'nam' extra)."""
    if importlib.util.find_spec("nam") is None:
        if os.environ.get("PEDAL_REQUIRE_REFERENCE") == "1":
            pytest.fail("PEDAL_REQUIRE_REFERENCE=1 but neural-amp-modeler is not installed")
        pytest.skip("Neural Amp Modeler is the ground truth here: make test EXTRAS=,reference,nam")
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
    if importlib.util.find_spec("matplotlib") is None:
        if os.environ.get("PEDAL_REQUIRE_REFERENCE") == "1":
            pytest.fail("PEDAL_REQUIRE_REFERENCE=1 but matplotlib is not installed")
        pytest.skip("plots need matplotlib: make test EXTRAS=,plot")
    import matplotlib
    return matplotlib
