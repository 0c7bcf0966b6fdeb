"""Rigs: one footswitch position as a whole sound, kept as a TOML file a guitarist can edit.

    >>> rig = parse_rig(text, "crunch.toml")    # RigError: "crunch.toml: capture[2].input_gain_db: ..."
    >>> check_references(rig, models, irs)      # RigError when a capture or the IR is missing
    >>> rigs = store("/var/lib/pedal/rigs", max_bytes=64 << 10)
    >>> rigs.install("crunch", format_rig(rig).encode(), ".toml")   # crash-safe, as a model

A rig file (``/var/lib/pedal/rigs/crunch.toml``)::

    # crunch: a drive into an amp into a 4x12
    input_level_db = 0.0          # the guitar's level into the rig
    output_level_db = -2.0        # the rig's level out
    cabinet = "v30 4x12"          # an impulse response in the library; "" for none

    [[capture]]                   # 1 to 4 of them, played in this order
    model = "TS9"                 # a model in the library, by name
    input_gain_db = 6.0           # drive into this capture
    knobs = { drive = 0.7 }       # a parametric capture's knobs (name = value)
    size = 0.5                    # a file of several sizes (NAM A2): which one

    [[capture]]
    model = "Blues Junior"

    [eq]                          # bass_db, mid_db, treble_db; on
    bass_db = 2.0

    [gate]                        # threshold_db; on
    on = true
    threshold_db = -60.0

Every key but ``[[capture]]``'s ``model`` may be left out (the engine's default).
The ranges are the core's own (pedal.core.PARAMS). A bare capture is a rig of one
(``rig_of_one``): libraries made before rigs play as before.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pedal.core import MAX_CHAIN, PARAMS, Engine
from pedal.state import EqSettings, GateSettings, SoundSettings, State
from pedal.store import ModelStore, StoreError

__all__ = ["MAX_CAPTURES", "Rig", "RigCapture", "RigError", "apply_sound", "check_references", "first_missing",
           "format_rig", "in_order", "knob_positions", "parse_rig", "rig_from_document", "rig_of_one",
           "sound_settings", "store", "with_value", "with_values"]

MAX_CAPTURES = MAX_CHAIN   # what one engine chain holds
MAX_RIG_BYTES = 64 << 10   # a rig is a few lines; anything bigger is not one
KNOB_LIMIT = 1e6           # a knob's value: finite and not absurd (its own range comes with the capture)


class RigError(ValueError):
    """A rig that cannot be stored or played; the message names the file, the key and why."""


@dataclass(frozen=True)
class RigCapture:
    """One capture of a rig's chain."""
    model: str                                         # its name in the library
    input_gain_db: float = 0.0                         # drive into it
    knobs: dict[str, float] = field(default_factory=dict)
    size: float | None = None                          # None: the file's own choice


@dataclass(frozen=True)
class Rig:
    name: str
    captures: tuple[RigCapture, ...]
    sound: SoundSettings = SoundSettings()
    input_level_db: float = 0.0
    output_level_db: float = 0.0


def store(directory: Path | str, max_bytes: int = MAX_RIG_BYTES) -> ModelStore:
    """The rigs' directory: TOML files, stored and named as models are (crash-safe, flock'd)."""
    return ModelStore(directory, max_bytes=max_bytes, extensions=(".toml",), what="rig")


def rig_of_one(model: str, state: State | None = None) -> Rig:
    """A bare capture as a rig: the model with the levels and the sound the pedal has now."""
    state = state or State()
    return Rig(name=model, captures=(RigCapture(model=model, knobs=dict(state.knobs.get(model, {}))),),
               sound=state.sound, input_level_db=state.input_gain_db, output_level_db=state.output_level_db)


# --- reading ------------------------------------------------------------------------------------

# The settings a rig may hold, by key, with the core's parameter that gives their range.
_LEVELS = {"input_level_db": "input_gain_db", "output_level_db": "output_level_db"}
_EQ = {"bass_db": "eq_bass_db", "mid_db": "eq_mid_db", "treble_db": "eq_treble_db"}
_GATE = {"threshold_db": "gate_threshold_db"}
_CAPTURE = {"model", "input_gain_db", "knobs", "size"}
_TOP = set(_LEVELS) | {"cabinet", "capture", "eq", "gate"}


