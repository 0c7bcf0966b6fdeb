"""pedal.housekeeping: systemd notification and the CPU meter, without a sound card."""

import socket

import pytest

from pedal.housekeeping import CpuMeter, sd_notify


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
