"""The systemd units (pedald, and pedal-web with its socket) pass systemd's own checker, and say
what each process needs."""

import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEMD = Path(__file__).resolve().parent.parent / "systemd"
UNIT = SYSTEMD / "pedald.service"
WEB = SYSTEMD / "pedal-web.service"


@pytest.mark.parametrize("names", [["pedald.service"], ["pedal-web.service", "pedal-web.socket"]])
def test_systemd_analyze_verify_reports_nothing(tmp_path, names):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    # verify checks that ExecStart exists: point it at stand-ins for the installed programs.
    for program in ("pedald", "pedal-web"):
        (tmp_path / program).write_text("#!/bin/sh\n")
        (tmp_path / program).chmod(0o755)
    for name in names:
        (tmp_path / name).write_text((SYSTEMD / name).read_text().replace("/usr/bin/", f"{tmp_path}/"))
    result = subprocess.run([analyze, "verify", *(str(tmp_path / name) for name in names)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


def test_the_unit_is_a_watched_realtime_service_with_hardening():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=always", "After=sound.target", "LimitRTPRIO=",
                 "LimitMEMLOCK=infinity", "User=pedal", "SupplementaryGroups=audio gpio", "ProtectSystem=strict",
                 "NoNewPrivileges=yes"):
        assert line in text, line


def test_the_web_page_runs_unprivileged_below_the_audio_and_reaches_port_80_through_its_socket():
    text = WEB.read_text()
    for line in ("User=pedal", "Requires=pedal-web.socket", "After=pedald.service", "Nice=10",
                 "CapabilityBoundingSet=\n", "NoNewPrivileges=yes", "ProtectSystem=strict", "RestrictRealtime=yes"):
        assert line in text, line
    assert "ListenStream=80" in (SYSTEMD / "pedal-web.socket").read_text()