class _Reader:
    """Checks one document, key by key, naming the file and the key in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, reason: str) -> RigError:
        return RigError(f"{self.source}: {key}: {reason}" if key else f"{self.source}: {reason}")

    def table(self, value: Any, key: str, known: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {_kind(value)}")
        for name in value:
            if name not in known:
                where = f"{key}.{name}" if key else name
                raise self.fail(where, f"unknown key (known: {', '.join(sorted(known))})")
        return value

    def number(self, value: Any, key: str, low: float, high: float, unit: str = "") -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            raise self.fail(key, f"{value} is not a finite number")
        if not low <= value <= high:
            raise self.fail(key, f"{value:g} is outside {low:g}..{high:g}{' ' + unit if unit else ''}")
        return float(value)

    def param(self, value: Any, key: str, param: str) -> float:
        row = PARAMS[param]
        return self.number(value, key, row.min, row.max, row.unit)

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_kind(value)}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a name in quotes, got {_kind(value)}")
        return value.strip()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {str: "text", int: "a number", float: "a number", dict: "a table", list: "a list"}.get(type(value),
                                                                                                   type(value).__name__)


def parse_rig(text: str, source: str = "<rig>", name: str | None = None) -> Rig:
    """The rig in ``text`` (TOML); ``source`` names it in errors, ``name`` defaults to its stem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RigError(f"{source}: not valid TOML: {error}") from None
    return rig_from_document(document, source, name)


def rig_from_document(document: dict, source: str = "<rig>", name: str | None = None) -> Rig:
    """The rig a parsed TOML document describes, checked key by key (see parse_rig)."""
    reader = _Reader(source)
    reader.table(document, "", _TOP)
    captures = document.get("capture")
    if captures is None:
        raise reader.fail("capture", f"a rig needs 1 to {MAX_CAPTURES} [[capture]] tables; it has none")
    if not isinstance(captures, list):
        raise reader.fail("capture", "expected [[capture]] tables")
    if not 1 <= len(captures) <= MAX_CAPTURES:
        raise reader.fail("capture", f"a rig holds 1 to {MAX_CAPTURES} captures; it has {len(captures)}")
    chain = tuple(_capture(reader, entry, f"capture[{n}]") for n, entry in enumerate(captures, 1))
    levels = {key: reader.param(document[key], key, param) for key, param in _LEVELS.items() if key in document}
    cabinet = reader.text(document.get("cabinet", ""), "cabinet") or None
    eq = reader.table(document.get("eq", {}), "eq", set(_EQ) | {"on"})
    gate = reader.table(document.get("gate", {}), "gate", set(_GATE) | {"on"})
    sound = SoundSettings(
        eq=EqSettings(**{k: reader.param(eq[k], f"eq.{k}", p) for k, p in _EQ.items() if k in eq},
                      on=reader.flag(eq["on"], "eq.on") if "on" in eq else None),
        gate=GateSettings(**{k: reader.param(gate[k], f"gate.{k}", p) for k, p in _GATE.items() if k in gate},
                          on=reader.flag(gate["on"], "gate.on") if "on" in gate else None),
        ir=cabinet)
    return Rig(name=name or Path(source).stem, captures=chain, sound=sound, **levels)


def _capture(reader: _Reader, entry: Any, key: str) -> RigCapture:
    entry = reader.table(entry, key, _CAPTURE)
    if "model" not in entry:
        raise reader.fail(f"{key}.model", "missing: which model in the library this capture plays")
    model = reader.text(entry["model"], f"{key}.model")
    if not model:
        raise reader.fail(f"{key}.model", "empty: name a model in the library")
    row = PARAMS["input_gain_db"]
    gain = reader.param(entry.get("input_gain_db", row.default), f"{key}.input_gain_db", "input_gain_db")
    knobs = entry.get("knobs", {})
    if not isinstance(knobs, dict):
        raise reader.fail(f"{key}.knobs", f"expected a table of name = value, got {_kind(knobs)}")
    values = {str(k): reader.number(v, f"{key}.knobs.{k}", -KNOB_LIMIT, KNOB_LIMIT) for k, v in knobs.items()}
    size = reader.number(entry["size"], f"{key}.size", 0.0, 1.0) if "size" in entry else None
    return RigCapture(model=model, input_gain_db=gain, knobs=values, size=size)


