"""The models directory: which captures the pedal plays, and in which order.

    >>> library = ModelLibrary("/var/lib/pedal/models")
    >>> [entry.name for entry in library.scan()]
    ['clean', 'ts9', 'plexi']
    >>> model = library.entries[1].load()      # a fresh Model, e.g. for Engine.set_model

Model files are ``*.json``, ``*.nam`` and ``*.aidax``; dotfiles and crash
leftovers (".tmp-*", see pedal.files) are skipped. A model's name is its file
name without the extension (the full file name when two files share a stem).
The order is by name, unless ``order.txt`` lists names (or file names), one a
line: those come first, in that order, and the rest follow by name.

Every file is loaded once to validate it; one that does not load is skipped
with one log line. The library keeps each file's bytes, so the daemon can
build a fresh Model for every hand-off without touching the disk again.
A model with submodels (pedal.submodels) plays at its entry's ``size``, which
its owner (pedald, pedalctl) sets from the sidecar (``with_size``).

When no model is playable the pedal plays DEFAULT_MODEL, shipped in the package.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pedal.core import Model, ModelError
from pedal.files import TEMPORARY_PREFIX
from pedal.submodels import playing_index

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "EXTENSIONS", "ModelEntry", "ModelLibrary", "ORDER_FILE"]

EXTENSIONS = (".json", ".nam", ".aidax")
ORDER_FILE = "order.txt"
# A small WaveNet trained on a synthetic overdrive by tools/train_default_model.py.
DEFAULT_MODEL = Path(__file__).resolve().parent / "data" / "default.model.json"


@dataclass(frozen=True, eq=False)
class ModelEntry:
    """One playable model: its name, where it came from, its bytes and what the core says of it."""
    name: str
    path: Path
    data: bytes = field(repr=False)
    info: dict = field(repr=False)
    default: bool = False   # the bundled model, played because the library is empty
    # The size it plays at when it has submodels (pedal.submodels; None: the core's default,
    # the largest). Chosen by pedald from the sidecar or by measuring, not by scan().
    size: float | None = None

    @property
    def submodels(self) -> list[dict]:
        """What the core lists of its submodels (empty for a model without)."""
        return self.info.get("submodels") or []

    @property
    def playing(self) -> int | None:
        """The index of the submodel ``size`` plays (None without submodels)."""
        return playing_index(self.submodels, self.size) if self.submodels else None

    def load(self) -> Model:
        """A fresh Model from the kept bytes, at ``size`` (the Engine takes ownership of the one it is given)."""
        return Model.from_json(self.data, size=self.size)

    def describe(self) -> dict:
        """What `list` shows of it (and for a model with submodels: them, the size and the one it plays)."""
        info = self.info
        described = {"name": self.name, "file": self.path.name, "format": info.get("format"),
                     "architecture": info.get("architecture"), "parameters": info.get("parameters"),
                     "sample_rate": info.get("sample_rate"), "default": self.default,
                     "knobs": info.get("knobs") or []}
        if self.submodels:  # the parameters are the playing submodel's, as the core's info at that size says
            described.update(submodels=self.submodels, size=1.0 if self.size is None else self.size,
                             playing=self.playing, parameters=self.submodels[self.playing].get("parameters"))
        return described


    def details(self, meta: dict | None = None) -> dict:
        """What `info` shows: describe(), with what validation measured and kept in the sidecar
        (``meta``, pedal.store.stored_metadata): CPU, loudness, and for a model with submodels
        each one's figures; the top-level figures are then the playing submodel's."""
        described = self.describe()
        meta = meta or {}
        for key in ("cpu_percent", "cpu_max_percent", "loudness_db", "loudness_source", "rate_handling",
                    "source", "uploaded", "forced"):
            if key in meta:
                described[key] = meta[key]
        if meta.get("rate") and meta.get("period"):
            described["measured_at"] = {"rate": meta["rate"], "period": meta["period"]}
        if self.submodels:
            measured = meta.get("submodels")
            if not (isinstance(measured, list) and len(measured) == len(self.submodels)
                    and all(isinstance(m, dict) for m in measured)):
                measured = [{} for _ in self.submodels]
            keys = ("cpu_percent", "cpu_max_percent", "loudness_db", "loudness_source")
            described["submodels"] = [dict(s, **{k: m[k] for k in keys if k in m})
                                      for s, m in zip(self.submodels, measured)]
            playing = measured[self.playing]
            for key in keys:
                described[key] = playing.get(key)
        return described


def _candidates(directory: Path) -> list[Path]:
    try:
        children = list(directory.iterdir())
    except FileNotFoundError:
        return []
    except OSError as error:
        log.warning("models directory %s unreadable (%s)", directory, error)
        return []
    return [p for p in children
            if not p.name.startswith(".") and not p.name.startswith(TEMPORARY_PREFIX)
            and p.suffix.lower() in EXTENSIONS and p.is_file()]


def _names(paths: list[Path]) -> dict[Path, str]:
    stems: dict[str, int] = {}
    for path in paths:
        stems[path.stem] = stems.get(path.stem, 0) + 1
    return {path: path.stem if stems[path.stem] == 1 else path.name for path in paths}


def _sort_key(name: str) -> tuple[str, str]:
    return name.casefold(), name


def _read_order(directory: Path) -> list[str]:
    try:
        text = (directory / ORDER_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        log.warning("%s unreadable (%s); ordering by name", directory / ORDER_FILE, error)
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def order(entries: list[ModelEntry], listed: list[str]) -> list[ModelEntry]:
    """``entries`` with those named in ``listed`` first (by name or file name), then the rest by name."""
    by_key: dict[str, ModelEntry] = {}
    for entry in entries:
        by_key.setdefault(entry.path.name, entry)
        by_key[entry.name] = entry
    first: list[ModelEntry] = []
    for key in listed:
        entry = by_key.get(key)
        if entry is not None and entry not in first:
            first.append(entry)
    rest = sorted((e for e in entries if e not in first), key=lambda e: _sort_key(e.name))
    return first + rest


class ModelLibrary:
    """The models in ``directory``, validated and ordered (see the module's docstring)."""

    def __init__(self, directory: Path | str, default_model: Path | str | None = DEFAULT_MODEL) -> None:
        self.directory = Path(directory)
        self.default_model = None if default_model is None else Path(default_model)
        self.entries: list[ModelEntry] = []
        self.skipped: dict[str, str] = {}   # file name -> why

    def scan(self) -> list[ModelEntry]:
        """Reads the directory again; returns (and keeps) the playable models in order."""
        paths = _candidates(self.directory)
        names = _names(paths)
        entries, skipped = [], {}
        for path in paths:
            try:
                data = path.read_bytes()
                info = Model.from_json(data).info
            except (OSError, ModelError) as error:
                reason = str(error).replace("\n", " ")
                skipped[path.name] = reason
                log.warning("models: skipping %s: %s", path.name, reason)
                continue
            entries.append(ModelEntry(names[path], path, data, info))
        entries = order(entries, _read_order(self.directory))
        if not entries and self.default_model is not None:
            entries = [self._default()]
        self.entries, self.skipped = entries, skipped
        return entries

    def _default(self) -> ModelEntry:
        data = self.default_model.read_bytes()
        info = Model.from_json(data).info
        log.info("models: none in %s; playing the bundled default model", self.directory)
        return ModelEntry("default", self.default_model, data, info, default=True)

    def index(self, name: str | None) -> int | None:
        """Position of the model called ``name`` (or with that file name), None if absent."""
        if name is None:
            return None
        for position, entry in enumerate(self.entries):
            if name in (entry.name, entry.path.name):
                return position
        return None

    def lookup(self, name: str) -> int | None:
        """Position of the model called ``name``, or named so but for case when none is exactly."""
        index = self.index(name)
        if index is None:
            folded = name.casefold()
            index = next((i for i, e in enumerate(self.entries) if e.name.casefold() == folded), None)
        return index

    def with_size(self, index: int, size: float | None) -> ModelEntry:
        """Sets the size the entry at ``index`` plays at; returns the new entry."""
        entry = dataclasses.replace(self.entries[index], size=size)
        self.entries[index] = entry
        return entry

    def __len__(self) -> int:
        return len(self.entries)
