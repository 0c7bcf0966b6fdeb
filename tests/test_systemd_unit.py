"""systemd/pedald.service passes systemd's own checker, and says what the daemon needs."""

import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "pedald.service"


def test_systemd_analyze_verify_reports_nothing(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    # verify checks that ExecStart exists: point it at a stand-in for the installed pedald.
    pedald = tmp_path / "pedald"
    pedald.write_text("#!/bin/sh\n")
    pedald.chmod(0o755)
    unit = tmp_path / "pedald.service"
    unit.write_text(UNIT.read_text().replace("/usr/bin/pedald", str(pedald)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


def test_the_unit_is_a_watched_realtime_service_with_hardening():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=always", "After=sound.target", "LimitRTPRIO=",
                 "LimitMEMLOCK=infinity", "User=pedal", "SupplementaryGroups=audio gpio", "ProtectSystem=strict",
                 "NoNewPrivileges=yes"):
        assert line in text, line
