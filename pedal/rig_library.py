"""The rigs pedald plays: the files of ``[library] rigs_dir`` (pedal.rigs), each read and checked
against the models and cabinets the pedal has, in `pedalctl rig order`.

    >>> rigs = RigLibrary("/var/lib/pedal/rigs")
    >>> rigs.scan(has_model=models.has, has_ir=irs.has)   # the playable rigs, in order
    >>> rigs.skipped                                       # {"broken.toml": "broken.toml: capture[2]: ..."}

A rig that cannot play (not a rig file, a capture or cabinet the library does not hold) is
skipped with one log line naming the file, the key and why; the pedal plays the rest. A missing
directory is no rigs: a library from before rigs plays as it did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pedal import rigs
from pedal.rigs import Rig, RigError

__all__ = ["RigEntry", "RigLibrary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RigEntry:
    """One playable rig file."""
    name: str
    path: Path
    rig: Rig


class RigLibrary:
    """The rigs in ``directory``, checked and in order."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.entries: list[RigEntry] = []
        self.skipped: dict[str, str] = {}   # file name -> why

    def scan(self, has_model: Callable[[str], bool], has_ir: Callable[[str], bool]) -> list[RigEntry]:
        """Reads the directory again; returns (and keeps) the playable rigs, in order."""
        entries, skipped = [], {}
        paths = rigs.in_order(rigs.store(self.directory)) if self.directory.is_dir() else []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
                rig = rigs.parse_rig(text, path.name)
                missing = rigs.first_missing(rig, has_model, has_ir)
                if missing is not None:
                    what = "impulse response" if missing[0] == "cabinet" else "playable model"
                    raise RigError(f"{path.name}: {missing[0]}: no {what} called {missing[1]!r}")
            except (OSError, UnicodeDecodeError) as error:
                skipped[path.name] = f"{path.name}: unreadable ({error})"
            except RigError as error:
                skipped[path.name] = str(error)
            else:
                entries.append(RigEntry(path.stem, path, rig))
                continue
            log.warning("rigs: skipping %s", skipped[path.name])
        self.entries, self.skipped = entries, skipped
        return entries

    def index(self, name: str | None) -> int | None:
        """Position of the rig called ``name`` (case-insensitively), None if absent."""
        if name is None:
            return None
        folded = name.casefold()
        return next((i for i, entry in enumerate(self.entries) if entry.name.casefold() == folded), None)

    def __len__(self) -> int:
        return len(self.entries)
