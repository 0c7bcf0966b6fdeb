"""Thin, typed wrappers over the C core (csrc/capi/pedal.h).

    >>> from pedal.core import Model
    >>> model = Model.load("amp.json")
    >>> model.info["architecture"]
    'WaveNet'
    >>> wet = model.process(dry)          # dry: 1-D float32 numpy array
    >>> model.process(dry, out=wet)       # reuse a buffer: no allocation

Calls into the core release the GIL. One Model is driven by one thread at a time.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from pedal._core import ffi, lib

__all__ = ["Model", "ModelError", "core_version"]

_ERROR_CAPACITY = 1024


class ModelError(ValueError):
    """A model file the core refused; the message says what was wrong and where."""


def core_version() -> str:
    return ffi.string(lib.pedal_version()).decode()


def _as_float32_buffer(array: Any, name: str, writable: bool):
    """Checks an argument is what the core may read (or write) in place."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray of float32, got {type(array).__name__}")
    if array.dtype != np.float32:
        raise TypeError(f"{name} must have dtype float32, got {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (mono samples), got shape {array.shape}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be contiguous; pass numpy.ascontiguousarray({name})")
    if writable and not array.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return ffi.from_buffer("float[]", array, require_writable=writable)


class Model:
    """A loaded capture (amp or pedal model), ready to process mono float32 audio."""

    def __init__(self, handle) -> None:
        # Private: use Model.load or Model.from_json.
        self._handle = ffi.gc(handle, lib.pedal_model_free)
        self._info: dict | None = None

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Model":
        """Loads a model file; raises ModelError (with the file name) if it is not one."""
        with open(path, "rb") as file:
            data = file.read()
        try:
            return cls.from_json(data)
        except ModelError as error:
            raise ModelError(f"{os.fspath(path)}: {error}") from None

    @classmethod
    def from_json(cls, text_or_bytes: str | bytes) -> "Model":
        """Loads a model from the text of a model file."""
        if isinstance(text_or_bytes, str):
            data = text_or_bytes.encode("utf-8", errors="surrogatepass")
        elif isinstance(text_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(text_or_bytes)
        else:
            raise TypeError(f"expected str or bytes, got {type(text_or_bytes).__name__}")
        error = ffi.new("char[]", _ERROR_CAPACITY)
        handle = lib.pedal_model_load(data, len(data), error, _ERROR_CAPACITY)
        if handle == ffi.NULL:
            raise ModelError(ffi.string(error).decode("utf-8", errors="replace"))
        return cls(handle)

    def process(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Runs samples through the model, continuing from the previous call.

        Returns a new float32 array, or fills and returns ``out`` (same length;
        ``out`` may be ``x`` itself).
        """
        source = _as_float32_buffer(x, "x", writable=False)
        if out is None:
            out = np.empty_like(x)
        elif out.shape != x.shape:
            _as_float32_buffer(out, "out", writable=True)
            raise ValueError(f"out has shape {out.shape} but x has shape {x.shape}")
        target = _as_float32_buffer(out, "out", writable=True)
        lib.pedal_model_process(self._handle, source, target, len(x))
        return out

    def reset(self) -> None:
        """Clears the model's memory of past input, as right after loading."""
        lib.pedal_model_reset(self._handle)

    @property
    def info(self) -> dict:
        """format, architecture, sample_rate, receptive_field, parameters, config, metadata."""
        if self._info is None:
            self._info = json.loads(ffi.string(lib.pedal_model_info_json(self._handle)).decode())
        return dict(self._info)

    @property
    def sample_rate(self) -> float:
        return lib.pedal_model_sample_rate(self._handle)

    @property
    def receptive_field(self) -> int:
        return lib.pedal_model_receptive_field(self._handle)

    def __repr__(self) -> str:
        info = self.info
        return (f"<Model {info['format']} {info['architecture']} "
                f"{info['parameters']} parameters @ {info['sample_rate']:g} Hz>")
