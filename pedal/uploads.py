"""Uploads, as `pedalctl upload` / `pedalctl ir upload` and the web page all do them: the name and
size checked, the bytes checked (a model validated by the core at the pedal's rate and period,
pedal.validate; a cabinet read as a WAV, pedal.cabinets), then stored crash-safely with what the
check measured (pedal.store). pedald is told afterwards, by the caller.

    >>> done = install_model(store, "plexi", data, source="plexi.nam", rate=48000, period=128,
    ...                      max_cpu_percent=70.0)
    >>> done.path, done.report.summary()
    >>> cabinet = install_cabinet(irs, "4x12", data, source="4x12.wav")
    >>> cabinet.rate, cabinet.frames
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pedal import cabinets
from pedal.core import Model, ModelError
from pedal.library import EXTENSIONS
from pedal.store import ModelStore, StoreError
from pedal.validate import ValidationError, Validation, validate
from pedal.wavfile import WavError, parse_wav

__all__ = ["Installed", "InstalledCabinet", "UploadError", "extension_of", "install_cabinet", "install_model"]


class UploadError(Exception):
    """Why an upload was refused, in one line that names the model."""


@dataclass(frozen=True)
class Installed:
    name: str
    path: Path
    report: Validation
    seconds: float          # validating and storing


def install_model(store: ModelStore, name: str, data: bytes, source: str, rate: int, period: int,
                  max_cpu_percent: float, force: bool = False, replace: bool = False,
                  progress: Callable[[str], None] | None = None) -> Installed:
    """Validates ``data`` and stores it as ``name``; UploadError says why not. ``source``: the
    file name it came as ("-" for stdin), which also gives the extension when it is one we read."""
    try:
        name = store.check_name(name, replace)
        store.check_size(len(data))
    except StoreError as error:
        raise UploadError(str(error)) from None
    started = time.monotonic()
    try:
        told = {} if progress is None else {"progress": lambda stage: progress(f"validating {name}: {stage}")}
        report = validate(data, rate, period, max_cpu_percent, force, **told)
    except ValidationError as error:
        raise UploadError(f"{name}: refused: {error}") from None
    metadata = dict(report.as_dict(), source=Path(source).name if source != "-" else "stdin",
                    uploaded=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    try:
        path = store.install(name, data, extension_of(source, data), replace=replace, metadata=metadata)
    except StoreError as error:
        raise UploadError(str(error)) from None
    except OSError as error:
        raise UploadError(f"cannot write into {store.directory}: {error.strerror or error}") from None
    return Installed(name, path, report, time.monotonic() - started)


@dataclass(frozen=True)
class InstalledCabinet:
    name: str
    path: Path
    rate: int
    frames: int
    channels: int


def install_cabinet(store: ModelStore, name: str, data: bytes, source: str, replace: bool = False) -> InstalledCabinet:
    """Checks ``data`` as a cabinet impulse response (a WAV: pedal.cabinets) and stores it as ``name``."""
    try:
        name = store.check_name(name, replace)
        store.check_size(len(data))
        samples, rate = parse_wav(data, "stdin" if source == "-" else Path(source).name)
        cabinets.check(name, samples, rate)
        path = store.install(name, data, ".wav", replace=replace,
                             metadata={"rate": rate, "frames": len(samples), "channels": samples.shape[1]})
    except (StoreError, WavError, cabinets.CabinetError) as error:
        raise UploadError(str(error)) from None
    except OSError as error:
        raise UploadError(f"cannot write into {store.directory}: {error.strerror or error}") from None
    return InstalledCabinet(name, path, rate, len(samples), samples.shape[1])


def extension_of(source: str, data: bytes) -> str:
    """The extension a model is stored with: its file's, when it is one we read; else by its contents."""
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if suffix in EXTENSIONS:
        return suffix
    try:
        return ".nam" if Model.from_json(data).info.get("format") == "nam" else ".json"
    except ModelError:
        return ".json"  # validation says what is wrong with it
