"""Writing files so that a power cut never leaves half of one behind.

The data goes to a temporary file in the same directory (same file system, so
the rename is atomic), is flushed to the disk, renamed over the target, and the
directory itself is flushed so the rename survives a power cut. Readers see the
old file or the new one, never a mix; a leftover temporary file has a name that
starts with ".tmp-" which every reader skips.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMPORARY_PREFIX = ".tmp-"


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temporary(directory: Path | str, data: bytes, mode: int | None = 0o644) -> Path:
    """A temporary file in ``directory`` holding ``data``, flushed to the disk (removed again if
    writing fails); the caller renames it into place."""
    fd, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return Path(temporary)


def write_atomically(path: Path | str, data: bytes, mode: int | None = 0o644) -> None:
    """Replaces ``path`` with ``data`` in one step that survives a power cut.
    ``mode=None`` leaves the mode alone (FAT, e.g. a Pi's boot partition, refuses chmod)."""
    path = Path(path)
    temporary = write_temporary(path.parent, data, mode)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def remove_leftovers(directory: Path | str) -> int:
    """Deletes temporary files a crash left behind; returns how many."""
    removed = 0
    for leftover in Path(directory).glob(TEMPORARY_PREFIX + "*"):
        try:
            leftover.unlink()
            removed += 1
        except OSError:
            pass
    return removed
