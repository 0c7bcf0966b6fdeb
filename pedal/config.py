"""The pedal's configuration: /etc/pedal/pedal.toml, one typed place.

    >>> config = load_config("/etc/pedal/pedal.toml")
    >>> config.audio.period
    128

Every key is optional (the defaults below are a working pedal) and documented in
pedal/data/pedal.toml.example. A wrong key or value stops the daemon at start with
one line naming the file, the key and what was expected, never half-way later.
"""

from __future__ import annotations

import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pedal.actions import parse_action
from pedal.checks import is_number
from pedal.core import PARAMS
from pedal.midi.mapping import check_cc_table
from pedal.midi.ports import BACKENDS as MIDI_BACKENDS

DEFAULT_PATH = Path("/etc/pedal/pedal.toml")


class ConfigError(ValueError):
    """A configuration file the daemon cannot run with; the message names file and key."""


@dataclass(frozen=True)
class Audio:
    capture_device: str = "default"
    playback_device: str = "default"
    rate: int = 48000
    period: int = 128          # frames per ALSA period
    periods: int = 2           # periods in the ALSA buffer
    capture_channels: int = 2  # what the interface delivers
    input_channel: int = 0     # which of them carries the guitar
    playback_channels: int = 2  # the output is copied to all of them


@dataclass(frozen=True)
class Realtime:
    priority: int = 70         # SCHED_FIFO priority of the audio thread
    lock_memory: bool = True   # mlockall, so the audio path never page-faults


@dataclass(frozen=True)
class Switch:
    """One more footswitch ([[footswitch.switch]]) and what its presses do (pedal.actions)."""
    pin: int = 0
    short: str = "none"
    long: str = "none"
    double: str = "none"
    hold: str = "none"


@dataclass(frozen=True)
class Footswitch:
    pin: int | None = 17              # BCM pin of the main switch (to ground); none: no switch
    previous_pin: int | None = None   # optional second switch: previous model
    led_pin: int | None = 27
    long_press_s: float = 0.6         # held this long: the long action instead of the short one
    double_press_s: float = 0.3       # a second press starting this soon after a release: the double action
    hold_s: float = 1.5               # held on this long (past long_press_s): the hold action
    debounce_ms: float = 20.0
    # What the main switch's presses do, and the previous switch's (pedal.actions).
    short: str = "next"
    long: str = "bypass"
    double: str = "none"
    hold: str = "tuner"
    previous_short: str = "prev"
    previous_long: str = "none"
    previous_double: str = "none"
    previous_hold: str = "none"
    switch: tuple[Switch, ...] = ()   # more switches


@dataclass(frozen=True)
class Library:
    models_dir: str = "/var/lib/pedal/models"
    state_file: str = "/var/lib/pedal/state.json"
    irs_dir: str = "/var/lib/pedal/irs"        # cabinet impulse responses (pedalctl ir upload)
    rigs_dir: str = "/var/lib/pedal/rigs"      # rigs: captures in series with their sound (pedalctl rig)
    max_model_mb: float = 16.0
    max_cpu_percent: float = 70.0     # uploads costing more of the period budget are refused


@dataclass(frozen=True)
class Control:
    socket: str = "/run/pedal/control.sock"
    group: str = "pedal"


@dataclass(frozen=True)
class Sound:
    crossfade_ms: float = PARAMS["crossfade_ms"].default
    interface_dbu: float = 12.0       # dBu at 0 dBFS of the audio interface, for input calibration


@dataclass(frozen=True)
class Tuner:
    a4: float = 440.0                 # reference pitch, Hz
    output: str = "mute"              # while tuning: "mute", or "through" (the dry guitar passes)
    threshold_db: float = -50.0       # input RMS below which the tuner says "no note"


TUNER_OUTPUTS = ("mute", "through")


@dataclass(frozen=True)
class Midi:
    """MIDI controllers (pedal.midi): program change N plays the Nth rig or model of the
    footswitch's order; [midi.cc] says which control change moves what."""
    enabled: bool = True
    backend: str = "auto"             # "alsa" (the sequencer), "jack", or "auto": ALSA where it exists
    channel: int | None = None        # 1..16; "omni": every channel
    cc: dict[int, str] = field(default_factory=dict)   # CC number -> target ([midi.cc] target = CC)


@dataclass(frozen=True)
class Web:
    """pedal-web, the page for a phone (pedal.web): its own process, reaching pedald through the socket."""
    password_file: str = "/var/lib/pedal/web/password.json"   # a salted scrypt hash, never the password
    address: str = "0.0.0.0"          # where it listens when systemd does not hand it a socket
    port: int = 80


@dataclass(frozen=True)
class Config:
    audio: Audio = field(default_factory=Audio)
    realtime: Realtime = field(default_factory=Realtime)
    footswitch: Footswitch = field(default_factory=Footswitch)
    library: Library = field(default_factory=Library)
    control: Control = field(default_factory=Control)
    sound: Sound = field(default_factory=Sound)
    tuner: Tuner = field(default_factory=Tuner)
    midi: Midi = field(default_factory=Midi)
    web: Web = field(default_factory=Web)


