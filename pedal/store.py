"""The model store: how files get into the models directory without ever breaking it.

    >>> store = ModelStore("/var/lib/pedal/models", max_bytes=16 << 20)
    >>> name = store.check_name("Plexi 1968")        # sanitised, or StoreError saying why
    >>> store.install(name, data, ".json", metadata={"loudness_db": -14.2})
    PosixPath('/var/lib/pedal/models/Plexi 1968.json')
    >>> store.rename("Plexi 1968", "plexi")
    >>> store.remove("plexi")

Every write goes to a temporary file in the same directory (pedal.files: fsync,
rename, fsync the directory), so the daemon, which skips dotfiles and ".tmp-*",
sees the old file or the new one and never half of one; a power cut or a kill
at any moment leaves only complete models. An existing model is never
replaced unless asked (``replace=True``). Changes are serialised between
processes by an flock on ``.lock`` in the directory, so two uploads of the same
name cannot both pass the duplicate check.

Names are what the guitarist sees (the footswitch order, `pedalctl list`): the
file name without its extension. They are Unicode-normalised (NFC), stripped,
at most MAX_NAME characters, without path separators, control characters or a
leading dot, and unique without regard to case.

What validation measured (loudness, CPU, rate) lives beside each model in a
sidecar ``.<file name>.meta.json`` holding the model's SHA-256: the daemon uses
it only for exactly those bytes (see ``stored_metadata``). For a model with
submodels it also holds the size chosen (pedal.submodels): validation's
choice, changed by ``update_metadata`` when `pedalctl size` picks another.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import unicodedata
from pathlib import Path

from pedal.files import TEMPORARY_PREFIX, fsync_directory, remove_leftovers, write_atomically
from pedal.library import EXTENSIONS, ORDER_FILE

__all__ = ["DEFAULT_MAX_BYTES", "MAX_NAME", "ModelStore", "StoreError", "clean_leftovers", "locked",
           "sanitise_name", "sidecar_of", "stored_metadata"]

MAX_NAME = 64
DEFAULT_MAX_BYTES = 16 << 20
LOCK_FILE = ".lock"
META_SUFFIX = ".meta.json"
FILE_MODE = 0o664       # group pedal (the directory's, setgid) may replace what another member uploaded
DIRECTORY_MODE = 0o2775


class StoreError(ValueError):
    """A store operation refused; the message says what and why, in one line."""


def sanitise_name(name: str) -> str:
    """The name as stored: NFC-normalised and stripped; StoreError when it cannot be one.

        >>> sanitise_name("  Plexi\\u0301 ")
        'Plexí'
        >>> sanitise_name("../etc/passwd")
        Traceback (most recent call last):
        StoreError: name '../etc/passwd' has a path separator ('/'); ...
    """
    if not isinstance(name, str):
        raise StoreError(f"a name is text, got {type(name).__name__}")
    clean = unicodedata.normalize("NFC", name).strip()
    if not clean:
        raise StoreError("the name is empty")
    for separator in ("/", "\\"):
        if separator in clean:
            raise StoreError(f"name {name!r} has a path separator ({separator!r}); use a plain name like 'plexi'")
    if clean.startswith("."):
        raise StoreError(f"name {name!r} starts with a dot (hidden files are not models)")
    bad = next((c for c in clean if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")), None)
    if bad is not None:
        raise StoreError(f"name {name!r} has a control or unassigned character (U+{ord(bad):04X})")
    if len(clean) > MAX_NAME:
        raise StoreError(f"name {name!r} is {len(clean)} characters long; at most {MAX_NAME}")
    if clean.casefold() in (Path(ORDER_FILE).stem, LOCK_FILE.casefold()):
        raise StoreError(f"name {name!r} is reserved")
    return clean


def _key(name: str) -> str:
    """Two names that differ only in case (or Unicode form) are the same model."""
    return unicodedata.normalize("NFC", name).casefold()


def _meta_path(model_path: Path) -> Path:
    return model_path.with_name(f".{model_path.name}{META_SUFFIX}")


def sidecar_of(target: Path, data: bytes, metadata: dict | None) -> tuple[Path, bytes]:
    """(path, bytes) of the sidecar describing ``data`` installed as ``target``."""
    meta = dict(metadata or {}, sha256=hashlib.sha256(data).hexdigest(), file=target.name)
    return _meta_path(target), (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode()


def stored_metadata(model_path: Path | str, data: bytes) -> dict | None:
    """What validation stored for the model at ``model_path``, when it was
    measured on exactly these bytes (else None: the caller measures itself)."""
    path = _meta_path(Path(model_path))
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("sha256") != hashlib.sha256(data).hexdigest():
        return None
    return meta


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def clean_leftovers(directory: Path | str) -> int:
    """Removes temporary files a killed upload left, unless an upload runs right
    now (its temporary file is not a leftover). Never waits; returns how many."""
    directory = Path(directory)
    try:
        with locked(directory, wait=False):
            return remove_leftovers(directory)
    except (BlockingIOError, StoreError):
        return 0
    except OSError:
        return 0


@contextlib.contextmanager
def locked(directory: Path, wait: bool = True):
    """The store's lock on ``directory`` (its ``.lock``), held until the block ends; a process
    killed while holding it releases it with its file descriptor."""
    path = directory / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except FileNotFoundError:
        raise StoreError(f"no models directory {directory}") from None
    except PermissionError:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # flock works on a read-only descriptor too
        except OSError:
            raise StoreError(f"cannot change {directory}: permission denied (is this user in group 'pedal'?)") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        yield
    finally:
        os.close(fd)  # releases the lock; the kernel does the same when the process is killed


class ModelStore:
    """The models directory as a crash-safe store (see the module's docstring)."""

    def __init__(self, directory: Path | str, max_bytes: int = DEFAULT_MAX_BYTES,
                 extensions: tuple[str, ...] = EXTENSIONS, what: str = "model") -> None:
        self.directory = Path(directory)
        self.max_bytes = int(max_bytes)
        self.extensions = extensions   # (".wav",) for the cabinet IRs' store
        self.what = what

    # --- reading ---------------------------------------------------------------------------

    def files(self) -> dict[str, Path]:
        """Model files present, by name (the stem; dotfiles and temporary files skipped)."""
        try:
            children = sorted(self.directory.iterdir())
        except FileNotFoundError:
            return {}
        found: dict[str, Path] = {}
        for path in children:
            if path.name.startswith((".", TEMPORARY_PREFIX)) or path.suffix.lower() not in self.extensions:
                continue
            if path.is_file():
                found.setdefault(path.stem, path)
        return found

    def find(self, name: str) -> Path | None:
        """The file of the model called ``name`` (case-insensitive), or None."""
        key = _key(name)
        files = self.files()
        if name in files:
            return files[name]
        return next((path for stem, path in files.items() if _key(stem) == key), None)

    def order(self) -> list[str]:
        try:
            text = (self.directory / ORDER_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    # --- checks ------------------------------------------------------------------------------

    def check_size(self, size: int, what: str = "the model") -> None:
        if size > self.max_bytes:
            raise StoreError(f"{what} is {size / 2**20:.1f} MiB; the limit is {self.max_bytes / 2**20:g} MiB "
                             "([library] max_model_mb in pedal.toml)")
        if size == 0:
            raise StoreError(f"{what} is empty")

    def check_name(self, name: str, replace: bool = False) -> str:
        """The sanitised name; StoreError when it is not one, or is taken and ``replace`` is False."""
        clean = sanitise_name(name)
        existing = self.find(clean)
        if existing is not None and not replace:
            raise StoreError(f"a {self.what} called {existing.stem!r} is already there ({existing.name}); "
                             "add --replace to replace it, or choose another --name")
        return clean

    # --- changes ------------------------------------------------------------------------------

    def _prepare_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                os.chmod(self.directory, DIRECTORY_MODE)

    def install(self, name: str, data: bytes, extension: str, replace: bool = False,
                metadata: dict | None = None) -> Path:
        """Writes ``data`` as the model ``name`` (crash-safe); returns its path."""
        extension = extension.lower()
        if extension not in self.extensions:
            raise StoreError(f"a {self.what} file ends in {', '.join(self.extensions)}, not {extension or 'nothing'!r}")
        self.check_size(len(data), f"the {self.what}")
        self._prepare_directory()
        with locked(self.directory):
            clean = self.check_name(name, replace)  # again, under the lock: another upload may have won
            old = self.find(clean)
            target = self.directory / f"{clean}{extension}"
            # The sidecar first: until the model lands, it describes other bytes and is ignored.
            sidecar, sidecar_data = sidecar_of(target, data, metadata)
            old_sidecar = _read_or_none(sidecar)
            write_atomically(sidecar, sidecar_data, mode=FILE_MODE)
            try:
                write_atomically(target, data, mode=FILE_MODE)
            except OSError:
                # The model did not land (a full disk): nothing of this upload stays behind.
                with contextlib.suppress(OSError):
                    if old_sidecar is None:
                        sidecar.unlink()
                    else:
                        write_atomically(sidecar, old_sidecar, mode=FILE_MODE)
                raise
            if old is not None and old != target:  # replaced under another case or extension
                self._unlink(old)
                fsync_directory(self.directory)
            return target

    def update_metadata(self, path: Path | str, data: bytes, changes: dict) -> Path:
        """Adds ``changes`` to the sidecar of the model at ``path`` (e.g. the size chosen for a
        model with submodels), which must still hold ``data``; a sidecar for other bytes, or
        none, is started afresh. Returns the sidecar's path; StoreError when the model changed."""
        path = Path(path)
        with locked(self.directory):
            try:
                current = path.read_bytes()
            except OSError as error:
                raise StoreError(f"cannot read {path}: {error.strerror or error}") from None
            if current != data:
                raise StoreError(f"{path.name} changed on disk meanwhile; nothing recorded for it")
            meta = stored_metadata(path, data) or {"sha256": hashlib.sha256(data).hexdigest(), "file": path.name}
            meta.update(changes)
            sidecar = _meta_path(path)
            write_atomically(sidecar, (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode(), mode=FILE_MODE)
            return sidecar

    def remove(self, name: str) -> Path:
        with locked(self.directory):
            path = self._existing(name)
            self._unlink(path)
            fsync_directory(self.directory)
            return path

    def rename(self, old: str, new: str) -> Path:
        with locked(self.directory):
            source = self._existing(old)
            clean = sanitise_name(new)
            taken = self.find(clean)
            if taken is not None and taken != source:
                raise StoreError(f"a {self.what} called {taken.stem!r} is already there; "
                                 "remove it first or pick another name")
            target = source.with_name(clean + source.suffix)
            meta = _meta_path(source)
            os.rename(source, target)  # atomic; the name is free (checked under the lock)
            with contextlib.suppress(FileNotFoundError):
                os.rename(meta, _meta_path(target))
            listed = self.order()
            if any(_key(item) in (_key(source.stem), _key(source.name)) for item in listed):
                self._write_order([clean if _key(item) in (_key(source.stem), _key(source.name)) else item
                                   for item in listed])
            fsync_directory(self.directory)
            return target

    def set_order(self, names: list[str]) -> list[str]:
        """Puts ``names`` first, in that order (order.txt); the rest follow by name."""
        with locked(self.directory):
            listed, seen = [], set()
            for name in names:
                stem = self._existing(name).stem
                if _key(stem) in seen:
                    raise StoreError(f"{name!r} is listed twice")
                seen.add(_key(stem))
                listed.append(stem)
            self._write_order(listed)
            return listed

    def _existing(self, name: str) -> Path:
        path = self.find(sanitise_name(name))
        if path is None:
            known = ", ".join(sorted(self.files())) or "none"
            raise StoreError(f"no {self.what} called {name!r} in {self.directory} ({self.what}s: {known})")
        return path

    def _write_order(self, names: list[str]) -> None:
        text = "# footswitch order, written by pedalctl order\n" + "".join(f"{n}\n" for n in names)
        write_atomically(self.directory / ORDER_FILE, text.encode(), mode=FILE_MODE)

    @staticmethod
    def _unlink(path: Path) -> None:
        for victim in (path, _meta_path(path)):
            try:
                victim.unlink()
            except FileNotFoundError:
                pass
            except OSError as error:
                if error.errno != errno.ENOENT:
                    raise StoreError(f"cannot remove {victim}: {error.strerror}") from None
