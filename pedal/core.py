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
import threading
from typing import Any, NamedTuple

import numpy as np

from pedal import _core


def _pick_build():
    """The fastest build of the core this CPU runs: the AVX2+FMA one where it
    exists and the CPU has both, else the baseline. PEDAL_ISA=baseline forces
    the baseline (to compare, or to rule the fast path out)."""
    if os.environ.get("PEDAL_ISA") != "baseline" and _core.lib.pedal_cpu_has_avx2_fma():
        try:
            from pedal import _core_avx2
            return _core_avx2
        except ImportError:
            pass
    return _core


_build = _pick_build()
ffi, lib = _build.ffi, _build.lib

__all__ = ["BLOCKS", "MAX_CHAIN", "PARAMS", "Engine", "EngineParam", "Model", "ModelError", "Pitch", "PitchDetector", "TUNER_MODES",
           "core_isa", "core_version"]

_ERROR_CAPACITY = 1024


class ModelError(ValueError):
    """A model file the core refused; the message says what was wrong and where."""


def core_version() -> str:
    return ffi.string(lib.pedal_version()).decode()


def core_isa() -> str:
    """Which build of the core is in use: "baseline", "avx2+fma", ..."""
    return ffi.string(lib.pedal_build_isa()).decode()


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


MAX_CHAIN = int(lib.PEDAL_MAX_CHAIN)  # captures an Engine chain holds

_FLOAT32 = np.dtype(np.float32)
_UNBOUND = object()  # no array is this one
_process_model_call = lib.pedal_model_process_call  # looked up once: process() runs every period
_process_engine_call = lib.pedal_engine_process_call


class _BlockBuffers:
    """The core's arguments for the last (x, out) pair of arrays a process() call got.

    An audio loop passes the same two arrays every period; checking them and
    making cffi views costs microseconds, as much as a small model's work at
    64 frames, and even passing four arguments costs cffi a conversion each. So
    the last pair's views go into a kept C call struct (pedal_model_call or
    pedal_engine_call), and while the same two array objects (still float32)
    come back, process() passes that one pointer: it checks them itself,
    inline, before anything else. Keeping a view pins its array's memory (numpy
    refuses to resize it meanwhile), so the pointers and the frame count stay
    valid; an in-place change of shape keeps the same bytes.
    """

    __slots__ = ("x", "out", "call", "_views")

    def __init__(self, call_type: str, handle) -> None:
        self.x = self.out = _UNBOUND
        self.call = ffi.new(call_type, (handle, ffi.NULL, ffi.NULL, 0))  # the handle, then no samples
        self._views = ()

    def bind(self, x: np.ndarray, out: np.ndarray):
        """Checks a new pair and binds the call to it; returns the call."""
        source = _as_float32_buffer(x, "x", writable=False)
        target = _as_float32_buffer(out, "out", writable=True)
        if out.shape != x.shape:
            raise ValueError(f"out has shape {out.shape} but x has shape {x.shape}")
        call = self.call
        call.input, call.output, call.frames = source, target, len(x)
        self.x, self.out, self._views = x, out, (source, target)
        return call