# (section, key) -> (lowest, highest) for numbers that have a sensible range.
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("audio", "rate"): (8000, 384000),
    ("audio", "period"): (32, 1024),
    ("audio", "periods"): (2, 4),
    ("audio", "capture_channels"): (1, 32),
    ("audio", "input_channel"): (0, 31),
    ("audio", "playback_channels"): (1, 32),
    ("realtime", "priority"): (1, 99),
    ("footswitch", "pin"): (0, 53),
    ("footswitch", "previous_pin"): (0, 53),
    ("footswitch", "led_pin"): (0, 53),
    ("footswitch", "long_press_s"): (0.2, 5.0),
    ("footswitch", "double_press_s"): (0.1, 1.0),
    ("footswitch", "hold_s"): (0.5, 10.0),
    ("footswitch.switch", "pin"): (0, 53),
    ("footswitch", "debounce_ms"): (0.0, 200.0),
    ("library", "max_model_mb"): (0.1, 256.0),
    ("library", "max_cpu_percent"): (5.0, 100.0),
    ("sound", "crossfade_ms"): (PARAMS["crossfade_ms"].min, PARAMS["crossfade_ms"].max),  # the engine's own
    ("sound", "interface_dbu"): (-10.0, 30.0),
    ("tuner", "a4"): (400.0, 480.0),
    ("tuner", "threshold_db"): (-80.0, -20.0),
    ("midi", "channel"): (1, 16),
    ("web", "port"): (1, 65535),
}


def _check_value(path: Path, section: str, key: str, value: Any, kind: Any) -> Any:
    where = f"{path}: [{section}] {key}"
    optional = kind == (int | None)
    if optional and value in ("none", "off", "omni"):  # TOML has no null: "none" turns an optional pin off
        return None
    base = int if kind in (int, int | None) else kind
    if base is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if base is str:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
        return value
    if not is_number(value):
        word = "omni" if (section, key) == ("midi", "channel") else "none"
        expected = "an integer" + (f' or "{word}"' if optional else "") if base is int else "a number"
        raise ConfigError(f"{where}: expected {expected}, got {value!r}")
    if base is int and not float(value).is_integer():
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    low, high = RANGES.get((section.partition("[")[0], key), (-float("inf"), float("inf")))
    if not low <= value <= high:
        raise ConfigError(f"{where}: must be {low:g}..{high:g}, got {value!r}")
    return base(value)


def _build_section(path: Path, name: str, cls, table: Any):
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table, got {table!r}")
    kinds = typing.get_type_hints(cls)
    values = {}
    for key, value in table.items():
        if key not in kinds:
            raise ConfigError(f"{path}: [{name}] unknown key {key!r}; known: {', '.join(kinds)}")
        if kinds[key] == tuple[Switch, ...]:
            values[key] = _switches(path, f"{name}.{key}", value)
        elif kinds[key] == dict[int, str]:
            values[key] = _cc_table(path, f"{name}.{key}", value)
        else:
            values[key] = _check_value(path, name, key, value, kinds[key])
        if key in ACTION_KEYS:
            try:
                parse_action(values[key])
            except ValueError as error:
                raise ConfigError(f"{path}: [{name}] {key}: {error}") from None
    return cls(**values)


# The keys that hold a footswitch action (pedal.actions).
ACTION_KEYS = {"short", "long", "double", "hold", "previous_short", "previous_long", "previous_double",
               "previous_hold"}


def _switches(path: Path, name: str, value: Any) -> tuple[Switch, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{path}: [{name}] must be [[{name}]] tables, got {value!r}")
    switches = []
    for n, table in enumerate(value, 1):
        if isinstance(table, dict) and "pin" not in table:
            raise ConfigError(f"{path}: [{name}[{n}]] pin: missing (the BCM pin of this switch)")
        switches.append(_build_section(path, f"{name}[{n}]", Switch, table))
    return tuple(switches)


def _cc_table(path: Path, name: str, value: Any) -> dict[int, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table of target = CC number, got {value!r}")
    try:
        return check_cc_table(value)
    except ValueError as error:
        raise ConfigError(f"{path}: [{name}] {error}") from None


def parse_config(text: str, path: Path | str = "<config>") -> Config:
    path = Path(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    sections = typing.get_type_hints(Config)
    built = {}
    for name, table in document.items():
        if name not in sections:
            raise ConfigError(f"{path}: unknown section [{name}]; known: {', '.join(sections)}")
        built[name] = _build_section(path, name, sections[name], table)
    config = Config(**built)
    switch = config.footswitch
    pins = [p for p in (switch.pin, switch.previous_pin, switch.led_pin) if p is not None]
    pins += [s.pin for s in switch.switch]
    if len(set(pins)) != len(pins):
        raise ConfigError(f"{path}: [footswitch] pins {sorted(pins)}: each switch and the LED need their own pin")
    if switch.hold_s <= switch.long_press_s:
        raise ConfigError(f"{path}: [footswitch] hold_s {switch.hold_s:g} must be longer than long_press_s "
                          f"{switch.long_press_s:g} (a hold goes on past a long press)")
    if config.tuner.output not in TUNER_OUTPUTS:
        raise ConfigError(f"{path}: [tuner] output: expected one of {', '.join(TUNER_OUTPUTS)}, "
                          f"got {config.tuner.output!r}")
    if config.midi.backend not in MIDI_BACKENDS:
        raise ConfigError(f"{path}: [midi] backend: expected one of {', '.join(MIDI_BACKENDS)}, "
                          f"got {config.midi.backend!r}")
    if config.audio.input_channel >= config.audio.capture_channels:
        raise ConfigError(f"{path}: [audio] input_channel {config.audio.input_channel} is not one of the "
                          f"{config.audio.capture_channels} capture channels (they count from 0)")
    return config


def load_config(path: Path | str = DEFAULT_PATH) -> Config:
    """The configuration in ``path``; the defaults when the file does not exist."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    return parse_config(text, path)