def with_value(rig: Rig, key: str, value: str, source: str | None = None) -> Rig:
    """The rig with one setting changed, as ``pedalctl rig set NAME key=value`` gives it: ``key``
    as the file spells it (``output_level_db``, ``eq.bass_db``, ``capture[2].input_gain_db``,
    ``capture[1].knobs.drive``, ``cabinet``), ``value`` as TOML (unquoted text is taken as a
    name). The result is checked as a whole file is; RigError names the key."""
    try:
        parsed = tomllib.loads(f"value = {value}")["value"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()  # `cabinet=v30 4x12`: a name without its quotes
    return with_values(rig, {key: parsed}, source)


def with_values(rig: Rig, changes: dict[str, Any], source: str | None = None) -> Rig:
    """The rig with each ``key`` of ``changes`` (spelt as for with_value) set to its value (a
    number, true/false or a name, as TOML reads it), checked as a whole file is."""
    source = source or f"{rig.name}.toml"
    document = tomllib.loads(format_rig(rig))
    for key, value in changes.items():
        _set_key(document, key, value, source)
    return rig_from_document(document, source, rig.name)


def _set_key(document: dict, key: str, value: Any, source: str) -> None:
    parts = key.strip().split(".")
    target: dict = document
    for depth, part in enumerate(parts[:-1]):
        if part.startswith("capture[") and part.endswith("]") and depth == 0:
            index = part[len("capture["):-1]
            count = len(document["capture"])
            if not index.isdigit() or not 1 <= int(index) <= count:
                raise RigError(f"{source}: {key}: the rig has captures 1 to {count}")
            target = document["capture"][int(index) - 1]
        else:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise RigError(f"{source}: {key}: {'.'.join(parts[:depth + 1])} is not a table")
    if not parts[-1] or parts[-1] == "capture":
        raise RigError(f"{source}: {key}: name one setting, e.g. output_level_db or capture[1].input_gain_db")
    target[parts[-1]] = value


def check_references(rig: Rig, models: ModelStore, irs: ModelStore | None, source: str | None = None) -> None:
    """RigError naming the first capture or cabinet the library does not hold."""
    missing = first_missing(rig, lambda name: _find(models, name) is not None,
                            lambda name: irs is not None and _find(irs, name) is not None)
    if missing is None:
        return
    key, name = missing
    if key == "cabinet":
        where = irs.directory if irs is not None else "the library (no IR directory)"
        raise RigError(f"{source or rig.name + '.toml'}: cabinet: no impulse response called {name!r} in {where}")
    raise RigError(f"{source or rig.name + '.toml'}: {key}: no model called {name!r} in {models.directory}")


def knob_positions(positions: dict[str, float], knobs: list[dict], model: str, where: str) -> list[tuple[int, float]]:
    """(index, value) for every one of a model's ``knobs`` (its info's: name, min, max, default):
    the position ``positions`` (a rig capture's knobs, by name in any case) gives it, else its
    default. RigError at ``where`` (e.g. "crunch.toml: capture[1].knobs") naming a knob the
    model does not have or a value outside its range."""
    by_name = {knob["name"].casefold(): i for i, knob in enumerate(knobs)}
    values = {i: float(knob["default"]) for i, knob in enumerate(knobs)}
    for name, value in positions.items():
        index = by_name.get(name.casefold())
        if index is None:
            known = ", ".join(k["name"] for k in knobs) or "none"
            raise RigError(f"{where}.{name}: {model} has no knob called {name!r} (knobs: {known})")
        low, high = knobs[index]["min"], knobs[index]["max"]
        if not low <= value <= high:
            raise RigError(f"{where}.{name}: {value:g} is outside {low:g}..{high:g}")
        values[index] = float(value)
    return sorted(values.items())


def first_missing(rig: Rig, has_model: Callable[[str], bool], has_ir: Callable[[str], bool]) -> tuple[str, str] | None:
    """(key, name) of the first capture or cabinet of ``rig`` that is not there; None when all are."""
    for n, capture in enumerate(rig.captures, 1):
        if not has_model(capture.model):
            return f"capture[{n}].model", capture.model
    if rig.sound.ir is not None and not has_ir(rig.sound.ir):
        return "cabinet", rig.sound.ir
    return None


def _find(library: ModelStore, name: str) -> Path | None:
    try:
        return library.find(name)
    except StoreError:
        return None


def in_order(rigs: ModelStore) -> list[Path]:
    """The rig files, those named in the order file first, in its order; the rest by name: the
    order `pedalctl rig list` shows and the footswitch steps in."""
    files = rigs.files()
    by_key = {name.casefold(): path for name, path in files.items()}
    ordered = [by_key.pop(name.casefold()) for name in rigs.order() if name.casefold() in by_key]
    return ordered + [by_key[key] for key in sorted(by_key)]


def sound_settings(rig: Rig) -> dict[str, float | bool]:
    """The rig's levels, EQ and gate as engine settings (pedal.core.PARAMS names), every one the
    rig leaves out at the engine's default, so that changing rig leaves nothing of the one before."""
    eq, gate = rig.sound.eq, rig.sound.gate
    chosen = {"input_gain_db": rig.input_level_db, "output_level_db": rig.output_level_db,
              "eq_bass_db": eq.bass_db, "eq_mid_db": eq.mid_db, "eq_treble_db": eq.treble_db, "eq_on": eq.on,
              "gate_threshold_db": gate.threshold_db, "gate_on": gate.on}
    return {name: (PARAMS[name].default if value is None else value) if not name.endswith("_on")
            else (bool(PARAMS[name].default) if value is None else value) for name, value in chosen.items()}


def apply_sound(engine: Engine, rig: Rig, staged: bool = False) -> None:
    """Puts the rig's levels, EQ and gate (sound_settings) into ``engine`` now, or ``staged``:
    with the next chain handed to it, when that chain begins to fade in (Engine.stage). The
    cabinet is the caller's: an impulse response read from the library (pedal.cabinets.load)."""
    for name, value in sound_settings(rig).items():
        (engine.stage if staged else engine.set_param)(name, value)


# --- writing ------------------------------------------------------------------------------------

def format_rig(rig: Rig) -> str:
    """The rig as TOML that parse_rig reads back to the same Rig (and a person can edit)."""
    lines = [f"# {rig.name}: {' -> '.join(c.model for c in rig.captures)}"
             + (f" -> {rig.sound.ir}" if rig.sound.ir else ""),
             f"input_level_db = {_number(rig.input_level_db)}",
             f"output_level_db = {_number(rig.output_level_db)}",
             f"cabinet = {_string(rig.sound.ir or '')}"]
    for capture in rig.captures:
        lines += ["", "[[capture]]", f"model = {_string(capture.model)}",
                  f"input_gain_db = {_number(capture.input_gain_db)}"]
        if capture.knobs:
            knobs = ", ".join(f"{_key(k)} = {_number(v)}" for k, v in capture.knobs.items())
            lines.append(f"knobs = {{ {knobs} }}")
        if capture.size is not None:
            lines.append(f"size = {_number(capture.size)}")
    for title, settings in (("eq", rig.sound.eq), ("gate", rig.sound.gate)):
        values = {k: v for k, v in vars(settings).items() if v is not None}
        if values:
            lines += ["", f"[{title}]"]
            lines += [f"{k} = {_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def _value(value: bool | float) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else _number(value)


def _number(value: float) -> str:
    return repr(float(value))  # round-trips exactly; always has a point or an exponent


def _string(value: str) -> str:
    def escape(c: str) -> str:
        if c.isprintable() and c not in '"\\':
            return c
        return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
    return '"' + "".join(map(escape, value)) + '"'


def _key(name: str) -> str:
    bare = name and all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    return name if bare else _string(name)