class Model:
    """A loaded capture (amp or pedal model), ready to process mono float32 audio."""

    def __init__(self, handle) -> None:
        # Private: use Model.load or Model.from_json.
        self._handle = ffi.gc(handle, lib.pedal_model_free)
        self._buffers = _BlockBuffers("pedal_model_call *", self._handle)
        self._info = json.loads(ffi.string(lib.pedal_model_info_json(handle)).decode())

    @classmethod
    def load(cls, path: str | os.PathLike, size: float | None = None) -> "Model":
        """Loads a model file; raises ModelError (with the file name) if it is not one.

        A file holding one capture at several sizes (NAM's A2 SlimmableContainer, a
        slimmable WaveNet) plays the submodel `size` (0..1; None: 1.0, the largest) picks;
        ``info["submodels"]`` lists them all and ``info["playing"]`` says which one plays.

            >>> Model.load("amp-a2.nam", size=0.5).info["playing"]   # the Lite submodel
            0
        """
        with open(path, "rb") as file:
            data = file.read()
        try:
            return cls.from_json(data, size=size)
        except ModelError as error:
            raise ModelError(f"{os.fspath(path)}: {error}") from None

    @classmethod
    def from_json(cls, text_or_bytes: str | bytes, size: float | None = None) -> "Model":
        """Loads a model from the text of a model file (`size` as for `load`)."""
        if isinstance(text_or_bytes, str):
            data = text_or_bytes.encode("utf-8", errors="surrogatepass")
        elif isinstance(text_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(text_or_bytes)
        else:
            raise TypeError(f"expected str or bytes, got {type(text_or_bytes).__name__}")
        size = 1.0 if size is None else float(size)
        if not 0.0 <= size <= 1.0:  # NaN included
            raise ValueError(f"size must be between 0 and 1, got {size}")
        error = ffi.new("char[]", _ERROR_CAPACITY)
        handle = lib.pedal_model_load_sized(data, len(data), size, error, _ERROR_CAPACITY)
        if handle == ffi.NULL:
            raise ModelError(ffi.string(error).decode("utf-8", errors="replace"))
        return cls(handle)

    def process(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Runs samples through the model, continuing from the previous call.

        Returns a new float32 array, or fills and returns ``out`` (same length;
        ``out`` may be ``x`` itself).
        """
        buffers = self._buffers
        if x is buffers.x and out is buffers.out and x.dtype is _FLOAT32 and out.dtype is _FLOAT32:
            # The previous call's arrays (an audio loop's): its bound call, no checks.
            _process_model_call(buffers.call)
            return out
        self._live_handle()
        if out is None:
            _as_float32_buffer(x, "x", writable=False)
            out = np.empty_like(x)
        _process_model_call(buffers.bind(x, out))
        return out

    def reset(self) -> None:
        """Clears the model's memory of past input, as right after loading."""
        lib.pedal_model_reset(self._live_handle())

    @property
    def info(self) -> dict:
        """format, architecture, sample_rate, receptive_field, parameters, config, metadata."""
        return json.loads(json.dumps(self._info))  # a deep copy: callers may edit theirs

    @property
    def sample_rate(self) -> float:
        return float(self._info["sample_rate"])

    @property
    def knobs(self) -> list[dict]:
        """The knobs the model was trained with, in input order: name, min, max, default."""
        return [dict(knob) for knob in self._info.get("knobs", [])]

    def knob_index(self, name: str) -> int:
        """The position of the knob called ``name`` (case-insensitively); ValueError naming the knobs there are."""
        names = [knob["name"] for knob in self._info.get("knobs", [])]
        folded = [n.casefold() for n in names]
        if name.casefold() not in folded:
            raise ValueError(f"no knob called {name!r}" + (f"; knobs: {', '.join(names)}" if names
                                                            else ": this model has no knobs"))
        return folded.index(name.casefold())

    def set_knob(self, name: str, value: float) -> None:
        """Puts the knob called ``name`` at ``value`` (clamped to its range) from the next sample:
        where it starts before the model goes into an Engine (Engine.set_knob turns it while it plays)."""
        if not lib.pedal_model_set_knob(self._live_handle(), self.knob_index(name), float(value)):
            raise ValueError(f"knob {name}: {value!r} is not a finite number")

    @property
    def receptive_field(self) -> int:
        return int(self._info["receptive_field"])

    def _live_handle(self):
        if self._handle is None:
            raise ValueError("this model was handed to an Engine, which owns it now; load another copy")
        return self._handle

    def _give_away(self):
        """The raw handle for an Engine to own; this Model is unusable afterwards."""
        handle = self._live_handle()
        self._handle = None
        self._buffers = _BlockBuffers("pedal_model_call *", ffi.NULL)  # drops the bound call's handle
        ffi.gc(handle, None)  # detach our destructor: the engine frees it from now on
        return handle

    def __repr__(self) -> str:
        info = self.info
        return (f"<Model {info['format']} {info['architecture']} "
                f"{info['parameters']} parameters @ {info['sample_rate']:g} Hz>")


class EngineParam(NamedTuple):
    """One row of the core's parameter table: the engine clamps the value to min..max
    and starts at default. unit is "dB", "dBFS", "ms", or "on/off" for a block's switch."""

    unit: str
    min: float
    max: float
    default: float


def _read_param_table() -> dict[str, EngineParam]:
    """The core's table of engine parameters (csrc/engine/params.h), the one place
    their ranges and defaults are written, by name in the table's order."""
    params = {}
    row = ffi.new("pedal_param_info *")
    for index in range(lib.pedal_param_count()):
        lib.pedal_param_describe(index, row)
        params[ffi.string(row.name).decode()] = EngineParam(ffi.string(row.unit).decode(), row.min, row.max,
                                                            row.default_value)
    return params


# Every engine parameter by name, e.g. PARAMS["eq_bass_db"].max; read once, here.
PARAMS = _read_param_table()
_INDEX = {name: index for index, name in enumerate(PARAMS)}  # row i is enum pedal_param value i
# The numbers set_* take, and the blocks of the chain that can be taken out (set_block),
# each by its switch "<block>_on".
_PARAMS = {name: _INDEX[name] for name, param in PARAMS.items() if param.unit != "on/off"}
BLOCKS = {name.removesuffix("_on"): _INDEX[name] for name, param in PARAMS.items() if param.unit == "on/off"}
# What the output does while the tuner listens (enum pedal_tuner_mode).
TUNER_MODES = {"off": lib.PEDAL_TUNER_OFF, "mute": lib.PEDAL_TUNER_MUTE, "through": lib.PEDAL_TUNER_THROUGH}


class Engine:
    """The signal chain around the model, as the audio thread runs it.

        >>> engine = Engine(48000, max_block=128)
        >>> engine.set_model(Model.load("amp.json"))   # warms up, then crossfades in
        >>> wet = engine.process(dry)                  # 1-D float32, any length
        >>> engine.set_bypass(True)                    # fades to the dry signal

    ``process`` is for one audio thread; the setters and ``stats`` may be called
    from any thread while it runs (they are lock-free in the core).
    """

    def __init__(self, sample_rate: float, max_block: int = 1024) -> None:
        error = ffi.new("char[]", _ERROR_CAPACITY)
        handle = lib.pedal_engine_new(float(sample_rate), int(max_block), error, _ERROR_CAPACITY)
        if handle == ffi.NULL:
            raise ValueError(ffi.string(error).decode())
        self._handle = ffi.gc(handle, lib.pedal_engine_free)
        self.sample_rate = float(sample_rate)
        self.max_block = int(max_block)
        self._control = threading.Lock()  # set_model and garbage collection: one control thread at a time
        self._stats = ffi.new("pedal_engine_stats *")
        self._pitch = ffi.new("pedal_pitch *")
        self._buffers = _BlockBuffers("pedal_engine_call *", self._handle)

    def process(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Runs a block through the chain; ``out`` may be ``x`` itself."""
        buffers = self._buffers
        if x is buffers.x and out is buffers.out and x.dtype is _FLOAT32 and out.dtype is _FLOAT32:
            # The previous call's arrays (the audio loop's): its bound call, no checks.
            _process_engine_call(buffers.call)
            return out
        if out is None:
            _as_float32_buffer(x, "x", writable=False)
            out = np.empty_like(x)
        _process_engine_call(buffers.bind(x, out))
        return out

    def set_model(self, model: Model | None, input_gain_db: float = 0.0, output_gain_db: float = 0.0) -> int:
        """Hands ``model`` to the engine, which owns it from now on (the Model
        object becomes unusable: give each engine its own copy). ``None`` means
        no model (the input passes through). The gains calibrate its input and
        normalise its loudness (see pedal.levels). Returns the id ``stats()``
        reports while it plays."""
        with self._control:
            handle = ffi.NULL if model is None else model._give_away()
            return int(lib.pedal_engine_set_model(self._handle, handle, float(input_gain_db), float(output_gain_db)))

    def set_chain(self, models: list[Model], input_gains_db: list[float] | None = None,
                  output_gains_db: list[float] | None = None) -> int:
        """Hands the engine a chain of captures played in series (a rig: a drive into
        an amp), up to MAX_CHAIN of them, warmed up and crossfaded in as one; each
        Model becomes unusable, as with set_model. The gains are per capture (default
        0 dB). An empty chain means no model. Returns the id ``stats()`` reports."""
        count = len(models)
        if count > MAX_CHAIN:
            raise ValueError(f"a chain holds at most {MAX_CHAIN} captures, got {count}")
        gains = []
        for name, values in (("input_gains_db", input_gains_db), ("output_gains_db", output_gains_db)):
            values = [0.0] * count if values is None else [float(v) for v in values]
            if len(values) != count:
                raise ValueError(f"{name} has {len(values)} values for {count} captures")
            gains.append(ffi.new("float[]", values) if count else ffi.NULL)
        with self._control:
            for model in models:
                model._live_handle()  # each must still be the caller's to give
            if len(set(map(id, models))) != count:
                raise ValueError("the same Model object appears twice in the chain: load one per capture")
            handles = ffi.new("pedal_model *[]", [model._give_away() for model in models]) if count else ffi.NULL
            return int(lib.pedal_engine_set_chain(self._handle, handles, gains[0], gains[1], count))

    def collect_garbage(self) -> None:
        """Frees the models the audio thread has finished with."""
        with self._control:
            lib.pedal_engine_collect_garbage(self._handle)

    def set_bypass(self, on: bool) -> None:
        lib.pedal_engine_set_bypass(self._handle, 1 if on else 0)

    def set_tuner(self, mode: str) -> None:
        """The tuner: "off", "mute" (it listens, the output ramps to silence) or "through" (it
        listens, the dry guitar passes). Turned on, it forgets what it heard before."""
        if mode not in TUNER_MODES:
            raise ValueError(f"the tuner is one of {', '.join(TUNER_MODES)}, got {mode!r}")
        lib.pedal_engine_set_tuner(self._handle, TUNER_MODES[mode])

    def read_tuner(self, threshold_db: float = -50.0) -> "Pitch":
        """The pitch of the last 85 ms heard while tuning (hz 0: no note, or the tuner off).
        One thread at a time."""
        out = self._pitch
        lib.pedal_engine_read_tuner(self._handle, float(threshold_db), out)
        return Pitch(out.hz, out.clarity, out.level_db)

    def _set(self, name: str, value: float) -> None:
        if not lib.pedal_engine_set_param(self._handle, _PARAMS[name], float(value)):
            raise ValueError(f"{name} must be a finite number, got {value!r}")

    def set_param(self, name: str, value: float | bool) -> None:
        """Any setting by its PARAMS name (a block's switch, "<block>_on", takes True or False)."""
        if name not in _INDEX:
            raise ValueError(f"unknown setting {name!r}; settings: {', '.join(PARAMS)}")
        if not lib.pedal_engine_set_param(self._handle, _INDEX[name], float(value)):
            raise ValueError(f"{name} must be a finite number, got {value!r}")

    def stage(self, name: str, value: float | bool) -> None:
        """A setting (as set_param takes it) that changes with the next chain handed over
        (set_model, set_chain), when that chain begins to fade in after its warm-up: a rig's
        levels, EQ and gate then arrive with its captures, not on the old ones before them."""
        if name not in _INDEX:
            raise ValueError(f"unknown setting {name!r}; settings: {', '.join(PARAMS)}")
        with self._control:
            if not lib.pedal_engine_stage_param(self._handle, _INDEX[name], float(value)):
                raise ValueError(f"{name} must be a finite number, got {value!r}")

    def stage_ir(self, samples: np.ndarray | None, sample_rate: float = 0.0) -> None:
        """The cabinet (as set_ir takes it; None: no cabinet) to change to with the next chain, as stage."""
        if samples is None:
            with self._control:
                lib.pedal_engine_stage_ir(self._handle, ffi.NULL, 0, float(self.sample_rate))
            return
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        if samples.ndim != 1 or len(samples) == 0:
            raise ValueError(f"an impulse response is a non-empty 1-D array, got shape {samples.shape}")
        with self._control:
            if not lib.pedal_engine_stage_ir(self._handle, ffi.from_buffer("float[]", samples), len(samples),
                                             float(sample_rate)):
                raise ValueError("unusable impulse response: samples must be finite and the rate 8000..384000 Hz")

    def set_input_gain(self, db: float) -> None:
        """Gain before the model in dB, within PARAMS["input_gain_db"] (PedalNetRT captures expect a hot input)."""
        self._set("input_gain_db", db)

    def set_output_level(self, db: float) -> None:
        """Master output level in dB, within PARAMS["output_level_db"]."""
        self._set("output_level_db", db)

    def set_crossfade_ms(self, ms: float) -> None:
        """Length of model-change and bypass fades in ms, within PARAMS["crossfade_ms"]."""
        self._set("crossfade_ms", ms)

    def set_knob(self, stage: int, knob: int, value: float) -> None:
        """Turns knob ``knob`` (its index in that Model's ``knobs``) of capture ``stage`` (0 = first)
        of the chain last handed over; it glides there over 10 ms. The caller keeps to its range."""
        with self._control:
            if not lib.pedal_engine_set_knob(self._handle, int(stage), int(knob), float(value)):
                raise ValueError(f"no knob {knob} on capture {stage} of the chain playing, or {value!r} is not finite")

    def set_gate(self, threshold_db: float | None = None, hysteresis_db: float | None = None,
                 attack_ms: float | None = None, hold_ms: float | None = None,
                 release_ms: float | None = None, on: bool | None = None) -> None:
        """Noise gate settings (threshold in dBFS); ``on`` puts it in or out of the chain (out by default)."""
        for name, value in (("gate_threshold_db", threshold_db), ("gate_hysteresis_db", hysteresis_db),
                            ("gate_attack_ms", attack_ms), ("gate_hold_ms", hold_ms),
                            ("gate_release_ms", release_ms)):
            if value is not None:
                self._set(name, value)
        if on is not None:
            self.set_block("gate", on)

    def set_eq(self, bass_db: float | None = None, mid_db: float | None = None,
               treble_db: float | None = None) -> None:
        """Tone controls in dB (PARAMS["eq_bass_db"] etc.): bass shelf ~100 Hz, mid peak ~800 Hz, treble shelf ~3.2 kHz."""
        for name, value in (("eq_bass_db", bass_db), ("eq_mid_db", mid_db), ("eq_treble_db", treble_db)):
            if value is not None:
                self._set(name, value)

    def set_limiter_ceiling(self, db: float) -> None:
        """The safety limiter's ceiling in dBFS, within PARAMS["limiter_ceiling_db"]."""
        self._set("limiter_ceiling_db", db)

    def set_block(self, name: str, on: bool) -> None:
        """Takes a block of the chain out (False) or puts it back: one of BLOCKS."""
        if name not in BLOCKS:
            raise ValueError(f"unknown block {name!r}; blocks: {', '.join(BLOCKS)}")
        lib.pedal_engine_set_param(self._handle, BLOCKS[name], 1.0 if on else 0.0)

    def set_ir(self, samples: np.ndarray, sample_rate: float) -> None:
        """Loads a mono cabinet impulse response (float32 samples at ``sample_rate``;
        resampled to the engine's rate, cut to 1 s). Prepared here, swapped in by
        the audio thread without a lock."""
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        if samples.ndim != 1 or len(samples) == 0:
            raise ValueError(f"an impulse response is a non-empty 1-D array, got shape {samples.shape}")
        with self._control:
            if not lib.pedal_engine_set_ir(self._handle, ffi.from_buffer("float[]", samples), len(samples),
                                           float(sample_rate)):
                raise ValueError("unusable impulse response: samples must be finite and the rate 8000..384000 Hz")

    def clear_ir(self) -> None:
        """Removes the cabinet impulse response."""
        with self._control:
            lib.pedal_engine_set_ir(self._handle, ffi.NULL, 0, float(self.sample_rate))

    def stats(self) -> dict:
        """Levels, CPU time per block, fault counters and state; peaks and block
        times cover the span since the previous call."""
        lib.pedal_engine_read_stats(self._handle, self._stats)
        s = self._stats
        return {"input_peak": s.input_peak, "output_peak": s.output_peak,
                "block_us": {"min": s.block_us_min, "avg": s.block_us_avg, "max": s.block_us_max},
                "blocks": s.blocks, "muted_blocks": s.muted_blocks, "bad_input_blocks": s.bad_input_blocks,
                "model_id": s.model_id, "bypassed": bool(s.bypassed), "switching": bool(s.switching),
                "latency": s.latency}

    @property
    def latency(self) -> float:
        """Samples from input to output at the engine's rate."""
        return lib.pedal_engine_latency(self._handle)


class Pitch(NamedTuple):
    """What the pitch detector heard in its last window: ``hz`` 0 for no note."""

    hz: float
    clarity: float     # how periodic the window was: 1 for a pure tone
    level_db: float    # its RMS, dBFS


class PitchDetector:
    """The tuner's ear (csrc/dsp/pitch_detector.h): McLeod's method on an 85 ms window,
    refined at the input's rate.

        >>> ear = PitchDetector(48000)
        >>> ear.push(samples)
        >>> ear.analyse().hz
        82.41
    """

    def __init__(self, sample_rate: float) -> None:
        handle = lib.pedal_tuner_new(float(sample_rate))
        if handle == ffi.NULL:
            raise ValueError(f"the pitch detector takes 8000..384000 Hz, got {sample_rate!r}")
        self._handle = ffi.gc(handle, lib.pedal_tuner_free)
        self._out = ffi.new("pedal_pitch *")
        self.sample_rate = float(sample_rate)

    def push(self, samples: np.ndarray) -> None:
        """The next samples of input (1-D float32)."""
        _as_float32_buffer(samples, "samples", writable=False)
        lib.pedal_tuner_push(self._handle, ffi.from_buffer("float[]", samples), len(samples))

    def analyse(self, threshold_db: float = -50.0) -> Pitch:
        """The pitch of the last window; no note below ``threshold_db`` (RMS)."""
        lib.pedal_tuner_analyse(self._handle, float(threshold_db), self._out)
        return Pitch(self._out.hz, self._out.clarity, self._out.level_db)
