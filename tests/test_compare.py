"""`compare MODEL IN.wav TARGET.wav`: the ESR a capture reaches, the lag between
model and target, and the picture (pedal.compare; pedalctl compare runs it)."""

import json

import numpy as np
import pytest

from pedal import compare, wavfile
from pedal.library import DEFAULT_MODEL
from pedal.signals import DI_CLIP, DI_CLIP_RATE, di_clip

RATE = DI_CLIP_RATE


@pytest.fixture(scope="module")
def delayed_capture(tmp_path_factory):
    """A target that is exactly the default model's output for the DI clip, 37 samples late."""
    directory = tmp_path_factory.mktemp("capture")
    wet, _ = compare.play(DEFAULT_MODEL.read_bytes(), di_clip(), RATE)
    target = np.concatenate([np.zeros(37, np.float32), wet[:-37]])
    wavfile.write(directory / "target.wav", target, RATE, float32=True)
    return directory / "target.wav"


def run(capsys, *argv):
    code = compare.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_it_finds_the_lag_and_the_esr_once_aligned(delayed_capture, capsys):
    code, out, _ = run(capsys, DEFAULT_MODEL, DI_CLIP, delayed_capture, "--json")
    figures = json.loads(out)
    assert code == 0
    assert figures["lag_samples"] == -37 and figures["lag_ms"] == pytest.approx(-37 / 48)  # the model is early
    # Aligned, the target is the model's own output (float32 file: ~1e-14);
    # unaligned, 37 samples apart, the two are barely related.
    assert figures["esr"] < 1e-9 and figures["esr_unaligned"] > 0.1
    assert abs(figures["level_difference_db"]) < 0.01


def test_the_report_a_person_reads(delayed_capture, capsys):
    code, out, _ = run(capsys, DEFAULT_MODEL, DI_CLIP, delayed_capture)
    assert code == 0
    assert "plays at 44100 Hz; resampled from 48000 Hz" in out
    assert "ESR       0.0000" in out and "37 samples (0.77 ms) early" in out


def test_the_plot_shows_waveforms_and_spectra(matplotlib_plots, delayed_capture, tmp_path, capsys):
    png = tmp_path / "compare.png"
    code, out, _ = run(capsys, DEFAULT_MODEL, DI_CLIP, delayed_capture, "--plot", png)
    assert code == 0 and f"plot      {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_without_matplotlib_the_plot_says_what_to_install(monkeypatch, delayed_capture, tmp_path, capsys):
    real = compare.importlib.util.find_spec
    monkeypatch.setattr(compare.importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    code, _, err = run(capsys, DEFAULT_MODEL, DI_CLIP, delayed_capture, "--plot", tmp_path / "x.png")
    assert code == 2 and "pip install -e '.[plot]'" in err and not (tmp_path / "x.png").exists()


def test_bad_inputs_get_one_line(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "missing.json", DI_CLIP, DI_CLIP)
    assert code == 2 and err.startswith("compare: ") and len(err.strip().splitlines()) == 1
    wavfile.write(tmp_path / "44k.wav", di_clip(), 44100)
    code, _, err = run(capsys, DEFAULT_MODEL, DI_CLIP, tmp_path / "44k.wav")
    assert code == 2 and "48000 Hz but" in err and "44100 Hz" in err


def test_pedalctl_compare_gives_the_same_figures(delayed_capture, capsys):
    from pedal.cli import main as pedalctl

    assert pedalctl(["compare", str(DEFAULT_MODEL), str(DI_CLIP), str(delayed_capture), "--json"]) == 0
    through_pedalctl = json.loads(capsys.readouterr().out)
    code, out, _ = run(capsys, DEFAULT_MODEL, DI_CLIP, delayed_capture, "--json")
    assert code == 0 and through_pedalctl == json.loads(out)
