"""pedalctl rig export and rig import: a rig with its captures and cabinet in one file, checked
whole on the way in and stored in one transaction (pedal.transaction)."""

import io
import json
import shutil
import zipfile

import numpy as np
import pytest

from pedal import rigs, transaction, wavfile
from pedal.store import stored_metadata
from tests.support.paths import GOLDEN, shared_model
from tests.support.pedalctl import pedalctl

AMP = GOLDEN / "pedalnet_c4_d4_k3.model.json"


def library(root, models=()):
    (root / "models").mkdir(parents=True)
    (root / "irs").mkdir()
    for name, source in models:
        shutil.copy(source, root / "models" / name)
    (root / "pedal.toml").write_text("[audio]\nperiod = 64\n")
    return root


def run(root, *argv):
    return pedalctl("--library", root / "models", "--config", root / "pedal.toml", *argv)


@pytest.fixture
def exported(tmp_path):
    """crunch (TS9 driven into an amp, a cabinet, the TS9's gain knob at 0.8) exported from one pedal."""
    home = library(tmp_path / "home", [("TS9.json", shared_model("NeuralPi/TS9.json")), ("amp.json", AMP)])
    box = np.zeros((480, 1), np.float32)
    box[0, 0], box[30, 0] = 0.7, 0.2
    wavfile.write(home / "irs" / "box.wav", box, 48000)
    assert run(home, "rig", "new", "crunch", "--capture", "TS9", "--drive", "3", "--capture", "amp", "--ir", "box").status == 0
    assert run(home, "rig", "set", "crunch", "capture[1].knobs.gain=0.8").status == 0
    written = run(home, "rig", "export", "crunch", "-o", tmp_path / "crunch.pedalrig")
    assert written.status == 0, written.err
    assert written.out.startswith("wrote ") and "rig 'crunch' with 2 capture(s) and cabinet 'box'" in written.out
    return home, tmp_path / "crunch.pedalrig"


def test_a_rig_travels_whole_to_another_pedal(exported, tmp_path):
    home, bundle = exported
    away = library(tmp_path / "away")
    imported = run(away, "--json", "rig", "import", bundle)
    assert imported.status == 0, imported.err
    assert imported.json["stored"] == ["TS9", "amp", "box"] and imported.json["reused"] == []
    for folder, name in (("models", "TS9.json"), ("models", "amp.json"), ("irs", "box.wav"), ("rigs", "crunch.toml")):
        assert (away / folder / name).read_bytes() == (home / folder / name).read_bytes(), name
    # Validated as an upload is: the sidecar holds what was measured, for these bytes.
    meta = stored_metadata(away / "models" / "TS9.json", (away / "models" / "TS9.json").read_bytes())
    assert meta["loudness_db"] is not None and meta["cpu_percent"] > 0
    assert not [p for p in (away / "rigs").iterdir() if p.name.startswith((".tmp-", transaction.JOURNAL_PREFIX))]


def test_an_import_uses_what_the_library_holds_and_renames_what_clashes(exported, tmp_path):
    _, bundle = exported
    away = library(tmp_path / "away", [("TS9.json", shared_model("NeuralPi/TS9.json")),
                                       ("amp.json", GOLDEN / "pedalnet_c3_d2_r2_k2.model.json")])
    imported = run(away, "--json", "rig", "import", bundle, "--name", "Crunch 2")
    assert imported.status == 0, imported.err
    assert imported.json["reused"] == ["TS9"] and imported.json["stored"] == ["amp (Crunch 2)", "box"]
    rig = rigs.parse_rig((away / "rigs" / "Crunch 2.toml").read_text(), "Crunch 2.toml")
    assert [c.model for c in rig.captures] == ["TS9", "amp (Crunch 2)"] and rig.captures[0].knobs == {"gain": 0.8}
    assert (away / "models" / "amp.json").read_bytes() == (GOLDEN / "pedalnet_c3_d2_r2_k2.model.json").read_bytes()
    again = run(away, "rig", "import", bundle, "--name", "Crunch 2")
    assert again.status == 1 and "a rig called 'Crunch 2' is already there" in again.err


def damaged(bundle, change):
    """The bundle with one entry changed by ``change(name, data)`` (None: left out)."""
    source = zipfile.ZipFile(bundle)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("change, error", [
    (lambda name, data: data[:-10] + b"0" * 10 if name == "captures/amp.json" else data,
     "crunch.pedalrig: captures/amp.json: its SHA-256 is not the manifest's: the bundle is damaged"),
    (lambda name, data: None if name == "cabinet/box.wav" else data,
     "crunch.pedalrig: cabinet/box.wav: missing (cabinet)"),
    (lambda name, data: data.replace(b'model = "amp"', b'model = "plexi"') if name == "rig.toml" else data,
     "crunch.pedalrig: rig.toml: capture[2].model: 'plexi' is not carried in the bundle"),
    (lambda name, data: data.replace(b"input_gain_db = 3.0", b"input_gain_db = 300.0") if name == "rig.toml" else data,
     "crunch.pedalrig: rig.toml: capture[1].input_gain_db: 300 is outside -40..40 dB"),
    (lambda name, data: b"{not json" if name == "manifest.json" else data, "crunch.pedalrig: manifest.json: not JSON"),
    (lambda name, data: json.dumps(dict(json.loads(data), version=7)).encode() if name == "manifest.json" else data,
     "crunch.pedalrig: manifest.json: version 7; this pedal reads version 1"),
])
def test_a_bad_bundle_is_refused_in_one_line_and_nothing_is_written(exported, tmp_path, change, error):
    _, bundle = exported
    broken = tmp_path / "crunch.pedalrig"
    broken.write_bytes(damaged(bundle, change))
    away = library(tmp_path / "away")
    refused = run(away, "rig", "import", broken)
    assert refused.status == 1 and refused.err.startswith(f"pedalctl: {error}"), refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert not list((away / "models").iterdir()) and not (away / "rigs").exists()


def test_a_file_that_is_no_bundle_is_refused(tmp_path):
    away = library(tmp_path / "away")
    (tmp_path / "plexi.pedalrig").write_bytes(AMP.read_bytes())
    refused = run(away, "rig", "import", tmp_path / "plexi.pedalrig")
    assert refused.status == 1 and refused.err.startswith("pedalctl: plexi.pedalrig: not a rig bundle (a .pedalrig "
                                                          "file from `pedalctl rig export`)")


def test_an_import_killed_after_it_committed_is_completed_before_anything_reads_the_library(exported, tmp_path,
                                                                                          monkeypatch):
    """The journal is written, the renames are not (a kill right there): the next pedalctl or
    pedald finishes them, so the library is the old one or the whole new rig, never a part."""
    _, bundle = exported
    away = library(tmp_path / "away")

    def killed(journal, allowed):
        raise KeyboardInterrupt("killed between the journal and the renames")
    monkeypatch.setattr(transaction, "_complete", killed)
    assert run(away, "rig", "import", bundle).status != 0
    monkeypatch.undo()
    assert not (away / "rigs" / "crunch.toml").exists() and len(list((away / "rigs").glob(".journal-*"))) == 1
    listed = run(away, "--json", "rig", "list")
    assert listed.status == 0 and [r["name"] for r in listed.json["rigs"]] == ["crunch"]
    assert (away / "models" / "TS9.json").exists() and (away / "irs" / "box.wav").exists()
    assert not list((away / "rigs").glob(".journal-*"))
