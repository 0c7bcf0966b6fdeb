"""Files in several directories that appear together or not at all: a rig import's captures,
their sidecars, its cabinet and the rig file.

    >>> with locked_all([models_dir, irs_dir, rigs_dir]):
    ...     transaction = Transaction(journal_dir=rigs_dir)
    ...     transaction.add(models_dir / "TS9.json", data)
    ...     transaction.add(rigs_dir / "crunch.toml", text)
    ...     transaction.commit()

Every file is first written in full to a temporary file beside its target (pedal.files' prefix,
so every reader skips it) and flushed to the disk; then a journal listing the renames is written
atomically in ``journal_dir``; then each temporary file is renamed over its target and the
journal removed. A kill before the journal exists leaves only temporary files, which are
leftovers like any other (the old library); a kill after it leaves a journal that ``finish``
completes (pedald at start and reload, pedalctl before an import): every new file. The stores'
locks are held throughout (``locked_all``), so no reader removes a temporary file a journal
still names.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path

from pedal.files import TEMPORARY_PREFIX, fsync_directory, remove_leftovers, write_atomically, write_temporary
from pedal.store import FILE_MODE, StoreError, locked

__all__ = ["JOURNAL_PREFIX", "Transaction", "finish", "locked_all", "recover"]

JOURNAL_PREFIX = ".journal-"


@contextlib.contextmanager
def locked_all(directories: list[Path], wait: bool = True):
    """The stores' locks (pedal.store) of every directory, always taken in the order given, so
    two writers never wait for each other's. ``wait=False``: BlockingIOError when one is held."""
    with contextlib.ExitStack() as stack:
        for directory in directories:
            Path(directory).mkdir(parents=True, exist_ok=True)
            stack.enter_context(locked(Path(directory), wait=wait))
        yield


class Transaction:
    def __init__(self, journal_dir: Path) -> None:
        self.journal_dir = Path(journal_dir)
        self.pending: list[tuple[Path, Path]] = []   # (temporary file, target)
        self.committed = False                        # the journal is written: the files will appear

    def add(self, target: Path, data: bytes) -> None:
        """Writes ``data`` in full beside ``target``, to be renamed over it at commit."""
        target = Path(target)
        self.pending.append((write_temporary(target.parent, data, FILE_MODE), target))

    def commit(self) -> None:
        """From here on every file of the transaction appears (see the module's docstring)."""
        for directory in {temporary.parent for temporary, _ in self.pending}:
            fsync_directory(directory)
        journal = self.journal_dir / f"{JOURNAL_PREFIX}{uuid.uuid4().hex}.json"
        renames = [[str(temporary), str(target)] for temporary, target in self.pending]
        write_atomically(journal, json.dumps({"renames": renames}).encode(), mode=FILE_MODE)
        self.committed = True
        _complete(journal, {target.parent for _, target in self.pending})

    def abort(self) -> None:
        """Removes the temporary files of a transaction not committed (a committed one is finished
        by ``finish`` instead, whatever happened after its journal was written)."""
        if self.committed:
            return
        for temporary, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        self.pending = []


def _complete(journal: Path, allowed: set[Path]) -> None:
    """Does the renames ``journal`` lists (those not done yet), then removes it. Only a rename of
    a temporary file to a name in the same directory, one of ``allowed``, is done."""
    try:
        renames = json.loads(journal.read_text(encoding="utf-8"))["renames"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        renames = []   # unreadable: it cannot have been written whole (it is written atomically)
    touched = set()
    for entry in renames:
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(p, str) for p in entry)):
            continue
        temporary, target = Path(entry[0]), Path(entry[1])
        if (temporary.parent != target.parent or target.parent not in allowed
                or not temporary.name.startswith(TEMPORARY_PREFIX) or target.name.startswith(".tmp")):
            continue
        if temporary.exists():
            os.replace(temporary, target)
            touched.add(target.parent)
    for directory in touched:
        fsync_directory(directory)
    with contextlib.suppress(FileNotFoundError):
        journal.unlink()
    fsync_directory(journal.parent)


def finish(journal_dir: Path, directories: list[Path]) -> int:
    """Completes every transaction a kill interrupted after its journal was written (under the
    locks of ``directories``, which must include every directory a journal may name); returns
    how many. Without write access (a read-only library) there is nothing it can do: 0."""
    journal_dir = Path(journal_dir)
    try:
        journals = sorted(journal_dir.glob(f"{JOURNAL_PREFIX}*.json"))
    except OSError:
        return 0
    if not journals or not os.access(journal_dir, os.W_OK):
        return 0
    try:
        with locked_all(directories):
            allowed = {Path(d) for d in directories}
            for journal in sorted(journal_dir.glob(f"{JOURNAL_PREFIX}*.json")):
                _complete(journal, allowed)
    except (StoreError, OSError):
        return 0
    return len(journals)


def recover(journal_dir: Path, directories: list[Path]) -> tuple[int, int]:
    """What a reader of the library does first (pedald at start and reload): under every store's
    lock, completes the transactions whose journal was written (``finish``), then removes the
    temporary files a kill left, none of which a journal names any more. (completed, removed);
    (0, 0) for a library this process may not change, or while another process writes into it
    (it never waits: pedald's control side must not hang on a stopped pedalctl; the next reload
    does it)."""
    directories = [Path(d) for d in directories if Path(d).is_dir() and os.access(d, os.W_OK)]
    if not directories:
        return 0, 0
    journal_dir = Path(journal_dir)
    try:
        with locked_all(directories, wait=False):
            journals = sorted(journal_dir.glob(f"{JOURNAL_PREFIX}*.json")) if journal_dir in directories else []
            for journal in journals:
                _complete(journal, set(directories))
            return len(journals), sum(remove_leftovers(d) for d in directories)
    except (StoreError, OSError):
        return 0, 0
