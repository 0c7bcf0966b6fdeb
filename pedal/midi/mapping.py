"""Which MIDI control change moves what, and how its value 0..127 becomes the setting's.

    >>> mapping = Mapping(channel=1, cc={80: "bypass", 7: "output", 20: "knob1"})
    >>> mapping.target_of(80), level_of("output", 127)
    ('bypass', 12.0)

Program change N plays the Nth of the footswitch's order (the rigs, then the models), counting
from 0, as MIDI floorboards number them; bank select (CC 0 and 32) reaches past 128. These CCs
and the channel-mode ones (120-127) cannot be mapped. A CC learned with `pedalctl midi learn` (kept in
the state file) goes over what pedal.toml maps (``with_learned``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pedal.core import PARAMS

__all__ = ["KNOBS", "RESERVED", "TARGETS", "Mapping", "check_cc_table", "check_learnable", "level_of", "on_of",
           "share_of", "with_learned"]

KNOBS = 8   # knob1 .. knob8: the knobs of what plays, in the order `pedalctl knob` lists them
TARGETS = {
    "bypass": "bypass: on at 64 and above, off below",
    "tuner": "the tuner: open at 64 and above, closed below",
    "input": "input gain, over its whole range",
    "output": "output level, over its whole range",
    "bass": "EQ bass", "mid": "EQ mid", "treble": "EQ treble",
    "gate": "noise gate threshold",
    "size": "the size of the NAM A2 captures playing: 0 the smallest, 127 the largest",
    **{f"knob{n}": f"knob {n} of what plays, over its range" for n in range(1, KNOBS + 1)},
}
# target -> the engine parameter whose range a CC value spans
_LEVELS = {"input": "input_gain_db", "output": "output_level_db", "bass": "eq_bass_db", "mid": "eq_mid_db",
           "treble": "eq_treble_db", "gate": "gate_threshold_db"}
BANK_MSB, BANK_LSB = 0, 32
RESERVED = {BANK_MSB: "bank select", BANK_LSB: "bank select (LSB)",
            **{cc: "a channel mode message" for cc in range(120, 128)}}


@dataclass(frozen=True)
class Mapping:
    channel: int | None = None                      # 1..16; None: omni (every channel)
    cc: dict[int, str] = field(default_factory=dict)

    def listens_to(self, channel: int) -> bool:
        """``channel`` as mido counts it (0..15)."""
        return self.channel is None or channel == self.channel - 1

    def target_of(self, control: int) -> str | None:
        return self.cc.get(control)


def check_cc_table(table: dict) -> dict[int, str]:
    """pedal.toml's [midi.cc] (target = CC number) as {CC: target}; ValueError saying what is wrong."""
    mapped: dict[int, str] = {}
    for target, control in table.items():
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; one of: {', '.join(TARGETS)}")
        if isinstance(control, bool) or not isinstance(control, int) or not 0 <= control <= 127:
            raise ValueError(f"{target}: expected a CC number 0..127, got {control!r}")
        if control in RESERVED:
            raise ValueError(f"{target}: CC {control} is {RESERVED[control]}, which cannot be mapped")
        if control in mapped:
            raise ValueError(f"{target}: CC {control} already moves {mapped[control]}")
        mapped[control] = target
    return mapped


def check_learnable(target: str) -> None:
    """ValueError unless ``target`` is one a CC can move."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; one of: {', '.join(TARGETS)}")


def with_learned(cc: dict[int, str], learned: dict[str, int]) -> dict[int, str]:
    """pedal.toml's {CC: target} with what `pedalctl midi learn` stored ({target: CC}) on top: a
    learned target leaves the CC the file gave it, and a learned CC the target the file gave it."""
    merged = {control: target for control, target in cc.items()
              if target not in learned and control not in learned.values()}
    merged.update({control: target for target, control in learned.items()})
    return merged


def on_of(value: int) -> bool:
    """A switch's CC: on at 64 and above (the MIDI convention)."""
    return value >= 64


def share_of(value: int) -> float:
    """0..127 as 0..1."""
    return min(max(value, 0), 127) / 127


def level_of(target: str, value: int) -> float:
    """A level's CC value over the engine parameter's whole range."""
    param = PARAMS[_LEVELS[target]]
    return param.min + (param.max - param.min) * share_of(value)


def level_key(target: str) -> tuple[str, str]:
    """(the Pedal action, its key) that sets a level target: ("levels", "input_gain_db"), ..."""
    if target in ("input", "output"):
        return "levels", _LEVELS[target]
    if target == "gate":
        return "gate", "threshold_db"
    return "eq", f"{target}_db"
