"""Crash safety of the model store, against a real pedald (JACK's dummy driver under ALSA):
200 uploads, each SIGKILLed at a random moment (or left to finish), leave the
library with only complete, valid models, and the pedal plays on throughout."""

import hashlib
import json
import subprocess
import sys

import pytest

from pedal.control import request
from pedal.core import Model
from pedal.demo import RATE, JackDummy, daemon_command, write_asoundrc, write_config, write_di
from pedal.files import TEMPORARY_PREFIX
from pedal.store import stored_metadata
from tests.support.paths import GOLDEN, ROOT
from tests.support.pedalctl import DATA, model_bytes
from tests.support.waiting import daemon_status, wait_for

pytestmark = pytest.mark.skipif(not JackDummy.available(), reason="jackd is not installed (Debian package jackd2)")

UPLOADS = 200


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

    di_raw, out_raw = tmp_path / "di.raw", tmp_path / "out.raw"
    write_di(di_raw, 120.0)
    write_asoundrc(tmp_path, di_raw, out_raw)
    config = write_config(tmp_path, period=128, periods=3)
    socket = tmp_path / "control.sock"
    with JackDummy(RATE, 128, log_path=tmp_path / "jackd.log") as jack:
        env = jack.env()
        env["HOME"] = str(tmp_path)
        with open(tmp_path / "pedald.log", "wb") as log:
            daemon = subprocess.Popen(daemon_command(config, "--seconds", "110"), env=env, cwd=ROOT, stdout=log,
                                      stderr=subprocess.STDOUT)
        try:
            def status():
                return daemon_status(socket, daemon, tmp_path / "pedald.log", timeout=5)

            before = wait_for(lambda: (s := status()) and s["audio"] == "running" and s, 30, "audio to run")
            storm = subprocess.run([sys.executable, "-m", "tests.rigs.upload_storm", "--config", str(config),
                                    "--sources", str(sources), "--count", str(UPLOADS), "--parallel", "4"],
                                   cwd=ROOT, capture_output=True, text=True, timeout=240)
            assert storm.returncode == 0, storm.stderr
            summary = json.loads(storm.stdout)
            during = status()
            leftovers = sorted(p.name for p in models.iterdir() if p.name.startswith(TEMPORARY_PREFIX))
            assert request(socket, {"cmd": "reload"}, timeout=30)["ok"]
            after = wait_for(lambda: (s := status()) and s["frames"] > during["frames"] and s, 10, "audio after")
            listed = request(socket, {"cmd": "list"})
        finally:
            daemon.terminate()
            daemon.wait(15)
    log = (tmp_path / "pedald.log").read_text()
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
