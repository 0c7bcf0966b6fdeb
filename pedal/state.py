"""What the pedal remembers across a reboot: the model or rig playing, bypass, levels, the
sound around a model (EQ, gate, cabinet IR), and the changes made live to the rig playing.

    >>> state = load_state(path)          # defaults if missing or unreadable
    >>> save_state(path, dataclasses.replace(state, bypass=True))

Written atomically (pedal.files), so a power cut leaves the old state or the
new one. An unreadable state file is never fatal: the pedal starts with the
defaults and says why in the log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from pedal.checks import is_finite
from pedal.files import write_atomically

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EqSettings:
    """pedalctl eq: each band in dB, and on/off; None: never set (the engine's default)."""
    bass_db: float | None = None
    mid_db: float | None = None
    treble_db: float | None = None
    on: bool | None = None


@dataclass(frozen=True)
class GateSettings:
    """pedalctl gate: the threshold in dBFS, and on/off; None: never set."""
    threshold_db: float | None = None
    on: bool | None = None


@dataclass(frozen=True)
class SoundSettings:
    """The sound around the model."""
    eq: EqSettings = EqSettings()
    gate: GateSettings = GateSettings()
    ir: str | None = None          # the cabinet IR's name; None: no cabinet


def settings_set(settings: EqSettings | GateSettings) -> dict:
    """The fields that have been set, by name (what status and the protocol show)."""
    return {k: v for k, v in asdict(settings).items() if v is not None}


@dataclass(frozen=True)
class State:
    """A bare model plays with the levels and sound kept here (as before rigs); a rig with its
    own, and the changes made to it live (``pedalctl eq`` while it plays) until `rig save`
    writes them into it, as settings by the rig file's keys (``eq.bass_db``: 3.0)."""
    model: str | None = None      # name of the model playing (None while a rig plays)
    bypass: bool = False
    input_gain_db: float = 0.0
    output_level_db: float = 0.0
    sound: SoundSettings = SoundSettings()
    rig: str | None = None        # name of the rig playing
    rig_changes: dict[str, float | bool | str] = field(default_factory=dict)
    knobs: dict[str, dict[str, float]] = field(default_factory=dict)   # a bare model's knobs, by model name
    midi_cc: dict[str, int] = field(default_factory=dict)   # `pedalctl midi learn`: target -> CC number


def _valid(state: dict) -> State:
    model = state.get("model")
    if model is not None and not isinstance(model, str):
        raise ValueError("model must be a name or null")
    if not isinstance(state.get("bypass", False), bool):
        raise ValueError("bypass must be true or false")
    numbers = {}
    for key in ("input_gain_db", "output_level_db"):
        value = state.get(key, 0.0)
        if not is_finite(value):
            raise ValueError(f"{key} must be a finite number")
        numbers[key] = float(value)
    extra = state.get("extra", {})
    if not isinstance(extra, dict):
        raise ValueError("extra must be an object")
    rig = state.get("rig")
    if rig is not None and not isinstance(rig, str):
        log.warning("state: the saved rig name is unusable (%r); playing the saved model", rig)
        rig = None
    return State(model=model, bypass=state.get("bypass", False), sound=_sound(extra), rig=rig or None,
                 rig_changes=_rig_changes(state.get("rig_changes", {})), knobs=_knobs(state.get("knobs", {})),
                 midi_cc=_midi_cc(state.get("midi_cc", {})), **numbers)


def _midi_cc(learned) -> dict:
    """The CCs `pedalctl midi learn` stored; one that is no longer valid is dropped, with a warning."""
    from pedal.midi.mapping import check_cc_table   # the engine's ranges come with it: only when read
    if not isinstance(learned, dict):
        log.warning("state: the learned MIDI CCs are not an object (%r); dropped", learned)
        return {}
    kept = {}
    for target, control in learned.items():
        try:
            check_cc_table({**kept, target: control})   # a CC learned twice is refused too
        except ValueError as error:
            log.warning("state: learned MIDI CC dropped: %s", error)
            continue
        kept[target] = control
    return kept


def _knobs(knobs) -> dict:
    """The bare models' knob positions; one that is not a number is dropped, with a warning."""
    if not isinstance(knobs, dict):
        log.warning("state: the saved knobs are not an object (%r); dropped", knobs)
        return {}
    kept = {}
    for model, values in knobs.items():
        if not isinstance(values, dict):
            log.warning("state: saved knobs of %s unusable (%r); dropped", model, values)
            continue
        kept[model] = {name: float(v) for name, v in values.items() if is_finite(v)}
        for name in (name for name, v in values.items() if not is_finite(v)):
            log.warning("state: saved knob %s of %s unusable (%r); dropped", name, model, values[name])
    return kept


def _rig_changes(changes) -> dict:
    """The live changes to the rig playing; one of the wrong type is dropped, with a warning."""
    if not isinstance(changes, dict):
        log.warning("state: the saved rig changes are not an object (%r); dropped", changes)
        return {}
    kept = {}
    for key, value in changes.items():
        if isinstance(value, (bool, str)) or is_finite(value):
            kept[key] = value if isinstance(value, (bool, str)) else float(value)
        else:
            log.warning("state: saved rig change %s unusable (%r); dropped", key, value)
    return kept


def _sound(extra: dict) -> SoundSettings:
    """The sound settings as the file keeps them (under "extra", where they were added); a
    setting of the wrong type is dropped, with a warning, and the others kept."""
    def read(cls, value, what):
        if value is None:
            return cls()
        if not isinstance(value, dict):
            log.warning("state: the saved %s settings are not an object (%r); using the defaults", what, value)
            return cls()
        kept = {}
        for f in fields(cls):
            if f.name not in value:
                continue
            good = isinstance(value[f.name], bool) if f.name == "on" else is_finite(value[f.name])
            if good:
                kept[f.name] = value[f.name] if f.name == "on" else float(value[f.name])
            else:
                log.warning("state: saved %s %s unusable (%r); using the default", what, f.name, value[f.name])
        return cls(**kept)
    ir = extra.get("ir")
    if ir is not None and not isinstance(ir, str):
        log.warning("state: saved cabinet IR name unusable (%r); playing without", ir)
        ir = None
    return SoundSettings(eq=read(EqSettings, extra.get("eq"), "EQ"), gate=read(GateSettings, extra.get("gate"), "gate"),
                         ir=ir or None)


def _document(state: State) -> dict:
    """The state as the file keeps it (the sound under "extra", as files from earlier versions have it)."""
    document = asdict(state)
    sound = document.pop("sound")
    document["extra"] = {"eq": settings_set(state.sound.eq), "gate": settings_set(state.sound.gate),
                         "ir": sound["ir"]}
    return document


def load_state(path: Path | str) -> State:
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("expected a JSON object")
        known = {f.name for f in fields(State)} - {"sound"} | {"extra"}
        return _valid({k: v for k, v in document.items() if k in known})
    except FileNotFoundError:
        return State()
    except (OSError, UnicodeDecodeError, ValueError) as error:
        log.warning("state file %s unreadable (%s); starting from the defaults", path, error)
        return State()


def save_state(path: Path | str, state: State) -> None:
    write_atomically(Path(path), (json.dumps(_document(state), indent=1, sort_keys=True) + "\n").encode())
