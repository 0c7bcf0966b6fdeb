"""pedalctl's library commands on a directory (--library), as when preparing an SD card:
validation before install, refusals in one line, JSON for scripts."""

import json
import subprocess
import sys

import pytest

from pedal.store import stored_metadata
from tests.support.paths import ROOT
from tests.support.pedalctl import DATA, model_bytes, pedalctl


@pytest.fixture
def lib(tmp_path):
    """A library directory and settings (small size limit) for --library runs."""
    config = tmp_path / "pedal.toml"
    config.write_text("[library]\nmax_model_mb = 0.5\n")
    (tmp_path / "amp.json").write_bytes(DATA)
    return tmp_path / "models", config, tmp_path


def run(lib, *argv, stdin=b""):
    models, config, _ = lib
    return pedalctl("--library", models, "--config", config, *argv, stdin=stdin)


def test_upload_validates_stores_and_prints_the_summary(lib):
    models, _, tmp = lib
    result = run(lib, "upload", tmp / "amp.json")
    assert result.status == 0, result.err
    assert "installed 'amp'" in result.out
    # The summary: format, architecture, parameters, rate handling, CPU %, loudness.
    assert "pedalnet WaveNet, 4337 parameters, 44100 Hz (resampled to 48000 Hz); CPU " in result.out
    assert "% of the 2.67 ms period" in result.out and "loudness -18.6 dBFS (measured)" in result.out
    assert "validating amp: playing 2 s at 48000 Hz in periods of 128" in result.err   # progress
    assert (models / "amp.json").read_bytes() == DATA
    assert stored_metadata(models / "amp.json", DATA)["loudness_db"] == pytest.approx(-18.6, abs=0.05)


def test_upload_json_gives_the_validation_figures(lib):
    result = run(lib, "--json", "upload", lib[2] / "amp.json", "--name", "Clean Amp")
    answer = result.json
    assert answer["ok"] and answer["name"] == "Clean Amp" and answer["daemon"] is None
    figures = answer["validation"]
    assert figures["rate_handling"] == "resampled to 48000 Hz" and figures["model_rate"] == 44100
    assert 0 < figures["cpu_percent"] < 70 and figures["loudness_source"] == "measured"


def test_upload_from_stdin_needs_a_name_and_works_with_one(lib):
    assert run(lib, "upload", "-", stdin=DATA).err.strip() == "pedalctl: reading a model from stdin needs --name NAME"
    result = run(lib, "upload", "-", "--name", "piped", stdin=DATA)
    assert result.status == 0 and (lib[0] / "piped.json").read_bytes() == DATA


@pytest.mark.parametrize("data, name, reason", [
    (b'{"not": "a model"}', "junk", "refused: not a model we can play:"),
    (model_bytes(mix_scale=0.0), "mute", "refused: the model is silent for the reference guitar signal"),
    (model_bytes(mix_scale=3e38), "blown", "refused: the model's output is not finite (NaN or infinity)"),
    (b"x" * 600_000, "huge", "the model is larger than the limit of 0.5 MiB ([library] max_model_mb"),
    (DATA, "../escape", "has a path separator ('/')"),
    (DATA, ".hidden", "starts with a dot"),
    (DATA, "x" * 65, "at most 64"),
])
def test_bad_uploads_are_refused_with_one_line_and_nothing_is_written(lib, data, name, reason):
    result = run(lib, "upload", "-", "--name", name, stdin=data)
    assert result.status == 1
    error = [line for line in result.err.splitlines() if not line.startswith("pedalctl: validating")]
    assert len(error) == 1 and reason in error[0], result.err
    assert not lib[0].exists() or [p.name for p in lib[0].iterdir() if p.name != ".lock"] == []


def test_a_model_too_heavy_for_the_period_is_refused_unless_forced(lib):
    models, config, tmp = lib
    config.write_text("[library]\nmax_cpu_percent = 5\n")
    heavy = model_bytes(channels=32, layers=30)   # ~20 % of a 128-frame period on a desktop core (AVX2)
    refused = run(lib, "upload", "-", "--name", "heavy", stdin=heavy)
    assert refused.status == 1
    assert "of each 128-frame period at 48000 Hz on this device (limit 5 %)" in refused.err
    assert "--force installs it anyway" in refused.err and not (models / "heavy.json").exists()
    forced = run(lib, "--json", "upload", "-", "--name", "heavy", "--force", stdin=heavy)
    assert forced.json["validation"]["forced"] is True and (models / "heavy.json").exists()


def test_an_existing_model_is_kept_unless_replace_is_given(lib):
    models, _, tmp = lib
    assert run(lib, "upload", tmp / "amp.json").status == 0
    louder = model_bytes(mix_scale=2.0)
    taken = run(lib, "upload", "-", "--name", "AMP", stdin=louder)
    assert taken.status == 1 and "a model called 'amp' is already there (amp.json); add --replace" in taken.err
    assert (models / "amp.json").read_bytes() == DATA
    assert run(lib, "upload", "-", "--name", "AMP", "--replace", stdin=louder).status == 0
    assert [p.name for p in models.iterdir() if not p.name.startswith(".")] == ["AMP.json"]


def test_list_remove_rename_order_on_the_directory(lib):
    models, _, tmp = lib
    for name in ("clean", "crunch", "lead"):
        assert run(lib, "upload", tmp / "amp.json", "--name", name).status == 0
    (models / "broken.json").write_text("{")
    assert run(lib, "order", "lead", "clean").out.strip() == "footswitch order: lead, clean, then the rest by name"
    listing = run(lib, "--json", "list").json
    assert [m["name"] for m in listing["models"]] == ["lead", "clean", "crunch"]
    assert listing["models"][0]["loudness_db"] == pytest.approx(-18.6, abs=0.05)
    assert "broken.json" in listing["skipped"]
    human = run(lib, "list").out
    assert "   1  lead" in human and "44.1 kHz" in human and "skipped broken.json:" in human
    assert run(lib, "rename", "lead", "solo").status == 0
    assert run(lib, "remove", "crunch").out.strip() == "removed 'crunch' (crunch.json)"
    assert [m["name"] for m in run(lib, "--json", "list").json["models"]] == ["solo", "clean"]
    missing = run(lib, "remove", "crunch")
    assert missing.status == 1 and "no model called 'crunch'" in missing.err


def test_errors_are_json_too_with_json(lib):
    result = run(lib, "--json", "remove", "nothing")
    assert result.status == 1 and result.json == {"ok": False, "error": f"no models directory {lib[0]}"}


def test_the_installed_console_script_runs(lib):
    pedalctl = ROOT / ".venv" / "bin" / "pedalctl"
    command = [str(pedalctl)] if pedalctl.exists() else [sys.executable, "-m", "pedal.cli"]
    models, config, tmp = lib
    result = subprocess.run(command + ["--library", str(models), "--config", str(config), "--json", "upload", "-",
                                       "--name", "piped"], input=DATA, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["file"] == str(models / "piped.json")
