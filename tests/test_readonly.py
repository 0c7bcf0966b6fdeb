"""pedal.readonly (`pedalctl system readonly on|off|status`): the SD card's root
read-only, the state directory on a file system of its own.

raspi-config exists only on Raspberry Pi OS; here a stand-in on the command's
path applies raspi-config's own edit of cmdline.txt (its enable_overlayfs and
disable_overlayfs `sed` lines) and records how it was called.
"""

import json
import os

import pytest

from pedal.readonly import SdCard, main, mount_of, parse_mountinfo

PI_MOUNTS = """\
22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw
23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw
24 22 179:1 / /boot/firmware rw,relatime shared:3 - vfat /dev/mmcblk0p1 rw
25 22 179:3 / /var/lib/pedal rw,noatime shared:4 - ext4 /dev/mmcblk0p3 rw
"""
ONE_PARTITION = "22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"
OVERLAID = "22 1 0:30 / / rw,noatime shared:1 - overlay overlayroot rw,lowerdir=/media/root-ro\n" + \
    PI_MOUNTS.split("\n", 1)[1]
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait\n"

# The two lines raspi-config runs on cmdline.txt (enable_overlayfs, disable_overlayfs).
RASPI_CONFIG = """#!/bin/sh
echo "$*" >> "$RASPI_LOG"
case "$2" in
    enable_overlayfs) grep -q "overlayroot=tmpfs" "$CMDLINE" || sed -i "$CMDLINE" -e "s/^/overlayroot=tmpfs /" ;;
    disable_overlayfs) sed -i "$CMDLINE" -e "s/\\(.*\\)overlayroot=tmpfs \\(.*\\)/\\1\\2/" ;;
    *) exit 1 ;;
esac
"""


@pytest.fixture
def pi(tmp_path, monkeypatch):
    """A Raspberry Pi's boot files and mounts, with the raspi-config stand-in."""
    (tmp_path / "cmdline.txt").write_text(CMDLINE)
    (tmp_path / "mountinfo").write_text(PI_MOUNTS)
    (tmp_path / "proc_cmdline").write_text(CMDLINE)
    raspi = tmp_path / "raspi-config"
    raspi.write_text(RASPI_CONFIG)
    raspi.chmod(0o755)
    monkeypatch.setenv("CMDLINE", str(tmp_path / "cmdline.txt"))
    monkeypatch.setenv("RASPI_LOG", str(tmp_path / "raspi.log"))
    return tmp_path


def card(pi, raspi=True) -> SdCard:
    return SdCard(state_dir="/var/lib/pedal", mountinfo=pi / "mountinfo", proc_cmdline=pi / "proc_cmdline",
                  boot_cmdline=pi / "cmdline.txt", raspi_config=str(pi / "raspi-config") if raspi else None)


def test_the_state_directory_belongs_to_the_deepest_mount_above_it():
    mounts = parse_mountinfo(PI_MOUNTS)
    assert mount_of("/var/lib/pedal/models/amp.nam", mounts).device == "/dev/mmcblk0p3"
    assert mount_of("/var/lib/pedalboard", mounts).point == "/"
    assert mount_of("/boot/firmware/cmdline.txt", mounts).fstype == "vfat"


def test_on_asks_raspi_config_then_keeps_the_overlay_off_other_mounts(pi):
    sd = card(pi)
    sd.enable()
    assert (pi / "raspi.log").read_text() == "nonint enable_overlayfs\n"
    assert (pi / "cmdline.txt").read_text() == "overlayroot=tmpfs:recurse=0 " + CMDLINE
    status = sd.status()
    assert status.overlay_next_boot and status.root_only and not status.overlay_now and status.state_persistent


def test_off_gives_raspi_config_back_its_own_line_and_the_command_line_is_as_before(pi):
    sd = card(pi)
    sd.enable()
    (pi / "proc_cmdline").write_text((pi / "cmdline.txt").read_text())  # rebooted into the overlay
    (pi / "mountinfo").write_text(OVERLAID)
    assert sd.status().overlay_now
    sd.disable()
    assert (pi / "raspi.log").read_text() == "nonint enable_overlayfs\nnonint disable_overlayfs\n"
    assert (pi / "cmdline.txt").read_text() == CMDLINE
    assert not sd.status().overlay_next_boot


def test_on_is_refused_while_the_state_directory_is_on_the_root_file_system(pi, capsys):
    (pi / "mountinfo").write_text(ONE_PARTITION)
    sd = card(pi)
    assert main(["on"], card=sd) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith("pedalctl: system readonly on: /var/lib/pedal is on / (ext4), not a file system of its own")
    assert (pi / "cmdline.txt").read_text() == CMDLINE and not (pi / "raspi.log").exists()


def test_without_raspi_config_nothing_changes_and_the_message_says_what_to_do(pi, capsys):
    assert main(["on"], card=card(pi, raspi=False)) == 1
    error = capsys.readouterr().err
    assert "raspi-config is not installed" in error and "overlayroot=tmpfs:recurse=0" in error
    assert (pi / "cmdline.txt").read_text() == CMDLINE


def test_changing_the_mode_needs_root(pi, capsys, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["off"], card=card(pi)) == 1
    assert "needs root: sudo pedalctl system readonly off" in capsys.readouterr().err


def test_status_reports_as_json_for_scripts(pi, capsys):
    sd = card(pi)
    assert main(["status", "--json"], card=sd) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["overlay_now"] is False and status["state_mount"] == "/var/lib/pedal"
    assert status["state_fstype"] == "ext4" and status["state_persistent"] is True


def test_status_reads_this_machines_own_mounts(capsys):
    assert main(["status"]) == 0
    assert capsys.readouterr().out.startswith("root file system: ")


def test_pedalctl_system_readonly_status_is_pedal_readonly_status(capsys):
    from pedal.cli import main as pedalctl

    assert pedalctl(["system", "readonly", "status", "--json"]) == 0
    through_pedalctl = json.loads(capsys.readouterr().out)
    assert main(["status", "--json"]) == 0
    assert through_pedalctl == json.loads(capsys.readouterr().out)
