"""pedal.daemon: the pieces that need no sound card."""

import socket
import subprocess
import sys

import pytest

from pedal.daemon import CpuMeter, sd_notify
from tests.conftest import ROOT


def test_sd_notify_speaks_to_systemds_socket(tmp_path, monkeypatch):
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert sd_notify("READY=1")
        assert systemd.recv(100) == b"READY=1"


def test_sd_notify_is_a_no_op_outside_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sd_notify("WATCHDOG=1") is False


def test_sd_notify_reaches_an_abstract_socket(monkeypatch):
    name = f"pedal-test-{id(monkeypatch)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sd_notify("WATCHDOG=1")
        assert systemd.recv(100) == b"WATCHDOG=1"


def test_cpu_is_block_time_as_percent_of_the_period():
    meter = CpuMeter(128 / 48000)  # 2666.7 us
    meter.add({"blocks": 10, "block_us": {"min": 100.0, "avg": 266.67, "max": 800.0}})
    meter.add({"blocks": 0, "block_us": {"min": 0.0, "avg": 0.0, "max": 0.0}})
    average, peak = meter.take_window()
    assert average == pytest.approx(10.0, abs=0.01) and peak == pytest.approx(30.0, abs=0.01)
    assert meter.take_window() == (0.0, 0.0)
    assert meter.percent(meter.total)[0] == pytest.approx(10.0, abs=0.01)


def test_a_bad_configuration_stops_the_daemon_with_one_line_and_status_2(tmp_path):
    config = tmp_path / "pedal.toml"
    config.write_text("[audio]\nperiod = 4096\n")
    result = subprocess.run([sys.executable, "-m", "pedal.daemon", "--config", str(config)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"pedald: {config}: [audio] period: must be 32..1024, got 4096"]
