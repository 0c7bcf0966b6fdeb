"""Crash safety of the model store, against a real pedald (JACK's dummy driver under ALSA):
200 uploads, each SIGKILLed at a random moment (or left to finish), leave the
library with only complete, valid models, and the pedal plays on throughout."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from pedal.control import request
from pedal.core import Model
from pedal.demo import RATE, JackDummy, write_asoundrc, write_config, write_di
from pedal.files import TEMPORARY_PREFIX
from pedal.store import stored_metadata
from tests.support.jack_pedald import pedald_on_jack
from tests.support.paths import GOLDEN, ROOT
from tests.support.pedalctl import DATA, model_bytes
from tests.support.waiting import daemon_status, wait_for

pytestmark = pytest.mark.skipif(not JackDummy.available(), reason="jackd is not installed (Debian package jackd2)")

UPLOADS = 200


def storm(directory, sources, count: int, parallel: int, *options: str) -> dict:
    """pedald playing on JACK's dummy driver while tests.rigs.upload_storm runs ``count`` uploads
    (or with "--rigs", rig imports) of ``sources``, ``parallel`` at a time, each SIGKILLed at a
    random moment or left to finish; then a reload. What was seen: the storm's summary, pedald's
    status before, during and after, the temporary files and journals the kills left (before the
    reload), the models and rigs pedald lists after it, and its log."""
    di_raw, out_raw = directory / "di.raw", directory / "out.raw"
    write_di(di_raw, 120.0)
    write_asoundrc(directory, di_raw, out_raw)
    config = write_config(directory, period=128, periods=3)
    socket = directory / "control.sock"
    with pedald_on_jack(directory, config, 128, 110) as daemon:
        def status():
            return daemon_status(socket, daemon, directory / "pedald.log", timeout=5)

        before = wait_for(lambda: (s := status()) and s["audio"] == "running" and s, 30, "audio to run")
        run = subprocess.run([sys.executable, "-m", "tests.rigs.upload_storm", "--config", str(config),
                              "--sources", str(sources), "--count", str(count), "--parallel", str(parallel), *options],
                             cwd=ROOT, capture_output=True, text=True, timeout=240)
        assert run.returncode == 0, run.stderr
        during = status()
        leftovers = sorted(p.name for p in (directory / "models").iterdir() if p.name.startswith(TEMPORARY_PREFIX))
        journals = sorted(p.name for p in (directory / "rigs").glob(".journal-*"))
        assert request(socket, {"cmd": "reload"}, timeout=30)["ok"]
        after = wait_for(lambda: (s := status()) and s["frames"] > during["frames"] and s, 10, "audio after")
        models, rigs = request(socket, {"cmd": "list"}), request(socket, {"cmd": "rig", "action": "list"})
    return {"summary": json.loads(run.stdout), "before": before, "during": during, "after": after,
            "leftovers": leftovers, "journals": journals, "models": models, "rigs": rigs,
            "log": (directory / "pedald.log").read_text()}


def test_uploads_killed_at_random_moments_leave_only_complete_models_and_the_pedal_playing(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "clean.json").write_bytes(DATA)
    sources = tmp_path / "sources"
    sources.mkdir()
    variants = {f"mix{scale}.json": model_bytes(mix_scale=scale) for scale in (0.5, 0.8, 1.5, 2.0)}
    variants["golden.json"] = (GOLDEN / "pedalnet_c4_d4_k3.model.json").read_bytes()
    for name, data in variants.items():
        (sources / name).write_bytes(data)
    complete = {hashlib.sha256(data).hexdigest() for data in [DATA, *variants.values()]}

    run = storm(tmp_path, sources, UPLOADS, 4)
    summary, before, during, after, log = run["summary"], run["before"], run["during"], run["after"], run["log"]
    leftovers, listed = run["leftovers"], run["models"]
    print(f"\nSTORM: {summary}; temporary files left by kills: {len(leftovers)} (removed by reload); "
          f"{len(listed['models'])} models; xruns {after['xruns']}")

    assert summary["started"] == UPLOADS and summary["failed"] == 0
    assert summary["killed"] >= UPLOADS // 2          # most were interrupted, at every stage
    assert summary["finished"] >= 10                  # and some changed the library for real
    # The pedal played on: audio running all along, frames moving, the daemon answered throughout.
    assert during["audio"] == "running" and after["audio"] == "running" and during["frames"] > before["frames"]
    assert "Traceback" not in log
    # Only complete models: every model file is byte for byte one of the sources, and loads.
    files = sorted(p for p in models.iterdir() if not p.name.startswith("."))
    for path in files:
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() in complete, f"{path.name} is not a complete upload"
        Model.from_json(data)
        meta = stored_metadata(path, data)
        assert meta is None or meta["file"] == path.name
    assert listed["skipped"] == {}
    assert sorted(m["file"] for m in listed["models"]) == [p.name for p in files]
    assert not any(p.name.startswith(TEMPORARY_PREFIX) for p in models.iterdir())   # reload cleaned up


RIG_IMPORTS = 60


def test_rig_imports_killed_at_random_moments_leave_the_old_library_or_the_whole_rig(tmp_path):
    """`pedalctl rig import` writes a rig, its captures and its cabinet in one transaction: after
    any kill, once pedald has read the library again, a bundle's rig is there with every capture and
    its cabinet byte for byte, or none of what it brought is."""
    from pedal import rig_bundle, rigs, wavfile

    models = tmp_path / "models"
    models.mkdir()
    (models / "clean.json").write_bytes(DATA)
    box = np.zeros(480, np.float32)
    box[0], box[25] = 0.8, -0.3
    bundles, sources = {}, tmp_path / "bundles"
    sources.mkdir()
    for letter, parts, cabinet in (("a", {"drive": GOLDEN / "pedalnet_c4_d4_k3.model.json",
                                          "amp": GOLDEN / "wavenetva_c5_d3_k4_numbers.model.json"}, True),
                                   ("b", {"amp": None}, True), ("c", {"drive": None, "amp": None}, False)):
        captures = {f"{letter}-{role}": (f"{letter}-{role}.json", path.read_bytes() if path else
                                         model_bytes(mix_scale=0.5 + 0.3 * n + ord(letter) % 3))
                    for n, (role, path) in enumerate(parts.items())}
        ir = (f"{letter}-box", wavfile.encode(box * (1 + ord(letter) % 3), RATE)) if cabinet else None
        text = "".join(f'[[capture]]\nmodel = "{name}"\n' for name in captures)
        if ir:
            text = f'cabinet = "{ir[0]}"\n' + text
        rig = rigs.parse_rig(text, f"storm-{letter}.toml", f"storm-{letter}")
        bundles[rig.name] = (captures, ir)
        (sources / f"storm-{letter}.pedalrig").write_bytes(rig_bundle.write_bundle(rig, captures, ir))

    run = storm(tmp_path, sources, RIG_IMPORTS, 3, "--rigs")
    summary, before, during, after, log = run["summary"], run["before"], run["during"], run["after"], run["log"]
    journals, played = run["journals"], run["rigs"]
    print(f"\nRIG STORM: {summary}; journals left by kills: {len(journals)} (completed by reload); "
          f"rigs {played['rigs']}; xruns {after['xruns']}")
    assert summary["started"] == RIG_IMPORTS and summary["failed"] == 0
    assert summary["killed"] >= RIG_IMPORTS // 3 and summary["finished"] >= 3
    assert during["audio"] == "running" and after["audio"] == "running" and during["frames"] > before["frames"]
    assert "Traceback" not in log
    for directory in (models, tmp_path / "irs", tmp_path / "rigs"):
        assert not [p.name for p in directory.iterdir() if p.name.startswith((TEMPORARY_PREFIX, ".journal-"))]
    for name, (captures, ir) in bundles.items():
        carried = [(models / file_name, data) for file_name, data in captures.values()]
        if ir:
            carried.append((tmp_path / "irs" / f"{ir[0]}.wav", ir[1]))
        present = [path.exists() for path, _ in carried]
        if (tmp_path / "rigs" / f"{name}.toml").exists():   # the new library: the whole rig
            assert all(present) and all(path.read_bytes() == data for path, data in carried), name
            assert name in played["rigs"]
        else:                                               # the old one: nothing of it
            assert not any(present), name
    assert played["skipped"] == {}
