"""A read-only SD card: ``pedalctl system readonly on|off|status``.

A pedal is switched off by pulling the plug. With the overlay on, the root
file system is read-only and every write to it goes to RAM (Raspberry Pi OS's
overlay file system, the ``overlayroot`` package), so a power cut can never
damage it; only the pedal's own directory, /var/lib/pedal (models and
state.json, written by pedal.files' temp-fsync-rename-fsync discipline), is
written to the card. For that it must be a file system of its own (a partition
or a USB stick in /etc/fstab): the overlay would otherwise hold it in RAM too,
and every model uploaded or setting changed would be gone at the next boot.

    sudo pedalctl system readonly status
    sudo pedalctl system readonly on       # then reboot
    sudo pedalctl system readonly off      # then reboot; install or update things; on again

``on`` runs ``raspi-config nonint enable_overlayfs`` and then makes the
overlay cover only / (``overlayroot=tmpfs:recurse=0`` on the kernel command
line; raspi-config's plain ``overlayroot=tmpfs`` would overlay every mount,
/var/lib/pedal included). ``off`` undoes both. Where raspi-config is missing
(not Raspberry Pi OS) nothing is changed and the message says what to do.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from pedal.files import write_atomically

STATE_DIR = Path("/var/lib/pedal")
OVERLAY = "overlayroot=tmpfs"              # what raspi-config writes
OVERLAY_ROOT_ONLY = "overlayroot=tmpfs:recurse=0"  # what we want: / only, other mounts stay real
BOOT_CMDLINES = (Path("/boot/firmware/cmdline.txt"), Path("/boot/cmdline.txt"))  # bookworm, older
PERSISTENT = {"ext4", "ext3", "ext2", "f2fs", "btrfs", "xfs"}  # journalled or copy-on-write: power-cut safe


class ReadonlyError(RuntimeError):
    """A one-line reason why the mode cannot be changed (nothing was changed)."""


@dataclass(frozen=True)
class Mount:
    point: str
    fstype: str
    options: str     # per-mount options, e.g. "rw,noatime"
    device: str

    @property
    def writable(self) -> bool:
        return "rw" in self.options.split(",")


def parse_mountinfo(text: str) -> list[Mount]:
    """/proc/self/mountinfo lines (man 5 proc) as Mounts, in mount order."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 10:
            continue
        separator = fields.index("-")
        point = fields[4].replace("\\040", " ")
        mounts.append(Mount(point=point, fstype=fields[separator + 1], options=fields[5],
                            device=fields[separator + 2]))
    return mounts


def mount_of(path: Path, mounts: list[Mount]) -> Mount | None:
    """The mount that holds ``path``: the longest mount point above it (the last one mounted wins)."""
    best, text = None, str(path)
    for mount in mounts:
        point = mount.point
        if point == "/" or text == point or text.startswith(point + "/"):
            if best is None or len(point) >= len(best.point):
                best = mount
    return best


@dataclass(frozen=True)
class Status:
    overlay_now: bool          # / is an overlay in RAM right now
    overlay_next_boot: bool    # the kernel command line on the boot partition asks for it
    root_only: bool            # ... and for / only (recurse=0)
    state_dir: str
    state_mount: str           # mount point holding the state directory
    state_fstype: str
    state_persistent: bool     # its own mount, on a power-cut-safe file system, not the overlay
    state_writable: bool
    raspi_config: bool

    def lines(self) -> list[str]:
        now = "read-only (overlay in RAM)" if self.overlay_now else "writable"
        nxt = ("read-only" + ("" if self.root_only else ", every mount overlaid (state lost at reboot!)")
               if self.overlay_next_boot else "writable")
        where = (f"its own {self.state_fstype} file system at {self.state_mount}" if self.state_persistent
                 else f"on {self.state_mount} ({self.state_fstype})")
        access = "writable" if self.state_writable else "not writable here" if Path(self.state_dir).exists() \
            else "missing"
        lines = [f"root file system: {now}; after the next boot: {nxt}",
                 f"state directory {self.state_dir}: {where}, {access}"]
        if not self.raspi_config:
            lines.append("raspi-config is not installed: read-only mode is scripted for Raspberry Pi OS only")
        return lines


