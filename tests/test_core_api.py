"""pedal.core.Model: the Python face of the core."""

import json

import numpy as np
import pytest

import pedal
from pedal.core import Model, ModelError, core_version
from tests.support.paths import ROOT

GOLDEN = ROOT / "csrc" / "tests" / "golden"
SMALL_MODEL = GOLDEN / "pedalnet_c4_d4_k3.model.json"


@pytest.fixture
def model():
    return Model.load(SMALL_MODEL)


def golden_io(name="pedalnet_c4_d4_k3"):
    io = json.loads((GOLDEN / f"{name}.io.json").read_text())
    return np.array(io["input"], dtype=np.float32), np.array(io["output"], dtype=np.float32)


def test_load_and_from_json_give_the_same_model():
    x, expected = golden_io()
    from_path = Model.load(SMALL_MODEL).process(x)
    from_text = Model.from_json(SMALL_MODEL.read_text()).process(x)
    from_bytes = Model.from_json(SMALL_MODEL.read_bytes()).process(x)
    assert np.array_equal(from_path, from_text) and np.array_equal(from_text, from_bytes)
    assert np.max(np.abs(from_path - expected)) <= 1e-5  # float32 vs PyTorch float32


def test_info_describes_the_model(model):
    info = model.info
    assert info["format"] == "pedalnet"
    assert info["architecture"] == "WaveNet"
    assert info["sample_rate"] == 44100
    assert info["receptive_field"] == 31
    assert info["parameters"] == 521
    assert info["config"] == {"activation": "gated", "channels": 4, "kernel": 3, "dilations": [1, 2, 4, 8]}
    assert model.sample_rate == 44100 and model.receptive_field == 31


def test_process_returns_a_new_float32_array(model):
    x, _ = golden_io()
    y = model.process(x)
    assert y.dtype == np.float32 and y.shape == x.shape and y is not x


def test_process_into_out_writes_in_place_and_returns_it(model):
    x, expected = golden_io()
    out = np.zeros_like(x)
    assert model.process(x, out=out) is out
    assert np.max(np.abs(out - expected)) <= 1e-5


def test_process_may_overwrite_its_input(model):
    x, expected = golden_io()
    assert model.process(x, out=x) is x
    assert np.max(np.abs(x - expected)) <= 1e-5


@pytest.mark.parametrize("bad, error", [
    ([0.0, 0.1], TypeError),
    (np.zeros(8, dtype=np.float64), TypeError),
    (np.zeros(8, dtype=np.int16), TypeError),
    (np.zeros((2, 8), dtype=np.float32), ValueError),
    (np.zeros(16, dtype=np.float32)[::2], ValueError),
])
def test_process_refuses_arrays_it_cannot_read_in_place(model, bad, error):
    with pytest.raises(error):
        model.process(bad)


def test_process_refuses_an_out_of_the_wrong_length_or_kind(model):
    x = np.zeros(64, dtype=np.float32)
    with pytest.raises(ValueError, match="shape"):
        model.process(x, out=np.zeros(32, dtype=np.float32))
    with pytest.raises(TypeError):
        model.process(x, out=np.zeros(64, dtype=np.float64))
    read_only = np.zeros(64, dtype=np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        model.process(x, out=read_only)


def test_an_audio_loops_arrays_are_checked_once_and_then_reused(model):
    x, expected = golden_io()
    block, out = np.empty(16, np.float32), np.empty(16, np.float32)
    played = []
    for start in range(0, len(x) - 15, 16):  # the same two arrays every period
        np.copyto(block, x[start:start + 16])
        played.append(model.process(block, out).copy())
    assert np.max(np.abs(np.concatenate(played) - expected[:len(played) * 16])) <= 1e-5
    block.dtype = np.int32  # reinterpreted in place: the same object, no longer float32
    with pytest.raises(TypeError):
        model.process(block, out)


def test_a_model_handed_to_an_engine_refuses_to_process():
    from pedal.core import Engine
    model, engine = Model.load(SMALL_MODEL), Engine(48000, 64)
    x, out = np.zeros(64, np.float32), np.zeros(64, np.float32)
    model.process(x, out)
    engine.set_model(model)
    with pytest.raises(ValueError, match="owns it"):
        model.process(x, out)


def test_model_error_is_a_value_error_carrying_the_cores_message():
    with pytest.raises(ValueError) as caught:
        Model.from_json("{}")
    assert isinstance(caught.value, ModelError)
    assert "unrecognised model file" in str(caught.value)


def test_load_names_the_file_in_its_error(tmp_path):
    bad = tmp_path / "amp.json"
    bad.write_text("{")
    with pytest.raises(ModelError, match=r"amp\.json: not valid JSON: 1:2"):
        Model.load(bad)


def test_from_json_refuses_other_types():
    with pytest.raises(TypeError):
        Model.from_json(42)


def test_core_and_package_versions_agree():
    assert core_version() == pedal.__version__
    assert f'version = "{pedal.__version__}"' in (ROOT / "pyproject.toml").read_text()


def test_every_build_of_the_core_gives_the_same_samples(tmp_path):
    """On x86-64 pedal.core picks the AVX2+FMA build when the CPU has it; the
    baseline build must play the same (FMA changes rounding only)."""
    import os
    import subprocess
    import sys

    x, expected = golden_io("wavenetva_c5_d3_k4_numbers")
    np.save(tmp_path / "x.npy", x)
    script = ("import numpy as np, sys; from pedal.core import Model, core_isa; "
              f"y = Model.load({str(GOLDEN / 'wavenetva_c5_d3_k4_numbers.model.json')!r}).process(np.load(sys.argv[1])); "
              "np.save(sys.argv[2], y); print(core_isa())")
    builds = {}
    for forced in ("baseline", ""):
        env = dict(os.environ, PEDAL_ISA=forced)
        out = tmp_path / f"y_{forced or 'auto'}.npy"
        isa = subprocess.run([sys.executable, "-c", script, str(tmp_path / "x.npy"), str(out)], env=env,
                             check=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        builds[isa] = np.load(out)
    assert "baseline" in builds
    for isa, y in builds.items():
        assert np.max(np.abs(y - expected)) <= 1e-5, isa  # float32 vs PyTorch float32
