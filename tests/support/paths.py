"""Where the tests find things: the repository, its golden model files, ../shared/models."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = ROOT / "csrc" / "tests" / "golden"
SHARED_MODELS = ROOT.parent / "shared" / "models"


def shared_model(relative: str) -> Path:
    """A real model file from ../shared/models; the test skips when it is absent."""
    path = SHARED_MODELS / relative
    if not path.exists():
        pytest.skip(f"shared model {relative} is not present at {path}")
    return path