class SdCard:
    """The machine's boot configuration and mounts, as ``readonly`` sees them.

        >>> card = SdCard()
        >>> card.status().overlay_next_boot
        False
        >>> card.enable()          # raspi-config, then recurse=0; reboot to apply

    Every path is a parameter so tests can point it at files of their own.
    """

    def __init__(self, state_dir: Path = STATE_DIR, mountinfo: Path = Path("/proc/self/mountinfo"),
                 proc_cmdline: Path = Path("/proc/cmdline"), boot_cmdline: Path | None = None,
                 raspi_config: str | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.mountinfo = Path(mountinfo)
        self.proc_cmdline = Path(proc_cmdline)
        self.boot_cmdline = boot_cmdline or next((p for p in BOOT_CMDLINES if p.exists()), BOOT_CMDLINES[0])
        self.raspi_config = raspi_config or shutil.which("raspi-config")

    def mounts(self) -> list[Mount]:
        return parse_mountinfo(self.mountinfo.read_text())

    def status(self) -> Status:
        mounts = self.mounts()
        root = mount_of(Path("/"), mounts)
        state = mount_of(self.state_dir, mounts) or root
        booted = _read(self.proc_cmdline)
        configured = _read(self.boot_cmdline)
        overlay_now = OVERLAY in booted or (root is not None and root.fstype == "overlay")
        own = state is not None and state.point != "/"
        return Status(overlay_now=overlay_now, overlay_next_boot=OVERLAY in configured,
                      root_only=OVERLAY_ROOT_ONLY in configured, state_dir=str(self.state_dir),
                      state_mount=state.point if state else "?", state_fstype=state.fstype if state else "?",
                      state_persistent=own and state.fstype in PERSISTENT,
                      state_writable=state is not None and state.writable and os.access(self.state_dir, os.W_OK),
                      raspi_config=self.raspi_config is not None)

    def enable(self) -> None:
        status = self.status()
        self._need_raspi_config("on")
        if not status.state_persistent:
            raise ReadonlyError(
                f"{self.state_dir} is on {status.state_mount} ({status.state_fstype}), not a file system of its own: "
                f"with / read-only, models and settings would live in RAM and be lost at every boot. Give it a "
                f"partition or USB stick first (README: 'On a Raspberry Pi', read-only SD card)")
        self._raspi("enable_overlayfs")
        self._edit_cmdline(f"{OVERLAY} ", f"{OVERLAY_ROOT_ONLY} ")

    def disable(self) -> None:
        self._need_raspi_config("off")
        # raspi-config removes only the exact "overlayroot=tmpfs " it wrote: give it back that form.
        self._edit_cmdline(f"{OVERLAY_ROOT_ONLY} ", f"{OVERLAY} ")
        self._raspi("disable_overlayfs")

    def _need_raspi_config(self, mode: str) -> None:
        if self.raspi_config is None:
            raise ReadonlyError(
                f"cannot turn read-only mode {mode}: raspi-config is not installed (not Raspberry Pi OS). "
                f"On another Debian, install overlayroot and put '{OVERLAY_ROOT_ONLY}' on the kernel command line")

    def _raspi(self, function: str) -> None:
        result = subprocess.run([self.raspi_config, "nonint", function], capture_output=True, text=True)
        if result.returncode != 0:
            said = (result.stdout + result.stderr).strip().splitlines()
            raise ReadonlyError(f"raspi-config nonint {function} failed (status {result.returncode})"
                                + (f": {said[-1]}" if said else ""))

    def _edit_cmdline(self, old: str, new: str) -> None:
        text = _read(self.boot_cmdline)
        if old not in text:
            return
        # The boot partition may be mounted read-only (raspi-config's "boot read-only"): open it for the edit.
        boot = mount_of(self.boot_cmdline.parent, self.mounts())
        reopen = boot is not None and boot.point != "/" and not boot.writable
        if reopen:
            subprocess.run(["mount", "-o", "remount,rw", boot.point], check=True)
        try:
            write_atomically(self.boot_cmdline, text.replace(old, new).encode(), mode=None)
        finally:
            if reopen:
                subprocess.run(["mount", "-o", "remount,ro", boot.point], check=False)


def _read(path: Path) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def main(argv=None, card: SdCard | None = None) -> int:
    """``system readonly on|off|status [--json]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="pedalctl system readonly",
                                     description="Read-only root file system (power-cut safe SD card).")
    parser.add_argument("mode", choices=("on", "off", "status"))
    parser.add_argument("--json", action="store_true", help="machine-readable status")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    card = card or SdCard()
    try:
        if args.mode != "status":
            if os.geteuid() != 0:
                raise ReadonlyError(f"changing the boot configuration needs root: sudo pedalctl system readonly "
                                    f"{args.mode}")
            (card.enable if args.mode == "on" else card.disable)()
        status = card.status()
    except (ReadonlyError, OSError, subprocess.CalledProcessError) as error:
        print(f"pedalctl: system readonly {args.mode}: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(asdict(status)))
        return 0
    for line in status.lines():
        print(line)
    if args.mode != "status":
        changed = status.overlay_next_boot != status.overlay_now
        print("reboot to apply (sudo reboot)" if changed else "nothing to change")
    return 0


if __name__ == "__main__":
    sys.exit(main())
